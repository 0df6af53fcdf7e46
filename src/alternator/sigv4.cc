#include "alternator/sigv4.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"

namespace altgw::alternator {
namespace {

constexpr absl::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr absl::string_view kTerminator = "aws4_request";
constexpr size_t kDigestSize = 32;
constexpr size_t kHexDigestSize = 2 * kDigestSize;
constexpr size_t kAmzDateSize = 16;  // YYYYMMDDTHHMMSSZ
constexpr size_t kDateSize = 8;      // YYYYMMDD

// OpenSSL 3 looks algorithms up by name under a lock; fetch them once for the process (never freed:
// they live as long as the process does).
const EVP_MD* Sha256Algorithm() {
  static const EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}
EVP_MAC* HmacAlgorithm() {
  static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  return mac;
}

// Per-thread contexts, reused across calls so that signing allocates nothing in OpenSSL once warm.
class ThreadCrypto {
 public:
  ThreadCrypto() {
    if (Sha256Algorithm() != nullptr) md_ = EVP_MD_CTX_new();
    if (HmacAlgorithm() != nullptr) {
      mac_ = EVP_MAC_CTX_new(HmacAlgorithm());
      char digest_name[] = "SHA256";
      const OSSL_PARAM params[] = {
          OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
          OSSL_PARAM_construct_end()};
      if (mac_ != nullptr && EVP_MAC_CTX_set_params(mac_, params) != 1) {
        EVP_MAC_CTX_free(mac_);
        mac_ = nullptr;
      }
    }
  }
  ~ThreadCrypto() {
    EVP_MD_CTX_free(md_);
    EVP_MAC_CTX_free(mac_);
  }
  ThreadCrypto(const ThreadCrypto&) = delete;
  ThreadCrypto& operator=(const ThreadCrypto&) = delete;

  static ThreadCrypto& Get() {
    thread_local ThreadCrypto crypto;
    return crypto;
  }

  bool Sha256(absl::string_view data, unsigned char out[kDigestSize]) {
    unsigned int len = 0;
    return md_ != nullptr && EVP_DigestInit_ex2(md_, Sha256Algorithm(), nullptr) == 1 &&
           EVP_DigestUpdate(md_, data.data(), data.size()) == 1 &&
           EVP_DigestFinal_ex(md_, out, &len) == 1 && len == kDigestSize;
  }

  bool HmacSha256(absl::string_view key, absl::string_view data, unsigned char out[kDigestSize]) {
    size_t len = 0;
    return mac_ != nullptr &&
           EVP_MAC_init(mac_, reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                        nullptr) == 1 &&
           EVP_MAC_update(mac_, reinterpret_cast<const unsigned char*>(data.data()), data.size()) ==
               1 &&
           EVP_MAC_final(mac_, out, &len, kDigestSize) == 1 && len == kDigestSize;
  }

 private:
  EVP_MD_CTX* md_ = nullptr;
  EVP_MAC_CTX* mac_ = nullptr;
};

absl::string_view AsView(const unsigned char* data, size_t size) {
  return absl::string_view(reinterpret_cast<const char*>(data), size);
}

void HexEncode(const unsigned char in[kDigestSize], char out[kHexDigestSize]) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (size_t i = 0; i < kDigestSize; ++i) {
    out[2 * i] = kDigits[in[i] >> 4];
    out[2 * i + 1] = kDigits[in[i] & 0x0f];
  }
}

void PutDigits(int value, int width, char* out) {
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

// Writes YYYYMMDDTHHMMSSZ (ISO 8601 basic, UTC). False for years SigV4 cannot express.
bool FormatAmzDate(absl::Time now, char out[kAmzDateSize]) {
  const absl::CivilSecond cs = absl::ToCivilSecond(now, absl::UTCTimeZone());
  if (cs.year() < 0 || cs.year() > 9999) return false;
  PutDigits(static_cast<int>(cs.year()), 4, out);
  PutDigits(cs.month(), 2, out + 4);
  PutDigits(cs.day(), 2, out + 6);
  out[8] = 'T';
  PutDigits(cs.hour(), 2, out + 9);
  PutDigits(cs.minute(), 2, out + 11);
  PutDigits(cs.second(), 2, out + 13);
  out[15] = 'Z';
  return true;
}

bool IsUnreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

// SigV4's UriEncode: unreserved characters stay, everything else becomes %XX (upper-case hex).
void AppendUriEncoded(absl::string_view in, bool keep_slash, std::string& out) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  for (char c : in) {
    if (IsUnreserved(c) || (keep_slash && c == '/')) {
      out.push_back(c);
    } else {
      const auto b = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(kDigits[b >> 4]);
      out.push_back(kDigits[b & 0x0f]);
    }
  }
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Undoes the wire encoding of one query component, so that it can be re-encoded in SigV4's single
// canonical form whatever escaping the sender chose ("a b", "a%20b" and "a%2fb"/"a%2Fb" all agree).
// A '%' not followed by two hex digits is taken literally.
std::string PercentDecode(absl::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size() && HexValue(in[i + 1]) >= 0 &&
        HexValue(in[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(in[i + 1]) * 16 + HexValue(in[i + 2])));
      i += 2;
    } else {
      out.push_back(in[i]);
    }
  }
  return out;
}

void AppendCanonicalUri(absl::string_view path, std::string& out) {
  if (path.empty()) {
    out.push_back('/');
    return;
  }
  // The gateway's own path is "/": skip the per-character pass when nothing needs encoding.
  if (std::all_of(path.begin(), path.end(), [](char c) { return IsUnreserved(c) || c == '/'; })) {
    out.append(path.data(), path.size());
    return;
  }
  AppendUriEncoded(path, /*keep_slash=*/true, out);
}

// Canonical query string: every name=value pair encoded in canonical form, sorted by name then value,
// joined by '&'. A parameter without '=' has an empty value.
void AppendCanonicalQuery(absl::string_view query, std::string& out) {
  if (query.empty()) return;
  std::vector<std::pair<std::string, std::string>> params;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const absl::string_view param = query.substr(0, amp);
    query = amp == absl::string_view::npos ? absl::string_view() : query.substr(amp + 1);
    if (param.empty()) continue;
    const size_t eq = param.find('=');
    std::pair<std::string, std::string> encoded;
    AppendUriEncoded(PercentDecode(param.substr(0, eq)), /*keep_slash=*/false, encoded.first);
    if (eq != absl::string_view::npos) {
      AppendUriEncoded(PercentDecode(param.substr(eq + 1)), /*keep_slash=*/false, encoded.second);
    }
    params.push_back(std::move(encoded));
  }
  std::sort(params.begin(), params.end());
  for (size_t i = 0; i < params.size(); ++i) {
    if (i > 0) out.push_back('&');
    out.append(params[i].first);
    out.push_back('=');
    out.append(params[i].second);
  }
}

// Characters that would corrupt the Credential field or a header line.
bool IsBadFieldChar(char c) {
  const auto b = static_cast<unsigned char>(c);
  return b <= 0x20 || b == 0x7f || c == '/' || c == ',';
}

// Header values (Host, the token) must be single, unpadded tokens: no whitespace or control bytes.
bool IsBadHeaderChar(char c) {
  const auto b = static_cast<unsigned char>(c);
  return b <= 0x20 || b == 0x7f;
}

bool HasAny(absl::string_view s, bool (*bad)(char)) { return std::any_of(s.begin(), s.end(), bad); }

absl::Status CheckField(absl::string_view what, absl::string_view value) {
  if (value.empty()) return absl::InvalidArgumentError(absl::StrCat("SigV4 ", what, " is empty"));
  if (HasAny(value, IsBadFieldChar)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "SigV4 ", what, " must not contain '/', ',', whitespace or control characters"));
  }
  return absl::OkStatus();
}

}  // namespace

AwsCredentials DummyCredentials() {
  // DynamoDB Local accepts only letters and digits in access keys.
  return AwsCredentials{"alternatorgateway", "unused", ""};
}

absl::StatusOr<SigV4Key> DeriveSigV4Key(absl::string_view secret_access_key,
                                        absl::string_view date, absl::string_view region,
                                        absl::string_view service) {
  ThreadCrypto& crypto = ThreadCrypto::Get();
  std::string secret = absl::StrCat("AWS4", secret_access_key);
  unsigned char a[kDigestSize];
  unsigned char b[kDigestSize];
  const bool ok = crypto.HmacSha256(secret, date, a) &&
                  crypto.HmacSha256(AsView(a, kDigestSize), region, b) &&
                  crypto.HmacSha256(AsView(b, kDigestSize), service, a) &&
                  crypto.HmacSha256(AsView(a, kDigestSize), kTerminator, b);
  SigV4Key key;
  std::memcpy(key.data(), b, kDigestSize);
  // The intermediates are as good as the secret for this day: do not leave them in freed memory.
  OPENSSL_cleanse(secret.data(), secret.size());
  OPENSSL_cleanse(a, sizeof(a));
  OPENSSL_cleanse(b, sizeof(b));
  if (!ok) return absl::InternalError("SigV4: OpenSSL HMAC-SHA256 failed");
  return key;
}

SigV4Signer::SigV4Signer(AwsCredentials credentials, std::string region, std::string service)
    : access_key_id_(std::move(credentials.access_key_id)),
      secret_access_key_(std::move(credentials.secret_access_key)),
      session_token_(std::move(credentials.session_token)),
      region_(std::move(region)),
      service_(std::move(service)),
      scope_suffix_(absl::StrCat("/", region_, "/", service_, "/", kTerminator)),
      signed_headers_(session_token_.empty() ? "host;x-amz-date"
                                             : "host;x-amz-date;x-amz-security-token") {}

SigV4Signer::~SigV4Signer() {
  OPENSSL_cleanse(secret_access_key_.data(), secret_access_key_.size());
  absl::MutexLock lock(&mu_);
  OPENSSL_cleanse(cached_key_.data(), cached_key_.size());
}

absl::Status SigV4Signer::Validate(const AwsCredentials& credentials, absl::string_view region,
                                   absl::string_view service) {
  if (absl::Status s = CheckField("access key id", credentials.access_key_id); !s.ok()) return s;
  if (credentials.secret_access_key.empty()) {
    return absl::InvalidArgumentError("SigV4 secret access key is empty");
  }
  if (HasAny(credentials.session_token, IsBadHeaderChar)) {
    return absl::InvalidArgumentError(
        "SigV4 session token must not contain whitespace or control characters");
  }
  if (absl::Status s = CheckField("region", region); !s.ok()) return s;
  return CheckField("service", service);
}

absl::StatusOr<SigV4Key> SigV4Signer::KeyFor(absl::string_view date) const {
  {
    absl::ReaderMutexLock lock(&mu_);
    if (has_cached_key_ && date == absl::string_view(cached_date_.data(), kDateSize)) {
      return cached_key_;
    }
  }
  absl::MutexLock lock(&mu_);
  // Another thread may have derived it while this one waited for the writer lock; deriving under the
  // lock makes that a once-a-day wait of a few microseconds instead of a burst of duplicate work.
  const absl::string_view cached(cached_date_.data(), kDateSize);
  if (has_cached_key_ && date == cached) return cached_key_;
  absl::StatusOr<SigV4Key> key = DeriveSigV4Key(secret_access_key_, date, region_, service_);
  if (!key.ok()) return key.status();
  key_derivations_.fetch_add(1, std::memory_order_relaxed);
  // YYYYMMDD compares like the dates it names. A straggler signing with yesterday's date must not
  // evict today's key, which every other request needs.
  if (!has_cached_key_ || date > cached) {
    std::memcpy(cached_date_.data(), date.data(), kDateSize);
    cached_key_ = *key;
    has_cached_key_ = true;
  }
  return key;
}

absl::StatusOr<SigV4Headers> SigV4Signer::Sign(absl::string_view method, absl::string_view host,
                                               absl::string_view path, absl::string_view query,
                                               absl::string_view payload, absl::Time now,
                                               SigV4Trace* trace) const {
  if (method.empty() || HasAny(method, IsBadHeaderChar)) {
    return absl::InvalidArgumentError("SigV4: the HTTP method is empty or malformed");
  }
  // The Host value is signed and sent verbatim; whitespace or a line break in it would be either a
  // signature mismatch or a header injection.
  if (host.empty() || HasAny(host, IsBadHeaderChar)) {
    return absl::InvalidArgumentError(
        "SigV4: the Host header value is empty or contains whitespace or control characters");
  }
  char amz_date_buf[kAmzDateSize];
  if (!FormatAmzDate(now, amz_date_buf)) {
    return absl::InvalidArgumentError("SigV4: the signing time is outside years 0000-9999");
  }
  const absl::string_view amz_date(amz_date_buf, kAmzDateSize);
  const absl::string_view date = amz_date.substr(0, kDateSize);

  ThreadCrypto& crypto = ThreadCrypto::Get();
  unsigned char digest[kDigestSize];
  char hex[kHexDigestSize];
  if (!crypto.Sha256(payload, digest)) {
    return absl::InternalError("SigV4: OpenSSL SHA-256 failed");
  }
  HexEncode(digest, hex);

  // One scratch buffer per thread holds the canonical request, then the string to sign: once it has
  // grown to fit, signing allocates only the strings it returns.
  thread_local std::string scratch;
  std::string& text = scratch;
  text.clear();
  text.append(method.data(), method.size()).push_back('\n');
  AppendCanonicalUri(path, text);
  text.push_back('\n');
  AppendCanonicalQuery(query, text);
  text.push_back('\n');
  text.append("host:").append(host.data(), host.size()).push_back('\n');
  text.append("x-amz-date:").append(amz_date.data(), amz_date.size()).push_back('\n');
  if (!session_token_.empty()) {
    text.append("x-amz-security-token:").append(session_token_).push_back('\n');
  }
  text.push_back('\n');
  text.append(signed_headers_).push_back('\n');
  text.append(hex, kHexDigestSize);
  if (trace != nullptr) trace->canonical_request = text;

  if (!crypto.Sha256(text, digest)) return absl::InternalError("SigV4: OpenSSL SHA-256 failed");
  HexEncode(digest, hex);
  text.clear();
  text.append(kAlgorithm.data(), kAlgorithm.size()).push_back('\n');
  text.append(amz_date.data(), amz_date.size()).push_back('\n');
  text.append(date.data(), date.size()).append(scope_suffix_).push_back('\n');
  text.append(hex, kHexDigestSize);
  if (trace != nullptr) trace->string_to_sign = text;

  absl::StatusOr<SigV4Key> key = KeyFor(date);
  if (!key.ok()) return key.status();
  const bool ok = crypto.HmacSha256(AsView(key->data(), key->size()), text, digest);
  OPENSSL_cleanse(key->data(), key->size());
  if (!ok) return absl::InternalError("SigV4: OpenSSL HMAC-SHA256 failed");
  HexEncode(digest, hex);
  const absl::string_view signature(hex, kHexDigestSize);
  if (trace != nullptr) trace->signature = std::string(signature);

  SigV4Headers headers;
  headers.authorization = absl::StrCat(kAlgorithm, " Credential=", access_key_id_, "/", date,
                                       scope_suffix_, ", SignedHeaders=", signed_headers_,
                                       ", Signature=", signature);
  headers.amz_date = std::string(amz_date);
  headers.security_token = session_token_;
  return headers;
}

}  // namespace altgw::alternator
