// The router's configuration: seeds, discovery, routing scopes with their fallback chain, key affinity
// (global and per table), node-health thresholds and timings (router.md §1-4).
#ifndef ALTGW_ROUTING_ROUTING_CONFIG_H_
#define ALTGW_ROUTING_ROUTING_CONFIG_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "routing/node_health.h"

namespace altgw::routing {

// Where requests may go: the whole cluster, one datacenter, or one rack of a datacenter.
struct RoutingScope {
  enum class Kind { kCluster, kDatacenter, kRack };
  Kind kind = Kind::kCluster;
  std::string dc;
  std::string rack;

  // "cluster", "dc:<dc>", "rack:<dc>/<rack>" (also the configuration syntax).
  std::string ToString() const;
  bool operator==(const RoutingScope&) const = default;
};

// Parses "cluster", "dc:<dc>" or "rack:<dc>/<rack>".
absl::StatusOr<RoutingScope> ParseRoutingScope(absl::string_view text);

// Which writes go to the key's preferred coordinator (router.md §4). Match each table's Alternator write
// isolation: RMW for `only_rmw_uses_lwt`, ANY_WRITE for `always_use_lwt`, NONE otherwise.
enum class AffinityMode { kNone, kRmw, kAnyWrite };
absl::StatusOr<AffinityMode> ParseAffinityMode(absl::string_view text);  // "none", "rmw", "any_write"
absl::string_view AffinityModeName(AffinityMode mode);                    // "NONE", "RMW", "ANY_WRITE"

enum class DiscoveryMode {
  kAuto,  // use /localnodes when the seeds answer it, the configured endpoints otherwise
  kOn,    // require /localnodes (Alternator)
  kOff,   // route over the configured endpoints only (DynamoDB Local, DynamoDB, fixed lists)
};
absl::StatusOr<DiscoveryMode> ParseDiscoveryMode(absl::string_view text);  // "auto", "on", "off"

struct RouterConfig {
  // Endpoint URLs. With discovery they are contacts for /localnodes (and routing targets only until a
  // node list is known); without, they are the nodes. Discovered nodes use the first seed's scheme and port.
  std::vector<std::string> seeds;
  DiscoveryMode discovery = DiscoveryMode::kAuto;
  // The preferred scope first, then its explicit fallbacks (e.g. rack -> dc -> cluster). A scope is used
  // only while the one before it is empty.
  std::vector<RoutingScope> scopes = {RoutingScope{}};
  AffinityMode affinity = AffinityMode::kNone;
  absl::flat_hash_map<std::string, AffinityMode> table_affinity;
  HealthThresholds health;
  absl::Duration active_refresh = absl::Seconds(1);  // while requests flow
  absl::Duration idle_refresh = absl::Seconds(60);   // otherwise
  absl::Duration probe_interval = absl::Seconds(30);
  absl::Duration probe_timeout = absl::Seconds(5);
  int max_concurrent_probes = 4;
  absl::Duration discovery_timeout = absl::Seconds(5);  // per /localnodes request
};

}  // namespace altgw::routing

#endif  // ALTGW_ROUTING_ROUTING_CONFIG_H_
