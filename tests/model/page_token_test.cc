#include "model/page_token.h"

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace altgw::model {
namespace {

constexpr absl::string_view kBinding = "table=orders;index=;key=pk = :v;filter=;order=asc";
constexpr absl::string_view kPayload = R"({"pk":{"S":"customer#42"},"sk":{"N":"17"}})";
constexpr char kBase64UrlAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

const std::string& KeyA() {
  static const std::string* key = new std::string(PageTokenCodec::RandomKey());
  return *key;
}
const std::string& KeyB() {
  static const std::string* key = new std::string(PageTokenCodec::RandomKey());
  return *key;
}

PageTokenCodec MakeCodec(std::vector<std::string> keys, absl::Duration lifetime = absl::Hours(24)) {
  absl::StatusOr<PageTokenCodec> codec = PageTokenCodec::Create(std::move(keys), lifetime);
  EXPECT_TRUE(codec.ok()) << codec.status();
  return *std::move(codec);
}

absl::Time Now() { return absl::FromUnixSeconds(1'700'000'000) + absl::Microseconds(123'456); }

// Asserts that decoding yields `problem` and, unless kNone, no payload.
void ExpectProblem(const DecodedPageToken& decoded, PageTokenProblem problem) {
  EXPECT_EQ(PageTokenProblemName(decoded.problem), PageTokenProblemName(problem));
  EXPECT_EQ(decoded.ok(), problem == PageTokenProblem::kNone);
  if (problem != PageTokenProblem::kNone) {
    EXPECT_TRUE(decoded.payload.empty());
  }
}

TEST(PageTokenTest, RoundTripsPayloads) {
  const PageTokenCodec codec = MakeCodec({KeyA()});
  std::string binary;
  for (int i = 0; i < 256; ++i) binary.push_back(static_cast<char>(i));
  std::string large;
  for (int i = 0; i < 100'000; ++i) large.push_back(static_cast<char>(i * 7919 % 251));

  for (const std::string& payload : {std::string(), std::string(kPayload), binary, large}) {
    const std::string token = codec.Encode(kBinding, payload, Now());
    const DecodedPageToken decoded = codec.Decode(token, kBinding, Now());
    ExpectProblem(decoded, PageTokenProblem::kNone);
    EXPECT_EQ(decoded.payload, payload);
  }
}

TEST(PageTokenTest, EmptyBindingIsABindingLikeAnyOther) {
  const PageTokenCodec codec = MakeCodec({KeyA()});
  const std::string token = codec.Encode("", kPayload, Now());
  EXPECT_EQ(codec.Decode(token, "", Now()).payload, kPayload);
  ExpectProblem(codec.Decode(token, "x", Now()), PageTokenProblem::kMismatch);
}

TEST(PageTokenTest, TokensAreUrlSafeUnpaddedAndDoNotEmbedTheBinding) {
  const PageTokenCodec codec = MakeCodec({KeyA()});
  for (size_t n = 0; n < 64; ++n) {  // every residue of the length modulo 3
    const std::string payload(n, '\xff');
    const std::string token = codec.Encode(kBinding, payload, Now());
    EXPECT_EQ(token.find_first_not_of(kBase64UrlAlphabet), std::string::npos) << token;
    std::string raw;
    ASSERT_TRUE(absl::WebSafeBase64Unescape(token, &raw));
    // version + expiry + digest + payload + MAC
    EXPECT_EQ(raw.size(), 1 + 8 + PageTokenCodec::kBindingDigestSize + n + PageTokenCodec::kMacSize);
    EXPECT_EQ(raw.find(kBinding.data(), 0, kBinding.size()), std::string::npos);
  }
}

TEST(PageTokenTest, EncodingIsDeterministicAndKeyDependent) {
  const PageTokenCodec a = MakeCodec({KeyA()});
  const PageTokenCodec b = MakeCodec({KeyB()});
  EXPECT_EQ(a.Encode(kBinding, kPayload, Now()), a.Encode(kBinding, kPayload, Now()));
  EXPECT_NE(a.Encode(kBinding, kPayload, Now()), b.Encode(kBinding, kPayload, Now()));
  EXPECT_NE(a.Encode(kBinding, kPayload, Now()), a.Encode("other", kPayload, Now()));
}

TEST(PageTokenTest, EveryAlteredCharacterIsRejected) {
  const PageTokenCodec codec = MakeCodec({KeyA()});
  const std::string token = codec.Encode(kBinding, kPayload, Now());
  int rejected = 0;
  for (size_t i = 0; i < token.size(); ++i) {
    for (const char* c = kBase64UrlAlphabet; *c != '\0'; ++c) {
      if (*c == token[i]) continue;
      std::string altered = token;
      altered[i] = *c;
      const DecodedPageToken decoded = codec.Decode(altered, kBinding, Now());
      ASSERT_FALSE(decoded.ok()) << "position " << i << " -> " << *c;
      EXPECT_TRUE(decoded.payload.empty());
      ++rejected;
    }
    // Characters outside the alphabet, too.
    for (char c : {'+', '/', '=', ' ', '\0', '.'}) {
      std::string altered = token;
      altered[i] = c;
      ExpectProblem(codec.Decode(altered, kBinding, Now()), PageTokenProblem::kMalformed);
    }
  }
  EXPECT_EQ(rejected, static_cast<int>(token.size()) * 63);
}

TEST(PageTokenTest, EveryFlippedBitIsRejected) {
  const PageTokenCodec codec = MakeCodec({KeyA()});
  std::string raw;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(codec.Encode(kBinding, kPayload, Now()), &raw));
  for (size_t i = 0; i < raw.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string altered = raw;
      altered[i] = static_cast<char>(altered[i] ^ (1 << bit));
      const DecodedPageToken decoded = codec.Decode(absl::WebSafeBase64Escape(altered), kBinding, Now());
      // The version byte is checked first (malformed); any other change breaks the MAC (forged).
      ExpectProblem(decoded, i == 0 ? PageTokenProblem::kMalformed : PageTokenProblem::kForged);
    }
  }
}

TEST(PageTokenTest, NonCanonicalBase64IsRejected) {
  const PageTokenCodec codec = MakeCodec({KeyA()});
  // A payload length that leaves unused bits in the last character.
  std::string token = codec.Encode(kBinding, "ab", Now());
  ASSERT_NE(token.size() % 4, 0u);
  ExpectProblem(codec.Decode(token + "=", kBinding, Now()), PageTokenProblem::kMalformed);
  ExpectProblem(codec.Decode(token + std::string(4 - token.size() % 4, '='), kBinding, Now()),
                PageTokenProblem::kMalformed);
  ExpectProblem(codec.Decode(" " + token, kBinding, Now()), PageTokenProblem::kMalformed);
  ExpectProblem(codec.Decode(token + "\n", kBinding, Now()), PageTokenProblem::kMalformed);
  // Changing only the unused low bits of the last character would decode to the very same bytes.
  std::string unused_bits_changed = token;
  const size_t last = absl::string_view(kBase64UrlAlphabet).find(token.back());
  unused_bits_changed.back() = kBase64UrlAlphabet[last ^ 1];
  std::string raw_original, raw_changed;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(token, &raw_original));
  ASSERT_TRUE(absl::WebSafeBase64Unescape(unused_bits_changed, &raw_changed));
  ASSERT_EQ(raw_original, raw_changed);  // the premise: base64 alone does not tell them apart
  ExpectProblem(codec.Decode(unused_bits_changed, kBinding, Now()), PageTokenProblem::kMalformed);
  // An extra character is canonical base64 of different bytes, so the MAC catches it.
  ExpectProblem(codec.Decode(token + "A", kBinding, Now()), PageTokenProblem::kForged);
}

TEST(PageTokenTest, TruncatedTokensAreRejected) {
  const PageTokenCodec codec = MakeCodec({KeyA()});
  const std::string token = codec.Encode(kBinding, kPayload, Now());
  for (size_t n = 0; n < token.size(); ++n) {
    const DecodedPageToken decoded = codec.Decode(token.substr(0, n), kBinding, Now());
    EXPECT_FALSE(decoded.ok()) << n;
    EXPECT_TRUE(decoded.payload.empty());
  }
  // Shorter than a token with an empty payload: malformed, not forged.
  const std::string shortest = codec.Encode(kBinding, "", Now());
  ExpectProblem(codec.Decode("", kBinding, Now()), PageTokenProblem::kMalformed);
  ExpectProblem(codec.Decode(shortest.substr(0, shortest.size() - 2), kBinding, Now()),
                PageTokenProblem::kMalformed);
  // Dropping payload bytes keeps the size plausible but breaks the MAC.
  std::string raw;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(token, &raw));
  raw.erase(30, 1);
  ExpectProblem(codec.Decode(absl::WebSafeBase64Escape(raw), kBinding, Now()), PageTokenProblem::kForged);
}

TEST(PageTokenTest, UnknownVersionIsMalformed) {
  const PageTokenCodec codec = MakeCodec({KeyA()});
  std::string raw;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(codec.Encode(kBinding, kPayload, Now()), &raw));
  raw[0] = 2;
  ExpectProblem(codec.Decode(absl::WebSafeBase64Escape(raw), kBinding, Now()), PageTokenProblem::kMalformed);
}

TEST(PageTokenTest, ArbitraryTextIsMalformed) {
  const PageTokenCodec codec = MakeCodec({KeyA()});
  for (absl::string_view text : {"", "a", "not a token", "AAAA", "////", "abc=", "%41%41"}) {
    ExpectProblem(codec.Decode(text, kBinding, Now()), PageTokenProblem::kMalformed);
  }
  // Well-formed base64url of the right length but never signed.
  const std::string garbage = absl::WebSafeBase64Escape(std::string(1, '\x01') + std::string(60, 'x'));
  ExpectProblem(codec.Decode(garbage, kBinding, Now()), PageTokenProblem::kForged);
}

TEST(PageTokenTest, WrongKeyIsForged) {
  const PageTokenCodec signer = MakeCodec({KeyA()});
  const PageTokenCodec other = MakeCodec({KeyB()});
  const std::string token = signer.Encode(kBinding, kPayload, Now());
  ExpectProblem(other.Decode(token, kBinding, Now()), PageTokenProblem::kForged);
  // Forgery is reported before mismatch and expiry: nothing else about a forged token is trusted.
  ExpectProblem(other.Decode(token, "other binding", Now() + absl::Hours(100)), PageTokenProblem::kForged);
}

TEST(PageTokenTest, KeyRotation) {
  const PageTokenCodec old_codec = MakeCodec({KeyA()});
  const PageTokenCodec rotated = MakeCodec({KeyB(), KeyA()});
  const std::string old_token = old_codec.Encode(kBinding, kPayload, Now());
  const DecodedPageToken decoded = rotated.Decode(old_token, kBinding, Now());
  ExpectProblem(decoded, PageTokenProblem::kNone);
  EXPECT_EQ(decoded.payload, kPayload);

  // New tokens are signed with the first key only: the old gateway cannot verify them...
  const std::string new_token = rotated.Encode(kBinding, kPayload, Now());
  ExpectProblem(old_codec.Decode(new_token, kBinding, Now()), PageTokenProblem::kForged);
  // ...while a gateway that has the new key (in any position) can.
  EXPECT_TRUE(MakeCodec({KeyA(), KeyB()}).Decode(new_token, kBinding, Now()).ok());
  EXPECT_TRUE(MakeCodec({KeyB()}).Decode(new_token, kBinding, Now()).ok());
  // After the old key is retired, its tokens are refused.
  ExpectProblem(MakeCodec({KeyB()}).Decode(old_token, kBinding, Now()), PageTokenProblem::kForged);
}

TEST(PageTokenTest, BindingMismatch) {
  const PageTokenCodec codec = MakeCodec({KeyA()});
  const std::string token = codec.Encode(kBinding, kPayload, Now());
  ExpectProblem(codec.Decode(token, "table=other", Now()), PageTokenProblem::kMismatch);
  ExpectProblem(codec.Decode(token, std::string(kBinding) + " ", Now()), PageTokenProblem::kMismatch);
  ExpectProblem(codec.Decode(token, "", Now()), PageTokenProblem::kMismatch);
  EXPECT_TRUE(codec.Decode(token, std::string(kBinding), Now()).ok());
}

TEST(PageTokenTest, ExpiryBoundary) {
  const absl::Duration lifetime = absl::Minutes(10);
  const PageTokenCodec codec = MakeCodec({KeyA()}, lifetime);
  const std::string token = codec.Encode(kBinding, kPayload, Now());
  EXPECT_TRUE(codec.Decode(token, kBinding, Now()).ok());
  EXPECT_TRUE(codec.Decode(token, kBinding, Now() - absl::Hours(1)).ok());  // clock skew backwards
  EXPECT_TRUE(codec.Decode(token, kBinding, Now() + lifetime - absl::Microseconds(1)).ok());
  EXPECT_TRUE(codec.Decode(token, kBinding, Now() + lifetime).ok());  // exactly at expiry: still valid
  // Sub-microsecond precision is dropped: still the expiry microsecond.
  EXPECT_TRUE(codec.Decode(token, kBinding, Now() + lifetime + absl::Nanoseconds(999)).ok());
  ExpectProblem(codec.Decode(token, kBinding, Now() + lifetime + absl::Microseconds(1)),
                PageTokenProblem::kExpired);
  ExpectProblem(codec.Decode(token, kBinding, Now() + absl::Hours(24 * 365)), PageTokenProblem::kExpired);
  // A mismatching token is reported as a mismatch even once it has expired.
  ExpectProblem(codec.Decode(token, "other", Now() + absl::Hours(1)), PageTokenProblem::kMismatch);
}

TEST(PageTokenTest, LifetimeComesFromTheCodec) {
  const PageTokenCodec short_lived = MakeCodec({KeyA()}, absl::Seconds(1));
  const PageTokenCodec long_lived = MakeCodec({KeyA()}, absl::Hours(1));
  EXPECT_EQ(short_lived.lifetime(), absl::Seconds(1));
  const std::string token = short_lived.Encode(kBinding, kPayload, Now());
  // The expiry is carried in the token, so the verifier's own lifetime does not extend it.
  ExpectProblem(long_lived.Decode(token, kBinding, Now() + absl::Seconds(2)), PageTokenProblem::kExpired);
}

TEST(PageTokenTest, InfiniteLifetimeNeverExpires) {
  const PageTokenCodec codec = MakeCodec({KeyA()}, absl::InfiniteDuration());
  const std::string token = codec.Encode(kBinding, kPayload, Now());
  EXPECT_TRUE(codec.Decode(token, kBinding, Now() + absl::Hours(24 * 365 * 1000)).ok());
}

TEST(PageTokenTest, CreateValidatesArguments) {
  EXPECT_FALSE(PageTokenCodec::Create({}, absl::Hours(1)).ok());
  EXPECT_FALSE(PageTokenCodec::Create({KeyA(), ""}, absl::Hours(1)).ok());
  EXPECT_FALSE(PageTokenCodec::Create({KeyA()}, absl::ZeroDuration()).ok());
  EXPECT_FALSE(PageTokenCodec::Create({KeyA()}, -absl::Seconds(1)).ok());
  EXPECT_EQ(PageTokenCodec::Create({}, absl::Hours(1)).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(PageTokenCodec::Create({"short but non-empty"}, absl::Hours(1)).ok());
}

TEST(PageTokenTest, RandomKeysAreFreshAnd32Bytes) {
  const std::string a = PageTokenCodec::RandomKey();
  const std::string b = PageTokenCodec::RandomKey();
  EXPECT_EQ(a.size(), 32u);
  EXPECT_EQ(b.size(), 32u);
  EXPECT_NE(a, b);
}

TEST(PageTokenTest, ProblemNames) {
  EXPECT_EQ(PageTokenProblemName(PageTokenProblem::kNone), "none");
  EXPECT_EQ(PageTokenProblemName(PageTokenProblem::kMalformed), "malformed");
  EXPECT_EQ(PageTokenProblemName(PageTokenProblem::kForged), "forged");
  EXPECT_EQ(PageTokenProblemName(PageTokenProblem::kMismatch), "mismatch");
  EXPECT_EQ(PageTokenProblemName(PageTokenProblem::kExpired), "expired");
}

}  // namespace
}  // namespace altgw::model
