// BackendClient with the real ClusterRouter (static mode, key affinity on) over fake HTTP servers that share
// one port on 127.0.0.1-3, like Alternator nodes: one plan per logical request, the retry rules applied to
// the plan's order, and signing per attempt after compression.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/synchronization/notification.h"
#include "alternator/backend_client.h"
#include "alternator/compression.h"
#include "alternator/curl_transport.h"
#include "alternator/fake_http_server.h"
#include "alternator/sigv4.h"
#include "common/scheduler.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/answers.h"
#include "routing/cluster_router.h"

namespace altgw::alternator {
namespace {

using ::altgw::testing::FakeHttpServer;
using ::altgw::testing::RecordedRequest;
using ::altgw::testing::Reply;

constexpr char kAccessKey[] = "routerrole";
constexpr char kSecret[] = "routersecret";
constexpr char kRegion[] = "us-east-1";

std::string ErrorBody(absl::string_view type) {
  return absl::StrCat(R"({"__type":"com.amazonaws.dynamodb.v20120810#)", type, R"(","message":"scripted"})");
}

// Counts plans, forwards everything to the real router.
class CountingRouter final : public routing::Router {
 public:
  explicit CountingRouter(routing::Router& inner) : inner_(inner) {}
  std::unique_ptr<routing::RoutePlan> Plan(const routing::RouteRequest& request) override {
    ++plans;
    return inner_.Plan(request);
  }
  void Report(const routing::NodeTarget& node, routing::AttemptResult result) override { inner_.Report(node, result); }
  std::atomic<int> plans{0};

 private:
  routing::Router& inner_;
};

// Answers nothing: static mode needs no discovery.
class NoNodeClient final : public routing::NodeClient {
 public:
  void ListLocalNodes(const std::string&, const std::string&, const std::string&, absl::Duration,
                      absl::AnyInvocable<void(routing::LocalNodesAnswer) &&> done) override {
    std::move(done)(routing::LocalNodesAnswer{false, {}, "no /localnodes"});
  }
  void Ping(const std::string&, absl::Duration, absl::AnyInvocable<void(bool) &&> done) override {
    std::move(done)(true);
  }
};

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

// Waits (up to 2 s) until connecting to address:port is refused: StopListening() takes effect on the
// server's own thread.
bool Refuses(const std::string& address, uint16_t port) {
  const absl::Time give_up = absl::Now() + absl::Seconds(2);
  for (;;) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in target{};
    target.sin_family = AF_INET;
    target.sin_port = htons(port);
    inet_pton(AF_INET, address.c_str(), &target.sin_addr);
    const bool connected = connect(fd, reinterpret_cast<sockaddr*>(&target), sizeof(target)) == 0;
    close(fd);
    if (!connected) return true;
    if (absl::Now() > give_up) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
}

struct Result {
  absl::Notification done;
  std::optional<ErrorOr<nlohmann::json>> answer;
  CallStats stats;
};

model::BackendCall Call(const char* operation, model::AccessKind access, const std::string& key,
                        std::string body = "") {
  model::BackendCall call;
  call.operation = operation;
  call.access = access;
  call.table = "t";
  call.body = body.empty() ? absl::StrCat(R"({"TableName":"t","Item":{"pk":{"S":")", key, R"("}}})") : body;
  call.partition_key_type = model::v1::SCALAR_TYPE_STRING;
  call.partition_key = key;
  return call;
}

class RouterBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    servers_ = ::altgw::testing::MakeServersOnSharedPort(3);
    ASSERT_EQ(servers_.size(), 3u);
    routing::RouterConfig config;
    for (auto& server : servers_) config.seeds.push_back(server->url());
    config.discovery = routing::DiscoveryMode::kOff;
    config.affinity = routing::AffinityMode::kAnyWrite;
    router_ = std::make_unique<routing::ClusterRouter>(config, node_client_, scheduler_);
    ASSERT_TRUE(router_->Start(absl::Seconds(1)).ok());
    counting_ = std::make_unique<CountingRouter>(*router_);
  }

  BackendClient& Client(BackendClientOptions options = {}) {
    options.credentials = AwsCredentials{kAccessKey, kSecret, ""};
    options.region = kRegion;
    options.backoff_base = absl::Milliseconds(10);
    options.backoff_cap = absl::Milliseconds(50);
    client_ = std::make_unique<BackendClient>(transport_, *counting_, scheduler_, options);
    return *client_;
  }

  std::shared_ptr<Result> Run(BackendClient& client, model::BackendCall call) {
    auto result = std::make_shared<Result>();
    client.Execute(std::move(call), absl::Now() + absl::Seconds(10),
                   [result](ErrorOr<model::Answer> answer, const CallStats& stats) {
                     result->answer = testing::AnswerJson(std::move(answer));
                     result->stats = stats;
                     result->done.Notify();
                   });
    EXPECT_TRUE(result->done.WaitForNotificationWithTimeout(absl::Seconds(15)));
    return result;
  }

  FakeHttpServer& ServerFor(const std::string& canonical) {
    for (auto& server : servers_) {
      if (server->url() == canonical) return *server;
    }
    ADD_FAILURE() << "no server " << canonical;
    return *servers_[0];
  }

  std::vector<std::string> PlanFor(const model::BackendCall& call) {
    return router_->Explain(routing::RouteRequest::For(call)).endpoints;
  }

  routing::ClusterRouter::NodeStatus Status(const std::string& endpoint) {
    for (auto& node : router_->ListNodes()) {
      if (node.endpoint == endpoint) return node;
    }
    ADD_FAILURE() << "unknown " << endpoint;
    return {};
  }

  Scheduler scheduler_;
  CurlTransport transport_;
  NoNodeClient node_client_;
  std::vector<std::unique_ptr<FakeHttpServer>> servers_;
  std::unique_ptr<routing::ClusterRouter> router_;
  std::unique_ptr<CountingRouter> counting_;
  std::unique_ptr<BackendClient> client_;
};

TEST_F(RouterBackendTest, AffinityWriteGoesToThePreferredNodeOnly) {
  BackendClient& client = Client();
  for (int k = 0; k < 6; ++k) {
    const model::BackendCall call = Call("PutItem", model::AccessKind::kWrite, absl::StrCat("key", k));
    const std::vector<std::string> plan = PlanFor(call);
    ASSERT_EQ(plan.size(), 3u);
    const size_t before = ServerFor(plan[0]).request_count();
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(Run(client, call)->answer->ok());
    EXPECT_EQ(ServerFor(plan[0]).request_count(), before + 3);
  }
  size_t total = 0;
  for (auto& server : servers_) total += server->request_count();
  EXPECT_EQ(total, 18u);
  EXPECT_EQ(counting_->plans.load(), 18);
}

TEST_F(RouterBackendTest, NeverSentWriteMovesAlongItsOnePlan) {
  BackendClient& client = Client();
  const model::BackendCall call = Call("PutItem", model::AccessKind::kWrite, "refused-key");
  const std::vector<std::string> plan = PlanFor(call);
  FakeHttpServer& preferred = ServerFor(plan[0]);
  preferred.StopListening();  // connection refused: nothing sent
  ASSERT_TRUE(Refuses(preferred.address(), preferred.port()));
  auto result = Run(client, call);
  ASSERT_TRUE(result->answer->ok()) << result->answer->error().message();
  EXPECT_EQ(result->stats.attempts, 2);
  EXPECT_EQ(result->stats.last_node, plan[1]);
  EXPECT_EQ(ServerFor(plan[1]).request_count(), 1u);
  EXPECT_EQ(counting_->plans.load(), 1);
  EXPECT_EQ(Status(plan[0]).failures, 1u);
}

TEST_F(RouterBackendTest, ReadRetriesWalkOnePlanAndEachAttemptIsSignedForItsNodeAfterCompression) {
  BackendClientOptions options;
  options.compress_requests = true;
  options.compression_threshold = 256;
  BackendClient& client = Client(options);
  std::string big = R"({"TableName":"t","Key":{"pk":{"S":"k"}},"ProjectionExpression":")";
  for (int i = 0; i < 100; ++i) absl::StrAppend(&big, i ? "," : "", "#a", i);
  absl::StrAppend(&big, R"("})");
  model::BackendCall read = Call("GetItem", model::AccessKind::kRead, "k", big);
  // Every node answers 500: a read moves on, once per node of its plan, then fails.
  for (auto& server : servers_) server->Enqueue(Reply::Status(500, ErrorBody("InternalServerError")));
  auto result = Run(client, read);
  ASSERT_TRUE(result->answer.has_value());
  ASSERT_FALSE(result->answer->ok());
  EXPECT_EQ(result->answer->error().reason_name(), "BACKEND_READ_FAILED");
  EXPECT_EQ(counting_->plans.load(), 1);
  // Three attempts at most, each on another node of the one plan: every node got exactly one.
  EXPECT_EQ(result->stats.attempts, 3);
  SigV4Signer signer(AwsCredentials{kAccessKey, kSecret, ""}, kRegion);
  std::vector<std::string> authorizations;
  for (auto& server : servers_) {
    ASSERT_EQ(server->request_count(), 1u) << server->url();
    const RecordedRequest request = server->requests()[0];
    EXPECT_EQ(request.Header("Content-Encoding"), "gzip");
    EXPECT_EQ(request.Header("Host"), absl::StrCat(server->address(), ":", server->port()));
    // Header minimisation, exactly.
    EXPECT_THAT(request.HeaderNames(),
                ::testing::ElementsAre("authorization", "content-encoding", "content-length", "content-type", "host",
                                       "x-amz-date", "x-amz-target"));
    auto decoded = DecodeContent("gzip", request.body, 1 << 20);
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(*decoded, big);
    const std::string date = request.Header("X-Amz-Date").value_or("");
    std::optional<absl::Time> parsed = ParseAmzDate(date);
    ASSERT_TRUE(parsed.has_value()) << date;
    const absl::Time at = *parsed;
    auto expected = signer.Sign("POST", *request.Header("Host"), "/", "", request.body, at);
    ASSERT_TRUE(expected.ok());
    EXPECT_EQ(request.Header("Authorization"), expected->authorization) << server->url();
    authorizations.push_back(*request.Header("Authorization"));
  }
  EXPECT_NE(authorizations[0], authorizations[1]);
  EXPECT_NE(authorizations[1], authorizations[2]);
}

TEST_F(RouterBackendTest, WriteAnswered500IsOutcomeUnknownSentOnceAndHealthNeutral) {
  BackendClient& client = Client();
  const model::BackendCall call = Call("PutItem", model::AccessKind::kWrite, "w500");
  const std::vector<std::string> plan = PlanFor(call);
  ServerFor(plan[0]).Enqueue(Reply::Status(500, ErrorBody("InternalServerError")));
  auto result = Run(client, call);
  ASSERT_FALSE(result->answer->ok());
  EXPECT_EQ(result->answer->error().reason_name(), "WRITE_OUTCOME_UNKNOWN");
  EXPECT_EQ(result->stats.attempts, 1);
  size_t total = 0;
  for (auto& server : servers_) total += server->request_count();
  EXPECT_EQ(total, 1u);
  EXPECT_EQ(Status(plan[0]).state, routing::NodeState::kActive);
  EXPECT_EQ(Status(plan[0]).failures, 0u);
}

TEST_F(RouterBackendTest, ThrottledWriteBacksOffAndGoesToThePlansNextNode) {
  BackendClient& client = Client();
  const model::BackendCall call = Call("PutItem", model::AccessKind::kWrite, "throttled");
  const std::vector<std::string> plan = PlanFor(call);
  ServerFor(plan[0]).Enqueue(Reply::Status(400, ErrorBody("RequestLimitExceeded")));
  auto result = Run(client, call);
  ASSERT_TRUE(result->answer->ok()) << result->answer->error().message();
  EXPECT_EQ(result->stats.attempts, 2);
  EXPECT_EQ(result->stats.last_node, plan[1]);
  const RecordedRequest first = ServerFor(plan[0]).requests().at(0);
  const RecordedRequest second = ServerFor(plan[1]).requests().at(0);
  EXPECT_GE(second.received - first.received, absl::Milliseconds(5));  // 10 ms base, jitter down to half
  EXPECT_EQ(counting_->plans.load(), 1);
}

}  // namespace
}  // namespace altgw::alternator
