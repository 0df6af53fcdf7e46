// Key validation and encoding against a table's schema: a key holds exactly the key attributes, each of
// the schema's scalar type, non-empty, within DynamoDB's size limits.
#ifndef ALTGW_MODEL_KEY_CODEC_H_
#define ALTGW_MODEL_KEY_CODEC_H_

#include "common/violations.h"
#include "model/table_schema.h"
#include "model/value_codec.h"
#include "nlohmann/json.hpp"

namespace altgw::model {

// Encodes `key`, which must hold exactly the attributes of `schema`.
nlohmann::json EncodeKey(const KeySchema& schema, const AttributeMap& key, const FieldRef& field,
                         ValueEncoder& encoder);

// Checks, inside a whole item, the table's key attributes (present, typed, non-empty, within limits) and
// the index key attributes (typed and non-empty when present: DynamoDB rejects wrong ones).
void CheckItemKeyAttributes(const TableSchema& schema, const AttributeMap& item, const FieldRef& field,
                            Violations& violations);

// The size limit of the index key attribute `name`: 1024 bytes when it is the sort key of an index, 2048
// otherwise (measured on DynamoDB Local).
size_t MaxIndexKeyBytes(const TableSchema& schema, absl::string_view name);

// Checks one key value: the expected scalar kind, non-empty, at most `max_bytes`.
bool CheckKeyValue(const v1::Value& value, v1::ScalarType expected, size_t max_bytes,
                   absl::string_view attribute, const FieldRef& field, Violations& violations);

}  // namespace altgw::model

#endif  // ALTGW_MODEL_KEY_CODEC_H_
