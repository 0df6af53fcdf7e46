#include "service/health_service.h"

namespace altgw::service {

namespace health = ::grpc::health::v1;

// One Watch stream. gRPC calls (StartWrite, Finish) are made outside every lock: gRPC may run reactions
// (OnWriteDone, OnDone) inline on the calling thread. Whoever has a write in flight owns the next step:
// while `writing_`, a new status or a finish request is only recorded, and OnWriteDone acts on it.
class HealthService::Watcher : public std::enable_shared_from_this<Watcher> {
 public:
  Watcher(HealthService& service, std::string name) : service_(service), name_(std::move(name)) {}

  const std::string& name() const { return name_; }

  void Attach(grpc::ServerWriteReactor<health::HealthCheckResponse>* reactor) { reactor_ = reactor; }

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
    reactor_->StartWrite(&message_);
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
    reactor_->Finish(final_status_);
  }

  void OnWriteDone(bool ok) {
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
    if (write) reactor_->StartWrite(&message_);
    if (finish) reactor_->Finish(final_status_);
  }

  void OnDone() { service_.Forget(shared_from_this()); }

 private:
  HealthService& service_;
  const std::string name_;
  grpc::ServerWriteReactor<health::HealthCheckResponse>* reactor_ = nullptr;
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

namespace {

// gRPC's reactor for one Watch; it keeps the Watcher alive until gRPC is done with the call.
class WatchReactor final : public grpc::ServerWriteReactor<health::HealthCheckResponse> {
 public:
  explicit WatchReactor(std::shared_ptr<HealthService::Watcher> watcher) : watcher_(std::move(watcher)) {
    watcher_->Attach(this);
  }
  void OnWriteDone(bool ok) override { watcher_->OnWriteDone(ok); }
  void OnCancel() override { watcher_->RequestFinish(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled")); }
  void OnDone() override {
    watcher_->OnDone();
    delete this;
  }

 private:
  std::shared_ptr<HealthService::Watcher> watcher_;
};

}  // namespace

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

grpc::ServerUnaryReactor* HealthService::Check(grpc::CallbackServerContext* context,
                                               const health::HealthCheckRequest* request,
                                               health::HealthCheckResponse* response) {
  auto* reactor = context->DefaultReactor();
  const ServingStatus status = Get(request->service());
  if (status == health::HealthCheckResponse::SERVICE_UNKNOWN) {
    reactor->Finish(grpc::Status(grpc::StatusCode::NOT_FOUND, "unknown service"));
  } else {
    response->set_status(status);
    reactor->Finish(grpc::Status::OK);
  }
  return reactor;
}

grpc::ServerWriteReactor<health::HealthCheckResponse>* HealthService::Watch(grpc::CallbackServerContext* context,
                                                                           const health::HealthCheckRequest* request) {
  auto watcher = std::make_shared<Watcher>(*this, request->service());
  auto* reactor = new WatchReactor(watcher);
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
  return reactor;
}

}  // namespace altgw::service
