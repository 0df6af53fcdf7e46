// Shared helpers of the end-to-end suites: one gateway per test suite, terse request builders, direct
// checks of what DynamoDB Local really holds, and comparisons of typed items.
#ifndef ALTGW_TESTS_INTEGRATION_INTEGRATION_UTIL_H_
#define ALTGW_TESTS_INTEGRATION_INTEGRATION_UTIL_H_

#include <google/protobuf/text_format.h>
#include <google/protobuf/util/message_differencer.h>

#include <algorithm>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "support/dynamodb_local.h"
#include "support/gateway_harness.h"
#include "support/conditions.h"
#include "support/values.h"

namespace altgw::testing {

using json = nlohmann::json;

// A fixture base: one gateway per test suite (started in SetUpTestSuite, stopped in TearDownTestSuite).
class GatewaySuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { gateway_ = std::make_unique<GatewayHarness>(); }
  static void TearDownTestSuite() { gateway_.reset(); }
  static GatewayHarness& gateway() { return *gateway_; }

 private:
  inline static std::unique_ptr<GatewayHarness> gateway_;
};

// ---------------------------------------------------------------------------------------------------------
// Values.

// A number set of typed numbers (NS() in values.h takes decimal strings).
inline v1::Value NumberSet(std::initializer_list<v1::Value> numbers) {
  v1::Value v;
  for (const v1::Value& n : numbers) *v.mutable_number_set()->add_values() = n.number_value();
  return v;
}

// A list of any length.
inline v1::Value ListOf(const std::vector<v1::Value>& values) {
  v1::Value v;
  v.mutable_list_value();
  for (const v1::Value& e : values) *v.mutable_list_value()->add_values() = e;
  return v;
}

inline v1::Value EmptyList() {
  v1::Value v;
  v.mutable_list_value();
  return v;
}

inline v1::Value EmptyMap() {
  v1::Value v;
  v.mutable_map_value();
  return v;
}

// `levels` lists/maps nested in one another (alternating, outermost a list), innermost holding `leaf`.
inline v1::Value Nested(int levels, const v1::Value& leaf) {
  v1::Value value = leaf;
  for (int i = levels; i >= 1; --i) {
    v1::Value outer;
    if (i % 2 == 1) {
      *outer.mutable_list_value()->add_values() = value;
    } else {
      (*outer.mutable_map_value()->mutable_fields())["m"] = value;
    }
    value = std::move(outer);
  }
  return value;
}

// Sets come back in any order: sorts their elements so that equal values compare equal.
inline v1::Value Normalized(const v1::Value& in) {
  v1::Value out = in;
  switch (out.kind_case()) {
    case v1::Value::kStringSet: {
      auto* values = out.mutable_string_set()->mutable_values();
      std::sort(values->begin(), values->end());
      break;
    }
    case v1::Value::kBytesSet: {
      auto* values = out.mutable_bytes_set()->mutable_values();
      std::sort(values->begin(), values->end());
      break;
    }
    case v1::Value::kNumberSet: {
      auto* values = out.mutable_number_set()->mutable_values();
      std::sort(values->begin(), values->end(), [](const v1::Number& a, const v1::Number& b) {
        return a.SerializeAsString() < b.SerializeAsString();
      });
      break;
    }
    case v1::Value::kListValue:
      for (v1::Value& e : *out.mutable_list_value()->mutable_values()) e = Normalized(e);
      break;
    case v1::Value::kMapValue:
      for (auto& [name, e] : *out.mutable_map_value()->mutable_fields()) e = Normalized(e);
      break;
    default:
      break;
  }
  return out;
}

inline v1::Item NormalizedItem(const Attributes& attributes) {
  v1::Item item;
  for (const auto& [name, value] : attributes) (*item.mutable_attributes())[name] = Normalized(value);
  return item;
}

inline std::string Show(const Attributes& attributes) {
  std::string text;
  google::protobuf::TextFormat::Printer printer;
  printer.SetSingleLineMode(true);
  printer.SetUseUtf8StringEscaping(true);
  printer.PrintToString(NormalizedItem(attributes), &text);
  return text;
}

// Exact equality of two items (attribute maps), set order aside; the message lists the differences.
inline ::testing::AssertionResult SameItem(const Attributes& expected, const Attributes& actual) {
  google::protobuf::util::MessageDifferencer differencer;
  std::string differences;
  differencer.ReportDifferencesToString(&differences);
  if (differencer.Compare(NormalizedItem(expected), NormalizedItem(actual))) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "items differ:\n"
                                       << differences << "expected: " << Show(expected)
                                       << "\nactual:   " << Show(actual);
}

inline ::testing::AssertionResult SameValue(const v1::Value& expected, const v1::Value& actual) {
  return SameItem(Item({{"value", expected}}), Item({{"value", actual}}));
}

// A path segment quoted for the request path syntax (backticks, `` for a backtick).
inline std::string Quoted(absl::string_view name) {
  std::string out = "`";
  for (char c : name) {
    if (c == '`') out.push_back('`');
    out.push_back(c);
  }
  out.push_back('`');
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Update actions.

inline v1::UpdateAction SetAction(const std::string& path, const v1::Value& value) {
  v1::UpdateAction a;
  a.mutable_set()->set_path(path);
  *a.mutable_set()->mutable_value() = value;
  return a;
}
inline v1::UpdateAction SetIfNotExistsAction(const std::string& path, const v1::Value& value) {
  v1::UpdateAction a;
  a.mutable_set_if_not_exists()->set_path(path);
  *a.mutable_set_if_not_exists()->mutable_value() = value;
  return a;
}
inline v1::UpdateAction RemoveAction(const std::string& path) {
  v1::UpdateAction a;
  a.set_remove(path);
  return a;
}
inline v1::UpdateAction AddAction(const std::string& path, const v1::Value& value) {
  v1::UpdateAction a;
  a.mutable_add()->set_path(path);
  *a.mutable_add()->mutable_value() = value;
  return a;
}
inline v1::UpdateAction DeleteFromSetAction(const std::string& path, const v1::Value& value) {
  v1::UpdateAction a;
  a.mutable_delete_from_set()->set_path(path);
  *a.mutable_delete_from_set()->mutable_value() = value;
  return a;
}
inline v1::UpdateAction IncrementAction(const std::string& path, const v1::Value& delta) {
  v1::UpdateAction a;
  a.mutable_increment()->set_path(path);
  *a.mutable_increment()->mutable_delta() = delta.number_value();
  return a;
}
inline v1::UpdateAction AppendAction(const std::string& path, const std::vector<v1::Value>& values) {
  v1::UpdateAction a;
  a.mutable_append_to_list()->set_path(path);
  for (const auto& v : values) *a.mutable_append_to_list()->add_values() = v;
  return a;
}
inline v1::UpdateAction PrependAction(const std::string& path, const std::vector<v1::Value>& values) {
  v1::UpdateAction a;
  a.mutable_prepend_to_list()->set_path(path);
  for (const auto& v : values) *a.mutable_prepend_to_list()->add_values() = v;
  return a;
}

// ---------------------------------------------------------------------------------------------------------
// Requests.

inline v1::PutRequest PutOf(const std::string& table, const Attributes& item) {
  v1::PutRequest r;
  r.set_table(table);
  *r.mutable_item() = item;
  return r;
}
inline v1::GetRequest GetOf(const std::string& table, const Attributes& key) {
  v1::GetRequest r;
  r.set_table(table);
  *r.mutable_key() = key;
  return r;
}
inline v1::DeleteRequest DeleteOf(const std::string& table, const Attributes& key) {
  v1::DeleteRequest r;
  r.set_table(table);
  *r.mutable_key() = key;
  return r;
}
inline v1::UpdateRequest UpdateOf(const std::string& table, const Attributes& key,
                                  const std::vector<v1::UpdateAction>& actions = {}) {
  v1::UpdateRequest r;
  r.set_table(table);
  *r.mutable_key() = key;
  for (const auto& a : actions) *r.add_actions() = a;
  return r;
}
inline v1::QueryRequest QueryOf(const std::string& table, const v1::Value& partition_key) {
  v1::QueryRequest r;
  r.set_table(table);
  *r.mutable_partition_key() = partition_key;
  return r;
}

inline grpc::Status Call(GatewayHarness& g, const v1::PutRequest& r, v1::PutResponse* out = nullptr) {
  v1::PutResponse ignored;
  return g.data().Put(Context().get(), r, out ? out : &ignored);
}
inline grpc::Status Call(GatewayHarness& g, const v1::GetRequest& r, v1::GetResponse* out = nullptr) {
  v1::GetResponse ignored;
  return g.data().Get(Context().get(), r, out ? out : &ignored);
}
inline grpc::Status Call(GatewayHarness& g, const v1::DeleteRequest& r, v1::DeleteResponse* out = nullptr) {
  v1::DeleteResponse ignored;
  return g.data().Delete(Context().get(), r, out ? out : &ignored);
}
inline grpc::Status Call(GatewayHarness& g, const v1::UpdateRequest& r, v1::UpdateResponse* out = nullptr) {
  v1::UpdateResponse ignored;
  return g.data().Update(Context().get(), r, out ? out : &ignored);
}
inline grpc::Status Call(GatewayHarness& g, const v1::QueryRequest& r, v1::QueryResponse* out = nullptr) {
  v1::QueryResponse ignored;
  return g.data().Query(Context().get(), r, out ? out : &ignored);
}

inline ::testing::AssertionResult Ok(const grpc::Status& status) {
  if (status.ok()) return ::testing::AssertionSuccess();
  const RpcError error = DecodeError(status);
  return ::testing::AssertionFailure() << "call failed: code " << status.error_code() << " reason "
                                       << error.reason() << ": " << status.error_message() << "\n"
                                       << error.Violations();
}

// The call failed with `code` and ErrorInfo `reason` in the gateway's domain.
inline ::testing::AssertionResult IsError(const grpc::Status& status, grpc::StatusCode code,
                                          absl::string_view reason) {
  const RpcError error = DecodeError(status);
  if (status.ok()) return ::testing::AssertionFailure() << "the call succeeded; expected " << reason;
  if (status.error_code() != code || error.reason() != reason || !error.info ||
      error.info->domain() != "alternator-gateway") {
    return ::testing::AssertionFailure()
           << "expected code " << code << " reason " << reason << "; got code " << status.error_code()
           << " reason '" << error.reason() << "' domain '" << (error.info ? error.info->domain() : "")
           << "': " << status.error_message() << "\n"
           << error.Violations();
  }
  return ::testing::AssertionSuccess();
}

// INVALID_ARGUMENT / INVALID_REQUEST with a BadRequest violation whose field contains `field`.
inline ::testing::AssertionResult IsInvalid(const grpc::Status& status, absl::string_view field) {
  ::testing::AssertionResult result = IsError(status, grpc::StatusCode::INVALID_ARGUMENT, "INVALID_REQUEST");
  if (!result) return result;
  const RpcError error = DecodeError(status);
  if (!error.HasViolationOn(field)) {
    return ::testing::AssertionFailure() << "no violation on field '" << field << "'; violations:\n"
                                         << error.Violations();
  }
  return ::testing::AssertionSuccess();
}

// Follows page tokens to the end; returns every item, and the number of pages in *pages.
inline std::vector<Attributes> QueryAll(GatewayHarness& g, v1::QueryRequest request, int* pages = nullptr,
                                        std::vector<int>* page_sizes = nullptr, uint64_t* scanned = nullptr) {
  std::vector<Attributes> items;
  int count = 0;
  for (;;) {
    v1::QueryResponse response;
    const grpc::Status status = Call(g, request, &response);
    EXPECT_TRUE(Ok(status));
    if (!status.ok()) break;
    ++count;
    if (page_sizes != nullptr) page_sizes->push_back(response.items_size());
    if (scanned != nullptr) *scanned += response.scanned_count();
    for (const auto& item : response.items()) items.push_back(item.attributes());
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
    if (count > 100000) {
      ADD_FAILURE() << "pagination does not end";
      break;
    }
  }
  if (pages != nullptr) *pages = count;
  return items;
}

// ---------------------------------------------------------------------------------------------------------
// Direct access to DynamoDB Local (bypassing the gateway).

inline DynamoDbLocal& Db() { return DynamoDbLocal::Shared(); }

// The item as the database holds it (consistent read), or null when there is none.
inline json DirectItem(const std::string& table, const json& key) {
  auto answer = Db().Call("GetItem", {{"TableName", table}, {"Key", key}, {"ConsistentRead", true}});
  EXPECT_EQ(answer.status, 200) << answer.body.dump();
  if (!answer.body.is_object() || !answer.body.contains("Item")) return json();
  return answer.body["Item"];
}

// Every item of the table (consistent scan, all pages), sorted by their JSON text.
inline std::vector<json> DirectScan(const std::string& table) {
  std::vector<json> items;
  json request = {{"TableName", table}, {"ConsistentRead", true}};
  for (;;) {
    auto answer = Db().Call("Scan", request);
    EXPECT_EQ(answer.status, 200) << answer.body.dump();
    if (answer.status != 200) break;
    for (const json& item : answer.body["Items"]) items.push_back(item);
    if (!answer.body.contains("LastEvaluatedKey")) break;
    request["ExclusiveStartKey"] = answer.body["LastEvaluatedKey"];
  }
  std::sort(items.begin(), items.end(), [](const json& a, const json& b) { return a.dump() < b.dump(); });
  return items;
}

inline json SKey(const std::string& name, const std::string& value) { return {{name, {{"S", value}}}}; }

inline bool DirectTableExists(const std::string& table) {
  return Db().Call("DescribeTable", {{"TableName", table}}).status == 200;
}

// ---------------------------------------------------------------------------------------------------------
// Tables.

inline v1::KeyAttribute KeyAttr(const std::string& name, v1::ScalarType type) {
  v1::KeyAttribute k;
  k.set_name(name);
  k.set_type(type);
  return k;
}

inline grpc::Status CreateTableCall(GatewayHarness& g, const v1::CreateTableRequest& request,
                                    v1::CreateTableResponse* out = nullptr) {
  v1::CreateTableResponse ignored;
  return g.tables().CreateTable(Context().get(), request, out ? out : &ignored);
}

inline grpc::Status DeleteTableCall(GatewayHarness& g, const std::string& table) {
  v1::DeleteTableRequest request;
  request.set_table(table);
  v1::DeleteTableResponse response;
  return g.tables().DeleteTable(Context().get(), request, &response);
}

inline grpc::Status DescribeTableCall(GatewayHarness& g, const std::string& table,
                                      v1::DescribeTableResponse* out = nullptr) {
  v1::DescribeTableRequest request;
  request.set_table(table);
  v1::DescribeTableResponse ignored;
  return g.tables().DescribeTable(Context().get(), request, out ? out : &ignored);
}

}  // namespace altgw::testing

#endif  // ALTGW_TESTS_INTEGRATION_INTEGRATION_UTIL_H_
