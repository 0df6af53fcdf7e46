// Put / Get / Delete / Update translation: full DynamoDB bodies, BackendCall flags (access,
// read_modify_write per router.md §4, conditional, partition key type and bytes), ReturnValues per
// operation, key validation against the schema, table names, and parsing of the answers.
#include "model/item_requests.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/expression_checks.h"
#include "model/limits.h"
#include "model/value_builders.h"

namespace altgw::model {
namespace {

using namespace ::altgw::model::testing;  // NOLINT: builders
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

// orders: pk (S) + sk (N); GSI by_status: status (S) + placed (S); LSI by_total: pk + total (N).
TableSchema Orders() {
  TableSchema schema = Schema("orders", {"pk", v1::SCALAR_TYPE_STRING}, {"sk", v1::SCALAR_TYPE_NUMBER});
  AddIndex(schema, "by_status", true, {"status", v1::SCALAR_TYPE_STRING}, {"placed", v1::SCALAR_TYPE_STRING});
  AddIndex(schema, "by_total", false, {"pk", v1::SCALAR_TYPE_STRING}, {"total", v1::SCALAR_TYPE_NUMBER});
  return schema;
}
TableSchema Blobs() { return Schema("blobs", {"id", v1::SCALAR_TYPE_BINARY}); }
TableSchema Counters() { return Schema("counters", {"n", v1::SCALAR_TYPE_NUMBER}); }

AttributeMap OrderKey() { return Attrs({{"pk", S("customer#1")}, {"sk", Int(7)}}); }

v1::PutRequest Put(const std::string& table, const AttributeMap& item) {
  v1::PutRequest r;
  r.set_table(table);
  *r.mutable_item() = item;
  return r;
}
v1::GetRequest Get(const std::string& table, const AttributeMap& key) {
  v1::GetRequest r;
  r.set_table(table);
  *r.mutable_key() = key;
  return r;
}
v1::DeleteRequest Delete(const std::string& table, const AttributeMap& key) {
  v1::DeleteRequest r;
  r.set_table(table);
  *r.mutable_key() = key;
  return r;
}
v1::UpdateRequest Update(const std::string& table, const AttributeMap& key) {
  v1::UpdateRequest r;
  r.set_table(table);
  *r.mutable_key() = key;
  return r;
}
v1::Condition ExistsCondition(const std::string& path) {
  v1::Condition c;
  c.set_attribute_exists(path);
  return c;
}
v1::UpdateAction SetAction(const std::string& path, const v1::Value& value) {
  v1::UpdateAction a;
  a.mutable_set()->set_path(path);
  *a.mutable_set()->mutable_value() = value;
  return a;
}

template <typename T>
T Ok(const ErrorOr<T>& result) {
  if (!result.ok()) {
    ADD_FAILURE() << result.error().message() << "\n" << Describe(result.error().field_violations());
    static const T* empty = new T();
    return *empty;
  }
  return result.value();
}

// ---------------------------------------------------------------------------------------------------------
// Put

TEST(TranslatePutTest, PlainPut) {
  const ErrorOr<BackendCall> call =
      TranslatePut(Put("orders", Attrs({{"pk", S("customer#1")}, {"sk", N("7.0")}, {"note", S("hi")},
                                        {"tags", SS({"a", "b"})}})),
                   Orders());
  const BackendCall& c = Ok(call);
  EXPECT_STREQ(c.operation, "PutItem");
  EXPECT_EQ(Body(c), json::parse(R"({
      "TableName": "orders",
      "Item": {"pk": {"S": "customer#1"}, "sk": {"N": "7"}, "note": {"S": "hi"}, "tags": {"SS": ["a", "b"]}}})"));
  EXPECT_EQ(c.access, AccessKind::kWrite);
  EXPECT_FALSE(c.read_modify_write);
  EXPECT_FALSE(c.conditional);
  EXPECT_FALSE(c.condition_check.has_value());
  EXPECT_EQ(c.partition_key_type, v1::SCALAR_TYPE_STRING);
  EXPECT_EQ(c.partition_key, "customer#1");
  EXPECT_EQ(c.table, "orders");
}

TEST(TranslatePutTest, ConditionalPutWithEverything) {
  v1::PutRequest r = Put("orders", OrderKey());
  *r.mutable_condition() = ExistsCondition("`weird name`.x");
  r.set_return_values(v1::RETURN_VALUES_ALL_OLD);
  r.set_return_item_on_condition_failure(true);
  const BackendCall& c = Ok(TranslatePut(r, Orders()));
  EXPECT_EQ(Body(c), json::parse(R"json({
      "TableName": "orders",
      "Item": {"pk": {"S": "customer#1"}, "sk": {"N": "7"}},
      "ConditionExpression": "attribute_exists(#n0.#n1)",
      "ExpressionAttributeNames": {"#n0": "weird name", "#n1": "x"},
      "ReturnValues": "ALL_OLD",
      "ReturnValuesOnConditionCheckFailure": "ALL_OLD"})json"));
  EXPECT_TRUE(c.read_modify_write);
  EXPECT_TRUE(c.conditional);
  ASSERT_TRUE(c.condition_check.has_value());
  EXPECT_TRUE(c.condition_check->return_item);
}

TEST(TranslatePutTest, ReturnValuesOtherThanAllOldAreRejected) {
  for (v1::ReturnValues rv : {v1::RETURN_VALUES_UPDATED_OLD, v1::RETURN_VALUES_ALL_NEW, v1::RETURN_VALUES_UPDATED_NEW,
                              static_cast<v1::ReturnValues>(42)}) {
    v1::PutRequest r = Put("orders", OrderKey());
    r.set_return_values(rv);
    EXPECT_THAT(ViolatedFields(TranslatePut(r, Orders())), ElementsAre("return_values")) << rv;
  }
}

TEST(TranslatePutTest, TableKeyAttributesAreChecked) {
  struct Case {
    AttributeMap item;
    std::vector<std::string> fields;
  };
  const Case cases[] = {
      {Attrs({{"sk", Int(1)}}), {"item"}},                                   // missing partition key
      {Attrs({{"pk", S("a")}}), {"item"}},                                   // missing sort key
      {Attrs({}), {"item", "item"}},                                         // both missing
      {Attrs({{"pk", Int(1)}, {"sk", Int(1)}}), {"item[\"pk\"]"}},           // wrong type
      {Attrs({{"pk", S("a")}, {"sk", S("1")}}), {"item[\"sk\"]"}},           // wrong type
      {Attrs({{"pk", B("a")}, {"sk", Int(1)}}), {"item[\"pk\"]"}},           // bytes for a string key
      {Attrs({{"pk", S("")}, {"sk", Int(1)}}), {"item[\"pk\"]"}},            // empty
      {Attrs({{"pk", L({})}, {"sk", Int(1)}}), {"item[\"pk\"]"}},            // not a scalar
      {Attrs({{"pk", S(std::string(2049, 'p'))}, {"sk", Int(1)}}), {"item[\"pk\"]"}},
      {Attrs({{"pk", S("a")}, {"sk", N("1e999")}}), {"item[\"sk\"].number_value.decimal"}},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ViolatedFields(TranslatePut(Put("orders", c.item), Orders())), c.fields);
  }
  EXPECT_TRUE(TranslatePut(Put("orders", Attrs({{"pk", S(std::string(2048, 'p'))}, {"sk", Int(1)}})), Orders()).ok());

  const TableSchema strings = Schema("strings", {"h", v1::SCALAR_TYPE_STRING}, {"r", v1::SCALAR_TYPE_STRING});
  EXPECT_TRUE(
      TranslatePut(Put("strings", Attrs({{"h", S("x")}, {"r", S(std::string(1024, 'r'))}})), strings).ok());
  EXPECT_THAT(ViolatedFields(TranslatePut(Put("strings", Attrs({{"h", S("x")}, {"r", S(std::string(1025, 'r'))}})),
                                          strings)),
              ElementsAre("item[\"r\"]"));
  // Byte counts, not characters: 683 three-byte characters are 2049 bytes.
  std::string euros;
  for (int i = 0; i < 683; ++i) euros += "\xE2\x82\xAC";
  EXPECT_THAT(ViolatedFields(TranslatePut(Put("strings", Attrs({{"h", S(euros)}, {"r", S("x")}})), strings)),
              ElementsAre("item[\"h\"]"));
}

// DynamoDB rejects an item whose index key attribute has the wrong type or is empty; index sort keys are
// limited to 1024 bytes and index partition keys to 2048 (measured on DynamoDB Local).
TEST(TranslatePutTest, IndexKeyAttributesAreCheckedWhenPresent) {
  auto put = [](std::initializer_list<std::pair<std::string, v1::Value>> extra) {
    AttributeMap item = OrderKey();
    for (const auto& [name, value] : extra) item[name] = value;
    return TranslatePut(Put("orders", item), Orders());
  };
  EXPECT_TRUE(put({}).ok());  // index keys are optional
  EXPECT_TRUE(put({{"status", S("open")}, {"placed", S("2024")}, {"total", N("12.5")}}).ok());
  EXPECT_THAT(ViolatedFields(put({{"status", Int(1)}})), ElementsAre("item[\"status\"]"));
  EXPECT_THAT(ViolatedFields(put({{"status", S("")}})), ElementsAre("item[\"status\"]"));
  EXPECT_THAT(ViolatedFields(put({{"total", S("12")}})), ElementsAre("item[\"total\"]"));
  EXPECT_THAT(ViolatedFields(put({{"placed", Null()}})), ElementsAre("item[\"placed\"]"));
  EXPECT_TRUE(put({{"status", S(std::string(2048, 's'))}}).ok());
  EXPECT_THAT(ViolatedFields(put({{"status", S(std::string(2049, 's'))}})), ElementsAre("item[\"status\"]"));
  EXPECT_TRUE(put({{"placed", S(std::string(1024, 'p'))}}).ok());
  EXPECT_THAT(ViolatedFields(put({{"placed", S(std::string(1025, 'p'))}})), ElementsAre("item[\"placed\"]"));
  // Attributes that are not keys anywhere may be anything.
  EXPECT_TRUE(put({{"other", S("")}, {"more", S(std::string(5000, 'm'))}}).ok());
}

TEST(TranslatePutTest, ItemValuesAreValidated) {
  const ErrorOr<BackendCall> call = TranslatePut(
      Put("orders", Attrs({{"pk", S("a")}, {"sk", Int(1)}, {"", S("x")}, {"bad", v1::Value()}, {"s", SS({})}})),
      Orders());
  EXPECT_THAT(ViolatedFields(call), UnorderedElementsAre("item[\"\"]", "item[\"bad\"]", "item[\"s\"].string_set.values"));
}

// The partition key bytes key affinity hashes: S as UTF-8, N as the canonical string sent, B raw.
TEST(TranslatePutTest, PartitionKeyBytesForAffinity) {
  {
    const BackendCall& c = Ok(TranslatePut(Put("counters", Attrs({{"n", N("1e3")}})), Counters()));
    EXPECT_EQ(c.partition_key_type, v1::SCALAR_TYPE_NUMBER);
    EXPECT_EQ(c.partition_key, "1000");
    EXPECT_EQ(Body(c)["Item"]["n"], json({{"N", "1000"}}));
  }
  {
    const BackendCall& c = Ok(TranslatePut(Put("counters", Attrs({{"n", F64(-0.25)}})), Counters()));
    EXPECT_EQ(c.partition_key, "-0.25");
  }
  {
    const std::string raw("\x00\xff\x10 z", 5);
    const BackendCall& c = Ok(TranslatePut(Put("blobs", Attrs({{"id", B(raw)}})), Blobs()));
    EXPECT_EQ(c.partition_key_type, v1::SCALAR_TYPE_BINARY);
    EXPECT_EQ(c.partition_key, raw);
    EXPECT_EQ(Body(c)["Item"]["id"], json({{"B", "AP8QIHo="}}));
  }
  {
    const std::string utf8 = "\xC3\xA9t\xC3\xA9";
    const BackendCall& c = Ok(TranslatePut(Put("orders", Attrs({{"pk", S(utf8)}, {"sk", Int(1)}})), Orders()));
    EXPECT_EQ(c.partition_key, utf8);
  }
}

TEST(TranslatePutTest, ConditionErrorsNameTheConditionField) {
  v1::PutRequest r = Put("orders", OrderKey());
  r.mutable_condition()->mutable_all_of()->add_conditions()->set_attribute_exists("a");
  r.mutable_condition()->mutable_all_of()->add_conditions()->mutable_comparison()->set_path("b");
  EXPECT_THAT(ViolatedFields(TranslatePut(r, Orders())),
              ElementsAre("condition.all_of.conditions[1].comparison.comparator", "condition.all_of.conditions[1].comparison"));
}

// ---------------------------------------------------------------------------------------------------------
// Table names (DynamoDB's rule: 3 to 255 of a-z A-Z 0-9 _ - .)

TEST(TableNameTest, EnforcedOnEveryItemOperation) {
  for (const std::string& good : {std::string("abc"), std::string("a-b_c.D9"), std::string(255, 't')}) {
    const TableSchema schema = Schema(good, {"pk", v1::SCALAR_TYPE_STRING});
    EXPECT_TRUE(TranslateGet(Get(good, Attrs({{"pk", S("x")}})), schema).ok()) << good;
  }
  for (const std::string& bad : {std::string(""), std::string("ab"), std::string(256, 't'), std::string("bad name"),
                                 std::string("caf\xC3\xA9"), std::string("a/b"), std::string("a:b"),
                                 std::string("tab\t")}) {
    const TableSchema schema = Schema(bad, {"pk", v1::SCALAR_TYPE_STRING});
    const AttributeMap key = Attrs({{"pk", S("x")}});
    EXPECT_THAT(ViolatedFields(TranslateGet(Get(bad, key), schema)), ElementsAre("table")) << bad;
    EXPECT_THAT(ViolatedFields(TranslatePut(Put(bad, key), schema)), ElementsAre("table")) << bad;
    EXPECT_THAT(ViolatedFields(TranslateDelete(Delete(bad, key), schema)), ElementsAre("table")) << bad;
    EXPECT_THAT(ViolatedFields(TranslateUpdate(Update(bad, key), schema)), ElementsAre("table")) << bad;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Get

TEST(TranslateGetTest, PlainGet) {
  const BackendCall& c = Ok(TranslateGet(Get("orders", OrderKey()), Orders()));
  EXPECT_STREQ(c.operation, "GetItem");
  EXPECT_EQ(Body(c), json::parse(R"({"TableName": "orders", "Key": {"pk": {"S": "customer#1"}, "sk": {"N": "7"}}})"));
  EXPECT_EQ(c.access, AccessKind::kRead);
  EXPECT_FALSE(c.read_modify_write);
  EXPECT_FALSE(c.conditional);
  EXPECT_EQ(c.partition_key_type, v1::SCALAR_TYPE_STRING);
  EXPECT_EQ(c.partition_key, "customer#1");
}

TEST(TranslateGetTest, ProjectionAndConsistentRead) {
  v1::GetRequest r = Get("orders", OrderKey());
  r.add_projection("a.b[1]");
  r.add_projection("`c.d`");
  r.add_projection("#n0");
  r.set_consistent_read(true);
  const BackendCall& c = Ok(TranslateGet(r, Orders()));
  EXPECT_EQ(Body(c), json::parse(R"({
      "TableName": "orders",
      "Key": {"pk": {"S": "customer#1"}, "sk": {"N": "7"}},
      "ProjectionExpression": "#n0.#n1[1], #n2, #n3",
      "ExpressionAttributeNames": {"#n0": "a", "#n1": "b", "#n2": "c.d", "#n3": "#n0"},
      "ConsistentRead": true})"));
}

TEST(TranslateGetTest, ProjectionErrors) {
  v1::GetRequest r = Get("orders", OrderKey());
  r.add_projection("a");
  r.add_projection("");
  r.add_projection("a.b");
  EXPECT_THAT(ViolatedFields(TranslateGet(r, Orders())), ElementsAre("projection[1]", "projection[2]"));
}

TEST(KeyValidationTest, KeysHoldExactlyTheKeyAttributes) {
  struct Case {
    AttributeMap key;
    std::vector<std::string> fields;
  };
  const Case cases[] = {
      {Attrs({{"pk", S("a")}}), {"key"}},
      {Attrs({{"sk", Int(1)}}), {"key"}},
      {Attrs({}), {"key", "key"}},
      {Attrs({{"pk", S("a")}, {"sk", Int(1)}, {"extra", S("x")}}), {"key[\"extra\"]"}},
      {Attrs({{"pk", S("a")}, {"sk", Int(1)}, {"status", S("x")}}), {"key[\"status\"]"}},  // an index key
      {Attrs({{"pk", Int(1)}, {"sk", Int(1)}}), {"key[\"pk\"]"}},
      {Attrs({{"pk", S("a")}, {"sk", S("1")}}), {"key[\"sk\"]"}},
      {Attrs({{"pk", S("")}, {"sk", Int(1)}}), {"key[\"pk\"]"}},
      {Attrs({{"pk", v1::Value()}, {"sk", Int(1)}}), {"key[\"pk\"]", "key[\"pk\"]"}},
      {Attrs({{"pk", S(std::string(2049, 'x'))}, {"sk", Int(1)}}), {"key[\"pk\"]"}},
      {Attrs({{"pk", S("a")}, {"sk", N("x")}}), {"key[\"sk\"].number_value.decimal"}},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ViolatedFields(TranslateGet(Get("orders", c.key), Orders())), c.fields);
    EXPECT_EQ(ViolatedFields(TranslateDelete(Delete("orders", c.key), Orders())), c.fields);
    EXPECT_EQ(ViolatedFields(TranslateUpdate(Update("orders", c.key), Orders())), c.fields);
  }
  // Sort keys are limited to 1024 bytes, binary keys count raw bytes, and may not be empty either.
  const TableSchema bin = Schema("bin", {"h", v1::SCALAR_TYPE_BINARY}, {"r", v1::SCALAR_TYPE_BINARY});
  EXPECT_TRUE(TranslateGet(Get("bin", Attrs({{"h", B(std::string(2048, '\0'))}, {"r", B(std::string(1024, '\xff'))}})),
                           bin)
                  .ok());
  EXPECT_THAT(ViolatedFields(TranslateGet(Get("bin", Attrs({{"h", B("x")}, {"r", B(std::string(1025, 'r'))}})), bin)),
              ElementsAre("key[\"r\"]"));
  EXPECT_THAT(ViolatedFields(TranslateGet(Get("bin", Attrs({{"h", B("")}, {"r", B("r")}})), bin)),
              ElementsAre("key[\"h\"]"));
  // A hash-only table takes a one-attribute key.
  EXPECT_THAT(ViolatedFields(TranslateGet(Get("blobs", Attrs({{"id", B("x")}, {"sk", Int(1)}})), Blobs())),
              ElementsAre("key[\"sk\"]"));
}

TEST(KeyValidationTest, MessagesNameTheAttributeAndTheExpectedType) {
  const ErrorOr<BackendCall> wrong = TranslateGet(Get("orders", Attrs({{"pk", Int(1)}, {"sk", Int(1)}})), Orders());
  ASSERT_FALSE(wrong.ok());
  EXPECT_THAT(wrong.error().field_violations()[0].description, HasSubstr("'pk'"));
  EXPECT_THAT(wrong.error().field_violations()[0].description, HasSubstr("string_value"));
  const ErrorOr<BackendCall> missing = TranslateGet(Get("orders", Attrs({{"pk", S("x")}})), Orders());
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.error().field_violations()[0].description, HasSubstr("missing key attribute 'sk'"));
}

// ---------------------------------------------------------------------------------------------------------
// Delete

TEST(TranslateDeleteTest, PlainAndConditionalDelete) {
  {
    const BackendCall& c = Ok(TranslateDelete(Delete("orders", OrderKey()), Orders()));
    EXPECT_STREQ(c.operation, "DeleteItem");
    EXPECT_EQ(Body(c), json::parse(R"({"TableName": "orders", "Key": {"pk": {"S": "customer#1"}, "sk": {"N": "7"}}})"));
    EXPECT_EQ(c.access, AccessKind::kWrite);
    EXPECT_FALSE(c.read_modify_write);
    EXPECT_FALSE(c.conditional);
    EXPECT_EQ(c.partition_key, "customer#1");
  }
  {
    v1::DeleteRequest r = Delete("orders", OrderKey());
    r.mutable_condition()->mutable_comparison()->set_path("version");
    r.mutable_condition()->mutable_comparison()->set_comparator(v1::COMPARATOR_EQUAL);
    *r.mutable_condition()->mutable_comparison()->mutable_value() = Int(3);
    r.set_return_item_on_condition_failure(true);
    const BackendCall& c = Ok(TranslateDelete(r, Orders()));
    EXPECT_EQ(Body(c), json::parse(R"({
        "TableName": "orders",
        "Key": {"pk": {"S": "customer#1"}, "sk": {"N": "7"}},
        "ConditionExpression": "#n0 = :v0",
        "ExpressionAttributeNames": {"#n0": "version"},
        "ExpressionAttributeValues": {":v0": {"N": "3"}},
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD"})"));
    EXPECT_TRUE(c.read_modify_write);
    EXPECT_TRUE(c.conditional);
    ASSERT_TRUE(c.condition_check.has_value());
  EXPECT_TRUE(c.condition_check->return_item);
  }
}

TEST(TranslateDeleteTest, ReturnValues) {
  v1::DeleteRequest r = Delete("orders", OrderKey());
  r.set_return_values(v1::RETURN_VALUES_ALL_OLD);
  const BackendCall& c = Ok(TranslateDelete(r, Orders()));
  EXPECT_EQ(Body(c)["ReturnValues"], "ALL_OLD");
  EXPECT_TRUE(c.read_modify_write);
  for (v1::ReturnValues rv : {v1::RETURN_VALUES_UPDATED_OLD, v1::RETURN_VALUES_ALL_NEW, v1::RETURN_VALUES_UPDATED_NEW}) {
    r.set_return_values(rv);
    EXPECT_THAT(ViolatedFields(TranslateDelete(r, Orders())), ElementsAre("return_values")) << rv;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Update

TEST(TranslateUpdateTest, UpdateWithActionsAndConditionSharesPlaceholders) {
  v1::UpdateRequest r = Update("orders", OrderKey());
  *r.add_actions() = SetAction("status", S("shipped"));
  r.add_actions()->set_remove("draft");
  *r.mutable_condition() = ExistsCondition("status");
  r.set_return_values(v1::RETURN_VALUES_UPDATED_NEW);
  const BackendCall& c = Ok(TranslateUpdate(r, Orders()));
  EXPECT_STREQ(c.operation, "UpdateItem");
  EXPECT_EQ(Body(c), json::parse(R"json({
      "TableName": "orders",
      "Key": {"pk": {"S": "customer#1"}, "sk": {"N": "7"}},
      "UpdateExpression": "SET #n0 = :v0 REMOVE #n1",
      "ConditionExpression": "attribute_exists(#n0)",
      "ExpressionAttributeNames": {"#n0": "status", "#n1": "draft"},
      "ExpressionAttributeValues": {":v0": {"S": "shipped"}},
      "ReturnValues": "UPDATED_NEW"})json"));
  EXPECT_EQ(c.access, AccessKind::kWrite);
  EXPECT_TRUE(c.read_modify_write);
  EXPECT_TRUE(c.conditional);
  EXPECT_EQ(c.partition_key, "customer#1");
}

TEST(TranslateUpdateTest, UpdateWithoutActionsHasNoUpdateExpression) {
  const BackendCall& c = Ok(TranslateUpdate(Update("orders", OrderKey()), Orders()));
  EXPECT_EQ(Body(c), json::parse(R"({"TableName": "orders", "Key": {"pk": {"S": "customer#1"}, "sk": {"N": "7"}}})"));
  EXPECT_FALSE(c.read_modify_write);
  EXPECT_FALSE(c.conditional);
}

TEST(TranslateUpdateTest, EveryReturnValuesIsAccepted) {
  const std::pair<v1::ReturnValues, const char*> values[] = {
      {v1::RETURN_VALUES_ALL_OLD, "ALL_OLD"},
      {v1::RETURN_VALUES_UPDATED_OLD, "UPDATED_OLD"},
      {v1::RETURN_VALUES_ALL_NEW, "ALL_NEW"},
      {v1::RETURN_VALUES_UPDATED_NEW, "UPDATED_NEW"},
  };
  for (const auto& [rv, text] : values) {
    v1::UpdateRequest r = Update("orders", OrderKey());
    r.set_return_values(rv);
    EXPECT_EQ(Body(Ok(TranslateUpdate(r, Orders())))["ReturnValues"], text);
  }
  v1::UpdateRequest r = Update("orders", OrderKey());
  r.set_return_values(static_cast<v1::ReturnValues>(9));
  EXPECT_THAT(ViolatedFields(TranslateUpdate(r, Orders())), ElementsAre("return_values"));
}

TEST(TranslateUpdateTest, KeyAttributesCannotBeChanged) {
  v1::UpdateRequest r = Update("orders", OrderKey());
  *r.add_actions() = SetAction("note", S("x"));
  *r.add_actions() = SetAction("sk", Int(2));
  r.add_actions()->set_remove("pk");
  EXPECT_THAT(ViolatedFields(TranslateUpdate(r, Orders())), ElementsAre("actions[1].set.path", "actions[2].remove"));
}

TEST(TranslateUpdateTest, IndexKeyAttributesAreCheckedAgainstTheSchema) {
  v1::UpdateRequest r = Update("orders", OrderKey());
  *r.add_actions() = SetAction("status", Int(1));
  *r.add_actions() = SetAction("placed", S(std::string(1025, 'p')));
  *r.add_actions() = SetAction("total", N("3"));
  EXPECT_THAT(ViolatedFields(TranslateUpdate(r, Orders())), ElementsAre("actions[0].set.value", "actions[1].set.value"));
}

TEST(TranslateUpdateTest, HostileNamesInActionsAndConditionStayOutOfTheExpressions) {
  v1::UpdateRequest r = Update("orders", OrderKey());
  *r.add_actions() = SetAction("`a) OR (b`", S(":v0"));
  *r.mutable_condition() = ExistsCondition("#n0.`x = :v0`");
  const json body = Body(Ok(TranslateUpdate(r, Orders())));
  EXPECT_ONLY_PLACEHOLDERS(body["UpdateExpression"].get<std::string>());
  EXPECT_ONLY_PLACEHOLDERS(body["ConditionExpression"].get<std::string>());
  EXPECT_EQ(body["ExpressionAttributeNames"], json({{"#n0", "#n0"}, {"#n1", "x = :v0"}, {"#n2", "a) OR (b"}}));
}

// router.md §4 "RMW qualifies": Put/Delete with a condition or ReturnValues ALL_OLD; Update with any update
// actions, a condition, or ReturnValues ALL_OLD / UPDATED_OLD / ALL_NEW (UPDATED_NEW alone does not).
TEST(ReadModifyWriteTest, FollowsTheRouterRules) {
  struct Case {
    const char* what;
    bool condition;
    bool action;
    v1::ReturnValues rv;
    bool rmw;
  };
  const Case put_delete[] = {
      {"plain", false, false, v1::RETURN_VALUES_NONE, false},
      {"condition", true, false, v1::RETURN_VALUES_NONE, true},
      {"ALL_OLD", false, false, v1::RETURN_VALUES_ALL_OLD, true},
      {"both", true, false, v1::RETURN_VALUES_ALL_OLD, true},
  };
  for (const Case& c : put_delete) {
    v1::PutRequest put = Put("orders", OrderKey());
    v1::DeleteRequest del = Delete("orders", OrderKey());
    if (c.condition) {
      *put.mutable_condition() = ExistsCondition("a");
      *del.mutable_condition() = ExistsCondition("a");
    }
    put.set_return_values(c.rv);
    del.set_return_values(c.rv);
    EXPECT_EQ(Ok(TranslatePut(put, Orders())).read_modify_write, c.rmw) << "Put " << c.what;
    EXPECT_EQ(Ok(TranslateDelete(del, Orders())).read_modify_write, c.rmw) << "Delete " << c.what;
    // return_item_on_condition_failure alone changes nothing.
    put.set_return_item_on_condition_failure(true);
    EXPECT_EQ(Ok(TranslatePut(put, Orders())).read_modify_write, c.rmw) << "Put " << c.what;
  }
  const Case update[] = {
      {"nothing", false, false, v1::RETURN_VALUES_NONE, false},
      {"UPDATED_NEW", false, false, v1::RETURN_VALUES_UPDATED_NEW, false},
      {"ALL_OLD", false, false, v1::RETURN_VALUES_ALL_OLD, true},
      {"UPDATED_OLD", false, false, v1::RETURN_VALUES_UPDATED_OLD, true},
      {"ALL_NEW", false, false, v1::RETURN_VALUES_ALL_NEW, true},
      {"condition", true, false, v1::RETURN_VALUES_NONE, true},
      {"plain SET", false, true, v1::RETURN_VALUES_NONE, true},
      {"plain SET + UPDATED_NEW", false, true, v1::RETURN_VALUES_UPDATED_NEW, true},
  };
  for (const Case& c : update) {
    v1::UpdateRequest r = Update("orders", OrderKey());
    if (c.condition) *r.mutable_condition() = ExistsCondition("a");
    if (c.action) *r.add_actions() = SetAction("a", Int(1));
    r.set_return_values(c.rv);
    const BackendCall& call = Ok(TranslateUpdate(r, Orders()));
    EXPECT_EQ(call.read_modify_write, c.rmw) << "Update " << c.what;
    EXPECT_EQ(call.conditional, c.condition) << "Update " << c.what;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Answers

TEST(ParseItemResponsesTest, GetFoundNotFoundAndEmptyProjection) {
  {
    const ErrorOr<v1::GetResponse> r = ParseGetResponse(*Answer::Parse(R"({})"), Orders());
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r->found());
    EXPECT_TRUE(r->item().empty());
  }
  {
    const ErrorOr<v1::GetResponse> r = ParseGetResponse(*Answer::Parse(R"({"Item": {}})"), Orders());
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->found());
    EXPECT_TRUE(r->item().empty());
  }
  {
    const ErrorOr<v1::GetResponse> r =
        ParseGetResponse(*Answer::Parse(R"({"Item": {"pk": {"S": "a"}, "n": {"N": "1e3"}, "d": {"N": "2.50"}}})"),
                         Orders());
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->found());
    EXPECT_EQ(r->item().at("pk").string_value(), "a");
    EXPECT_EQ(r->item().at("n").number_value().integer(), 1000);
    EXPECT_EQ(r->item().at("d").number_value().decimal(), "2.5");
  }
}

TEST(ParseItemResponsesTest, WriteAnswersCarryReturnedAttributes) {
  const json body = json::parse(R"({"Attributes": {"a": {"BOOL": true}}})");
  EXPECT_TRUE(ParsePutResponse(body, WriteAnswer())->attributes().at("a").bool_value());
  EXPECT_TRUE(ParseDeleteResponse(body)->attributes().at("a").bool_value());
  EXPECT_TRUE(ParseUpdateResponse(body, WriteAnswer())->attributes().at("a").bool_value());
  EXPECT_TRUE(ParsePutResponse(json::object(), WriteAnswer())->attributes().empty());
  EXPECT_TRUE(ParseUpdateResponse(json::parse(R"({"ConsumedCapacity": {}})"), WriteAnswer())->attributes().empty());
}

TEST(ParseItemResponsesTest, MalformedAnswersAreBackendErrors) {
  const json bad_item = json::parse(R"({"Item": {"a": {"Q": 1}}})");
  const json bad_attributes = json::parse(R"({"Attributes": []})");
  std::vector<GatewayError> errors;
  errors.push_back(ParseGetResponse(Answer::FromJson(bad_item), Orders()).error());
  errors.push_back(ParseGetResponse(*Answer::Parse(R"({"Item": "x"})"), Orders()).error());
  errors.push_back(ParsePutResponse(bad_attributes, WriteAnswer()).error());
  errors.push_back(ParseDeleteResponse(bad_attributes).error());
  errors.push_back(ParseUpdateResponse(json::parse(R"({"Attributes": {"a": {"N": "x"}}})"), WriteAnswer()).error());
  for (const GatewayError& e : errors) {
    EXPECT_EQ(e.code(), absl::StatusCode::kInternal);
    EXPECT_EQ(e.reason(), v1::BACKEND_ERROR);
    ASSERT_FALSE(e.metadata().empty());
    EXPECT_EQ(e.metadata()[0], std::make_pair(std::string("backendErrorType"), std::string("MalformedResponse")));
  }
  EXPECT_THAT(errors[0].message(), HasSubstr("GetItem"));
  EXPECT_THAT(errors[2].message(), HasSubstr("PutItem"));
}

}  // namespace
}  // namespace altgw::model
