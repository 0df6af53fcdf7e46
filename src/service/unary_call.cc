#include "service/unary_call.h"

#include "absl/time/clock.h"

namespace altgw::service {

// gRPC's reactor. It keeps the UnaryCall alive until gRPC is done with the call.
class UnaryCall::Reactor final : public grpc::ServerUnaryReactor {
 public:
  explicit Reactor(std::shared_ptr<UnaryCall> call) : call_(std::move(call)) {}
  void OnCancel() override { call_->OnCancel(); }
  void OnDone() override { delete this; }

 private:
  std::shared_ptr<UnaryCall> call_;
};

UnaryCall::UnaryCall(grpc::CallbackServerContext* context) {
  const auto deadline = context->deadline();
  deadline_ = deadline == std::chrono::system_clock::time_point::max() ? absl::InfiniteFuture()
                                                                       : absl::FromChrono(deadline);
}

std::shared_ptr<UnaryCall> UnaryCall::Create(grpc::CallbackServerContext* context) {
  std::shared_ptr<UnaryCall> call(new UnaryCall(context));
  call->reactor_ = new Reactor(call);
  return call;
}

void UnaryCall::Attach(std::shared_ptr<alternator::BackendCallHandle> backend) {
  {
    absl::MutexLock lock(&mu_);
    if (!finished_) {
      backend_ = std::move(backend);
      return;
    }
  }
  backend->Cancel();
}

bool UnaryCall::Fail(const GatewayError& error) {
  {
    absl::MutexLock lock(&mu_);
    if (finished_) return false;
    finished_ = true;
    backend_.reset();
  }
  reactor_->Finish(ToGrpcStatus(error));
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
  reactor_->Finish(ToGrpcStatus(GatewayError::Cancelled()));
}

}  // namespace altgw::service
