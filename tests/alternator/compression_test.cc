#include "alternator/compression.h"

#include <zlib.h>

#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace altgw::alternator {
namespace {

using ::testing::HasSubstr;

constexpr size_t kNoLimit = 64 << 20;
constexpr char kHello[] = "Hello, Alternator! Hello, Alternator!";

// kHello compressed by tools other than the code under test:
//   printf '%s' "$kHello" | gzip -n -9          (GNU gzip 1.12)
constexpr unsigned char kHelloGzip[] = {
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xf3, 0x48, 0xcd, 0xc9,
    0xc9, 0xd7, 0x51, 0x70, 0xcc, 0x29, 0x49, 0x2d, 0xca, 0x4b, 0x2c, 0xc9, 0x2f, 0x52,
    0x54, 0xf0, 0xc0, 0x10, 0x02, 0x00, 0x10, 0x36, 0x12, 0x33, 0x25, 0x00, 0x00, 0x00};
//   zlib.compress(kHello, 9)                     (Python's zlib module: RFC 1950 wrapper)
constexpr unsigned char kHelloZlib[] = {
    0x78, 0xda, 0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0xd7, 0x51, 0x70, 0xcc, 0x29, 0x49, 0x2d, 0xca,
    0x4b, 0x2c, 0xc9, 0x2f, 0x52, 0x54, 0xf0, 0xc0, 0x10, 0x02, 0x00, 0xf7, 0x0a, 0x0d, 0x1b};
//   zlib.compressobj(9, zlib.DEFLATED, -15)      (raw RFC 1951 deflate, no wrapper)
constexpr unsigned char kHelloRaw[] = {
    0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0xd7, 0x51, 0x70, 0xcc, 0x29, 0x49, 0x2d,
    0xca, 0x4b, 0x2c, 0xc9, 0x2f, 0x52, 0x54, 0xf0, 0xc0, 0x10, 0x02, 0x00};

template <size_t N>
absl::string_view View(const unsigned char (&bytes)[N]) {
  return absl::string_view(reinterpret_cast<const char*>(bytes), N);
}

// A DynamoDB-like JSON request body of about `size` bytes.
std::string JsonBody(size_t size) {
  std::string body = R"({"RequestItems":{"users":[)";
  for (int i = 0; body.size() < size; ++i) {
    absl::StrAppend(&body, i == 0 ? "" : ",", R"({"PutRequest":{"Item":{"pk":{"S":"user#)", i,
                    R"("},"name":{"S":"name-)", i * 7919 % 1000, R"("},"age":{"N":")", i % 90,
                    R"("}}}})");
  }
  body += "]}}";
  return body;
}

std::string RandomBytes(size_t size, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string out(size, '\0');
  for (char& c : out) c = static_cast<char>(rng() & 0xff);
  return out;
}

// Compresses with zlib directly (window_bits as in deflateInit2: 15 zlib, -15 raw, 31 gzip).
std::string ZlibCompress(absl::string_view in, int window_bits) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, 6, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&zs, in.size()), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

TEST(GzipTest, EmptyBodyIsNeverCompressed) {
  EXPECT_EQ(GzipIfSmaller("", 0), std::nullopt);
  absl::StatusOr<std::string> decoded = DecodeContent("gzip", "", kNoLimit);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, "");
}

TEST(GzipTest, BodyBelowThresholdIsLeftAlone) {
  const std::string body = JsonBody(2000);
  EXPECT_EQ(GzipIfSmaller(body, body.size() + 1), std::nullopt);
  // At the threshold exactly, it is compressed.
  EXPECT_TRUE(GzipIfSmaller(body, body.size()).has_value());
  // A small compressible body with threshold 0 only compresses if it actually shrinks.
  EXPECT_EQ(GzipIfSmaller("ab", 0), std::nullopt);
}

TEST(GzipTest, LargeCompressibleBodyRoundTrips) {
  const std::string body = JsonBody(256 * 1024);
  std::optional<std::string> gz = GzipIfSmaller(body, kDefaultGzipThreshold);
  ASSERT_TRUE(gz.has_value());
  EXPECT_LT(gz->size(), body.size() / 4);
  // gzip magic, deflate method (RFC 1952), so `Content-Encoding: gzip` is the truth.
  ASSERT_GE(gz->size(), 18u);
  EXPECT_EQ(static_cast<unsigned char>((*gz)[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>((*gz)[1]), 0x8b);
  EXPECT_EQ((*gz)[2], 8);
  absl::StatusOr<std::string> decoded = DecodeContent("gzip", *gz, body.size());
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, body);
  // Compression is deterministic, so a retried attempt sends (and signs) identical bytes.
  EXPECT_EQ(GzipIfSmaller(body, kDefaultGzipThreshold), gz);
}

TEST(GzipTest, OutputIsReadableByPlainZlib) {
  const std::string body = JsonBody(8 * 1024);
  std::optional<std::string> gz = GzipIfSmaller(body, kDefaultGzipThreshold);
  ASSERT_TRUE(gz.has_value());
  z_stream zs{};
  ASSERT_EQ(inflateInit2(&zs, 15 + 16), Z_OK);
  std::string out(body.size() + 16, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(gz->data());
  zs.avail_in = static_cast<uInt>(gz->size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  inflateEnd(&zs);
  EXPECT_EQ(out, body);
}

TEST(GzipTest, IncompressibleBytesGiveNullopt) {
  EXPECT_EQ(GzipIfSmaller(RandomBytes(64 * 1024, 42), kDefaultGzipThreshold), std::nullopt);
  EXPECT_EQ(GzipIfSmaller(RandomBytes(1024, 7), kDefaultGzipThreshold), std::nullopt);
}

TEST(GzipTest, ManyThreadsCompressIndependently) {
  constexpr int kThreads = 6;
  std::vector<int> failures(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t, &failures] {
      for (int i = 0; i < 40; ++i) {
        const std::string body = JsonBody(1024 + 997 * ((t * 40 + i) % 50));
        std::optional<std::string> gz = GzipIfSmaller(body, kDefaultGzipThreshold);
        absl::StatusOr<std::string> back =
            gz ? DecodeContent("gzip", *gz, kNoLimit) : absl::StatusOr<std::string>(body);
        if (!gz || !back.ok() || *back != body) ++failures[t];
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(failures[t], 0) << "thread " << t;
}

TEST(DecodeContentTest, DecodesOutputOfIndependentTools) {
  for (absl::string_view name : {"gzip", "GZIP", "x-gzip", " gzip "}) {
    absl::StatusOr<std::string> gz = DecodeContent(name, View(kHelloGzip), kNoLimit);
    ASSERT_TRUE(gz.ok()) << name << ": " << gz.status();
    EXPECT_EQ(*gz, kHello);
  }
  absl::StatusOr<std::string> zlib = DecodeContent("deflate", View(kHelloZlib), kNoLimit);
  ASSERT_TRUE(zlib.ok()) << zlib.status();
  EXPECT_EQ(*zlib, kHello);
  absl::StatusOr<std::string> raw = DecodeContent("Deflate", View(kHelloRaw), kNoLimit);
  ASSERT_TRUE(raw.ok()) << raw.status();
  EXPECT_EQ(*raw, kHello);
}

TEST(DecodeContentTest, DeflateZlibWrappedAndRawOfLargeBody) {
  const std::string body = JsonBody(300 * 1024);
  absl::StatusOr<std::string> wrapped = DecodeContent("deflate", ZlibCompress(body, 15), kNoLimit);
  ASSERT_TRUE(wrapped.ok()) << wrapped.status();
  EXPECT_EQ(*wrapped, body);
  absl::StatusOr<std::string> raw = DecodeContent("deflate", ZlibCompress(body, -15), kNoLimit);
  ASSERT_TRUE(raw.ok()) << raw.status();
  EXPECT_EQ(*raw, body);
}

TEST(DecodeContentTest, IdentityAndEmptyEncodingPassThrough) {
  for (absl::string_view name : {"", "identity", "IDENTITY", "identity, identity"}) {
    absl::StatusOr<std::string> out = DecodeContent(name, "plain {\"json\":1}", kNoLimit);
    ASSERT_TRUE(out.ok()) << name << ": " << out.status();
    EXPECT_EQ(*out, "plain {\"json\":1}");
  }
}

TEST(DecodeContentTest, StackedCodingsAreUndoneInReverse) {
  const std::string body = JsonBody(4096);
  // "deflate, gzip": deflate applied first, then gzip.
  const std::string twice = ZlibCompress(ZlibCompress(body, 15), 31);
  absl::StatusOr<std::string> out = DecodeContent("deflate, gzip", twice, kNoLimit);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, body);
  // The same bytes with the order reversed cannot decode.
  EXPECT_FALSE(DecodeContent("gzip, deflate", twice, kNoLimit).ok());
}

TEST(DecodeContentTest, ConcatenatedGzipMembersDecodeToTheConcatenation) {
  const std::string two = absl::StrCat(View(kHelloGzip), ZlibCompress("second part", 31));
  absl::StatusOr<std::string> out = DecodeContent("gzip", two, kNoLimit);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, absl::StrCat(kHello, "second part"));
}

TEST(DecodeContentTest, UnknownEncodingIsUnimplemented) {
  absl::StatusOr<std::string> out = DecodeContent("br", "whatever", kNoLimit);
  EXPECT_TRUE(absl::IsUnimplemented(out.status())) << out.status();
  EXPECT_THAT(out.status().message(), HasSubstr("br"));
  EXPECT_TRUE(absl::IsUnimplemented(DecodeContent("gzip, zstd", "x", kNoLimit).status()));
  // Checked even when there is nothing to decode.
  EXPECT_TRUE(absl::IsUnimplemented(DecodeContent("compress", "", kNoLimit).status()));
}

TEST(DecodeContentTest, CorruptInputIsDataLoss) {
  // Not compressed at all.
  EXPECT_TRUE(absl::IsDataLoss(DecodeContent("gzip", "{\"not\":\"gzip\"}", kNoLimit).status()));
  EXPECT_TRUE(absl::IsDataLoss(DecodeContent("deflate", "\xff\xff\xff\xff", kNoLimit).status()));

  // Truncated: the last 8 bytes (CRC and length) are missing, then half the stream.
  const std::string gz(View(kHelloGzip));
  EXPECT_TRUE(
      absl::IsDataLoss(DecodeContent("gzip", gz.substr(0, gz.size() - 8), kNoLimit).status()));
  EXPECT_TRUE(
      absl::IsDataLoss(DecodeContent("gzip", gz.substr(0, gz.size() / 2), kNoLimit).status()));

  // A flipped bit in the CRC-32 trailer.
  std::string bad_crc = gz;
  bad_crc[gz.size() - 8] ^= 0x01;
  absl::StatusOr<std::string> out = DecodeContent("gzip", bad_crc, kNoLimit);
  EXPECT_TRUE(absl::IsDataLoss(out.status())) << out.status();
  EXPECT_THAT(out.status().message(), HasSubstr("gzip"));

  // Garbage after a complete stream.
  EXPECT_TRUE(absl::IsDataLoss(DecodeContent("gzip", gz + "junk", kNoLimit).status()));

  // A damaged zlib stream (wrong Adler-32) that raw decoding cannot rescue either.
  std::string bad_adler(View(kHelloZlib));
  bad_adler.back() ^= 0x01;
  EXPECT_TRUE(absl::IsDataLoss(DecodeContent("deflate", bad_adler, kNoLimit).status()));
}

TEST(DecodeContentTest, DecompressionBombIsStoppedAtTheLimit) {
  const std::string zeros(16 << 20, '\0');  // 16 MiB that gzip turns into ~16 KiB
  const std::string bomb = ZlibCompress(zeros, 31);
  ASSERT_LT(bomb.size(), 64u * 1024);
  absl::StatusOr<std::string> out = DecodeContent("gzip", bomb, 1 << 20);
  EXPECT_TRUE(absl::IsResourceExhausted(out.status())) << out.status();
  EXPECT_THAT(out.status().message(), HasSubstr("exceeds the limit of 1048576 bytes"));
  // The same holds for deflate, raw or wrapped.
  EXPECT_TRUE(absl::IsResourceExhausted(
      DecodeContent("deflate", ZlibCompress(zeros, 15), 1 << 20).status()));
  EXPECT_TRUE(absl::IsResourceExhausted(
      DecodeContent("deflate", ZlibCompress(zeros, -15), 1 << 20).status()));
}

TEST(DecodeContentTest, LimitIsExact) {
  const std::string body = JsonBody(10000);
  const std::string gz = ZlibCompress(body, 31);
  absl::StatusOr<std::string> at_limit = DecodeContent("gzip", gz, body.size());
  ASSERT_TRUE(at_limit.ok()) << at_limit.status();
  EXPECT_EQ(*at_limit, body);
  EXPECT_TRUE(absl::IsResourceExhausted(DecodeContent("gzip", gz, body.size() - 1).status()));
  // Uncompressed bodies are held to the same limit.
  EXPECT_TRUE(absl::IsResourceExhausted(DecodeContent("identity", body, body.size() - 1).status()));
  EXPECT_TRUE(DecodeContent("identity", body, body.size()).ok());
}

}  // namespace
}  // namespace altgw::alternator
