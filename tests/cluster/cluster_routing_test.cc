// The router end to end: a real gateway (GatewayHarness, in process) in front of a FakeAlternatorCluster
// (nodes on 127.0.5.x sharing one port, two datacenters, two racks, forwarding to the DynamoDB Local this
// binary starts), with /localnodes discovery. What each node received is read from its own counters.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <cmath>
#include <map>
#include <mutex>
#include <optional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "alternator/gateway/v1/routing_service.grpc.pb.h"
#include "gtest/gtest.h"
#include "support/dynamodb_local.h"
#include "support/fake_alternator.h"
#include "support/gateway_harness.h"
#include "support/values.h"

namespace altgw::testing {
namespace {

using Fault = FakeAlternatorNode::Fault;
using Listing = FakeAlternatorNode::Listing;

// 127.0.5.2-3: dc1/r1, 127.0.5.4: dc1/r2, 127.0.5.5: dc2/r1, 127.0.5.6: dc2/r2.
std::vector<FakeNodeSpec> TwoDcTopology() {
  return {
      {"127.0.5.2", "dc1", "r1"}, {"127.0.5.3", "dc1", "r1"}, {"127.0.5.4", "dc1", "r2"},
      {"127.0.5.5", "dc2", "r1"}, {"127.0.5.6", "dc2", "r2"},
  };
}

std::unique_ptr<FakeAlternatorCluster> MakeCluster(std::vector<FakeNodeSpec> topology) {
  FakeClusterOptions options;
  options.dynamodb_endpoint = DynamoDbLocal::Shared().endpoint();
  return std::make_unique<FakeAlternatorCluster>(std::move(topology), options);
}

// A gateway discovering `cluster` from the given seed nodes.
std::unique_ptr<GatewayHarness> GatewayOn(FakeAlternatorCluster& cluster, const std::vector<size_t>& seeds,
                                          const std::function<void(service::GatewayConfig&)>& more = nullptr) {
  return std::make_unique<GatewayHarness>([&](service::GatewayConfig& config) {
    config.backend_endpoints.clear();
    for (size_t i : seeds) config.backend_endpoints.push_back(cluster.node(i).endpoint());
    config.transactions = service::GatewayConfig::Transactions::kSingleItem;
    config.routing.discovery = routing::DiscoveryMode::kOn;
    if (more) more(config);
  });
}

bool WaitUntil(const std::function<bool()>& condition, absl::Duration timeout = absl::Seconds(10)) {
  const absl::Time give_up = absl::Now() + timeout;
  while (!condition()) {
    if (absl::Now() > give_up) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

v1::PutRequest Put(const std::string& table, const std::string& pk, int64_t n) {
  v1::PutRequest put;
  put.set_table(table);
  *put.mutable_item() = Item({{"pk", S(pk)}, {"n", I(n)}});
  return put;
}

v1::GetRequest Get(const std::string& table, const std::string& pk) {
  v1::GetRequest get;
  get.set_table(table);
  *get.mutable_key() = Item({{"pk", S(pk)}});
  return get;
}

grpc::Status DoPut(GatewayHarness& gateway, const v1::PutRequest& put) {
  v1::PutResponse response;
  return gateway.data().Put(Context().get(), put, &response);
}

grpc::Status DoGet(GatewayHarness& gateway, const std::string& table, const std::string& pk) {
  v1::GetResponse response;
  return gateway.data().Get(Context().get(), Get(table, pk), &response);
}

v1::ListNodesResponse ListNodes(GatewayHarness& gateway) {
  auto stub = v1::RoutingService::NewStub(gateway.channel());
  v1::ListNodesResponse response;
  grpc::Status status = stub->ListNodes(Context().get(), v1::ListNodesRequest(), &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response;
}

std::map<std::string, v1::NodeInfo> NodesByEndpoint(GatewayHarness& gateway) {
  std::map<std::string, v1::NodeInfo> out;
  const v1::ListNodesResponse response = ListNodes(gateway);
  for (const v1::NodeInfo& node : response.nodes()) out[node.endpoint()] = node;
  return out;
}

v1::NodeState StateOf(GatewayHarness& gateway, const std::string& endpoint) {
  auto nodes = NodesByEndpoint(gateway);
  auto it = nodes.find(endpoint);
  return it == nodes.end() ? v1::NODE_STATE_UNSPECIFIED : it->second.state();
}

v1::ExplainRouteResponse Explain(GatewayHarness& gateway, const std::string& table, const std::string& pk,
                                 v1::OperationKind operation, bool conditional = false) {
  auto stub = v1::RoutingService::NewStub(gateway.channel());
  v1::ExplainRouteRequest request;
  request.set_table(table);
  *request.mutable_key() = Item({{"pk", S(pk)}});
  request.set_operation(operation);
  request.set_conditional(conditional);
  v1::ExplainRouteResponse response;
  grpc::Status status = stub->ExplainRoute(Context().get(), request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response;
}

// Per node: how many requests of `operation` it received since the last reset.
std::map<std::string, int64_t> PerNode(FakeAlternatorCluster& cluster, const std::string& operation) {
  std::map<std::string, int64_t> out;
  for (size_t i = 0; i < cluster.size(); ++i) out[cluster.node(i).ip()] = cluster.node(i).counters().operation(operation);
  return out;
}

std::string Show(const std::map<std::string, int64_t>& counts) {
  std::vector<std::string> parts;
  for (const auto& [ip, n] : counts) parts.push_back(absl::StrCat(ip, "=", n));
  return absl::StrJoin(parts, " ");
}

// Runs `calls` from `threads` threads; returns the failures (status text) seen.
std::vector<std::string> RunConcurrently(int threads, int calls, const std::function<grpc::Status(int)>& call) {
  std::atomic<int> next{0};
  std::mutex mu;
  std::vector<std::string> failures;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (int i = next++; i < calls; i = next++) {
        grpc::Status status = call(i);
        if (!status.ok()) {
          std::lock_guard<std::mutex> lock(mu);
          failures.push_back(absl::StrCat(status.error_code(), " ", DecodeError(status).reason(), " ",
                                          status.error_message()));
        }
      }
    });
  }
  for (auto& worker : workers) worker.join();
  return failures;
}

// ------------------------------------------------------------------------------------------ spreading

TEST(ClusterRouting, RoundRobinSpreadsReadsEvenly) {
  auto cluster = MakeCluster(TwoDcTopology());
  // Cluster scope over both datacenters: one seed per datacenter.
  auto gateway = GatewayOn(*cluster, {0, 3});
  const std::string table = UniqueTableName("rr");
  CreateTable(*gateway, table, "pk", v1::SCALAR_TYPE_STRING);
  ASSERT_TRUE(DoPut(*gateway, Put(table, "x", 1)).ok());
  cluster->ResetCounters();

  constexpr int kReads = 3000;
  std::vector<std::string> failures =
      RunConcurrently(4, kReads, [&](int) { return DoGet(*gateway, table, "x"); });
  EXPECT_TRUE(failures.empty()) << failures.size() << " failures, first: " << failures[0];
  const auto counts = PerNode(*cluster, "GetItem");
  const double expected = static_cast<double>(kReads) / cluster->size();
  int64_t total = 0;
  double worst = 0;
  for (const auto& [ip, n] : counts) {
    total += n;
    const double deviation = (static_cast<double>(n) - expected) / expected;
    worst = std::max(worst, std::abs(deviation));
    EXPECT_LE(std::abs(deviation), 0.15) << ip << " got " << n << " of " << kReads;
  }
  EXPECT_EQ(total, kReads);
  std::printf("round-robin over %zu nodes, %d reads: %s (worst deviation %.1f%%)\n", cluster->size(), kReads,
              Show(counts).c_str(), worst * 100);
}

// ------------------------------------------------------------------------------------------ schemas

// Partition-key names (and the rest of the schema) come from one DescribeTable per table, shared by every
// concurrent call that needs it: a burst on a cold table sends exactly one.
TEST(ClusterRouting, ConcurrentCallsOnAColdTableShareOneDescribeTable) {
  auto cluster = MakeCluster(TwoDcTopology());
  const std::string table = UniqueTableName("cold");
  {
    auto creator = GatewayOn(*cluster, {0, 3});
    CreateTable(*creator, table, "pk", v1::SCALAR_TYPE_STRING);
    ASSERT_TRUE(DoPut(*creator, Put(table, "x", 1)).ok());
  }
  auto gateway = GatewayOn(*cluster, {0, 3});  // a new gateway: its schema cache is cold
  cluster->ResetCounters();
  std::vector<std::string> failures = RunConcurrently(16, 64, [&](int) { return DoGet(*gateway, table, "x"); });
  EXPECT_TRUE(failures.empty()) << failures.size() << " failures, first: " << failures[0];
  EXPECT_EQ(cluster->TotalCounters().operation("DescribeTable"), 1);
  EXPECT_EQ(cluster->TotalCounters().operation("GetItem"), 64);
}

// ------------------------------------------------------------------------------------------ affinity

TEST(ClusterRouting, AffinityPinsQualifyingWritesOfAKeyToTheNodeExplainRouteNames) {
  auto cluster = MakeCluster(TwoDcTopology());
  const std::string rmw_table = UniqueTableName("aff_rmw");
  const std::string any_table = UniqueTableName("aff_any");
  auto gateway = GatewayOn(*cluster, {0, 3}, [&](service::GatewayConfig& config) {
    config.routing.affinity = routing::AffinityMode::kRmw;
    config.routing.table_affinity[any_table] = routing::AffinityMode::kAnyWrite;
  });
  CreateTable(*gateway, rmw_table, "pk", v1::SCALAR_TYPE_STRING);
  CreateTable(*gateway, any_table, "pk", v1::SCALAR_TYPE_STRING);

  std::map<std::string, int> preferred_counts;
  for (int k = 0; k < 12; ++k) {
    const std::string key = absl::StrCat("key-", k);
    // ANY_WRITE table: every put of the key goes to one node.
    cluster->ResetCounters();
    for (int i = 0; i < 8; ++i) ASSERT_TRUE(DoPut(*gateway, Put(any_table, key, i)).ok());
    auto counts = PerNode(*cluster, "PutItem");
    std::string landed;
    for (const auto& [ip, n] : counts) {
      if (n > 0) {
        EXPECT_TRUE(landed.empty()) << key << ": " << Show(counts);
        landed = ip;
      }
    }
    v1::ExplainRouteResponse why = Explain(*gateway, any_table, key, v1::OPERATION_KIND_PUT);
    EXPECT_TRUE(why.affinity()) << why.reason();
    ASSERT_EQ(why.endpoints_size(), 5) << why.reason();
    EXPECT_EQ(why.endpoints(0), cluster->node(landed).endpoint()) << key << ": " << why.reason();
    ++preferred_counts[landed];

    // RMW table: puts returning the old item qualify and land on the same node (same key, same node
    // set); plain puts are spread.
    cluster->ResetCounters();
    for (int i = 0; i < 6; ++i) {
      v1::PutRequest put = Put(rmw_table, key, i);
      put.set_return_values(v1::RETURN_VALUES_ALL_OLD);
      ASSERT_TRUE(DoPut(*gateway, put).ok());
    }
    counts = PerNode(*cluster, "PutItem");
    EXPECT_EQ(counts[landed], 6) << key << ": " << Show(counts);
    cluster->ResetCounters();
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(DoPut(*gateway, Put(rmw_table, key, i)).ok());
    counts = PerNode(*cluster, "PutItem");
    int nodes_used = 0;
    for (const auto& [ip, n] : counts) nodes_used += n > 0;
    EXPECT_GE(nodes_used, 4) << "plain puts on an RMW table are round-robin: " << Show(counts);
    EXPECT_FALSE(Explain(*gateway, rmw_table, key, v1::OPERATION_KIND_PUT).affinity());
    EXPECT_TRUE(Explain(*gateway, rmw_table, key, v1::OPERATION_KIND_PUT, /*conditional=*/true).affinity());
  }
  // Twelve keys do not all share one coordinator.
  EXPECT_GE(preferred_counts.size(), 2u);
}

// ------------------------------------------------------------------------------------------ scopes

TEST(ClusterRouting, DatacenterAndRackScopesKeepTrafficInsideAndFallBackAsConfigured) {
  auto cluster = MakeCluster(TwoDcTopology());
  const std::string table = UniqueTableName("scope");
  {
    auto gateway = GatewayOn(*cluster, {0}, [](service::GatewayConfig& config) {
      config.routing.scopes = {*routing::ParseRoutingScope("dc:dc2")};
    });
    CreateTable(*gateway, table, "pk", v1::SCALAR_TYPE_STRING);
    EXPECT_EQ(ListNodes(*gateway).active_scope(), "dc:dc2");
    cluster->ResetCounters();
    for (int i = 0; i < 60; ++i) {
      ASSERT_TRUE(DoPut(*gateway, Put(table, absl::StrCat("k", i), i)).ok());
      ASSERT_TRUE(DoGet(*gateway, table, absl::StrCat("k", i)).ok());
    }
    auto gets = PerNode(*cluster, "GetItem");
    auto puts = PerNode(*cluster, "PutItem");
    for (const char* ip : {"127.0.5.2", "127.0.5.3", "127.0.5.4"}) {
      EXPECT_EQ(gets[ip] + puts[ip], 0) << ip << " is outside dc2: " << Show(gets);
    }
    // Round-robin alternates puts and gets over the two nodes: count both.
    EXPECT_EQ(gets["127.0.5.5"] + puts["127.0.5.5"], 60) << Show(gets) << " / " << Show(puts);
    EXPECT_EQ(gets["127.0.5.6"] + puts["127.0.5.6"], 60) << Show(gets) << " / " << Show(puts);
  }
  {
    auto gateway = GatewayOn(*cluster, {0}, [](service::GatewayConfig& config) {
      config.routing.scopes = {*routing::ParseRoutingScope("rack:dc1/r1")};
    });
    EXPECT_EQ(ListNodes(*gateway).active_scope(), "rack:dc1/r1");
    cluster->ResetCounters();
    for (int i = 0; i < 60; ++i) ASSERT_TRUE(DoGet(*gateway, table, absl::StrCat("k", i)).ok());
    auto gets = PerNode(*cluster, "GetItem");
    EXPECT_EQ(gets["127.0.5.2"], 30) << Show(gets);
    EXPECT_EQ(gets["127.0.5.3"], 30) << Show(gets);
  }
  {
    // rack:dc1/r9 does not exist -> dc:dc2 (configured fallback).
    auto gateway = GatewayOn(*cluster, {0}, [](service::GatewayConfig& config) {
      config.routing.scopes = {*routing::ParseRoutingScope("rack:dc1/r9"), *routing::ParseRoutingScope("dc:dc2")};
    });
    EXPECT_EQ(ListNodes(*gateway).active_scope(), "dc:dc2");
    cluster->ResetCounters();
    for (int i = 0; i < 20; ++i) ASSERT_TRUE(DoGet(*gateway, table, absl::StrCat("k", i)).ok());
    auto gets = PerNode(*cluster, "GetItem");
    EXPECT_EQ(gets["127.0.5.5"] + gets["127.0.5.6"], 20) << Show(gets);
  }
  {
    // The rack empties while the gateway runs: traffic falls back to the datacenter, then returns.
    auto gateway = GatewayOn(*cluster, {0}, [](service::GatewayConfig& config) {
      config.routing.scopes = {*routing::ParseRoutingScope("rack:dc1/r2"), *routing::ParseRoutingScope("dc:dc1")};
      config.routing.active_refresh = absl::Milliseconds(100);
    });
    EXPECT_EQ(ListNodes(*gateway).active_scope(), "rack:dc1/r2");
    cluster->node("127.0.5.4").SetListing(Listing::kNever);
    ASSERT_TRUE(WaitUntil([&] {
      DoGet(*gateway, table, "k1");
      return ListNodes(*gateway).active_scope() == "dc:dc1";
    }));
    cluster->ResetCounters();
    for (int i = 0; i < 20; ++i) ASSERT_TRUE(DoGet(*gateway, table, absl::StrCat("k", i)).ok());
    auto gets = PerNode(*cluster, "GetItem");
    EXPECT_EQ(gets["127.0.5.2"] + gets["127.0.5.3"] + gets["127.0.5.4"], 20) << Show(gets);
    cluster->node("127.0.5.4").SetListing(Listing::kWhenRunning);
    ASSERT_TRUE(WaitUntil([&] {
      DoGet(*gateway, table, "k1");
      return ListNodes(*gateway).active_scope() == "rack:dc1/r2";
    }));
  }
  {
    // No scope of the chain has nodes: the gateway refuses to start, naming them. (Built directly: the
    // harness aborts on a start failure.)
    service::GatewayConfig config;
    config.listen_address = "127.0.0.1:0";
    config.backend_endpoints = {cluster->node(0).endpoint()};
    config.transactions = service::GatewayConfig::Transactions::kSingleItem;
    config.routing.discovery = routing::DiscoveryMode::kOn;
    config.routing.scopes = {*routing::ParseRoutingScope("dc:nowhere")};
    auto server = service::GatewayServer::Start(config);
    ASSERT_FALSE(server.ok());
    EXPECT_NE(server.status().message().find("dc:nowhere"), std::string::npos) << server.status();
  }
}

// ------------------------------------------------------------------------------------------ failures

TEST(ClusterRouting, NodeStoppedUnderLoadCostsNoReadOrUnconditionalWriteAndComesBackThroughQuarantine) {
  auto cluster = MakeCluster({{"127.0.5.2", "dc1", "r1"}, {"127.0.5.3", "dc1", "r1"}, {"127.0.5.4", "dc1", "r2"}});
  auto gateway = GatewayOn(*cluster, {0}, [](service::GatewayConfig& config) {
    config.routing.probe_interval = absl::Milliseconds(200);
    config.routing.health.active_failure = 3;
  });
  const std::string table = UniqueTableName("stop");
  CreateTable(*gateway, table, "pk", v1::SCALAR_TYPE_STRING);
  FakeAlternatorNode& victim = cluster->node("127.0.5.3");
  const std::string victim_endpoint = victim.endpoint();
  ASSERT_EQ(StateOf(*gateway, victim_endpoint), v1::NODE_STATE_ACTIVE);

  std::atomic<bool> stop_load{false};
  std::atomic<int> reads{0}, writes{0};
  std::mutex mu;
  std::vector<std::string> failures;
  std::vector<std::thread> load;
  for (int t = 0; t < 4; ++t) {
    load.emplace_back([&, t] {
      for (int i = 0; !stop_load.load(); ++i) {
        const std::string key = absl::StrCat("t", t, "-", i % 50);
        grpc::Status status = i % 2 ? DoGet(*gateway, table, key) : DoPut(*gateway, Put(table, key, i));
        (i % 2 ? reads : writes)++;
        if (!status.ok()) {
          std::lock_guard<std::mutex> lock(mu);
          failures.push_back(absl::StrCat(i % 2 ? "read " : "write ", status.error_code(), " ",
                                          DecodeError(status).reason(), " ", status.error_message()));
        }
      }
    });
  }
  absl::SleepFor(absl::Milliseconds(500));
  // Like a crashed Alternator node before gossip notices: still listed in /localnodes, not listening.
  victim.SetListing(Listing::kAlways);
  const absl::Time stopped_at = absl::Now();
  victim.Stop();
  ASSERT_TRUE(WaitUntil([&] { return StateOf(*gateway, victim_endpoint) == v1::NODE_STATE_DOWN; }));
  const absl::Duration to_down = absl::Now() - stopped_at;
  absl::SleepFor(absl::Milliseconds(1000));
  victim.ResetCounters();
  const absl::Time restarted_at = absl::Now();
  victim.Start();
  std::optional<absl::Duration> to_quarantined;
  ASSERT_TRUE(WaitUntil([&] {
    const v1::NodeState state = StateOf(*gateway, victim_endpoint);
    if (state == v1::NODE_STATE_QUARANTINED && !to_quarantined) to_quarantined = absl::Now() - restarted_at;
    return state == v1::NODE_STATE_ACTIVE;
  }));
  const absl::Duration to_active = absl::Now() - restarted_at;
  // Traffic reaches it again once ACTIVE.
  ASSERT_TRUE(WaitUntil([&] { return victim.counters().dynamodb_requests > 0; }));
  stop_load = true;
  for (auto& thread : load) thread.join();
  std::printf("node stop under load: %d reads, %d writes, %zu failures; DOWN after %s, QUARANTINED after %s, "
              "ACTIVE after %s from restart\n",
              reads.load(), writes.load(), failures.size(), absl::FormatDuration(to_down).c_str(),
              to_quarantined ? absl::FormatDuration(*to_quarantined).c_str() : "(not seen)",
              absl::FormatDuration(to_active).c_str());
  EXPECT_TRUE(failures.empty()) << failures.size() << " failures; first: " << failures[0];
  EXPECT_TRUE(to_quarantined.has_value()) << "the node went back to ACTIVE without being seen QUARANTINED";
}

TEST(ClusterRouting, ListedNodeThatDoesNotListenGetsNoTrafficUntilItListens) {
  std::vector<FakeNodeSpec> topology = {{"127.0.5.2", "dc1", "r1"}, {"127.0.5.3", "dc1", "r1"}};
  FakeNodeSpec joining{"127.0.5.4", "dc1", "r1"};
  joining.live = false;  // listed, not listening
  topology.push_back(joining);
  auto cluster = MakeCluster(topology);
  auto gateway = GatewayOn(*cluster, {0}, [](service::GatewayConfig& config) {
    config.routing.probe_interval = absl::Milliseconds(200);
  });
  const std::string table = UniqueTableName("joining");
  CreateTable(*gateway, table, "pk", v1::SCALAR_TYPE_STRING);
  FakeAlternatorNode& node = cluster->node("127.0.5.4");
  EXPECT_EQ(StateOf(*gateway, node.endpoint()), v1::NODE_STATE_QUARANTINED);
  std::vector<std::string> failures = RunConcurrently(4, 300, [&](int i) {
    return i % 2 ? DoGet(*gateway, table, absl::StrCat("k", i)) : DoPut(*gateway, Put(table, absl::StrCat("k", i), i));
  });
  EXPECT_TRUE(failures.empty()) << failures.size() << " failures; first: " << failures[0];
  EXPECT_EQ(node.counters().dynamodb_requests, 0);
  EXPECT_NE(StateOf(*gateway, node.endpoint()), v1::NODE_STATE_ACTIVE);

  node.Start();
  ASSERT_TRUE(WaitUntil([&] { return StateOf(*gateway, node.endpoint()) == v1::NODE_STATE_ACTIVE; }));
  cluster->ResetCounters();
  failures = RunConcurrently(4, 300, [&](int i) { return DoGet(*gateway, table, absl::StrCat("k", i)); });
  EXPECT_TRUE(failures.empty());
  EXPECT_GE(node.counters().operation("GetItem"), 80);
}

TEST(ClusterRouting, WriteAnswered500IsOutcomeUnknownAndNotRetried) {
  auto cluster = MakeCluster({{"127.0.5.2", "dc1", "r1"}, {"127.0.5.3", "dc1", "r1"}, {"127.0.5.4", "dc1", "r2"}});
  auto gateway = GatewayOn(*cluster, {0}, [](service::GatewayConfig& config) {
    config.routing.affinity = routing::AffinityMode::kAnyWrite;
  });
  const std::string table = UniqueTableName("w500");
  CreateTable(*gateway, table, "pk", v1::SCALAR_TYPE_STRING);
  v1::ExplainRouteResponse why = Explain(*gateway, table, "key", v1::OPERATION_KIND_PUT);
  ASSERT_TRUE(why.affinity());
  FakeAlternatorNode* preferred = nullptr;
  for (size_t i = 0; i < cluster->size(); ++i) {
    if (cluster->node(i).endpoint() == why.endpoints(0)) preferred = &cluster->node(i);
  }
  ASSERT_NE(preferred, nullptr);
  cluster->ResetCounters();
  preferred->InjectFault(Fault::kInternalErrorAfterForward, 1, "PutItem");
  grpc::Status status = DoPut(*gateway, Put(table, "key", 1));
  RpcError error = DecodeError(status);
  EXPECT_EQ(error.code, grpc::StatusCode::UNKNOWN) << status.error_message();
  EXPECT_EQ(error.reason(), "WRITE_OUTCOME_UNKNOWN") << status.error_message();
  EXPECT_EQ(cluster->TotalCounters().operation("PutItem"), 1) << "the write was retried";
  EXPECT_EQ(preferred->counters().operation("PutItem"), 1);

  // A read answered 500 goes on to the next node and succeeds.
  cluster->ResetCounters();
  preferred->InjectFault(Fault::kInternalError, FakeAlternatorNode::kEvery, "GetItem");
  std::vector<std::string> failures = RunConcurrently(1, 6, [&](int) { return DoGet(*gateway, table, "key"); });
  EXPECT_TRUE(failures.empty()) << failures[0];
  EXPECT_GE(preferred->counters().operation("GetItem"), 1);
  EXPECT_EQ(cluster->TotalCounters().operation("GetItem"), 6 + preferred->counters().operation("GetItem"));
  preferred->ClearFaults();

  // Throttling: retried after a backoff, on the next node.
  cluster->ResetCounters();
  preferred->InjectFault(Fault::kRequestLimitExceeded, 1, "PutItem");
  EXPECT_TRUE(DoPut(*gateway, Put(table, "key", 2)).ok());
  EXPECT_EQ(cluster->TotalCounters().operation("PutItem"), 2);
}

}  // namespace
}  // namespace altgw::testing
