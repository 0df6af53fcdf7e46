// Many clients at once through one gateway: distinct keys all written and read back, and atomic
// increments on one item all counted.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "integration_util.h"

namespace altgw::testing {
namespace {

constexpr int kThreads = 32;
constexpr int kOpsPerThread = 50;

class ConcurrencyTest : public GatewaySuite {};

// Creates the table behind the gateway's back, so that the first calls find its schema uncached and
// all wait on one schema lookup.
std::string CreateTableDirectly(const std::string& prefix) {
  const std::string table = UniqueTableName(prefix);
  auto answer = Db().Call("CreateTable", {{"TableName", table},
                                          {"KeySchema", {{{"AttributeName", "pk"}, {"KeyType", "HASH"}}}},
                                          {"AttributeDefinitions", {{{"AttributeName", "pk"}, {"AttributeType", "S"}}}},
                                          {"BillingMode", "PAY_PER_REQUEST"}});
  EXPECT_EQ(answer.status, 200) << answer.body.dump();
  return table;
}

TEST_F(ConcurrencyTest, ThirtyTwoThreadsPutAndGetDistinctKeys) {
  const std::string table = CreateTableDirectly("concurrency");
  std::atomic<int> ready{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      ready.fetch_add(1);
      while (ready.load() < kThreads) std::this_thread::yield();  // start together: a cold schema cache
      for (int i = 0; i < kOpsPerThread; ++i) {
        const std::string key = "t" + std::to_string(t) + "-" + std::to_string(i);
        const Attributes item = Item({{"pk", S(key)}, {"thread", I(t)}, {"i", I(i)}, {"payload", S(std::string(100 + i, 'x'))}});
        if (!Ok(Call(gateway(), PutOf(table, item)))) {
          failures.fetch_add(1);
          continue;
        }
        v1::GetResponse got;
        if (!Ok(Call(gateway(), GetOf(table, Item({{"pk", S(key)}})), &got)) || !got.found() ||
            !SameItem(item, got.item())) {
          failures.fetch_add(1);
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  const std::vector<json> items = DirectScan(table);
  EXPECT_EQ(items.size(), static_cast<size_t>(kThreads * kOpsPerThread));
}

TEST_F(ConcurrencyTest, ConcurrentIncrementsAreAllApplied) {
  const std::string table = CreateTableDirectly("concurrency_incr");
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        if (!Ok(Call(gateway(), UpdateOf(table, Item({{"pk", S("counter")}}), {IncrementAction("n", I(1))})))) {
          failures.fetch_add(1);
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(DirectItem(table, SKey("pk", "counter"))["n"]["N"], std::to_string(kThreads * 10));
}

}  // namespace
}  // namespace altgw::testing
