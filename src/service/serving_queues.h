// ServingQueues: the completion queues the gateway serves gRPC on, and the threads that drain them.
//
// The gateway uses gRPC's completion-queue API, not the callback API. On gRPC 1.51 the callback API
// always polls with at least two threads that hand the poller role to each other through futexes on every
// completion; at 64 streams that hand-off was the largest kernel cost in the gateway's profile, and a
// trivial callback server spent twice the CPU per call of the same server on one completion queue
// (bench/README.md). Each queue here has exactly one thread, so every event of a call is handled on the
// thread of the queue the call arrived on, one after the other.
//
// Every gRPC operation that reports to a queue (requesting a call, writing, finishing) starts through
// StartOp(): once Shutdown() has begun, no operation may start on a queue, and StartOp() says so instead.
#ifndef ALTGW_SERVICE_SERVING_QUEUES_H_
#define ALTGW_SERVICE_SERVING_QUEUES_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace altgw::service {

// What the queues' threads hand each event to: the tag given to gRPC is always a CqTag*.
class CqTag {
 public:
  // `ok`: gRPC's verdict on the operation (false: the call ended or the server is shutting down).
  virtual void Proceed(bool ok) = 0;

 protected:
  ~CqTag() = default;
};

class ServingQueues {
 public:
  // `threads` >= 1: one completion queue and one thread each.
  explicit ServingQueues(int threads);
  ~ServingQueues();  // Shutdown()
  ServingQueues(const ServingQueues&) = delete;
  ServingQueues& operator=(const ServingQueues&) = delete;

  // Adds the queues to `builder`; before BuildAndStart().
  void AddTo(grpc::ServerBuilder& builder);
  size_t size() const { return queues_.size(); }
  grpc::ServerCompletionQueue* queue(size_t i) const { return queues_[i].get(); }

  // Whether the calling thread is queue `i`'s.
  bool OnThreadOf(size_t i) const { return current_queues_ == this && current_index_ == i; }
  // Calls open on queue `i` (arrived, not yet released): a measure of how busy its thread is.
  int open_calls(size_t i) const { return open_calls_[i].load(std::memory_order_relaxed); }
  void CallOpened(size_t i) { open_calls_[i].fetch_add(1, std::memory_order_relaxed); }
  void CallClosed(size_t i) { open_calls_[i].fetch_sub(1, std::memory_order_relaxed); }

  // Starts the threads; after BuildAndStart() and after the services have requested their first calls.
  void Run();

  // Runs `op`, which starts one gRPC operation that reports to a queue, unless Shutdown() has begun.
  // Returns whether it ran: when it did not, no event will come for that operation.
  template <typename Op>
  bool StartOp(Op&& op) {
    absl::ReaderMutexLock lock(&mu_);
    if (closed_) return false;
    std::forward<Op>(op)();
    return true;
  }

  // Closes the queues and waits until their threads have handled every outstanding event. Call it after
  // grpc::Server::Shutdown() returned. Idempotent.
  void Shutdown();

 private:
  std::vector<std::unique_ptr<grpc::ServerCompletionQueue>> queues_;
  std::vector<std::thread> threads_;
  const int thread_count_;
  std::unique_ptr<std::atomic<int>[]> open_calls_;
  // Set on each queue's thread.
  static thread_local const ServingQueues* current_queues_;
  static thread_local size_t current_index_;
  absl::Mutex mu_;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace altgw::service

#endif  // ALTGW_SERVICE_SERVING_QUEUES_H_
