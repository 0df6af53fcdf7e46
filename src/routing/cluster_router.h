// ClusterRouter: the shared router (router.md): discovers Alternator nodes from /localnodes within a
// routing scope (with an explicit fallback chain), tracks each node's health (ACTIVE / QUARANTINED / DOWN,
// with probes), and plans each request's attempts: key affinity for qualifying writes (the same
// coordinator as ScyllaDB's own clients choose), round-robin otherwise.
//
// Backends without /localnodes (DynamoDB Local, DynamoDB) run in static mode over the configured
// endpoints, with the same health tracking; as there is nothing to discover instead, a static plan still
// ends with the DOWN nodes as a last resort.
//
// Rack scope and key affinity: when the active scope is a rack, qualifying writes are planned over the
// whole datacenter of that rack (its /localnodes?dc= list), not over the rack, so that gateways and
// clients in every rack of the datacenter agree on one coordinator per partition key; reads and other
// writes stay inside the rack.
#ifndef ALTGW_ROUTING_CLUSTER_ROUTER_H_
#define ALTGW_ROUTING_CLUSTER_ROUTER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/scheduler.h"
#include "routing/node_client.h"
#include "routing/node_health.h"
#include "routing/router.h"
#include "routing/routing_config.h"

namespace altgw::routing {

class ClusterRouter final : public Router {
 public:
  ClusterRouter(RouterConfig config, NodeClient& client, Scheduler& scheduler);
  ~ClusterRouter() override;

  // Resolves the discovery mode, runs the first discovery and validates the scope chain, waiting at most
  // `timeout`; then starts refreshing and probing in the background. Blocks: call it before serving. The
  // error names the problem (no seed answers, no scope of the chain has nodes, ...).
  absl::Status Start(absl::Duration timeout);

  std::unique_ptr<RoutePlan> Plan(const RouteRequest& request) override;
  void Report(const NodeTarget& node, AttemptResult result) override;

  // For operators (RoutingService) and readiness.
  struct NodeStatus {
    std::string endpoint;  // canonical
    std::string address;
    std::string dc;  // empty when unknown
    std::string rack;
    NodeState state = NodeState::kActive;
    bool in_scope = false;  // a routing target of the active scope
    bool seed = false;
    uint64_t requests = 0;
    uint64_t failures = 0;
    uint64_t generation = 0;
  };
  std::vector<NodeStatus> ListNodes() const;

  struct Explanation {
    std::vector<std::string> endpoints;  // the plan, in order, canonical form
    bool affinity = false;
    std::string reason;
  };
  // The plan Plan() would make for `request` now, without routing anything.
  Explanation Explain(const RouteRequest& request) const;

  RoutingScope active_scope() const;
  bool discovery_enabled() const;
  // Nodes of the active scope that can take traffic (ACTIVE or QUARANTINED).
  size_t usable_nodes() const;

  // Monotonic counts since start, for metrics.
  struct Counters {
    uint64_t refreshes = 0;           // /localnodes refresh rounds finished (successful or not)
    uint64_t refresh_failures = 0;    // rounds that failed (the node list was kept)
    uint64_t affinity_plans = 0;      // request plans ordered by key affinity
    uint64_t round_robin_plans = 0;   // request plans in round-robin order
  };
  Counters counters() const;

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace altgw::routing

#endif  // ALTGW_ROUTING_CLUSTER_ROUTER_H_
