// StandInBackend: a tiny real HTTP server on 127.0.0.1 (cpp-httplib) that plays a DynamoDB endpoint for
// tests of the gateway's operational behaviour: GET / answers 200 (the readiness probe), POST / answers
// with a scripted status and body per X-Amz-Target operation after an optional delay. It can be stopped and
// started again on the same port to simulate an outage.
#ifndef ALTGW_TESTS_SERVICE_STAND_IN_BACKEND_H_
#define ALTGW_TESTS_SERVICE_STAND_IN_BACKEND_H_

#include <httplib.h>

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace altgw::testing {

class StandInBackend {
 public:
  struct Answer {
    int status = 200;
    std::string body = "{}";
    absl::Duration delay = absl::ZeroDuration();
  };

  StandInBackend() { Start(0); }
  ~StandInBackend() { Stop(); }

  // "http://127.0.0.1:<port>"
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }
  int64_t posts() const { return posts_.load(); }

  // How POSTs for `operation` ("GetItem") are answered; others get 400 ResourceNotFoundException.
  void Script(const std::string& operation, Answer answer) {
    absl::MutexLock lock(&mu_);
    answers_[operation] = std::move(answer);
  }

  // Starts serving on `port` (0: a free one; the same port again after Stop()).
  void Start(int port) {
    server_ = std::make_unique<httplib::Server>();
    // A thread per kept-alive connection: room for the gateway's pooled connections plus its probes.
    server_->new_task_queue = [] { return new httplib::ThreadPool(32); };
    server_->Get("/", [](const httplib::Request&, httplib::Response& response) {
      response.set_content("healthy: stand-in", "text/plain");
    });
    server_->Post("/", [this](const httplib::Request& request, httplib::Response& response) {
      posts_.fetch_add(1);
      std::string target = request.get_header_value("X-Amz-Target");
      const std::string operation = target.substr(target.find('.') + 1);
      Answer answer;
      answer.status = 400;
      answer.body = R"({"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"no table"})";
      {
        absl::MutexLock lock(&mu_);
        if (auto it = answers_.find(operation); it != answers_.end()) answer = it->second;
      }
      // Sleep in slices so Stop() is not held up by a long scripted delay.
      const absl::Time until = absl::Now() + answer.delay;
      while (absl::Now() < until && !stopping_.load()) absl::SleepFor(absl::Milliseconds(10));
      response.status = answer.status;
      response.set_content(answer.body, "application/x-amz-json-1.0");
    });
    if (port == 0) {
      port_ = server_->bind_to_any_port("127.0.0.1");
    } else {
      for (int i = 0; i < 100 && !server_->bind_to_port("127.0.0.1", port); ++i) absl::SleepFor(absl::Milliseconds(50));
      port_ = port;
    }
    stopping_.store(false);
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    // stop() before the accept loop runs would be lost (see AdminServer::Start).
    while (!server_->is_running()) absl::SleepFor(absl::Milliseconds(1));
  }

  void Stop() {
    if (!thread_.joinable()) return;
    stopping_.store(true);
    server_->stop();
    thread_.join();
  }

 private:
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> posts_{0};
  absl::Mutex mu_;
  std::map<std::string, Answer> answers_;
};

}  // namespace altgw::testing

#endif  // ALTGW_TESTS_SERVICE_STAND_IN_BACKEND_H_
