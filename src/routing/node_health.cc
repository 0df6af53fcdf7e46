#include "routing/node_health.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace altgw::routing {

absl::string_view NodeStateName(NodeState state) {
  switch (state) {
    case NodeState::kActive:
      return "ACTIVE";
    case NodeState::kQuarantined:
      return "QUARANTINED";
    case NodeState::kDown:
      return "DOWN";
  }
  return "UNKNOWN";
}

absl::Status HealthThresholds::Validate() const {
  const std::pair<absl::string_view, int> named[] = {
      {"active-failure", active_failure},
      {"down-recovery", down_recovery},
      {"quarantine-promotion", quarantine_promotion},
      {"quarantine-failure", quarantine_failure},
  };
  for (const auto& [name, value] : named) {
    if (value < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("health threshold ", name, " must be at least 1, got ", value));
    }
  }
  return absl::OkStatus();
}

TrafficOutcome ClassifyHttpOutcome(std::optional<int> final_status) {
  if (!final_status) return TrafficOutcome::kFailure;
  switch (*final_status) {
    case 500:
    case 502:
    case 503:
    case 504:
      return TrafficOutcome::kNeutral;
    default:
      return TrafficOutcome::kSuccess;
  }
}

NodeHealth::NodeHealth(NodeState initial, HealthThresholds thresholds)
    : thresholds_(thresholds), state_(initial) {
  if (initial == NodeState::kActive) successes_ = thresholds_.quarantine_promotion;
}

void NodeHealth::RecordTraffic(TrafficOutcome outcome, uint64_t attempt_generation) {
  if (attempt_generation != generation_ || state_ == NodeState::kDown) return;
  switch (outcome) {
    case TrafficOutcome::kNeutral:
      return;
    case TrafficOutcome::kSuccess:
      failures_ = 0;
      if (state_ == NodeState::kActive) {
        successes_ = thresholds_.quarantine_promotion;
      } else if (++successes_ >= thresholds_.quarantine_promotion) {
        EnterActive();
      }
      return;
    case TrafficOutcome::kFailure:
      successes_ = 0;
      ++failures_;
      if (failures_ >=
          (state_ == NodeState::kActive ? thresholds_.active_failure : thresholds_.quarantine_failure)) {
        EnterDown();
      }
      return;
  }
}

void NodeHealth::RecordProbe(bool success, uint64_t probe_generation) {
  if (probe_generation != generation_) return;
  switch (state_) {
    case NodeState::kActive:
      return;
    case NodeState::kQuarantined:
      if (success) EnterActive();
      return;
    case NodeState::kDown:
      if (!success) {
        successes_ = 0;
      } else if (++successes_ >= thresholds_.down_recovery) {
        EnterQuarantined();
      }
      return;
  }
}

void NodeHealth::Rediscovered() {
  if (state_ == NodeState::kActive) EnterQuarantined();
}

void NodeHealth::EnterActive() {
  state_ = NodeState::kActive;
  failures_ = 0;
  successes_ = thresholds_.quarantine_promotion;
}

void NodeHealth::EnterQuarantined() {
  state_ = NodeState::kQuarantined;
  failures_ = 0;
  successes_ = 0;
}

void NodeHealth::EnterDown() {
  state_ = NodeState::kDown;
  successes_ = 0;
  ++generation_;
}

}  // namespace altgw::routing
