#include "model/key_codec.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "model/limits.h"

namespace altgw::model {
namespace {

v1::ScalarType KindOf(const v1::Value& value) {
  switch (value.kind_case()) {
    case v1::Value::kStringValue:
      return v1::SCALAR_TYPE_STRING;
    case v1::Value::kNumberValue:
      return v1::SCALAR_TYPE_NUMBER;
    case v1::Value::kBytesValue:
      return v1::SCALAR_TYPE_BINARY;
    default:
      return v1::SCALAR_TYPE_UNSPECIFIED;
  }
}

}  // namespace

bool CheckKeyValue(const v1::Value& value, v1::ScalarType expected, size_t max_bytes,
                   absl::string_view attribute, const FieldRef& field, Violations& violations) {
  const v1::ScalarType actual = KindOf(value);
  if (actual != expected) {
    violations.Add(field, absl::StrCat("key attribute '", attribute, "' must be a ", ScalarTypeName(expected),
                                       " (", expected == v1::SCALAR_TYPE_STRING   ? "string_value"
                                             : expected == v1::SCALAR_TYPE_NUMBER ? "number_value"
                                                                                  : "bytes_value",
                                       ") as the table's schema says"));
    return false;
  }
  size_t bytes = 0;
  if (actual == v1::SCALAR_TYPE_STRING) bytes = value.string_value().size();
  if (actual == v1::SCALAR_TYPE_BINARY) bytes = value.bytes_value().size();
  if (actual != v1::SCALAR_TYPE_NUMBER && bytes == 0) {
    violations.Add(field, absl::StrCat("key attribute '", attribute, "' may not be empty"));
    return false;
  }
  if (bytes > max_bytes) {
    violations.Add(field, absl::StrCat("key attribute '", attribute, "' is ", bytes, " bytes; at most ",
                                       max_bytes, " are allowed"));
    return false;
  }
  return true;
}

nlohmann::json EncodeKey(const KeySchema& schema, const AttributeMap& key, const FieldRef& field,
                         ValueEncoder& encoder) {
  Violations& violations = encoder.violations();
  auto check = [&](const KeyAttributeSchema& attribute, size_t max_bytes) {
    auto it = key.find(attribute.name);
    if (it == key.end()) {
      violations.Add(field, absl::StrCat("missing key attribute '", attribute.name, "'"));
      return;
    }
    CheckKeyValue(it->second, attribute.type, max_bytes, attribute.name, field.Key(attribute.name),
                  violations);
  };
  check(schema.partition, kMaxPartitionKeyBytes);
  if (schema.has_sort_key()) check(schema.sort, kMaxSortKeyBytes);
  for (const auto& [name, value] : key) {
    if (name != schema.partition.name && (!schema.has_sort_key() || name != schema.sort.name)) {
      violations.Add(field.Key(name), absl::StrCat("'", name, "' is not a key attribute of the table (the key is ",
                                                   schema.has_sort_key()
                                                       ? absl::StrCat("'", schema.partition.name, "' and '",
                                                                      schema.sort.name, "'")
                                                       : absl::StrCat("'", schema.partition.name, "'"),
                                                   ")"));
    }
  }
  size_t size = 0;
  return encoder.EncodeAttributes(key, field, &size);
}

void CheckItemKeyAttributes(const TableSchema& schema, const AttributeMap& item, const FieldRef& field,
                            Violations& violations) {
  auto check_table_key = [&](const KeyAttributeSchema& attribute, size_t max_bytes) {
    auto it = item.find(attribute.name);
    if (it == item.end()) {
      violations.Add(field, absl::StrCat("missing key attribute '", attribute.name, "'"));
      return;
    }
    CheckKeyValue(it->second, attribute.type, max_bytes, attribute.name, field.Key(attribute.name),
                  violations);
  };
  check_table_key(schema.key.partition, kMaxPartitionKeyBytes);
  if (schema.key.has_sort_key()) check_table_key(schema.key.sort, kMaxSortKeyBytes);

  // Index key attributes are optional in an item (it is then absent from the index), but when present
  // they must have the declared type, not be empty, and fit the index key limits: 1024 bytes for an index
  // sort key, 2048 for an index partition key (measured on DynamoDB Local).
  for (const auto& [name, type] : schema.attribute_types) {
    if (schema.IsTableKeyAttribute(name)) continue;
    auto it = item.find(name);
    if (it == item.end()) continue;
    CheckKeyValue(it->second, type, MaxIndexKeyBytes(schema, name), name, field.Key(name), violations);
  }
}

size_t MaxIndexKeyBytes(const TableSchema& schema, absl::string_view name) {
  const bool sort_key = std::any_of(schema.indexes.begin(), schema.indexes.end(), [name](const IndexSchema& index) {
    return index.key.has_sort_key() && index.key.sort.name == name;
  });
  return sort_key ? kMaxSortKeyBytes : kMaxPartitionKeyBytes;
}

}  // namespace altgw::model
