#include "alternator/sigv4.h"

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

// Where the expected values come from:
//  * "AWS suite": AWS's published Signature Version 4 test suite (aws-sig-v4-test-suite, from
//    docs.aws.amazon.com/general/latest/gr/signature-v4-test-suite.html): credentials AKIDEXAMPLE /
//    wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, region us-east-1, service "service", time
//    20150830T123600Z, host example.amazonaws.com. Canonical requests, strings to sign and signatures
//    are the suite's .creq/.sts/.authz values.
//  * "AWS key example": the signing key AWS's SigV4 documentation derives for the same secret on
//    20150830/us-east-1/iam.
//  * "botocore": values for DynamoDB-style requests that the suite does not cover, generated offline
//    with Debian's python3-botocore 1.29.27 (botocore.auth.SigV4Auth with the same fixed credentials,
//    time and body). The same script reproduced every AWS-suite value below before these were taken.
//    The payload hash was also checked with sha256sum.

namespace altgw::alternator {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kSuiteAccessKey[] = "AKIDEXAMPLE";
constexpr char kSuiteSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr char kSuiteHost[] = "example.amazonaws.com";
constexpr char kEmptySha256[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr char kSuiteToken[] =
    "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIe"
    "oIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq"
    "5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC"
    "9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";

// The DynamoDB-style case: another date (a leap day, one second before midnight), region and
// service, a host:port Host and a real JSON body.
constexpr char kDdbAccessKey[] = "alternator";
constexpr char kDdbSecret[] = "secret-salted-hash";
constexpr char kDdbHost[] = "127.0.0.1:8000";
constexpr char kDdbBody[] = R"({"TableName":"users","Key":{"id":{"S":"42"}}})";
constexpr char kDdbBodySha256[] =
    "3d1ac5d25e4f90c321dcceaec134648dfc506e4167bcb5386f2fa43d52d2d28e";

absl::Time At(int y, int mo, int d, int h, int mi, int s) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s), absl::UTCTimeZone());
}
absl::Time SuiteTime() { return At(2015, 8, 30, 12, 36, 0); }
absl::Time DdbTime() { return At(2024, 2, 29, 23, 59, 59); }

SigV4Signer SuiteSigner(std::string token = "") {
  return SigV4Signer({kSuiteAccessKey, kSuiteSecret, std::move(token)}, "us-east-1", "service");
}

std::string SuiteAuthorization(absl::string_view signed_headers, absl::string_view signature) {
  return absl::StrCat(
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
      "SignedHeaders=",
      signed_headers, ", Signature=", signature);
}

// Signs with a trace, failing the test on error.
SigV4Headers SignTraced(const SigV4Signer& signer, absl::string_view method,
                        absl::string_view host, absl::string_view path, absl::string_view query,
                        absl::string_view payload, absl::Time now, SigV4Trace& trace) {
  absl::StatusOr<SigV4Headers> headers = signer.Sign(method, host, path, query, payload, now, &trace);
  EXPECT_TRUE(headers.ok()) << headers.status();
  return headers.ok() ? *std::move(headers) : SigV4Headers{};
}

TEST(SigV4Test, AwsSuiteGetVanilla) {
  SigV4Signer signer = SuiteSigner();
  SigV4Trace trace;
  SigV4Headers h = SignTraced(signer, "GET", kSuiteHost, "/", "", "", SuiteTime(), trace);
  EXPECT_EQ(trace.canonical_request,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(trace.string_to_sign,
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
  EXPECT_EQ(trace.signature, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
  EXPECT_EQ(h.authorization,
            SuiteAuthorization("host;x-amz-date",
                               "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"));
  EXPECT_EQ(h.amz_date, "20150830T123600Z");
  EXPECT_EQ(h.security_token, "");
}

TEST(SigV4Test, AwsSuitePostVanilla) {
  SigV4Signer signer = SuiteSigner();
  SigV4Trace trace;
  SigV4Headers h = SignTraced(signer, "POST", kSuiteHost, "/", "", "", SuiteTime(), trace);
  EXPECT_EQ(trace.canonical_request,
            "POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(trace.string_to_sign,
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87");
  EXPECT_EQ(h.authorization,
            SuiteAuthorization("host;x-amz-date",
                               "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"));
}

TEST(SigV4Test, AwsSuitePostStsHeaderBeforeSignsTheSessionToken) {
  SigV4Signer signer = SuiteSigner(kSuiteToken);
  SigV4Trace trace;
  SigV4Headers h = SignTraced(signer, "POST", kSuiteHost, "/", "", "", SuiteTime(), trace);
  EXPECT_EQ(trace.canonical_request,
            absl::StrCat("POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n"
                         "x-amz-security-token:",
                         kSuiteToken, "\n\nhost;x-amz-date;x-amz-security-token\n", kEmptySha256));
  EXPECT_EQ(trace.string_to_sign,
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "c237e1b440d4c63c32ca95b5b99481081cb7b13c7e40434868e71567c1a882f6");
  EXPECT_EQ(h.authorization,
            SuiteAuthorization("host;x-amz-date;x-amz-security-token",
                               "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"));
  EXPECT_EQ(h.security_token, kSuiteToken);
}

TEST(SigV4Test, AwsSuiteQueryIsSortedAndCanonical) {
  SigV4Signer signer = SuiteSigner();
  SigV4Trace trace;
  // get-vanilla-query-order-key-case: parameters are sorted by name.
  SignTraced(signer, "GET", kSuiteHost, "/", "Param2=value2&Param1=value1", "", SuiteTime(), trace);
  EXPECT_THAT(trace.canonical_request, StartsWith("GET\n/\nParam1=value1&Param2=value2\nhost:"));
  EXPECT_EQ(trace.signature, "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
  // post-vanilla-query.
  SignTraced(signer, "POST", kSuiteHost, "/", "Param1=value1", "", SuiteTime(), trace);
  EXPECT_EQ(trace.signature, "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11");
}

TEST(SigV4Test, AwsSuitePathIsUriEncoded) {
  SigV4Signer signer = SuiteSigner();
  SigV4Trace trace;
  // get-utf8: U+1234 in the path.
  SignTraced(signer, "GET", kSuiteHost, "/\xE1\x88\xB4", "", "", SuiteTime(), trace);
  EXPECT_THAT(trace.canonical_request, StartsWith("GET\n/%E1%88%B4\n\n"));
  EXPECT_EQ(trace.signature, "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85");
  // normalize-path/get-space.
  SignTraced(signer, "GET", kSuiteHost, "/example space/", "", "", SuiteTime(), trace);
  EXPECT_THAT(trace.canonical_request, StartsWith("GET\n/example%20space/\n\n"));
  EXPECT_EQ(trace.signature, "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741");
}

TEST(SigV4Test, QueryEncodingIsNormalised) {
  SigV4Signer signer = SuiteSigner();
  SigV4Trace raw;
  SigV4Trace escaped;
  SignTraced(signer, "GET", kSuiteHost, "/", "b=x y&a=%7e&c", "", SuiteTime(), raw);
  SignTraced(signer, "GET", kSuiteHost, "/", "c=&a=~&b=x%20y", "", SuiteTime(), escaped);
  EXPECT_THAT(raw.canonical_request, StartsWith("GET\n/\na=~&b=x%20y&c=\nhost:"));
  EXPECT_EQ(raw.signature, escaped.signature);
}

TEST(SigV4Test, AwsKeyExampleDerivation) {
  absl::StatusOr<SigV4Key> key = DeriveSigV4Key(kSuiteSecret, "20150830", "us-east-1", "iam");
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(key->data()),
                                                     key->size())),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
}

TEST(SigV4Test, BotocoreDynamoDbRequestWithOtherDateAndRegion) {
  SigV4Signer signer({kDdbAccessKey, kDdbSecret, ""}, "eu-west-1");
  EXPECT_EQ(signer.service(), "dynamodb");  // the default
  SigV4Trace trace;
  SigV4Headers h = SignTraced(signer, "POST", kDdbHost, "/", "", kDdbBody, DdbTime(), trace);
  EXPECT_EQ(trace.canonical_request,
            absl::StrCat("POST\n/\n\nhost:127.0.0.1:8000\nx-amz-date:20240229T235959Z\n\n"
                         "host;x-amz-date\n",
                         kDdbBodySha256));
  EXPECT_EQ(trace.string_to_sign,
            "AWS4-HMAC-SHA256\n20240229T235959Z\n20240229/eu-west-1/dynamodb/aws4_request\n"
            "0d03256e4f1d8ffb59ae5a121080624d08790c60a8a211a5183712df9c4787f7");
  EXPECT_EQ(h.authorization,
            "AWS4-HMAC-SHA256 Credential=alternator/20240229/eu-west-1/dynamodb/aws4_request, "
            "SignedHeaders=host;x-amz-date, "
            "Signature=92f675c6612b5485c45b1a7a586192e592ff4f69f66953f47e7ddf9914dc036c");
  EXPECT_EQ(h.amz_date, "20240229T235959Z");
}

TEST(SigV4Test, BotocoreDynamoDbRequestWithSessionToken) {
  SigV4Signer signer({kDdbAccessKey, kDdbSecret, "session-token-123"}, "eu-west-1");
  SigV4Trace trace;
  SigV4Headers h = SignTraced(signer, "POST", kDdbHost, "/", "", kDdbBody, DdbTime(), trace);
  EXPECT_THAT(trace.canonical_request,
              HasSubstr("\nx-amz-security-token:session-token-123\n\n"
                        "host;x-amz-date;x-amz-security-token\n"));
  EXPECT_EQ(trace.string_to_sign,
            "AWS4-HMAC-SHA256\n20240229T235959Z\n20240229/eu-west-1/dynamodb/aws4_request\n"
            "40a22816b7508c55deda370a01f969568b09223e67816a539a61f9bccc22ac0c");
  EXPECT_EQ(h.authorization,
            "AWS4-HMAC-SHA256 Credential=alternator/20240229/eu-west-1/dynamodb/aws4_request, "
            "SignedHeaders=host;x-amz-date;x-amz-security-token, "
            "Signature=2e5d37d965125918d1fc7d6c802731f51e1313db83daaf90cb5eb0c33e979641");
  EXPECT_EQ(h.security_token, "session-token-123");
}

TEST(SigV4Test, PayloadHashCoversTheBytesSent) {
  SigV4Signer signer = SuiteSigner();
  SigV4Trace empty;
  SigV4Trace abc;
  SignTraced(signer, "POST", kSuiteHost, "/", "", "", SuiteTime(), empty);
  // "abc" is the FIPS 180-2 SHA-256 example message.
  SignTraced(signer, "POST", kSuiteHost, "/", "", "abc", SuiteTime(), abc);
  EXPECT_THAT(empty.canonical_request, testing::EndsWith(absl::StrCat("\n", kEmptySha256)));
  EXPECT_THAT(abc.canonical_request,
              testing::EndsWith(
                  "\nba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
  EXPECT_NE(empty.signature, abc.signature);
  // Binary payloads (a gzip body) are hashed byte for byte, NULs included.
  SigV4Trace binary;
  SignTraced(signer, "POST", kSuiteHost, "/", "", absl::string_view("a\0b", 3), SuiteTime(), binary);
  SigV4Trace truncated;
  SignTraced(signer, "POST", kSuiteHost, "/", "", "a", SuiteTime(), truncated);
  EXPECT_NE(binary.signature, truncated.signature);
}

TEST(SigV4Test, HostAndPortAreSigned) {
  SigV4Signer signer({kDdbAccessKey, kDdbSecret, ""}, "eu-west-1");
  SigV4Trace a;
  SigV4Trace b;
  SignTraced(signer, "POST", "10.0.0.1:8000", "/", "", kDdbBody, DdbTime(), a);
  SignTraced(signer, "POST", "10.0.0.2:8000", "/", "", kDdbBody, DdbTime(), b);
  EXPECT_THAT(a.canonical_request, HasSubstr("\nhost:10.0.0.1:8000\n"));
  EXPECT_NE(a.signature, b.signature);
}

TEST(SigV4Test, SigningKeyIsCachedPerDayAndRefreshedOnANewDay) {
  SigV4Signer signer({kDdbAccessKey, kDdbSecret, ""}, "eu-west-1");
  EXPECT_EQ(signer.key_derivations(), 0u);
  ASSERT_TRUE(signer.Sign("POST", kDdbHost, "/", "", kDdbBody, At(2024, 2, 29, 0, 0, 0)).ok());
  ASSERT_TRUE(signer.Sign("POST", kDdbHost, "/", "", "{}", At(2024, 2, 29, 12, 0, 0)).ok());
  absl::StatusOr<SigV4Headers> same_day = signer.Sign("POST", kDdbHost, "/", "", kDdbBody, DdbTime());
  ASSERT_TRUE(same_day.ok());
  EXPECT_EQ(signer.key_derivations(), 1u);  // three signatures, one key
  EXPECT_THAT(same_day->authorization, HasSubstr("92f675c6612b5485c45b1a7a586192e592ff4f69f669"));

  // Two seconds later it is March 1st: a new key, and the signature botocore computes for that day.
  SigV4Trace trace;
  SigV4Headers next_day =
      SignTraced(signer, "POST", kDdbHost, "/", "", kDdbBody, At(2024, 3, 1, 0, 0, 1), trace);
  EXPECT_EQ(signer.key_derivations(), 2u);
  EXPECT_EQ(trace.string_to_sign,
            "AWS4-HMAC-SHA256\n20240301T000001Z\n20240301/eu-west-1/dynamodb/aws4_request\n"
            "ca10a107f80871a661981d489366dd0f129bd2ae8718ff9ef31dc72c6e928ac7");
  EXPECT_EQ(next_day.authorization,
            "AWS4-HMAC-SHA256 Credential=alternator/20240301/eu-west-1/dynamodb/aws4_request, "
            "SignedHeaders=host;x-amz-date, "
            "Signature=b21c12104b7d3319961810d8ec613aaddca69eed22cb0ce3c6618c4ef3f1510c");

  // A straggler still signing with yesterday's time gets a correct signature but does not evict
  // today's key.
  absl::StatusOr<SigV4Headers> straggler =
      signer.Sign("POST", kDdbHost, "/", "", kDdbBody, DdbTime());
  ASSERT_TRUE(straggler.ok());
  EXPECT_EQ(straggler->authorization, same_day->authorization);
  EXPECT_EQ(signer.key_derivations(), 3u);
  ASSERT_TRUE(signer.Sign("POST", kDdbHost, "/", "", kDdbBody, At(2024, 3, 1, 8, 0, 0)).ok());
  EXPECT_EQ(signer.key_derivations(), 3u);
}

TEST(SigV4Test, ConcurrentSigningGivesIdenticalResults) {
  SigV4Signer signer({kDdbAccessKey, kDdbSecret, "session-token-123"}, "eu-west-1");
  constexpr int kThreads = 8;
  constexpr int kPerThread = 300;
  const std::string expected =
      "AWS4-HMAC-SHA256 Credential=alternator/20240229/eu-west-1/dynamodb/aws4_request, "
      "SignedHeaders=host;x-amz-date;x-amz-security-token, "
      "Signature=2e5d37d965125918d1fc7d6c802731f51e1313db83daaf90cb5eb0c33e979641";
  std::vector<int> mismatches(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        // Interleave another request so that per-thread scratch state is really reused.
        absl::StatusOr<SigV4Headers> other =
            signer.Sign("POST", "10.1.2.3:8043", "/", "x=1", "other body", DdbTime());
        absl::StatusOr<SigV4Headers> h =
            signer.Sign("POST", kDdbHost, "/", "", kDdbBody, DdbTime());
        if (!other.ok() || !h.ok() || h->authorization != expected ||
            h->amz_date != "20240229T235959Z" || h->security_token != "session-token-123") {
          ++mismatches[t];
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(mismatches[t], 0) << "thread " << t;
  EXPECT_EQ(signer.key_derivations(), 1u);  // racing first signers derive the key only once
}

TEST(SigV4Test, DummyCredentialsAreValidAndSign) {
  const AwsCredentials dummy = DummyCredentials();
  EXPECT_EQ(dummy.access_key_id, "alternatorgateway");
  EXPECT_FALSE(dummy.secret_access_key.empty());
  EXPECT_TRUE(dummy.session_token.empty());
  EXPECT_TRUE(SigV4Signer::Validate(dummy, "us-east-1", "dynamodb").ok());
  SigV4Signer signer(dummy, "us-east-1");
  absl::StatusOr<SigV4Headers> h = signer.Sign("POST", "127.0.0.1:8000", "/", "", "{}", DdbTime());
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_THAT(h->authorization,
              StartsWith("AWS4-HMAC-SHA256 Credential=alternatorgateway/20240229/us-east-1/"
                         "dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature="));
  EXPECT_TRUE(h->security_token.empty());
}

TEST(SigV4Test, ValidateRejectsValuesThatBreakTheCredentialField) {
  const auto validate = [](AwsCredentials c, absl::string_view region = "us-east-1",
                           absl::string_view service = "dynamodb") {
    return SigV4Signer::Validate(c, region, service);
  };
  EXPECT_TRUE(validate({"cassandra", "s3cr3t", ""}).ok());
  EXPECT_TRUE(absl::IsInvalidArgument(validate({"", "s3cr3t", ""})));
  EXPECT_TRUE(absl::IsInvalidArgument(validate({"a/b", "s3cr3t", ""})));
  EXPECT_TRUE(absl::IsInvalidArgument(validate({"a,b", "s3cr3t", ""})));
  EXPECT_TRUE(absl::IsInvalidArgument(validate({"a b", "s3cr3t", ""})));
  EXPECT_TRUE(absl::IsInvalidArgument(validate({"cassandra", "", ""})));
  EXPECT_TRUE(absl::IsInvalidArgument(validate({"cassandra", "s3cr3t", "tok\r\nX: y"})));
  EXPECT_TRUE(absl::IsInvalidArgument(validate({"cassandra", "s3cr3t", ""}, "")));
  EXPECT_TRUE(absl::IsInvalidArgument(validate({"cassandra", "s3cr3t", ""}, "us/east")));
  EXPECT_TRUE(absl::IsInvalidArgument(validate({"cassandra", "s3cr3t", ""}, "us-east-1", "")));
}

TEST(SigV4Test, SignRejectsMalformedInput) {
  SigV4Signer signer = SuiteSigner();
  EXPECT_TRUE(absl::IsInvalidArgument(
      signer.Sign("POST", "", "/", "", "", SuiteTime()).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      signer.Sign("POST", "host\r\nX-Evil: 1", "/", "", "", SuiteTime()).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      signer.Sign("POST", " example.amazonaws.com", "/", "", "", SuiteTime()).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      signer.Sign("", kSuiteHost, "/", "", "", SuiteTime()).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      signer.Sign("POST", kSuiteHost, "/", "", "", At(10000, 1, 1, 0, 0, 0)).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      signer.Sign("POST", kSuiteHost, "/", "", "", absl::InfiniteFuture()).status()));
}

TEST(SigV4Test, SubSecondTimeIsTruncatedAndEmptyPathIsSlash) {
  SigV4Signer signer = SuiteSigner();
  SigV4Trace trace;
  SigV4Headers h = SignTraced(signer, "GET", kSuiteHost, "", "", "",
                              SuiteTime() + absl::Milliseconds(999), trace);
  EXPECT_EQ(h.amz_date, "20150830T123600Z");
  EXPECT_EQ(trace.signature, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

}  // namespace
}  // namespace altgw::alternator
