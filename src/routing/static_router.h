// StaticRouter: a fixed list of endpoints (DynamoDB Local, DynamoDB, or Alternator nodes given by hand),
// each plan a round-robin rotation over all of them.
#ifndef ALTGW_ROUTING_STATIC_ROUTER_H_
#define ALTGW_ROUTING_STATIC_ROUTER_H_

#include <atomic>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "routing/router.h"

namespace altgw::routing {

class StaticRouter final : public Router {
 public:
  // InvalidArgument when the list is empty or an endpoint does not parse.
  static absl::StatusOr<std::unique_ptr<StaticRouter>> Create(const std::vector<std::string>& endpoints);

  std::unique_ptr<RoutePlan> Plan(const RouteRequest& request) override;
  void Report(const NodeTarget& node, AttemptResult result) override {}

  const std::vector<NodeTarget>& nodes() const { return nodes_; }

 private:
  explicit StaticRouter(std::vector<NodeTarget> nodes) : nodes_(std::move(nodes)) {}

  std::vector<NodeTarget> nodes_;
  std::atomic<uint64_t> next_{0};
};

}  // namespace altgw::routing

#endif  // ALTGW_ROUTING_STATIC_ROUTER_H_
