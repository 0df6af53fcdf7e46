// FixedRouter: a test double of routing::Router over fixed endpoints, each plan a rotation starting one
// node further than the previous plan (enough to exercise the backend client's retries).
#ifndef ALTGW_TESTS_ALTERNATOR_FIXED_ROUTER_H_
#define ALTGW_TESTS_ALTERNATOR_FIXED_ROUTER_H_

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "routing/endpoint.h"
#include "routing/router.h"

namespace altgw::testing {

class FixedRouter final : public routing::Router {
 public:
  explicit FixedRouter(const std::vector<std::string>& endpoints) {
    for (const std::string& url : endpoints) {
      auto endpoint = routing::ParseEndpoint(url);
      routing::NodeTarget node;
      node.id = static_cast<uint32_t>(nodes_.size());
      node.host_header = routing::HostHeaderFor(endpoint->scheme, endpoint->host, endpoint->port);
      node.base_url = absl::StrCat(endpoint->scheme, "://", node.host_header);
      nodes_.push_back(std::move(node));
    }
  }

  std::unique_ptr<routing::RoutePlan> Plan(const routing::RouteRequest&) override {
    return std::make_unique<Rotation>(nodes_, next_.fetch_add(1));
  }
  void Report(const routing::NodeTarget&, routing::AttemptResult result) override { reports_.fetch_add(1); }

  int reports() const { return reports_.load(); }

 private:
  class Rotation final : public routing::RoutePlan {
   public:
    Rotation(const std::vector<routing::NodeTarget>& nodes, size_t start) : nodes_(nodes), next_(start) {}
    std::optional<routing::NodeTarget> Next() override {
      if (emitted_ == nodes_.size()) return std::nullopt;
      ++emitted_;
      return nodes_[next_++ % nodes_.size()];
    }

   private:
    const std::vector<routing::NodeTarget>& nodes_;
    size_t next_;
    size_t emitted_ = 0;
  };

  std::vector<routing::NodeTarget> nodes_;
  std::atomic<size_t> next_{0};
  std::atomic<int> reports_{0};
};

}  // namespace altgw::testing

#endif  // ALTGW_TESTS_ALTERNATOR_FIXED_ROUTER_H_
