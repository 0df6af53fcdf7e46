#include "service/scan_stream.h"

#include <optional>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "model/scan_requests.h"
#include "service/methods.h"

namespace altgw::service {
namespace {

namespace v1 = ::alternator::gateway::v1;
using nlohmann::json;

using ScanRpc = ServerStreamRpc<v1::ScanRequest, v1::ScanResponse>;

// The stream's state, shared with asynchronous completions (they check `finished_` before writing). It
// holds the call, so the request and the context stay alive as long as any completion may read them.
class ScanState : public TrackedCall, public RpcListener, public std::enable_shared_from_this<ScanState> {
 public:
  ScanState(Gateway& gateway, std::shared_ptr<ScanRpc> rpc)
      : gateway_(gateway), rpc_(std::move(rpc)), request_(rpc_->request()), start_(absl::Now()) {
    grpc::ServerContext& context = rpc_->context();
    if (gateway.authorizer != nullptr) {
      denied_ = gateway.authorizer->Check(context, {{Permission::kRead, request_.table()}});
    }
    deadline_ = rpc_->deadline();
    record_.method = methods::kScan.name;
    ReadCallerIds(context.client_metadata(), record_);
  }

  void Begin() {
    if (gateway_.calls != nullptr && !gateway_.calls->Admit(methods::kScan, weak_from_this(), &tracker_id_)) {
      const GatewayError error =
          GatewayError::Overloaded(gateway_.calls->max_in_flight(), CallTracker::ShedRetryDelay());
      {
        absl::MutexLock lock(&mu_);
        finished_ = true;
      }
      observability::AccessRecord record = Record(ToGrpcStatus(error), error.reason_name());
      rpc_->context().AddTrailingMetadata("x-request-id", record.request_id);
      gateway_.calls->Shed(record);
      rpc_->Finish(ToGrpcStatus(error));
      gateway_.calls->Log(record);
      return;
    }
    admitted_ = true;
    if (denied_) {
      Fail(*denied_);
      return;
    }
    if (absl::Now() >= deadline_) {
      Fail(GatewayError::DeadlineExceeded("the call's deadline had passed when it arrived"));
      return;
    }
    Violations violations;
    if (!model::CheckTableName(request_.table(), FieldRef("table"), violations)) {
      Fail(violations.ToError());
      return;
    }
    auto self = shared_from_this();
    gateway_.schemas.Get(request_.table(), [self](ErrorOr<SchemaPtr> schema) {
      if (self->finished()) return;  // cancelled while the schema was looked up: request no page
      if (!schema.ok()) {
        self->Fail(schema.error());
        return;
      }
      self->schema_ = *schema;
      ErrorOr<model::ScanPlan> plan =
          model::TranslateScan(self->request_, *self->schema_, self->gateway_.page_tokens, absl::Now());
      if (!plan.ok()) {
        self->Fail(plan.error());
        return;
      }
      self->plan_ = std::move(plan).value();
      self->next_key_ = self->plan_->resume_key();
      self->FetchPage();
    });
  }

  void OnWriteDone(bool ok) override {
    bool finish_ok = false;
    bool fetch = false;
    bool aborted = false;
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      if (finished_) return;
      if (aborted_) {
        finished_ = true;
        aborted = true;
      } else if (cancelled_ || !ok) {
        finished_ = true;
      } else if (last_written_) {
        finished_ = true;
        finish_ok = true;
      } else {
        fetch = true;
      }
    }
    if (fetch) {
      FetchPage();
    } else if (finish_ok) {
      End(grpc::Status::OK, "");
    } else if (aborted) {
      End(ToGrpcStatus(GatewayError::ShuttingDown()), GatewayError::ShuttingDown().reason_name());
    } else {
      End(ToGrpcStatus(GatewayError::Cancelled()), GatewayError::Cancelled().reason_name());
    }
  }

  // A drain ran out of time. Scans only read: SHUTTING_DOWN (retryable; the caller resumes from the last
  // resume token it got). While a write is in flight, OnWriteDone finishes the stream.
  void AbortForShutdown() override {
    std::shared_ptr<alternator::BackendCallHandle> backend;
    {
      absl::MutexLock lock(&mu_);
      if (finished_) return;
      aborted_ = true;
      backend = std::move(backend_);
      if (writing_) {
        if (backend) backend->Cancel();
        return;
      }
      finished_ = true;
    }
    if (backend) backend->Cancel();
    End(ToGrpcStatus(GatewayError::ShuttingDown()), GatewayError::ShuttingDown().reason_name());
  }

  void OnCancel() override {
    std::shared_ptr<alternator::BackendCallHandle> backend;
    {
      absl::MutexLock lock(&mu_);
      cancelled_ = true;
      backend = std::move(backend_);
      // While a write is in flight, OnWriteDone finishes the stream.
      if (finished_ || writing_) {
        if (backend) backend->Cancel();
        return;
      }
      finished_ = true;
    }
    if (backend) backend->Cancel();
    End(ToGrpcStatus(GatewayError::Cancelled()), GatewayError::Cancelled().reason_name());
  }

 private:
  bool finished() {
    absl::MutexLock lock(&mu_);
    return finished_;
  }

  void FetchPage() {
    // A cancellation may have come since the last write completed: then no further page is requested.
    if (finished()) return;
    uint32_t limit = plan_->page_size();
    if (plan_->limit() > 0) {
      const uint64_t remaining = plan_->limit() - delivered_;
      if (remaining < limit) limit = static_cast<uint32_t>(remaining);
    }
    auto self = shared_from_this();
    auto handle = gateway_.backend.Execute(
        plan_->PageCall(next_key_ ? &*next_key_ : nullptr, limit), deadline_,
        [self](ErrorOr<model::Answer> answer, const alternator::CallStats& stats) {
          self->RecordBackend(stats);
          self->OnPage(std::move(answer));
        });
    absl::MutexLock lock(&mu_);
    if (finished_) {
      handle->Cancel();
    } else {
      backend_ = std::move(handle);
    }
  }

  void OnPage(ErrorOr<model::Answer> answer) {
    if (!answer.ok()) {
      Fail(answer.error());
      return;
    }
    // No write is in flight while a page is fetched, so only this thread touches message_ here.
    message_.Clear();
    ErrorOr<model::ScanPage> page = model::ParseScanPage(*answer, *schema_, &message_);
    if (!page.ok()) {
      Fail(page.error());
      return;
    }
    delivered_ += static_cast<uint64_t>(message_.items_size());
    message_.set_scanned_count(page->scanned_count);
    next_key_ = std::move(page->last_key);
    const bool limit_reached = plan_->limit() > 0 && delivered_ >= plan_->limit();
    const bool last = !next_key_ || limit_reached;
    if (next_key_) message_.set_resume_token(plan_->ResumeToken(gateway_.page_tokens, *next_key_, absl::Now()));
    if (last) message_.mutable_end()->set_complete(!next_key_);
    {
      absl::MutexLock lock(&mu_);
      if (finished_) return;
      backend_.reset();
      writing_ = true;
      last_written_ = last;
    }
    rpc_->StartWrite(&message_);
  }

  void Fail(const GatewayError& error) {
    {
      absl::MutexLock lock(&mu_);
      if (finished_) return;
      finished_ = true;
      backend_.reset();
    }
    End(ToGrpcStatus(error), error.reason_name());
  }

  void RecordBackend(const alternator::CallStats& stats) {
    absl::MutexLock lock(&mu_);
    record_.attempts += stats.attempts;
    record_.backend_time += stats.backend_time;
    if (!stats.last_node.empty()) record_.node = stats.last_node;
  }

  observability::AccessRecord Record(const grpc::Status& status, const std::string& reason) {
    absl::MutexLock lock(&mu_);
    record_.status = absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code()));
    record_.reason = reason;
    record_.duration = absl::Now() - start_;
    return record_;
  }

  // Sends the final status (the caller won the race for finished_) and reports the call.
  void End(const grpc::Status& status, const std::string& reason) {
    observability::AccessRecord record = Record(status, reason);
    rpc_->context().AddTrailingMetadata("x-request-id", record.request_id);
    CallTracker* tracker = admitted_ ? gateway_.calls : nullptr;
    if (tracker != nullptr) tracker->Finished(tracker_id_, record);
    rpc_->Finish(status);
    if (tracker != nullptr) tracker->Log(record);
  }

  Gateway& gateway_;
  const std::shared_ptr<ScanRpc> rpc_;
  const v1::ScanRequest& request_;  // the call's, alive with rpc_
  const absl::Time start_;
  bool admitted_ = false;  // set in Begin(), before anything can finish the stream
  uint64_t tracker_id_ = 0;
  absl::Time deadline_;
  SchemaPtr schema_;
  std::optional<GatewayError> denied_;  // the caller may not read the table
  std::optional<model::ScanPlan> plan_;
  std::optional<json> next_key_;
  uint64_t delivered_ = 0;
  v1::ScanResponse message_;  // the message being written: stays put until OnWriteDone

  absl::Mutex mu_;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool last_written_ ABSL_GUARDED_BY(mu_) = false;
  bool aborted_ ABSL_GUARDED_BY(mu_) = false;  // a drain ran out of time
  observability::AccessRecord record_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<alternator::BackendCallHandle> backend_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

void StartScan(Gateway& gateway, const std::shared_ptr<ServerStreamRpc<v1::ScanRequest, v1::ScanResponse>>& rpc) {
  auto state = std::make_shared<ScanState>(gateway, rpc);
  rpc->Listen(state);
  state->Begin();
}

}  // namespace altgw::service
