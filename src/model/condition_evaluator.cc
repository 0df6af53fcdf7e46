#include "model/condition_evaluator.h"

#include <cstdint>
#include <optional>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/violations.h"
#include "model/decimal.h"
#include "model/document_path.h"
#include "model/query_requests.h"  // CompareCanonicalDecimals

namespace altgw::model {
namespace {

// The condition compiler's bound on condition nesting.
constexpr int kMaxConditionDepth = 64;

// `field` is relative to the condition being evaluated (its own nesting is not tracked: the caller validated
// the condition already, so this error is a defensive one).
absl::Status Invalid(absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(field.empty() ? std::string(why) : absl::StrCat(field, ": ", why));
}

// ---------------------------------------------------------------------------------------------------------
// Values

// The canonical text of a number; nullopt for an unset kind or an invalid number.
std::optional<std::string> CanonicalNumber(const v1::Number& number) {
  absl::StatusOr<Decimal> decimal;
  switch (number.kind_case()) {
    case v1::Number::kDecimal:
      decimal = Decimal::Parse(number.decimal());
      break;
    case v1::Number::kInteger:
      decimal = Decimal::FromInt64(number.integer());
      break;
    case v1::Number::kFloat64:
      decimal = Decimal::FromDouble(number.float64());
      break;
    case v1::Number::KIND_NOT_SET:
      return std::nullopt;
  }
  if (!decimal.ok()) return std::nullopt;
  return decimal->canonical();
}

// A number set as the set of its canonical numbers; nullopt when one of them is invalid.
std::optional<absl::flat_hash_set<std::string>> CanonicalNumberSet(const v1::NumberSet& set) {
  absl::flat_hash_set<std::string> out;
  for (const v1::Number& number : set.values()) {
    std::optional<std::string> canonical = CanonicalNumber(number);
    if (!canonical) return std::nullopt;
    out.insert(*std::move(canonical));
  }
  return out;
}

template <typename Elements>
bool SameSet(const Elements& a, const Elements& b) {
  return absl::flat_hash_set<absl::string_view>(a.begin(), a.end()) ==
         absl::flat_hash_set<absl::string_view>(b.begin(), b.end());
}

bool Equal(const v1::Value& a, const v1::Value& b);

bool EqualMaps(const v1::ValueMap& a, const v1::ValueMap& b) {
  if (a.fields_size() != b.fields_size()) return false;
  for (const auto& [name, value] : a.fields()) {
    const auto it = b.fields().find(name);
    if (it == b.fields().end() || !Equal(value, it->second)) return false;
  }
  return true;
}

bool EqualLists(const v1::ValueList& a, const v1::ValueList& b) {
  if (a.values_size() != b.values_size()) return false;
  for (int i = 0; i < a.values_size(); ++i) {
    if (!Equal(a.values(i), b.values(i))) return false;
  }
  return true;
}

// DynamoDB's = : same type and same value (numbers by value, sets in any order).
bool Equal(const v1::Value& a, const v1::Value& b) {
  if (a.kind_case() != b.kind_case()) return false;
  switch (a.kind_case()) {
    case v1::Value::kNullValue:
      return true;
    case v1::Value::kBoolValue:
      return a.bool_value() == b.bool_value();
    case v1::Value::kStringValue:
      return a.string_value() == b.string_value();
    case v1::Value::kBytesValue:
      return a.bytes_value() == b.bytes_value();
    case v1::Value::kNumberValue: {
      const std::optional<std::string> x = CanonicalNumber(a.number_value());
      return x && x == CanonicalNumber(b.number_value());
    }
    case v1::Value::kListValue:
      return EqualLists(a.list_value(), b.list_value());
    case v1::Value::kMapValue:
      return EqualMaps(a.map_value(), b.map_value());
    case v1::Value::kStringSet:
      return SameSet(a.string_set().values(), b.string_set().values());
    case v1::Value::kBytesSet:
      return SameSet(a.bytes_set().values(), b.bytes_set().values());
    case v1::Value::kNumberSet: {
      const auto x = CanonicalNumberSet(a.number_set());
      return x && x == CanonicalNumberSet(b.number_set());
    }
    case v1::Value::KIND_NOT_SET:
      return false;
  }
  return false;
}

// -1, 0 or 1 ordering two numbers, two strings (UTF-8 bytes) or two binaries (unsigned bytes); nullopt for
// values of different types or of another type (DynamoDB's <, <=, >, >= are then false).
std::optional<int> Order(const v1::Value& a, const v1::Value& b) {
  if (a.kind_case() != b.kind_case()) return std::nullopt;
  int c = 0;
  switch (a.kind_case()) {
    case v1::Value::kStringValue:  // std::char_traits<char> compares as unsigned char
      c = a.string_value().compare(b.string_value());
      break;
    case v1::Value::kBytesValue:
      c = a.bytes_value().compare(b.bytes_value());
      break;
    case v1::Value::kNumberValue: {
      const std::optional<std::string> x = CanonicalNumber(a.number_value());
      const std::optional<std::string> y = CanonicalNumber(b.number_value());
      if (!x || !y) return std::nullopt;
      c = CompareCanonicalDecimals(*x, *y);
      break;
    }
    default:
      return std::nullopt;
  }
  return (c > 0) - (c < 0);
}

// `left <comparator> right`, where nullptr is an absent operand: DynamoDB's <> is true when either side is
// absent, every other comparison false (measured on DynamoDB Local).
absl::StatusOr<bool> Compare(const v1::Value* left, v1::Comparator comparator, const v1::Value* right,
                             absl::string_view field) {
  if (comparator == v1::COMPARATOR_UNSPECIFIED || !v1::Comparator_IsValid(comparator)) {
    return Invalid(absl::StrCat(field, ".comparator"), "comparator must be set");
  }
  if (comparator == v1::COMPARATOR_NOT_EQUAL) return left == nullptr || right == nullptr || !Equal(*left, *right);
  if (comparator == v1::COMPARATOR_EQUAL) return left != nullptr && right != nullptr && Equal(*left, *right);
  const std::optional<int> order = left && right ? Order(*left, *right) : std::nullopt;
  if (!order.has_value()) return false;
  switch (comparator) {
    case v1::COMPARATOR_LESS:
      return *order < 0;
    case v1::COMPARATOR_LESS_OR_EQUAL:
      return *order <= 0;
    case v1::COMPARATOR_GREATER:
      return *order > 0;
    default:  // COMPARATOR_GREATER_OR_EQUAL
      return *order >= 0;
  }
}

// size(): bytes of a string or binary, elements of a list, map or set; nullopt for the types without a size.
// Note: DynamoDB (and DynamoDB Local) count a string's UTF-16 code units ("é😀" has size 3), Alternator its
// UTF-8 bytes ("é😀" has size 6). This follows the gateway's contract (bytes), which is also what Alternator
// -- the backend this evaluator explains -- computes; the two agree on ASCII strings.
std::optional<uint64_t> Size(const v1::Value& value) {
  switch (value.kind_case()) {
    case v1::Value::kStringValue:
      return value.string_value().size();
    case v1::Value::kBytesValue:
      return value.bytes_value().size();
    case v1::Value::kListValue:
      return value.list_value().values_size();
    case v1::Value::kMapValue:
      return value.map_value().fields_size();
    case v1::Value::kStringSet:
      return value.string_set().values_size();
    case v1::Value::kNumberSet:
      return value.number_set().values_size();
    case v1::Value::kBytesSet:
      return value.bytes_set().values_size();
    default:
      return std::nullopt;
  }
}

bool BeginsWith(const v1::Value& value, const v1::Value& prefix) {
  if (value.kind_case() != prefix.kind_case()) return false;
  if (value.has_string_value()) return absl::StartsWith(value.string_value(), prefix.string_value());
  if (value.has_bytes_value()) return absl::StartsWith(value.bytes_value(), prefix.bytes_value());
  return false;
}

bool Contains(const v1::Value& value, const v1::Value& operand) {
  switch (value.kind_case()) {
    case v1::Value::kStringValue:
      return operand.has_string_value() && absl::StrContains(value.string_value(), operand.string_value());
    case v1::Value::kBytesValue:  // a byte substring (measured on DynamoDB Local)
      return operand.has_bytes_value() && absl::StrContains(value.bytes_value(), operand.bytes_value());
    case v1::Value::kStringSet:
      if (!operand.has_string_value()) return false;
      for (const std::string& element : value.string_set().values()) {
        if (element == operand.string_value()) return true;
      }
      return false;
    case v1::Value::kBytesSet:
      if (!operand.has_bytes_value()) return false;
      for (const std::string& element : value.bytes_set().values()) {
        if (element == operand.bytes_value()) return true;
      }
      return false;
    case v1::Value::kNumberSet: {
      if (!operand.has_number_value()) return false;
      const std::optional<std::string> wanted = CanonicalNumber(operand.number_value());
      for (const v1::Number& element : value.number_set().values()) {
        if (wanted && CanonicalNumber(element) == wanted) return true;
      }
      return false;
    }
    case v1::Value::kListValue:
      for (const v1::Value& element : value.list_value().values()) {
        if (Equal(element, operand)) return true;
      }
      return false;
    default:
      return false;
  }
}

bool HasType(const v1::Value& value, v1::AttributeType type) {
  switch (type) {
    case v1::ATTRIBUTE_TYPE_STRING:
      return value.has_string_value();
    case v1::ATTRIBUTE_TYPE_NUMBER:
      return value.has_number_value();
    case v1::ATTRIBUTE_TYPE_BINARY:
      return value.has_bytes_value();
    case v1::ATTRIBUTE_TYPE_BOOL:
      return value.has_bool_value();
    case v1::ATTRIBUTE_TYPE_NULL:
      return value.has_null_value();
    case v1::ATTRIBUTE_TYPE_LIST:
      return value.has_list_value();
    case v1::ATTRIBUTE_TYPE_MAP:
      return value.has_map_value();
    case v1::ATTRIBUTE_TYPE_STRING_SET:
      return value.has_string_set();
    case v1::ATTRIBUTE_TYPE_NUMBER_SET:
      return value.has_number_set();
    case v1::ATTRIBUTE_TYPE_BINARY_SET:
      return value.has_bytes_set();
    default:
      return false;
  }
}

// A value from the condition: its kind (and its elements' kinds) must be set and its numbers valid.
absl::Status CheckOperand(const v1::Value& value, absl::string_view field) {
  switch (value.kind_case()) {
    case v1::Value::KIND_NOT_SET:
      return Invalid(field, "value has no kind set");
    case v1::Value::kNumberValue:
      if (!CanonicalNumber(value.number_value())) return Invalid(field, "invalid number");
      return absl::OkStatus();
    case v1::Value::kNumberSet:
      if (!CanonicalNumberSet(value.number_set())) return Invalid(field, "invalid number in number_set");
      return absl::OkStatus();
    case v1::Value::kListValue:
      for (const v1::Value& element : value.list_value().values()) {
        if (absl::Status s = CheckOperand(element, field); !s.ok()) return s;
      }
      return absl::OkStatus();
    case v1::Value::kMapValue:
      for (const auto& [name, element] : value.map_value().fields()) {
        if (absl::Status s = CheckOperand(element, field); !s.ok()) return s;
      }
      return absl::OkStatus();
    default:
      return absl::OkStatus();
  }
}

// ---------------------------------------------------------------------------------------------------------
// Conditions

class Evaluator {
 public:
  explicit Evaluator(const AttributeMap& item) : item_(item) {}

  absl::StatusOr<bool> Evaluate(const v1::Condition& condition, int depth) {
    if (depth > kMaxConditionDepth) {
      return Invalid("", absl::StrCat("conditions nest deeper than ", kMaxConditionDepth, " levels"));
    }
    switch (condition.kind_case()) {
      case v1::Condition::kComparison: {
        const v1::Comparison& c = condition.comparison();
        absl::StatusOr<const v1::Value*> left = Resolve(c.path(), "comparison.path");
        if (!left.ok()) return left.status();
        absl::StatusOr<const v1::Value*> right = nullptr;
        if (c.operand_case() == v1::Comparison::kValue) {
          if (absl::Status s = CheckOperand(c.value(), "comparison.value"); !s.ok()) return s;
          right = &c.value();
        } else if (c.operand_case() == v1::Comparison::kOtherPath) {
          right = Resolve(c.other_path(), "comparison.other_path");
          if (!right.ok()) return right.status();
        } else {
          return Invalid("comparison", "set `value` or `other_path` as the right-hand side");
        }
        return Compare(*left, c.comparator(), *right, "comparison");
      }
      case v1::Condition::kAttributeExists: {
        absl::StatusOr<const v1::Value*> value = Resolve(condition.attribute_exists(), "attribute_exists");
        if (!value.ok()) return value.status();
        return *value != nullptr;
      }
      case v1::Condition::kAttributeNotExists: {
        absl::StatusOr<const v1::Value*> value = Resolve(condition.attribute_not_exists(), "attribute_not_exists");
        if (!value.ok()) return value.status();
        return *value == nullptr;
      }
      case v1::Condition::kBeginsWith: {
        const v1::Value& prefix = condition.begins_with().prefix();
        if (!prefix.has_string_value() && !prefix.has_bytes_value()) {
          return Invalid("begins_with.prefix", "prefix must be a string_value or bytes_value");
        }
        absl::StatusOr<const v1::Value*> value = Resolve(condition.begins_with().path(), "begins_with.path");
        if (!value.ok()) return value.status();
        return *value != nullptr && BeginsWith(**value, prefix);
      }
      case v1::Condition::kContains: {
        const v1::Value& operand = condition.contains().operand();
        if (absl::Status s = CheckOperand(operand, "contains.operand"); !s.ok()) return s;
        absl::StatusOr<const v1::Value*> value = Resolve(condition.contains().path(), "contains.path");
        if (!value.ok()) return value.status();
        return *value != nullptr && Contains(**value, operand);
      }
      case v1::Condition::kBetween: {
        const v1::Between& b = condition.between();
        if (absl::Status s = CheckOperand(b.lower(), "between.lower"); !s.ok()) return s;
        if (absl::Status s = CheckOperand(b.upper(), "between.upper"); !s.ok()) return s;
        absl::StatusOr<const v1::Value*> value = Resolve(b.path(), "between.path");
        if (!value.ok()) return value.status();
        if (*value == nullptr) return false;
        const std::optional<int> above_lower = Order(**value, b.lower());
        const std::optional<int> below_upper = Order(**value, b.upper());
        return above_lower && *above_lower >= 0 && below_upper && *below_upper <= 0;
      }
      case v1::Condition::kIsIn: {
        const v1::In& in = condition.is_in();
        if (in.values().empty()) return Invalid("is_in.values", "IN needs at least one value");
        for (const v1::Value& candidate : in.values()) {
          if (absl::Status s = CheckOperand(candidate, "is_in.values"); !s.ok()) return s;
        }
        absl::StatusOr<const v1::Value*> value = Resolve(in.path(), "is_in.path");
        if (!value.ok()) return value.status();
        if (*value == nullptr) return false;
        for (const v1::Value& candidate : in.values()) {
          if (Equal(**value, candidate)) return true;
        }
        return false;
      }
      case v1::Condition::kAttributeType: {
        const v1::AttributeType type = condition.attribute_type().type();
        if (type == v1::ATTRIBUTE_TYPE_UNSPECIFIED || !v1::AttributeType_IsValid(type)) {
          return Invalid("attribute_type.type", "type must be set");
        }
        absl::StatusOr<const v1::Value*> value = Resolve(condition.attribute_type().path(), "attribute_type.path");
        if (!value.ok()) return value.status();
        return *value != nullptr && HasType(**value, type);
      }
      case v1::Condition::kSize: {
        const v1::SizeComparison& s = condition.size();
        absl::StatusOr<const v1::Value*> value = Resolve(s.path(), "size.path");
        if (!value.ok()) return value.status();
        // A size is compared as a number; a value without a size behaves as an absent operand.
        const std::optional<uint64_t> size = *value == nullptr ? std::nullopt : Size(**value);
        v1::Value left;
        if (size) left.mutable_number_value()->set_decimal(std::to_string(*size));
        v1::Value right;
        right.mutable_number_value()->set_decimal(std::to_string(s.size()));
        return Compare(size ? &left : nullptr, s.comparator(), &right, "size");
      }
      case v1::Condition::kAllOf:
        return EvaluateList(condition.all_of(), /*all=*/true, "all_of", depth);
      case v1::Condition::kAnyOf:
        return EvaluateList(condition.any_of(), /*all=*/false, "any_of", depth);
      case v1::Condition::kNegation: {
        absl::StatusOr<bool> inner = Evaluate(condition.negation(), depth + 1);
        if (!inner.ok()) return inner.status();
        return !*inner;
      }
      case v1::Condition::KIND_NOT_SET:
        break;
    }
    return Invalid("", "condition has no kind set");
  }

 private:
  // Every sub-condition is evaluated (no short cut), so an invalid one is reported whatever the item.
  absl::StatusOr<bool> EvaluateList(const v1::ConditionList& list, bool all, absl::string_view field, int depth) {
    if (list.conditions().empty()) return Invalid(field, "needs at least one condition");
    bool result = all;
    for (const v1::Condition& sub : list.conditions()) {
      absl::StatusOr<bool> value = Evaluate(sub, depth + 1);
      if (!value.ok()) return value.status();
      result = all ? (result && *value) : (result || *value);
    }
    return result;
  }

  // The value at `text` in the item, or nullptr when the path leads nowhere.
  absl::StatusOr<const v1::Value*> Resolve(const std::string& text, absl::string_view field) {
    Violations violations;
    const FieldRef ref(field);
    const std::optional<DocumentPath> path = ParseDocumentPath(text, ref, violations);
    if (!path) {
      return Invalid(field, violations.list().empty() ? "invalid path" : violations.list().front().description);
    }
    // The grammar starts every path with a name.
    const auto top = item_.find(path->front().name);
    if (top == item_.end()) return nullptr;
    const v1::Value* value = &top->second;
    for (size_t i = 1; i < path->size(); ++i) {
      const PathElement& element = (*path)[i];
      if (element.index) {
        if (!value->has_list_value() || *element.index >= static_cast<uint32_t>(value->list_value().values_size())) {
          return nullptr;
        }
        value = &value->list_value().values(static_cast<int>(*element.index));
      } else {
        if (!value->has_map_value()) return nullptr;
        const auto it = value->map_value().fields().find(element.name);
        if (it == value->map_value().fields().end()) return nullptr;
        value = &it->second;
      }
    }
    return value;
  }

  const AttributeMap& item_;
};

}  // namespace

absl::StatusOr<bool> EvaluateCondition(const v1::Condition& condition, const AttributeMap& item) {
  return Evaluator(item).Evaluate(condition, 0);
}

}  // namespace altgw::model
