// UnaryCall: the lifecycle of one unary gateway RPC (a UnaryRpc on the serving queues, see async_rpc.h).
//
// Backend completions arrive on other threads and may race with the client's cancellation and with a
// drain that runs out of time. UnaryCall is the shared state all sides hold: whoever finishes first wins, the response message is only written by the winner (under the lock),
// and the losers do nothing. A cancelled call cancels its backend request at once.
//
// Each call is admitted by the CallTracker (or shed at once with RESOURCE_EXHAUSTED / OVERLOADED when too
// many are running) and reported to it when it ends, with what the access log and metrics need: status,
// reason, duration, database attempts, time and node, request and trace ids.
#ifndef ALTGW_SERVICE_UNARY_CALL_H_
#define ALTGW_SERVICE_UNARY_CALL_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/inlined_vector.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "alternator/backend_client.h"
#include "common/gateway_error.h"
#include "observability/log.h"
#include "service/async_rpc.h"
#include "service/call_tracker.h"
#include "service/grpc_status.h"

namespace altgw::service {

class UnaryCall : public TrackedCall, public RpcListener, public std::enable_shared_from_this<UnaryCall> {
 public:
  // Takes charge of `rpc` (it listens to its cancellation). When `tracker` refuses the call it is already
  // finished (OVERLOADED) on return: check finished() before doing any work. `tracker` may be null (no
  // bound, no reports).
  static std::shared_ptr<UnaryCall> Create(std::shared_ptr<UnaryRpcBase> rpc, CallTracker* tracker,
                                           const MethodInfo& method);

  // The caller's metadata, peer and credentials.
  const grpc::ServerContextBase& context() const { return rpc_->context(); }
  // The caller's deadline (absl::InfiniteFuture() when none).
  absl::Time deadline() const { return deadline_; }
  bool deadline_passed() const { return absl::Now() >= deadline_; }
  // True once the call has its final status (shed, failed, succeeded, cancelled or aborted).
  bool finished();

  // Remembers a backend request so that a cancellation or a drain abort stops it (cancels it at once if the
  // call is already finished). A call may have several running at once (BatchWrite's chunks): all of them
  // are stopped.
  void Attach(const std::shared_ptr<alternator::BackendCallHandle>& backend);
  // Adds one database request's attempts, time and node to the call's access record.
  void RecordBackend(const alternator::CallStats& stats);

  // Finishes with an error. False if the call was already finished.
  bool Fail(const GatewayError& error);

  // Finishes successfully after `fill` wrote the response. `fill` runs only if the call is not finished
  // yet, under the lock, so it never races with the end of the call.
  template <typename Fill>
  bool Succeed(Fill&& fill) {
    {
      absl::MutexLock lock(&mu_);
      if (finished_) return false;
      finished_ = true;
      backends_.clear();
      std::forward<Fill>(fill)();
    }
    End(grpc::Status::OK, "");
    return true;
  }

  void AbortForShutdown() override;
  // RpcListener: the caller cancelled (or its deadline passed): cancels the backend request at once.
  void OnCancel() override;

 private:
  UnaryCall(std::shared_ptr<UnaryRpcBase> rpc, CallTracker* tracker, const MethodInfo& method);
  // Sends the final status (the caller won the race for finished_) and reports the call.
  void End(const grpc::Status& status, const std::string& reason);
  // Takes the attached requests that are still running (for the one who won the race to finish).
  std::vector<std::shared_ptr<alternator::BackendCallHandle>> TakeRunningBackends()
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // The call's request, response and context stay alive as long as this object does.
  const std::shared_ptr<UnaryRpcBase> rpc_;
  CallTracker* const tracker_;
  const MethodInfo method_;
  const absl::Time start_;
  const absl::Time deadline_;
  uint64_t tracker_id_ = 0;
  absl::Mutex mu_;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool backend_attached_ ABSL_GUARDED_BY(mu_) = false;  // a database request was started for the call
  // Weak: a request in flight is kept alive by its transport or retry timer, and one that has finished
  // must not keep its request body (a BatchWrite chunk can be megabytes) until the call ends. Most calls
  // have one request: it is held inline, with no allocation per call.
  absl::InlinedVector<std::weak_ptr<alternator::BackendCallHandle>, 1> backends_ ABSL_GUARDED_BY(mu_);
  observability::AccessRecord record_ ABSL_GUARDED_BY(mu_);
};

}  // namespace altgw::service

#endif  // ALTGW_SERVICE_UNARY_CALL_H_
