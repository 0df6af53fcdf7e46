// UnaryCall: the lifecycle of one unary gateway RPC on gRPC's callback API.
//
// gRPC owns the reactor until OnDone; backend completions arrive later on other threads and may race with
// the client's cancellation. UnaryCall is the shared state both sides hold: whoever finishes first wins,
// the response message is only written by the winner (under the lock), and the loser does nothing. A
// cancelled call cancels its backend request at once.
#ifndef ALTGW_SERVICE_UNARY_CALL_H_
#define ALTGW_SERVICE_UNARY_CALL_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "alternator/backend_client.h"
#include "common/gateway_error.h"
#include "service/grpc_status.h"

namespace altgw::service {

class UnaryCall : public std::enable_shared_from_this<UnaryCall> {
 public:
  // Creates the reactor for `context`; return `reactor()` from the RPC method.
  static std::shared_ptr<UnaryCall> Create(grpc::CallbackServerContext* context);

  grpc::ServerUnaryReactor* reactor() { return reactor_; }
  // The caller's deadline (absl::InfiniteFuture() when none).
  absl::Time deadline() const { return deadline_; }
  bool deadline_passed() const { return absl::Now() >= deadline_; }

  // Keeps the backend request so that a cancellation can abort it (cancels it at once if the call is
  // already finished).
  void Attach(std::shared_ptr<alternator::BackendCallHandle> backend);

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
      backend_.reset();
      std::forward<Fill>(fill)();
    }
    reactor_->Finish(grpc::Status::OK);
    return true;
  }

 private:
  class Reactor;
  explicit UnaryCall(grpc::CallbackServerContext* context);
  void OnCancel();

  grpc::ServerUnaryReactor* reactor_ = nullptr;  // a Reactor, owned by gRPC until OnDone
  absl::Time deadline_;
  absl::Mutex mu_;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  std::shared_ptr<alternator::BackendCallHandle> backend_ ABSL_GUARDED_BY(mu_);
};

}  // namespace altgw::service

#endif  // ALTGW_SERVICE_UNARY_CALL_H_
