// HealthService over a real in-process gRPC server: Check, Watch (initial status, every change, unknown
// names) and Shutdown ending open streams.
#include "service/health_service.h"

#include <grpcpp/grpcpp.h>

#include <thread>

#include "gtest/gtest.h"

namespace altgw::service {
namespace {

namespace health = ::grpc::health::v1;

class HealthServiceTest : public ::testing::Test {
 protected:
  HealthServiceTest() : service_({"", "readiness", "liveness"}) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(service_.service());
    queues_.AddTo(builder);
    server_ = builder.BuildAndStart();
    service_.Serve(queues_);
    queues_.Run();
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(port_), grpc::InsecureChannelCredentials());
    stub_ = health::Health::NewStub(channel_);
  }
  ~HealthServiceTest() override {
    service_.Shutdown();
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
    queues_.Shutdown();
  }

  grpc::Status Check(const std::string& name, health::HealthCheckResponse* response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    health::HealthCheckRequest request;
    request.set_service(name);
    return stub_->Check(&context, request, response);
  }

  HealthService service_;
  ServingQueues queues_{1};
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<health::Health::Stub> stub_;
};

TEST_F(HealthServiceTest, CheckReportsEachNameAndNotFoundForUnknownNames) {
  service_.Set("liveness", health::HealthCheckResponse::SERVING);
  health::HealthCheckResponse response;
  ASSERT_TRUE(Check("liveness", &response).ok());
  EXPECT_EQ(response.status(), health::HealthCheckResponse::SERVING);
  ASSERT_TRUE(Check("readiness", &response).ok());
  EXPECT_EQ(response.status(), health::HealthCheckResponse::NOT_SERVING);  // the initial status
  EXPECT_EQ(Check("no.such.Service", &response).error_code(), grpc::StatusCode::NOT_FOUND);
  // Unknown names cannot be created by Set.
  service_.Set("no.such.Service", health::HealthCheckResponse::SERVING);
  EXPECT_EQ(Check("no.such.Service", &response).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(HealthServiceTest, WatchSendsTheCurrentStatusThenEveryChange) {
  service_.Set("readiness", health::HealthCheckResponse::SERVING);
  grpc::ClientContext context;
  health::HealthCheckRequest request;
  request.set_service("readiness");
  auto reader = stub_->Watch(&context, request);
  health::HealthCheckResponse response;
  ASSERT_TRUE(reader->Read(&response));
  EXPECT_EQ(response.status(), health::HealthCheckResponse::SERVING);

  service_.Set("readiness", health::HealthCheckResponse::NOT_SERVING);
  ASSERT_TRUE(reader->Read(&response));
  EXPECT_EQ(response.status(), health::HealthCheckResponse::NOT_SERVING);
  // Setting the same status again sends nothing; the next change arrives.
  service_.Set("readiness", health::HealthCheckResponse::NOT_SERVING);
  service_.Set("liveness", health::HealthCheckResponse::NOT_SERVING);  // another name: not this stream
  service_.Set("readiness", health::HealthCheckResponse::SERVING);
  ASSERT_TRUE(reader->Read(&response));
  EXPECT_EQ(response.status(), health::HealthCheckResponse::SERVING);

  // Shutdown ends the stream with OK.
  service_.Shutdown();
  EXPECT_FALSE(reader->Read(&response));
  const grpc::Status status = reader->Finish();
  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST_F(HealthServiceTest, WatchOfAnUnknownNameSendsServiceUnknownAndStaysOpen) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
  health::HealthCheckRequest request;
  request.set_service("no.such.Service");
  auto reader = stub_->Watch(&context, request);
  health::HealthCheckResponse response;
  ASSERT_TRUE(reader->Read(&response));
  EXPECT_EQ(response.status(), health::HealthCheckResponse::SERVICE_UNKNOWN);
  // Still open: it ends only with the client's deadline.
  EXPECT_FALSE(reader->Read(&response));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
}

TEST_F(HealthServiceTest, ManyRapidChangesEndOnTheLastStatus) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  health::HealthCheckRequest request;
  request.set_service("");
  auto reader = stub_->Watch(&context, request);
  health::HealthCheckResponse response;
  ASSERT_TRUE(reader->Read(&response));
  // Changes from two threads; the stream may skip intermediate values but must end on the final one.
  std::thread a([&] {
    for (int i = 0; i < 200; ++i) service_.Set("", health::HealthCheckResponse::SERVING);
  });
  std::thread b([&] {
    for (int i = 0; i < 200; ++i) service_.Set("", health::HealthCheckResponse::NOT_SERVING);
  });
  a.join();
  b.join();
  service_.Set("", health::HealthCheckResponse::SERVING);
  service_.Set("", health::HealthCheckResponse::NOT_SERVING);
  health::HealthCheckResponse::ServingStatus last = response.status();
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (last != health::HealthCheckResponse::NOT_SERVING && std::chrono::steady_clock::now() < until) {
    ASSERT_TRUE(reader->Read(&response));
    last = response.status();
  }
  EXPECT_EQ(last, health::HealthCheckResponse::NOT_SERVING);
  context.TryCancel();
  while (reader->Read(&response)) {
  }
  reader->Finish();
}

}  // namespace
}  // namespace altgw::service
