// The gateway binary drained by SIGTERM under continuous load: two gateway processes (A and B) in front
// of one DynamoDB Local, clients that retry UNAVAILABLE on the other replica (what a client-side balancer
// does). A gets SIGTERM mid-load: its readiness must flip at once, it must keep serving through
// --drain-delay, then stop; no call may fail, and A must exit 0.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <string_view>
#include <thread>

#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "support/dynamodb_local.h"
#include "support/gateway_harness.h"

namespace altgw::testing {
namespace {

namespace health = ::grpc::health::v1;

class GatewayProcess {
 public:
  GatewayProcess(const std::string& name, std::vector<std::string> extra) {
    log_path_ = "/tmp/altgw-" + name + "-" + std::to_string(getpid()) + ".log";
    std::vector<std::string> args = {GATEWAY_BINARY,
                                     "--listen", "127.0.0.1:0",
                                     "--backend-endpoints", DynamoDbLocal::Shared().endpoint(),
                                     "--admin-listen", "127.0.0.1:0",
                                     "--discovery", "off",
                                     "--transactions", "native"};
    args.insert(args.end(), extra.begin(), extra.end());
    pid_ = fork();
    if (pid_ == 0) {
      const int log = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(log, 1);
      dup2(log, 2);
      std::vector<char*> argv;
      for (std::string& arg : args) argv.push_back(arg.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
  }
  ~GatewayProcess() {
    if (pid_ > 0 && exit_code_ < 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  // After WaitServing() succeeded.
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }
  pid_t pid() const { return pid_; }
  std::string log() const {
    std::ifstream in(log_path_);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  // Ports are 0: the gateway binds free ones and prints them, so no port probed free here can be taken
  // by another process before the gateway binds it.
  bool WaitServing(absl::Duration limit) {
    const absl::Time until = absl::Now() + limit;
    while (port_ == 0) {
      if (absl::Now() >= until || waitpid(pid_, nullptr, WNOHANG) == pid_) return false;
      const std::string text = log();
      static constexpr std::string_view kServing = "serving gRPC on port ";
      if (const size_t at = text.find(kServing); at != std::string::npos) {
        port_ = std::atoi(text.c_str() + at + kServing.size());
      } else {
        absl::SleepFor(absl::Milliseconds(20));
      }
    }
    if (channel_ == nullptr) channel_ = grpc::CreateChannel(address(), grpc::InsecureChannelCredentials());
    auto stub = health::Health::NewStub(channel_);
    while (absl::Now() < until) {
      grpc::ClientContext context;
      context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
      health::HealthCheckResponse response;
      if (stub->Check(&context, health::HealthCheckRequest(), &response).ok() &&
          response.status() == health::HealthCheckResponse::SERVING) {
        return true;
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
    return false;
  }

  // The exit code, or -1 if the process is still running after `limit`.
  int WaitExit(absl::Duration limit) {
    const absl::Time until = absl::Now() + limit;
    while (absl::Now() < until) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return exit_code_;
      }
      absl::SleepFor(absl::Milliseconds(5));
    }
    return -1;
  }

 private:
  pid_t pid_ = -1;
  int port_ = 0;  // known once the gateway printed it
  int exit_code_ = -1;
  std::string log_path_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST(SigtermDrain, UnderLoadNoCallFailsReadinessFlipsAtOnceAndTheProcessExitsZero) {
  const absl::Duration kDrainDelay = absl::Seconds(1);
  GatewayProcess a("drain-a", {"--drain-delay", "1s", "--drain-timeout", "5s"});
  GatewayProcess b("drain-b", {"--drain-delay", "100ms"});
  ASSERT_TRUE(a.WaitServing(absl::Seconds(30))) << a.log();
  ASSERT_TRUE(b.WaitServing(absl::Seconds(30))) << b.log();

  const std::string table = UniqueTableName("drain");
  {
    auto tables = v1::TableService::NewStub(b.channel());
    v1::CreateTableRequest create;
    create.set_table(table);
    create.mutable_partition_key()->set_name("pk");
    create.mutable_partition_key()->set_type(v1::SCALAR_TYPE_STRING);
    v1::CreateTableResponse response;
    ASSERT_TRUE(tables->CreateTable(Context().get(), create, &response).ok());
  }

  // A's readiness, as a balancer would follow it (Watch).
  std::atomic<bool> a_ready{true};
  std::atomic<int64_t> a_not_ready_at_ns{0};
  grpc::ClientContext watch_context;
  std::thread watcher([&] {
    auto stub = health::Health::NewStub(a.channel());
    health::HealthCheckRequest request;
    request.set_service("readiness");
    auto reader = stub->Watch(&watch_context, request);
    health::HealthCheckResponse response;
    while (reader->Read(&response)) {
      const bool ready = response.status() == health::HealthCheckResponse::SERVING;
      if (!ready && a_ready.exchange(false)) a_not_ready_at_ns.store(absl::ToUnixNanos(absl::Now()));
    }
    a_ready.store(false);
    reader->Finish();
  });

  auto data_a = v1::DataService::NewStub(a.channel());
  auto data_b = v1::DataService::NewStub(b.channel());
  std::atomic<bool> stop{false};
  std::atomic<int64_t> calls{0}, failures{0}, retries{0}, served_by_a_after_sigterm{0};
  // Calls gRPC itself cancelled at the instant A's server stopped: a call that reached A but was not yet
  // matched to a handler ends CANCELLED, without the gateway's status details (gRPC issue 41785; the gateway
  // never sees it). Only callers that ignore readiness can meet it; the README lists it as a known limit.
  std::atomic<int64_t> cancelled_by_grpc_at_stop{0}, cancelled_following_readiness{0};
  std::atomic<int64_t> sigterm_at_ns{0};
  std::mutex failure_mu;
  std::string first_failure;

  // Workers 0-1 stick to A until it refuses them (they find out only by UNAVAILABLE); workers 2-3
  // follow A's readiness.
  auto worker = [&](int id) {
    for (int i = 0; !stop.load(); ++i) {
      const std::string key = absl::StrCat("w", id, "-", i);
      bool use_a = id < 2 ? true : a_ready.load();
      grpc::Status status;
      for (int attempt = 0; attempt < 20; ++attempt) {
        auto context = Context(absl::Seconds(10));
        v1::DataService::Stub& stub = use_a ? *data_a : *data_b;
        if (i % 2 == 0) {
          v1::PutRequest put;
          put.set_table(table);
          (*put.mutable_item())["pk"].set_string_value(key);
          (*put.mutable_item())["n"].mutable_number_value()->set_integer(i);
          v1::PutResponse response;
          status = stub.Put(context.get(), put, &response);
        } else {
          v1::GetRequest get;
          get.set_table(table);
          (*get.mutable_key())["pk"].set_string_value(absl::StrCat("w", id, "-", i - 1));
          v1::GetResponse response;
          status = stub.Get(context.get(), get, &response);
          if (status.ok() && !response.found()) status = grpc::Status(grpc::StatusCode::INTERNAL, "lost write");
        }
        if (status.ok() && use_a && sigterm_at_ns.load() != 0) served_by_a_after_sigterm.fetch_add(1);
        if (status.error_code() == grpc::StatusCode::CANCELLED && status.error_details().empty() && use_a &&
            sigterm_at_ns.load() != 0) {
          // Never reached a handler, so nothing was applied: sent again to B, like a refused call.
          (id < 2 ? cancelled_by_grpc_at_stop : cancelled_following_readiness).fetch_add(1);
          use_a = false;
          continue;
        }
        if (status.error_code() != grpc::StatusCode::UNAVAILABLE) break;
        retries.fetch_add(1);
        use_a = false;  // the balancer moves the retry to another replica
        absl::SleepFor(absl::Milliseconds(5));
      }
      calls.fetch_add(1);
      if (!status.ok()) {
        failures.fetch_add(1);
        std::lock_guard<std::mutex> lock(failure_mu);
        if (first_failure.empty()) first_failure = std::to_string(status.error_code()) + " " + status.error_message();
      }
    }
  };
  std::vector<std::thread> workers;
  for (int id = 0; id < 4; ++id) workers.emplace_back(worker, id);

  absl::SleepFor(absl::Milliseconds(1500));
  const int64_t calls_before = calls.load();
  const absl::Time sigterm = absl::Now();
  sigterm_at_ns.store(absl::ToUnixNanos(sigterm));
  ASSERT_EQ(kill(a.pid(), SIGTERM), 0);
  const int exit_code = a.WaitExit(absl::Seconds(30));
  const absl::Duration exit_after = absl::Now() - sigterm;
  absl::SleepFor(absl::Milliseconds(500));  // load continues on B
  stop.store(true);
  for (auto& thread : workers) thread.join();
  watch_context.TryCancel();
  watcher.join();

  const absl::Duration flip = a_not_ready_at_ns.load() == 0
                                  ? absl::InfiniteDuration()
                                  : absl::FromUnixNanos(a_not_ready_at_ns.load()) - sigterm;
  std::cout << "[figures] SIGTERM drain: " << calls.load() << " calls (" << calls_before << " before SIGTERM), "
            << failures.load() << " failed, " << retries.load() << " UNAVAILABLE retried, "
            << served_by_a_after_sigterm.load() << " served by A after SIGTERM, "
            << cancelled_by_grpc_at_stop.load() + cancelled_following_readiness.load()
            << " cancelled by gRPC as A stopped; readiness NOT_SERVING after "
            << absl::FormatDuration(flip) << "; A exited " << exit_code << " after "
            << absl::FormatDuration(exit_after) << " (drain delay 1s)\n";
  const std::string log = a.log();
  EXPECT_EQ(failures.load(), 0) << first_failure;
  // The callers that follow readiness left A a second before it stopped; the others lose only the calls
  // that were on their way in that instant (0-2 seen per run here).
  EXPECT_EQ(cancelled_following_readiness.load(), 0);
  EXPECT_LE(cancelled_by_grpc_at_stop.load(), 6);
  EXPECT_EQ(exit_code, 0) << log;
  EXPECT_GT(calls_before, 20);
  EXPECT_LT(flip, absl::Milliseconds(250));                 // at once
  EXPECT_GT(served_by_a_after_sigterm.load(), 0);           // kept serving during the drain delay
  EXPECT_GE(exit_after, kDrainDelay);                       // not before the delay
  EXPECT_LT(exit_after, kDrainDelay + absl::Seconds(4));    // and not much after
  EXPECT_NE(log.find("\"msg\":\"drained\""), std::string::npos) << log.substr(log.size() > 4000 ? log.size() - 4000 : 0);
  EXPECT_NE(log.find("alternator-gateway: stopped"), std::string::npos);
  kill(b.pid(), SIGTERM);
  EXPECT_EQ(b.WaitExit(absl::Seconds(30)), 0);
}

}  // namespace
}  // namespace altgw::testing
