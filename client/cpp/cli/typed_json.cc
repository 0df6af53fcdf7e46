#include "cli/typed_json.h"

#include <google/protobuf/util/json_util.h>

#include <limits>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "altgw_client/error.h"
#include "google/rpc/status.pb.h"

namespace altgw::cli {
namespace {

namespace pb = google::protobuf;

constexpr char kTags[] = "s, n, b, ss, ns, bs, l, m, bool, null";

[[noreturn]] void Fail(const std::string& where, const std::string& what) {
  throw InputError(absl::StrCat(where, ": ", what));
}

std::string Describe(const json& j) {
  switch (j.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::string: return "a string";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "an integer";
    case json::value_t::number_float: return "a number with a fraction or exponent";
    case json::value_t::array: return "an array";
    case json::value_t::object: return "an object";
    default: return "an unsupported JSON value";
  }
}

std::string Base64Decode(const json& j, const std::string& where) {
  if (!j.is_string()) Fail(where, "expected a base64 string, got " + Describe(j));
  const std::string& text = j.get_ref<const std::string&>();
  std::string raw;
  // Base64Unescape is lenient; re-encoding catches typos it would silently drop.
  std::string unpadded = text;
  while (!unpadded.empty() && unpadded.back() == '=') unpadded.pop_back();
  std::string again;
  if (absl::Base64Unescape(text, &raw)) {
    again = absl::Base64Escape(raw);
    while (!again.empty() && again.back() == '=') again.pop_back();
  }
  if (again != unpadded || (text.size() % 4 != 0 && text.size() != unpadded.size())) {
    Fail(where, "not valid base64: \"" + text + "\"");
  }
  return raw;
}

std::string String(const json& j, const std::string& where) {
  if (!j.is_string()) Fail(where, "expected a string, got " + Describe(j));
  return j.get<std::string>();
}

const json& Array(const json& j, const std::string& where) {
  if (!j.is_array()) Fail(where, "expected an array, got " + Describe(j));
  return j;
}

// A field by its .proto name or its lowerCamelCase JSON name (both are accepted by protobuf's JSON parser).
const pb::FieldDescriptor* FindField(const pb::Descriptor* d, const std::string& key) {
  if (const pb::FieldDescriptor* field = d->FindFieldByName(key)) return field;
  for (int i = 0; i < d->field_count(); ++i) {
    if (d->field(i)->json_name() == key) return d->field(i);
  }
  return nullptr;
}

bool IsValueMessage(const pb::Descriptor* d) { return d->full_name() == "alternator.gateway.v1.Value"; }
bool IsNumberMessage(const pb::Descriptor* d) { return d->full_name() == "alternator.gateway.v1.Number"; }

json ProtoJson(const pb::Message& message) {
  std::string text;
  pb::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  (void)pb::util::MessageToJsonString(message, &text, options);
  return json::parse(text);
}

// True when `j` already is protobuf's JSON form of a message of type `d` (e.g. {"string_value": "x"}).
bool IsProtoForm(const json& j, const pb::Descriptor* d) {
  if (!j.is_object() || j.size() != 1) return false;
  const std::string& key = j.begin().key();
  return FindField(d, key) != nullptr;
}

void Rewrite(json& j, const pb::Descriptor* d, const std::string& where);

void RewriteOne(json& j, const pb::FieldDescriptor* field, const std::string& where) {
  if (field->type() != pb::FieldDescriptor::TYPE_MESSAGE) return;
  const pb::Descriptor* d = field->message_type();
  if (IsValueMessage(d)) {
    if (!IsProtoForm(j, d)) j = ProtoJson(ValueFromJson(j, where));
  } else if (IsNumberMessage(d)) {
    if (!IsProtoForm(j, d)) j = ProtoJson(NumberFromJson(j, where));
  } else {
    Rewrite(j, d, where);
  }
}

// Replaces typed values by protobuf's JSON form, following the message's schema.
void Rewrite(json& j, const pb::Descriptor* d, const std::string& where) {
  if (!j.is_object()) return;  // JsonStringToMessage reports it
  for (auto& [key, child] : j.items()) {
    const pb::FieldDescriptor* field = FindField(d, key);
    if (field == nullptr) continue;
    const std::string path = absl::StrCat(where, ".", key);
    if (field->is_map()) {
      if (!child.is_object()) continue;
      const pb::FieldDescriptor* value_field = field->message_type()->map_value();
      for (auto& [name, entry] : child.items()) RewriteOne(entry, value_field, absl::StrCat(path, ".", name));
    } else if (field->is_repeated()) {
      if (!child.is_array()) continue;
      for (size_t i = 0; i < child.size(); ++i) RewriteOne(child[i], field, absl::StrCat(path, "[", i, "]"));
    } else {
      RewriteOne(child, field, path);
    }
  }
}

json StatusToJson(const google::rpc::Status& status) {
  grpc::Status as_grpc(static_cast<grpc::StatusCode>(status.code()), status.message(),
                       status.SerializeAsString());
  const client::Error error = client::Error::FromStatus(as_grpc);
  json out = {{"code", error.code_name()}};
  if (!error.message().empty()) out["message"] = error.message();
  if (!error.reason().empty()) out["reason"] = error.reason();
  return out;
}

json SingleToJson(const pb::Message& message, const pb::FieldDescriptor* field, int index) {
  const pb::Reflection* r = message.GetReflection();
  const bool rep = index >= 0;
  switch (field->cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_INT32: return rep ? r->GetRepeatedInt32(message, field, index) : r->GetInt32(message, field);
    case pb::FieldDescriptor::CPPTYPE_INT64: return rep ? r->GetRepeatedInt64(message, field, index) : r->GetInt64(message, field);
    case pb::FieldDescriptor::CPPTYPE_UINT32: return rep ? r->GetRepeatedUInt32(message, field, index) : r->GetUInt32(message, field);
    case pb::FieldDescriptor::CPPTYPE_UINT64: return rep ? r->GetRepeatedUInt64(message, field, index) : r->GetUInt64(message, field);
    case pb::FieldDescriptor::CPPTYPE_DOUBLE: return rep ? r->GetRepeatedDouble(message, field, index) : r->GetDouble(message, field);
    case pb::FieldDescriptor::CPPTYPE_FLOAT: return rep ? r->GetRepeatedFloat(message, field, index) : r->GetFloat(message, field);
    case pb::FieldDescriptor::CPPTYPE_BOOL: return rep ? r->GetRepeatedBool(message, field, index) : r->GetBool(message, field);
    case pb::FieldDescriptor::CPPTYPE_ENUM: {
      const pb::EnumValueDescriptor* e = rep ? r->GetRepeatedEnum(message, field, index) : r->GetEnum(message, field);
      return e->name();
    }
    case pb::FieldDescriptor::CPPTYPE_STRING: {
      std::string s = rep ? r->GetRepeatedString(message, field, index) : r->GetString(message, field);
      if (field->type() == pb::FieldDescriptor::TYPE_BYTES) return absl::Base64Escape(s);
      return s;
    }
    case pb::FieldDescriptor::CPPTYPE_MESSAGE: {
      const pb::Message& child = rep ? r->GetRepeatedMessage(message, field, index) : r->GetMessage(message, field);
      return MessageToJson(child);
    }
  }
  return nullptr;
}

}  // namespace

json ParseJson(const std::string& text, const std::string& what) {
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    // e.what() reads "[json.exception.parse_error.101] parse error at line 1, column 9: syntax error ...".
    std::string reason = e.what();
    const size_t at = reason.find("] ");
    if (at != std::string::npos) reason = reason.substr(at + 2);
    throw InputError(absl::StrCat(what, ": not valid JSON: ", reason));
  }
}

v1::Number NumberFromJson(const json& j, const std::string& where) {
  // The typed form of a number value, {"n": ...}, is accepted where a bare Number is expected too.
  if (j.is_object() && j.size() == 1 && j.contains("n")) return NumberFromJson(j["n"], where + ".n");
  v1::Number n;
  if (j.is_string()) {
    n.set_decimal(j.get<std::string>());
  } else if (j.is_number_integer() && !j.is_number_unsigned()) {
    n.set_integer(j.get<int64_t>());
  } else if (j.is_number_unsigned()) {
    const uint64_t u = j.get<uint64_t>();
    if (u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      n.set_integer(static_cast<int64_t>(u));
    } else {
      n.set_decimal(std::to_string(u));
    }
  } else if (j.is_number_float()) {
    Fail(where, absl::StrCat("the JSON number ", j.dump(),
                             " would be read as a binary double; write exact decimals as strings, e.g. \"",
                             j.dump(), "\""));
  } else {
    Fail(where, "expected a number (a decimal string or an integer), got " + Describe(j));
  }
  return n;
}

v1::Value ValueFromJson(const json& j, const std::string& where) {
  v1::Value v;
  switch (j.type()) {
    case json::value_t::null: v.set_null_value(v1::NULL_VALUE); return v;
    case json::value_t::boolean: v.set_bool_value(j.get<bool>()); return v;
    case json::value_t::string: v.set_string_value(j.get<std::string>()); return v;
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: *v.mutable_number_value() = NumberFromJson(j, where); return v;
    case json::value_t::number_float:
      Fail(where, absl::StrCat("the JSON number ", j.dump(),
                               " would be read as a binary double; write exact decimals as {\"n\": \"",
                               j.dump(), "\"}"));
    case json::value_t::array: {
      auto* list = v.mutable_list_value();
      for (size_t i = 0; i < j.size(); ++i) *list->add_values() = ValueFromJson(j[i], absl::StrCat(where, "[", i, "]"));
      return v;
    }
    case json::value_t::object: break;
    default: Fail(where, "unsupported JSON value");
  }
  if (j.size() != 1) {
    Fail(where, absl::StrCat("a typed value is an object with exactly one type tag (", kTags,
                             "), e.g. {\"s\": \"x\"}; got ", j.size(), " keys"));
  }
  const std::string& tag = j.begin().key();
  const json& body = j.begin().value();
  const std::string inner = absl::StrCat(where, ".", tag);
  if (tag == "s") {
    v.set_string_value(String(body, inner));
  } else if (tag == "n") {
    *v.mutable_number_value() = NumberFromJson(body, inner);
  } else if (tag == "b") {
    v.set_bytes_value(Base64Decode(body, inner));
  } else if (tag == "bool") {
    if (!body.is_boolean()) Fail(inner, "expected true or false, got " + Describe(body));
    v.set_bool_value(body.get<bool>());
  } else if (tag == "null") {
    if (body != true) Fail(inner, "the null value is written {\"null\": true}");
    v.set_null_value(v1::NULL_VALUE);
  } else if (tag == "l") {
    auto* list = v.mutable_list_value();
    const json& a = Array(body, inner);
    for (size_t i = 0; i < a.size(); ++i) *list->add_values() = ValueFromJson(a[i], absl::StrCat(inner, "[", i, "]"));
  } else if (tag == "m") {
    if (!body.is_object()) Fail(inner, "expected an object of attribute name -> value, got " + Describe(body));
    auto* fields = v.mutable_map_value()->mutable_fields();
    for (const auto& [name, child] : body.items()) (*fields)[name] = ValueFromJson(child, absl::StrCat(inner, ".", name));
  } else if (tag == "ss") {
    const json& a = Array(body, inner);
    auto* set = v.mutable_string_set();
    for (size_t i = 0; i < a.size(); ++i) set->add_values(String(a[i], absl::StrCat(inner, "[", i, "]")));
  } else if (tag == "ns") {
    const json& a = Array(body, inner);
    auto* set = v.mutable_number_set();
    for (size_t i = 0; i < a.size(); ++i) *set->add_values() = NumberFromJson(a[i], absl::StrCat(inner, "[", i, "]"));
  } else if (tag == "bs") {
    const json& a = Array(body, inner);
    auto* set = v.mutable_bytes_set();
    for (size_t i = 0; i < a.size(); ++i) set->add_values(Base64Decode(a[i], absl::StrCat(inner, "[", i, "]")));
  } else {
    Fail(where, absl::StrCat("unknown type tag \"", tag, "\" (expected one of ", kTags, ")"));
  }
  return v;
}

client::Attributes AttributesFromJson(const json& j, const std::string& where) {
  if (!j.is_object()) {
    Fail(where, "expected an object of attribute name -> typed value, e.g. {\"id\": {\"s\": \"a\"}}, got " +
                    Describe(j));
  }
  client::Attributes out;
  for (const auto& [name, child] : j.items()) out[name] = ValueFromJson(child, absl::StrCat(where, ".", name));
  return out;
}

json ValueToJson(const v1::Value& value) {
  switch (value.kind_case()) {
    case v1::Value::kNullValue: return {{"null", true}};
    case v1::Value::kBoolValue: return {{"bool", value.bool_value()}};
    case v1::Value::kStringValue: return {{"s", value.string_value()}};
    case v1::Value::kBytesValue: return {{"b", absl::Base64Escape(value.bytes_value())}};
    case v1::Value::kNumberValue: return {{"n", client::NumberText(value.number_value())}};
    case v1::Value::kListValue: {
      json a = json::array();
      for (const v1::Value& e : value.list_value().values()) a.push_back(ValueToJson(e));
      return {{"l", a}};
    }
    case v1::Value::kMapValue: {
      json m = json::object();
      for (const auto& [k, e] : value.map_value().fields()) m[k] = ValueToJson(e);
      return {{"m", m}};
    }
    case v1::Value::kStringSet: {
      json a = json::array();
      for (const std::string& e : value.string_set().values()) a.push_back(e);
      return {{"ss", a}};
    }
    case v1::Value::kNumberSet: {
      json a = json::array();
      for (const v1::Number& e : value.number_set().values()) a.push_back(client::NumberText(e));
      return {{"ns", a}};
    }
    case v1::Value::kBytesSet: {
      json a = json::array();
      for (const std::string& e : value.bytes_set().values()) a.push_back(absl::Base64Escape(e));
      return {{"bs", a}};
    }
    case v1::Value::KIND_NOT_SET: break;
  }
  return json::object();
}

json AttributesToJson(const client::Attributes& attributes) {
  json out = json::object();
  for (const auto& [name, value] : attributes) out[name] = ValueToJson(value);
  return out;
}

void MessageFromJson(json j, pb::Message* message, const std::string& where) {
  if (!j.is_object()) {
    Fail(where, absl::StrCat("expected a JSON object (", message->GetDescriptor()->name(), "), got ", Describe(j)));
  }
  Rewrite(j, message->GetDescriptor(), where);
  pb::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const auto status = pb::util::JsonStringToMessage(j.dump(), message, options);
  if (!status.ok()) {
    Fail(where, absl::StrCat("not a valid ", message->GetDescriptor()->name(), ": ", std::string(status.message())));
  }
}

json MessageToJson(const pb::Message& message) {
  const pb::Descriptor* d = message.GetDescriptor();
  if (IsValueMessage(d)) return ValueToJson(static_cast<const v1::Value&>(message));
  if (IsNumberMessage(d)) return client::NumberText(static_cast<const v1::Number&>(message));
  if (d->full_name() == "google.rpc.Status") {
    return StatusToJson(static_cast<const google::rpc::Status&>(message));
  }
  json out = json::object();
  std::vector<const pb::FieldDescriptor*> fields;
  message.GetReflection()->ListFields(message, &fields);
  const pb::Reflection* r = message.GetReflection();
  for (const pb::FieldDescriptor* field : fields) {
    if (field->is_map()) {
      json m = json::object();
      const pb::FieldDescriptor* key_field = field->message_type()->map_key();
      const pb::FieldDescriptor* value_field = field->message_type()->map_value();
      for (int i = 0; i < r->FieldSize(message, field); ++i) {
        const pb::Message& entry = r->GetRepeatedMessage(message, field, i);
        json key = SingleToJson(entry, key_field, -1);
        m[key.is_string() ? key.get<std::string>() : key.dump()] = SingleToJson(entry, value_field, -1);
      }
      out[field->name()] = m;
    } else if (field->is_repeated()) {
      json a = json::array();
      for (int i = 0; i < r->FieldSize(message, field); ++i) a.push_back(SingleToJson(message, field, i));
      out[field->name()] = a;
    } else {
      out[field->name()] = SingleToJson(message, field, -1);
    }
  }
  return out;
}

}  // namespace altgw::cli
