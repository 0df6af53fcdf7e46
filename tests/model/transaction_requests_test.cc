// Transaction / TransactGet translation: grouping of operations by item (the write leads, checks folded into
// its condition), field paths of violations, version reads listed and resolved, NativeTransactionCall,
// SingleItemTransactionCall (and its rejections), and the mapping of TransactionCanceledException
// CancellationReasons (every code) to the overall code/reason and the per-operation TransactionFailure.
#include "model/transaction_requests.h"

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/expression_checks.h"
#include "model/value_builders.h"

namespace altgw::model {
namespace {

using namespace ::altgw::model::testing;  // NOLINT: builders
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// accounts: id (S). orders: pk (S) + sk (N). ledger: acct (S), versioned by "ver".
const std::map<std::string, TableSchema>& Schemas() {
  static const auto* schemas = [] {
    auto* out = new std::map<std::string, TableSchema>();
    (*out)["accounts"] = Schema("accounts", {"id", v1::SCALAR_TYPE_STRING});
    (*out)["orders"] = Schema("orders", {"pk", v1::SCALAR_TYPE_STRING}, {"sk", v1::SCALAR_TYPE_NUMBER});
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

v1::Condition Exists(const std::string& path) {
  v1::Condition c;
  c.set_attribute_exists(path);
  return c;
}
v1::Condition NotExists(const std::string& path) {
  v1::Condition c;
  c.set_attribute_not_exists(path);
  return c;
}
v1::Condition Equals(const std::string& path, const v1::Value& value) {
  v1::Condition c;
  c.mutable_comparison()->set_path(path);
  c.mutable_comparison()->set_comparator(v1::COMPARATOR_EQUAL);
  *c.mutable_comparison()->mutable_value() = value;
  return c;
}

v1::TransactPut* AddPut(v1::TransactionRequest& r, const std::string& table, const AttributeMap& item) {
  v1::TransactPut* put = r.add_operations()->mutable_put();
  put->set_table(table);
  *put->mutable_item() = item;
  return put;
}
v1::TransactUpdate* AddUpdate(v1::TransactionRequest& r, const std::string& table, const AttributeMap& key) {
  v1::TransactUpdate* update = r.add_operations()->mutable_update();
  update->set_table(table);
  *update->mutable_key() = key;
  return update;
}
v1::TransactDelete* AddDelete(v1::TransactionRequest& r, const std::string& table, const AttributeMap& key) {
  v1::TransactDelete* del = r.add_operations()->mutable_delete_();
  del->set_table(table);
  *del->mutable_key() = key;
  return del;
}
v1::TransactConditionCheck* AddCheck(v1::TransactionRequest& r, const std::string& table, const AttributeMap& key,
                                     const v1::Condition& condition) {
  v1::TransactConditionCheck* check = r.add_operations()->mutable_condition_check();
  check->set_table(table);
  *check->mutable_key() = key;
  *check->mutable_condition() = condition;
  return check;
}
v1::UpdateAction SetAction(const std::string& path, const v1::Value& value) {
  v1::UpdateAction a;
  a.mutable_set()->set_path(path);
  *a.mutable_set()->mutable_value() = value;
  return a;
}

AttributeMap Account(const std::string& id) { return Attrs({{"id", S(id)}}); }
AttributeMap Order(const std::string& pk, int64_t sk) { return Attrs({{"pk", S(pk)}, {"sk", Int(sk)}}); }

ErrorOr<TransactionPlan> Translate(const v1::TransactionRequest& r,
                                   const std::vector<std::optional<VersionExpectation>>& observed = {}) {
  return TranslateTransaction(r, Lookup(), observed);
}

template <typename T>
T Ok(const ErrorOr<T>& result) {
  if (!result.ok()) {
    ADD_FAILURE() << result.error().message() << "\n" << Describe(result.error().field_violations());
    return T();
  }
  return result.value();
}

v1::TransactionFailure FailureOf(const GatewayError& error) {
  v1::TransactionFailure failure;
  bool found = false;
  for (const google::protobuf::Any& detail : error.extra_details()) found = found || detail.UnpackTo(&failure);
  EXPECT_TRUE(found) << "no TransactionFailure detail in: " << error.message();
  return failure;
}

// The per-operation reasons of a TransactionFailure ("" for operations that did not fail).
std::vector<std::string> Reasons(const v1::TransactionFailure& failure) {
  std::vector<std::string> out;
  for (const v1::OperationFailure& op : failure.operations()) out.push_back(op.reason());
  return out;
}

// The request the mapping tests share:
//   [0] put accounts/a          (condition: attribute_not_exists(id))   group 0 (lead)
//   [1] condition_check orders/p,1 (attribute_exists(status))           group 1
//   [2] update orders/p,2 (SET status = "x")                            group 2
//   [3] condition_check accounts/a (balance = 10), return item          group 0 (folded)
//   [4] delete accounts/b                                               group 3
v1::TransactionRequest MixedRequest() {
  v1::TransactionRequest r;
  *AddPut(r, "accounts", Attrs({{"id", S("a")}, {"balance", Int(5)}}))->mutable_condition() = NotExists("id");
  AddCheck(r, "orders", Order("p", 1), Exists("status"));
  *AddUpdate(r, "orders", Order("p", 2))->add_actions() = SetAction("status", S("x"));
  AddCheck(r, "accounts", Account("a"), Equals("balance", Int(10)))->set_return_item_on_condition_failure(true);
  AddDelete(r, "accounts", Account("b"));
  return r;
}

// ---------------------------------------------------------------------------------------------------------
// Grouping and bodies

TEST(TranslateTransactionTest, GroupsOperationsByItem) {
  const v1::TransactionRequest r = MixedRequest();
  const TransactionPlan plan = Ok(Translate(r));
  ASSERT_EQ(plan.groups.size(), 4u);
  EXPECT_THAT(plan.groups[0].operations, ElementsAre(0, 3));
  EXPECT_THAT(plan.groups[1].operations, ElementsAre(1));
  EXPECT_THAT(plan.groups[2].operations, ElementsAre(2));
  EXPECT_THAT(plan.groups[3].operations, ElementsAre(4));
  EXPECT_TRUE(plan.groups[0].writes);
  EXPECT_FALSE(plan.groups[1].writes);
  EXPECT_TRUE(plan.groups[2].writes);
  EXPECT_TRUE(plan.groups[3].writes);
  EXPECT_EQ(plan.groups[0].table, "accounts");
  EXPECT_EQ(plan.groups[0].encoded_key, json::parse(R"({"id": {"S": "a"}})"));
  EXPECT_EQ(plan.groups[1].encoded_key, json::parse(R"({"pk": {"S": "p"}, "sk": {"N": "1"}})"));
  EXPECT_EQ(plan.groups[0].partition_key.bytes, "a");
  EXPECT_TRUE(plan.version_reads.empty());

  // The put carries both its own condition and the folded check's.
  EXPECT_EQ(plan.groups[0].element, json::parse(R"json({"Put": {
      "TableName": "accounts",
      "Item": {"id": {"S": "a"}, "balance": {"N": "5"}},
      "ConditionExpression": "(attribute_not_exists(#n0)) AND (#n1 = :v0)",
      "ExpressionAttributeNames": {"#n0": "id", "#n1": "balance"},
      "ExpressionAttributeValues": {":v0": {"N": "10"}},
      "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}})json"));
  EXPECT_EQ(plan.groups[1].element, json::parse(R"json({"ConditionCheck": {
      "TableName": "orders",
      "Key": {"pk": {"S": "p"}, "sk": {"N": "1"}},
      "ConditionExpression": "attribute_exists(#n0)",
      "ExpressionAttributeNames": {"#n0": "status"},
      "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}})json"));
  EXPECT_EQ(plan.groups[2].element, json::parse(R"json({"Update": {
      "TableName": "orders",
      "Key": {"pk": {"S": "p"}, "sk": {"N": "2"}},
      "UpdateExpression": "SET #n0 = :v0",
      "ExpressionAttributeNames": {"#n0": "status"},
      "ExpressionAttributeValues": {":v0": {"S": "x"}}}})json"));
  EXPECT_EQ(plan.groups[3].element, json::parse(R"({"Delete": {
      "TableName": "accounts", "Key": {"id": {"S": "b"}}}})"));
  EXPECT_EQ(plan.new_versions.size(), 5u);
  for (const auto& version : plan.new_versions) EXPECT_FALSE(version.has_value());
}

TEST(TranslateTransactionTest, TheWriteLeadsItsGroupWhateverTheOrder) {
  v1::TransactionRequest r;
  AddCheck(r, "accounts", Account("a"), Exists("x"));
  AddCheck(r, "accounts", Account("a"), Exists("y"));
  *AddUpdate(r, "accounts", Account("a"))->add_actions() = SetAction("z", Int(1));
  const TransactionPlan plan = Ok(Translate(r));
  ASSERT_EQ(plan.groups.size(), 1u);
  EXPECT_THAT(plan.groups[0].operations, ElementsAre(2, 0, 1));
  EXPECT_TRUE(plan.groups[0].writes);
  ASSERT_TRUE(plan.groups[0].element.contains("Update"));
  const json& update = plan.groups[0].element["Update"];
  EXPECT_EQ(update["ConditionExpression"], "(attribute_exists(#n0)) AND (attribute_exists(#n1))");
  EXPECT_ONLY_PLACEHOLDERS(update["UpdateExpression"].get<std::string>());

  // Checks only: one ConditionCheck whose condition ANDs them.
  v1::TransactionRequest checks;
  AddCheck(checks, "accounts", Account("a"), Exists("x"));
  AddCheck(checks, "accounts", Account("a"), Exists("y"));
  const TransactionPlan only = Ok(Translate(checks));
  ASSERT_EQ(only.groups.size(), 1u);
  EXPECT_FALSE(only.groups[0].writes);
  EXPECT_EQ(only.groups[0].element["ConditionCheck"]["ConditionExpression"],
            "(attribute_exists(#n0)) AND (attribute_exists(#n1))");
}

TEST(TranslateTransactionTest, SameKeyInAnotherTableIsAnotherItem) {
  v1::TransactionRequest r;
  AddPut(r, "accounts", Attrs({{"id", S("a")}}));
  AddPut(r, "ledger", Attrs({{"acct", S("a")}}))->set_expected_version(0);
  const TransactionPlan plan = Ok(Translate(r));
  EXPECT_EQ(plan.groups.size(), 2u);
}

// ---------------------------------------------------------------------------------------------------------
// Violations

TEST(TranslateTransactionTest, TwoWritesToOneItemAreRejected) {
  v1::TransactionRequest r;
  AddPut(r, "accounts", Attrs({{"id", S("a")}}));
  AddCheck(r, "accounts", Account("b"), Exists("x"));
  AddUpdate(r, "accounts", Account("a"));
  AddDelete(r, "orders", Attrs({{"pk", S("p")}, {"sk", N("1.0")}}));
  AddDelete(r, "orders", Order("p", 1));  // the same item: 1.0 == 1
  EXPECT_THAT(ViolatedFields(Translate(r)), ElementsAre("operations[2].update", "operations[4].delete"));
}

TEST(TranslateTransactionTest, OperationCountLimits) {
  v1::TransactionRequest empty;
  EXPECT_THAT(ViolatedFields(Translate(empty)), ElementsAre("operations"));

  v1::TransactionRequest hundred;
  for (int i = 0; i < 100; ++i) AddPut(hundred, "accounts", Attrs({{"id", S(absl::StrCat("a", i))}}));
  const TransactionPlan plan = Ok(Translate(hundred));
  EXPECT_EQ(plan.groups.size(), 100u);

  v1::TransactionRequest over = hundred;
  AddPut(over, "accounts", Attrs({{"id", S("a100")}}));
  const std::vector<std::string> fields = ViolatedFields(Translate(over));
  EXPECT_THAT(fields, ElementsAre("operations"));
}

TEST(TranslateTransactionTest, FieldPathsOfViolations) {
  v1::TransactionRequest r;
  AddPut(r, "accounts", Attrs({{"id", S("a")}}));                       // fine
  r.add_operations();                                                    // [1] no kind
  AddDelete(r, "orders", Order("p", 1));                                 // fine
  AddUpdate(r, "orders", Attrs({{"pk", S("p")}}));                       // [3] no sort key
  AddCheck(r, "orders", Attrs({{"pk", S("p")}, {"sk", S("x")}}), Exists("a"));  // [4] wrong type
  AddPut(r, "x", Attrs({{"id", S("a")}}));                               // [5] table name
  EXPECT_THAT(ViolatedFields(Translate(r)),
              ElementsAre("operations[1]", "operations[3].update.key", "operations[4].condition_check.key[\"sk\"]",
                          "operations[5].put.table"));
}

TEST(TranslateTransactionTest, SecondPassViolationsNameTheirOperation) {
  v1::TransactionRequest r;
  AddPut(r, "accounts", Attrs({{"id", S("a")}}));
  v1::TransactConditionCheck* check = r.add_operations()->mutable_condition_check();  // [1] no condition
  check->set_table("accounts");
  *check->mutable_key() = Account("b");
  AddPut(r, "accounts", Attrs({{"id", S("c")}}))->set_expected_version(1);  // [2] not versioned
  // [3] a check folded into [0], with an expected version on a table that has none.
  AddCheck(r, "accounts", Account("a"), Exists("x"))->set_expected_version(2);
  AddPut(r, "ledger", Attrs({{"acct", S("l")}, {"ver", Int(1)}}))->set_expected_version(0);  // [4] writes ver
  *AddUpdate(r, "ledger", Attrs({{"acct", S("m")}}))->add_actions() = SetAction("ver", Int(3));  // [5]
  AddPut(r, "orders", Attrs({{"pk", S("p")}}));  // [6] no sort key in the item
  // Reported group by group (operation 3 is folded into operation 0's group).
  const std::vector<std::string> fields = ViolatedFields(Translate(r));
  EXPECT_THAT(fields, ::testing::UnorderedElementsAre("operations[1].condition_check", "operations[2].put.expected_version",
                                  "operations[3].condition_check.expected_version",
                                  "operations[4].put.item[\"ver\"]", "operations[5].update.actions[0].set.path",
                                  "operations[6].put.item"));
}

TEST(TranslateTransactionTest, RequestIdAndUnknownTables) {
  v1::TransactionRequest r;
  AddPut(r, "accounts", Attrs({{"id", S("a")}}));
  r.set_request_id(std::string(36, 'r'));
  EXPECT_TRUE(Translate(r).ok());
  for (const std::string& bad : {std::string(37, 'r'), std::string("with space"), std::string("tab\t"),
                                 std::string("\xC3\xA9")}) {
    r.set_request_id(bad);
    EXPECT_THAT(ViolatedFields(Translate(r)), ElementsAre("request_id")) << bad;
  }

  v1::TransactionRequest missing;
  AddPut(missing, "nowhere", Attrs({{"id", S("a")}}));
  const ErrorOr<TransactionPlan> result = Translate(missing);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().reason(), v1::TABLE_NOT_FOUND);
}

// ---------------------------------------------------------------------------------------------------------
// Versions

TEST(TranslateTransactionTest, VersionReadsAreListedThenResolved) {
  v1::TransactionRequest r;
  AddPut(r, "ledger", Attrs({{"acct", S("x")}, {"balance", Int(1)}}));            // [0] needs a read
  *AddUpdate(r, "ledger", Attrs({{"acct", S("y")}}))->add_actions() = SetAction("n", Int(1));  // [1] read
  AddDelete(r, "ledger", Attrs({{"acct", S("z")}}));                                // [2] no bump
  AddUpdate(r, "ledger", Attrs({{"acct", S("w")}}))->set_expected_version(4);      // [3] given
  AddPut(r, "accounts", Attrs({{"id", S("a")}}));                                   // [4] not versioned
  AddCheck(r, "ledger", Attrs({{"acct", S("v")}}), Exists("n"))->set_expected_version(2);  // [5]

  const TransactionPlan first = Ok(Translate(r));
  EXPECT_THAT(first.version_reads, ElementsAre(0, 1));
  ASSERT_EQ(first.version_read_keys.size(), 2u);
  EXPECT_EQ(first.version_read_keys[0], json::parse(R"({"acct": {"S": "x"}})"));
  EXPECT_EQ(first.version_read_keys[1], json::parse(R"({"acct": {"S": "y"}})"));
  EXPECT_EQ(first.new_versions[3], 5u);
  EXPECT_FALSE(first.new_versions[2].has_value());
  EXPECT_FALSE(first.new_versions[4].has_value());
  EXPECT_FALSE(first.new_versions[5].has_value());

  std::vector<std::optional<VersionExpectation>> observed(6);
  observed[0] = VersionExpectation::Observed(true, 7);
  observed[1] = VersionExpectation::Observed(false, std::nullopt);
  const TransactionPlan second = Ok(Translate(r, observed));
  EXPECT_TRUE(second.version_reads.empty());
  EXPECT_EQ(second.new_versions[0], 8u);
  EXPECT_EQ(second.new_versions[1], 1u);
  EXPECT_EQ(second.new_versions[3], 5u);
  ASSERT_TRUE(second.expectations[0].has_value());
  EXPECT_EQ(second.expectations[0]->version, 7u);

  const json& put = second.groups[0].element["Put"];
  EXPECT_EQ(put["Item"]["ver"], json::parse(R"({"N": "8"})"));
  EXPECT_EQ(put["ConditionExpression"], "#n0 = :v0");
  EXPECT_EQ(put["ExpressionAttributeNames"], json::parse(R"({"#n0": "ver"})"));
  EXPECT_EQ(put["ExpressionAttributeValues"], json::parse(R"({":v0": {"N": "7"}})"));
  const json& update = second.groups[1].element["Update"];
  // The item must still not exist: attribute_not_exists(<placeholder of acct>).
  const std::string condition = update["ConditionExpression"];
  ASSERT_EQ(condition.rfind("attribute_not_exists(", 0), 0u) << condition;
  const std::string placeholder = condition.substr(21, condition.size() - 22);
  EXPECT_EQ(update["ExpressionAttributeNames"][placeholder], "acct");
  EXPECT_THAT(update["UpdateExpression"].get<std::string>(), HasSubstr(" = :v"));
  EXPECT_FALSE(second.groups[2].element["Delete"].contains("ConditionExpression"));
  EXPECT_EQ(second.groups[5].element["ConditionCheck"]["ConditionExpression"], "(#n1 = :v0) AND (attribute_exists(#n0))");
}

// ---------------------------------------------------------------------------------------------------------
// Native and single-item calls

TEST(NativeTransactionCallTest, OneElementPerGroup) {
  const v1::TransactionRequest r = MixedRequest();
  const TransactionPlan plan = Ok(Translate(r));
  const BackendCall call = NativeTransactionCall(plan, "req-1");
  EXPECT_STREQ(call.operation, "TransactWriteItems");
  EXPECT_EQ(call.access, AccessKind::kWrite);
  EXPECT_TRUE(call.conditional);
  ASSERT_EQ(call.batch_partition_keys.size(), 4u);
  EXPECT_EQ(call.batch_partition_keys[1].bytes, "p");
  const json body = Body(call);
  EXPECT_EQ(body["ClientRequestToken"], "req-1");
  ASSERT_EQ(body["TransactItems"].size(), 4u);
  for (size_t g = 0; g < 4; ++g) EXPECT_EQ(body["TransactItems"][g], plan.groups[g].element) << g;

  EXPECT_FALSE(Body(NativeTransactionCall(plan, "")).contains("ClientRequestToken"));
}

TEST(SingleItemTransactionCallTest, OneWriteWithChecks) {
  v1::TransactionRequest r;
  AddCheck(r, "orders", Order("p", 1), Exists("status"));
  *AddUpdate(r, "orders", Order("p", 1))->add_actions() = SetAction("n", Int(2));
  const TransactionPlan plan = Ok(Translate(r));
  const std::optional<BackendCall> call = Ok(SingleItemTransactionCall(r, plan));
  ASSERT_TRUE(call.has_value());
  EXPECT_STREQ(call->operation, "UpdateItem");
  EXPECT_EQ(call->access, AccessKind::kWrite);
  EXPECT_TRUE(call->conditional);
  EXPECT_EQ(call->partition_key, "p");
  EXPECT_EQ(Body(*call), plan.groups[0].element["Update"]);
  ASSERT_TRUE(call->condition_check.has_value());
  EXPECT_TRUE(call->condition_check->return_item);

  for (const auto& [kind, operation] : std::vector<std::pair<int, const char*>>{{0, "PutItem"}, {1, "DeleteItem"}}) {
    v1::TransactionRequest one;
    if (kind == 0) {
      AddPut(one, "accounts", Attrs({{"id", S("a")}}));
    } else {
      AddDelete(one, "accounts", Account("a"));
    }
    const std::optional<BackendCall> single = Ok(SingleItemTransactionCall(one, Ok(Translate(one))));
    ASSERT_TRUE(single.has_value());
    EXPECT_STREQ(single->operation, operation);
    EXPECT_FALSE(single->conditional);
    EXPECT_FALSE(single->condition_check.has_value());
  }
}

TEST(SingleItemTransactionCallTest, ChecksOnlyAreARead) {
  v1::TransactionRequest r;
  AddCheck(r, "orders", Order("p", 1), Exists("status"));
  AddCheck(r, "orders", Order("p", 1), NotExists("gone"));
  const TransactionPlan plan = Ok(Translate(r));
  const std::optional<BackendCall> call = Ok(SingleItemTransactionCall(r, plan));
  EXPECT_FALSE(call.has_value());
  const BackendCall read = SingleItemReadCall(plan);
  EXPECT_STREQ(read.operation, "GetItem");
  EXPECT_EQ(read.access, AccessKind::kRead);
  EXPECT_EQ(Body(read), json::parse(R"({"TableName": "orders", "Key": {"pk": {"S": "p"}, "sk": {"N": "1"}},
                                        "ConsistentRead": true})"));
}

TEST(SingleItemTransactionCallTest, Rejections) {
  const v1::TransactionRequest mixed = MixedRequest();
  ErrorOr<std::optional<BackendCall>> result = SingleItemTransactionCall(mixed, Ok(Translate(mixed)));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(result.error().reason(), v1::TRANSACTIONS_UNSUPPORTED_BY_BACKEND);

  // Two checks on two items: also several items.
  v1::TransactionRequest checks;
  AddCheck(checks, "accounts", Account("a"), Exists("x"));
  AddCheck(checks, "accounts", Account("b"), Exists("x"));
  result = SingleItemTransactionCall(checks, Ok(Translate(checks)));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().reason(), v1::TRANSACTIONS_UNSUPPORTED_BY_BACKEND);

  // One item, but idempotent.
  v1::TransactionRequest idempotent;
  AddPut(idempotent, "accounts", Attrs({{"id", S("a")}}));
  idempotent.set_request_id("r1");
  result = SingleItemTransactionCall(idempotent, Ok(Translate(idempotent)));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().reason(), v1::TRANSACTIONS_UNSUPPORTED_BY_BACKEND);
  EXPECT_THAT(result.error().message(), HasSubstr("request_id"));
}

// ---------------------------------------------------------------------------------------------------------
// TransactionCanceledException

json Reasons(std::initializer_list<json> reasons) { return json{{"CancellationReasons", json(reasons)}}; }
json None() { return json{{"Code", "None"}}; }
json Code(const std::string& code) { return json{{"Code", code}, {"Message", code + " message"}}; }

TEST(TransactionCancelledErrorTest, ConditionalCheckFailedWithoutItem) {
  const v1::TransactionRequest r = MixedRequest();
  const TransactionPlan plan = Ok(Translate(r));
  // Group 1 (operation 1, attribute_exists(status)) failed; the item does not exist.
  const GatewayError error =
      TransactionCancelledError(r, plan, Reasons({None(), Code("ConditionalCheckFailed"), None(), None()}));
  EXPECT_EQ(error.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(error.reason(), v1::CONDITION_FAILED);
  const v1::TransactionFailure failure = FailureOf(error);
  EXPECT_THAT(Reasons(failure), ElementsAre("", "CONDITION_FAILED", "", "", ""));
  EXPECT_FALSE(failure.operations(1).item_exists());
  EXPECT_THAT(error.message(), HasSubstr("operations[1]"));
}

TEST(TransactionCancelledErrorTest, ConditionalCheckFailedWithItemIsJudgedPerOperation) {
  const v1::TransactionRequest r = MixedRequest();
  const TransactionPlan plan = Ok(Translate(r));
  // Group 0: the put (attribute_not_exists(id)) and the folded check (balance = 10, return item).
  // The item exists with balance 10: only the put's condition is false.
  json reason = Code("ConditionalCheckFailed");
  reason["Item"] = json::parse(R"({"id": {"S": "a"}, "balance": {"N": "10"}})");
  v1::TransactionFailure failure = FailureOf(TransactionCancelledError(r, plan, Reasons({reason, None(), None(), None()})));
  EXPECT_THAT(Reasons(failure), ElementsAre("CONDITION_FAILED", "", "", "", ""));
  EXPECT_FALSE(failure.operations(0).item_exists()) << "operation 0 did not ask for the item";

  // Balance 3: both fail; operation 3 asked for the item.
  reason["Item"] = json::parse(R"({"id": {"S": "a"}, "balance": {"N": "3"}})");
  failure = FailureOf(TransactionCancelledError(r, plan, Reasons({reason, None(), None(), None()})));
  EXPECT_THAT(Reasons(failure), ElementsAre("CONDITION_FAILED", "", "", "CONDITION_FAILED", ""));
  EXPECT_TRUE(failure.operations(3).item_exists());
  EXPECT_EQ(failure.operations(3).item().at("balance").number_value().integer(), 3);

  // A write and a failing check on the same item: the check's index is blamed, not the write's.
  v1::TransactionRequest pair;
  AddUpdate(pair, "accounts", Account("a"));
  AddCheck(pair, "accounts", Account("a"), Equals("balance", Int(10)));
  const TransactionPlan pair_plan = Ok(Translate(pair));
  reason["Item"] = json::parse(R"({"id": {"S": "a"}, "balance": {"N": "3"}})");
  EXPECT_THAT(Reasons(FailureOf(TransactionCancelledError(pair, pair_plan, Reasons({reason})))),
              ElementsAre("", "CONDITION_FAILED"));
}

TEST(TransactionCancelledErrorTest, ConditionalCheckFailedThatTheItemSatisfiesBlamesTheLead) {
  // The item as returned satisfies every operation (a race, or a condition the evaluator cannot judge):
  // the group's lead operation is reported, with the database's message.
  const v1::TransactionRequest r = MixedRequest();
  const TransactionPlan plan = Ok(Translate(r));
  json reason = Code("ConditionalCheckFailed");
  const GatewayError error = TransactionCancelledError(r, plan, Reasons({None(), None(), None(), reason}));
  const v1::TransactionFailure failure = FailureOf(error);
  EXPECT_THAT(Reasons(failure), ElementsAre("", "", "", "", "CONDITION_FAILED"));
  EXPECT_EQ(failure.operations(4).message(), "ConditionalCheckFailed message");
  EXPECT_EQ(error.reason(), v1::CONDITION_FAILED);
}

TEST(TransactionCancelledErrorTest, EveryOtherCode) {
  const v1::TransactionRequest r = MixedRequest();
  const TransactionPlan plan = Ok(Translate(r));
  struct Case {
    std::string code;
    absl::StatusCode status;
    v1::ErrorReason reason;
  };
  for (const Case& c : std::vector<Case>{
           {"TransactionConflict", absl::StatusCode::kAborted, v1::TRANSACTION_CONFLICT},
           {"ThrottlingError", absl::StatusCode::kResourceExhausted, v1::BACKEND_THROTTLED},
           {"ProvisionedThroughputExceeded", absl::StatusCode::kResourceExhausted, v1::BACKEND_THROTTLED},
           {"ValidationError", absl::StatusCode::kInvalidArgument, v1::BACKEND_VALIDATION_ERROR},
           {"ItemCollectionSizeLimitExceeded", absl::StatusCode::kFailedPrecondition, v1::ITEM_COLLECTION_TOO_LARGE},
       }) {
    // Group 0 holds operations 0 and 3: both get the group's reason.
    const GatewayError error = TransactionCancelledError(r, plan, Reasons({Code(c.code), None(), None(), None()}));
    EXPECT_EQ(error.code(), c.status) << c.code;
    EXPECT_EQ(error.reason(), c.reason) << c.code;
    const v1::TransactionFailure failure = FailureOf(error);
    const std::string name = v1::ErrorReason_Name(c.reason);
    EXPECT_THAT(Reasons(failure), ElementsAre(name, "", "", name, "")) << c.code;
    EXPECT_EQ(failure.operations(0).message(), c.code + " message");
  }
}

TEST(TransactionCancelledErrorTest, UnknownCodesAreBackendErrors) {
  const v1::TransactionRequest r = MixedRequest();
  const TransactionPlan plan = Ok(Translate(r));
  const GatewayError error = TransactionCancelledError(r, plan, Reasons({None(), Code("SomethingNew"), None(), None()}));
  EXPECT_EQ(error.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(error.reason(), v1::BACKEND_ERROR);
  EXPECT_THAT(Reasons(FailureOf(error)), ElementsAre("", "BACKEND_ERROR", "", "", ""));
}

TEST(TransactionCancelledErrorTest, TheMostTellingReasonWins) {
  const v1::TransactionRequest r = MixedRequest();
  const TransactionPlan plan = Ok(Translate(r));
  // A conflict and a condition failure: the condition is what the caller must act on.
  GatewayError error = TransactionCancelledError(
      r, plan, Reasons({None(), Code("ConditionalCheckFailed"), Code("TransactionConflict"), Code("ThrottlingError")}));
  EXPECT_EQ(error.reason(), v1::CONDITION_FAILED);
  EXPECT_THAT(Reasons(FailureOf(error)),
              ElementsAre("", "CONDITION_FAILED", "TRANSACTION_CONFLICT", "", "BACKEND_THROTTLED"));
  // Conflict beats throttling.
  error = TransactionCancelledError(r, plan, Reasons({Code("ThrottlingError"), None(), Code("TransactionConflict"), None()}));
  EXPECT_EQ(error.reason(), v1::TRANSACTION_CONFLICT);
  EXPECT_EQ(error.code(), absl::StatusCode::kAborted);
}

TEST(TransactionCancelledErrorTest, VersionMismatchIsReportedWithTheCurrentVersion) {
  v1::TransactionRequest r;
  AddUpdate(r, "ledger", Attrs({{"acct", S("x")}}))->set_expected_version(3);
  AddPut(r, "accounts", Attrs({{"id", S("a")}}));
  v1::TransactConditionCheck* check = AddCheck(r, "ledger", Attrs({{"acct", S("y")}}), Exists("n"));
  check->set_expected_version(0);
  check->set_return_item_on_condition_failure(true);
  const TransactionPlan plan = Ok(Translate(r));
  json first = Code("ConditionalCheckFailed");
  first["Item"] = json::parse(R"({"acct": {"S": "x"}, "ver": {"N": "5"}})");
  json third = Code("ConditionalCheckFailed");
  third["Item"] = json::parse(R"({"acct": {"S": "y"}, "ver": {"N": "2"}, "n": {"N": "1"}})");
  const GatewayError error = TransactionCancelledError(r, plan, Reasons({first, None(), third}));
  EXPECT_EQ(error.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(error.reason(), v1::VERSION_MISMATCH);
  const v1::TransactionFailure failure = FailureOf(error);
  EXPECT_THAT(Reasons(failure), ElementsAre("VERSION_MISMATCH", "", "VERSION_MISMATCH"));
  EXPECT_EQ(failure.operations(0).current_version(), 5u);
  EXPECT_EQ(failure.operations(2).current_version(), 2u);
  EXPECT_TRUE(failure.operations(2).item_exists());

  // The item is gone: a mismatch without a current version.
  const GatewayError gone = TransactionCancelledError(r, plan, Reasons({Code("ConditionalCheckFailed"), None(), None()}));
  const v1::TransactionFailure gone_failure = FailureOf(gone);
  EXPECT_EQ(gone_failure.operations(0).reason(), "VERSION_MISMATCH");
  EXPECT_FALSE(gone_failure.operations(0).has_current_version());
}

TEST(TransactionCancelledErrorTest, MissingOrShortReasons) {
  const v1::TransactionRequest r = MixedRequest();
  const TransactionPlan plan = Ok(Translate(r));
  // No reason at all: still a failed transaction, never a success.
  GatewayError error = TransactionCancelledError(r, plan, json::object());
  EXPECT_NE(error.code(), absl::StatusCode::kOk);
  EXPECT_EQ(FailureOf(error).operations_size(), 5);
  error = TransactionCancelledError(r, plan, Reasons({None()}));
  EXPECT_EQ(FailureOf(error).operations_size(), 5);
}

TEST(SingleItemFailureTest, JudgedOperationByOperation) {
  v1::TransactionRequest r;
  *AddUpdate(r, "accounts", Account("a"))->mutable_condition() = Exists("id");
  AddCheck(r, "accounts", Account("a"), Equals("balance", Int(10)))->set_return_item_on_condition_failure(true);
  const TransactionPlan plan = Ok(Translate(r));
  const AttributeMap item = Attrs({{"id", S("a")}, {"balance", Int(3)}});
  GatewayError error = SingleItemFailure(r, plan, &item);
  EXPECT_EQ(error.reason(), v1::CONDITION_FAILED);
  v1::TransactionFailure failure = FailureOf(error);
  EXPECT_THAT(Reasons(failure), ElementsAre("", "CONDITION_FAILED"));
  EXPECT_TRUE(failure.operations(1).item_exists());

  error = SingleItemFailure(r, plan, nullptr);  // no item: both fail
  failure = FailureOf(error);
  EXPECT_THAT(Reasons(failure), ElementsAre("CONDITION_FAILED", "CONDITION_FAILED"));
  EXPECT_FALSE(failure.operations(1).item_exists());

  const AttributeMap good = Attrs({{"id", S("a")}, {"balance", Int(10)}});
  EXPECT_TRUE(JudgeGroup(r, plan, 0, &good).holds);
  EXPECT_FALSE(JudgeGroup(r, plan, 0, &item).holds);
}

// ---------------------------------------------------------------------------------------------------------
// TransactGet

TEST(TranslateTransactGetTest, BodyAndAnswer) {
  v1::TransactGetRequest r;
  v1::TransactGetItem* a = r.add_items();
  a->set_table("accounts");
  *a->mutable_key() = Account("a");
  a->add_projection("balance");
  v1::TransactGetItem* b = r.add_items();
  b->set_table("ledger");
  *b->mutable_key() = Attrs({{"acct", S("x")}});
  v1::TransactGetItem* c = r.add_items();
  c->set_table("accounts");
  *c->mutable_key() = Account("missing");

  const BackendCall call = Ok(TranslateTransactGet(r, Lookup()));
  EXPECT_STREQ(call.operation, "TransactGetItems");
  EXPECT_EQ(call.access, AccessKind::kRead);
  EXPECT_EQ(Body(call), json::parse(R"({"TransactItems": [
      {"Get": {"TableName": "accounts", "Key": {"id": {"S": "a"}}, "ProjectionExpression": "#n0",
               "ExpressionAttributeNames": {"#n0": "balance"}}},
      {"Get": {"TableName": "ledger", "Key": {"acct": {"S": "x"}}}},
      {"Get": {"TableName": "accounts", "Key": {"id": {"S": "missing"}}}}]})"));

  const v1::TransactGetResponse response = Ok(ParseTransactGetResponse(json::parse(R"({"Responses": [
      {"Item": {"balance": {"N": "3"}}},
      {"Item": {"acct": {"S": "x"}, "ver": {"N": "9"}}},
      {}]})"), r, Lookup()));
  ASSERT_EQ(response.items_size(), 3);
  EXPECT_TRUE(response.items(0).found());
  EXPECT_EQ(response.items(0).item().at("balance").number_value().integer(), 3);
  EXPECT_FALSE(response.items(0).has_version());
  EXPECT_TRUE(response.items(1).found());
  EXPECT_EQ(response.items(1).version(), 9u);
  EXPECT_FALSE(response.items(2).found());
  EXPECT_TRUE(response.items(2).item().empty());

  const ErrorOr<v1::TransactGetResponse> short_answer =
      ParseTransactGetResponse(json::parse(R"({"Responses": [{}]})"), r, Lookup());
  ASSERT_FALSE(short_answer.ok());
  EXPECT_EQ(short_answer.error().reason(), v1::BACKEND_ERROR);
}

TEST(TranslateTransactGetTest, Violations) {
  v1::TransactGetRequest empty;
  EXPECT_THAT(ViolatedFields(TranslateTransactGet(empty, Lookup())), ElementsAre("items"));

  v1::TransactGetRequest over;
  for (int i = 0; i < 101; ++i) {
    v1::TransactGetItem* item = over.add_items();
    item->set_table("accounts");
    *item->mutable_key() = Account(absl::StrCat("a", i));
  }
  EXPECT_THAT(ViolatedFields(TranslateTransactGet(over, Lookup())), ElementsAre("items"));
  over.mutable_items()->RemoveLast();
  EXPECT_TRUE(TranslateTransactGet(over, Lookup()).ok());

  v1::TransactGetRequest r;
  for (const AttributeMap& key : {Account("a"), Attrs({{"id", Int(1)}}), Account("a")}) {
    v1::TransactGetItem* item = r.add_items();
    item->set_table("accounts");
    *item->mutable_key() = key;
  }
  EXPECT_THAT(ViolatedFields(TranslateTransactGet(r, Lookup())), ElementsAre("items[1].key[\"id\"]", "items[2]"));
}

}  // namespace
}  // namespace altgw::model
