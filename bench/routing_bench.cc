// The per-request cost of key affinity: hash the partition key, seed the plan, pick the first node (the
// usual case) or the whole plan (every node tried). The gateway's budget for hash + first node is 1 µs.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "common/scheduler.h"
#include "routing/cluster_router.h"
#include "routing/go_rand.h"
#include "routing/murmur3.h"
#include "routing/query_plan.h"

namespace altgw::routing {
namespace {

// Distinct keys, so iterations vary as requests do (payload bytes, generator seeds, rejection paths).
constexpr size_t kKeyCount = 1024;  // a power of two, so picking a key costs a mask, not a division

std::vector<std::string> Keys() {
  std::vector<std::string> keys;
  for (size_t i = 0; i < kKeyCount; ++i) keys.push_back(absl::StrCat("user#", i * 7919, "@example.com"));
  return keys;
}

void BM_AffinityHash(benchmark::State& state) {
  const std::vector<std::string> keys = Keys();
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(AffinityHash(KeyKind::kString, keys[i++ % kKeyCount]));
  }
}
BENCHMARK(BM_AffinityHash);

void BM_HashAndFirstNode(benchmark::State& state) {
  const std::vector<std::string> keys = Keys();
  const size_t nodes = static_cast<size_t>(state.range(0));
  size_t i = 0;
  for (auto _ : state) {
    AffinityPlan plan(AffinityHash(KeyKind::kString, keys[i++ % kKeyCount]), nodes);
    benchmark::DoNotOptimize(plan.Next());
  }
}
BENCHMARK(BM_HashAndFirstNode)->Arg(3)->Arg(10)->Arg(30);

void BM_HashAndFirstTwoNodes(benchmark::State& state) {
  const std::vector<std::string> keys = Keys();
  const size_t nodes = static_cast<size_t>(state.range(0));
  size_t i = 0;
  for (auto _ : state) {
    AffinityPlan plan(AffinityHash(KeyKind::kString, keys[i++ % kKeyCount]), nodes);
    benchmark::DoNotOptimize(plan.Next());
    benchmark::DoNotOptimize(plan.Next());
  }
}
BENCHMARK(BM_HashAndFirstTwoNodes)->Arg(3)->Arg(10)->Arg(30);

void BM_HashAndFullPlan(benchmark::State& state) {
  const std::vector<std::string> keys = Keys();
  const size_t nodes = static_cast<size_t>(state.range(0));
  size_t i = 0;
  for (auto _ : state) {
    AffinityPlan plan(AffinityHash(KeyKind::kString, keys[i++ % kKeyCount]), nodes);
    while (std::optional<size_t> next = plan.Next()) benchmark::DoNotOptimize(next);
  }
}
BENCHMARK(BM_HashAndFullPlan)->Arg(3)->Arg(10)->Arg(30);

void BM_GoRandSeedAndFirstDraw(benchmark::State& state) {
  int64_t seed = 8815023923555918238;
  for (auto _ : state) {
    GoRand rand(seed++);
    benchmark::DoNotOptimize(rand.Int63());
  }
}
BENCHMARK(BM_GoRandSeedAndFirstDraw);

// For scale: what Go's eager seeding (all 607 words) would cost, by drawing until every word has been
// computed (607 draws touch every word at least once).
void BM_GoRandSeedAnd607Draws(benchmark::State& state) {
  int64_t seed = 8815023923555918238;
  for (auto _ : state) {
    GoRand rand(seed++);
    for (int i = 0; i < 607; ++i) benchmark::DoNotOptimize(rand.Int63());
  }
}
BENCHMARK(BM_GoRandSeedAnd607Draws);

// What a request pays in the router itself: ClusterRouter::Plan() (topology snapshot, mode and key checks,
// hash, plan object) and the first Next() (health applied at selection), for a write with key affinity and
// for a round-robin read. Static mode (no discovery), so nothing runs in the background.
class NoNetwork final : public NodeClient {
 public:
  void ListLocalNodes(const std::string&, const std::string&, const std::string&, absl::Duration,
                      absl::AnyInvocable<void(LocalNodesAnswer) &&> done) override {
    std::move(done)(LocalNodesAnswer{false, {}, "benchmark"});
  }
  void Ping(const std::string&, absl::Duration, absl::AnyInvocable<void(bool) &&> done) override {
    std::move(done)(true);
  }
};

void RouterPlan(benchmark::State& state, bool write) {
  const size_t nodes = static_cast<size_t>(state.range(0));
  RouterConfig config;
  for (size_t i = 0; i < nodes; ++i) config.seeds.push_back(absl::StrCat("http://10.0.", i / 250, ".", i % 250 + 1, ":8000"));
  config.discovery = DiscoveryMode::kOff;
  config.affinity = AffinityMode::kAnyWrite;
  NoNetwork client;
  Scheduler scheduler;
  ClusterRouter router(config, client, scheduler);
  if (!router.Start(absl::Seconds(1)).ok()) {
    state.SkipWithError("router did not start");
    return;
  }
  const std::vector<std::string> keys = Keys();
  RouteRequest request;
  request.table = "bench";
  request.access = write ? model::AccessKind::kWrite : model::AccessKind::kRead;
  request.partition_key_type = model::v1::SCALAR_TYPE_STRING;
  size_t i = 0;
  for (auto _ : state) {
    request.partition_key = keys[i++ % kKeyCount];
    std::unique_ptr<RoutePlan> plan = router.Plan(request);
    benchmark::DoNotOptimize(plan->Next());
  }
}

void BM_RouterPlanAffinityWrite(benchmark::State& state) { RouterPlan(state, /*write=*/true); }
BENCHMARK(BM_RouterPlanAffinityWrite)->Arg(3)->Arg(10)->Arg(30);

void BM_RouterPlanRoundRobinRead(benchmark::State& state) { RouterPlan(state, /*write=*/false); }
BENCHMARK(BM_RouterPlanRoundRobinRead)->Arg(3)->Arg(10)->Arg(30);

}  // namespace
}  // namespace altgw::routing
