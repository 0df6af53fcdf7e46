// The per-node health state machine (router.md §3): ACTIVE nodes take traffic, QUARANTINED nodes
// (new or recovering) take traffic only when no ACTIVE node of the plan is left and earn promotion,
// DOWN nodes take none and come back through probes.
//
// A plain value class: the router guards each node's NodeHealth with its own lock.

#ifndef ALTGW_ROUTING_NODE_HEALTH_H_
#define ALTGW_ROUTING_NODE_HEALTH_H_

#include <cstdint>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace altgw::routing {

enum class NodeState { kActive, kQuarantined, kDown };

// "ACTIVE", "QUARANTINED" or "DOWN", for logs and metrics.
absl::string_view NodeStateName(NodeState state);

struct HealthThresholds {
  int active_failure = 10;        // consecutive failures that take an ACTIVE node DOWN
  int down_recovery = 3;          // consecutive probe successes that take a DOWN node to QUARANTINED
  int quarantine_promotion = 10;  // consecutive successes that make a QUARANTINED node ACTIVE
  int quarantine_failure = 3;     // consecutive failures that take a QUARANTINED node DOWN

  // InvalidArgument unless every threshold is at least 1.
  absl::Status Validate() const;
};

// What one attempt's outcome means for the health of the node it went to.
enum class TrafficOutcome {
  kSuccess,  // any final HTTP response except 500/502/503/504: the node is serving
  kFailure,  // no final response (refused, reset, timeout before headers, TLS failure)
  kNeutral,  // 500/502/503/504: an overloaded or unhappy node that is still up says nothing about health
};

// Classifies an attempt by its final HTTP status, nullopt when no final response arrived.
TrafficOutcome ClassifyHttpOutcome(std::optional<int> final_status);

class NodeHealth {
 public:
  // A node starts ACTIVE (a configured node) or QUARANTINED (newly discovered). ACTIVE starts with full
  // promotion credit (successes() == quarantine_promotion), as after a promotion.
  explicit NodeHealth(NodeState initial, HealthThresholds thresholds = {});

  NodeState state() const { return state_; }

  // Consecutive failures in the current state (kept on entering DOWN, as the count that caused it).
  int failures() const { return failures_; }

  // QUARANTINED: consecutive traffic successes toward promotion. DOWN: consecutive probe successes toward
  // recovery. ACTIVE: the promotion credit, full (quarantine_promotion) unless the last traffic result
  // was a failure, then 0; an ACTIVE node has nothing left to earn, so a success restores full credit.
  int successes() const { return successes_; }

  // Incremented each time the node goes DOWN. An attempt records the generation it started at, and its
  // result is ignored if the node has gone DOWN since: that result describes the node before the outage.
  uint64_t generation() const { return generation_; }

  // A routed attempt's outcome. Ignored while DOWN, when stale, and when neutral.
  void RecordTraffic(TrafficOutcome outcome, uint64_t attempt_generation);

  // A probe's outcome (success: GET /localnodes answered 200 with a parseable body). ACTIVE: no effect.
  // QUARANTINED: a success promotes at once; a failure has no effect (traffic decides). DOWN: counts
  // toward recovery; a failure resets the count. Ignored when stale.
  void RecordProbe(bool success, uint64_t probe_generation);

  // The node is back in /localnodes after being absent from it (restarted, replaced, rejoined): an ACTIVE
  // node is treated as newly discovered and must earn traffic again (QUARANTINED). A DOWN node stays DOWN
  // (probes bring it back); a QUARANTINED one is unchanged.
  void Rediscovered();

 private:
  void EnterActive();
  void EnterQuarantined();
  void EnterDown();

  HealthThresholds thresholds_;
  NodeState state_;
  int failures_ = 0;
  int successes_ = 0;
  uint64_t generation_ = 0;
};

}  // namespace altgw::routing

#endif  // ALTGW_ROUTING_NODE_HEALTH_H_
