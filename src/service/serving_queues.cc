#include "service/serving_queues.h"

#include <pthread.h>

#include <string>

namespace altgw::service {

thread_local const ServingQueues* ServingQueues::current_queues_ = nullptr;
thread_local size_t ServingQueues::current_index_ = 0;

ServingQueues::ServingQueues(int threads)
    : thread_count_(threads < 1 ? 1 : threads), open_calls_(new std::atomic<int>[thread_count_]) {
  for (int i = 0; i < thread_count_; ++i) open_calls_[i].store(0);
}

ServingQueues::~ServingQueues() { Shutdown(); }

void ServingQueues::AddTo(grpc::ServerBuilder& builder) {
  for (int i = 0; i < thread_count_; ++i) queues_.push_back(builder.AddCompletionQueue());
}

void ServingQueues::Run() {
  for (size_t i = 0; i < queues_.size(); ++i) {
    threads_.emplace_back([this, queue = queues_[i].get(), i] {
      current_queues_ = this;
      current_index_ = i;
      // Named, so that top, perf and gdb show which threads serve gRPC.
      pthread_setname_np(pthread_self(), ("altgw-grpc-" + std::to_string(i)).substr(0, 15).c_str());
      void* tag = nullptr;
      bool ok = false;
      while (queue->Next(&tag, &ok)) static_cast<CqTag*>(tag)->Proceed(ok);
    });
  }
}

void ServingQueues::Shutdown() {
  {
    absl::WriterMutexLock lock(&mu_);
    if (closed_) return;
    closed_ = true;
  }
  // No operation can start any more; Next() returns false once every started one has reported.
  for (auto& queue : queues_) queue->Shutdown();
  if (threads_.empty()) {
    // Run() never came (the server failed to start): drain here, a queue must be empty when destroyed.
    for (auto& queue : queues_) {
      void* tag = nullptr;
      bool ok = false;
      while (queue->Next(&tag, &ok)) static_cast<CqTag*>(tag)->Proceed(ok);
    }
  }
  for (auto& thread : threads_) thread.join();
  threads_.clear();
}

}  // namespace altgw::service
