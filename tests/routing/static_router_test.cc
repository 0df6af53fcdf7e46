#include "routing/static_router.h"

#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace altgw::routing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::unique_ptr<StaticRouter> MakeRouter(const std::vector<std::string>& endpoints) {
  auto router = StaticRouter::Create(endpoints);
  EXPECT_TRUE(router.ok()) << router.status();
  return router.ok() ? *std::move(router) : nullptr;
}

// The node ids one plan hands out, until it says it has no more.
std::vector<uint32_t> Drain(RoutePlan& plan, size_t limit = 100) {
  std::vector<uint32_t> ids;
  while (ids.size() < limit) {
    std::optional<NodeTarget> node = plan.Next();
    if (!node) break;
    ids.push_back(node->id);
  }
  return ids;
}

RouteRequest AnyRequest() {
  RouteRequest request;
  request.table = "t";
  return request;
}

TEST(HostHeaderForTest, DropsTheSchemesDefaultPortOnly) {
  EXPECT_EQ(HostHeaderFor("http", "10.0.0.1", 80), "10.0.0.1");
  EXPECT_EQ(HostHeaderFor("http", "10.0.0.1", 8000), "10.0.0.1:8000");
  EXPECT_EQ(HostHeaderFor("http", "node", 443), "node:443");
  EXPECT_EQ(HostHeaderFor("https", "node", 443), "node");
  EXPECT_EQ(HostHeaderFor("https", "node", 80), "node:80");
  EXPECT_EQ(HostHeaderFor("https", "node", 8043), "node:8043");
}

TEST(HostHeaderForTest, BracketsIpv6) {
  EXPECT_EQ(HostHeaderFor("http", "::1", 8000), "[::1]:8000");
  EXPECT_EQ(HostHeaderFor("http", "::1", 80), "[::1]");
  EXPECT_EQ(HostHeaderFor("https", "fe80::1:2", 443), "[fe80::1:2]");
  EXPECT_EQ(HostHeaderFor("https", "2001:db8::7", 8043), "[2001:db8::7]:8043");
}

TEST(StaticRouterTest, RejectsAnEmptyList) {
  auto router = StaticRouter::Create({});
  ASSERT_FALSE(router.ok());
  EXPECT_EQ(router.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(StaticRouterTest, RejectsBadEndpointsNamingThem) {
  for (const std::string bad : {"ftp://node:8000", "node:8000", "http://", "http://a:1:2", "http://[::1",
                                "http://node:0", "http://node:65536", "http://node:80x", "http://no de:8000",
                                "http://[10.0.0.1]:8000", "http://10.0.0.256:8000"}) {
    auto router = StaticRouter::Create({"http://good:8000", bad});
    ASSERT_FALSE(router.ok()) << bad;
    EXPECT_EQ(router.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(router.status().message()), HasSubstr("backend endpoint")) << bad;
  }
}

TEST(StaticRouterTest, NodesAreNumberedInOrderWithCanonicalUrlsAndHostHeaders) {
  auto router = MakeRouter({"HTTP://Node-1.Example:8000/ignored/path?x=1", "http://10.0.0.2:80", "https://db:443",
                            "https://db:8043", "http://[::1]:8000", "http://[2001:DB8::1]"});
  ASSERT_NE(router, nullptr);
  const std::vector<NodeTarget>& nodes = router->nodes();
  ASSERT_EQ(nodes.size(), 6u);
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"http://node-1.example:8000", "node-1.example:8000"},
      {"http://10.0.0.2", "10.0.0.2"},
      {"https://db", "db"},
      {"https://db:8043", "db:8043"},
      {"http://[::1]:8000", "[::1]:8000"},
      {"http://[2001:db8::1]", "[2001:db8::1]"},
  };
  for (size_t i = 0; i < nodes.size(); ++i) {
    EXPECT_EQ(nodes[i].id, i);
    EXPECT_EQ(nodes[i].base_url, expected[i].first) << i;
    EXPECT_EQ(nodes[i].host_header, expected[i].second) << i;
    EXPECT_EQ(nodes[i].generation, 0u);
  }
}

TEST(StaticRouterTest, EachPlanVisitsEveryNodeOnceThenNothing) {
  auto router = MakeRouter({"http://a:8000", "http://b:8000", "http://c:8000"});
  ASSERT_NE(router, nullptr);
  for (int i = 0; i < 5; ++i) {
    auto plan = router->Plan(AnyRequest());
    const std::vector<uint32_t> ids = Drain(*plan);
    EXPECT_EQ(std::set<uint32_t>(ids.begin(), ids.end()), (std::set<uint32_t>{0, 1, 2})) << i;
    EXPECT_EQ(ids.size(), 3u);
    EXPECT_EQ(plan->Next(), std::nullopt);  // and stays exhausted
    EXPECT_EQ(plan->Next(), std::nullopt);
  }
}

TEST(StaticRouterTest, PlansRotateTheStartingNode) {
  auto router = MakeRouter({"http://a:8000", "http://b:8000", "http://c:8000"});
  ASSERT_NE(router, nullptr);
  std::vector<std::vector<uint32_t>> plans;
  for (int i = 0; i < 4; ++i) plans.push_back(Drain(*router->Plan(AnyRequest())));
  EXPECT_THAT(plans[0], ElementsAre(0, 1, 2));
  EXPECT_THAT(plans[1], ElementsAre(1, 2, 0));
  EXPECT_THAT(plans[2], ElementsAre(2, 0, 1));
  EXPECT_THAT(plans[3], ElementsAre(0, 1, 2));
}

TEST(StaticRouterTest, PlanCarriesTheNodesUrlAndHostHeader) {
  auto router = MakeRouter({"http://127.0.0.1:8000", "http://127.0.0.2:8000"});
  ASSERT_NE(router, nullptr);
  auto plan = router->Plan(AnyRequest());
  std::optional<NodeTarget> first = plan->Next();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->base_url, "http://127.0.0.1:8000");
  EXPECT_EQ(first->host_header, "127.0.0.1:8000");
}

TEST(StaticRouterTest, SingleNodePlanHasOneNode) {
  auto router = MakeRouter({"http://only:8000"});
  ASSERT_NE(router, nullptr);
  for (int i = 0; i < 3; ++i) EXPECT_THAT(Drain(*router->Plan(AnyRequest())), ElementsAre(0));
}

TEST(StaticRouterTest, PlansAreIndependentOfEachOtherAndOfReports) {
  auto router = MakeRouter({"http://a:8000", "http://b:8000"});
  ASSERT_NE(router, nullptr);
  auto first = router->Plan(AnyRequest());
  RouteRequest write;
  write.table = "other";
  write.access = model::AccessKind::kWrite;
  write.read_modify_write = true;
  write.conditional = true;
  auto second = router->Plan(write);
  std::optional<NodeTarget> a = first->Next();
  ASSERT_TRUE(a.has_value());
  for (int i = 0; i < 20; ++i) router->Report(*a, AttemptResult::kFailure);  // static: health is not tracked
  EXPECT_THAT(Drain(*second), ElementsAre(1, 0));
  EXPECT_THAT(Drain(*first), ElementsAre(1));
  EXPECT_THAT(Drain(*router->Plan(AnyRequest())), ElementsAre(0, 1));
}

TEST(StaticRouterTest, ConcurrentPlansSpreadTheFirstNodeEvenly) {
  auto router = MakeRouter({"http://a:8000", "http://b:8000", "http://c:8000"});
  ASSERT_NE(router, nullptr);
  constexpr int kThreads = 4;
  constexpr int kPlansPerThread = 300;
  std::vector<std::map<uint32_t, int>> firsts(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPlansPerThread; ++i) {
        auto plan = router->Plan(AnyRequest());
        const std::vector<uint32_t> ids = Drain(*plan);
        if (ids.size() == 3) ++firsts[t][ids[0]];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  std::map<uint32_t, int> total;
  for (const auto& counts : firsts) {
    for (const auto& [id, count] : counts) total[id] += count;
  }
  // Every plan took its own start from the atomic counter: exactly a third each.
  EXPECT_EQ(total[0], kThreads * kPlansPerThread / 3);
  EXPECT_EQ(total[1], kThreads * kPlansPerThread / 3);
  EXPECT_EQ(total[2], kThreads * kPlansPerThread / 3);
}

}  // namespace
}  // namespace altgw::routing
