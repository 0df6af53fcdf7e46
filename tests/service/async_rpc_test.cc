// UnaryRpc / ServerStreamRpc on ServingQueues over a real in-process gRPC server (grpc.health.v1's
// messages, served by handlers written here): answers from other threads, more simultaneous calls than
// are armed, cancellation, stream writes in order, and answers that come after the queues shut down.
#include "service/async_rpc.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"

namespace altgw::service {
namespace {

namespace health = ::grpc::health::v1;
using CheckRpc = UnaryRpc<health::HealthCheckRequest, health::HealthCheckResponse>;
using WatchRpc = ServerStreamRpc<health::HealthCheckRequest, health::HealthCheckResponse>;

std::chrono::system_clock::time_point In(std::chrono::milliseconds d) { return std::chrono::system_clock::now() + d; }

// Records what gRPC told a call.
class RecordingListener : public RpcListener {
 public:
  void OnCancel() override { cancelled.Notify(); }
  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu);
    writes.push_back(ok);
  }
  void OnDone() override { done.Notify(); }

  absl::Notification cancelled;
  absl::Notification done;
  absl::Mutex mu;
  std::vector<bool> writes ABSL_GUARDED_BY(mu);
};

class AsyncRpcTest : public ::testing::Test {
 protected:
  // Starts a server whose Check calls go to `check` and Watch calls to `watch`.
  void Start(int threads, CheckRpc::Handler check, WatchRpc::Handler watch) {
    queues_ = std::make_unique<ServingQueues>(threads);
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&service_);
    queues_->AddTo(builder);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    health::Health::AsyncService* svc = &service_;
    ServeUnary<health::HealthCheckRequest, health::HealthCheckResponse>(
        *queues_, [svc](auto... a) { svc->RequestCheck(a...); }, std::move(check));
    ServeServerStream<health::HealthCheckRequest, health::HealthCheckResponse>(
        *queues_, [svc](auto... a) { svc->RequestWatch(a...); }, std::move(watch));
    queues_->Run();
    stub_ = health::Health::NewStub(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(port_), grpc::InsecureChannelCredentials()));
  }

  void Stop() {
    if (server_ == nullptr) return;
    server_->Shutdown(In(std::chrono::milliseconds(500)));
    queues_->Shutdown();
    server_.reset();
  }

  ~AsyncRpcTest() override { Stop(); }

  grpc::Status Check(const std::string& name, health::HealthCheckResponse* response) {
    grpc::ClientContext context;
    context.set_deadline(In(std::chrono::seconds(10)));
    health::HealthCheckRequest request;
    request.set_service(name);
    return stub_->Check(&context, request, response);
  }

  health::Health::AsyncService service_;
  std::unique_ptr<ServingQueues> queues_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::unique_ptr<health::Health::Stub> stub_;
};

WatchRpc::Handler NoWatch() {
  return [](const std::shared_ptr<WatchRpc>& rpc) { rpc->Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "")); };
}

TEST_F(AsyncRpcTest, AnswersFromAnotherThreadReachTheCaller) {
  Start(1, [](const std::shared_ptr<CheckRpc>& rpc) {
    // The answer comes later, from a thread of its own, as a database answer would.
    std::thread([rpc] {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      rpc->response()->set_status(rpc->request().service() == "up" ? health::HealthCheckResponse::SERVING
                                                                     : health::HealthCheckResponse::NOT_SERVING);
      rpc->Finish(grpc::Status::OK);
    }).detach();
  }, NoWatch());
  health::HealthCheckResponse response;
  ASSERT_TRUE(Check("up", &response).ok());
  EXPECT_EQ(response.status(), health::HealthCheckResponse::SERVING);
  ASSERT_TRUE(Check("down", &response).ok());
  EXPECT_EQ(response.status(), health::HealthCheckResponse::NOT_SERVING);
}

TEST_F(AsyncRpcTest, ErrorsCarryTheirStatusAndNoMessage) {
  Start(1, [](const std::shared_ptr<CheckRpc>& rpc) {
    rpc->response()->set_status(health::HealthCheckResponse::SERVING);  // must not be sent
    rpc->Finish(grpc::Status(grpc::StatusCode::NOT_FOUND, "no such name"));
  }, NoWatch());
  health::HealthCheckResponse response;
  grpc::Status status = Check("x", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(status.error_message(), "no such name");
  EXPECT_EQ(response.status(), health::HealthCheckResponse::UNKNOWN);
}

TEST_F(AsyncRpcTest, ManyMoreSimultaneousCallsThanAreArmedAllArriveAndAreAnswered) {
  // Every call is held until all have arrived: the queues must keep requesting calls while earlier ones
  // are still open, on both queues.
  constexpr int kCalls = 10 * kCallsArmedPerMethod;
  absl::Mutex mu;
  std::vector<std::shared_ptr<CheckRpc>> held;
  Start(2, [&](const std::shared_ptr<CheckRpc>& rpc) {
    std::vector<std::shared_ptr<CheckRpc>> all;
    {
      absl::MutexLock lock(&mu);
      held.push_back(rpc);
      if (held.size() < kCalls) return;
      all.swap(held);
    }
    for (const auto& call : all) {
      call->response()->set_status(health::HealthCheckResponse::SERVING);
      call->Finish(grpc::Status::OK);
    }
  }, NoWatch());
  std::atomic<int> ok{0};
  std::vector<std::thread> callers;
  for (int i = 0; i < kCalls; ++i) {
    callers.emplace_back([&] {
      health::HealthCheckResponse response;
      if (Check("", &response).ok() && response.status() == health::HealthCheckResponse::SERVING) ++ok;
    });
  }
  for (auto& caller : callers) caller.join();
  EXPECT_EQ(ok.load(), kCalls);
}

TEST_F(AsyncRpcTest, ACancelledCallTellsItsListenerThenLetsGoOfIt) {
  auto listener = std::make_shared<RecordingListener>();
  std::shared_ptr<CheckRpc> held;  // as a database request in flight holds its call
  absl::Notification arrived;
  Start(1, [&](const std::shared_ptr<CheckRpc>& rpc) {
    held = rpc;
    rpc->Listen(listener);  // never answered in time: only the cancellation ends it
    arrived.Notify();
  }, NoWatch());
  grpc::ClientContext context;
  health::HealthCheckRequest request;
  health::HealthCheckResponse response;
  absl::Notification returned;
  grpc::Status status;
  stub_->async()->Check(&context, &request, &response, [&](grpc::Status s) {
    status = std::move(s);
    returned.Notify();
  });
  ASSERT_TRUE(arrived.WaitForNotificationWithTimeout(absl::Seconds(5)));
  context.TryCancel();
  ASSERT_TRUE(returned.WaitForNotificationWithTimeout(absl::Seconds(5)));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED);
  ASSERT_TRUE(listener->cancelled.WaitForNotificationWithTimeout(absl::Seconds(5)));
  // Nothing else was outstanding: the call is done and lets go of its listener.
  ASSERT_TRUE(listener->done.WaitForNotificationWithTimeout(absl::Seconds(5)));
  for (int i = 0; i < 100 && listener.use_count() > 1; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(listener.use_count(), 1);
  // The answer that comes later (a database answer racing the cancellation) goes nowhere, harmlessly,
  // and once its holder lets go nothing of the call is left.
  std::weak_ptr<CheckRpc> weak = held;
  held->Finish(grpc::Status::OK);
  held.reset();
  for (int i = 0; i < 100 && !weak.expired(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_TRUE(weak.expired());
}

TEST_F(AsyncRpcTest, AnAnswerAfterTheQueuesShutDownIsDroppedSafely) {
  std::shared_ptr<CheckRpc> held;
  absl::Notification arrived;
  auto listener = std::make_shared<RecordingListener>();
  Start(1, [&](const std::shared_ptr<CheckRpc>& rpc) {
    held = rpc;
    rpc->Listen(listener);
    arrived.Notify();
  }, NoWatch());
  std::thread caller([&] {
    health::HealthCheckResponse response;
    grpc::Status status = Check("", &response);
    EXPECT_FALSE(status.ok());  // the server went away
  });
  ASSERT_TRUE(arrived.WaitForNotificationWithTimeout(absl::Seconds(5)));
  Stop();  // gRPC cancels the call; the queues close
  caller.join();
  // The database answer comes now: it must neither crash nor start anything on a closed queue.
  std::weak_ptr<CheckRpc> weak = held;
  held->Finish(grpc::Status::OK);
  held.reset();
  EXPECT_TRUE(listener->done.HasBeenNotified());
  EXPECT_TRUE(weak.expired());
}

TEST_F(AsyncRpcTest, AStreamWritesItsMessagesInOrderThenFinishes) {
  // Writes one message per OnWriteDone: SERVING, NOT_SERVING, SERVING, then finishes OK.
  class Writer : public RecordingListener, public std::enable_shared_from_this<Writer> {
   public:
    explicit Writer(std::shared_ptr<WatchRpc> rpc) : rpc_(std::move(rpc)) {}
    void Next() {
      if (sent_ == 3) {
        rpc_->Finish(grpc::Status::OK);
        return;
      }
      message_.set_status(sent_ % 2 == 0 ? health::HealthCheckResponse::SERVING : health::HealthCheckResponse::NOT_SERVING);
      ++sent_;
      rpc_->StartWrite(&message_);
    }
    void OnWriteDone(bool ok) override {
      RecordingListener::OnWriteDone(ok);
      if (ok) Next();
    }

   private:
    std::shared_ptr<WatchRpc> rpc_;
    health::HealthCheckResponse message_;
    int sent_ = 0;
  };
  std::shared_ptr<Writer> writer;
  Start(1, [](const std::shared_ptr<CheckRpc>& rpc) { rpc->Finish(grpc::Status::OK); },
        [&](const std::shared_ptr<WatchRpc>& rpc) {
          writer = std::make_shared<Writer>(rpc);
          rpc->Listen(writer);
          writer->Next();
        });
  grpc::ClientContext context;
  context.set_deadline(In(std::chrono::seconds(10)));
  health::HealthCheckRequest request;
  auto reader = stub_->Watch(&context, request);
  std::vector<health::HealthCheckResponse::ServingStatus> got;
  health::HealthCheckResponse message;
  while (reader->Read(&message)) got.push_back(message.status());
  EXPECT_TRUE(reader->Finish().ok());
  EXPECT_EQ(got, (std::vector<health::HealthCheckResponse::ServingStatus>{
                     health::HealthCheckResponse::SERVING, health::HealthCheckResponse::NOT_SERVING,
                     health::HealthCheckResponse::SERVING}));
  ASSERT_TRUE(writer->done.WaitForNotificationWithTimeout(absl::Seconds(5)));
  absl::MutexLock lock(&writer->mu);
  EXPECT_EQ(writer->writes, (std::vector<bool>{true, true, true}));
}

}  // namespace
}  // namespace altgw::service
