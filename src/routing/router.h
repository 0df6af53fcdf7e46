// Router: chooses which Alternator node each attempt of a request goes to.
//
// The execution layer asks for one RoutePlan per logical request and walks it across retries (a plan is
// never rebuilt per attempt), and reports every attempt's transport outcome so the router can track node
// health. Implementations: StaticRouter (fixed endpoints, round-robin) and, with discovery, health and key
// affinity, the cluster router.
#ifndef ALTGW_ROUTING_ROUTER_H_
#define ALTGW_ROUTING_ROUTER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "model/backend_call.h"

namespace altgw::routing {

// A node as the transport dials it.
struct NodeTarget {
  // Index of the node in the router's own tables (stable for the node's lifetime in the router).
  uint32_t id = 0;
  // The node's health generation when the plan handed it out: results of attempts started in an older
  // generation are ignored (router.md §3).
  uint64_t generation = 0;
  // "http://10.0.0.1:8000" (no trailing slash).
  std::string base_url;
  // The Host header value curl sends for base_url: host, plus ":port" unless it is the scheme's default.
  std::string host_header;
  // The router's own record of the node, handed back in Report() (opaque to everyone else).
  const void* router_handle = nullptr;
};

// What the router needs to know about a request; taken from the typed request, never from its JSON.
struct RouteRequest {
  absl::string_view table;
  model::AccessKind access = model::AccessKind::kRead;
  bool read_modify_write = false;
  bool conditional = false;
  model::v1::ScalarType partition_key_type = model::v1::SCALAR_TYPE_UNSPECIFIED;
  absl::string_view partition_key;
  // Batch writes: every entry's partition key (empty otherwise).
  absl::Span<const model::PartitionKeyBytes> batch_partition_keys;

  static RouteRequest For(const model::BackendCall& call) {
    return RouteRequest{call.table,          call.access,        call.read_modify_write,
                        call.conditional,    call.partition_key_type, call.partition_key,
                        call.batch_partition_keys};
  }
};

class RoutePlan {
 public:
  virtual ~RoutePlan() = default;
  // The next node to try; nullopt when every usable node has been tried.
  virtual std::optional<NodeTarget> Next() = 0;
};

// The transport outcome of one attempt, for health tracking (router.md §3).
enum class AttemptResult {
  kSuccess,  // a final HTTP answer other than 500/502/503/504
  kNeutral,  // 500/502/503/504: the node answered but is struggling; health-neutral
  kFailure,  // no final answer: refused, reset, timeout before headers, TLS failure
};

class Router {
 public:
  virtual ~Router() = default;
  virtual std::unique_ptr<RoutePlan> Plan(const RouteRequest& request) = 0;
  virtual void Report(const NodeTarget& node, AttemptResult result) = 0;
};

// The Host header curl sends for a base URL ("http://h:80" -> "h", "http://h:8000" -> "h:8000").
std::string HostHeaderFor(absl::string_view scheme, absl::string_view host, uint16_t port);

}  // namespace altgw::routing

#endif  // ALTGW_ROUTING_ROUTER_H_
