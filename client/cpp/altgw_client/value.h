// Typed values from native C++ types and back.
//
// Building:   Int(5), Double(0.5), Decimal("12.345678901234567890"), Str("x"), Bytes(raw), Bool(true), Null(),
//             List({Int(1), Str("a")}), Map({{"city", Str("Oslo")}}), StringSet({...}), NumberSet({...}),
//             BytesSet({...}); or ToValue(native) for int64/double/std::string/bool/nullptr and
//             std::vector<T> (a list) / std::map<std::string, T> (a map) of those.
//             Bytes and the three set kinds need their explicit helper: a std::string is always a string and a
//             vector always a list.
// Items:      MakeItem({{"id", Str("a")}, {"n", Int(1)}}) builds the map<string, Value> of requests.
// Reading:    AsInt64 / AsDouble / AsDecimal / AsString / AsBytes / AsBool / AsList / AsMap / AsStringSet /
//             AsNumberSet / AsBytesSet / IsNull return Result<T>: a value of another kind is an error
//             (reason WRONG_VALUE_KIND, naming both kinds), never a silent default. Attribute(item, name)
//             finds an attribute (MISSING_ATTRIBUTE when absent).
//
// Numbers are exact decimals: the gateway returns an integer that fits in int64 as `integer` and anything
// else as a canonical decimal string. AsInt64 accepts any integral number that fits (else
// NUMBER_OUT_OF_RANGE), AsDecimal gives the exact decimal text of any number, AsDouble the nearest double.
#ifndef ALTGW_CLIENT_VALUE_H_
#define ALTGW_CLIENT_VALUE_H_

#include <cstdint>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "altgw_client/result.h"
#include "alternator/gateway/v1/value.pb.h"
#include "google/protobuf/map.h"

namespace altgw::client {

namespace v1 = ::alternator::gateway::v1;
using Value = v1::Value;
// The attribute map of items and keys in every request and response.
using Attributes = google::protobuf::Map<std::string, Value>;

Value Null();
Value Bool(bool b);
Value Int(int64_t n);
// A finite double (sent as Number.float64; the gateway converts it through its shortest round-trip decimal).
Value Double(double d);
// An exact decimal in text form ("12.50", "-1e-7"); the gateway validates and canonicalises it.
Value Decimal(std::string decimal);
Value Str(std::string_view s);
Value Bytes(std::string_view raw);
Value List(std::vector<Value> values);
Value Map(std::map<std::string, Value> fields);
Value StringSet(std::vector<std::string> values);
// Numbers as exact decimal strings ("1", "2.5").
Value NumberSet(std::vector<std::string> decimals);
Value IntSet(const std::vector<int64_t>& numbers);
Value BytesSet(std::vector<std::string> values);

// Native -> Value.
inline Value ToValue(Value v) { return v; }
inline Value ToValue(std::nullptr_t) { return Null(); }
inline Value ToValue(const char* s) { return Str(s); }
inline Value ToValue(std::string_view s) { return Str(s); }
inline Value ToValue(const std::string& s) { return Str(s); }
template <typename T>
  requires std::is_same_v<T, bool>
Value ToValue(T b) {
  return Bool(b);
}
template <typename T>
  requires(std::is_integral_v<T> && !std::is_same_v<T, bool> && !std::is_same_v<T, uint64_t>)
Value ToValue(T n) {
  return Int(static_cast<int64_t>(n));
}
inline Value ToValue(uint64_t n) { return Decimal(std::to_string(n)); }  // may exceed int64
inline Value ToValue(double d) { return Double(d); }
template <typename T>
Value ToValue(const std::vector<T>& values) {
  std::vector<Value> out;
  out.reserve(values.size());
  for (const T& v : values) out.push_back(ToValue(v));
  return List(std::move(out));
}
template <typename T>
Value ToValue(const std::map<std::string, T>& fields) {
  std::map<std::string, Value> out;
  for (const auto& [k, v] : fields) out.emplace(k, ToValue(v));
  return Map(std::move(out));
}

// An item or key: MakeItem({{"id", Str("a")}, {"n", Int(1)}}).
Attributes MakeItem(std::initializer_list<std::pair<const std::string, Value>> attributes);

// The kind's name as DynamoDB spells it: "S", "N", "B", "BOOL", "NULL", "L", "M", "SS", "NS", "BS", or "unset".
std::string KindName(const Value& value);

// Value -> native.
Result<int64_t> AsInt64(const Value& value);
Result<double> AsDouble(const Value& value);
Result<std::string> AsDecimal(const Value& value);
Result<std::string> AsString(const Value& value);
Result<std::string> AsBytes(const Value& value);
Result<bool> AsBool(const Value& value);
bool IsNull(const Value& value);
Result<std::vector<Value>> AsList(const Value& value);
Result<std::map<std::string, Value>> AsMap(const Value& value);
Result<std::vector<std::string>> AsStringSet(const Value& value);
// Exact decimal strings.
Result<std::vector<std::string>> AsNumberSet(const Value& value);
Result<std::vector<std::string>> AsBytesSet(const Value& value);

// The attribute `name` of an item (MISSING_ATTRIBUTE when absent).
Result<Value> Attribute(const Attributes& item, const std::string& name);

// The exact decimal text of a Number (integer as digits, float64 as its shortest round-trip form).
std::string NumberText(const v1::Number& number);

}  // namespace altgw::client

#endif  // ALTGW_CLIENT_VALUE_H_
