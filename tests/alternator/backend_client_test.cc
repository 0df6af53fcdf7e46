#include "alternator/backend_client.h"

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "alternator/compression.h"
#include "alternator/curl_transport.h"
#include "alternator/fake_http_server.h"
#include "alternator/sigv4.h"
#include "common/scheduler.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "support/answers.h"
#include "fixed_router.h"

namespace altgw::alternator {
namespace {

using ::altgw::testing::FakeHttpServer;
using ::altgw::testing::RecordedRequest;
using ::altgw::testing::RefusingPort;
using ::altgw::testing::Reply;
using ::testing::ElementsAre;
using ::testing::MatchesRegex;
using ::testing::Optional;
using nlohmann::json;
namespace v1 = ::alternator::gateway::v1;

constexpr char kAccessKey[] = "testrole";
constexpr char kSecret[] = "testsecret";
constexpr char kRegion[] = "eu-north-1";

std::string ErrorBody(absl::string_view type, absl::string_view message = "boom") {
  return absl::StrCat(R"({"__type":"com.amazonaws.dynamodb.v20120810#)", type, R"(","message":")", message,
                      R"("})");
}

model::BackendCall Read(std::string body = R"({"TableName":"t","Key":{"pk":{"S":"a"}}})") {
  model::BackendCall call;
  call.operation = "GetItem";
  call.body = std::move(body);
  call.access = model::AccessKind::kRead;
  call.table = "t";
  return call;
}

model::BackendCall Write(std::string body = R"({"TableName":"t","Item":{"pk":{"S":"a"}}})") {
  model::BackendCall call;
  call.operation = "PutItem";
  call.body = std::move(body);
  call.access = model::AccessKind::kWrite;
  call.table = "t";
  return call;
}

// A conditional put (an LWT on Alternator): never sent twice.
model::BackendCall ConditionalWrite(
    std::string body = R"j({"TableName":"t","Item":{"pk":{"S":"a"}},"ConditionExpression":"attribute_not_exists(pk)"})j") {
  model::BackendCall call = Write(std::move(body));
  call.conditional = true;
  call.read_modify_write = true;
  return call;
}

// What a call's `done` received, how often, on which thread, and whether the call state is gone (then
// nothing can run `done` any more, so a count of 1 is final).
class Outcome {
 public:
  BackendClient::Callback Callback() {
    return [this, releaser = Releaser(this)](ErrorOr<model::Answer> answer, const CallStats& stats) {
      absl::MutexLock lock(&mu_);
      ++calls_;
      thread_ = std::this_thread::get_id();
      answer_.emplace(testing::AnswerJson(std::move(answer)));
      stats_ = stats;
    };
  }

  // Waits for `done`; false on timeout.
  bool Await(absl::Duration timeout = absl::Seconds(5)) {
    auto called = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return calls_ > 0; };
    const bool ok = mu_.LockWhenWithTimeout(absl::Condition(&called), timeout);
    mu_.Unlock();
    return ok;
  }
  // Waits until the callback (and so the call that owned it) is destroyed, then checks `done` ran once.
  void ExpectDoneOnce(absl::Duration timeout = absl::Seconds(5)) {
    auto released = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return released_; };
    const bool ok = mu_.LockWhenWithTimeout(absl::Condition(&released), timeout);
    const int calls = calls_;
    mu_.Unlock();
    EXPECT_TRUE(ok) << "the call was never released";
    EXPECT_EQ(calls, 1);
  }

  bool ok() {
    absl::MutexLock lock(&mu_);
    return answer_.has_value() && answer_->ok();
  }
  json value() {
    absl::MutexLock lock(&mu_);
    return answer_ && answer_->ok() ? answer_->value() : json();
  }
  std::optional<GatewayError> error() {
    absl::MutexLock lock(&mu_);
    if (!answer_ || answer_->ok()) return std::nullopt;
    return answer_->error();
  }
  absl::StatusCode code() {
    auto e = error();
    return e ? e->code() : absl::StatusCode::kOk;
  }
  std::string reason() {
    auto e = error();
    return e ? e->reason_name() : "OK";
  }
  CallStats stats() {
    absl::MutexLock lock(&mu_);
    return stats_;
  }
  std::thread::id thread() {
    absl::MutexLock lock(&mu_);
    return thread_;
  }
  int calls() {
    absl::MutexLock lock(&mu_);
    return calls_;
  }

 private:
  // Lives inside the callback; tells the Outcome when the last copy of the callback is destroyed.
  class Releaser {
   public:
    explicit Releaser(Outcome* outcome)
        : token_(std::shared_ptr<void>(nullptr, [outcome](void*) { outcome->Release(); })) {}

   private:
    std::shared_ptr<void> token_;
  };

  void Release() {
    absl::MutexLock lock(&mu_);
    released_ = true;
  }

  absl::Mutex mu_;
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
  bool released_ ABSL_GUARDED_BY(mu_) = false;
  std::thread::id thread_ ABSL_GUARDED_BY(mu_);
  std::optional<ErrorOr<json>> answer_ ABSL_GUARDED_BY(mu_);
  CallStats stats_ ABSL_GUARDED_BY(mu_);
};

BackendClientOptions TestOptions() {
  BackendClientOptions options;
  options.credentials = AwsCredentials{kAccessKey, kSecret, ""};
  options.region = kRegion;
  options.attempt_timeout = absl::Seconds(3);
  options.backoff_base = absl::Milliseconds(10);
  options.backoff_cap = absl::Milliseconds(200);
  return options;
}

// X-Amz-Date ("20240131T235959Z") as a time.
std::optional<absl::Time> ParseAmzDate(absl::string_view text) {
  int y, mo, d, h, mi, se;
  if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z' || !absl::SimpleAtoi(text.substr(0, 4), &y) ||
      !absl::SimpleAtoi(text.substr(4, 2), &mo) || !absl::SimpleAtoi(text.substr(6, 2), &d) ||
      !absl::SimpleAtoi(text.substr(9, 2), &h) || !absl::SimpleAtoi(text.substr(11, 2), &mi) ||
      !absl::SimpleAtoi(text.substr(13, 2), &se)) {
    return std::nullopt;
  }
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, se), absl::UTCTimeZone());
}

bool HasRetryInfo(const GatewayError& error) {
  const google::rpc::Status status = error.ToRpcStatus();
  for (const auto& detail : status.details()) {
    if (detail.Is<google::rpc::RetryInfo>()) return true;
  }
  return false;
}

// --- Against fake HTTP servers, through the real CurlTransport. ---

class BackendClientTest : public ::testing::Test {
 protected:
  BackendClient& Client(const std::vector<std::string>& endpoints, BackendClientOptions options = TestOptions()) {
    router_ = std::make_unique<testing::FixedRouter>(endpoints);
    client_ = std::make_unique<BackendClient>(transport_, *router_, scheduler_, std::move(options));
    return *client_;
  }

  std::shared_ptr<BackendCallHandle> Run(BackendClient& client, model::BackendCall call, Outcome& outcome,
                                         absl::Duration deadline = absl::Seconds(10)) {
    return client.Execute(std::move(call), absl::Now() + deadline, outcome.Callback());
  }

  Scheduler scheduler_;
  CurlTransport transport_;
  std::unique_ptr<testing::FixedRouter> router_;
  std::unique_ptr<BackendClient> client_;
};

TEST_F(BackendClientTest, SuccessParsesTheJsonAnswer) {
  FakeHttpServer server;
  server.Enqueue(Reply::Ok(R"({"Item":{"pk":{"S":"a"},"n":{"N":"1"}}})"));
  BackendClient& client = Client({server.url()});
  Outcome outcome;
  Run(client, Read(), outcome);
  ASSERT_TRUE(outcome.Await());
  ASSERT_TRUE(outcome.ok()) << outcome.error()->message();
  EXPECT_EQ(outcome.value()["Item"]["n"]["N"], "1");
  EXPECT_EQ(outcome.stats().attempts, 1);
  EXPECT_EQ(outcome.stats().last_node, server.url());
  EXPECT_NE(outcome.thread(), std::this_thread::get_id());
  outcome.ExpectDoneOnce();
}

TEST_F(BackendClientTest, RequestCarriesTargetContentTypeAndAValidSignature) {
  FakeHttpServer server;
  BackendClient& client = Client({server.url()});
  Outcome outcome;
  const model::BackendCall call = Read();
  Run(client, call, outcome);
  ASSERT_TRUE(outcome.Await());
  ASSERT_TRUE(outcome.ok());
  outcome.ExpectDoneOnce();

  const std::vector<RecordedRequest> requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  const RecordedRequest& request = requests[0];
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.target, "/");
  EXPECT_EQ(request.body, call.body);
  // Header minimisation (router.md §5): nothing else.
  EXPECT_THAT(request.HeaderNames(), ElementsAre("authorization", "content-length", "content-type", "host",
                                                 "x-amz-date", "x-amz-target"));
  EXPECT_THAT(request.Header("X-Amz-Target"), Optional(std::string("DynamoDB_20120810.GetItem")));
  EXPECT_THAT(request.Header("Content-Type"), Optional(std::string("application/x-amz-json-1.0")));
  const std::string date = request.Header("X-Amz-Date").value_or("");
  ASSERT_THAT(date, MatchesRegex("[0-9]{8}T[0-9]{6}Z"));
  const std::string authorization = request.Header("Authorization").value_or("");
  EXPECT_THAT(authorization,
              MatchesRegex(absl::StrCat("AWS4-HMAC-SHA256 Credential=", kAccessKey, "/", date.substr(0, 8), "/",
                                        kRegion,
                                        "/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=[0-9a-f]{64}")));

  // The signature covers the Host header and body exactly as received.
  const std::optional<absl::Time> parsed = ParseAmzDate(date);
  ASSERT_TRUE(parsed.has_value()) << date;
  const absl::Time signed_at = *parsed;
  EXPECT_LT(absl::AbsDuration(absl::Now() - signed_at), absl::Minutes(1));
  SigV4Signer signer(AwsCredentials{kAccessKey, kSecret, ""}, kRegion);
  auto expected = signer.Sign("POST", request.Header("Host").value_or(""), "/", "", request.body, signed_at);
  ASSERT_TRUE(expected.ok());
  EXPECT_EQ(authorization, expected->authorization);
  EXPECT_EQ(request.Header("Host"), absl::StrCat("127.0.0.1:", server.port()));
}

TEST_F(BackendClientTest, CompressedBodyArrivesGzippedAndTheSignatureCoversTheCompressedBytes) {
  FakeHttpServer server;
  BackendClientOptions options = TestOptions();
  options.compress_requests = true;
  options.compression_threshold = 1024;
  BackendClient& client = Client({server.url()}, options);

  std::string items;
  for (int i = 0; i < 100; ++i) absl::StrAppend(&items, i ? "," : "", R"({"PutRequest":{"Item":{"pk":{"S":"key)", i, R"("}}}})");
  const std::string large = absl::StrCat(R"({"RequestItems":{"t":[)", items, "]}}");
  ASSERT_GE(large.size(), 1024u);
  model::BackendCall big = Write(large);
  big.operation = "BatchWriteItem";
  Outcome first, second;
  Run(client, big, first);
  ASSERT_TRUE(first.Await());
  EXPECT_TRUE(first.ok());
  const std::string small = R"({"TableName":"t","Item":{"pk":{"S":"a"}}})";
  Run(client, Write(small), second);
  ASSERT_TRUE(second.Await());
  EXPECT_TRUE(second.ok());
  first.ExpectDoneOnce();
  second.ExpectDoneOnce();

  const std::vector<RecordedRequest> requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  const RecordedRequest& compressed = requests[0];
  EXPECT_THAT(compressed.Header("Content-Encoding"), Optional(std::string("gzip")));
  EXPECT_LT(compressed.body.size(), large.size());
  auto decoded = DecodeContent("gzip", compressed.body, 1 << 20);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, large);
  EXPECT_THAT(compressed.HeaderNames(), ElementsAre("authorization", "content-encoding", "content-length",
                                                    "content-type", "host", "x-amz-date", "x-amz-target"));
  const std::optional<absl::Time> signed_at = ParseAmzDate(compressed.Header("X-Amz-Date").value_or(""));
  ASSERT_TRUE(signed_at.has_value());
  SigV4Signer signer(AwsCredentials{kAccessKey, kSecret, ""}, kRegion);
  auto over_compressed = signer.Sign("POST", *compressed.Header("Host"), "/", "", compressed.body, *signed_at);
  auto over_plain = signer.Sign("POST", *compressed.Header("Host"), "/", "", large, *signed_at);
  ASSERT_TRUE(over_compressed.ok() && over_plain.ok());
  EXPECT_EQ(compressed.Header("Authorization"), over_compressed->authorization);
  EXPECT_NE(compressed.Header("Authorization"), over_plain->authorization);

  // Below the threshold: sent as is.
  EXPECT_EQ(requests[1].Header("Content-Encoding"), std::nullopt);
  EXPECT_EQ(requests[1].body, small);
}

TEST_F(BackendClientTest, ReadGoesToTheNextNodeWhenTheFirstRefuses) {
  RefusingPort refusing;
  FakeHttpServer server;
  ASSERT_TRUE(refusing.ok() && server.ok());
  BackendClient& client = Client({refusing.url(), server.url()});
  Outcome outcome;
  Run(client, Read(), outcome);
  ASSERT_TRUE(outcome.Await());
  ASSERT_TRUE(outcome.ok()) << outcome.error()->message();
  EXPECT_EQ(outcome.stats().attempts, 2);
  EXPECT_EQ(outcome.stats().last_node, server.url());
  EXPECT_EQ(server.request_count(), 1u);
  outcome.ExpectDoneOnce();
}

TEST_F(BackendClientTest, WriteGoesToTheNextNodeWhenTheFirstRefuses) {
  RefusingPort refusing;
  FakeHttpServer server;
  ASSERT_TRUE(refusing.ok() && server.ok());
  BackendClient& client = Client({refusing.url(), server.url()});
  Outcome outcome;
  Run(client, Write(), outcome);
  ASSERT_TRUE(outcome.Await());
  ASSERT_TRUE(outcome.ok()) << outcome.error()->message();
  EXPECT_EQ(outcome.stats().attempts, 2);
  EXPECT_EQ(server.request_count(), 1u);
  // The node that answered got a signature for its own Host.
  const RecordedRequest request = server.requests().at(0);
  EXPECT_EQ(request.Header("Host"), absl::StrCat("127.0.0.1:", server.port()));
  outcome.ExpectDoneOnce();
}

TEST_F(BackendClientTest, NodesSharingAPortOnDifferentAddresses) {
  auto servers = ::altgw::testing::MakeServersOnSharedPort(2);
  ASSERT_EQ(servers.size(), 2u);
  servers[0]->Enqueue(Reply::Status(500, ErrorBody("InternalServerError")));
  BackendClient& client = Client({servers[0]->url(), servers[1]->url()});
  Outcome outcome;
  Run(client, Read(), outcome);
  ASSERT_TRUE(outcome.Await());
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(servers[1]->requests().at(0).Header("Host"), absl::StrCat("127.0.0.2:", servers[1]->port()));
  outcome.ExpectDoneOnce();
}

TEST_F(BackendClientTest, ReadAnswered500IsRetriedOnTheNextNode) {
  FakeHttpServer first, second;
  first.Enqueue(Reply::Status(500, ErrorBody("InternalServerError", "timeout")));
  second.Enqueue(Reply::Ok(R"({"Item":{}})"));
  BackendClient& client = Client({first.url(), second.url()});
  Outcome outcome;
  Run(client, Read(), outcome);
  ASSERT_TRUE(outcome.Await());
  ASSERT_TRUE(outcome.ok()) << outcome.error()->message();
  EXPECT_EQ(first.request_count(), 1u);
  EXPECT_EQ(second.request_count(), 1u);
  EXPECT_EQ(outcome.stats().attempts, 2);
  EXPECT_EQ(outcome.stats().last_node, second.url());
  outcome.ExpectDoneOnce();
}

TEST_F(BackendClientTest, ReadAnswered500EverywhereIsReadFailed) {
  FakeHttpServer first, second;
  first.SetHandler([](const RecordedRequest&) { return Reply::Status(500, ErrorBody("InternalServerError")); });
  second.SetHandler([](const RecordedRequest&) { return Reply::Status(500, ErrorBody("InternalServerError")); });
  BackendClient& client = Client({first.url(), second.url()});
  Outcome outcome;
  Run(client, Read(), outcome);
  ASSERT_TRUE(outcome.Await());
  EXPECT_EQ(outcome.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(outcome.reason(), "BACKEND_READ_FAILED");
  EXPECT_EQ(first.request_count() + second.request_count(), 2u);
  outcome.ExpectDoneOnce();
}

TEST_F(BackendClientTest, WriteAnswered500IsOutcomeUnknownAndNeverRetried) {
  FakeHttpServer first, second;
  first.SetHandler([](const RecordedRequest&) { return Reply::Status(500, ErrorBody("InternalServerError")); });
  second.SetHandler([](const RecordedRequest&) { return Reply::Status(500, ErrorBody("InternalServerError")); });
  BackendClient& client = Client({first.url(), second.url()});
  Outcome outcome;
  Run(client, Write(), outcome);
  ASSERT_TRUE(outcome.Await());
  EXPECT_EQ(outcome.code(), absl::StatusCode::kUnknown);
  EXPECT_EQ(outcome.reason(), "WRITE_OUTCOME_UNKNOWN");
  EXPECT_EQ(outcome.stats().attempts, 1);
  outcome.ExpectDoneOnce();
  EXPECT_EQ(first.request_count() + second.request_count(), 1u);
}

TEST_F(BackendClientTest, WriteTimingOutAfterBeingSentIsOutcomeUnknown) {
  FakeHttpServer first, second;
  first.SetHandler([](const RecordedRequest&) { return Reply::Ok("{}").After(absl::Seconds(3)); });
  BackendClientOptions options = TestOptions();
  options.attempt_timeout = absl::Milliseconds(200);
  BackendClient& client = Client({first.url(), second.url()}, options);
  Outcome outcome;
  const absl::Time start = absl::Now();
  Run(client, Write(), outcome);
  ASSERT_TRUE(outcome.Await());
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(190));
  EXPECT_EQ(outcome.code(), absl::StatusCode::kUnknown);
  EXPECT_EQ(outcome.reason(), "WRITE_OUTCOME_UNKNOWN");
  outcome.ExpectDoneOnce();
  EXPECT_EQ(first.request_count(), 1u);
  EXPECT_EQ(second.request_count(), 0u);
}

TEST_F(BackendClientTest, WriteWhoseConnectionIsLostIsOutcomeUnknown) {
  FakeHttpServer first, second;
  BackendClient& client = Client({first.url(), second.url()});
  // A first write opens (and keeps) a connection to node 1: a lost reused connection is the case libcurl
  // would quietly resend.
  Outcome warm_up;
  Run(client, Write(), warm_up);
  ASSERT_TRUE(warm_up.Await());
  ASSERT_TRUE(warm_up.ok());
  // The router rotates plans: make the next call's plan start at node 1 again.
  Outcome skip;
  second.Enqueue(Reply::Ok("{}"));
  Run(client, Read(), skip);
  ASSERT_TRUE(skip.Await());
  ASSERT_EQ(skip.stats().last_node, second.url());

  first.Enqueue(Reply::Close());
  Outcome outcome;
  Run(client,
      ConditionalWrite(
          R"j({"TableName":"t","Item":{"pk":{"S":"once"}},"ConditionExpression":"attribute_not_exists(pk)"})j"),
      outcome);
  ASSERT_TRUE(outcome.Await());
  EXPECT_EQ(outcome.code(), absl::StatusCode::kUnknown);
  EXPECT_EQ(outcome.reason(), "WRITE_OUTCOME_UNKNOWN");
  outcome.ExpectDoneOnce();
  EXPECT_EQ(first.request_count(), 2u);   // warm-up + the write, once (libcurl may dial again, but
                                          // sends nothing on the new connection)
  EXPECT_EQ(second.request_count(), 1u);  // only the read
  const std::vector<RecordedRequest> requests = first.requests();
  EXPECT_EQ(requests[0].connection, requests[1].connection) << "the write did not use the kept-alive connection";
}

TEST_F(BackendClientTest, ReadTimingOutGoesToTheNextNode) {
  FakeHttpServer first, second;
  first.SetHandler([](const RecordedRequest&) { return Reply::Ok("{}").After(absl::Seconds(3)); });
  second.Enqueue(Reply::Ok(R"({"Count":0})"));
  BackendClientOptions options = TestOptions();
  options.attempt_timeout = absl::Milliseconds(200);
  BackendClient& client = Client({first.url(), second.url()}, options);
  Outcome outcome;
  Run(client, Read(), outcome);
  ASSERT_TRUE(outcome.Await());
  ASSERT_TRUE(outcome.ok()) << outcome.error()->message();
  EXPECT_EQ(outcome.value()["Count"], 0);
  EXPECT_EQ(outcome.stats().attempts, 2);
  EXPECT_EQ(first.request_count(), 1u);
  EXPECT_EQ(second.request_count(), 1u);
  outcome.ExpectDoneOnce();
}

TEST_F(BackendClientTest, AllNodesRefusingIsUnavailableWithRetryInfo) {
  RefusingPort a, b;
  ASSERT_TRUE(a.ok() && b.ok());
  BackendClient& client = Client({a.url(), b.url()});
  for (model::BackendCall call : {Read(), Write()}) {
    Outcome outcome;
    Run(client, call, outcome);
    ASSERT_TRUE(outcome.Await());
    EXPECT_EQ(outcome.code(), absl::StatusCode::kUnavailable);
    EXPECT_EQ(outcome.reason(), "BACKEND_UNAVAILABLE");
    ASSERT_TRUE(outcome.error().has_value());
    EXPECT_TRUE(outcome.error()->retry_delay().has_value());
    EXPECT_TRUE(HasRetryInfo(*outcome.error()));
    EXPECT_EQ(outcome.stats().attempts, 2);
    outcome.ExpectDoneOnce();
  }
}

TEST_F(BackendClientTest, ThrottlingIsRetriedAfterGrowingBackoff) {
  FakeHttpServer server;
  server.Enqueue(Reply::Status(400, ErrorBody("RequestLimitExceeded")));
  server.Enqueue(Reply::Status(400, ErrorBody("ProvisionedThroughputExceededException")));
  server.Enqueue(Reply::Ok(R"({"Item":{}})"));
  BackendClientOptions options = TestOptions();
  options.backoff_base = absl::Milliseconds(60);
  options.backoff_cap = absl::Seconds(1);
  BackendClient& client = Client({server.url()}, options);
  Outcome outcome;
  Run(client, Read(), outcome);
  ASSERT_TRUE(outcome.Await());
  ASSERT_TRUE(outcome.ok()) << outcome.error()->message();
  EXPECT_EQ(outcome.stats().attempts, 3);
  outcome.ExpectDoneOnce();
  const std::vector<RecordedRequest> requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);
  // base * 2^(n-1) with ±50% jitter: the first wait is 30-90 ms, the second 60-180 ms.
  const absl::Duration first_wait = requests[1].received - requests[0].received;
  const absl::Duration second_wait = requests[2].received - requests[1].received;
  EXPECT_GE(first_wait, absl::Milliseconds(29));
  EXPECT_LT(first_wait, absl::Milliseconds(90 + 60));
  EXPECT_GE(second_wait, absl::Milliseconds(59));
  EXPECT_LT(second_wait, absl::Milliseconds(180 + 60));
  // Every attempt is signed afresh and carries the same body.
  EXPECT_EQ(requests[0].body, requests[2].body);
}

TEST_F(BackendClientTest, ThrottlingMovesToTheNextNodeWhenThereIsOne) {
  FakeHttpServer first, second;
  first.Enqueue(Reply::Status(400, ErrorBody("ThrottlingException")));
  BackendClient& client = Client({first.url(), second.url()});
  Outcome outcome;
  Run(client, Write(), outcome);
  ASSERT_TRUE(outcome.Await());
  ASSERT_TRUE(outcome.ok()) << outcome.error()->message();
  EXPECT_EQ(first.request_count(), 1u);
  EXPECT_EQ(second.request_count(), 1u);
  EXPECT_EQ(outcome.stats().last_node, second.url());
  outcome.ExpectDoneOnce();
}

TEST_F(BackendClientTest, EndlessThrottlingIsResourceExhaustedAfterMaxAttempts) {
  FakeHttpServer server;
  server.SetHandler([](const RecordedRequest&) { return Reply::Status(400, ErrorBody("RequestLimitExceeded")); });
  BackendClientOptions options = TestOptions();
  options.max_attempts = 4;
  BackendClient& client = Client({server.url()}, options);
  Outcome outcome;
  Run(client, Write(), outcome);
  ASSERT_TRUE(outcome.Await());
  EXPECT_EQ(outcome.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(outcome.reason(), "BACKEND_THROTTLED");
  ASSERT_TRUE(outcome.error().has_value());
  EXPECT_TRUE(HasRetryInfo(*outcome.error()));
  EXPECT_EQ(outcome.stats().attempts, 4);
  outcome.ExpectDoneOnce();
  EXPECT_EQ(server.request_count(), 4u);
}

TEST_F(BackendClientTest, ThrottlingStopsWhenTheBackoffWouldPassTheDeadline) {
  FakeHttpServer server;
  server.SetHandler([](const RecordedRequest&) { return Reply::Status(400, ErrorBody("RequestLimitExceeded")); });
  BackendClientOptions options = TestOptions();
  options.backoff_base = absl::Seconds(2);
  options.backoff_cap = absl::Seconds(2);
  BackendClient& client = Client({server.url()}, options);
  Outcome outcome;
  const absl::Time start = absl::Now();
  Run(client, Read(), outcome, absl::Milliseconds(500));
  ASSERT_TRUE(outcome.Await());
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(400));
  EXPECT_EQ(outcome.reason(), "BACKEND_THROTTLED");
  EXPECT_EQ(server.request_count(), 1u);
  outcome.ExpectDoneOnce();
}

TEST_F(BackendClientTest, DeadlineTooShortFailsWithoutSendingAnything) {
  FakeHttpServer server;
  BackendClient& client = Client({server.url()});  // deadline_margin is 5 ms
  Outcome outcome;
  Run(client, Write(), outcome, absl::Milliseconds(2));
  ASSERT_TRUE(outcome.Await());
  EXPECT_EQ(outcome.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(outcome.reason(), "DEADLINE_EXCEEDED");
  EXPECT_EQ(outcome.stats().attempts, 0);
  // `done` runs on the scheduler, not inside Execute().
  EXPECT_NE(outcome.thread(), std::this_thread::get_id());
  outcome.ExpectDoneOnce();
  EXPECT_EQ(server.request_count(), 0u);
  EXPECT_EQ(server.connections_accepted(), 0);
}

TEST_F(BackendClientTest, ReadTimingOutAtTheDeadlineIsDeadlineExceeded) {
  FakeHttpServer first, second;
  first.SetHandler([](const RecordedRequest&) { return Reply::Ok("{}").After(absl::Seconds(3)); });
  BackendClient& client = Client({first.url(), second.url()});
  Outcome outcome;
  Run(client, Read(), outcome, absl::Milliseconds(250));
  ASSERT_TRUE(outcome.Await());
  EXPECT_EQ(outcome.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(second.request_count(), 0u);
  outcome.ExpectDoneOnce();
}

TEST_F(BackendClientTest, CancelDuringASlowRequestIsPromptAndDropsTheConnection) {
  FakeHttpServer server;
  server.Enqueue(Reply::Ok("{}").After(absl::Seconds(5)));
  BackendClient& client = Client({server.url()});
  Outcome outcome;
  auto handle = Run(client, Write(), outcome);
  ASSERT_TRUE(server.WaitForRequests(1, absl::Seconds(2)));
  const absl::Time cancelled_at = absl::Now();
  handle->Cancel();
  ASSERT_TRUE(outcome.Await(absl::Seconds(2)));
  EXPECT_LT(absl::Now() - cancelled_at, absl::Milliseconds(200));
  EXPECT_EQ(outcome.code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(outcome.reason(), "CANCELLED");
  EXPECT_TRUE(server.WaitForClientDrops(1, absl::Seconds(2)));
  handle->Cancel();  // again: harmless
  handle.reset();
  outcome.ExpectDoneOnce();
}

TEST_F(BackendClientTest, CancelAfterCompletionChangesNothing) {
  FakeHttpServer server;
  BackendClient& client = Client({server.url()});
  Outcome outcome;
  auto handle = Run(client, Read(), outcome);
  ASSERT_TRUE(outcome.Await());
  handle->Cancel();
  handle.reset();
  outcome.ExpectDoneOnce();
  EXPECT_TRUE(outcome.ok());
}

// The callback (and what it captured) is destroyed once it ran, even while the caller keeps the handle:
// a callback that captures the handle's holder (as the gRPC layer's does) would otherwise form a cycle.
TEST_F(BackendClientTest, CallbackIsReleasedOnceItRanWhileTheHandleIsHeld) {
  FakeHttpServer server;
  server.Enqueue(Reply::Status(500, ErrorBody("InternalServerError")));
  BackendClient& client = Client({server.url()});
  Outcome success, failure;
  auto failed_handle = Run(client, Write(), failure);
  ASSERT_TRUE(failure.Await());
  auto handle = Run(client, Read(), success);
  ASSERT_TRUE(success.Await());
  success.ExpectDoneOnce();
  failure.ExpectDoneOnce();
  EXPECT_TRUE(handle != nullptr && failed_handle != nullptr);
}

TEST_F(BackendClientTest, ConditionFailureCarriesTheCurrentItemWhenAskedFor) {
  FakeHttpServer server;
  const std::string answer = R"({"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",)"
                             R"("message":"The conditional request failed","Item":{"pk":{"S":"a"},"v":{"N":"7"}}})";
  server.SetHandler([&](const RecordedRequest&) { return Reply::Status(400, answer); });
  BackendClient& client = Client({server.url()});
  model::BackendCall call = Write();
  call.conditional = true;
  call.condition_check = model::ConditionCheckInfo{call.table, "", std::nullopt, true, true};
  Outcome outcome;
  Run(client, call, outcome);
  ASSERT_TRUE(outcome.Await());
  EXPECT_EQ(outcome.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(outcome.reason(), "CONDITION_FAILED");
  ASSERT_TRUE(outcome.error().has_value());
  std::optional<v1::ConditionFailure> failure;
  const google::rpc::Status status = outcome.error()->ToRpcStatus();
  for (const auto& detail : status.details()) {
    if (detail.Is<v1::ConditionFailure>()) detail.UnpackTo(&failure.emplace());
  }
  ASSERT_TRUE(failure.has_value());
  EXPECT_TRUE(failure->item_exists());
  ASSERT_EQ(failure->item().count("pk"), 1u);
  EXPECT_EQ(failure->item().at("pk").string_value(), "a");
  EXPECT_EQ(failure->item().count("v"), 1u);
  EXPECT_EQ(server.request_count(), 1u);
  outcome.ExpectDoneOnce();

  // Without the flag: the same error, no item.
  call.condition_check = model::ConditionCheckInfo{call.table, "", std::nullopt, false, true};
  Outcome plain;
  Run(client, call, plain);
  ASSERT_TRUE(plain.Await());
  EXPECT_EQ(plain.reason(), "CONDITION_FAILED");
  ASSERT_TRUE(plain.error().has_value());
  const google::rpc::Status plain_status = plain.error()->ToRpcStatus();
  for (const auto& detail : plain_status.details()) EXPECT_FALSE(detail.Is<v1::ConditionFailure>());
  plain.ExpectDoneOnce();
}

TEST_F(BackendClientTest, NonJsonSuccessBodyIsBackendError) {
  FakeHttpServer server;
  server.Enqueue(Reply::Ok("<html>proxy error</html>"));
  server.Enqueue(Reply::Ok(R"(["not","an","object"])"));
  BackendClient& client = Client({server.url()});
  for (int i = 0; i < 2; ++i) {
    Outcome outcome;
    Run(client, Read(), outcome);
    ASSERT_TRUE(outcome.Await());
    EXPECT_EQ(outcome.code(), absl::StatusCode::kInternal);
    EXPECT_EQ(outcome.reason(), "BACKEND_ERROR");
    outcome.ExpectDoneOnce();
  }
  EXPECT_EQ(server.request_count(), 2u);
}

TEST_F(BackendClientTest, ValidationErrorIsNotRetried) {
  FakeHttpServer first, second;
  first.Enqueue(Reply::Status(400, ErrorBody("ValidationException", "bad key")));
  BackendClient& client = Client({first.url(), second.url()});
  Outcome outcome;
  Run(client, Read(), outcome);
  ASSERT_TRUE(outcome.Await());
  EXPECT_EQ(outcome.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(second.request_count(), 0u);
  outcome.ExpectDoneOnce();
}

TEST_F(BackendClientTest, ManyConcurrentCallsEachFinishOnce) {
  auto servers = ::altgw::testing::MakeServersOnSharedPort(3);
  ASSERT_EQ(servers.size(), 3u);
  servers[1]->SetHandler([](const RecordedRequest&) { return Reply::Status(500, ErrorBody("InternalServerError")); });
  BackendClient& client = Client({servers[0]->url(), servers[1]->url(), servers[2]->url()});
  constexpr int kCalls = 150;
  std::vector<std::unique_ptr<Outcome>> outcomes(kCalls);
  std::vector<std::shared_ptr<BackendCallHandle>> handles(kCalls);
  for (int i = 0; i < kCalls; ++i) {
    outcomes[i] = std::make_unique<Outcome>();
    handles[i] = Run(client, i % 2 ? Read() : Write(), *outcomes[i]);
  }
  for (int i = 0; i < kCalls; i += 5) handles[i]->Cancel();
  handles.clear();
  for (int i = 0; i < kCalls; ++i) {
    ASSERT_TRUE(outcomes[i]->Await()) << i;
    if (i % 5 == 0) continue;  // cancelled: any outcome
    if (i % 2) {
      EXPECT_TRUE(outcomes[i]->ok()) << i;  // reads answered 500 move on
    } else {
      EXPECT_TRUE(outcomes[i]->ok() || outcomes[i]->reason() == "WRITE_OUTCOME_UNKNOWN") << i;
    }
    outcomes[i]->ExpectDoneOnce();
  }
  for (int i = 0; i < kCalls; i += 5) outcomes[i]->ExpectDoneOnce();
}

// --- Against a scripted HttpTransport: exact control over when and how each attempt completes. ---

class ScriptedTransport final : public HttpTransport {
 public:
  struct Entry {
    HttpRequest request;
    HttpCallback done;
    bool completed = false;
    int cancels = 0;
  };

  class Exchange final : public HttpExchange {
   public:
    Exchange(ScriptedTransport* transport, size_t index) : transport_(transport), index_(index) {}
    void Cancel() override { transport_->OnCancel(index_); }

   private:
    ScriptedTransport* transport_;
    size_t index_;
  };

  // Runs inside Start() (on the caller's thread) before it returns, with the new exchange's index.
  std::function<void(size_t)> on_start;
  // When set, Cancel() completes the exchange with kCancelled on a new thread, like a real transport.
  bool complete_on_cancel = true;

  std::shared_ptr<HttpExchange> Start(HttpRequest request, HttpCallback done) override {
    size_t index;
    {
      absl::MutexLock lock(&mu_);
      index = entries_.size();
      entries_.push_back(std::make_unique<Entry>(Entry{std::move(request), std::move(done)}));
    }
    if (on_start) on_start(index);
    return std::make_shared<Exchange>(this, index);
  }

  // Completes exchange `index` on the calling thread. False if it was already complete.
  bool Complete(size_t index, HttpResponse response) {
    HttpCallback done;
    {
      absl::MutexLock lock(&mu_);
      Entry& entry = *entries_.at(index);
      if (entry.completed) return false;
      entry.completed = true;
      done = std::move(entry.done);
    }
    std::move(done)(std::move(response));
    return true;
  }

  size_t started() {
    absl::MutexLock lock(&mu_);
    return entries_.size();
  }
  HttpRequest request(size_t index) {
    absl::MutexLock lock(&mu_);
    return entries_.at(index)->request;
  }
  int cancels(size_t index) {
    absl::MutexLock lock(&mu_);
    return entries_.at(index)->cancels;
  }
  bool WaitForStarted(size_t count, absl::Duration timeout) {
    auto reached = [this, count]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return entries_.size() >= count; };
    const bool ok = mu_.LockWhenWithTimeout(absl::Condition(&reached), timeout);
    mu_.Unlock();
    return ok;
  }

  ~ScriptedTransport() override {
    for (auto& thread : threads_) thread.join();
  }

 private:
  void OnCancel(size_t index) {
    {
      absl::MutexLock lock(&mu_);
      ++entries_.at(index)->cancels;
      if (!complete_on_cancel) return;
    }
    absl::MutexLock lock(&threads_mu_);
    threads_.emplace_back([this, index] {
      HttpResponse response;
      response.outcome = HttpResponse::Outcome::kCancelled;
      response.request_sent = true;
      Complete(index, std::move(response));
    });
  }

  absl::Mutex mu_;
  std::vector<std::unique_ptr<Entry>> entries_ ABSL_GUARDED_BY(mu_);
  absl::Mutex threads_mu_;
  std::vector<std::thread> threads_ ABSL_GUARDED_BY(threads_mu_);
};

HttpResponse Answer(int status, std::string body) {
  HttpResponse response;
  response.outcome = HttpResponse::Outcome::kResponse;
  response.request_sent = true;
  response.status = status;
  response.body = std::move(body);
  return response;
}

HttpResponse Failure(HttpResponse::Outcome outcome, bool sent) {
  HttpResponse response;
  response.outcome = outcome;
  response.request_sent = sent;
  response.error = "scripted";
  return response;
}

class BackendClientScriptedTest : public ::testing::Test {
 protected:
  BackendClient& Client(int nodes, BackendClientOptions options = TestOptions()) {
    std::vector<std::string> endpoints;
    for (int i = 0; i < nodes; ++i) endpoints.push_back(absl::StrCat("http://127.0.0.", i + 1, ":8000"));
    router_ = std::make_unique<testing::FixedRouter>(endpoints);
    client_ = std::make_unique<BackendClient>(transport_, *router_, scheduler_, std::move(options));
    return *client_;
  }

  Scheduler scheduler_;
  ScriptedTransport transport_;
  std::unique_ptr<testing::FixedRouter> router_;
  std::unique_ptr<BackendClient> client_;
};

TEST_F(BackendClientScriptedTest, CancelDuringTheBackoffWaitIsPromptAndSendsNothingMore) {
  BackendClientOptions options = TestOptions();
  options.backoff_base = absl::Milliseconds(300);
  options.backoff_cap = absl::Milliseconds(300);
  BackendClient& client = Client(1, options);
  Outcome outcome;
  auto handle = client.Execute(Read(), absl::Now() + absl::Seconds(10), outcome.Callback());
  ASSERT_EQ(transport_.started(), 1u);
  // The throttled answer: the call is now waiting 150-450 ms before its next attempt.
  transport_.Complete(0, Answer(400, ErrorBody("RequestLimitExceeded")));
  const absl::Time cancelled_at = absl::Now();
  handle->Cancel();
  ASSERT_TRUE(outcome.Await(absl::Seconds(2)));
  EXPECT_LT(absl::Now() - cancelled_at, absl::Milliseconds(100));
  EXPECT_EQ(outcome.reason(), "CANCELLED");
  EXPECT_NE(outcome.thread(), std::this_thread::get_id()) << "done ran inside Cancel()";
  handle.reset();
  outcome.ExpectDoneOnce();
  // The scheduler runs tasks in time order: once a marker due after the longest possible backoff
  // (450 ms) has run, so has the backoff task, and it must not have started another attempt.
  absl::Notification marker;
  scheduler_.RunAfter(absl::Milliseconds(500), [&marker] { marker.Notify(); });
  ASSERT_TRUE(marker.WaitForNotificationWithTimeout(absl::Seconds(2)));
  EXPECT_EQ(transport_.started(), 1u);
}

TEST_F(BackendClientScriptedTest, CancelBeforeTheFirstAnswerCancelsTheExchange) {
  BackendClient& client = Client(2);
  Outcome outcome;
  auto handle = client.Execute(Write(), absl::Now() + absl::Seconds(10), outcome.Callback());
  handle->Cancel();
  ASSERT_TRUE(outcome.Await());
  EXPECT_EQ(outcome.reason(), "CANCELLED");
  EXPECT_EQ(transport_.cancels(0), 1);
  handle.reset();
  outcome.ExpectDoneOnce();
  EXPECT_EQ(transport_.started(), 1u);
}

// Attempt 1's Start() returns only after attempts 2 and 3 have started on other threads (a slow caller
// thread, fast transport threads). Cancel() must still reach the running attempt 3, not attempt 1's
// finished exchange.
TEST_F(BackendClientScriptedTest, CancelReachesTheCurrentAttemptWhenAnEarlierStartReturnsLate) {
  BackendClient& client = Client(3);
  transport_.on_start = [this](size_t index) {
    if (index >= 2) return;
    std::thread([this, index] { transport_.Complete(index, Failure(HttpResponse::Outcome::kNotSent, false)); })
        .join();
  };
  Outcome outcome;
  auto handle = client.Execute(Read(), absl::Now() + absl::Seconds(10), outcome.Callback());
  ASSERT_EQ(transport_.started(), 3u);
  handle->Cancel();
  EXPECT_EQ(transport_.cancels(2), 1) << "the running attempt was not cancelled";
  ASSERT_TRUE(outcome.Await(absl::Seconds(2)));
  EXPECT_EQ(outcome.reason(), "CANCELLED");
  handle.reset();
  outcome.ExpectDoneOnce();
}

TEST_F(BackendClientScriptedTest, TransportShutdownIsNotReportedAsTheCallersCancellation) {
  BackendClient& client = Client(2);
  Outcome write, read, unsent_write;
  client.Execute(Write(), absl::Now() + absl::Seconds(10), write.Callback());
  client.Execute(Read(), absl::Now() + absl::Seconds(10), read.Callback());
  client.Execute(Write(), absl::Now() + absl::Seconds(10), unsent_write.Callback());
  ASSERT_EQ(transport_.started(), 3u);
  transport_.Complete(0, Failure(HttpResponse::Outcome::kCancelled, true));
  transport_.Complete(1, Failure(HttpResponse::Outcome::kCancelled, true));
  transport_.Complete(2, Failure(HttpResponse::Outcome::kCancelled, false));
  ASSERT_TRUE(write.Await() && read.Await() && unsent_write.Await());
  EXPECT_EQ(write.reason(), "WRITE_OUTCOME_UNKNOWN");
  EXPECT_EQ(read.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(unsent_write.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(transport_.started(), 3u);  // no retry into a transport that is going away
  write.ExpectDoneOnce();
  read.ExpectDoneOnce();
  unsent_write.ExpectDoneOnce();
}

TEST_F(BackendClientScriptedTest, ConnectionLostReadMovesOnButWriteIsOutcomeUnknown) {
  BackendClient& client = Client(2);
  Outcome read, write;
  client.Execute(Read(), absl::Now() + absl::Seconds(10), read.Callback());
  transport_.Complete(0, Failure(HttpResponse::Outcome::kConnectionLost, true));
  ASSERT_EQ(transport_.started(), 2u);
  transport_.Complete(1, Answer(200, "{}"));
  ASSERT_TRUE(read.Await());
  EXPECT_TRUE(read.ok());

  client.Execute(ConditionalWrite(), absl::Now() + absl::Seconds(10), write.Callback());
  ASSERT_EQ(transport_.started(), 3u);
  transport_.Complete(2, Failure(HttpResponse::Outcome::kConnectionLost, true));
  ASSERT_TRUE(write.Await());
  EXPECT_EQ(write.reason(), "WRITE_OUTCOME_UNKNOWN");
  EXPECT_EQ(transport_.started(), 3u);
  read.ExpectDoneOnce();
  write.ExpectDoneOnce();
}

TEST_F(BackendClientScriptedTest, UnconditionalPutOrDeleteLostAfterSendingGoesToTheNextNode) {
  // Applying a plain put or delete twice leaves the same item: after a lost connection (a node that
  // died under it), it moves on like a read.
  BackendClient& client = Client(3);
  for (const char* operation : {"PutItem", "DeleteItem"}) {
    const size_t first = transport_.started();
    model::BackendCall call = Write();
    call.operation = operation;
    Outcome outcome;
    client.Execute(call, absl::Now() + absl::Seconds(10), outcome.Callback());
    ASSERT_EQ(transport_.started(), first + 1);
    transport_.Complete(first, Failure(HttpResponse::Outcome::kConnectionLost, true));
    ASSERT_EQ(transport_.started(), first + 2) << operation;
    EXPECT_NE(transport_.request(first + 1).url, transport_.request(first).url);
    transport_.Complete(first + 1, Answer(200, "{}"));
    ASSERT_TRUE(outcome.Await());
    EXPECT_TRUE(outcome.ok()) << operation;
    outcome.ExpectDoneOnce();
  }
}

TEST_F(BackendClientScriptedTest, UnconditionalPutLostThenNeverSentElsewhereIsStillOutcomeUnknown) {
  BackendClient& client = Client(2);
  Outcome outcome;
  client.Execute(Write(), absl::Now() + absl::Seconds(10), outcome.Callback());
  transport_.Complete(0, Failure(HttpResponse::Outcome::kConnectionLost, true));
  ASSERT_EQ(transport_.started(), 2u);
  transport_.Complete(1, Failure(HttpResponse::Outcome::kNotSent, false));
  ASSERT_TRUE(outcome.Await());
  // The first copy may have been applied: not UNAVAILABLE ("nothing was applied").
  EXPECT_EQ(outcome.reason(), "WRITE_OUTCOME_UNKNOWN");
  outcome.ExpectDoneOnce();
}

TEST_F(BackendClientScriptedTest, UnconditionalPutTimingOutOrAnswered500IsNotRepeated) {
  BackendClient& client = Client(2);
  Outcome timed_out, failed;
  client.Execute(Write(), absl::Now() + absl::Seconds(10), timed_out.Callback());
  transport_.Complete(0, Failure(HttpResponse::Outcome::kTimedOut, true));
  ASSERT_TRUE(timed_out.Await());
  EXPECT_EQ(timed_out.reason(), "WRITE_OUTCOME_UNKNOWN");
  client.Execute(Write(), absl::Now() + absl::Seconds(10), failed.Callback());
  ASSERT_EQ(transport_.started(), 2u);
  transport_.Complete(1, Answer(500, ErrorBody("InternalServerError")));
  ASSERT_TRUE(failed.Await());
  EXPECT_EQ(failed.reason(), "WRITE_OUTCOME_UNKNOWN");
  EXPECT_EQ(transport_.started(), 2u);
}

TEST_F(BackendClientScriptedTest, AttemptTimeoutIsCappedByTheDeadline) {
  BackendClientOptions options = TestOptions();
  options.attempt_timeout = absl::Seconds(11);
  options.deadline_margin = absl::Milliseconds(5);
  BackendClient& client = Client(1, options);
  Outcome short_call, long_call;
  client.Execute(Read(), absl::Now() + absl::Seconds(2), short_call.Callback());
  client.Execute(Read(), absl::InfiniteFuture(), long_call.Callback());
  ASSERT_EQ(transport_.started(), 2u);
  // min(remaining - margin, attempt_timeout); no deadline means the default deadline (30 s).
  EXPECT_LE(transport_.request(0).timeout, absl::Seconds(2) - absl::Milliseconds(5));
  EXPECT_GT(transport_.request(0).timeout, absl::Milliseconds(1900));
  EXPECT_EQ(transport_.request(1).timeout, absl::Seconds(11));
  EXPECT_TRUE(transport_.request(0).has_body);
  EXPECT_EQ(transport_.request(0).url, "http://127.0.0.1:8000/");
  transport_.Complete(0, Answer(200, "{}"));
  transport_.Complete(1, Answer(200, "{}"));
  ASSERT_TRUE(short_call.Await() && long_call.Await());
  short_call.ExpectDoneOnce();
  long_call.ExpectDoneOnce();
}

TEST_F(BackendClientScriptedTest, ZeroMaxAttemptsStillMakesOneAttempt) {
  BackendClientOptions options = TestOptions();
  options.max_attempts = 0;
  BackendClient& client = Client(2, options);
  Outcome outcome;
  client.Execute(Read(), absl::Now() + absl::Seconds(10), outcome.Callback());
  ASSERT_EQ(transport_.started(), 1u);
  transport_.Complete(0, Failure(HttpResponse::Outcome::kNotSent, false));
  ASSERT_TRUE(outcome.Await());
  EXPECT_EQ(outcome.reason(), "BACKEND_UNAVAILABLE");
  EXPECT_EQ(transport_.started(), 1u);
  outcome.ExpectDoneOnce();
}

// Cancel() racing the completion of the attempt, on another thread, many times: `done` runs exactly once
// every time, with CANCELLED or the answer.
TEST_F(BackendClientScriptedTest, CancelRacingCompletionFinishesOnce) {
  BackendClient& client = Client(2);
  constexpr int kRounds = 300;
  for (int round = 0; round < kRounds; ++round) {
    Outcome outcome;
    auto handle = client.Execute(round % 2 ? Read() : Write(), absl::Now() + absl::Seconds(10), outcome.Callback());
    const size_t index = transport_.started() - 1;
    std::thread completer([&] {
      // NotSent moves a call on to the next node: the cancel may also meet a new attempt.
      if (round % 3 == 0) {
        transport_.Complete(index, Failure(HttpResponse::Outcome::kNotSent, false));
      } else {
        transport_.Complete(index, Answer(200, "{}"));
      }
    });
    handle->Cancel();
    completer.join();
    handle.reset();
    // A retry the cancel did not stop would be waiting for an answer forever: answer everything left.
    for (size_t i = index + 1; i < transport_.started(); ++i) transport_.Complete(i, Answer(200, "{}"));
    ASSERT_TRUE(outcome.Await()) << round;
    EXPECT_TRUE(outcome.ok() || outcome.reason() == "CANCELLED") << round << ": " << outcome.reason();
    outcome.ExpectDoneOnce();
  }
}

}  // namespace
}  // namespace altgw::alternator
