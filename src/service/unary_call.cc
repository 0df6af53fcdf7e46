#include "service/unary_call.h"

#include "absl/time/clock.h"

namespace altgw::service {

// gRPC's reactor. It keeps the UnaryCall alive until gRPC is done with the call.
class UnaryCall::Reactor final : public grpc::ServerUnaryReactor {
 public:
  explicit Reactor(std::shared_ptr<UnaryCall> call) : call_(std::move(call)) {}
  void OnCancel() override { call_->OnCancel(); }
  void OnDone() override { delete this; }
  // Lets gRPC run OnDone and OnCancel on the thread that completes the call instead of handing each one to
  // its executor: that hand-off woke another thread once per call, the largest share of the gateway's CPU
  // at low concurrency (bench/README.md). Both reactions are short and never block: OnDone drops
  // references, OnCancel takes the call's lock, cancels the backend request (which only signals the
  // transport) and finishes the call. gRPC marks this hook as internal; `override` makes a gRPC without it
  // fail to compile rather than silently lose the hop.
  bool InternalInlineable() override { return true; }

 private:
  std::shared_ptr<UnaryCall> call_;
};

UnaryCall::UnaryCall(grpc::CallbackServerContext* context, CallTracker* tracker, const MethodInfo& method)
    : context_(context), tracker_(tracker), method_(method), start_(absl::Now()) {
  const auto deadline = context->deadline();
  deadline_ = deadline == std::chrono::system_clock::time_point::max() ? absl::InfiniteFuture()
                                                                       : absl::FromChrono(deadline);
}

std::shared_ptr<UnaryCall> UnaryCall::Create(grpc::CallbackServerContext* context, CallTracker* tracker,
                                             const MethodInfo& method) {
  std::shared_ptr<UnaryCall> call(new UnaryCall(context, tracker, method));
  call->reactor_ = new Reactor(call);
  {
    absl::MutexLock lock(&call->mu_);
    call->record_.method = method.name;
    ReadCallerIds(context->client_metadata(), call->record_);
  }
  if (tracker != nullptr && !tracker->Admit(method, call, &call->tracker_id_)) {
    const GatewayError error = GatewayError::Overloaded(tracker->max_in_flight(), CallTracker::ShedRetryDelay());
    observability::AccessRecord record;
    {
      absl::MutexLock lock(&call->mu_);
      call->finished_ = true;
      call->record_.status = absl::StatusCodeToString(error.code());
      call->record_.reason = error.reason_name();
      call->record_.duration = absl::Now() - call->start_;
      record = call->record_;
    }
    context->AddTrailingMetadata("x-request-id", record.request_id);
    tracker->Shed(record);
    call->reactor_->Finish(ToGrpcStatus(error));
    tracker->Log(record);
  }
  return call;
}

bool UnaryCall::finished() {
  absl::MutexLock lock(&mu_);
  return finished_;
}

void UnaryCall::Attach(std::shared_ptr<alternator::BackendCallHandle> backend) {
  {
    absl::MutexLock lock(&mu_);
    if (!finished_) {
      backend_ = std::move(backend);
      backend_attached_ = true;
      return;
    }
  }
  backend->Cancel();
}

void UnaryCall::RecordBackend(const alternator::CallStats& stats) {
  absl::MutexLock lock(&mu_);
  record_.attempts += stats.attempts;
  record_.backend_time += stats.backend_time;
  if (!stats.last_node.empty()) record_.node = stats.last_node;
}

bool UnaryCall::Fail(const GatewayError& error) {
  {
    absl::MutexLock lock(&mu_);
    if (finished_) return false;
    finished_ = true;
    backend_.reset();
  }
  End(ToGrpcStatus(error), error.reason_name());
  return true;
}

void UnaryCall::OnCancel() {
  std::shared_ptr<alternator::BackendCallHandle> backend;
  {
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    finished_ = true;
    backend = std::move(backend_);
  }
  if (backend) backend->Cancel();
  const GatewayError error = GatewayError::Cancelled();
  End(ToGrpcStatus(error), error.reason_name());
}

void UnaryCall::AbortForShutdown() {
  std::shared_ptr<alternator::BackendCallHandle> backend;
  bool attached;
  {
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    finished_ = true;
    backend = std::move(backend_);
    attached = backend_attached_;
  }
  if (backend) backend->Cancel();
  // A write whose request may have reached the database cannot be called "not applied".
  const GatewayError error =
      method_.write && attached
          ? GatewayError::WriteOutcomeUnknown("the gateway shut down before the database answered")
          : GatewayError::ShuttingDown();
  End(ToGrpcStatus(error), error.reason_name());
}

void UnaryCall::End(const grpc::Status& status, const std::string& reason) {
  observability::AccessRecord record;
  {
    absl::MutexLock lock(&mu_);
    record_.status = absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code()));
    record_.reason = reason;
    record_.duration = absl::Now() - start_;
    record = record_;
  }
  // Response facts go in trailers (service-conventions): the request id lets a caller find this call's
  // access line.
  context_->AddTrailingMetadata("x-request-id", record.request_id);
  // Finish() may end gRPC's hold on the call, and with it this object: nothing of `this` after it.
  CallTracker* const tracker = tracker_;
  if (tracker != nullptr) tracker->Finished(tracker_id_, record);
  reactor_->Finish(status);
  if (tracker != nullptr) tracker->Log(record);
}

}  // namespace altgw::service
