#include "model/value_codec.h"

#include <string_view>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "model/answer_items.h"
#include "model/limits.h"

namespace altgw::model {
namespace {

using nlohmann::json;

// Pair index of a decimal exponent: pair k holds the digits of 10^(2k) and 10^(2k+1).
int64_t PairOf(int64_t exponent) { return exponent >= 0 ? exponent / 2 : -((-exponent + 1) / 2); }

json Tagged(const char* tag, json inner) {
  json out = json::object();
  out[tag] = std::move(inner);
  return out;
}

}  // namespace

bool CheckAttributeName(absl::string_view name, const FieldRef& field, Violations& violations) {
  if (name.empty()) {
    violations.Add(field, "attribute names may not be empty");
    return false;
  }
  if (name.size() > kMaxAttributeNameBytes) {
    violations.Add(field, absl::StrCat("attribute name is ", name.size(), " bytes; at most ",
                                       kMaxAttributeNameBytes, " are allowed"));
    return false;
  }
  return true;
}

size_t NumberStorageSize(const Decimal& number) {
  std::string_view text = number.canonical();
  if (text == "0") return 1;
  const bool negative = text.front() == '-';
  if (negative) text.remove_prefix(1);
  const size_t dot = text.find('.');
  const std::string_view integer = text.substr(0, dot);
  const std::string_view fraction = dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);

  int64_t highest;  // exponent of the first significant digit
  if (integer != "0") {
    highest = static_cast<int64_t>(integer.size()) - 1;
  } else {
    highest = -static_cast<int64_t>(fraction.find_first_not_of('0') + 1);
  }
  int64_t lowest;  // exponent of the last significant digit (canonical fractions end in a non-zero digit)
  if (!fraction.empty()) {
    lowest = -static_cast<int64_t>(fraction.size());
  } else {
    lowest = static_cast<int64_t>(integer.size() - 1 - integer.find_last_not_of('0'));
  }
  const size_t pairs = static_cast<size_t>(PairOf(highest) - PairOf(lowest) + 1);
  return pairs + 1 + (negative ? 1 : 0);
}

std::optional<Decimal> ValueEncoder::EncodeNumber(const v1::Number& number, const FieldRef& field) {
  switch (number.kind_case()) {
    case v1::Number::kInteger:
      return Decimal::FromInt64(number.integer());
    case v1::Number::kDecimal: {
      auto parsed = Decimal::Parse(number.decimal());
      if (!parsed.ok()) {
        violations_.Add(field.Child("decimal"), std::string(parsed.status().message()));
        return std::nullopt;
      }
      return *std::move(parsed);
    }
    case v1::Number::kFloat64: {
      auto parsed = Decimal::FromDouble(number.float64());
      if (!parsed.ok()) {
        violations_.Add(field.Child("float64"), std::string(parsed.status().message()));
        return std::nullopt;
      }
      return *std::move(parsed);
    }
    case v1::Number::KIND_NOT_SET:
      break;
  }
  violations_.Add(field, "number has none of decimal, integer or float64 set");
  return std::nullopt;
}

json ValueEncoder::Encode(const v1::Value& value, const FieldRef& field, size_t* size, int level) {
  switch (value.kind_case()) {
    case v1::Value::kNullValue:
      *size += 1;
      return Tagged("NULL", true);
    case v1::Value::kBoolValue:
      *size += 1;
      return Tagged("BOOL", value.bool_value());
    case v1::Value::kStringValue:
      *size += value.string_value().size();
      return Tagged("S", value.string_value());
    case v1::Value::kBytesValue:
      *size += value.bytes_value().size();
      return Tagged("B", absl::Base64Escape(value.bytes_value()));
    case v1::Value::kNumberValue: {
      std::optional<Decimal> number = EncodeNumber(value.number_value(), field.Child("number_value"));
      if (!number) return json();
      *size += NumberStorageSize(*number);
      return Tagged("N", number->canonical());
    }
    case v1::Value::kListValue: {
      if (level >= kMaxNestingDepth) {
        violations_.Add(field, absl::StrCat("lists and maps nest deeper than DynamoDB's ", kMaxNestingDepth,
                                            " levels (the item itself counts as one)"));
        return json();
      }
      const FieldRef values_field = field.Child("list_value.values");
      json list = json::array();
      *size += 3;
      int index = 0;
      for (const v1::Value& element : value.list_value().values()) {
        *size += 1;
        list.push_back(Encode(element, values_field.Index(index++), size, level + 1));
      }
      return Tagged("L", std::move(list));
    }
    case v1::Value::kMapValue: {
      if (level >= kMaxNestingDepth) {
        violations_.Add(field, absl::StrCat("lists and maps nest deeper than DynamoDB's ", kMaxNestingDepth,
                                            " levels (the item itself counts as one)"));
        return json();
      }
      const FieldRef fields_field = field.Child("map_value.fields");
      json map = json::object();
      *size += 3;
      for (const auto& [name, element] : value.map_value().fields()) {
        const FieldRef element_field = fields_field.Key(name);
        CheckAttributeName(name, element_field, violations_);
        *size += 1 + name.size();
        map[name] = Encode(element, element_field, size, level + 1);
      }
      return Tagged("M", std::move(map));
    }
    case v1::Value::kStringSet: {
      const FieldRef set_field = field.Child("string_set.values");
      const auto& values = value.string_set().values();
      if (values.empty()) violations_.Add(set_field, "sets may not be empty (DynamoDB has no empty set)");
      absl::flat_hash_set<std::string_view> seen;
      json set = json::array();
      int index = 0;
      for (const std::string& element : values) {
        if (!seen.insert(element).second) violations_.Add(set_field.Index(index), "duplicate set element");
        *size += element.size();
        set.push_back(element);
        ++index;
      }
      return Tagged("SS", std::move(set));
    }
    case v1::Value::kNumberSet: {
      const FieldRef set_field = field.Child("number_set.values");
      const auto& values = value.number_set().values();
      if (values.empty()) violations_.Add(set_field, "sets may not be empty (DynamoDB has no empty set)");
      absl::flat_hash_set<std::string> seen;
      json set = json::array();
      int index = 0;
      for (const v1::Number& element : values) {
        const FieldRef element_field = set_field.Index(index++);
        std::optional<Decimal> number = EncodeNumber(element, element_field);
        if (!number) continue;
        if (!seen.insert(number->canonical()).second) {
          violations_.Add(element_field, absl::StrCat("duplicate set element (", number->canonical(),
                                                      " after canonicalisation)"));
        }
        *size += NumberStorageSize(*number);
        set.push_back(number->canonical());
      }
      return Tagged("NS", std::move(set));
    }
    case v1::Value::kBytesSet: {
      const FieldRef set_field = field.Child("bytes_set.values");
      const auto& values = value.bytes_set().values();
      if (values.empty()) violations_.Add(set_field, "sets may not be empty (DynamoDB has no empty set)");
      absl::flat_hash_set<std::string_view> seen;
      json set = json::array();
      int index = 0;
      for (const std::string& element : values) {
        if (!seen.insert(element).second) violations_.Add(set_field.Index(index), "duplicate set element");
        *size += element.size();
        set.push_back(absl::Base64Escape(element));
        ++index;
      }
      return Tagged("BS", std::move(set));
    }
    case v1::Value::KIND_NOT_SET:
      break;
  }
  violations_.Add(field, "value has no kind set (set exactly one of null_value, bool_value, string_value, ...)");
  return json();
}

json ValueEncoder::EncodeAttributes(const AttributeMap& attributes, const FieldRef& field, size_t* size) {
  json out = json::object();
  for (const auto& [name, value] : attributes) {
    const FieldRef attribute_field = field.Key(name);
    CheckAttributeName(name, attribute_field, violations_);
    *size += name.size();
    out[name] = Encode(value, attribute_field, size);
  }
  return out;
}

absl::Status DecodeNumber(absl::string_view text, v1::Number* out) {
  auto number = Decimal::Parse(text);
  if (!number.ok()) {
    return absl::InternalError(absl::StrCat("database returned an invalid number \"", text,
                                            "\": ", number.status().message()));
  }
  if (std::optional<int64_t> integer = number->ToInt64()) {
    out->set_integer(*integer);
  } else {
    out->set_decimal(number->canonical());
  }
  return absl::OkStatus();
}

namespace {

// The decoder reads answers in either of two forms, with the same rules and the same errors: a simdjson
// DOM element (answers parsed by model::Answer, on the hot path) or an nlohmann::json value (answers the
// rest of the model reads that way, and tests). A reader tells the decoder what a node holds.
struct NlohmannReader {
  using Node = const json*;
  static std::optional<absl::string_view> String(Node node) {
    if (!node->is_string()) return std::nullopt;
    return absl::string_view(node->get_ref<const std::string&>());
  }
  static std::optional<bool> Bool(Node node) {
    if (!node->is_boolean()) return std::nullopt;
    return node->get<bool>();
  }
  // Calls `f(element)` for each element while it returns OK; nullopt when `node` is not an array.
  template <typename F>
  static std::optional<absl::Status> ForEachElement(Node node, F f) {
    if (!node->is_array()) return std::nullopt;
    for (const json& element : *node) {
      if (absl::Status s = f(&element); !s.ok()) return s;
    }
    return absl::OkStatus();
  }
  // Calls `f(name, value)` for each member while it returns OK; nullopt when `node` is not an object.
  template <typename F>
  static std::optional<absl::Status> ForEachMember(Node node, F f) {
    if (!node->is_object()) return std::nullopt;
    for (const auto& [name, value] : node->items()) {
      if (absl::Status s = f(absl::string_view(name), &value); !s.ok()) return s;
    }
    return absl::OkStatus();
  }
  static bool IsObject(Node node) { return node->is_object(); }
};

struct DomReader {
  using Node = simdjson::dom::element;
  static std::optional<absl::string_view> String(Node node) {
    std::string_view text;
    if (node.get(text) != simdjson::SUCCESS) return std::nullopt;
    return absl::string_view(text.data(), text.size());
  }
  static std::optional<bool> Bool(Node node) {
    bool value;
    if (node.get(value) != simdjson::SUCCESS) return std::nullopt;
    return value;
  }
  template <typename F>
  static std::optional<absl::Status> ForEachElement(Node node, F f) {
    simdjson::dom::array array;
    if (node.get(array) != simdjson::SUCCESS) return std::nullopt;
    for (simdjson::dom::element element : array) {
      if (absl::Status s = f(element); !s.ok()) return s;
    }
    return absl::OkStatus();
  }
  template <typename F>
  static std::optional<absl::Status> ForEachMember(Node node, F f) {
    simdjson::dom::object object;
    if (node.get(object) != simdjson::SUCCESS) return std::nullopt;
    for (simdjson::dom::key_value_pair member : object) {
      if (absl::Status s = f(absl::string_view(member.key.data(), member.key.size()), member.value); !s.ok()) {
        return s;
      }
    }
    return absl::OkStatus();
  }
  static bool IsObject(Node node) { return node.is_object(); }
};

template <typename Reader>
absl::Status DecodeAttributesWith(typename Reader::Node in, AttributeMap* out);

template <typename Reader>
absl::Status DecodeValueWith(typename Reader::Node in, v1::Value* out) {
  using Node = typename Reader::Node;
  // One member: its name is the type. A simdjson object keeps repeated names, where nlohmann keeps the last
  // value of a name, so "one member" is "one name", and the last value counts.
  absl::string_view tag;
  std::optional<Node> body;
  bool one_name = true;
  const bool is_object = Reader::ForEachMember(in, [&](absl::string_view name, Node value) {
                           if (body && name != tag) one_name = false;
                           tag = name;
                           body.emplace(value);
                           return absl::OkStatus();
                         }).has_value();
  if (!is_object || !body || !one_name) {
    return absl::InternalError("database returned an attribute value that is not a one-key object");
  }
  auto bad = [tag]() -> absl::Status {
    return absl::InternalError(absl::StrCat("database returned a malformed ", tag, " value"));
  };
  // A set (SS, NS, BS): every element must be a string, which `decode` turns into one element of `values`.
  auto strings_into = [&](auto* values, auto decode) -> absl::Status {
    std::optional<absl::Status> s = Reader::ForEachElement(*body, [&](Node element) -> absl::Status {
      std::optional<absl::string_view> text = Reader::String(element);
      if (!text) return bad();
      return decode(*text, values->Add());
    });
    return s ? *s : bad();
  };
  if (tag == "S") {
    std::optional<absl::string_view> text = Reader::String(*body);
    if (!text) return bad();
    out->set_string_value(std::string(*text));
  } else if (tag == "N") {
    std::optional<absl::string_view> text = Reader::String(*body);
    if (!text) return bad();
    return DecodeNumber(*text, out->mutable_number_value());
  } else if (tag == "B") {
    std::optional<absl::string_view> text = Reader::String(*body);
    if (!text || !absl::Base64Unescape(*text, out->mutable_bytes_value())) return bad();
  } else if (tag == "BOOL") {
    std::optional<bool> value = Reader::Bool(*body);
    if (!value) return bad();
    out->set_bool_value(*value);
  } else if (tag == "NULL") {
    // DynamoDB's only NULL value is {"NULL": true}; anything else is a malformed answer.
    std::optional<bool> value = Reader::Bool(*body);
    if (!value || !*value) return bad();
    out->set_null_value(v1::NULL_VALUE);
  } else if (tag == "L") {
    auto* list = out->mutable_list_value()->mutable_values();
    std::optional<absl::Status> s =
        Reader::ForEachElement(*body, [&](Node element) { return DecodeValueWith<Reader>(element, list->Add()); });
    if (!s) return bad();
    return *s;
  } else if (tag == "M") {
    if (!Reader::IsObject(*body)) return bad();
    return DecodeAttributesWith<Reader>(*body, out->mutable_map_value()->mutable_fields());
  } else if (tag == "SS") {
    return strings_into(out->mutable_string_set()->mutable_values(), [](absl::string_view text, std::string* element) {
      element->assign(text.data(), text.size());
      return absl::OkStatus();
    });
  } else if (tag == "NS") {
    return strings_into(out->mutable_number_set()->mutable_values(),
                        [](absl::string_view text, v1::Number* element) { return DecodeNumber(text, element); });
  } else if (tag == "BS") {
    return strings_into(out->mutable_bytes_set()->mutable_values(),
                        [&bad](absl::string_view text, std::string* element) {
                          return absl::Base64Unescape(text, element) ? absl::OkStatus() : bad();
                        });
  } else {
    return absl::InternalError(absl::StrCat("database returned an unknown attribute type \"", tag, "\""));
  }
  return absl::OkStatus();
}

template <typename Reader>
absl::Status DecodeAttributesWith(typename Reader::Node in, AttributeMap* out) {
  std::optional<absl::Status> s =
      Reader::ForEachMember(in, [out](absl::string_view name, typename Reader::Node value) {
        v1::Value& decoded = (*out)[std::string(name)];
        decoded.Clear();  // a repeated name: the last one counts, as in nlohmann's parser
        return DecodeValueWith<Reader>(value, &decoded);
      });
  if (!s) return absl::InternalError("database returned an item that is not an object");
  return *s;
}

}  // namespace

absl::Status DecodeValue(const json& in, v1::Value* out) { return DecodeValueWith<NlohmannReader>(&in, out); }

absl::Status DecodeAttributes(const json& in, AttributeMap* out) {
  return DecodeAttributesWith<NlohmannReader>(&in, out);
}

absl::Status DecodeAttributes(simdjson::dom::element in, AttributeMap* out) {
  return DecodeAttributesWith<DomReader>(in, out);
}

}  // namespace altgw::model
