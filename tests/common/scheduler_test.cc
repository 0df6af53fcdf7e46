// Scheduler: tasks run on one background thread in time order (FIFO among equal times), past-due tasks run
// at once, nothing runs early, and destroying the scheduler drops (and releases) tasks not yet due.
#include "common/scheduler.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace altgw {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

// Records the order in which tasks ran, and lets a test wait for a number of them.
class Recorder {
 public:
  void Record(int id) {
    absl::MutexLock lock(&mu_);
    order_.push_back(id);
    threads_.push_back(std::this_thread::get_id());
  }
  bool WaitFor(size_t n, absl::Duration timeout = absl::Seconds(10)) {
    absl::MutexLock lock(&mu_);
    auto enough = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return order_.size() >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
  }
  std::vector<int> order() {
    absl::MutexLock lock(&mu_);
    return order_;
  }
  std::vector<std::thread::id> threads() {
    absl::MutexLock lock(&mu_);
    return threads_;
  }

 private:
  absl::Mutex mu_;
  std::vector<int> order_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread::id> threads_ ABSL_GUARDED_BY(mu_);
};

TEST(SchedulerTest, RunsTasksInTimeOrderNotSubmissionOrder) {
  Recorder recorder;
  Scheduler scheduler;
  const absl::Time base = absl::Now() + absl::Milliseconds(50);
  scheduler.RunAt(base + absl::Milliseconds(30), [&] { recorder.Record(3); });
  scheduler.RunAt(base + absl::Milliseconds(10), [&] { recorder.Record(1); });
  scheduler.RunAt(base + absl::Milliseconds(20), [&] { recorder.Record(2); });
  scheduler.RunAt(base, [&] { recorder.Record(0); });
  ASSERT_TRUE(recorder.WaitFor(4));
  EXPECT_THAT(recorder.order(), ElementsAre(0, 1, 2, 3));
}

TEST(SchedulerTest, TasksDueAtTheSameTimeRunInSubmissionOrder) {
  Recorder recorder;
  Scheduler scheduler;
  const absl::Time when = absl::Now() + absl::Milliseconds(30);
  std::vector<int> expected;
  for (int i = 0; i < 50; ++i) {
    scheduler.RunAt(when, [&recorder, i] { recorder.Record(i); });
    expected.push_back(i);
  }
  ASSERT_TRUE(recorder.WaitFor(50));
  EXPECT_THAT(recorder.order(), ElementsAreArray(expected));
}

TEST(SchedulerTest, PastAndPresentTasksRunAtOnce) {
  Recorder recorder;
  Scheduler scheduler;
  // Hold the scheduler thread in a first task so that all four are queued before any of them runs.
  absl::Notification gate;
  scheduler.RunAt(absl::InfinitePast(), [&] { gate.WaitForNotification(); });
  const absl::Time start = absl::Now();
  scheduler.RunAt(absl::InfinitePast(), [&] { recorder.Record(1); });
  scheduler.RunAt(absl::Now() - absl::Hours(1), [&] { recorder.Record(2); });
  scheduler.RunAfter(absl::ZeroDuration(), [&] { recorder.Record(3); });
  scheduler.RunAfter(-absl::Seconds(5), [&] { recorder.Record(4); });
  gate.Notify();
  ASSERT_TRUE(recorder.WaitFor(4, absl::Seconds(5)));
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  // Among past tasks, earlier deadlines still go first.
  EXPECT_THAT(recorder.order(), ElementsAre(1, 2, 4, 3));
}

TEST(SchedulerTest, NeverRunsATaskEarly) {
  Scheduler scheduler;
  absl::Notification done;
  absl::Time ran_at;
  const absl::Time due = absl::Now() + absl::Milliseconds(120);
  scheduler.RunAt(due, [&] {
    ran_at = absl::Now();
    done.Notify();
  });
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_GE(ran_at, due);
}

// A task added while the thread sleeps until a later task must wake it up.
TEST(SchedulerTest, AnEarlierTaskAddedLaterPreemptsTheSleep) {
  Recorder recorder;
  Scheduler scheduler;
  scheduler.RunAfter(absl::Seconds(3), [&] { recorder.Record(2); });
  absl::SleepFor(absl::Milliseconds(20));  // the thread is now waiting for the 3 s task
  const absl::Time start = absl::Now();
  scheduler.RunAfter(absl::Milliseconds(10), [&] { recorder.Record(1); });
  ASSERT_TRUE(recorder.WaitFor(1, absl::Seconds(2)));
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  EXPECT_THAT(recorder.order(), ElementsAre(1));
}

TEST(SchedulerTest, AllTasksRunOnOneThreadThatIsNotTheCaller) {
  Recorder recorder;
  Scheduler scheduler;
  for (int i = 0; i < 10; ++i) scheduler.RunAfter(absl::Milliseconds(i), [&recorder, i] { recorder.Record(i); });
  ASSERT_TRUE(recorder.WaitFor(10));
  const std::vector<std::thread::id> threads = recorder.threads();
  for (const std::thread::id& id : threads) {
    EXPECT_EQ(id, threads.front());
    EXPECT_NE(id, std::this_thread::get_id());
  }
}

// A task may schedule another (backoff chains do), including one due at once.
TEST(SchedulerTest, TasksCanScheduleTasks) {
  Recorder recorder;
  Scheduler scheduler;
  scheduler.RunAfter(absl::Milliseconds(5), [&] {
    recorder.Record(1);
    scheduler.RunAfter(absl::ZeroDuration(), [&] {
      recorder.Record(2);
      scheduler.RunAfter(absl::Milliseconds(5), [&] { recorder.Record(3); });
    });
  });
  ASSERT_TRUE(recorder.WaitFor(3));
  EXPECT_THAT(recorder.order(), ElementsAre(1, 2, 3));
}

// Tasks are move-only callables: captured state moves in and is released after the run.
TEST(SchedulerTest, RunsMoveOnlyTasksAndReleasesTheirState) {
  auto state = std::make_shared<int>(7);
  std::weak_ptr<int> weak = state;
  auto owned = std::make_unique<int>(5);
  absl::Notification done;
  std::atomic<int> sum{0};
  {
    Scheduler scheduler;
    scheduler.RunAfter(absl::Milliseconds(1), [state = std::move(state), owned = std::move(owned), &sum, &done] {
      sum = *state + *owned;
      done.Notify();
    });
    ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  }
  EXPECT_EQ(sum.load(), 12);
  EXPECT_TRUE(weak.expired());
}

TEST(SchedulerTest, DestructionDropsPendingTasksAndReleasesThem) {
  std::atomic<int> runs{0};
  auto state = std::make_shared<int>(1);
  std::weak_ptr<int> weak = state;
  const absl::Time start = absl::Now();
  {
    Scheduler scheduler;
    scheduler.RunAfter(absl::Hours(1), [state, &runs] { runs++; });
    scheduler.RunAfter(absl::Seconds(30), [state = std::move(state), &runs] { runs++; });
  }
  // The destructor neither waited for the tasks nor ran them, and their captures are gone.
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_EQ(runs.load(), 0);
  EXPECT_TRUE(weak.expired());
}

// Destroying the scheduler while a task runs waits for that task, then drops the rest.
TEST(SchedulerTest, DestructionWaitsForTheRunningTask) {
  std::atomic<bool> finished{false};
  std::atomic<int> later_runs{0};
  absl::Notification started;
  {
    Scheduler scheduler;
    scheduler.RunAfter(absl::ZeroDuration(), [&] {
      started.Notify();
      absl::SleepFor(absl::Milliseconds(100));
      finished = true;
    });
    scheduler.RunAfter(absl::Hours(1), [&] { later_runs++; });
    ASSERT_TRUE(started.WaitForNotificationWithTimeout(absl::Seconds(10)));
  }
  EXPECT_TRUE(finished.load());
  EXPECT_EQ(later_runs.load(), 0);
}

TEST(SchedulerTest, AnIdleSchedulerIsDestroyedPromptly) {
  const absl::Time start = absl::Now();
  { Scheduler scheduler; }
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
}

TEST(SchedulerTest, ManyThreadsCanScheduleConcurrently) {
  Recorder recorder;
  Scheduler scheduler;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        scheduler.RunAfter(absl::Microseconds(i * 10), [&recorder, t, i] { recorder.Record(t * 1000 + i); });
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  ASSERT_TRUE(recorder.WaitFor(400));
  std::vector<int> order = recorder.order();
  std::sort(order.begin(), order.end());
  EXPECT_EQ(std::unique(order.begin(), order.end()), order.end());
  EXPECT_EQ(order.size(), 400u);
}

}  // namespace
}  // namespace altgw
