// BatchGet and BatchWrite end to end: 1,000 entries with per-entry statuses across two tables (checked
// directly in DynamoDB Local), 1,000 keys with missing ones (projection and consistent_read per table),
// duplicates and tables listed twice, versioned tables; and, through a FakeAlternatorCluster, chunking
// (counted BatchGetItem requests), throttled requests and real UnprocessedKeys retried, and a chunk answered
// 500 whose entries, and only those, are WRITE_OUTCOME_UNKNOWN.
#include <chrono>
#include <thread>

#include "absl/strings/str_format.h"
#include "bulk_util.h"

namespace altgw::testing {
namespace {

using Fault = FakeAlternatorNode::Fault;

v1::Key KeyOf(const Attributes& attributes) {
  v1::Key key;
  *key.mutable_attributes() = attributes;
  return key;
}

void AddPut(v1::BatchWriteRequest& r, const std::string& table, const Attributes& item) {
  v1::WriteEntry* entry = r.add_entries();
  entry->set_table(table);
  *entry->mutable_put()->mutable_attributes() = item;
}
void AddDelete(v1::BatchWriteRequest& r, const std::string& table, const Attributes& key) {
  v1::WriteEntry* entry = r.add_entries();
  entry->set_table(table);
  *entry->mutable_delete_()->mutable_attributes() = key;
}

grpc::Status BatchWrite(GatewayHarness& g, const v1::BatchWriteRequest& r, v1::BatchWriteResponse* out) {
  return g.data().BatchWrite(Context(absl::Seconds(30)).get(), r, out);
}
grpc::Status BatchGet(GatewayHarness& g, const v1::BatchGetRequest& r, v1::BatchGetResponse* out) {
  return g.data().BatchGet(Context(absl::Seconds(30)).get(), r, out);
}

// How many statuses have each code.
std::map<int, int> CodeCounts(const v1::BatchWriteResponse& response) {
  std::map<int, int> out;
  for (const auto& status : response.statuses()) ++out[status.code()];
  return out;
}

std::string A(int i) { return absl::StrFormat("a-%04d", i); }
std::string B(int i) { return absl::StrFormat("b-%02d", i); }

// ---------------------------------------------------------------------------------------------------------
// On DynamoDB Local.

class BatchTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    versioned_ = CreateTableInDb("batch_versioned");
    gateway_ = std::make_unique<GatewayHarness>(
        [](service::GatewayConfig& config) { config.version_attributes[versioned_] = "ver"; });
  }
  static void TearDownTestSuite() { gateway_.reset(); }
  static GatewayHarness& gateway() { return *gateway_; }

  inline static std::unique_ptr<GatewayHarness> gateway_;
  inline static std::string versioned_;
};

TEST_F(BatchTest, ThousandWritesAcrossTwoTablesAllApplied) {
  const std::string a = CreateTableInDb("batch_a");
  const std::string b = CreateTableInDb("batch_b", "pk", "sk");
  v1::BatchWriteRequest request;
  int in_a = 0;
  int in_b = 0;
  for (int i = 0; i < 1000; ++i) {
    if (i % 5 < 3) {
      AddPut(request, a, Item({{"pk", S(A(in_a))}, {"n", I(in_a)}, {"tags", SS({"x", "y"})}}));
      ++in_a;
    } else {
      AddPut(request, b, Item({{"pk", S(B(in_b % 20))}, {"sk", I(in_b)}, {"n", I(in_b)}}));
      ++in_b;
    }
  }
  v1::BatchWriteResponse response;
  ASSERT_TRUE(Ok(BatchWrite(gateway(), request, &response)));
  ASSERT_EQ(response.statuses_size(), 1000);
  EXPECT_EQ(CodeCounts(response), (std::map<int, int>{{0, 1000}}));

  // Every item is in the database, with its attributes.
  const std::vector<json> items_a = DirectScan(a);
  ASSERT_EQ(items_a.size(), 600u);
  std::set<std::string> keys;
  for (const json& item : items_a) {
    keys.insert(item["pk"]["S"].get<std::string>());
    EXPECT_EQ(item["pk"]["S"].get<std::string>(), A(std::stoi(item["n"]["N"].get<std::string>())));
  }
  EXPECT_EQ(keys.size(), 600u);
  EXPECT_EQ(DirectCount(b), 400u);
  const json one = DirectItem(b, {{"pk", {{"S", B(7)}}}, {"sk", {{"N", "27"}}}});
  ASSERT_TRUE(one.is_object());
  EXPECT_EQ(one["n"]["N"], "27");

  // Puts and deletes across both tables in one request.
  v1::BatchWriteRequest mixed;
  for (int i = 0; i < 600; i += 2) AddDelete(mixed, a, Item({{"pk", S(A(i))}}));             // 300 deletes
  for (int i = 400; i < 500; ++i) AddPut(mixed, b, Item({{"pk", S("new")}, {"sk", I(i)}}));   // 100 puts
  for (int i = 0; i < 50; ++i) AddDelete(mixed, b, Item({{"pk", S(B(i % 20))}, {"sk", I(i)}}));  // 50 deletes
  AddDelete(mixed, a, Item({{"pk", S("never-existed")}}));  // deleting a missing item succeeds
  v1::BatchWriteResponse mixed_response;
  ASSERT_TRUE(Ok(BatchWrite(gateway(), mixed, &mixed_response)));
  ASSERT_EQ(mixed_response.statuses_size(), 451);
  EXPECT_EQ(CodeCounts(mixed_response), (std::map<int, int>{{0, 451}}));
  EXPECT_EQ(DirectCount(a), 300u);
  EXPECT_EQ(DirectCount(b), 450u);
  EXPECT_TRUE(DirectItem(a, SKey("pk", A(0))).is_null());
  EXPECT_TRUE(DirectItem(a, SKey("pk", A(1))).is_object());
  EXPECT_TRUE(DirectItem(b, {{"pk", {{"S", "new"}}}, {"sk", {{"N", "450"}}}}).is_object());
  EXPECT_TRUE(DirectItem(b, {{"pk", {{"S", B(3)}}}, {"sk", {{"N", "3"}}}}).is_null());
}

TEST_F(BatchTest, ThousandKeysWithMissingOnesAcrossTwoTables) {
  const std::string a = CreateTableInDb("batch_get_a");
  const std::string b = CreateTableInDb("batch_get_b", "pk", "sk");
  std::vector<json> items_a;
  for (int i = 0; i < 600; ++i) {
    items_a.push_back({{"pk", {{"S", A(i)}}}, {"n", {{"N", std::to_string(i)}}}, {"payload", {{"S", "big"}}}});
  }
  LoadItems(a, items_a);
  std::vector<json> items_b;
  for (int i = 0; i < 200; ++i) {
    items_b.push_back({{"pk", {{"S", "b"}}}, {"sk", {{"N", std::to_string(i)}}}, {"v", {{"S", "x"}}}});
  }
  LoadItems(b, items_b);

  v1::BatchGetRequest request;
  v1::TableKeys* keys_a = request.add_tables();
  keys_a->set_table(a);
  for (int i = 0; i < 700; ++i) *keys_a->add_keys() = KeyOf(Item({{"pk", S(A(i))}}));  // 600..699 missing
  keys_a->add_projection("pk");
  keys_a->add_projection("n");
  v1::TableKeys* keys_b = request.add_tables();
  keys_b->set_table(b);
  for (int i = 0; i < 300; ++i) *keys_b->add_keys() = KeyOf(Item({{"pk", S("b")}, {"sk", I(i)}}));  // 200.. missing
  keys_b->set_consistent_read(true);

  v1::BatchGetResponse response;
  ASSERT_TRUE(Ok(BatchGet(gateway(), request, &response)));
  ASSERT_EQ(response.tables_size(), 2);
  EXPECT_EQ(response.tables(0).table(), a);
  EXPECT_EQ(response.tables(1).table(), b);

  std::vector<Attributes> got_a;
  for (const auto& item : response.tables(0).items()) got_a.push_back(item.attributes());
  std::set<std::string> expected_a;
  for (int i = 0; i < 600; ++i) expected_a.insert(A(i));
  EXPECT_TRUE(ExactlyOnce(Occurrences(got_a, "pk"), expected_a));
  for (const Attributes& item : got_a) {
    ASSERT_EQ(item.size(), 2u) << Show(item);  // the projection: pk and n only
    EXPECT_EQ(item.at("pk").string_value(), A(static_cast<int>(item.at("n").number_value().integer())));
  }

  std::map<int64_t, int> got_b;
  for (const auto& item : response.tables(1).items()) {
    EXPECT_EQ(item.attributes().size(), 3u);  // no projection: whole items
    ++got_b[item.attributes().at("sk").number_value().integer()];
  }
  ASSERT_EQ(got_b.size(), 200u);
  for (const auto& [sk, count] : got_b) {
    EXPECT_LT(sk, 200);
    EXPECT_EQ(count, 1);
  }
}

TEST_F(BatchTest, GetDuplicatesAndRepeatedTablesAreInvalid) {
  const std::string a = CreateTableInDb("batch_get_dups");
  v1::BatchGetRequest duplicates;
  v1::TableKeys* keys = duplicates.add_tables();
  keys->set_table(a);
  *keys->add_keys() = KeyOf(Item({{"pk", S("x")}}));
  *keys->add_keys() = KeyOf(Item({{"pk", S("y")}}));
  *keys->add_keys() = KeyOf(Item({{"pk", S("x")}}));
  v1::BatchGetResponse response;
  EXPECT_TRUE(IsInvalid(BatchGet(gateway(), duplicates, &response), "tables[0].keys[2]"));

  v1::BatchGetRequest twice;
  for (const char* key : {"x", "y"}) {
    v1::TableKeys* entry = twice.add_tables();
    entry->set_table(a);
    *entry->add_keys() = KeyOf(Item({{"pk", S(key)}}));
  }
  EXPECT_TRUE(IsInvalid(BatchGet(gateway(), twice, &response), "tables[1].table"));

  v1::BatchGetRequest bad_key;
  v1::TableKeys* entry = bad_key.add_tables();
  entry->set_table(a);
  *entry->add_keys() = KeyOf(Item({{"pk", I(1)}}));
  EXPECT_TRUE(IsInvalid(BatchGet(gateway(), bad_key, &response), "tables[0].keys[0].attributes"));
}

TEST_F(BatchTest, WriteDuplicatesAreInvalidAndNothingIsWritten) {
  const std::string a = CreateTableInDb("batch_write_dups");
  const std::string b = CreateTableInDb("batch_write_dups_b", "pk", "sk");
  v1::BatchWriteRequest request;
  for (int i = 0; i < 30; ++i) AddPut(request, a, Item({{"pk", S(A(i))}}));
  AddPut(request, b, Item({{"pk", S("p")}, {"sk", I(1)}}));
  AddDelete(request, b, Item({{"pk", S("p")}, {"sk", N("1.0")}}));  // entry 31: the item of entry 30
  for (int i = 30; i < 40; ++i) AddPut(request, a, Item({{"pk", S(A(i))}}));
  AddPut(request, a, Item({{"pk", S(A(3))}, {"other", S("value")}}));  // entry 42: the item of entry 3
  v1::BatchWriteResponse response;
  const grpc::Status status = BatchWrite(gateway(), request, &response);
  EXPECT_TRUE(IsInvalid(status, "entries[31]"));
  EXPECT_TRUE(IsInvalid(status, "entries[42]"));
  EXPECT_EQ(response.statuses_size(), 0);
  EXPECT_EQ(DirectCount(a), 0u) << "a rejected batch wrote something";
  EXPECT_EQ(DirectCount(b), 0u);
}

TEST_F(BatchTest, VersionedTablePutsAreInvalid) {
  const std::string plain = CreateTableInDb("batch_plain");
  v1::BatchWriteRequest request;
  AddPut(request, plain, Item({{"pk", S("a")}}));
  AddPut(request, versioned_, Item({{"pk", S("v")}, {"x", I(1)}}));
  v1::BatchWriteResponse response;
  EXPECT_TRUE(IsInvalid(BatchWrite(gateway(), request, &response), "entries[1].put"));
  EXPECT_EQ(DirectCount(plain), 0u);
  EXPECT_EQ(DirectCount(versioned_), 0u);

  // Deletes do not bump versions: they are accepted.
  ASSERT_TRUE(Ok(Call(gateway(), PutOf(versioned_, Item({{"pk", S("gone")}})))));
  ASSERT_EQ(DirectCount(versioned_), 1u);
  v1::BatchWriteRequest deletes;
  AddDelete(deletes, versioned_, Item({{"pk", S("gone")}}));
  ASSERT_TRUE(Ok(BatchWrite(gateway(), deletes, &response)));
  ASSERT_EQ(response.statuses_size(), 1);
  EXPECT_EQ(response.statuses(0).code(), 0);
  EXPECT_EQ(DirectCount(versioned_), 0u);
}

// ---------------------------------------------------------------------------------------------------------
// Through a FakeAlternatorCluster: request counts and faults.

class BatchClusterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    cluster_ = MakeFakeCluster({"127.0.0.41", "127.0.0.42"});
    gateway_ = GatewayOn(*cluster_);
  }
  static void TearDownTestSuite() {
    gateway_.reset();
    cluster_.reset();
  }
  void SetUp() override {
    for (size_t n = 0; n < cluster_->size(); ++n) cluster_->node(n).ClearFaults();
    cluster_->ResetCounters();
  }
  static FakeAlternatorCluster& cluster() { return *cluster_; }
  static GatewayHarness& gateway() { return *gateway_; }
  static int64_t Count(const std::string& operation) { return cluster_->TotalCounters().operation(operation); }

  // A table of `count` items a-0000... with attribute n.
  static std::string LoadedTable(const std::string& prefix, int count) {
    const std::string table = CreateTableInDb(prefix);
    std::vector<json> items;
    for (int i = 0; i < count; ++i) items.push_back({{"pk", {{"S", A(i)}}}, {"n", {{"N", std::to_string(i)}}}});
    LoadItems(table, items);
    return table;
  }
  static v1::BatchGetRequest GetAll(const std::string& table, int count) {
    v1::BatchGetRequest request;
    v1::TableKeys* keys = request.add_tables();
    keys->set_table(table);
    for (int i = 0; i < count; ++i) *keys->add_keys() = KeyOf(Item({{"pk", S(A(i))}}));
    return request;
  }
  static std::set<std::string> Keys(int count) {
    std::set<std::string> keys;
    for (int i = 0; i < count; ++i) keys.insert(A(i));
    return keys;
  }
  static std::vector<Attributes> ItemsOf(const v1::BatchGetResponse& response, int table = 0) {
    std::vector<Attributes> out;
    for (const auto& item : response.tables(table).items()) out.push_back(item.attributes());
    return out;
  }

  inline static std::unique_ptr<FakeAlternatorCluster> cluster_;
  inline static std::unique_ptr<GatewayHarness> gateway_;
};

TEST_F(BatchClusterTest, ThousandKeysAreChunkedByOneHundred) {
  const std::string table = LoadedTable("batch_chunks", 1000);
  const std::string other = LoadedTable("batch_chunks_other", 50);
  v1::BatchGetRequest request = GetAll(table, 1000);
  request.mutable_tables(0)->add_projection("n");
  v1::TableKeys* second = request.add_tables();
  second->set_table(other);
  second->set_consistent_read(true);
  for (int i = 0; i < 50; ++i) *second->add_keys() = KeyOf(Item({{"pk", S(A(i))}}));
  cluster().ResetCounters();

  v1::BatchGetResponse response;
  ASSERT_TRUE(Ok(BatchGet(gateway(), request, &response)));
  ASSERT_EQ(response.tables_size(), 2);
  EXPECT_EQ(response.tables(0).items_size(), 1000);
  EXPECT_EQ(response.tables(1).items_size(), 50);
  EXPECT_TRUE(ExactlyOnce(Occurrences(ItemsOf(response, 1), "pk"), Keys(50)));
  // 1,050 keys: at least 11 requests of at most 100 keys each.
  EXPECT_GE(Count("BatchGetItem"), 11);

  // What the nodes received: each table's own parameters, never more than 100 keys per request.
  size_t seen = 0;
  for (size_t n = 0; n < cluster().size(); ++n) {
    for (const FakeRequestRecord& record : cluster().node(n).RecentRequests()) {
      if (record.operation != "BatchGetItem") continue;
      ++seen;
      const json body = json::parse(record.body);
      size_t keys = 0;
      for (const auto& [name, entry] : body["RequestItems"].items()) {
        keys += entry["Keys"].size();
        if (name == table) {
          EXPECT_TRUE(entry.contains("ProjectionExpression"));
          EXPECT_FALSE(entry.contains("ConsistentRead"));
        } else {
          EXPECT_EQ(entry.value("ConsistentRead", false), true);
          EXPECT_FALSE(entry.contains("ProjectionExpression"));
        }
      }
      EXPECT_LE(keys, 100u);
    }
  }
  EXPECT_GE(seen, 11u);
}

TEST_F(BatchClusterTest, ThrottledRequestsAreRetried) {
  const std::string table = LoadedTable("batch_throttled", 1000);
  cluster().ResetCounters();
  // One RequestLimitExceeded per node: some chunks are refused once and must be retried.
  cluster().node(0).InjectFault(Fault::kRequestLimitExceeded, 1, "BatchGetItem");
  cluster().node(1).InjectFault(Fault::kRequestLimitExceeded, 1, "BatchGetItem");
  v1::BatchGetResponse response;
  ASSERT_TRUE(Ok(BatchGet(gateway(), GetAll(table, 1000), &response)));
  EXPECT_TRUE(ExactlyOnce(Occurrences(ItemsOf(response), "pk"), Keys(1000)));
  EXPECT_EQ(cluster().node(0).pending_faults(), 0) << "the fault was never hit";
  EXPECT_EQ(cluster().node(1).pending_faults(), 0) << "the fault was never hit";
  EXPECT_GE(Count("BatchGetItem"), 12) << "10 chunks + 2 refused attempts";
}

TEST_F(BatchClusterTest, UnprocessedKeysAreRetried) {
  // 60 items of 390 KB: more than the 16 MB a BatchGetItem answers at once, so DynamoDB (Local) leaves
  // some keys in UnprocessedKeys and the gateway must ask for them again.
  const std::string table = CreateTableInDb("batch_unprocessed");
  const std::string payload(390 * 1024, 'u');
  for (int i = 0; i < 60; ++i) {
    const auto answer = Db().Call("PutItem", {{"TableName", table},
                                              {"Item", {{"pk", {{"S", A(i)}}}, {"payload", {{"S", payload}}}}}});
    ASSERT_EQ(answer.status, 200) << answer.body.dump();
  }
  cluster().ResetCounters();
  v1::BatchGetRequest request = GetAll(table, 60);
  request.mutable_tables(0)->add_projection("pk");  // small answers; the database still reads whole items
  v1::BatchGetResponse response;
  ASSERT_TRUE(Ok(BatchGet(gateway(), request, &response)));
  EXPECT_TRUE(ExactlyOnce(Occurrences(ItemsOf(response), "pk"), Keys(60)));
  EXPECT_GE(Count("BatchGetItem"), 2) << "all 60 keys answered at once: the test does not test UnprocessedKeys";
}

TEST_F(BatchClusterTest, ChunkAnswered500IsWriteOutcomeUnknown) {
  const std::string table = CreateTableInDb("batch_500");
  constexpr int kEntries = 200;  // 8 chunks of 25
  v1::BatchWriteRequest request;
  for (int i = 0; i < kEntries; ++i) AddPut(request, table, Item({{"pk", S(A(i))}}));
  cluster().node(0).InjectFault(Fault::kInternalError, 1, "BatchWriteItem");
  v1::BatchWriteResponse response;
  ASSERT_TRUE(Ok(BatchWrite(gateway(), request, &response)));
  EXPECT_EQ(cluster().node(0).pending_faults(), 0) << "the fault was never hit";
  ASSERT_EQ(response.statuses_size(), kEntries);

  std::vector<int> unknown;
  for (int i = 0; i < kEntries; ++i) {
    const google::rpc::Status& status = response.statuses(i);
    if (status.code() == 0) continue;
    EXPECT_EQ(status.code(), static_cast<int>(grpc::StatusCode::UNKNOWN)) << i;
    EXPECT_EQ(ReasonOf(status), "WRITE_OUTCOME_UNKNOWN") << i;
    unknown.push_back(i);
  }
  // Exactly one chunk: 25 consecutive entries starting at a multiple of 25.
  ASSERT_EQ(unknown.size(), 25u);
  EXPECT_EQ(unknown.front() % 25, 0);
  EXPECT_EQ(unknown.back(), unknown.front() + 24);

  // The fault answered without forwarding: exactly the OK entries are in the database.
  std::set<std::string> stored;
  for (const json& item : DirectScan(table)) stored.insert(item["pk"]["S"].get<std::string>());
  EXPECT_EQ(stored.size(), static_cast<size_t>(kEntries - 25));
  for (int i : unknown) EXPECT_FALSE(stored.contains(A(i))) << i;
}

}  // namespace
}  // namespace altgw::testing
