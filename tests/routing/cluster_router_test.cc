// ClusterRouter against a scripted NodeClient: a model of an Alternator cluster's /localnodes (own DC
// without ?dc=, ?dc= and ?rack= filters, only listed nodes, transport errors on command), so discovery,
// scope fallback, refresh cadence, node health and key-affinity plans are checked without a network.
#include "routing/cluster_router.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/scheduler.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "routing/endpoint.h"
#include "routing/murmur3.h"
#include "routing/query_plan.h"

namespace altgw::routing {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;
using ::testing::UnorderedElementsAreArray;

constexpr uint16_t kPort = 8000;

std::string Url(const std::string& ip) { return absl::StrCat("http://", ip, ":", kPort); }

struct ListCall {
  std::string ip;
  std::string dc;
  std::string rack;
  bool probe_like() const { return dc.empty() && rack.empty(); }
};

// A cluster as /localnodes shows it. Answers synchronously (the router accepts answers on any thread).
class FakeNodeClient final : public NodeClient {
 public:
  struct Node {
    Node(std::string dc_in, std::string rack_in) : dc(std::move(dc_in)), rack(std::move(rack_in)) {}
    std::string dc;
    std::string rack;
    bool listed = true;         // appears in /localnodes answers
    bool answers = true;        // false: every request to it fails (no answer)
    bool fail_filtered = false; // true: requests with ?dc= or ?rack= fail
    std::optional<LocalNodesAnswer> raw;  // replaces its computed answers
  };

  void AddNode(const std::string& ip, const std::string& dc, const std::string& rack) {
    absl::MutexLock lock(&mu_);
    nodes_.insert_or_assign(ip, Node(dc, rack));
  }
  void Update(const std::string& ip, const std::function<void(Node&)>& change) {
    absl::MutexLock lock(&mu_);
    change(nodes_.at(ip));
  }
  void SetFilterSupport(bool dc, bool rack) {
    absl::MutexLock lock(&mu_);
    honour_dc_ = dc;
    honour_rack_ = rack;
  }
  std::vector<ListCall> calls() const {
    absl::MutexLock lock(&mu_);
    return calls_;
  }
  size_t call_count() const {
    absl::MutexLock lock(&mu_);
    return calls_.size();
  }
  void ClearCalls() {
    absl::MutexLock lock(&mu_);
    calls_.clear();
  }

  // Calls after the first `count` get no answer until ReleaseHeld() (an answer that is slow to come).
  void HoldAfter(size_t count) {
    absl::MutexLock lock(&mu_);
    hold_after_ = count;
  }
  void ReleaseHeld() {
    std::vector<std::pair<absl::AnyInvocable<void(LocalNodesAnswer) &&>, LocalNodesAnswer>> held;
    {
      absl::MutexLock lock(&mu_);
      hold_after_ = SIZE_MAX;
      held.swap(held_);
    }
    for (auto& [done, answer] : held) std::move(done)(std::move(answer));
  }

  void ListLocalNodes(const std::string& base_url, const std::string& dc, const std::string& rack,
                      absl::Duration, absl::AnyInvocable<void(LocalNodesAnswer) &&> done) override {
    LocalNodesAnswer answer;
    {
      absl::MutexLock lock(&mu_);
      const std::string ip = ParseEndpoint(base_url)->host;
      calls_.push_back({ip, dc, rack});
      answer = AnswerFor(ip, dc, rack);
      if (calls_.size() > hold_after_) {
        held_.emplace_back(std::move(done), std::move(answer));
        return;
      }
    }
    std::move(done)(std::move(answer));
  }

  void Ping(const std::string& base_url, absl::Duration, absl::AnyInvocable<void(bool) &&> done) override {
    bool answered;
    {
      absl::MutexLock lock(&mu_);
      auto it = nodes_.find(ParseEndpoint(base_url)->host);
      answered = it != nodes_.end() && it->second.answers;
    }
    std::move(done)(answered);
  }

 private:
  LocalNodesAnswer AnswerFor(const std::string& ip, const std::string& dc, const std::string& rack)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = nodes_.find(ip);
    if (it == nodes_.end() || !it->second.answers) return LocalNodesAnswer{false, {}, "connection refused"};
    const Node& self = it->second;
    if (self.fail_filtered && (!dc.empty() || !rack.empty())) return LocalNodesAnswer{false, {}, "HTTP 500"};
    if (self.raw) return *self.raw;
    const std::string want_dc = dc.empty() || !honour_dc_ ? self.dc : dc;
    LocalNodesAnswer answer;
    answer.ok = true;
    for (const auto& [other_ip, other] : nodes_) {
      if (!other.listed || other.dc != want_dc) continue;
      if (!rack.empty() && honour_rack_ && other.rack != rack) continue;
      answer.addresses.push_back(other_ip);
    }
    return answer;
  }

  mutable absl::Mutex mu_;
  std::map<std::string, Node> nodes_ ABSL_GUARDED_BY(mu_);
  bool honour_dc_ ABSL_GUARDED_BY(mu_) = true;
  bool honour_rack_ ABSL_GUARDED_BY(mu_) = true;
  std::vector<ListCall> calls_ ABSL_GUARDED_BY(mu_);
  size_t hold_after_ ABSL_GUARDED_BY(mu_) = SIZE_MAX;
  std::vector<std::pair<absl::AnyInvocable<void(LocalNodesAnswer) &&>, LocalNodesAnswer>> held_ ABSL_GUARDED_BY(mu_);
};

// Two datacenters with two racks each.
void AddTwoDcCluster(FakeNodeClient& client) {
  client.AddNode("127.0.0.2", "dc1", "r1");
  client.AddNode("127.0.0.3", "dc1", "r2");
  client.AddNode("127.0.0.4", "dc1", "r1");
  client.AddNode("127.0.0.5", "dc2", "r1");
  client.AddNode("127.0.0.6", "dc2", "r2");
}

RouterConfig Config(std::vector<std::string> seed_ips, DiscoveryMode discovery = DiscoveryMode::kOn) {
  RouterConfig config;
  for (const std::string& ip : seed_ips) config.seeds.push_back(Url(ip));
  config.discovery = discovery;
  // Nothing happens in the background unless a test asks for it.
  config.active_refresh = absl::Seconds(30);
  config.idle_refresh = absl::Seconds(30);
  config.probe_interval = absl::Seconds(30);
  return config;
}

RoutingScope Scope(const std::string& text) { return *ParseRoutingScope(text); }

bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout = absl::Seconds(5)) {
  const absl::Time give_up = absl::Now() + timeout;
  while (!condition()) {
    if (absl::Now() > give_up) return false;
    absl::SleepFor(absl::Milliseconds(2));
  }
  return true;
}

std::map<std::string, ClusterRouter::NodeStatus> NodesByEndpoint(const ClusterRouter& router) {
  std::map<std::string, ClusterRouter::NodeStatus> out;
  for (ClusterRouter::NodeStatus& node : router.ListNodes()) out[node.endpoint] = node;
  return out;
}

std::vector<std::string> InScope(const ClusterRouter& router) {
  std::vector<std::string> out;
  for (const ClusterRouter::NodeStatus& node : router.ListNodes()) {
    if (node.in_scope) out.push_back(node.endpoint);
  }
  std::sort(out.begin(), out.end());
  return out;
}

NodeState StateOf(const ClusterRouter& router, const std::string& ip) {
  return NodesByEndpoint(router).at(Url(ip)).state;
}

// Every node a plan hands out, in order.
std::vector<std::string> Walk(RoutePlan& plan) {
  std::vector<std::string> out;
  while (std::optional<NodeTarget> node = plan.Next()) out.push_back(node->base_url);
  return out;
}

RouteRequest Write(absl::string_view table, absl::string_view key, bool rmw = false) {
  RouteRequest request;
  request.table = table;
  request.access = model::AccessKind::kWrite;
  request.read_modify_write = rmw;
  request.conditional = rmw;
  request.partition_key_type = model::v1::SCALAR_TYPE_STRING;
  request.partition_key = key;
  return request;
}

RouteRequest Read(absl::string_view table, absl::string_view key) {
  RouteRequest request = Write(table, key);
  request.access = model::AccessKind::kRead;
  return request;
}

// The affinity plan for a string key over `endpoints` (any order): what every ScyllaDB client computes.
std::vector<std::string> ExpectedAffinityPlan(absl::string_view key, const std::vector<std::string>& endpoints,
                                              KeyKind kind = KeyKind::kString) {
  auto ordered = CanonicalOrder(endpoints);
  std::vector<std::string> out;
  for (size_t index : AffinityOrder(AffinityHash(kind, key), ordered->size())) {
    out.push_back((*ordered)[index].canonical);
  }
  return out;
}

class ClusterRouterTest : public ::testing::Test {
 protected:
  ClusterRouter& Make(RouterConfig config) {
    router_ = std::make_unique<ClusterRouter>(std::move(config), client_, scheduler_);
    return *router_;
  }
  ClusterRouter& Started(RouterConfig config) {
    ClusterRouter& router = Make(std::move(config));
    absl::Status status = router.Start(absl::Seconds(5));
    EXPECT_TRUE(status.ok()) << status;
    return router;
  }

  void TearDown() override {
    router_.reset();
    scheduler_.Shutdown();
  }

  FakeNodeClient client_;
  Scheduler scheduler_;
  std::unique_ptr<ClusterRouter> router_;
};

// ------------------------------------------------------------------------------------------ discovery

TEST_F(ClusterRouterTest, ClusterScopeIsTheUnionOfTheDatacentersOfTheSeeds) {
  AddTwoDcCluster(client_);
  {
    ClusterRouter& router = Started(Config({"127.0.0.2"}));
    EXPECT_TRUE(router.discovery_enabled());
    EXPECT_EQ(router.active_scope().ToString(), "cluster");
    // One /localnodes answer covers one datacenter: with a dc1 seed only, dc2 stays unknown.
    EXPECT_THAT(InScope(router), ElementsAre(Url("127.0.0.2"), Url("127.0.0.3"), Url("127.0.0.4")));
  }
  ClusterRouter& router = Started(Config({"127.0.0.2", "127.0.0.5"}));
  EXPECT_THAT(InScope(router), ElementsAre(Url("127.0.0.2"), Url("127.0.0.3"), Url("127.0.0.4"),
                                           Url("127.0.0.5"), Url("127.0.0.6")));
}

TEST_F(ClusterRouterTest, DatacenterScopeAsksForTheDcAndTagsTheNodes) {
  AddTwoDcCluster(client_);
  ClusterRouter& router = Started([] {
    RouterConfig config = Config({"127.0.0.2"});
    config.scopes = {Scope("dc:dc2")};
    return config;
  }());
  EXPECT_EQ(router.active_scope().ToString(), "dc:dc2");
  EXPECT_THAT(InScope(router), ElementsAre(Url("127.0.0.5"), Url("127.0.0.6")));
  EXPECT_EQ(NodesByEndpoint(router).at(Url("127.0.0.5")).dc, "dc2");
  bool asked_dc2 = false;
  for (const ListCall& call : client_.calls()) asked_dc2 = asked_dc2 || (call.dc == "dc2" && call.rack.empty());
  EXPECT_TRUE(asked_dc2);
}

TEST_F(ClusterRouterTest, RackScopeKeepsToTheRack) {
  AddTwoDcCluster(client_);
  ClusterRouter& router = Started([] {
    RouterConfig config = Config({"127.0.0.2"});
    config.scopes = {Scope("rack:dc1/r1")};
    return config;
  }());
  EXPECT_EQ(router.active_scope().ToString(), "rack:dc1/r1");
  EXPECT_THAT(InScope(router), ElementsAre(Url("127.0.0.2"), Url("127.0.0.4")));
  const auto nodes = NodesByEndpoint(router);
  EXPECT_EQ(nodes.at(Url("127.0.0.4")).rack, "r1");
  // Reads never leave the rack.
  for (int i = 0; i < 20; ++i) {
    auto plan = router.Plan(Read("t", absl::StrCat("k", i)));
    EXPECT_THAT(Walk(*plan), UnorderedElementsAre(Url("127.0.0.2"), Url("127.0.0.4")));
  }
}

TEST_F(ClusterRouterTest, EmptyScopeFallsBackAlongTheChainAndReturnsWhenItHasNodes) {
  AddTwoDcCluster(client_);
  ClusterRouter& router = Started([] {
    RouterConfig config = Config({"127.0.0.2"});
    config.scopes = {Scope("rack:dc1/r9"), Scope("dc:dc1"), Scope("cluster")};
    config.idle_refresh = absl::Milliseconds(50);
    return config;
  }());
  EXPECT_EQ(router.active_scope().ToString(), "dc:dc1");
  EXPECT_THAT(InScope(router), ElementsAre(Url("127.0.0.2"), Url("127.0.0.3"), Url("127.0.0.4")));

  // The rack gets a node: the next refresh goes back to the preferred scope.
  client_.AddNode("127.0.0.7", "dc1", "r9");
  ASSERT_TRUE(WaitFor([&] { return router.active_scope().ToString() == "rack:dc1/r9"; }));
  EXPECT_THAT(InScope(router), ElementsAre(Url("127.0.0.7")));

  // And falls back again when it empties.
  client_.Update("127.0.0.7", [](FakeNodeClient::Node& node) { node.listed = false; });
  ASSERT_TRUE(WaitFor([&] { return router.active_scope().ToString() == "dc:dc1"; }));
}

TEST_F(ClusterRouterTest, StartupFailsClearlyWhenNoScopeOfTheChainHasNodes) {
  AddTwoDcCluster(client_);
  ClusterRouter& router = Make([] {
    RouterConfig config = Config({"127.0.0.2"});
    config.scopes = {Scope("rack:dc1/r9"), Scope("dc:dc9")};
    return config;
  }());
  absl::Status status = router.Start(absl::Seconds(5));
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_THAT(status.message(), HasSubstr("no scope of the chain has nodes"));
  EXPECT_THAT(status.message(), HasSubstr("rack:dc1/r9"));
  EXPECT_THAT(status.message(), HasSubstr("dc:dc9"));
}

TEST_F(ClusterRouterTest, StartupFailsWhenNoSeedAnswersWithDiscoveryOn) {
  AddTwoDcCluster(client_);
  client_.Update("127.0.0.2", [](FakeNodeClient::Node& node) { node.answers = false; });
  ClusterRouter& router = Make(Config({"127.0.0.2"}));
  absl::Status status = router.Start(absl::Seconds(5));
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_THAT(status.message(), HasSubstr("127.0.0.2"));
}

TEST_F(ClusterRouterTest, StartupDeadlineWhileDiscoveryIsSlowAndTheLateAnswerIsHarmless) {
  AddTwoDcCluster(client_);
  client_.HoldAfter(3);  // the seed check and the two filter-support probes answer; the first round hangs
  ClusterRouter& router = Make(Config({"127.0.0.2"}));
  absl::Status status = router.Start(absl::Milliseconds(200));
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
  // The late answer completes a round whose starter has returned: it must not write into Start()'s
  // stack frame (Start() used to hand the round references to its locals), and it still installs the
  // node list.
  client_.ReleaseHeld();
  EXPECT_THAT(InScope(router), ElementsAre(Url("127.0.0.2"), Url("127.0.0.3"), Url("127.0.0.4")));
}

TEST_F(ClusterRouterTest, AutoDiscoveryWithoutLocalnodesRoutesOverTheSeeds) {
  // DynamoDB Local answers no /localnodes: the configured endpoints are the nodes.
  ClusterRouter& router = Started(Config({"127.0.0.2", "127.0.0.3"}, DiscoveryMode::kAuto));
  EXPECT_FALSE(router.discovery_enabled());
  EXPECT_THAT(InScope(router), ElementsAre(Url("127.0.0.2"), Url("127.0.0.3")));
  EXPECT_EQ(StateOf(router, "127.0.0.2"), NodeState::kActive);
}

TEST_F(ClusterRouterTest, ErrorsAreNotEmptyAnswersAtStartup) {
  // The seed answers /localnodes but fails every filtered request: an error, not an empty rack, so
  // the router must not fall back to the next scope.
  AddTwoDcCluster(client_);
  client_.Update("127.0.0.2", [](FakeNodeClient::Node& node) { node.fail_filtered = true; });
  ClusterRouter& router = Make([] {
    RouterConfig config = Config({"127.0.0.2"});
    config.scopes = {Scope("rack:dc1/r1"), Scope("cluster")};
    return config;
  }());
  absl::Status status = router.Start(absl::Seconds(5));
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_THAT(status.message(), HasSubstr("every node failed /localnodes for scope rack:dc1/r1"));
}

TEST_F(ClusterRouterTest, ErrorsKeepTheCurrentListWhileEmptyAnswersFallBack) {
  AddTwoDcCluster(client_);
  ClusterRouter& router = Started([] {
    RouterConfig config = Config({"127.0.0.2"});
    config.scopes = {Scope("rack:dc1/r1"), Scope("dc:dc1")};
    config.idle_refresh = absl::Milliseconds(30);
    return config;
  }());
  ASSERT_EQ(router.active_scope().ToString(), "rack:dc1/r1");
  // Every node errors: several refreshes later, scope and list are unchanged.
  for (const char* ip : {"127.0.0.2", "127.0.0.3", "127.0.0.4"}) {
    client_.Update(ip, [](FakeNodeClient::Node& node) { node.fail_filtered = true; });
  }
  client_.ClearCalls();
  ASSERT_TRUE(WaitFor([&] { return client_.call_count() >= 6; }));
  EXPECT_EQ(router.active_scope().ToString(), "rack:dc1/r1");
  EXPECT_THAT(InScope(router), ElementsAre(Url("127.0.0.2"), Url("127.0.0.4")));
  // Once they answer again, an empty rack is a real answer: fall back.
  for (const char* ip : {"127.0.0.2", "127.0.0.4"}) {
    client_.Update(ip, [](FakeNodeClient::Node& node) { node.listed = false; });
  }
  for (const char* ip : {"127.0.0.2", "127.0.0.3", "127.0.0.4"}) {
    client_.Update(ip, [](FakeNodeClient::Node& node) { node.fail_filtered = false; });
  }
  ASSERT_TRUE(WaitFor([&] { return router.active_scope().ToString() == "dc:dc1"; }));
  EXPECT_THAT(InScope(router), ElementsAre(Url("127.0.0.3")));
}

TEST_F(ClusterRouterTest, CurrentNodesAreAskedBeforeSeedsActiveBeforeDown) {
  AddTwoDcCluster(client_);
  client_.AddNode("127.0.0.9", "dc1", "r1");  // the seed: answers, but is not a listed node
  client_.Update("127.0.0.9", [](FakeNodeClient::Node& node) { node.listed = false; });
  RouterConfig config = Config({"127.0.0.9"});
  config.scopes = {Scope("dc:dc1")};
  config.health.active_failure = 1;
  ClusterRouter& router = Started(config);
  ASSERT_THAT(InScope(router), ElementsAre(Url("127.0.0.2"), Url("127.0.0.3"), Url("127.0.0.4")));

  std::optional<NodeTarget> down;
  for (int round = 0; round < 5; ++round) {
    // Every node fails its /localnodes: each refresh walks every candidate, in the router's order.
    for (const char* ip : {"127.0.0.2", "127.0.0.3", "127.0.0.4"}) {
      client_.Update(ip, [](FakeNodeClient::Node& node) { node.answers = false; });
    }
    client_.ClearCalls();
    if (round == 0) {
      // A connection failure takes .3 DOWN (threshold 1) and makes the router look again at once.
      auto plan = router.Plan(Read("t", "k"));
      while (std::optional<NodeTarget> node = plan->Next()) {
        if (node->base_url == Url("127.0.0.3")) down = node;
      }
      ASSERT_TRUE(down.has_value());
    }
    // Later rounds: another failure report (ignored by the DOWN node's health) triggers another refresh.
    router.Report(*down, AttemptResult::kFailure);
    ASSERT_EQ(StateOf(router, "127.0.0.3"), NodeState::kDown);
    ASSERT_TRUE(WaitFor([&] {
      for (const ListCall& call : client_.calls()) {
        if (call.ip == "127.0.0.9") return true;
      }
      return false;
    }));
    std::vector<std::string> order;
    for (const ListCall& call : client_.calls()) {
      if (call.dc == "dc1") order.push_back(call.ip);
    }
    ASSERT_GE(order.size(), 4u) << absl::StrJoin(order, ",");
    // The DOWN node .3 after the others; the seed last.
    EXPECT_EQ(order[3], "127.0.0.9") << absl::StrJoin(order, ",");
    EXPECT_EQ(order[2], "127.0.0.3") << absl::StrJoin(order, ",");
    EXPECT_THAT(std::vector<std::string>(order.begin(), order.begin() + 2),
                UnorderedElementsAre("127.0.0.2", "127.0.0.4"));
    for (const char* ip : {"127.0.0.2", "127.0.0.3", "127.0.0.4"}) {
      client_.Update(ip, [](FakeNodeClient::Node& node) { node.answers = true; });
    }
  }
  // Every candidate failed: the list is unchanged.
  EXPECT_THAT(InScope(router), ElementsAre(Url("127.0.0.2"), Url("127.0.0.3"), Url("127.0.0.4")));
}

TEST_F(ClusterRouterTest, EntriesAreValidatedAndDeduplicated) {
  client_.AddNode("127.0.0.2", "dc1", "r1");
  LocalNodesAnswer raw;
  raw.ok = true;
  raw.addresses = {"127.0.0.2", "127.0.0.2",       " 127.0.0.3", "127.0.0.3:8000", "::1",
                   "[::2]",     "node-7.example", "http://x",   "999.1.1.1",      "",
                   "a b",       "NODE-7.example"};
  client_.Update("127.0.0.2", [&](FakeNodeClient::Node& node) { node.raw = raw; });
  ClusterRouter& router = Started(Config({"127.0.0.2"}));
  EXPECT_THAT(InScope(router), ElementsAre("http://127.0.0.2:8000", "http://[::1]:8000",
                                           "http://node-7.example:8000"));
}

TEST_F(ClusterRouterTest, NonStringOrFailedAnswersAreErrorsNotEmptyLists) {
  client_.AddNode("127.0.0.2", "dc1", "r1");
  client_.Update("127.0.0.2", [](FakeNodeClient::Node& node) { node.raw = LocalNodesAnswer{false, {}, "HTTP 500"}; });
  ClusterRouter& router = Make(Config({"127.0.0.2"}));
  absl::Status status = router.Start(absl::Seconds(5));
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(status.message(), HasSubstr("HTTP 500"));
}

TEST_F(ClusterRouterTest, ServersIgnoringRackFiltersAreDetectedAndTheRackScopeSkipped) {
  AddTwoDcCluster(client_);
  client_.SetFilterSupport(/*dc=*/true, /*rack=*/false);
  ClusterRouter& router = Started([] {
    RouterConfig config = Config({"127.0.0.2"});
    config.scopes = {Scope("rack:dc1/r1"), Scope("dc:dc1")};
    return config;
  }());
  // Without detection the rack scope would take the whole DC's list for the rack.
  EXPECT_EQ(router.active_scope().ToString(), "dc:dc1");
  EXPECT_THAT(InScope(router), ElementsAre(Url("127.0.0.2"), Url("127.0.0.3"), Url("127.0.0.4")));
  bool probed_rack = false;
  for (const ListCall& call : client_.calls()) probed_rack = probed_rack || absl::StartsWith(call.rack, "altgw-probe-");
  EXPECT_TRUE(probed_rack);
}

TEST_F(ClusterRouterTest, ServersIgnoringDcFiltersAreDetectedAndDcScopesSkipped) {
  AddTwoDcCluster(client_);
  client_.SetFilterSupport(/*dc=*/false, /*rack=*/false);
  RouterConfig config = Config({"127.0.0.2"});
  config.scopes = {Scope("dc:dc2")};
  ClusterRouter& router = Make(config);
  absl::Status status = router.Start(absl::Seconds(5));
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(status.message(), HasSubstr("unsupported by the cluster"));
}

// ------------------------------------------------------------------------------------ refresh cadence

TEST_F(ClusterRouterTest, RefreshIsFastWhileTrafficFlowsSlowWhenIdleAndImmediateAfterAFailure) {
  AddTwoDcCluster(client_);
  RouterConfig config = Config({"127.0.0.2"});
  config.active_refresh = absl::Milliseconds(50);
  config.idle_refresh = absl::Milliseconds(600);
  ClusterRouter& router = Started(config);

  // Idle for 1.2 s: about two refreshes.
  absl::SleepFor(absl::Milliseconds(100));
  client_.ClearCalls();
  absl::SleepFor(absl::Milliseconds(1200));
  const size_t idle = client_.call_count();
  EXPECT_GE(idle, 1u);
  EXPECT_LE(idle, 3u);

  // Traffic for 1.2 s: about one refresh per 50 ms.
  client_.ClearCalls();
  const absl::Time end = absl::Now() + absl::Milliseconds(1200);
  while (absl::Now() < end) {
    router.Plan(Read("t", "k"));
    absl::SleepFor(absl::Milliseconds(5));
  }
  const size_t active = client_.call_count();
  EXPECT_GE(active, 8u);  // ~24 when the scheduler keeps time; a loaded machine loses some
  EXPECT_LE(active, 40u);
  std::printf("refreshes in 1.2 s: idle %zu, active %zu\n", idle, active);

  // Idle again, then a connection failure: a refresh at once, not at the next idle tick.
  absl::SleepFor(absl::Milliseconds(700));
  client_.ClearCalls();
  auto plan = router.Plan(Read("t", "k"));
  absl::SleepFor(absl::Milliseconds(20));
  client_.ClearCalls();
  const absl::Time failed_at = absl::Now();
  router.Report(*plan->Next(), AttemptResult::kFailure);
  ASSERT_TRUE(WaitFor([&] { return client_.call_count() >= 1; }, absl::Milliseconds(300)));
  EXPECT_LT(absl::Now() - failed_at, absl::Milliseconds(300));
}

// ------------------------------------------------------------------------------------------ health

TEST_F(ClusterRouterTest, NewNodesStartQuarantinedAndEarnTraffic) {
  AddTwoDcCluster(client_);
  // .3 is listed but answers nothing yet (probe fails): it stays QUARANTINED.
  client_.Update("127.0.0.3", [](FakeNodeClient::Node& node) { node.answers = false; });
  RouterConfig config = Config({"127.0.0.2"});
  config.health.quarantine_promotion = 3;
  ClusterRouter& router = Started(config);
  EXPECT_EQ(StateOf(router, "127.0.0.2"), NodeState::kActive);       // a seed
  EXPECT_EQ(StateOf(router, "127.0.0.4"), NodeState::kActive);       // new, promoted by its probe
  EXPECT_EQ(StateOf(router, "127.0.0.3"), NodeState::kQuarantined);  // new, probe failed

  // A QUARANTINED node is the last choice of every plan.
  for (int i = 0; i < 9; ++i) {
    auto plan = router.Plan(Read("t", "k"));
    std::vector<std::string> order = Walk(*plan);
    ASSERT_EQ(order.size(), 3u);
    EXPECT_EQ(order.back(), Url("127.0.0.3"));
  }
  // Successes with it earn promotion.
  for (int i = 0; i < 3; ++i) {
    auto plan = router.Plan(Read("t", "k"));
    plan->Next();
    plan->Next();
    std::optional<NodeTarget> quarantined = plan->Next();
    ASSERT_EQ(quarantined->base_url, Url("127.0.0.3"));
    EXPECT_EQ(StateOf(router, "127.0.0.3"), NodeState::kQuarantined);
    router.Report(*quarantined, AttemptResult::kSuccess);
  }
  EXPECT_EQ(StateOf(router, "127.0.0.3"), NodeState::kActive);
}

TEST_F(ClusterRouterTest, NodeReturningToTheListIsQuarantinedAgain) {
  AddTwoDcCluster(client_);
  RouterConfig config = Config({"127.0.0.2"});
  config.idle_refresh = absl::Milliseconds(20);
  config.probe_interval = absl::Milliseconds(40);
  ClusterRouter& router = Started(config);
  ASSERT_EQ(StateOf(router, "127.0.0.4"), NodeState::kActive);
  // Gone from /localnodes (stopped before any request noticed), then back, not serving yet.
  client_.Update("127.0.0.4", [](FakeNodeClient::Node& node) { node.listed = false; });
  ASSERT_TRUE(WaitFor([&] { return InScope(router).size() == 2; }));
  client_.Update("127.0.0.4", [](FakeNodeClient::Node& node) {
    node.listed = true;
    node.answers = false;
  });
  ASSERT_TRUE(WaitFor([&] { return InScope(router).size() == 3; }));
  EXPECT_EQ(StateOf(router, "127.0.0.4"), NodeState::kQuarantined);
  auto plan = router.Plan(Read("t", "k"));
  std::vector<std::string> order = Walk(*plan);
  EXPECT_EQ(order.back(), Url("127.0.0.4"));
  // Serving again: the next probe promotes it.
  client_.Update("127.0.0.4", [](FakeNodeClient::Node& node) { node.answers = true; });
  EXPECT_TRUE(WaitFor([&] { return StateOf(router, "127.0.0.4") == NodeState::kActive; }));
}

TEST_F(ClusterRouterTest, DownNodesGetNoTrafficAndComeBackThroughQuarantineByProbes) {
  AddTwoDcCluster(client_);
  RouterConfig config = Config({"127.0.0.2"});
  config.health.active_failure = 2;
  config.health.down_recovery = 2;
  config.probe_interval = absl::Milliseconds(40);
  ClusterRouter& router = Started(config);

  client_.Update("127.0.0.4", [](FakeNodeClient::Node& node) { node.answers = false; });
  for (int i = 0; i < 2;) {
    auto plan = router.Plan(Read("t", "k"));
    std::optional<NodeTarget> node = plan->Next();
    if (node->base_url != Url("127.0.0.4")) continue;
    router.Report(*node, AttemptResult::kFailure);
    ++i;
  }
  ASSERT_EQ(StateOf(router, "127.0.0.4"), NodeState::kDown);
  EXPECT_EQ(NodesByEndpoint(router).at(Url("127.0.0.4")).generation, 1u);
  for (int i = 0; i < 30; ++i) {
    auto plan = router.Plan(Read("t", "k"));
    EXPECT_THAT(Walk(*plan), UnorderedElementsAre(Url("127.0.0.2"), Url("127.0.0.3")));
  }
  // The node answers again: DOWN -> (2 probes) QUARANTINED -> (1 probe) ACTIVE.
  const absl::Time back = absl::Now();
  client_.Update("127.0.0.4", [](FakeNodeClient::Node& node) { node.answers = true; });
  std::optional<absl::Duration> quarantined_after;
  ASSERT_TRUE(WaitFor([&] {
    const NodeState state = StateOf(router, "127.0.0.4");
    if (state == NodeState::kQuarantined && !quarantined_after) quarantined_after = absl::Now() - back;
    return state == NodeState::kActive;
  }));
  ASSERT_TRUE(quarantined_after.has_value()) << "never seen QUARANTINED";
  // Two probe ticks (40 ms apart) before QUARANTINED: the probes, not traffic, brought it back.
  EXPECT_GE(*quarantined_after, absl::Milliseconds(30));
}

TEST_F(ClusterRouterTest, StaticModeKeepsDownNodesAsALastResort) {
  RouterConfig config = Config({"127.0.0.2", "127.0.0.3"}, DiscoveryMode::kOff);
  config.health.active_failure = 1;
  ClusterRouter& router = Started(config);
  auto plan = router.Plan(Read("t", "k"));
  std::optional<NodeTarget> first = plan->Next();
  router.Report(*first, AttemptResult::kFailure);
  ASSERT_EQ(NodesByEndpoint(router).at(first->base_url).state, NodeState::kDown);
  for (int i = 0; i < 4; ++i) {
    auto next = router.Plan(Read("t", "k"));
    std::vector<std::string> order = Walk(*next);
    ASSERT_EQ(order.size(), 2u);
    EXPECT_EQ(order.back(), first->base_url);
  }
}

TEST_F(ClusterRouterTest, ReportsOfAttemptsStartedBeforeAnOutageAreIgnored) {
  RouterConfig config = Config({"127.0.0.2", "127.0.0.3"}, DiscoveryMode::kOff);
  config.health.active_failure = 1;
  config.health.down_recovery = 1;
  ClusterRouter& router = Started(config);
  auto plan = router.Plan(Read("t", "k"));
  NodeTarget old = *plan->Next();
  NodeTarget same = old;
  router.Report(old, AttemptResult::kFailure);  // DOWN, generation 1
  ASSERT_EQ(NodesByEndpoint(router).at(old.base_url).generation, 1u);
  router.Report(same, AttemptResult::kSuccess);  // started in generation 0: ignored
  EXPECT_EQ(NodesByEndpoint(router).at(old.base_url).state, NodeState::kDown);
}

// ------------------------------------------------------------------------------------------ affinity

std::vector<std::string> FiveSeeds() {
  std::vector<std::string> out;
  for (int i = 2; i <= 6; ++i) out.push_back(Url(absl::StrCat("127.0.0.", i)));
  return out;
}

class AffinityTest : public ClusterRouterTest {
 protected:
  ClusterRouter& WithModes(AffinityMode global, std::vector<std::pair<std::string, AffinityMode>> tables = {}) {
    RouterConfig config = Config({}, DiscoveryMode::kOff);
    config.seeds = FiveSeeds();
    config.affinity = global;
    for (auto& [table, mode] : tables) config.table_affinity[table] = mode;
    return Started(config);
  }
};

TEST_F(AffinityTest, NoneRoutesEveryWriteRoundRobin) {
  ClusterRouter& router = WithModes(AffinityMode::kNone);
  std::map<std::string, int> first;
  for (int i = 0; i < 50; ++i) ++first[router.Plan(Write("t", "same-key", true))->Next()->base_url];
  EXPECT_EQ(first.size(), 5u);
  ClusterRouter::Explanation why = router.Explain(Write("t", "same-key", true));
  EXPECT_FALSE(why.affinity);
  EXPECT_THAT(why.reason, HasSubstr("NONE"));
}

TEST_F(AffinityTest, RmwRoutesOnlyReadModifyWriteWritesToThePreferredNode) {
  ClusterRouter& router = WithModes(AffinityMode::kRmw);
  for (int k = 0; k < 40; ++k) {
    const std::string key = absl::StrCat("key-", k);
    const std::vector<std::string> expected = ExpectedAffinityPlan(key, FiveSeeds());
    for (int i = 0; i < 3; ++i) {
      EXPECT_THAT(Walk(*router.Plan(Write("t", key, /*rmw=*/true))), ElementsAreArray(expected)) << key;
    }
    ClusterRouter::Explanation why = router.Explain(Write("t", key, true));
    EXPECT_TRUE(why.affinity);
    EXPECT_THAT(why.endpoints, ElementsAreArray(expected));
    EXPECT_THAT(why.reason, HasSubstr("RMW"));
  }
  // Plain writes and reads: round-robin.
  std::map<std::string, int> plain, reads;
  for (int i = 0; i < 50; ++i) {
    ++plain[router.Plan(Write("t", "key-0", false))->Next()->base_url];
    ++reads[router.Plan(Read("t", "key-0"))->Next()->base_url];
  }
  EXPECT_EQ(plain.size(), 5u);
  EXPECT_EQ(reads.size(), 5u);
  EXPECT_FALSE(router.Explain(Write("t", "key-0", false)).affinity);
  EXPECT_FALSE(router.Explain(Read("t", "key-0")).affinity);
}

TEST_F(AffinityTest, AnyWriteRoutesEveryWriteAndPerTableOverridesWin) {
  ClusterRouter& router =
      WithModes(AffinityMode::kAnyWrite, {{"plain", AffinityMode::kNone}, {"lwt_only", AffinityMode::kRmw}});
  const std::vector<std::string> expected = ExpectedAffinityPlan("user#1", FiveSeeds());
  EXPECT_THAT(Walk(*router.Plan(Write("any", "user#1", false))), ElementsAreArray(expected));
  EXPECT_THAT(Walk(*router.Plan(Write("lwt_only", "user#1", true))), ElementsAreArray(expected));
  EXPECT_FALSE(router.Explain(Write("lwt_only", "user#1", false)).affinity);
  EXPECT_FALSE(router.Explain(Write("plain", "user#1", true)).affinity);
  EXPECT_THAT(router.Explain(Write("plain", "user#1", true)).reason, HasSubstr("NONE for table 'plain'"));
}

TEST_F(AffinityTest, NumberAndBinaryKeysHashWithTheirTypePrefixOthersRouteNormally) {
  ClusterRouter& router = WithModes(AffinityMode::kAnyWrite);
  RouteRequest number = Write("t", "1000");
  number.partition_key_type = model::v1::SCALAR_TYPE_NUMBER;
  EXPECT_THAT(router.Explain(number).endpoints, ElementsAreArray(ExpectedAffinityPlan("1000", FiveSeeds(), KeyKind::kNumber)));
  const std::string binary_key("\x00\xff", 2);
  RouteRequest binary = Write("t", binary_key);
  binary.partition_key_type = model::v1::SCALAR_TYPE_BINARY;
  EXPECT_THAT(router.Explain(binary).endpoints,
              ElementsAreArray(ExpectedAffinityPlan(binary_key, FiveSeeds(), KeyKind::kBinary)));
  RouteRequest unknown = Write("t", "x");
  unknown.partition_key_type = model::v1::SCALAR_TYPE_UNSPECIFIED;
  ClusterRouter::Explanation why = router.Explain(unknown);
  EXPECT_FALSE(why.affinity);
  EXPECT_EQ(why.endpoints.size(), 5u);
}

TEST_F(AffinityTest, HealthIsAppliedAtSelectionWithoutRemappingKeys) {
  ClusterRouter& router = WithModes(AffinityMode::kAnyWrite);
  const std::vector<std::string> expected = ExpectedAffinityPlan("k", FiveSeeds());
  // Quarantine is not reachable in static mode; DOWN is: take the preferred node DOWN.
  auto plan = router.Plan(Write("t", "k"));
  NodeTarget preferred = *plan->Next();
  ASSERT_EQ(preferred.base_url, expected[0]);
  for (int i = 0; i < 10; ++i) router.Report(preferred, AttemptResult::kFailure);
  ASSERT_EQ(NodesByEndpoint(router).at(expected[0]).state, NodeState::kDown);
  // The rest keeps its order; the DOWN node is the static-mode last resort.
  std::vector<std::string> now = Walk(*router.Plan(Write("t", "k")));
  std::vector<std::string> want(expected.begin() + 1, expected.end());
  want.push_back(expected[0]);
  EXPECT_THAT(now, ElementsAreArray(want));
  // Other keys keep their preferred node when it is up.
  for (int k = 0; k < 30; ++k) {
    const std::string key = absl::StrCat("other-", k);
    const std::vector<std::string> other = ExpectedAffinityPlan(key, FiveSeeds());
    if (other[0] == expected[0]) continue;
    EXPECT_EQ(router.Plan(Write("t", key))->Next()->base_url, other[0]);
  }
}

TEST_F(AffinityTest, BatchWritesVoteForTheirKeysPreferredNodes) {
  ClusterRouter& router = WithModes(AffinityMode::kAnyWrite);
  const std::vector<std::string> keys = {"a", "b", "c", "d", "e", "f", "g"};
  std::vector<model::PartitionKeyBytes> entries;
  std::vector<size_t> votes;
  auto ordered = CanonicalOrder(FiveSeeds());
  for (const std::string& key : keys) {
    entries.push_back({model::v1::SCALAR_TYPE_STRING, key});
    votes.push_back(AffinityOrder(AffinityHash(KeyKind::kString, key), 5)[0]);
  }
  std::vector<std::string> expected;
  for (size_t index : BatchVote(votes, 5)) expected.push_back((*ordered)[index].canonical);
  RouteRequest batch;
  batch.table = "t";
  batch.access = model::AccessKind::kWrite;
  batch.batch_partition_keys = entries;
  EXPECT_THAT(Walk(*router.Plan(batch)), ElementsAreArray(expected));
  ClusterRouter::Explanation why = router.Explain(batch);
  EXPECT_TRUE(why.affinity);
  EXPECT_THAT(why.reason, HasSubstr("batch vote of 7 entries"));
  // The most voted node comes first: count by hand.
  std::map<size_t, int> count;
  for (size_t v : votes) ++count[v];
  int best = 0;
  for (auto& [index, n] : count) best = std::max(best, n);
  EXPECT_EQ(count[BatchVote(votes, 5)[0]], best);
}

TEST_F(ClusterRouterTest, AffinityPlansOverTheRacksDatacenterWhileReadsStayInTheRack) {
  AddTwoDcCluster(client_);
  RouterConfig config = Config({"127.0.0.2"});
  config.scopes = {Scope("rack:dc1/r1")};
  config.affinity = AffinityMode::kAnyWrite;
  ClusterRouter& router = Started(config);
  const std::vector<std::string> dc1 = {Url("127.0.0.2"), Url("127.0.0.3"), Url("127.0.0.4")};
  for (int k = 0; k < 20; ++k) {
    const std::string key = absl::StrCat("k", k);
    ClusterRouter::Explanation why = router.Explain(Write("t", key));
    EXPECT_TRUE(why.affinity);
    EXPECT_THAT(why.endpoints, ElementsAreArray(ExpectedAffinityPlan(key, dc1)));
    EXPECT_THAT(why.reason, HasSubstr("overrides the rack scope"));
    EXPECT_THAT(Walk(*router.Plan(Read("t", key))), UnorderedElementsAre(Url("127.0.0.2"), Url("127.0.0.4")));
  }
}

TEST_F(ClusterRouterTest, RoundRobinSpreadsEvenly) {
  RouterConfig config = Config({}, DiscoveryMode::kOff);
  config.seeds = FiveSeeds();
  ClusterRouter& router = Started(config);
  std::map<std::string, int> first;
  for (int i = 0; i < 1000; ++i) ++first[router.Plan(Read("t", "k"))->Next()->base_url];
  ASSERT_EQ(first.size(), 5u);
  for (auto& [url, n] : first) EXPECT_EQ(n, 200) << url;
}

}  // namespace
}  // namespace altgw::routing
