#include "model/table_schema.h"

#include "absl/strings/str_cat.h"

namespace altgw::model {
namespace {

using nlohmann::json;

const std::string* StringField(const json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || !it->is_string()) return nullptr;
  return &it->get_ref<const std::string&>();
}

absl::StatusOr<KeySchema> ParseKeySchema(const json& key_schema,
                                         const absl::flat_hash_map<std::string, v1::ScalarType>& types) {
  if (!key_schema.is_array()) return absl::InternalError("KeySchema is not a list");
  KeySchema out;
  for (const json& element : key_schema) {
    const std::string* name = StringField(element, "AttributeName");
    const std::string* key_type = StringField(element, "KeyType");
    if (name == nullptr || key_type == nullptr) return absl::InternalError("malformed KeySchema element");
    auto type = types.find(*name);
    KeyAttributeSchema attribute{*name, type == types.end() ? v1::SCALAR_TYPE_UNSPECIFIED : type->second};
    if (*key_type == "HASH") {
      out.partition = std::move(attribute);
    } else if (*key_type == "RANGE") {
      out.sort = std::move(attribute);
    } else {
      return absl::InternalError(absl::StrCat("unknown KeyType ", *key_type));
    }
  }
  if (out.partition.name.empty()) return absl::InternalError("KeySchema has no HASH key");
  return out;
}

absl::flat_hash_map<std::string, v1::ScalarType> ParseAttributeTypes(const json& table) {
  absl::flat_hash_map<std::string, v1::ScalarType> types;
  auto definitions = table.find("AttributeDefinitions");
  if (definitions == table.end() || !definitions->is_array()) return types;
  for (const json& definition : *definitions) {
    const std::string* name = StringField(definition, "AttributeName");
    const std::string* type = StringField(definition, "AttributeType");
    if (name != nullptr && type != nullptr) types[*name] = ScalarTypeFromCode(*type);
  }
  return types;
}

v1::KeyAttribute ToKeyAttribute(const KeyAttributeSchema& schema) {
  v1::KeyAttribute out;
  out.set_name(schema.name);
  out.set_type(schema.type);
  return out;
}

v1::IndexProjection ParseProjection(const json& index) {
  v1::IndexProjection out;
  auto projection = index.find("Projection");
  if (projection == index.end() || !projection->is_object()) return out;
  if (const std::string* type = StringField(*projection, "ProjectionType")) {
    if (*type == "KEYS_ONLY") out.set_type(v1::PROJECTION_TYPE_KEYS_ONLY);
    if (*type == "INCLUDE") out.set_type(v1::PROJECTION_TYPE_INCLUDE);
  }
  auto attributes = projection->find("NonKeyAttributes");
  if (attributes != projection->end() && attributes->is_array()) {
    for (const json& name : *attributes) {
      if (name.is_string()) out.add_non_key_attributes(name.get<std::string>());
    }
  }
  return out;
}

v1::TableStatus ParseStatus(const json& table) {
  const std::string* status = StringField(table, "TableStatus");
  if (status == nullptr) return v1::TABLE_STATUS_UNSPECIFIED;
  if (*status == "CREATING") return v1::TABLE_STATUS_CREATING;
  if (*status == "ACTIVE") return v1::TABLE_STATUS_ACTIVE;
  if (*status == "UPDATING") return v1::TABLE_STATUS_UPDATING;
  if (*status == "DELETING") return v1::TABLE_STATUS_DELETING;
  return v1::TABLE_STATUS_UNSPECIFIED;
}

}  // namespace

const IndexSchema* TableSchema::FindIndex(absl::string_view name) const {
  for (const IndexSchema& index : indexes) {
    if (index.name == name) return &index;
  }
  return nullptr;
}

absl::StatusOr<TableSchema> ParseTableSchema(const json& table) {
  if (!table.is_object()) return absl::InternalError("DescribeTable answer has no Table object");
  TableSchema schema;
  const std::string* name = StringField(table, "TableName");
  if (name == nullptr) return absl::InternalError("DescribeTable answer has no TableName");
  schema.table = *name;
  schema.attribute_types = ParseAttributeTypes(table);
  auto key_schema = table.find("KeySchema");
  if (key_schema == table.end()) return absl::InternalError("DescribeTable answer has no KeySchema");
  auto key = ParseKeySchema(*key_schema, schema.attribute_types);
  if (!key.ok()) return key.status();
  schema.key = *std::move(key);

  for (const char* kind : {"GlobalSecondaryIndexes", "LocalSecondaryIndexes"}) {
    auto indexes = table.find(kind);
    if (indexes == table.end() || !indexes->is_array()) continue;
    for (const json& index : *indexes) {
      const std::string* index_name = StringField(index, "IndexName");
      auto index_key_schema = index.find("KeySchema");
      if (index_name == nullptr || index_key_schema == index.end()) {
        return absl::InternalError("malformed secondary index description");
      }
      auto index_key = ParseKeySchema(*index_key_schema, schema.attribute_types);
      if (!index_key.ok()) return index_key.status();
      schema.indexes.push_back(
          IndexSchema{*index_name, kind[0] == 'G', *std::move(index_key)});
    }
  }
  return schema;
}

absl::StatusOr<v1::TableDescription> ParseTableDescription(const json& table) {
  auto schema = ParseTableSchema(table);
  if (!schema.ok()) return schema.status();
  v1::TableDescription out;
  out.set_name(schema->table);
  *out.mutable_partition_key() = ToKeyAttribute(schema->key.partition);
  if (schema->key.has_sort_key()) *out.mutable_sort_key() = ToKeyAttribute(schema->key.sort);
  out.set_status(ParseStatus(table));
  if (auto count = table.find("ItemCount"); count != table.end() && count->is_number_integer()) {
    out.set_approximate_item_count(count->get<int64_t>());
  }
  for (const char* kind : {"GlobalSecondaryIndexes", "LocalSecondaryIndexes"}) {
    auto indexes = table.find(kind);
    if (indexes == table.end() || !indexes->is_array()) continue;
    for (const json& index : *indexes) {
      const IndexSchema* parsed = schema->FindIndex(index.value("IndexName", ""));
      if (parsed == nullptr) continue;
      if (parsed->global) {
        v1::GlobalSecondaryIndex* gsi = out.add_global_secondary_indexes();
        gsi->set_name(parsed->name);
        *gsi->mutable_partition_key() = ToKeyAttribute(parsed->key.partition);
        if (parsed->key.has_sort_key()) *gsi->mutable_sort_key() = ToKeyAttribute(parsed->key.sort);
        *gsi->mutable_projection() = ParseProjection(index);
      } else {
        v1::LocalSecondaryIndex* lsi = out.add_local_secondary_indexes();
        lsi->set_name(parsed->name);
        *lsi->mutable_sort_key() = ToKeyAttribute(parsed->key.sort);
        *lsi->mutable_projection() = ParseProjection(index);
      }
    }
  }
  return out;
}

const char* ScalarTypeCode(v1::ScalarType type) {
  switch (type) {
    case v1::SCALAR_TYPE_STRING:
      return "S";
    case v1::SCALAR_TYPE_NUMBER:
      return "N";
    case v1::SCALAR_TYPE_BINARY:
      return "B";
    default:
      return "";
  }
}

v1::ScalarType ScalarTypeFromCode(absl::string_view code) {
  if (code == "S") return v1::SCALAR_TYPE_STRING;
  if (code == "N") return v1::SCALAR_TYPE_NUMBER;
  if (code == "B") return v1::SCALAR_TYPE_BINARY;
  return v1::SCALAR_TYPE_UNSPECIFIED;
}

const char* ScalarTypeName(v1::ScalarType type) {
  switch (type) {
    case v1::SCALAR_TYPE_STRING:
      return "string";
    case v1::SCALAR_TYPE_NUMBER:
      return "number";
    case v1::SCALAR_TYPE_BINARY:
      return "bytes";
    default:
      return "unknown";
  }
}

}  // namespace altgw::model
