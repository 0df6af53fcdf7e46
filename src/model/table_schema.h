// TableSchema: what the gateway knows about a table's keys and indexes (from DescribeTable), used to
// validate keys before sending, to name key attributes in Query, and to find the partition key for routing.
#ifndef ALTGW_MODEL_TABLE_SCHEMA_H_
#define ALTGW_MODEL_TABLE_SCHEMA_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "alternator/gateway/v1/table_service.pb.h"
#include "alternator/gateway/v1/value.pb.h"
#include "nlohmann/json.hpp"

namespace altgw::model {

namespace v1 = ::alternator::gateway::v1;

struct KeyAttributeSchema {
  std::string name;
  v1::ScalarType type = v1::SCALAR_TYPE_UNSPECIFIED;
};

struct KeySchema {
  KeyAttributeSchema partition;
  // Empty name: no sort key.
  KeyAttributeSchema sort;

  bool has_sort_key() const { return !sort.name.empty(); }
};

struct IndexSchema {
  std::string name;
  bool global = false;
  KeySchema key;
};

struct TableSchema {
  std::string table;
  KeySchema key;
  std::vector<IndexSchema> indexes;
  // Every attribute with a declared type (table and index keys).
  absl::flat_hash_map<std::string, v1::ScalarType> attribute_types;
  // Versioned tables (gateway configuration, not the database's schema): the attribute holding the item's
  // version. Empty: not versioned.
  std::string version_attribute;

  const IndexSchema* FindIndex(absl::string_view name) const;
  bool IsTableKeyAttribute(absl::string_view name) const {
    return name == key.partition.name || (key.has_sort_key() && name == key.sort.name);
  }
};

// The schema from a DescribeTable answer's `Table` object.
absl::StatusOr<TableSchema> ParseTableSchema(const nlohmann::json& table);

// The public description of a table (DescribeTable / CreateTable answers).
absl::StatusOr<v1::TableDescription> ParseTableDescription(const nlohmann::json& table);

// DynamoDB's one-letter type of a key attribute ("S", "N", "B"), and back.
const char* ScalarTypeCode(v1::ScalarType type);
v1::ScalarType ScalarTypeFromCode(absl::string_view code);
// "string", "number", "bytes": for messages.
const char* ScalarTypeName(v1::ScalarType type);

}  // namespace altgw::model

#endif  // ALTGW_MODEL_TABLE_SCHEMA_H_
