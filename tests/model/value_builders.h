// Short builders for typed values, items and schemas, and helpers to inspect translated requests, shared by
// the model tests.
#ifndef ALTGW_TESTS_MODEL_VALUE_BUILDERS_H_
#define ALTGW_TESTS_MODEL_VALUE_BUILDERS_H_

#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "alternator/gateway/v1/value.pb.h"
#include "common/error_or.h"
#include "common/gateway_error.h"
#include "gtest/gtest.h"
#include "model/backend_call.h"
#include "model/table_schema.h"
#include "model/value_codec.h"
#include "nlohmann/json.hpp"

namespace altgw::model::testing {

namespace v1 = ::alternator::gateway::v1;
using nlohmann::json;

inline v1::Value Null() {
  v1::Value v;
  v.set_null_value(v1::NULL_VALUE);
  return v;
}
inline v1::Value Bool(bool b) {
  v1::Value v;
  v.set_bool_value(b);
  return v;
}
inline v1::Value S(std::string s) {
  v1::Value v;
  v.set_string_value(std::move(s));
  return v;
}
inline v1::Value B(std::string bytes) {
  v1::Value v;
  v.set_bytes_value(std::move(bytes));
  return v;
}
// A number written as a decimal string.
inline v1::Value N(std::string decimal) {
  v1::Value v;
  v.mutable_number_value()->set_decimal(std::move(decimal));
  return v;
}
inline v1::Value Int(int64_t i) {
  v1::Value v;
  v.mutable_number_value()->set_integer(i);
  return v;
}
inline v1::Value F64(double d) {
  v1::Value v;
  v.mutable_number_value()->set_float64(d);
  return v;
}
inline v1::Value L(std::initializer_list<v1::Value> elements) {
  v1::Value v;
  v.mutable_list_value();
  for (const v1::Value& e : elements) *v.mutable_list_value()->add_values() = e;
  return v;
}
inline v1::Value M(std::initializer_list<std::pair<std::string, v1::Value>> fields) {
  v1::Value v;
  v.mutable_map_value();
  for (const auto& [name, value] : fields) (*v.mutable_map_value()->mutable_fields())[name] = value;
  return v;
}
inline v1::Value SS(std::initializer_list<std::string> elements) {
  v1::Value v;
  v.mutable_string_set();
  for (const std::string& e : elements) v.mutable_string_set()->add_values(e);
  return v;
}
inline v1::Value NS(std::initializer_list<std::string> decimals) {
  v1::Value v;
  v.mutable_number_set();
  for (const std::string& e : decimals) v.mutable_number_set()->add_values()->set_decimal(e);
  return v;
}
inline v1::Value BS(std::initializer_list<std::string> elements) {
  v1::Value v;
  v.mutable_bytes_set();
  for (const std::string& e : elements) v.mutable_bytes_set()->add_values(e);
  return v;
}
inline v1::Number Num(std::string decimal) {
  v1::Number n;
  n.set_decimal(std::move(decimal));
  return n;
}
inline v1::Number NumInt(int64_t i) {
  v1::Number n;
  n.set_integer(i);
  return n;
}

inline AttributeMap Attrs(std::initializer_list<std::pair<std::string, v1::Value>> attributes) {
  AttributeMap out;
  for (const auto& [name, value] : attributes) out[name] = value;
  return out;
}

// `depth` maps nested inside one another (each holding the next under "m"), the innermost holding S "x".
inline v1::Value NestedMaps(int depth) {
  v1::Value v = S("x");
  for (int i = 0; i < depth; ++i) v = M({{"m", v}});
  return v;
}
// `depth` lists nested inside one another, the innermost holding S "x".
inline v1::Value NestedLists(int depth) {
  v1::Value v = S("x");
  for (int i = 0; i < depth; ++i) v = L({v});
  return v;
}

inline TableSchema Schema(std::string table, KeyAttributeSchema partition, KeyAttributeSchema sort = {}) {
  TableSchema schema;
  schema.table = std::move(table);
  schema.key.partition = partition;
  schema.key.sort = sort;
  schema.attribute_types[partition.name] = partition.type;
  if (!sort.name.empty()) schema.attribute_types[sort.name] = sort.type;
  return schema;
}
inline void AddIndex(TableSchema& schema, std::string name, bool global, KeyAttributeSchema partition,
                     KeyAttributeSchema sort = {}) {
  IndexSchema index;
  index.name = std::move(name);
  index.global = global;
  index.key.partition = partition;
  index.key.sort = sort;
  schema.attribute_types[partition.name] = partition.type;
  if (!sort.name.empty()) schema.attribute_types[sort.name] = sort.type;
  schema.indexes.push_back(std::move(index));
}

// The DynamoDB JSON body of a translated call.
inline json Body(const BackendCall& call) { return json::parse(call.body); }

// The field paths of an INVALID_ARGUMENT error's violations (empty, with a test failure, for anything else).
inline std::vector<std::string> FieldsOf(const GatewayError& error) {
  std::vector<std::string> fields;
  for (const FieldViolation& v : error.field_violations()) fields.push_back(v.field);
  return fields;
}

template <typename T>
std::vector<std::string> ViolatedFields(const ErrorOr<T>& result) {
  if (result.ok()) {
    ADD_FAILURE() << "expected an error, got success";
    return {};
  }
  EXPECT_EQ(result.error().code(), absl::StatusCode::kInvalidArgument) << result.error().message();
  return FieldsOf(result.error());
}

// Every violation of `violations`, as "field: description" lines, for failure messages.
inline std::string Describe(const std::vector<FieldViolation>& violations) {
  std::string out;
  for (const FieldViolation& v : violations) out += v.field + ": " + v.description + "\n";
  return out;
}

}  // namespace altgw::model::testing

#endif  // ALTGW_TESTS_MODEL_VALUE_BUILDERS_H_
