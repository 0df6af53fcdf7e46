// The gateway's operational behaviour, end to end through gRPC and the admin port, against a stand-in
// database endpoint (a real HTTP server on 127.0.0.1 that can be stopped, delayed and scripted):
// readiness with damping and liveness, the Watch stream, load shedding, drain deadlines, message size
// and connection age limits.
#include <grpcpp/grpcpp.h>
#include <httplib.h>

#include <thread>

#include "alternator/gateway/v1/data_service.grpc.pb.h"
#include "alternator/gateway/v1/routing_service.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "service/gateway_server.h"
#include "service/stand_in_backend.h"
#include "support/gateway_harness.h"

namespace altgw::service {
namespace {

namespace v1 = ::alternator::gateway::v1;
namespace health = ::grpc::health::v1;
using testing::DecodeError;
using testing::StandInBackend;

constexpr char kSchema[] = R"({"Table":{"TableName":"tbl","TableStatus":"ACTIVE",
  "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],
  "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}]}})";

class GatewayOperationsTest : public ::testing::Test {
 protected:
  void StartGateway(const std::function<void(GatewayConfig&)>& customize = nullptr) {
    GatewayConfig config;
    config.listen_address = "127.0.0.1:0";
    config.admin_listen = "127.0.0.1:0";
    config.backend_endpoints = {backend_.endpoint()};
    config.routing.discovery = routing::DiscoveryMode::kOff;
    config.transactions = GatewayConfig::Transactions::kNative;
    config.readiness_damping = absl::Seconds(1);
    config.readiness_check_interval = absl::Milliseconds(100);
    config.backend.max_attempts = 1;
    if (customize) customize(config);
    auto server = GatewayServer::Start(config);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()), grpc::InsecureChannelCredentials());
    data_ = v1::DataService::NewStub(channel_);
    health_ = health::Health::NewStub(channel_);
  }

  health::HealthCheckResponse::ServingStatus Health(const std::string& name) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
    health::HealthCheckRequest request;
    request.set_service(name);
    health::HealthCheckResponse response;
    const grpc::Status status = health_->Check(&context, request, &response);
    EXPECT_TRUE(status.ok()) << name << ": " << status.error_message();
    return response.status();
  }

  httplib::Result Admin(const std::string& path) {
    httplib::Client client("127.0.0.1", server_->admin_port());
    return client.Get(path.c_str());
  }

  grpc::Status Get(const std::string& table, absl::Duration timeout = absl::Seconds(10)) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
    v1::GetRequest request;
    request.set_table(table);
    (*request.mutable_key())["pk"].set_string_value("k");
    v1::GetResponse response;
    return data_->Get(&context, request, &response);
  }

  grpc::Status Put(const std::string& table, const std::string& value) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    v1::PutRequest request;
    request.set_table(table);
    (*request.mutable_item())["pk"].set_string_value("k");
    (*request.mutable_item())["v"].set_string_value(value);
    v1::PutResponse response;
    return data_->Put(&context, request, &response);
  }

  // Waits until `done` holds (polling), at most `limit`; returns the time it took, or nullopt.
  template <typename Done>
  std::optional<absl::Duration> TimeUntil(Done done, absl::Duration limit, const std::function<void()>& each = nullptr) {
    const absl::Time start = absl::Now();
    while (absl::Now() - start < limit) {
      if (each) each();
      if (done()) return absl::Now() - start;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return std::nullopt;
  }

  StandInBackend backend_;
  std::unique_ptr<GatewayServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::DataService::Stub> data_;
  std::unique_ptr<health::Health::Stub> health_;
};

TEST_F(GatewayOperationsTest, ReadinessFollowsTheDatabaseWithDampingAndLivenessNeverDoes) {
  StartGateway();
  EXPECT_EQ(Health("liveness"), health::HealthCheckResponse::SERVING);
  EXPECT_EQ(Health("readiness"), health::HealthCheckResponse::SERVING);
  EXPECT_EQ(Health(""), health::HealthCheckResponse::SERVING);
  EXPECT_EQ(Health("alternator.gateway.v1.DataService"), health::HealthCheckResponse::SERVING);
  auto ready = Admin("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200);
  EXPECT_EQ(nlohmann::json::parse(ready->body)["status"], "SERVING");

  backend_.Stop();
  bool liveness_always_serving = true;
  auto went_down = TimeUntil([&] { return Health("readiness") == health::HealthCheckResponse::NOT_SERVING; },
                             absl::Seconds(10), [&] {
                               liveness_always_serving &= Health("liveness") == health::HealthCheckResponse::SERVING;
                               auto healthz = Admin("/healthz");
                               liveness_always_serving &= healthz && healthz->status == 200;
                             });
  ASSERT_TRUE(went_down.has_value()) << "readiness never turned NOT_SERVING";
  std::cout << "[figures] readiness NOT_SERVING " << absl::FormatDuration(*went_down)
            << " after the database stopped (damping 1s)\n";
  EXPECT_GE(*went_down, absl::Milliseconds(900));  // not before the damping window
  EXPECT_LE(*went_down, absl::Seconds(3));
  EXPECT_TRUE(liveness_always_serving);
  EXPECT_EQ(Health(""), health::HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(Health("alternator.gateway.v1.TableService"), health::HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(Health("liveness"), health::HealthCheckResponse::SERVING);
  ready = Admin("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 503);
  const auto body = nlohmann::json::parse(ready->body);
  EXPECT_EQ(body["status"], "NOT_SERVING");
  EXPECT_EQ(body["backendUsable"], false);
  EXPECT_EQ(body["draining"], false);

  backend_.Start(backend_.port());
  auto came_back = TimeUntil([&] { return Health("readiness") == health::HealthCheckResponse::SERVING; },
                             absl::Seconds(5));
  ASSERT_TRUE(came_back.has_value()) << "readiness never came back";
  std::cout << "[figures] readiness SERVING again " << absl::FormatDuration(*came_back)
            << " after the database came back (check interval 100ms)\n";
  EXPECT_LE(*came_back, absl::Milliseconds(900));  // at once: no damping on recovery
  ready = Admin("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200);
}

TEST_F(GatewayOperationsTest, AShortBlipDoesNotFlipReadiness) {
  StartGateway([](GatewayConfig& config) { config.readiness_damping = absl::Seconds(3); });
  backend_.Stop();
  bool stayed = true;
  const absl::Time until = absl::Now() + absl::Milliseconds(1500);
  while (absl::Now() < until) {
    stayed &= Health("readiness") == health::HealthCheckResponse::SERVING;
    absl::SleepFor(absl::Milliseconds(50));
  }
  backend_.Start(backend_.port());
  EXPECT_TRUE(stayed);
  absl::SleepFor(absl::Seconds(2));  // past the original window: the outage ended, nothing flips
  EXPECT_EQ(Health("readiness"), health::HealthCheckResponse::SERVING);
}

TEST_F(GatewayOperationsTest, WatchStreamsReadinessChanges) {
  StartGateway();
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
  health::HealthCheckRequest request;
  request.set_service("readiness");
  auto reader = health_->Watch(&context, request);
  health::HealthCheckResponse response;
  ASSERT_TRUE(reader->Read(&response));
  EXPECT_EQ(response.status(), health::HealthCheckResponse::SERVING);
  backend_.Stop();
  ASSERT_TRUE(reader->Read(&response));
  EXPECT_EQ(response.status(), health::HealthCheckResponse::NOT_SERVING);
  backend_.Start(backend_.port());
  ASSERT_TRUE(reader->Read(&response));
  EXPECT_EQ(response.status(), health::HealthCheckResponse::SERVING);
  // Stopping the server ends the stream (it must not hold the shutdown).
  const absl::Time stop = absl::Now();
  server_->Shutdown(absl::Seconds(10));
  EXPECT_LT(absl::Now() - stop, absl::Seconds(2));
  while (reader->Read(&response)) {
  }
  EXPECT_TRUE(reader->Finish().ok());
}

TEST_F(GatewayOperationsTest, CallsBeyondMaxInFlightAreShedWithRetryInfo) {
  backend_.Script("DescribeTable", {200, kSchema, absl::Milliseconds(1500)});
  backend_.Script("GetItem", {200, "{}", absl::ZeroDuration()});
  StartGateway([](GatewayConfig& config) { config.max_in_flight = 2; });
  std::vector<std::thread> slow;
  std::vector<grpc::StatusCode> slow_codes(2);
  for (int i = 0; i < 2; ++i) {
    slow.emplace_back([&, i] { slow_codes[i] = Get("tbl").error_code(); });
  }
  ASSERT_TRUE(TimeUntil([&] { return server_->in_flight_calls() == 2; }, absl::Seconds(5)));
  absl::SleepFor(absl::Milliseconds(200));  // both schema lookups reach the stand-in (it holds them 1.5 s)
  const int64_t posts_before = backend_.posts();
  const absl::Time start = absl::Now();
  const grpc::Status shed = Get("tbl");
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(shed.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << shed.error_message();
  const auto error = DecodeError(shed);
  ASSERT_TRUE(error.info.has_value());
  EXPECT_EQ(error.info->reason(), "OVERLOADED");
  EXPECT_EQ(error.info->domain(), "alternator-gateway");
  EXPECT_EQ(error.info->metadata().at("maxInFlight"), "2");
  ASSERT_TRUE(error.retry.has_value());
  EXPECT_EQ(error.retry->retry_delay().nanos(), 100000000);
  EXPECT_LT(took, absl::Milliseconds(500));  // refused at once, not queued behind the slow calls
  EXPECT_EQ(backend_.posts(), posts_before);  // nothing reached the database
  for (auto& thread : slow) thread.join();
  // The schema lookups finished: both slow calls were served (the stand-in holds no item).
  EXPECT_EQ(slow_codes[0], grpc::StatusCode::OK);
  EXPECT_EQ(slow_codes[1], grpc::StatusCode::OK);
  // The tracker lets go of a call just after its status is sent.
  EXPECT_TRUE(TimeUntil([&] { return server_->in_flight_calls() == 0; }, absl::Seconds(2)));
  EXPECT_TRUE(Get("tbl").ok());  // room again
  const std::string metrics = server_->metrics_text();
  EXPECT_NE(metrics.find(R"(altgw_shed_calls_total{grpc_method="alternator.gateway.v1.DataService/Get"} 1)"),
            std::string::npos)
      << metrics;
}

TEST_F(GatewayOperationsTest, DatabaseAttemptsAndRetriesAreCountedByNodeOperationOutcomeAndReason) {
  backend_.Script("DescribeTable", {200, kSchema, absl::ZeroDuration()});
  backend_.Script("GetItem", {400, R"({"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException"})",
                              absl::ZeroDuration()});
  StartGateway([](GatewayConfig& config) { config.backend.max_attempts = 3; });
  // Throttled three times (retried after a backoff on the only node), then reported.
  EXPECT_EQ(Get("tbl").error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  const std::string metrics = server_->metrics_text();
  const std::string node = backend_.endpoint();
  EXPECT_NE(metrics.find(R"(altgw_backend_requests_total{node=")" + node +
                         R"(",operation="GetItem",outcome="4xx"} 3)"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find(R"(altgw_backend_retries_total{reason="throttled"} 2)"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find(R"(grpc_server_call_duration_seconds_count{grpc_method="alternator.gateway.v1.DataService/Get",grpc_status="RESOURCE_EXHAUSTED"} 1)"),
            std::string::npos)
      << metrics;
}

TEST_F(GatewayOperationsTest, ScanStreamsAreShedAndCountedLikeUnaryCalls) {
  backend_.Script("DescribeTable", {200, kSchema, absl::Milliseconds(1000)});
  backend_.Script("GetItem", {200, "{}", absl::ZeroDuration()});
  StartGateway([](GatewayConfig& config) { config.max_in_flight = 1; });
  std::thread slow([&] { EXPECT_TRUE(Get("tbl").ok()); });
  ASSERT_TRUE(TimeUntil([&] { return server_->in_flight_calls() == 1; }, absl::Seconds(5)));
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  v1::ScanRequest request;
  request.set_table("tbl");
  auto reader = data_->Scan(&context, request);
  v1::ScanResponse page;
  EXPECT_FALSE(reader->Read(&page));
  const grpc::Status status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(DecodeError(status).reason(), "OVERLOADED");
  slow.join();
  const std::string metrics = server_->metrics_text();
  EXPECT_NE(metrics.find(R"(altgw_shed_calls_total{grpc_method="alternator.gateway.v1.DataService/Scan"} 1)"),
            std::string::npos)
      << metrics;
}

TEST_F(GatewayOperationsTest, ACallerCancellingAUnaryCallEndsItAndItsDatabaseRequestAtOnce) {
  backend_.Script("DescribeTable", {200, kSchema, absl::ZeroDuration()});
  backend_.Script("GetItem", {200, "{}", absl::Seconds(5)});
  StartGateway();
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
  v1::GetRequest request;
  request.set_table("tbl");
  (*request.mutable_key())["pk"].set_string_value("k");
  v1::GetResponse response;
  grpc::Status status;
  std::thread caller([&] { status = data_->Get(&context, request, &response); });
  // The schema lookup and the GetItem both reached the stand-in, which holds the GetItem for 5 s.
  ASSERT_TRUE(TimeUntil([&] { return server_->in_flight_calls() == 1 && backend_.posts() >= 2; },
                        absl::Seconds(5)));
  const absl::Time cancelled_at = absl::Now();
  context.TryCancel();
  caller.join();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED) << status.error_message();
  // The gateway ends the call and its database request when the caller goes, not when the database answers.
  const std::string node = backend_.endpoint();
  const std::string cancelled_attempt =
      R"(altgw_backend_requests_total{node=")" + node + R"(",operation="GetItem",outcome="cancelled"} 1)";
  const std::optional<absl::Duration> ended = TimeUntil(
      [&] {
        return server_->in_flight_calls() == 0 &&
               server_->metrics_text().find(cancelled_attempt) != std::string::npos;
      },
      absl::Seconds(3));
  ASSERT_TRUE(ended.has_value()) << server_->metrics_text();
  EXPECT_LT(absl::Now() - cancelled_at, absl::Seconds(2));
  EXPECT_NE(server_->metrics_text().find(
                R"(grpc_server_call_duration_seconds_count{grpc_method="alternator.gateway.v1.DataService/Get",grpc_status="CANCELLED"} 1)"),
            std::string::npos)
      << server_->metrics_text();
  // The gateway serves the next call as usual.
  backend_.Script("GetItem", {200, "{}", absl::ZeroDuration()});
  EXPECT_TRUE(Get("tbl").ok());
}

// A BatchWrite of 60 puts runs as three chunks at once; a caller who goes stops every one of them, not only
// the one started last.
TEST_F(GatewayOperationsTest, ACallerCancellingABatchWriteStopsEveryChunkInFlight) {
  backend_.Script("DescribeTable", {200, kSchema, absl::ZeroDuration()});
  backend_.Script("BatchWriteItem", {200, R"({"UnprocessedItems":{}})", absl::Seconds(5)});
  StartGateway();
  v1::BatchWriteRequest request;
  for (int i = 0; i < 60; ++i) {
    v1::WriteEntry* entry = request.add_entries();
    entry->set_table("tbl");
    (*entry->mutable_put()->mutable_attributes())["pk"].set_string_value("k" + std::to_string(i));
  }
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
  v1::BatchWriteResponse response;
  grpc::Status status;
  std::thread caller([&] { status = data_->BatchWrite(&context, request, &response); });
  // The schema lookup and the three chunks reached the stand-in, which holds the chunks for 5 s.
  ASSERT_TRUE(TimeUntil([&] { return backend_.posts() >= 4; }, absl::Seconds(5))) << backend_.posts();
  context.TryCancel();
  caller.join();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED) << status.error_message();
  const std::string cancelled_chunks = R"(altgw_backend_requests_total{node=")" + backend_.endpoint() +
                                       R"(",operation="BatchWriteItem",outcome="cancelled"} 3)";
  ASSERT_TRUE(TimeUntil([&] { return server_->metrics_text().find(cancelled_chunks) != std::string::npos; },
                        absl::Seconds(3)))
      << server_->metrics_text();
  EXPECT_EQ(backend_.posts(), 4) << "a cancelled chunk was sent again";
}

// While other calls keep the gRPC thread busy, a call's handler runs on the HTTP client's event loop
// (ServeGatewayUnary); without the built-in client it stays on the gRPC thread. Either way every call is
// answered once, and a call whose deadline passes ends without waiting for the database.
TEST_F(GatewayOperationsTest, CallsArrivingWhileOthersAreOpenAreAnsweredWhereverTheirHandlerRuns) {
  for (bool builtin : {true, false}) {
    SCOPED_TRACE(builtin ? "built-in HTTP client" : "libcurl only");
    backend_.Script("DescribeTable", {200, kSchema, absl::ZeroDuration()});
    backend_.Script("GetItem", {200, R"({"Item":{"pk":{"S":"k"},"v":{"S":"x"}}})", absl::Milliseconds(300)});
    StartGateway([builtin](GatewayConfig& config) { config.builtin_http = builtin; });
    ASSERT_TRUE(Get("tbl").ok());  // the schema is cached from here on
    const int64_t posts_before = backend_.posts();
    constexpr int kCalls = 24;
    std::vector<grpc::StatusCode> codes(kCalls, grpc::StatusCode::UNKNOWN);
    std::vector<std::string> values(kCalls);
    std::vector<std::thread> callers;
    for (int i = 0; i < kCalls; ++i) {
      callers.emplace_back([&, i] {
        grpc::ClientContext context;
        // Every fourth caller gives up before the database answers.
        const bool impatient = i % 4 == 3;
        context.set_deadline(
            absl::ToChronoTime(absl::Now() + (impatient ? absl::Milliseconds(100) : absl::Seconds(10))));
        v1::GetRequest request;
        request.set_table("tbl");
        (*request.mutable_key())["pk"].set_string_value("k");
        v1::GetResponse response;
        codes[i] = data_->Get(&context, request, &response).error_code();
        if (response.item().contains("v")) values[i] = response.item().at("v").string_value();
      });
    }
    for (auto& caller : callers) caller.join();
    for (int i = 0; i < kCalls; ++i) {
      if (i % 4 == 3) {
        EXPECT_EQ(codes[i], grpc::StatusCode::DEADLINE_EXCEEDED) << "call " << i;
      } else {
        EXPECT_EQ(codes[i], grpc::StatusCode::OK) << "call " << i;
        EXPECT_EQ(values[i], "x") << "call " << i;
      }
    }
    // At most one database request per call, none repeated (an impatient call may end before its own).
    EXPECT_GE(backend_.posts() - posts_before, kCalls - kCalls / 4);
    EXPECT_LE(backend_.posts() - posts_before, kCalls);
    EXPECT_TRUE(TimeUntil([&] { return server_->in_flight_calls() == 0; }, absl::Seconds(3)));
    server_.reset();
  }
}

TEST_F(GatewayOperationsTest, DrainDeadlineEndsRunningCallsWithTheirOwnRetryableOrUnknownStatus) {
  backend_.Script("DescribeTable", {200, kSchema, absl::ZeroDuration()});
  backend_.Script("GetItem", {200, "{}", absl::Seconds(8)});
  backend_.Script("PutItem", {200, "{}", absl::Seconds(8)});
  StartGateway();
  grpc::Status read, write;
  absl::Time read_end, write_end;
  std::thread reader([&] {
    read = Get("tbl", absl::Seconds(30));
    read_end = absl::Now();
  });
  std::thread writer([&] {
    write = Put("tbl", "x");
    write_end = absl::Now();
  });
  ASSERT_TRUE(TimeUntil([&] { return server_->in_flight_calls() == 2 && backend_.posts() >= 3; },
                        absl::Seconds(5)));
  const absl::Time drain_start = absl::Now();
  const GatewayServer::DrainReport report = server_->Drain(absl::Milliseconds(200), absl::Milliseconds(300));
  reader.join();
  writer.join();
  std::cout << "[figures] drain: served while NOT_SERVING " << absl::FormatDuration(report.delay)
            << ", stop " << absl::FormatDuration(report.stop) << ", aborted " << report.aborted << "\n";
  EXPECT_EQ(report.aborted, 2);
  EXPECT_GE(report.delay, absl::Milliseconds(200));
  EXPECT_LT(report.stop, absl::Seconds(2));
  EXPECT_LT(read_end - drain_start, absl::Seconds(2));
  EXPECT_EQ(read.error_code(), grpc::StatusCode::UNAVAILABLE) << read.error_message();
  EXPECT_EQ(DecodeError(read).reason(), "SHUTTING_DOWN");
  EXPECT_TRUE(DecodeError(read).retry.has_value());
  // The write had reached the database: its outcome is unknown, never "retry safely".
  EXPECT_EQ(write.error_code(), grpc::StatusCode::UNKNOWN) << write.error_message();
  EXPECT_EQ(DecodeError(write).reason(), "WRITE_OUTCOME_UNKNOWN");
}

TEST_F(GatewayOperationsTest, DrainTurnsReadinessNotServingAtOnceAndKeepsServingForTheDelay) {
  backend_.Script("DescribeTable", {200, kSchema, absl::ZeroDuration()});
  backend_.Script("GetItem", {200, "{}", absl::ZeroDuration()});
  StartGateway();
  std::thread drain([&] { server_->Drain(absl::Milliseconds(800), absl::Seconds(1)); });
  auto flipped = TimeUntil([&] { return Health("readiness") == health::HealthCheckResponse::NOT_SERVING; },
                           absl::Seconds(1));
  ASSERT_TRUE(flipped.has_value());
  EXPECT_LT(*flipped, absl::Milliseconds(300));
  EXPECT_EQ(Health("liveness"), health::HealthCheckResponse::SERVING);
  auto ready = Admin("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 503);
  EXPECT_EQ(nlohmann::json::parse(ready->body)["draining"], true);
  EXPECT_TRUE(Get("tbl").ok());  // still serving during the drain delay
  drain.join();
  EXPECT_FALSE(Get("tbl", absl::Milliseconds(500)).ok());  // stopped
}

TEST_F(GatewayOperationsTest, MessagesLargerThanTheLimitAreRefusedBeforeTheDatabase) {
  backend_.Script("DescribeTable", {200, kSchema, absl::ZeroDuration()});
  backend_.Script("PutItem", {200, "{}", absl::ZeroDuration()});
  StartGateway([](GatewayConfig& config) { config.max_message_bytes = 4096; });
  const grpc::Status status = Put("tbl", std::string(10000, 'x'));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  EXPECT_EQ(backend_.posts(), 0);
  EXPECT_TRUE(Put("tbl", std::string(1000, 'x')).ok());
}

TEST_F(GatewayOperationsTest, ConnectionsAreClosedAfterTheirMaximumAgeAndClientsReconnect) {
  StartGateway([](GatewayConfig& config) {
    config.max_connection_age = absl::Milliseconds(500);
    config.max_connection_age_grace = absl::Milliseconds(500);
  });
  auto routing = v1::RoutingService::NewStub(channel_);
  auto list = [&] {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    v1::ListNodesResponse response;
    return routing->ListNodes(&context, v1::ListNodesRequest(), &response);
  };
  ASSERT_TRUE(list().ok());
  ASSERT_EQ(channel_->GetState(false), GRPC_CHANNEL_READY);
  // The server sends GOAWAY at the age (jittered by gRPC by up to 10%): the channel leaves READY.
  auto left = TimeUntil([&] { return channel_->GetState(false) != GRPC_CHANNEL_READY; }, absl::Seconds(5));
  ASSERT_TRUE(left.has_value()) << "the connection was never aged out";
  EXPECT_TRUE(list().ok());  // a new connection
}

TEST_F(GatewayOperationsTest, IdleClientsPingingWithinThePolicyAreNotSentAway) {
  StartGateway([](GatewayConfig& config) { config.keepalive_min_ping_interval = absl::Milliseconds(200); });
  // A client that pings every 500 ms, with or without calls (permitted), for 3 s.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 500);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 1000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  auto channel = grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(server_->port()),
                                           grpc::InsecureChannelCredentials(), args);
  auto stub = health::Health::NewStub(channel);
  grpc::ClientContext first;
  health::HealthCheckResponse response;
  ASSERT_TRUE(stub->Check(&first, health::HealthCheckRequest(), &response).ok());
  bool stayed_ready = true;
  const absl::Time until = absl::Now() + absl::Seconds(3);
  while (absl::Now() < until) {
    stayed_ready &= channel->GetState(false) == GRPC_CHANNEL_READY;
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_TRUE(stayed_ready) << "the server sent the pinging client away";
}

TEST_F(GatewayOperationsTest, ClientsPingingFasterThanThePolicyAreSentAway) {
  // The counter-check of the test above: enforcement is on, so the policy's interval is what matters.
  StartGateway([](GatewayConfig& config) { config.keepalive_min_ping_interval = absl::Seconds(10); });
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 200);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 1000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  auto channel = grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(server_->port()),
                                           grpc::InsecureChannelCredentials(), args);
  auto stub = health::Health::NewStub(channel);
  grpc::ClientContext first;
  health::HealthCheckResponse response;
  ASSERT_TRUE(stub->Check(&first, health::HealthCheckRequest(), &response).ok());
  auto left = TimeUntil([&] { return channel->GetState(false) != GRPC_CHANNEL_READY; }, absl::Seconds(5));
  EXPECT_TRUE(left.has_value()) << "a client pinging every 200 ms was never sent away";
}

}  // namespace
}  // namespace altgw::service
