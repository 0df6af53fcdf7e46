#include "service/health_service.h"

#include "service/async_rpc.h"

namespace altgw::service {

namespace health = ::grpc::health::v1;

using WatchStream = ServerStreamWriter<health::HealthCheckResponse>;

// One Watch stream. gRPC calls (StartWrite, Finish) are made outside every lock: a refused write (the
// queues shut down) runs OnWriteDone inline. Whoever has a write in flight owns the next step: while
// `writing_`, a new status or a finish request is only recorded, and OnWriteDone acts on it.
class HealthService::Watcher : public RpcListener, public std::enable_shared_from_this<Watcher> {
 public:
  Watcher(HealthService& service, std::string name, std::shared_ptr<WatchStream> stream)
      : service_(service), name_(std::move(name)), stream_(std::move(stream)) {}

  const std::string& name() const { return name_; }

  // The status may have changed: send the current one unless it was the last sent. Always reads the
  // current status (never a value passed along), so racing updates cannot leave a stale one last.
  void Update() {
    {
      absl::MutexLock lock(&mu_);
      if (finished_ || finish_requested_) return;
      wanted_ = service_.Get(name_);
      if (writing_ || (has_sent_ && sent_ == wanted_)) return;
      writing_ = true;
      sent_ = wanted_;
      has_sent_ = true;
      message_.set_status(sent_);
    }
    stream_->StartWrite(&message_);
  }

  // Ends the stream with `status` (or as soon as the write in flight completes).
  void RequestFinish(grpc::Status status) {
    {
      absl::MutexLock lock(&mu_);
      if (finished_ || finish_requested_) return;
      finish_requested_ = true;
      final_status_ = std::move(status);
      if (writing_) return;
      finished_ = true;
    }
    stream_->Finish(final_status_);
  }

  void OnWriteDone(bool ok) override {
    bool write = false;
    bool finish = false;
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      if (finished_) return;
      if (!ok && !finish_requested_) {
        finish_requested_ = true;
        final_status_ = grpc::Status(grpc::StatusCode::CANCELLED, "the stream broke");
      }
      if (finish_requested_) {
        finished_ = true;
        finish = true;
      } else if (wanted_ = service_.Get(name_); sent_ != wanted_) {
        writing_ = true;
        sent_ = wanted_;
        message_.set_status(sent_);
        write = true;
      }
    }
    if (write) stream_->StartWrite(&message_);
    if (finish) stream_->Finish(final_status_);
  }

  void OnCancel() override { RequestFinish(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled")); }
  void OnDone() override { service_.Forget(shared_from_this()); }

 private:
  HealthService& service_;
  const std::string name_;
  const std::shared_ptr<WatchStream> stream_;
  health::HealthCheckResponse message_;  // the message being written: stays put until OnWriteDone

  absl::Mutex mu_;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool has_sent_ ABSL_GUARDED_BY(mu_) = false;
  bool finish_requested_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  ServingStatus wanted_ ABSL_GUARDED_BY(mu_) = health::HealthCheckResponse::UNKNOWN;
  ServingStatus sent_ ABSL_GUARDED_BY(mu_) = health::HealthCheckResponse::UNKNOWN;
  grpc::Status final_status_ ABSL_GUARDED_BY(mu_);
};

HealthService::HealthService(const std::vector<std::string>& services) {
  for (const std::string& name : services) statuses_[name] = health::HealthCheckResponse::NOT_SERVING;
}

HealthService::~HealthService() = default;

void HealthService::Set(const std::string& service, ServingStatus status) {
  std::vector<std::shared_ptr<Watcher>> to_tell;
  {
    absl::MutexLock lock(&mu_);
    auto it = statuses_.find(service);
    if (it == statuses_.end()) return;
    it->second = status;
    for (const auto& watcher : watchers_) {
      if (watcher->name() == service) to_tell.push_back(watcher);
    }
  }
  for (const auto& watcher : to_tell) watcher->Update();
}

ServingStatus HealthService::Get(const std::string& service) const {
  absl::MutexLock lock(&mu_);
  auto it = statuses_.find(service);
  return it == statuses_.end() ? health::HealthCheckResponse::SERVICE_UNKNOWN : it->second;
}

void HealthService::Shutdown() {
  std::vector<std::shared_ptr<Watcher>> all;
  {
    absl::MutexLock lock(&mu_);
    shut_down_ = true;
    all.assign(watchers_.begin(), watchers_.end());
  }
  for (const auto& watcher : all) watcher->RequestFinish(grpc::Status::OK);
}

void HealthService::Forget(const std::shared_ptr<Watcher>& watcher) {
  absl::MutexLock lock(&mu_);
  watchers_.erase(watcher);
}

void HealthService::Serve(ServingQueues& queues) {
  health::Health::AsyncService* const svc = &service_;
  ServeUnary<health::HealthCheckRequest, health::HealthCheckResponse>(
      queues, [svc](auto... a) { svc->RequestCheck(a...); },
      [this](const std::shared_ptr<UnaryRpc<health::HealthCheckRequest, health::HealthCheckResponse>>& rpc) {
        const ServingStatus status = Get(rpc->request().service());
        if (status == health::HealthCheckResponse::SERVICE_UNKNOWN) {
          rpc->Finish(grpc::Status(grpc::StatusCode::NOT_FOUND, "unknown service"));
          return;
        }
        rpc->response()->set_status(status);
        rpc->Finish(grpc::Status::OK);
      });
  ServeServerStream<health::HealthCheckRequest, health::HealthCheckResponse>(
      queues, [svc](auto... a) { svc->RequestWatch(a...); },
      [this](const std::shared_ptr<ServerStreamRpc<health::HealthCheckRequest, health::HealthCheckResponse>>& rpc) {
        auto watcher = std::make_shared<Watcher>(*this, rpc->request().service(), rpc);
        rpc->Listen(watcher);
        bool shut_down;
        {
          absl::MutexLock lock(&mu_);
          shut_down = shut_down_;
          if (!shut_down) watchers_.insert(watcher);
        }
        if (shut_down) {
          watcher->RequestFinish(grpc::Status::OK);
        } else {
          watcher->Update();
        }
      });
}

}  // namespace altgw::service
