#include "altgw_client/value.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace altgw::client {
namespace {

Error WrongKind(const Value& value, std::string_view wanted) {
  return Error::Local(grpc::StatusCode::INVALID_ARGUMENT, kReasonWrongValueKind,
                      absl::StrCat("expected a value of kind ", std::string(wanted), ", got ", KindName(value)));
}

// The integer a decimal string denotes, when it is integral and fits in int64. Decimal grammar as in
// value.proto: [+-] digits [. digits] [(e|E) [+-] digits], at least one digit in the mantissa.
Result<int64_t> DecimalToInt64(const std::string& text) {
  auto out_of_range = [&] {
    return Error::Local(grpc::StatusCode::OUT_OF_RANGE, kReasonNumberOutOfRange,
                        absl::StrCat("number ", text, " is not an integer that fits in int64"));
  };
  size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) negative = text[i++] == '-';
  std::string digits;   // mantissa digits without the point
  int64_t exponent = 0;  // value = digits * 10^exponent
  bool seen_digit = false;
  for (; i < text.size() && absl::ascii_isdigit(text[i]); ++i, seen_digit = true) digits += text[i];
  if (i < text.size() && text[i] == '.') {
    for (++i; i < text.size() && absl::ascii_isdigit(text[i]); ++i, seen_digit = true) {
      digits += text[i];
      --exponent;
    }
  }
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    int64_t e = 0;
    if (!absl::SimpleAtoi(text.substr(i + 1), &e) || std::llabs(e) > 1000) {
      return out_of_range();
    }
    exponent += e;
    i = text.size();
  }
  if (!seen_digit || i != text.size()) {
    return Error::Local(grpc::StatusCode::INVALID_ARGUMENT, kReasonWrongValueKind,
                        absl::StrCat("not a decimal number: \"", text, "\""));
  }
  // Drop fractional digits that are zeros; any other fractional digit makes it a non-integer.
  while (exponent < 0) {
    if (digits.empty()) break;
    if (digits.back() != '0') return out_of_range();
    digits.pop_back();
    ++exponent;
  }
  const size_t first = digits.find_first_not_of('0');
  if (first == std::string::npos) return int64_t{0};
  digits = digits.substr(first);
  if (exponent > 19) return out_of_range();
  digits.append(static_cast<size_t>(exponent < 0 ? 0 : exponent), '0');
  int64_t result = 0;
  if (!absl::SimpleAtoi(negative ? "-" + digits : digits, &result)) return out_of_range();
  return result;
}

}  // namespace

Value Null() {
  Value v;
  v.set_null_value(v1::NULL_VALUE);
  return v;
}
Value Bool(bool b) {
  Value v;
  v.set_bool_value(b);
  return v;
}
Value Int(int64_t n) {
  Value v;
  v.mutable_number_value()->set_integer(n);
  return v;
}
Value Double(double d) {
  Value v;
  v.mutable_number_value()->set_float64(d);
  return v;
}
Value Decimal(std::string decimal) {
  Value v;
  v.mutable_number_value()->set_decimal(std::move(decimal));
  return v;
}
Value Str(std::string_view s) {
  Value v;
  v.set_string_value(std::string(s));
  return v;
}
Value Bytes(std::string_view raw) {
  Value v;
  v.set_bytes_value(std::string(raw));
  return v;
}
Value List(std::vector<Value> values) {
  Value v;
  auto* list = v.mutable_list_value();
  for (Value& e : values) *list->add_values() = std::move(e);
  return v;
}
Value Map(std::map<std::string, Value> fields) {
  Value v;
  auto* map = v.mutable_map_value()->mutable_fields();
  for (auto& [k, e] : fields) (*map)[k] = std::move(e);
  return v;
}
Value StringSet(std::vector<std::string> values) {
  Value v;
  auto* set = v.mutable_string_set();
  for (std::string& e : values) set->add_values(std::move(e));
  return v;
}
Value NumberSet(std::vector<std::string> decimals) {
  Value v;
  auto* set = v.mutable_number_set();
  for (std::string& e : decimals) set->add_values()->set_decimal(std::move(e));
  return v;
}
Value IntSet(const std::vector<int64_t>& numbers) {
  Value v;
  auto* set = v.mutable_number_set();
  for (int64_t e : numbers) set->add_values()->set_integer(e);
  return v;
}
Value BytesSet(std::vector<std::string> values) {
  Value v;
  auto* set = v.mutable_bytes_set();
  for (std::string& e : values) set->add_values(std::move(e));
  return v;
}

Attributes MakeItem(std::initializer_list<std::pair<const std::string, Value>> attributes) {
  Attributes out;
  for (const auto& [k, v] : attributes) out[k] = v;
  return out;
}

std::string KindName(const Value& value) {
  switch (value.kind_case()) {
    case Value::kNullValue: return "NULL";
    case Value::kBoolValue: return "BOOL";
    case Value::kStringValue: return "S";
    case Value::kBytesValue: return "B";
    case Value::kNumberValue: return "N";
    case Value::kListValue: return "L";
    case Value::kMapValue: return "M";
    case Value::kStringSet: return "SS";
    case Value::kNumberSet: return "NS";
    case Value::kBytesSet: return "BS";
    case Value::KIND_NOT_SET: break;
  }
  return "unset";
}

std::string NumberText(const v1::Number& number) {
  switch (number.kind_case()) {
    case v1::Number::kDecimal: return number.decimal();
    case v1::Number::kInteger: return std::to_string(number.integer());
    case v1::Number::kFloat64: {
      char buffer[64];
      const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, number.float64());
      return std::string(buffer, ec == std::errc() ? end : buffer);
    }
    case v1::Number::KIND_NOT_SET: break;
  }
  return "";
}

Result<int64_t> AsInt64(const Value& value) {
  if (!value.has_number_value()) return WrongKind(value, "N");
  const v1::Number& n = value.number_value();
  switch (n.kind_case()) {
    case v1::Number::kInteger: return n.integer();
    case v1::Number::kDecimal: return DecimalToInt64(n.decimal());
    case v1::Number::kFloat64: {
      const double d = n.float64();
      // 2^63 is exactly representable; every double below it in magnitude that is integral fits.
      if (std::trunc(d) == d && d >= -9223372036854775808.0 && d < 9223372036854775808.0) {
        return static_cast<int64_t>(d);
      }
      return Error::Local(grpc::StatusCode::OUT_OF_RANGE, kReasonNumberOutOfRange,
                          absl::StrCat("number ", NumberText(n), " is not an integer that fits in int64"));
    }
    case v1::Number::KIND_NOT_SET: break;
  }
  return WrongKind(value, "N");
}

Result<double> AsDouble(const Value& value) {
  if (!value.has_number_value()) return WrongKind(value, "N");
  const v1::Number& n = value.number_value();
  if (n.has_float64()) return n.float64();
  if (n.has_integer()) return static_cast<double>(n.integer());
  double d = 0;
  if (!absl::SimpleAtod(n.decimal(), &d)) {
    return Error::Local(grpc::StatusCode::INVALID_ARGUMENT, kReasonWrongValueKind,
                        absl::StrCat("not a decimal number: \"", n.decimal(), "\""));
  }
  return d;
}

Result<std::string> AsDecimal(const Value& value) {
  if (!value.has_number_value() || value.number_value().kind_case() == v1::Number::KIND_NOT_SET) {
    return WrongKind(value, "N");
  }
  return NumberText(value.number_value());
}

Result<std::string> AsString(const Value& value) {
  if (!value.has_string_value()) return WrongKind(value, "S");
  return value.string_value();
}

Result<std::string> AsBytes(const Value& value) {
  if (!value.has_bytes_value()) return WrongKind(value, "B");
  return value.bytes_value();
}

Result<bool> AsBool(const Value& value) {
  if (!value.has_bool_value()) return WrongKind(value, "BOOL");
  return value.bool_value();
}

bool IsNull(const Value& value) { return value.has_null_value(); }

Result<std::vector<Value>> AsList(const Value& value) {
  if (!value.has_list_value()) return WrongKind(value, "L");
  return std::vector<Value>(value.list_value().values().begin(), value.list_value().values().end());
}

Result<std::map<std::string, Value>> AsMap(const Value& value) {
  if (!value.has_map_value()) return WrongKind(value, "M");
  return std::map<std::string, Value>(value.map_value().fields().begin(), value.map_value().fields().end());
}

Result<std::vector<std::string>> AsStringSet(const Value& value) {
  if (!value.has_string_set()) return WrongKind(value, "SS");
  return std::vector<std::string>(value.string_set().values().begin(), value.string_set().values().end());
}

Result<std::vector<std::string>> AsNumberSet(const Value& value) {
  if (!value.has_number_set()) return WrongKind(value, "NS");
  std::vector<std::string> out;
  for (const v1::Number& n : value.number_set().values()) out.push_back(NumberText(n));
  return out;
}

Result<std::vector<std::string>> AsBytesSet(const Value& value) {
  if (!value.has_bytes_set()) return WrongKind(value, "BS");
  return std::vector<std::string>(value.bytes_set().values().begin(), value.bytes_set().values().end());
}

Result<Value> Attribute(const Attributes& item, const std::string& name) {
  const auto it = item.find(name);
  if (it == item.end()) {
    return Error::Local(grpc::StatusCode::NOT_FOUND, kReasonMissingAttribute,
                        absl::StrCat("the item has no attribute \"", name, "\""));
  }
  return it->second;
}

}  // namespace altgw::client
