#include "common/scheduler.h"

namespace altgw {

Scheduler::Scheduler() : thread_([this] { Run(); }) {}

Scheduler::~Scheduler() { Shutdown(); }

void Scheduler::Shutdown() {
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> dropped;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    dropped.swap(queue_);
  }
  if (thread_.joinable()) thread_.join();
  // `dropped` releases the tasks' captures here, outside the lock (a capture's destructor may schedule).
}

void Scheduler::RunAt(absl::Time when, Task task) {
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_) {
      queue_.push(Entry{when, next_sequence_++, std::move(task)});
      return;
    }
  }
  // Stopped: `task` is dropped here, outside the lock.
}

void Scheduler::Run() {
  for (;;) {
    Task task;
    {
      absl::MutexLock lock(&mu_);
      // Sleep until the earliest task is due, a task is added, or shutdown.
      for (;;) {
        if (stopping_) return;
        if (!queue_.empty() && queue_.top().when <= absl::Now()) break;
        const absl::Time wake = queue_.empty() ? absl::InfiniteFuture() : queue_.top().when;
        const size_t size = queue_.size();
        auto changed = [this, size]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          return stopping_ || queue_.size() != size;
        };
        mu_.AwaitWithDeadline(absl::Condition(&changed), wake);
      }
      task = std::move(queue_.top().task);
      queue_.pop();
    }
    std::move(task)();
  }
}

}  // namespace altgw
