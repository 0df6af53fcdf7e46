// ReadinessMonitor's rules, fed observations directly: damping before NOT_SERVING, recovery at once,
// draining at once and for good.
#include "service/readiness.h"

#include <vector>

#include "gtest/gtest.h"

namespace altgw::service {
namespace {

class ReadinessRulesTest : public ::testing::Test {
 protected:
  ReadinessRulesTest() {
    ReadinessOptions options;
    options.damping = absl::Seconds(10);
    monitor_ = ReadinessMonitor::Create(nullptr, nullptr, scheduler_, options,
                                        [this](bool ready) { changes_.push_back(ready); });
  }
  ~ReadinessRulesTest() override { scheduler_.Shutdown(); }

  Scheduler scheduler_;
  std::vector<bool> changes_;
  std::shared_ptr<ReadinessMonitor> monitor_;
  const absl::Time t0_ = absl::FromUnixSeconds(1000000);
};

TEST_F(ReadinessRulesTest, AnOutageShorterThanTheDampingDoesNotFlipReadiness) {
  EXPECT_TRUE(monitor_->ready());
  monitor_->Observe(false, t0_);
  monitor_->Observe(false, t0_ + absl::Seconds(9));
  EXPECT_TRUE(monitor_->ready());
  monitor_->Observe(true, t0_ + absl::Seconds(9.5));
  // A new outage starts its own window.
  monitor_->Observe(false, t0_ + absl::Seconds(12));
  monitor_->Observe(false, t0_ + absl::Seconds(21));
  EXPECT_TRUE(monitor_->ready());
  EXPECT_TRUE(changes_.empty());
}

TEST_F(ReadinessRulesTest, NotServingOnceTheOutageLastsTheDampingAndServingAtOnceOnRecovery) {
  monitor_->Observe(false, t0_);
  monitor_->Observe(false, t0_ + absl::Seconds(10));
  EXPECT_FALSE(monitor_->ready());
  EXPECT_FALSE(monitor_->backend_usable());
  monitor_->Observe(false, t0_ + absl::Seconds(11));
  monitor_->Observe(true, t0_ + absl::Seconds(11.1));
  EXPECT_TRUE(monitor_->ready());
  EXPECT_EQ(changes_, (std::vector<bool>{false, true}));
}

TEST_F(ReadinessRulesTest, DrainingIsNotServingAtOnceEvenWithAHealthyBackend) {
  monitor_->SetDraining();
  EXPECT_FALSE(monitor_->ready());
  EXPECT_TRUE(monitor_->draining());
  monitor_->Observe(true, t0_);
  EXPECT_FALSE(monitor_->ready());
  EXPECT_EQ(changes_, (std::vector<bool>{false}));
}

}  // namespace
}  // namespace altgw::service
