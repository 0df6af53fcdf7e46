// BatchGet / BatchWrite translation: validation of every key and item (with field paths), duplicates (numbers
// compared canonically), tables listed twice, versioned tables, chunking at exactly 100 keys / 25 writes
// across tables, EntryId, UnprocessedEntryIds, and parsing of BatchGetItem answers.
#include "model/batch_requests.h"

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/answer.h"
#include "model/value_builders.h"

namespace altgw::model {
namespace {

using namespace ::altgw::model::testing;  // NOLINT: builders
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// orders: pk (S) + sk (N). users: id (S). blobs: h (B). ledger: acct (S), versioned by "ver".
const std::map<std::string, TableSchema>& Schemas() {
  static const auto* schemas = [] {
    auto* out = new std::map<std::string, TableSchema>();
    (*out)["orders"] = Schema("orders", {"pk", v1::SCALAR_TYPE_STRING}, {"sk", v1::SCALAR_TYPE_NUMBER});
    (*out)["users"] = Schema("users", {"id", v1::SCALAR_TYPE_STRING});
    (*out)["blobs"] = Schema("blobs", {"h", v1::SCALAR_TYPE_BINARY});
    TableSchema ledger = Schema("ledger", {"acct", v1::SCALAR_TYPE_STRING});
    ledger.version_attribute = "ver";
    (*out)["ledger"] = ledger;
    return out;
  }();
  return *schemas;
}

SchemaLookup Lookup() {
  return [](const std::string& table) -> const TableSchema* {
    auto it = Schemas().find(table);
    return it == Schemas().end() ? nullptr : &it->second;
  };
}

AttributeMap OrderKey(const std::string& pk, int64_t sk) { return Attrs({{"pk", S(pk)}, {"sk", Int(sk)}}); }
AttributeMap UserKey(const std::string& id) { return Attrs({{"id", S(id)}}); }

v1::TableKeys* AddTable(v1::BatchGetRequest& r, const std::string& table) {
  v1::TableKeys* entry = r.add_tables();
  entry->set_table(table);
  return entry;
}
void AddKey(v1::TableKeys* entry, const AttributeMap& key) { *entry->add_keys()->mutable_attributes() = key; }

void AddPut(v1::BatchWriteRequest& r, const std::string& table, const AttributeMap& item) {
  v1::WriteEntry* entry = r.add_entries();
  entry->set_table(table);
  *entry->mutable_put()->mutable_attributes() = item;
}
void AddDelete(v1::BatchWriteRequest& r, const std::string& table, const AttributeMap& key) {
  v1::WriteEntry* entry = r.add_entries();
  entry->set_table(table);
  *entry->mutable_delete_()->mutable_attributes() = key;
}

template <typename T>
T Ok(const ErrorOr<T>& result) {
  if (!result.ok()) {
    ADD_FAILURE() << result.error().message() << "\n" << Describe(result.error().field_violations());
    return T();
  }
  return result.value();
}

// Number of keys in a BatchGetItem RequestItems object, per table.
std::map<std::string, size_t> KeysPerTable(const json& request_items) {
  std::map<std::string, size_t> out;
  for (const auto& [table, entry] : request_items.items()) out[table] = entry["Keys"].size();
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// BatchGet

TEST(TranslateBatchGetTest, OneChunkWithPerTableParameters) {
  v1::BatchGetRequest r;
  v1::TableKeys* orders = AddTable(r, "orders");
  AddKey(orders, OrderKey("a", 1));
  AddKey(orders, Attrs({{"pk", S("a")}, {"sk", N("2.50")}}));
  orders->add_projection("pk");
  orders->add_projection("total");
  orders->set_consistent_read(true);
  v1::TableKeys* users = AddTable(r, "users");
  AddKey(users, UserKey("u1"));

  const BatchGetPlan plan = Ok(TranslateBatchGet(r, Lookup()));
  EXPECT_THAT(plan.tables, ElementsAre("orders", "users"));
  ASSERT_EQ(plan.chunks.size(), 1u);
  EXPECT_EQ(plan.chunks[0], json::parse(R"({
      "orders": {"Keys": [{"pk": {"S": "a"}, "sk": {"N": "1"}}, {"pk": {"S": "a"}, "sk": {"N": "2.5"}}],
                 "ProjectionExpression": "#n0, #n1",
                 "ExpressionAttributeNames": {"#n0": "pk", "#n1": "total"},
                 "ConsistentRead": true},
      "users": {"Keys": [{"id": {"S": "u1"}}]}})"));

  const BackendCall call = BatchGetCall(plan.chunks[0]);
  EXPECT_STREQ(call.operation, "BatchGetItem");
  EXPECT_EQ(call.access, AccessKind::kRead);
  EXPECT_EQ(Body(call), (json{{"RequestItems", plan.chunks[0]}}));
}

TEST(TranslateBatchGetTest, ChunksOfExactlyOneHundredKeys) {
  for (const auto& [count, expected] : std::vector<std::pair<int, std::vector<size_t>>>{
           {1, {1}}, {99, {99}}, {100, {100}}, {101, {100, 1}}, {200, {100, 100}}, {1000, std::vector<size_t>(10, 100)},
           {1001, [] {
              std::vector<size_t> v(10, 100);
              v.push_back(1);
              return v;
            }()}}) {
    v1::BatchGetRequest r;
    v1::TableKeys* users = AddTable(r, "users");
    for (int i = 0; i < count; ++i) AddKey(users, UserKey(absl::StrCat("u", i)));
    const BatchGetPlan plan = Ok(TranslateBatchGet(r, Lookup()));
    std::vector<size_t> sizes;
    std::vector<std::string> seen;
    for (const json& chunk : plan.chunks) {
      sizes.push_back(chunk["users"]["Keys"].size());
      for (const json& key : chunk["users"]["Keys"]) seen.push_back(key["id"]["S"]);
    }
    EXPECT_EQ(sizes, expected) << count;
    ASSERT_EQ(seen.size(), static_cast<size_t>(count));
    for (int i = 0; i < count; ++i) EXPECT_EQ(seen[i], absl::StrCat("u", i));
  }
}

TEST(TranslateBatchGetTest, ChunksSpanTablesAndRepeatTheirParameters) {
  v1::BatchGetRequest r;
  v1::TableKeys* orders = AddTable(r, "orders");
  orders->add_projection("pk");
  for (int i = 0; i < 150; ++i) AddKey(orders, OrderKey("p", i));
  v1::TableKeys* users = AddTable(r, "users");
  users->set_consistent_read(true);
  for (int i = 0; i < 120; ++i) AddKey(users, UserKey(absl::StrCat("u", i)));

  const BatchGetPlan plan = Ok(TranslateBatchGet(r, Lookup()));
  ASSERT_EQ(plan.chunks.size(), 3u);
  EXPECT_EQ(KeysPerTable(plan.chunks[0]), (std::map<std::string, size_t>{{"orders", 100}}));
  EXPECT_EQ(KeysPerTable(plan.chunks[1]), (std::map<std::string, size_t>{{"orders", 50}, {"users", 50}}));
  EXPECT_EQ(KeysPerTable(plan.chunks[2]), (std::map<std::string, size_t>{{"users", 70}}));
  for (const json& chunk : plan.chunks) {
    if (chunk.contains("orders")) {
      EXPECT_EQ(chunk["orders"]["ProjectionExpression"], "#n0");
      EXPECT_FALSE(chunk["orders"].contains("ConsistentRead"));
    }
    if (chunk.contains("users")) {
      EXPECT_EQ(chunk["users"]["ConsistentRead"], true);
      EXPECT_FALSE(chunk["users"].contains("ProjectionExpression"));
    }
  }
}

TEST(TranslateBatchGetTest, DuplicateKeysAreRejected) {
  v1::BatchGetRequest r;
  v1::TableKeys* orders = AddTable(r, "orders");
  AddKey(orders, OrderKey("a", 1));
  AddKey(orders, OrderKey("a", 2));
  AddKey(orders, Attrs({{"pk", S("a")}, {"sk", N("1.000")}}));  // the same number as 1
  EXPECT_THAT(ViolatedFields(TranslateBatchGet(r, Lookup())), ElementsAre("tables[0].keys[2]"));

  // The same key in two tables is not a duplicate.
  v1::BatchGetRequest two;
  AddKey(AddTable(two, "users"), UserKey("x"));
  v1::TableKeys* blobs = AddTable(two, "blobs");
  AddKey(blobs, Attrs({{"h", B("x")}}));
  AddKey(blobs, Attrs({{"h", B("y")}}));
  EXPECT_TRUE(TranslateBatchGet(two, Lookup()).ok());
  AddKey(blobs, Attrs({{"h", B("x")}}));
  EXPECT_THAT(ViolatedFields(TranslateBatchGet(two, Lookup())), ElementsAre("tables[1].keys[2]"));
}

TEST(TranslateBatchGetTest, TableListedTwiceIsRejected) {
  v1::BatchGetRequest r;
  AddKey(AddTable(r, "users"), UserKey("a"));
  AddKey(AddTable(r, "orders"), OrderKey("a", 1));
  AddKey(AddTable(r, "users"), UserKey("b"));
  const std::vector<std::string> fields = ViolatedFields(TranslateBatchGet(r, Lookup()));
  EXPECT_THAT(fields, ElementsAre("tables[2].table"));
}

TEST(TranslateBatchGetTest, InvalidRequests) {
  v1::BatchGetRequest empty;
  EXPECT_THAT(ViolatedFields(TranslateBatchGet(empty, Lookup())), ElementsAre("tables"));

  v1::BatchGetRequest no_keys;
  AddTable(no_keys, "users");
  EXPECT_THAT(ViolatedFields(TranslateBatchGet(no_keys, Lookup())), ElementsAre("tables[0].keys"));

  v1::BatchGetRequest bad_keys;
  v1::TableKeys* orders = AddTable(bad_keys, "orders");
  AddKey(orders, OrderKey("a", 1));
  AddKey(orders, Attrs({{"pk", S("a")}}));                                  // no sort key
  AddKey(orders, Attrs({{"pk", S("a")}, {"sk", S("1")}}));                  // wrong type
  AddKey(orders, Attrs({{"pk", S("a")}, {"sk", Int(3)}, {"x", Int(1)}}));  // not a key attribute
  orders->add_projection("x[");
  EXPECT_THAT(ViolatedFields(TranslateBatchGet(bad_keys, Lookup())),
              ElementsAre("tables[0].projection[0]", "tables[0].keys[1].attributes", "tables[0].keys[2].attributes[\"sk\"]",
                          "tables[0].keys[3].attributes[\"x\"]"));

  v1::BatchGetRequest bad_name;
  AddKey(AddTable(bad_name, "x"), UserKey("a"));
  EXPECT_THAT(ViolatedFields(TranslateBatchGet(bad_name, Lookup())), ElementsAre("tables[0].table"));

  v1::BatchGetRequest missing;
  AddKey(AddTable(missing, "nowhere"), UserKey("a"));
  const ErrorOr<BatchGetPlan> result = TranslateBatchGet(missing, Lookup());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().reason(), v1::TABLE_NOT_FOUND);
}

// The answer in `text`, parsed as the backend client parses it.
Answer AnswerOf(const std::string& text) {
  std::optional<Answer> answer = Answer::Parse(text);
  EXPECT_TRUE(answer.has_value()) << text;
  return answer ? std::move(*answer) : Answer::FromJson(json::object());
}

TEST(ParseBatchGetAnswerTest, ItemsVersionsAndUnprocessedKeys) {
  const std::string text = R"({
      "Responses": {
        "users": [{"id": {"S": "a"}, "n": {"N": "1"}}],
        "ledger": [{"acct": {"S": "x"}, "ver": {"N": "7"}}, {"acct": {"S": "y"}}]},
      "UnprocessedKeys": {"users": {"Keys": [{"id": {"S": "b"}}], "ConsistentRead": true}}})";
  const BatchGetAnswer answer = Ok(ParseBatchGetAnswer(AnswerOf(text), Lookup()));
  ASSERT_EQ(answer.items.size(), 3u);
  std::map<std::string, std::vector<v1::Item>> by_table;
  for (const auto& [table, item] : answer.items) by_table[table].push_back(item);
  ASSERT_EQ(by_table["users"].size(), 1u);
  EXPECT_EQ(by_table["users"][0].attributes().at("n").number_value().integer(), 1);
  EXPECT_FALSE(by_table["users"][0].has_version());
  ASSERT_EQ(by_table["ledger"].size(), 2u);
  // Items keep the answer's order within a table.
  EXPECT_EQ(by_table["ledger"][0].attributes().at("acct").string_value(), "x");
  EXPECT_EQ(by_table["ledger"][0].version(), 7u);
  EXPECT_EQ(by_table["ledger"][1].attributes().at("acct").string_value(), "y");
  EXPECT_FALSE(by_table["ledger"][1].has_version());
  EXPECT_EQ(answer.unprocessed, json::parse(text)["UnprocessedKeys"]);

  const BatchGetAnswer done = Ok(ParseBatchGetAnswer(AnswerOf(R"({"Responses": {}, "UnprocessedKeys": {}})"), Lookup()));
  EXPECT_TRUE(done.items.empty());
  EXPECT_TRUE(done.unprocessed.empty());

  for (const char* bad : {R"({"Responses": []})", R"({"Responses": {"users": {}}})",
                          R"({"Responses": {"users": [{"id": {"X": "a"}}]}})", R"({"Responses": {"users": [7]}})"}) {
    const ErrorOr<BatchGetAnswer> result = ParseBatchGetAnswer(AnswerOf(bad), Lookup());
    ASSERT_FALSE(result.ok()) << bad;
    EXPECT_EQ(result.error().reason(), v1::BACKEND_ERROR) << bad;
  }
}

// Repeated names count as their last member, as nlohmann (and so json()) reads them.
TEST(ParseBatchGetAnswerTest, RepeatedNamesCountOnceAsTheirLastValue) {
  const BatchGetAnswer answer = Ok(ParseBatchGetAnswer(AnswerOf(R"({
      "Responses": {"users": [{"id": {"S": "first"}}], "users": [{"id": {"S": "last"}}, {"id": {"S": "too"}}]},
      "UnprocessedKeys": {"users": {"Keys": [{"id": {"S": "old"}}]}},
      "UnprocessedKeys": {"users": {"Keys": [{"id": {"S": "new"}}]}}})"), Lookup()));
  ASSERT_EQ(answer.items.size(), 2u);
  EXPECT_EQ(answer.items[0].second.attributes().at("id").string_value(), "last");
  EXPECT_EQ(answer.items[1].second.attributes().at("id").string_value(), "too");
  EXPECT_EQ(answer.unprocessed, json::parse(R"({"users": {"Keys": [{"id": {"S": "new"}}]}})"));
}

// Numbers beyond 64 bits: simdjson declines the text, nlohmann reads it; items and keys are still decoded.
TEST(ParseBatchGetAnswerTest, AnswersOnlyNlohmannReadsAreDecodedToo) {
  const std::string big = "123456789012345678901234567890";
  const BatchGetAnswer answer = Ok(ParseBatchGetAnswer(
      AnswerOf(absl::StrCat(R"({"Responses": {"users": [{"id": {"S": "a"}, "n": {"N": ")", big, R"("}}]},
                               "UnprocessedKeys": {"users": {"Keys": [{"id": {"S": "b"}}]}}, "Big": )", big, "}")),
      Lookup()));
  ASSERT_EQ(answer.items.size(), 1u);
  EXPECT_EQ(answer.items[0].second.attributes().at("n").number_value().decimal(), big);
  EXPECT_EQ(answer.unprocessed, json::parse(R"({"users": {"Keys": [{"id": {"S": "b"}}]}})"));
}

// ---------------------------------------------------------------------------------------------------------
// BatchWrite

TEST(TranslateBatchWriteTest, BodiesIdsAndPartitionKeys) {
  v1::BatchWriteRequest r;
  AddPut(r, "orders", Attrs({{"pk", S("a")}, {"sk", N("1e1")}, {"note", S("hi")}}));
  AddDelete(r, "users", UserKey("u1"));
  AddPut(r, "blobs", Attrs({{"h", B(std::string("\x00\xff", 2))}}));
  const BatchWritePlan plan = Ok(TranslateBatchWrite(r, Lookup()));
  ASSERT_EQ(plan.chunks.size(), 1u);
  const BatchWriteChunk& chunk = plan.chunks[0];
  EXPECT_THAT(chunk.entries, ElementsAre(0, 1, 2));
  EXPECT_EQ(chunk.request_items, json::parse(R"({
      "orders": [{"PutRequest": {"Item": {"pk": {"S": "a"}, "sk": {"N": "10"}, "note": {"S": "hi"}}}}],
      "users": [{"DeleteRequest": {"Key": {"id": {"S": "u1"}}}}],
      "blobs": [{"PutRequest": {"Item": {"h": {"B": "AP8="}}}}]})"));
  ASSERT_EQ(chunk.partition_keys.size(), 3u);
  EXPECT_EQ(chunk.partition_keys[0].type, v1::SCALAR_TYPE_STRING);
  EXPECT_EQ(chunk.partition_keys[0].bytes, "a");
  EXPECT_EQ(chunk.partition_keys[1].bytes, "u1");
  EXPECT_EQ(chunk.partition_keys[2].type, v1::SCALAR_TYPE_BINARY);
  EXPECT_EQ(chunk.partition_keys[2].bytes, std::string("\x00\xff", 2));
  ASSERT_EQ(plan.entry_ids.size(), 3u);
  EXPECT_EQ(plan.entry_ids[0], EntryId("orders", Schemas().at("orders").key,
                                       json::parse(R"({"sk": {"N": "10"}, "pk": {"S": "a"}})")));

  const BackendCall call = BatchWriteCall(chunk.request_items, chunk.partition_keys);
  EXPECT_STREQ(call.operation, "BatchWriteItem");
  EXPECT_EQ(call.access, AccessKind::kWrite);
  EXPECT_EQ(call.batch_partition_keys.size(), 3u);
  EXPECT_EQ(Body(call), (json{{"RequestItems", chunk.request_items}}));
}

TEST(TranslateBatchWriteTest, ChunksOfExactlyTwentyFiveEntries) {
  for (const auto& [count, expected] : std::vector<std::pair<int, std::vector<size_t>>>{
           {1, {1}}, {24, {24}}, {25, {25}}, {26, {25, 1}}, {50, {25, 25}}, {1000, std::vector<size_t>(40, 25)}}) {
    v1::BatchWriteRequest r;
    for (int i = 0; i < count; ++i) {
      if (i % 3 == 0) {
        AddDelete(r, "orders", OrderKey("p", i));
      } else {
        AddPut(r, "users", Attrs({{"id", S(absl::StrCat("u", i))}, {"i", Int(i)}}));
      }
    }
    const BatchWritePlan plan = Ok(TranslateBatchWrite(r, Lookup()));
    std::vector<size_t> sizes;
    std::vector<size_t> order;
    for (const BatchWriteChunk& chunk : plan.chunks) {
      sizes.push_back(chunk.entries.size());
      order.insert(order.end(), chunk.entries.begin(), chunk.entries.end());
      size_t requests = 0;
      for (const auto& [table, list] : chunk.request_items.items()) requests += list.size();
      EXPECT_EQ(requests, chunk.entries.size());
      EXPECT_EQ(chunk.partition_keys.size(), chunk.entries.size());
    }
    EXPECT_EQ(sizes, expected) << count;
    ASSERT_EQ(order.size(), static_cast<size_t>(count));
    for (int i = 0; i < count; ++i) EXPECT_EQ(order[i], static_cast<size_t>(i));
    EXPECT_EQ(plan.entry_ids.size(), static_cast<size_t>(count));
  }
}

TEST(TranslateBatchWriteTest, DuplicatesAreRejected) {
  v1::BatchWriteRequest r;
  AddPut(r, "orders", Attrs({{"pk", S("a")}, {"sk", Int(1)}, {"v", Int(1)}}));
  AddPut(r, "orders", Attrs({{"pk", S("a")}, {"sk", Int(2)}}));
  AddDelete(r, "orders", Attrs({{"pk", S("a")}, {"sk", N("1.0")}}));  // the item of entry 0
  AddPut(r, "users", Attrs({{"id", S("a")}}));
  AddPut(r, "users", Attrs({{"id", S("a")}, {"other", S("attributes")}}));  // the same item
  EXPECT_THAT(ViolatedFields(TranslateBatchWrite(r, Lookup())), ElementsAre("entries[2]", "entries[4]"));
}

TEST(TranslateBatchWriteTest, VersionedTablePutsAreRejectedDeletesAllowed) {
  v1::BatchWriteRequest r;
  AddPut(r, "users", Attrs({{"id", S("a")}}));
  AddPut(r, "ledger", Attrs({{"acct", S("x")}, {"balance", Int(1)}}));
  const ErrorOr<BatchWritePlan> result = TranslateBatchWrite(r, Lookup());
  EXPECT_THAT(ViolatedFields(result), ElementsAre("entries[1].put"));
  EXPECT_THAT(result.error().field_violations()[0].description, HasSubstr("versioned"));

  v1::BatchWriteRequest deletes;
  AddDelete(deletes, "ledger", Attrs({{"acct", S("x")}}));
  EXPECT_TRUE(TranslateBatchWrite(deletes, Lookup()).ok());
}

TEST(TranslateBatchWriteTest, InvalidEntries) {
  v1::BatchWriteRequest empty;
  EXPECT_THAT(ViolatedFields(TranslateBatchWrite(empty, Lookup())), ElementsAre("entries"));

  v1::BatchWriteRequest r;
  r.add_entries()->set_table("users");                        // neither put nor delete
  AddPut(r, "orders", Attrs({{"pk", S("a")}}));              // no sort key
  AddDelete(r, "orders", Attrs({{"pk", S("")}, {"sk", Int(1)}}));  // empty key string
  AddPut(r, "x", Attrs({{"id", S("a")}}));                   // bad table name
  EXPECT_THAT(ViolatedFields(TranslateBatchWrite(r, Lookup())),
              ElementsAre("entries[0]", "entries[1].put.attributes", "entries[2].delete.attributes[\"pk\"]",
                          "entries[3].table"));

  v1::BatchWriteRequest missing;
  AddPut(missing, "nowhere", Attrs({{"id", S("a")}}));
  const ErrorOr<BatchWritePlan> result = TranslateBatchWrite(missing, Lookup());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().reason(), v1::TABLE_NOT_FOUND);
}

TEST(EntryIdTest, KeyAttributesOnlyInCanonicalOrder) {
  const KeySchema& orders = Schemas().at("orders").key;
  const std::string id = EntryId("orders", orders, json::parse(R"({"pk": {"S": "a"}, "sk": {"N": "1"}})"));
  EXPECT_EQ(id, EntryId("orders", orders, json::parse(R"({"sk": {"N": "1"}, "x": {"S": "y"}, "pk": {"S": "a"}})")));
  EXPECT_NE(id, EntryId("orders", orders, json::parse(R"({"pk": {"S": "a"}, "sk": {"N": "2"}})")));
  EXPECT_NE(id, EntryId("orders2", orders, json::parse(R"({"pk": {"S": "a"}, "sk": {"N": "1"}})")));
  // Table names cannot run into the key.
  const KeySchema& users = Schemas().at("users").key;
  EXPECT_NE(EntryId("ab", users, json::parse(R"({"id": {"S": "c"}})")),
            EntryId("a", users, json::parse(R"({"id": {"S": "c"}})")));
}

TEST(UnprocessedEntryIdsTest, MatchTheEntriesOfThePlan) {
  v1::BatchWriteRequest r;
  AddPut(r, "orders", Attrs({{"pk", S("a")}, {"sk", Int(1)}, {"v", Int(1)}}));
  AddDelete(r, "users", UserKey("u1"));
  AddPut(r, "users", Attrs({{"id", S("u2")}, {"x", S("y")}}));
  const BatchWritePlan plan = Ok(TranslateBatchWrite(r, Lookup()));
  // The database answers UnprocessedItems in RequestItems form: here entries 0 and 1.
  const json unprocessed = json::parse(R"({
      "orders": [{"PutRequest": {"Item": {"v": {"N": "1"}, "sk": {"N": "1"}, "pk": {"S": "a"}}}}],
      "users": [{"DeleteRequest": {"Key": {"id": {"S": "u1"}}}}]})");
  const std::vector<std::string> ids = Ok(UnprocessedEntryIds(unprocessed, Lookup()));
  EXPECT_THAT(ids, ::testing::UnorderedElementsAre(plan.entry_ids[0], plan.entry_ids[1]));
  EXPECT_TRUE(Ok(UnprocessedEntryIds(json::object(), Lookup())).empty());

  for (const char* bad : {R"({"nowhere": [{"DeleteRequest": {"Key": {"id": {"S": "u1"}}}}]})",
                          R"({"users": {"DeleteRequest": {}}})", R"({"users": [{"DeleteRequest": {}}]})",
                          R"({"users": [{"Other": {"Key": {"id": {"S": "u1"}}}}]})"}) {
    const ErrorOr<std::vector<std::string>> result = UnprocessedEntryIds(json::parse(bad), Lookup());
    ASSERT_FALSE(result.ok()) << bad;
    EXPECT_EQ(result.error().reason(), v1::BACKEND_ERROR) << bad;
  }
}

}  // namespace
}  // namespace altgw::model
