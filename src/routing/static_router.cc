#include "routing/static_router.h"

#include "absl/strings/str_cat.h"
#include "routing/endpoint.h"

namespace altgw::routing {
namespace {

class RotationPlan final : public RoutePlan {
 public:
  RotationPlan(const std::vector<NodeTarget>& nodes, size_t start) : nodes_(nodes), next_(start) {}

  std::optional<NodeTarget> Next() override {
    if (emitted_ == nodes_.size()) return std::nullopt;
    ++emitted_;
    return nodes_[next_++ % nodes_.size()];
  }

 private:
  const std::vector<NodeTarget>& nodes_;
  size_t next_;
  size_t emitted_ = 0;
};

}  // namespace

std::string HostHeaderFor(absl::string_view scheme, absl::string_view host, uint16_t port) {
  const bool ipv6 = host.find(':') != absl::string_view::npos;
  std::string out = ipv6 ? absl::StrCat("[", host, "]") : std::string(host);
  const uint16_t default_port = scheme == "https" ? 443 : 80;
  if (port != default_port) absl::StrAppend(&out, ":", port);
  return out;
}

absl::StatusOr<std::unique_ptr<StaticRouter>> StaticRouter::Create(const std::vector<std::string>& endpoints) {
  if (endpoints.empty()) return absl::InvalidArgumentError("no backend endpoint configured");
  std::vector<NodeTarget> nodes;
  for (const std::string& text : endpoints) {
    auto endpoint = ParseEndpoint(text);
    if (!endpoint.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("backend endpoint '", text, "': ", endpoint.status().message()));
    }
    NodeTarget node;
    node.id = static_cast<uint32_t>(nodes.size());
    node.host_header = HostHeaderFor(endpoint->scheme, endpoint->host, endpoint->port);
    node.base_url = absl::StrCat(endpoint->scheme, "://", node.host_header);
    nodes.push_back(std::move(node));
  }
  return std::unique_ptr<StaticRouter>(new StaticRouter(std::move(nodes)));
}

std::unique_ptr<RoutePlan> StaticRouter::Plan(const RouteRequest& request) {
  return std::make_unique<RotationPlan>(nodes_, next_.fetch_add(1, std::memory_order_relaxed));
}

}  // namespace altgw::routing
