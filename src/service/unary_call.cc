#include "service/unary_call.h"

#include <algorithm>

#include "absl/time/clock.h"

namespace altgw::service {

UnaryCall::UnaryCall(std::shared_ptr<UnaryRpcBase> rpc, CallTracker* tracker, const MethodInfo& method)
    : rpc_(std::move(rpc)), tracker_(tracker), method_(method), start_(absl::Now()), deadline_(rpc_->deadline()) {}

std::shared_ptr<UnaryCall> UnaryCall::Create(std::shared_ptr<UnaryRpcBase> rpc, CallTracker* tracker,
                                             const MethodInfo& method) {
  std::shared_ptr<UnaryCall> call(new UnaryCall(std::move(rpc), tracker, method));
  call->rpc_->Listen(call);
  {
    absl::MutexLock lock(&call->mu_);
    call->record_.method = method.name;
    ReadCallerIds(call->rpc_->context().client_metadata(), call->record_);
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
    call->rpc_->context().AddTrailingMetadata("x-request-id", record.request_id);
    tracker->Shed(record);
    call->rpc_->Finish(ToGrpcStatus(error));
    tracker->Log(record);
  }
  return call;
}

bool UnaryCall::finished() {
  absl::MutexLock lock(&mu_);
  return finished_;
}

void UnaryCall::Attach(const std::shared_ptr<alternator::BackendCallHandle>& backend) {
  {
    absl::MutexLock lock(&mu_);
    if (!finished_) {
      // Forget the ones that ended, so a long BatchWrite keeps this list as short as its running chunks.
      backends_.erase(std::remove_if(backends_.begin(), backends_.end(),
                                     [](const auto& handle) { return handle.expired(); }),
                      backends_.end());
      backends_.push_back(backend);
      backend_attached_ = true;
      return;
    }
  }
  backend->Cancel();
}

std::vector<std::shared_ptr<alternator::BackendCallHandle>> UnaryCall::TakeRunningBackends() {
  std::vector<std::shared_ptr<alternator::BackendCallHandle>> running;
  for (const auto& handle : backends_) {
    if (auto backend = handle.lock()) running.push_back(std::move(backend));
  }
  backends_.clear();
  return running;
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
    backends_.clear();
  }
  End(ToGrpcStatus(error), error.reason_name());
  return true;
}

void UnaryCall::OnCancel() {
  std::vector<std::shared_ptr<alternator::BackendCallHandle>> running;
  {
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    finished_ = true;
    running = TakeRunningBackends();
  }
  for (const auto& backend : running) backend->Cancel();
  const GatewayError error = GatewayError::Cancelled();
  End(ToGrpcStatus(error), error.reason_name());
}

void UnaryCall::AbortForShutdown() {
  std::vector<std::shared_ptr<alternator::BackendCallHandle>> running;
  bool attached;
  {
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    finished_ = true;
    running = TakeRunningBackends();
    attached = backend_attached_;
  }
  for (const auto& backend : running) backend->Cancel();
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
  rpc_->context().AddTrailingMetadata("x-request-id", record.request_id);
  if (tracker_ != nullptr) tracker_->Finished(tracker_id_, record);
  rpc_->Finish(status);
  if (tracker_ != nullptr) tracker_->Log(record);
}

}  // namespace altgw::service
