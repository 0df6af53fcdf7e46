// Calls served on ServingQueues (gRPC's completion-queue API): one object per call, from the moment it is
// requested from gRPC until gRPC has reported every operation started on it.
//
//   ServeUnary / ServeServerStream request calls of one method on every queue. When a call arrives, the
//   next one is requested at once (so one is always waiting), then the method's handler runs with the
//   call on the arrival thread. Handlers answer at any time, from any thread: UnaryRpc::Finish,
//   ServerStreamRpc::StartWrite / Finish.
//
// Lifetime: the call object holds itself while any of its operations is outstanding, and holds the
// RpcListener given to Listen() as long. Whoever needs the request, the response or the context after
// that (a database answer arriving after a cancellation) holds a shared_ptr to the call; nothing dangles.
//
// Events of a call (arrival, writes, the end) come on its queue's thread, in order, never inline inside a
// Finish or StartWrite. The one exception: when the queues are already shut down, a write is refused at
// once and OnWriteDone(false) runs inside StartWrite.
//
// A unary answer given on another thread (the HTTP client's loop, with the database's answer) is handed
// back to the call's queue thread when other calls keep that thread awake anyway: gRPC's work for the
// call (serializing, writing, the end-of-call events) then runs on one thread instead of two that wake
// each other. With no other call open the queue thread is asleep, and waking it would only add latency:
// the answering thread finishes the call itself (bench/README.md has the measurements).
#ifndef ALTGW_SERVICE_ASYNC_RPC_H_
#define ALTGW_SERVICE_ASYNC_RPC_H_

#include <grpcpp/alarm.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/codegen/proto_utils.h>  // the messages are protobuf
#include <grpcpp/support/async_stream.h>
#include <grpcpp/support/async_unary_call.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "service/serving_queues.h"

namespace altgw::service {

// Told about a call's events, on its queue's thread. Implemented by the calls that outlive their first
// handler (UnaryCall, Scan, health Watch).
class RpcListener {
 public:
  virtual ~RpcListener() = default;
  // The call ended before its status was sent: the caller cancelled, its deadline passed, the connection
  // broke, or the server cancelled it at shutdown. Whatever it still does is wasted; it must still finish.
  virtual void OnCancel() = 0;
  // Streams: the write started last completed (`ok` false: the stream is broken; finish it).
  virtual void OnWriteDone(bool ok) { (void)ok; }
  // gRPC has reported every operation of the call.
  virtual void OnDone() {}
};

// What every kind of call shares: the context, the end-of-call notification, the lifetime.
class Rpc : public std::enable_shared_from_this<Rpc> {
 public:
  virtual ~Rpc() = default;
  Rpc(const Rpc&) = delete;
  Rpc& operator=(const Rpc&) = delete;

  grpc::ServerContext& context() { return context_; }
  // The caller's deadline; absl::InfiniteFuture() when it set none.
  absl::Time deadline() const {
    const auto deadline = context_.deadline();
    return deadline == std::chrono::system_clock::time_point::max() ? absl::InfiniteFuture()
                                                                    : absl::FromChrono(deadline);
  }
  // Keeps `listener` and tells it this call's events until OnDone. Call it from the handler.
  void Listen(std::shared_ptr<RpcListener> listener) { listener_ = std::move(listener); }
  // Whether other calls are open on this call's queue, keeping its thread busy.
  bool QueueBusy() const { return queues_.open_calls(queue_index_) > 1; }

 protected:
  enum class Event { kArrived, kDone, kWritten, kFinished, kHandBack };

  Rpc(ServingQueues& queues, size_t queue_index)
      : queues_(queues), queue_index_(queue_index), queue_(queues.queue(queue_index)) {}

  // Asks gRPC for the next call of the method (`request_call(tag)`), with `self` as the owner.
  template <typename RequestCall>
  static void WaitForCall(std::shared_ptr<Rpc> self, RequestCall request_call) {
    Rpc& rpc = *self;
    {
      absl::MutexLock lock(&rpc.owner_mu_);
      rpc.self_ = std::move(self);
    }
    rpc.pending_.store(1, std::memory_order_relaxed);
    // Tells when the call ended, and whether by cancellation (only once the call has arrived).
    rpc.context_.AsyncNotifyWhenDone(&rpc.done_tag_);
    if (!rpc.queues_.StartOp([&] { request_call(rpc.tag(Event::kArrived)); })) rpc.Settle();
  }

  // Starts an operation reporting `event`. False when the queues are shut down (no event will come).
  template <typename Op>
  bool Start(Event event, Op op) {
    if (pending_.fetch_add(1, std::memory_order_acq_rel) == 0) {
      // Everything before had reported and the call had let go of itself; an answer that comes after a
      // cancellation gets here. The caller holds the call: hold it again until this operation reports.
      absl::MutexLock lock(&owner_mu_);
      self_ = shared_from_this();
    }
    if (queues_.StartOp([&] { op(tag(event)); })) return true;
    Settle();
    return false;
  }

  // The call arrived: request the next one, then run the handler.
  virtual void OnArrived() = 0;
  // What HandBack() runs on the queue's thread.
  virtual void OnHandedBack() {}

  // Whether work for this call is better done on its queue's thread than on the calling one: the caller
  // is another thread, and other open calls keep the queue's thread awake.
  bool ShouldHandBack() const { return !queues_.OnThreadOf(queue_index_) && QueueBusy(); }
  // Runs OnHandedBack() on the queue's thread, after the events already queued (an alarm that is due at
  // once). Nothing runs if the queues are shut down.
  void HandBack() {
    Start(Event::kHandBack, [&](void* tag) { alarm_.Set(queue_, gpr_inf_past(GPR_CLOCK_MONOTONIC), tag); });
  }

  void TellWriteDone(bool ok) {
    if (listener_) listener_->OnWriteDone(ok);
  }

  ServingQueues& queues_;
  const size_t queue_index_;
  grpc::ServerCompletionQueue* const queue_;
  grpc::ServerContext context_;

 private:
  struct Tag final : CqTag {
    Tag(Rpc* r, Event e) : rpc(r), event(e) {}
    void Proceed(bool ok) override { rpc->OnEvent(event, ok); }
    Rpc* const rpc;
    const Event event;
  };

  void* tag(Event event) {
    switch (event) {
      case Event::kArrived: return &arrived_tag_;
      case Event::kDone: return &done_tag_;
      case Event::kWritten: return &written_tag_;
      case Event::kHandBack: return &hand_back_tag_;
      case Event::kFinished: break;
    }
    return &finished_tag_;
  }

  void OnEvent(Event event, bool ok) {
    switch (event) {
      case Event::kArrived:
        if (ok) {
          pending_.fetch_add(1, std::memory_order_relaxed);  // the end-of-call notification is now due
          open_.store(true, std::memory_order_relaxed);
          queues_.CallOpened(queue_index_);
          OnArrived();
        }
        break;
      case Event::kDone:
        if (context_.IsCancelled() && listener_) listener_->OnCancel();
        break;
      case Event::kWritten:
        TellWriteDone(ok);
        break;
      case Event::kHandBack:
        OnHandedBack();
        break;
      case Event::kFinished:
        break;
    }
    Settle();
  }

  // One outstanding operation fewer; after the last, the call lets go of itself and its listener.
  void Settle() {
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    if (open_.exchange(false, std::memory_order_relaxed)) queues_.CallClosed(queue_index_);
    std::shared_ptr<Rpc> self;
    {
      absl::MutexLock lock(&owner_mu_);
      // A late answer may have started an operation (and taken the call again) since the count hit zero.
      if (pending_.load(std::memory_order_acquire) != 0) return;
      self = std::move(self_);
    }
    std::shared_ptr<RpcListener> listener = std::move(listener_);
    if (listener) listener->OnDone();
    // `listener` goes first, then `self`: either may be the last owner of this object.
  }

  Tag arrived_tag_{this, Event::kArrived};
  Tag done_tag_{this, Event::kDone};
  Tag written_tag_{this, Event::kWritten};
  Tag finished_tag_{this, Event::kFinished};
  Tag hand_back_tag_{this, Event::kHandBack};
  grpc::Alarm alarm_;  // HandBack()'s
  std::atomic<bool> open_{false};  // counted in the queue's open calls
  std::atomic<int> pending_{0};
  absl::Mutex owner_mu_;  // letting go of the call and taking it again
  std::shared_ptr<Rpc> self_ ABSL_GUARDED_BY(owner_mu_);
  std::shared_ptr<RpcListener> listener_;
};

// A unary call, seen without its message types (what UnaryCall needs).
class UnaryRpcBase : public Rpc {
 public:
  // Sends the status, and the response message with an OK status. Once.
  virtual void Finish(const grpc::Status& status) = 0;

 protected:
  using Rpc::Rpc;
};

template <typename Request, typename Response>
class UnaryRpc final : public UnaryRpcBase {
 public:
  using Writer = grpc::ServerAsyncResponseWriter<Response>;
  // The async service's generated Request<Method>(context, request, writer, call queue, notification
  // queue, tag); both queues are the same here.
  using Requester = std::function<void(grpc::ServerContext*, Request*, Writer*, grpc::CompletionQueue*,
                                       grpc::ServerCompletionQueue*, void*)>;
  using Handler = std::function<void(const std::shared_ptr<UnaryRpc>&)>;
  struct Method {
    Requester request;
    Handler handler;
  };

  // Requests one call of `method` on queue `queue_index`.
  static void Arm(ServingQueues& queues, size_t queue_index, std::shared_ptr<const Method> method) {
    auto rpc = std::shared_ptr<UnaryRpc>(new UnaryRpc(queues, queue_index, std::move(method)));
    UnaryRpc* raw = rpc.get();
    Rpc::WaitForCall(std::move(rpc), [raw](void* tag) {
      raw->method_->request(&raw->context_, &raw->request_, &raw->writer_, raw->queue_, raw->queue_, tag);
    });
  }

  const Request& request() const { return request_; }
  Response* response() { return &response_; }

  void Finish(const grpc::Status& status) override {
    status_ = status;
    if (ShouldHandBack()) {
      HandBack();
    } else {
      SendStatus();
    }
  }

 private:
  UnaryRpc(ServingQueues& queues, size_t queue_index, std::shared_ptr<const Method> method)
      : UnaryRpcBase(queues, queue_index), method_(std::move(method)) {}

  void OnArrived() override {
    Arm(queues_, queue_index_, method_);
    method_->handler(std::static_pointer_cast<UnaryRpc>(this->shared_from_this()));
  }

  void OnHandedBack() override { SendStatus(); }

  void SendStatus() {
    Start(Event::kFinished, [&](void* tag) {
      if (status_.ok()) {
        writer_.Finish(response_, status_, tag);
      } else {
        writer_.FinishWithError(status_, tag);
      }
    });
  }

  const std::shared_ptr<const Method> method_;
  Request request_;
  Response response_;
  grpc::Status status_;  // Finish()'s, sent by SendStatus()
  Writer writer_{&context_};
};

// A server-streaming call, seen without its request type (what a stream's listener needs).
template <typename Response>
class ServerStreamWriter : public Rpc {
 public:
  // Writes one message; `*message` must stay put until OnWriteDone. One write at a time.
  virtual void StartWrite(const Response* message) = 0;
  // Ends the stream with `status`. Once, and never while a write is outstanding.
  virtual void Finish(const grpc::Status& status) = 0;

 protected:
  using Rpc::Rpc;
};

template <typename Request, typename Response>
class ServerStreamRpc final : public ServerStreamWriter<Response> {
 public:
  using Writer = grpc::ServerAsyncWriter<Response>;
  using Requester = std::function<void(grpc::ServerContext*, Request*, Writer*, grpc::CompletionQueue*,
                                       grpc::ServerCompletionQueue*, void*)>;
  using Handler = std::function<void(const std::shared_ptr<ServerStreamRpc>&)>;
  struct Method {
    Requester request;
    Handler handler;
  };

  static void Arm(ServingQueues& queues, size_t queue_index, std::shared_ptr<const Method> method) {
    auto rpc = std::shared_ptr<ServerStreamRpc>(new ServerStreamRpc(queues, queue_index, std::move(method)));
    ServerStreamRpc* raw = rpc.get();
    Rpc::WaitForCall(std::move(rpc), [raw](void* tag) {
      raw->method_->request(&raw->context_, &raw->request_, &raw->writer_, raw->queue_, raw->queue_, tag);
    });
  }

  const Request& request() const { return request_; }

  void StartWrite(const Response* message) override {
    if (!this->Start(Rpc::Event::kWritten, [&](void* tag) { writer_.Write(*message, tag); })) {
      this->TellWriteDone(false);
    }
  }

  void Finish(const grpc::Status& status) override {
    this->Start(Rpc::Event::kFinished, [&](void* tag) { writer_.Finish(status, tag); });
  }

 private:
  ServerStreamRpc(ServingQueues& queues, size_t queue_index, std::shared_ptr<const Method> method)
      : ServerStreamWriter<Response>(queues, queue_index), method_(std::move(method)) {}

  void OnArrived() override {
    Arm(this->queues_, this->queue_index_, method_);
    method_->handler(std::static_pointer_cast<ServerStreamRpc>(this->shared_from_this()));
  }

  const std::shared_ptr<const Method> method_;
  Request request_;
  Writer writer_{&this->context_};
};

// How many calls of each method wait for a caller on each queue. A call that finds none armed waits in
// gRPC until the queue's thread requests the next one, so a few spare ones absorb bursts.
inline constexpr int kCallsArmedPerMethod = 4;

// Requests calls of one method (an RpcType: UnaryRpc or ServerStreamRpc) on every queue.
template <typename RpcType>
void ServeOnEveryQueue(ServingQueues& queues, typename RpcType::Requester request, typename RpcType::Handler handler) {
  auto method =
      std::make_shared<const typename RpcType::Method>(typename RpcType::Method{std::move(request), std::move(handler)});
  for (size_t q = 0; q < queues.size(); ++q) {
    for (int i = 0; i < kCallsArmedPerMethod; ++i) RpcType::Arm(queues, q, method);
  }
}

// Serves a unary method: `request` is the generated Request<Method> of the async service.
template <typename Request, typename Response>
void ServeUnary(ServingQueues& queues, typename UnaryRpc<Request, Response>::Requester request,
                typename UnaryRpc<Request, Response>::Handler handler) {
  ServeOnEveryQueue<UnaryRpc<Request, Response>>(queues, std::move(request), std::move(handler));
}

template <typename Request, typename Response>
void ServeServerStream(ServingQueues& queues, typename ServerStreamRpc<Request, Response>::Requester request,
                       typename ServerStreamRpc<Request, Response>::Handler handler) {
  ServeOnEveryQueue<ServerStreamRpc<Request, Response>>(queues, std::move(request), std::move(handler));
}

}  // namespace altgw::service

#endif  // ALTGW_SERVICE_ASYNC_RPC_H_
