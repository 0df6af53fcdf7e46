#include "routing/node_health.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace altgw::routing {
namespace {

// vectors/node-health-transitions.tsv, row by row. Thresholds: active-failure 3 (1 in the down-* rows),
// down-recovery 2, quarantine-promotion 3, quarantine-failure 3. Observations: F/S traffic failure/success,
// pF/pS probe failure/success, each started at the node's generation of the moment.
struct TransitionRow {
  std::string name;
  NodeState start;
  std::string observations;
  NodeState state;
  int failures;
  int successes;
  uint64_t generation;
};

class NodeHealthVectorTest : public testing::TestWithParam<TransitionRow> {};

TEST_P(NodeHealthVectorTest, MatchesOfficialVector) {
  const TransitionRow& row = GetParam();
  const HealthThresholds thresholds{.active_failure = absl::StartsWith(row.name, "down_") ? 1 : 3,
                                    .down_recovery = 2,
                                    .quarantine_promotion = 3,
                                    .quarantine_failure = 3};
  NodeHealth health(row.start, thresholds);
  for (absl::string_view event : absl::StrSplit(row.observations, ',')) {
    if (event == "F") {
      health.RecordTraffic(TrafficOutcome::kFailure, health.generation());
    } else if (event == "S") {
      health.RecordTraffic(TrafficOutcome::kSuccess, health.generation());
    } else if (event == "pF") {
      health.RecordProbe(false, health.generation());
    } else if (event == "pS") {
      health.RecordProbe(true, health.generation());
    } else {
      FAIL() << "unknown observation " << event;
    }
  }
  EXPECT_EQ(NodeStateName(health.state()), NodeStateName(row.state));
  EXPECT_EQ(health.failures(), row.failures);
  EXPECT_EQ(health.successes(), row.successes);
  EXPECT_EQ(health.generation(), row.generation);
}

constexpr NodeState kA = NodeState::kActive;
constexpr NodeState kQ = NodeState::kQuarantined;
constexpr NodeState kD = NodeState::kDown;

INSTANTIATE_TEST_SUITE_P(
    Vectors, NodeHealthVectorTest,
    testing::Values(TransitionRow{"active_failure_below", kA, "F,F", kA, 2, 0, 0},
                    TransitionRow{"active_failure_at", kA, "F,F,F", kD, 3, 0, 1},
                    TransitionRow{"active_success_reset", kA, "F,S", kA, 0, 3, 0},
                    TransitionRow{"active_probes_neutral", kA, "pF,pS", kA, 0, 3, 0},
                    TransitionRow{"quarantine_success_below", kQ, "S,S", kQ, 0, 2, 0},
                    TransitionRow{"quarantine_success_at", kQ, "S,S,S", kA, 0, 3, 0},
                    TransitionRow{"quarantine_failure_below", kQ, "F,F", kQ, 2, 0, 0},
                    TransitionRow{"quarantine_failure_at", kQ, "F,F,F", kD, 3, 0, 1},
                    TransitionRow{"quarantine_failure_resets_promotion", kQ, "S,F", kQ, 1, 0, 0},
                    TransitionRow{"quarantine_probe_success", kQ, "pS", kA, 0, 3, 0},
                    TransitionRow{"quarantine_probe_failure", kQ, "pF", kQ, 0, 0, 0},
                    TransitionRow{"down_recovery_below", kA, "F,pS", kD, 1, 1, 1},
                    TransitionRow{"down_recovery_at", kA, "F,pS,pS", kQ, 0, 0, 1},
                    TransitionRow{"down_probe_failure_reset", kA, "F,pS,pF", kD, 1, 0, 1},
                    TransitionRow{"down_traffic_success_ignored", kA, "F,S", kD, 1, 0, 1},
                    TransitionRow{"down_traffic_failure_ignored", kA, "F,F", kD, 1, 0, 1}),
    [](const testing::TestParamInfo<TransitionRow>& info) { return info.param.name; });

TEST(NodeHealthTest, DefaultThresholds) {
  const HealthThresholds defaults;
  EXPECT_EQ(defaults.active_failure, 10);
  EXPECT_EQ(defaults.down_recovery, 3);
  EXPECT_EQ(defaults.quarantine_promotion, 10);
  EXPECT_EQ(defaults.quarantine_failure, 3);
  EXPECT_TRUE(defaults.Validate().ok());
}

TEST(NodeHealthTest, ThresholdsBelowOneAreRejected) {
  HealthThresholds thresholds;
  thresholds.down_recovery = 0;
  const absl::Status status = thresholds.Validate();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("down-recovery"), absl::string_view::npos);
}

TEST(NodeHealthTest, InitialCounters) {
  const NodeHealth active(NodeState::kActive);
  EXPECT_EQ(active.failures(), 0);
  EXPECT_EQ(active.successes(), 10);
  EXPECT_EQ(active.generation(), 0u);
  const NodeHealth quarantined(NodeState::kQuarantined);
  EXPECT_EQ(quarantined.state(), NodeState::kQuarantined);
  EXPECT_EQ(quarantined.successes(), 0);
}

TEST(NodeHealthTest, DefaultThresholdsFullCycle) {
  NodeHealth health(NodeState::kActive);
  for (int i = 0; i < 9; ++i) health.RecordTraffic(TrafficOutcome::kFailure, 0);
  EXPECT_EQ(health.state(), NodeState::kActive);
  health.RecordTraffic(TrafficOutcome::kFailure, 0);
  EXPECT_EQ(health.state(), NodeState::kDown);
  EXPECT_EQ(health.generation(), 1u);
  for (int i = 0; i < 3; ++i) health.RecordProbe(true, 1);
  EXPECT_EQ(health.state(), NodeState::kQuarantined);
  for (int i = 0; i < 9; ++i) health.RecordTraffic(TrafficOutcome::kSuccess, 1);
  EXPECT_EQ(health.state(), NodeState::kQuarantined);
  health.RecordTraffic(TrafficOutcome::kSuccess, 1);
  EXPECT_EQ(health.state(), NodeState::kActive);
  EXPECT_EQ(health.generation(), 1u);
}

TEST(NodeHealthTest, ActiveFailuresMustBeConsecutive) {
  NodeHealth health(NodeState::kActive, {.active_failure = 3});
  for (int i = 0; i < 10; ++i) {
    health.RecordTraffic(TrafficOutcome::kFailure, 0);
    health.RecordTraffic(TrafficOutcome::kFailure, 0);
    health.RecordTraffic(TrafficOutcome::kSuccess, 0);
  }
  EXPECT_EQ(health.state(), NodeState::kActive);
  EXPECT_EQ(health.failures(), 0);
}

TEST(NodeHealthTest, QuarantineFailuresMustBeConsecutive) {
  NodeHealth health(NodeState::kQuarantined, {.quarantine_failure = 3});
  health.RecordTraffic(TrafficOutcome::kFailure, 0);
  health.RecordTraffic(TrafficOutcome::kFailure, 0);
  health.RecordTraffic(TrafficOutcome::kSuccess, 0);
  EXPECT_EQ(health.failures(), 0);
  health.RecordTraffic(TrafficOutcome::kFailure, 0);
  EXPECT_EQ(health.state(), NodeState::kQuarantined);
  EXPECT_EQ(health.failures(), 1);
}

TEST(NodeHealthTest, NeutralOutcomesChangeNothing) {
  NodeHealth health(NodeState::kQuarantined, {.quarantine_promotion = 3});
  health.RecordTraffic(TrafficOutcome::kSuccess, 0);
  health.RecordTraffic(TrafficOutcome::kFailure, 0);
  for (int i = 0; i < 20; ++i) health.RecordTraffic(TrafficOutcome::kNeutral, 0);
  EXPECT_EQ(health.state(), NodeState::kQuarantined);
  EXPECT_EQ(health.failures(), 1);
  EXPECT_EQ(health.successes(), 0);
}

TEST(NodeHealthTest, ResultsOfAttemptsStartedBeforeAnOutageAreIgnored) {
  NodeHealth health(NodeState::kActive, {.active_failure = 1, .down_recovery = 1, .quarantine_promotion = 1});
  const uint64_t before = health.generation();
  health.RecordTraffic(TrafficOutcome::kFailure, before);
  ASSERT_EQ(health.state(), NodeState::kDown);
  health.RecordProbe(true, health.generation());
  ASSERT_EQ(health.state(), NodeState::kQuarantined);
  // A success from an attempt begun before the outage must not promote the recovering node.
  health.RecordTraffic(TrafficOutcome::kSuccess, before);
  EXPECT_EQ(health.state(), NodeState::kQuarantined);
  health.RecordProbe(true, before);
  EXPECT_EQ(health.state(), NodeState::kQuarantined);
  // Nor may a late failure count against it.
  health.RecordTraffic(TrafficOutcome::kFailure, before);
  EXPECT_EQ(health.failures(), 0);
  // A current result does count.
  health.RecordTraffic(TrafficOutcome::kSuccess, health.generation());
  EXPECT_EQ(health.state(), NodeState::kActive);
}

TEST(NodeHealthTest, StaleProbeDoesNotCountTowardRecovery) {
  NodeHealth health(NodeState::kActive, {.active_failure = 1, .down_recovery = 2});
  health.RecordTraffic(TrafficOutcome::kFailure, 0);
  health.RecordProbe(true, 0);  // started before the node went down
  EXPECT_EQ(health.successes(), 0);
  EXPECT_EQ(health.state(), NodeState::kDown);
}

TEST(NodeHealthTest, GenerationCountsOutages) {
  NodeHealth health(NodeState::kActive, {.active_failure = 1, .down_recovery = 1, .quarantine_failure = 1});
  health.RecordTraffic(TrafficOutcome::kFailure, 0);
  health.RecordProbe(true, 1);
  health.RecordTraffic(TrafficOutcome::kFailure, 1);
  EXPECT_EQ(health.state(), NodeState::kDown);
  EXPECT_EQ(health.generation(), 2u);
}

TEST(ClassifyHttpOutcomeTest, NoFinalResponseIsAFailure) {
  EXPECT_EQ(ClassifyHttpOutcome(std::nullopt), TrafficOutcome::kFailure);
}

TEST(ClassifyHttpOutcomeTest, GatewayStyleServerErrorsAreNeutral) {
  for (int status : {500, 502, 503, 504})
    EXPECT_EQ(ClassifyHttpOutcome(status), TrafficOutcome::kNeutral) << status;
}

TEST(ClassifyHttpOutcomeTest, AnyOtherFinalStatusIsASuccess) {
  for (int status : {200, 204, 301, 400, 403, 404, 413, 429, 501, 505, 599}) {
    EXPECT_EQ(ClassifyHttpOutcome(status), TrafficOutcome::kSuccess) << status;
  }
}

TEST(NodeStateNameTest, Names) {
  EXPECT_EQ(NodeStateName(NodeState::kActive), "ACTIVE");
  EXPECT_EQ(NodeStateName(NodeState::kQuarantined), "QUARANTINED");
  EXPECT_EQ(NodeStateName(NodeState::kDown), "DOWN");
}

TEST(NodeHealthTest, RediscoveredActiveNodeIsQuarantinedOthersUnchanged) {
  HealthThresholds thresholds;
  NodeHealth active(NodeState::kActive, thresholds);
  active.Rediscovered();
  EXPECT_EQ(active.state(), NodeState::kQuarantined);
  EXPECT_EQ(active.successes(), 0);
  EXPECT_EQ(active.generation(), 0u);
  NodeHealth down(NodeState::kActive, HealthThresholds{1, 3, 10, 3});
  down.RecordTraffic(TrafficOutcome::kFailure, 0);
  ASSERT_EQ(down.state(), NodeState::kDown);
  down.Rediscovered();
  EXPECT_EQ(down.state(), NodeState::kDown);
}

}  // namespace
}  // namespace altgw::routing
