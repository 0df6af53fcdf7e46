// Scheduler: runs callbacks at a later time on one background thread (backoff before a retry, periodic
// refreshes), so that nothing on a request path ever sleeps.
#ifndef ALTGW_COMMON_SCHEDULER_H_
#define ALTGW_COMMON_SCHEDULER_H_

#include <cstdint>
#include <queue>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace altgw {

class Scheduler {
 public:
  using Task = absl::AnyInvocable<void() &&>;

  Scheduler();
  // Runs no more tasks; tasks not yet due are dropped (their captured state is released).
  ~Scheduler();

  // Stops the thread and drops pending tasks now; later RunAt() calls drop their task at once. For an
  // orderly shutdown: stop the scheduler while what its tasks refer to still exists.
  void Shutdown();

  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Runs `task` on the scheduler thread at `when` (at once if it is in the past). Tasks must not block.
  void RunAt(absl::Time when, Task task);
  void RunAfter(absl::Duration delay, Task task) { RunAt(absl::Now() + delay, std::move(task)); }

 private:
  struct Entry {
    absl::Time when;
    uint64_t sequence;  // FIFO among tasks due at the same time
    mutable Task task;
    bool operator>(const Entry& other) const {
      return when != other.when ? when > other.when : sequence > other.sequence;
    }
  };

  void Run();

  absl::Mutex mu_;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> queue_ ABSL_GUARDED_BY(mu_);
  uint64_t next_sequence_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace altgw

#endif  // ALTGW_COMMON_SCHEDULER_H_
