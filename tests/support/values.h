// Terse builders of typed values for tests: S("x"), N("1e3"), I(5), M({{"a", I(1)}}), ...
#ifndef ALTGW_TESTS_SUPPORT_VALUES_H_
#define ALTGW_TESTS_SUPPORT_VALUES_H_

#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>

#include "alternator/gateway/v1/value.pb.h"
#include "google/protobuf/map.h"

namespace altgw::testing {

namespace v1 = ::alternator::gateway::v1;
using Attributes = google::protobuf::Map<std::string, v1::Value>;

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
inline v1::Value N(std::string decimal) {
  v1::Value v;
  v.mutable_number_value()->set_decimal(std::move(decimal));
  return v;
}
inline v1::Value I(int64_t integer) {
  v1::Value v;
  v.mutable_number_value()->set_integer(integer);
  return v;
}
inline v1::Value F(double number) {
  v1::Value v;
  v.mutable_number_value()->set_float64(number);
  return v;
}
inline v1::Value Bool(bool b) {
  v1::Value v;
  v.set_bool_value(b);
  return v;
}
inline v1::Value Null() {
  v1::Value v;
  v.set_null_value(v1::NULL_VALUE);
  return v;
}
inline v1::Value L(std::initializer_list<v1::Value> values) {
  v1::Value v;
  for (const auto& e : values) *v.mutable_list_value()->add_values() = e;
  return v;
}
inline v1::Value M(std::initializer_list<std::pair<const std::string, v1::Value>> fields) {
  v1::Value v;
  for (const auto& [k, e] : fields) (*v.mutable_map_value()->mutable_fields())[k] = e;
  return v;
}
inline v1::Value SS(std::initializer_list<std::string> values) {
  v1::Value v;
  for (const auto& e : values) v.mutable_string_set()->add_values(e);
  return v;
}
inline v1::Value NS(std::initializer_list<std::string> decimals) {
  v1::Value v;
  for (const auto& e : decimals) v.mutable_number_set()->add_values()->set_decimal(e);
  return v;
}
inline v1::Value BS(std::initializer_list<std::string> values) {
  v1::Value v;
  for (const auto& e : values) v.mutable_bytes_set()->add_values(e);
  return v;
}
inline Attributes Item(std::initializer_list<std::pair<const std::string, v1::Value>> attributes) {
  Attributes out;
  for (const auto& [k, e] : attributes) out[k] = e;
  return out;
}

}  // namespace altgw::testing

#endif  // ALTGW_TESTS_SUPPORT_VALUES_H_
