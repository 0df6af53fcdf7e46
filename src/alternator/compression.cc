#include "alternator/compression.h"

#include <zlib.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace altgw::alternator {
namespace {

constexpr int kMaxWindowBits = 15;
constexpr int kGzipWindowBits = kMaxWindowBits + 16;  // zlib: +16 selects the gzip wrapper
constexpr int kZlibWindowBits = kMaxWindowBits;
constexpr int kRawWindowBits = -kMaxWindowBits;       // negative: no wrapper at all
constexpr int kMemLevel = 8;                          // zlib's default

// zlib counts in uInt (32 bits); larger buffers are fed in pieces.
uInt Clamp(size_t n) { return static_cast<uInt>(std::min<size_t>(n, UINT_MAX)); }

unsigned char* Bytes(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

// A deflate stream per thread, reset between uses: the state is ~270 KB that would otherwise be
// allocated and freed for every request body.
class Deflater {
 public:
  Deflater() {
    ready_ = deflateInit2(&zs_, kGzipLevel, Z_DEFLATED, kGzipWindowBits, kMemLevel,
                          Z_DEFAULT_STRATEGY) == Z_OK;
  }
  ~Deflater() {
    if (ready_) deflateEnd(&zs_);
  }
  Deflater(const Deflater&) = delete;
  Deflater& operator=(const Deflater&) = delete;

  static Deflater& Get() {
    thread_local Deflater deflater;
    return deflater;
  }

  // gzip of `in` if it fits in fewer than in.size() bytes. `in` must not be empty.
  std::optional<std::string> GzipSmaller(absl::string_view in) {
    if (!ready_ || deflateReset(&zs_) != Z_OK) return std::nullopt;
    std::string out(in.size() - 1, '\0');
    const auto* next_in = reinterpret_cast<const unsigned char*>(in.data());
    size_t in_left = in.size();
    size_t out_used = 0;
    while (true) {
      const uInt in_chunk = Clamp(in_left);
      const uInt out_chunk = Clamp(out.size() - out_used);
      zs_.next_in = const_cast<unsigned char*>(next_in);  // zlib 1.2 API is not const-correct
      zs_.avail_in = in_chunk;
      zs_.next_out = Bytes(out) + out_used;
      zs_.avail_out = out_chunk;
      const int rc = deflate(&zs_, in_chunk == in_left ? Z_FINISH : Z_NO_FLUSH);
      next_in += in_chunk - zs_.avail_in;
      in_left -= in_chunk - zs_.avail_in;
      out_used += out_chunk - zs_.avail_out;
      if (rc == Z_STREAM_END) break;
      // Output budget spent before the end: the result would not be smaller than the input.
      if (rc == Z_STREAM_ERROR || out_used == out.size()) return std::nullopt;
    }
    out.resize(out_used);
    return out;
  }

 private:
  z_stream zs_{};
  bool ready_ = false;
};

// An inflate stream per thread; inflateReset2 switches it between gzip, zlib and raw framing.
class Inflater {
 public:
  Inflater() { ready_ = inflateInit2(&zs_, kGzipWindowBits) == Z_OK; }
  ~Inflater() {
    if (ready_) inflateEnd(&zs_);
  }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  static Inflater& Get() {
    thread_local Inflater inflater;
    return inflater;
  }

  // Decompresses `in` (framing chosen by window_bits) into `out`, refusing to produce more than
  // `max_size` bytes. `name` is the coding, for messages.
  absl::Status Inflate(absl::string_view in, int window_bits, absl::string_view name,
                       size_t max_size, std::string& out) {
    if (!ready_ || inflateReset2(&zs_, window_bits) != Z_OK) {
      return absl::ResourceExhaustedError("zlib could not set up an inflate stream");
    }
    // One byte over the limit is how an oversized result is detected without inflating any further.
    const size_t cap = max_size == SIZE_MAX ? SIZE_MAX : max_size + 1;
    // JSON typically inflates 4-10x; start there and double, so large bodies cost few reallocations.
    out.assign(std::min(cap, std::max<size_t>(in.size() * 4, 1024)), '\0');
    const auto* next_in = reinterpret_cast<const unsigned char*>(in.data());
    size_t in_left = in.size();
    size_t out_used = 0;
    while (true) {
      if (out_used == out.size()) {
        if (out_used >= cap) return TooLarge(name, max_size);
        out.resize(out.size() > cap / 2 ? cap : out.size() * 2);
      }
      const uInt in_chunk = Clamp(in_left);
      const uInt out_chunk = Clamp(out.size() - out_used);
      zs_.next_in = const_cast<unsigned char*>(next_in);
      zs_.avail_in = in_chunk;
      zs_.next_out = Bytes(out) + out_used;
      zs_.avail_out = out_chunk;
      const int rc = inflate(&zs_, Z_NO_FLUSH);
      next_in += in_chunk - zs_.avail_in;
      in_left -= in_chunk - zs_.avail_in;
      out_used += out_chunk - zs_.avail_out;
      if (out_used > max_size) return TooLarge(name, max_size);
      switch (rc) {
        case Z_STREAM_END:
          if (in_left == 0) {
            out.resize(out_used);
            return absl::OkStatus();
          }
          // A gzip file may hold several members back to back (RFC 1952 2.2); anything else after
          // the end is not part of the body the server meant to send.
          if (window_bits == kGzipWindowBits && in_left >= 2 && next_in[0] == 0x1f &&
              next_in[1] == 0x8b) {
            if (inflateReset(&zs_) != Z_OK) return Corrupt(name, "cannot restart for next member");
            continue;
          }
          return Corrupt(name, "unexpected bytes after the end of the compressed stream");
        case Z_OK:
        case Z_BUF_ERROR:
          // All input consumed, room left for output, and still no end: the body was cut short.
          if (in_left == 0 && out_used < out.size()) return Corrupt(name, "truncated stream");
          continue;
        case Z_NEED_DICT:
          return Corrupt(name, "stream needs a preset dictionary");
        case Z_MEM_ERROR:
          return absl::ResourceExhaustedError("zlib ran out of memory while inflating");
        default:  // Z_DATA_ERROR, Z_STREAM_ERROR
          return Corrupt(name, zs_.msg != nullptr ? zs_.msg : "invalid data");
      }
    }
  }

 private:
  static absl::Status TooLarge(absl::string_view name, size_t max_size) {
    return absl::ResourceExhaustedError(
        absl::StrCat("decoded response body (Content-Encoding: ", name,
                     ") exceeds the limit of ", max_size, " bytes"));
  }
  static absl::Status Corrupt(absl::string_view name, absl::string_view why) {
    return absl::DataLossError(absl::StrCat("cannot decode ", name, " response body: ", why));
  }

  z_stream zs_{};
  bool ready_ = false;
};

enum class Coding { kIdentity, kGzip, kDeflate };

// RFC 1950 header: compression method 8 (low nibble of the first byte) with a window of at most
// 32 KB, and a check value making the first two bytes a multiple of 31. Raw deflate (RFC 1951) cannot
// be mistaken for it in practice: a low nibble of 8 would mean a non-final stored block whose padding
// bits are not zero, which encoders do not produce.
bool LooksLikeZlib(absl::string_view in) {
  if (in.size() < 2) return false;
  const auto cmf = static_cast<unsigned char>(in[0]);
  const auto flg = static_cast<unsigned char>(in[1]);
  return (cmf & 0x0f) == 8 && (cmf >> 4) <= 7 && ((cmf << 8) | flg) % 31 == 0;
}

absl::Status DecodeOne(Coding coding, absl::string_view in, size_t max_size, std::string& out) {
  Inflater& inflater = Inflater::Get();
  switch (coding) {
    case Coding::kIdentity:
      break;
    case Coding::kGzip:
      return inflater.Inflate(in, kGzipWindowBits, "gzip", max_size, out);
    case Coding::kDeflate:
      // "deflate" means zlib-wrapped, but some servers send raw deflate; the first two bytes tell
      // which (see LooksLikeZlib).
      return inflater.Inflate(in, LooksLikeZlib(in) ? kZlibWindowBits : kRawWindowBits, "deflate",
                              max_size, out);
  }
  if (in.size() > max_size) {
    return absl::ResourceExhaustedError(
        absl::StrCat("response body exceeds the limit of ", max_size, " bytes"));
  }
  out.assign(in.data(), in.size());
  return absl::OkStatus();
}

absl::StatusOr<Coding> ParseCoding(absl::string_view name) {
  if (name.empty() || absl::EqualsIgnoreCase(name, "identity")) return Coding::kIdentity;
  if (absl::EqualsIgnoreCase(name, "gzip") || absl::EqualsIgnoreCase(name, "x-gzip")) {
    return Coding::kGzip;
  }
  if (absl::EqualsIgnoreCase(name, "deflate")) return Coding::kDeflate;
  return absl::UnimplementedError(absl::StrCat("unsupported Content-Encoding \"", name, "\""));
}

}  // namespace

std::optional<std::string> GzipIfSmaller(absl::string_view body, size_t threshold) {
  // An empty body cannot shrink (and gzip framing alone is 20 bytes).
  if (body.empty() || body.size() < threshold) return std::nullopt;
  return Deflater::Get().GzipSmaller(body);
}

absl::StatusOr<std::string> DecodeContent(absl::string_view encoding, absl::string_view body,
                                          size_t max_decoded_size) {
  // Codings are listed in the order they were applied; identity entries are no-ops.
  std::vector<Coding> codings;
  for (absl::string_view name : absl::StrSplit(encoding, ',')) {
    absl::StatusOr<Coding> coding = ParseCoding(absl::StripAsciiWhitespace(name));
    if (!coding.ok()) return coding.status();
    if (*coding != Coding::kIdentity) codings.push_back(*coding);
  }
  std::string out;
  if (body.empty()) return out;
  if (codings.empty()) {
    if (absl::Status s = DecodeOne(Coding::kIdentity, body, max_decoded_size, out); !s.ok()) {
      return s;
    }
    return out;
  }
  std::string in;
  absl::string_view current = body;
  for (auto it = codings.rbegin(); it != codings.rend(); ++it) {
    if (absl::Status s = DecodeOne(*it, current, max_decoded_size, out); !s.ok()) return s;
    in.swap(out);
    current = in;
  }
  return in;
}

}  // namespace altgw::alternator
