// Builders of typed conditions for tests: Compare("a", COMPARATOR_EQUAL, I(1)), Exists("a"), AllOf({...}), ...
// Shared by the model tests (compiler, evaluator) and the integration tests.
#ifndef ALTGW_TESTS_SUPPORT_CONDITIONS_H_
#define ALTGW_TESTS_SUPPORT_CONDITIONS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "alternator/gateway/v1/expression.pb.h"

namespace altgw::testing {

namespace v1 = ::alternator::gateway::v1;

inline v1::Condition Compare(const std::string& path, v1::Comparator comparator, const v1::Value& value) {
  v1::Condition c;
  c.mutable_comparison()->set_path(path);
  c.mutable_comparison()->set_comparator(comparator);
  *c.mutable_comparison()->mutable_value() = value;
  return c;
}
inline v1::Condition ComparePaths(const std::string& path, v1::Comparator comparator, const std::string& other) {
  v1::Condition c;
  c.mutable_comparison()->set_path(path);
  c.mutable_comparison()->set_comparator(comparator);
  c.mutable_comparison()->set_other_path(other);
  return c;
}
inline v1::Condition Eq(const std::string& path, const v1::Value& value) {
  return Compare(path, v1::COMPARATOR_EQUAL, value);
}
inline v1::Condition Exists(const std::string& path) {
  v1::Condition c;
  c.set_attribute_exists(path);
  return c;
}
inline v1::Condition NotExists(const std::string& path) {
  v1::Condition c;
  c.set_attribute_not_exists(path);
  return c;
}
inline v1::Condition BeginsWith(const std::string& path, const v1::Value& prefix) {
  v1::Condition c;
  c.mutable_begins_with()->set_path(path);
  *c.mutable_begins_with()->mutable_prefix() = prefix;
  return c;
}
inline v1::Condition Contains(const std::string& path, const v1::Value& operand) {
  v1::Condition c;
  c.mutable_contains()->set_path(path);
  *c.mutable_contains()->mutable_operand() = operand;
  return c;
}
inline v1::Condition Between(const std::string& path, const v1::Value& lower, const v1::Value& upper) {
  v1::Condition c;
  c.mutable_between()->set_path(path);
  *c.mutable_between()->mutable_lower() = lower;
  *c.mutable_between()->mutable_upper() = upper;
  return c;
}
inline v1::Condition In(const std::string& path, const std::vector<v1::Value>& values) {
  v1::Condition c;
  c.mutable_is_in()->set_path(path);
  for (const v1::Value& v : values) *c.mutable_is_in()->add_values() = v;
  return c;
}
inline v1::Condition TypeIs(const std::string& path, v1::AttributeType type) {
  v1::Condition c;
  c.mutable_attribute_type()->set_path(path);
  c.mutable_attribute_type()->set_type(type);
  return c;
}
inline v1::Condition SizeIs(const std::string& path, v1::Comparator comparator, uint64_t size) {
  v1::Condition c;
  c.mutable_size()->set_path(path);
  c.mutable_size()->set_comparator(comparator);
  c.mutable_size()->set_size(size);
  return c;
}
inline v1::Condition AllOf(const std::vector<v1::Condition>& conditions) {
  v1::Condition c;
  c.mutable_all_of();  // set even when empty (tests of the "empty all_of" refusal)
  for (const auto& sub : conditions) *c.mutable_all_of()->add_conditions() = sub;
  return c;
}
inline v1::Condition AnyOf(const std::vector<v1::Condition>& conditions) {
  v1::Condition c;
  c.mutable_any_of();
  for (const auto& sub : conditions) *c.mutable_any_of()->add_conditions() = sub;
  return c;
}
inline v1::Condition Not(const v1::Condition& condition) {
  v1::Condition c;
  *c.mutable_negation() = condition;
  return c;
}

}  // namespace altgw::testing

#endif  // ALTGW_TESTS_SUPPORT_CONDITIONS_H_
