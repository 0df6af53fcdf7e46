#include "model/table_requests.h"

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "model/item_requests.h"
#include "model/limits.h"
#include "model/table_names.h"
#include "model/table_schema.h"
#include "model/value_codec.h"

namespace altgw::model {
namespace {

using nlohmann::json;

// ListTables tokens are bound to this constant: they carry a table name to start after, nothing else.
constexpr char kListTablesBinding[] = "ListTables";

// Collects AttributeDefinitions across the table and its indexes, rejecting one name with two types.
class AttributeDefinitions {
 public:
  explicit AttributeDefinitions(Violations& violations) : violations_(violations) {}

  // Validates a key attribute and returns its KeySchema element.
  json Key(const v1::KeyAttribute& attribute, const char* key_type, const FieldRef& field) {
    if (attribute.name().empty()) {
      violations_.Add(field.Child("name"), "key attribute name must be set");
    } else if (attribute.name().size() > kMaxKeyAttributeNameBytes) {
      violations_.Add(field.Child("name"), absl::StrCat("key attribute names are at most ",
                                                        kMaxKeyAttributeNameBytes, " bytes"));
    }
    const char* code = ScalarTypeCode(attribute.type());
    if (*code == '\0') violations_.Add(field.Child("type"), "type must be set (string, number or binary)");
    auto [it, inserted] = types_.try_emplace(attribute.name(), attribute.type());
    if (!inserted && it->second != attribute.type()) {
      violations_.Add(field.Child("type"), absl::StrCat("attribute '", attribute.name(),
                                                        "' is declared with two different types"));
    }
    if (inserted) order_.push_back(attribute.name());
    return json{{"AttributeName", attribute.name()}, {"KeyType", key_type}};
  }

  json ToJson() const {
    json out = json::array();
    for (const std::string& name : order_) {
      out.push_back(json{{"AttributeName", name}, {"AttributeType", ScalarTypeCode(types_.at(name))}});
    }
    return out;
  }

 private:
  Violations& violations_;
  absl::flat_hash_map<std::string, v1::ScalarType> types_;
  std::vector<std::string> order_;
};

json Projection(const v1::IndexProjection& projection, const FieldRef& field, Violations& violations) {
  json out = json::object();
  switch (projection.type()) {
    case v1::PROJECTION_TYPE_KEYS_ONLY:
      out["ProjectionType"] = "KEYS_ONLY";
      break;
    case v1::PROJECTION_TYPE_INCLUDE: {
      out["ProjectionType"] = "INCLUDE";
      if (projection.non_key_attributes().empty()) {
        violations.Add(field.Child("non_key_attributes"), "INCLUDE needs at least one attribute");
      }
      json names = json::array();
      for (const std::string& name : projection.non_key_attributes()) names.push_back(name);
      out["NonKeyAttributes"] = std::move(names);
      return out;
    }
    default:
      out["ProjectionType"] = "ALL";
  }
  if (!projection.non_key_attributes().empty()) {
    violations.Add(field.Child("non_key_attributes"), "only used with PROJECTION_TYPE_INCLUDE");
  }
  return out;
}

BackendCall SchemaCall(const char* operation, AccessKind access, std::string table, const json& body) {
  BackendCall call;
  call.operation = operation;
  call.access = access;
  call.table = std::move(table);
  call.body = body.dump();
  return call;
}

}  // namespace

ErrorOr<BackendCall> TranslateCreateTable(const v1::CreateTableRequest& request) {
  Violations violations;
  CheckTableName(request.table(), FieldRef("table"), violations);
  AttributeDefinitions definitions(violations);
  json body = json::object();
  body["TableName"] = request.table();
  body["BillingMode"] = "PAY_PER_REQUEST";

  json key_schema = json::array();
  key_schema.push_back(definitions.Key(request.partition_key(), "HASH", FieldRef("partition_key")));
  const bool has_sort_key = !request.sort_key().name().empty();
  if (has_sort_key) key_schema.push_back(definitions.Key(request.sort_key(), "RANGE", FieldRef("sort_key")));
  body["KeySchema"] = std::move(key_schema);

  absl::flat_hash_map<std::string, bool> index_names;
  auto check_index_name = [&](const std::string& name, const FieldRef& field) {
    CheckTableName(name, field, violations);
    if (!index_names.emplace(name, true).second) violations.Add(field, "index names must be unique");
  };

  if (!request.global_secondary_indexes().empty()) {
    json indexes = json::array();
    const FieldRef field("global_secondary_indexes");
    for (int i = 0; i < request.global_secondary_indexes_size(); ++i) {
      const v1::GlobalSecondaryIndex& index = request.global_secondary_indexes(i);
      const FieldRef index_field = field.Index(i);
      check_index_name(index.name(), index_field.Child("name"));
      json index_key = json::array();
      index_key.push_back(definitions.Key(index.partition_key(), "HASH", index_field.Child("partition_key")));
      if (!index.sort_key().name().empty()) {
        index_key.push_back(definitions.Key(index.sort_key(), "RANGE", index_field.Child("sort_key")));
      }
      indexes.push_back(json{{"IndexName", index.name()},
                             {"KeySchema", std::move(index_key)},
                             {"Projection", Projection(index.projection(), index_field.Child("projection"),
                                                       violations)}});
    }
    body["GlobalSecondaryIndexes"] = std::move(indexes);
  }

  if (!request.local_secondary_indexes().empty()) {
    const FieldRef field("local_secondary_indexes");
    if (!has_sort_key) violations.Add(field, "local secondary indexes need a table with a sort key");
    json indexes = json::array();
    for (int i = 0; i < request.local_secondary_indexes_size(); ++i) {
      const v1::LocalSecondaryIndex& index = request.local_secondary_indexes(i);
      const FieldRef index_field = field.Index(i);
      check_index_name(index.name(), index_field.Child("name"));
      json index_key = json::array();
      index_key.push_back(json{{"AttributeName", request.partition_key().name()}, {"KeyType", "HASH"}});
      index_key.push_back(definitions.Key(index.sort_key(), "RANGE", index_field.Child("sort_key")));
      indexes.push_back(json{{"IndexName", index.name()},
                             {"KeySchema", std::move(index_key)},
                             {"Projection", Projection(index.projection(), index_field.Child("projection"),
                                                       violations)}});
    }
    body["LocalSecondaryIndexes"] = std::move(indexes);
  }
  body["AttributeDefinitions"] = definitions.ToJson();
  if (!violations.empty()) return violations.ToError();
  return SchemaCall("CreateTable", AccessKind::kSchema, request.table(), body);
}

ErrorOr<BackendCall> TranslateDescribeTable(const v1::DescribeTableRequest& request) {
  Violations violations;
  CheckTableName(request.table(), FieldRef("table"), violations);
  if (!violations.empty()) return violations.ToError();
  return DescribeTableCall(request.table());
}

BackendCall DescribeTableCall(const std::string& table) {
  return SchemaCall("DescribeTable", AccessKind::kRead, table, json{{"TableName", table}});
}

ErrorOr<BackendCall> TranslateDeleteTable(const v1::DeleteTableRequest& request) {
  Violations violations;
  CheckTableName(request.table(), FieldRef("table"), violations);
  if (!violations.empty()) return violations.ToError();
  return SchemaCall("DeleteTable", AccessKind::kSchema, request.table(), json{{"TableName", request.table()}});
}

ErrorOr<BackendCall> TranslateListTables(const v1::ListTablesRequest& request, const PageTokenCodec& tokens,
                                         absl::Time now) {
  if (request.page_size() > kMaxListTablesPageSize) {
    return GatewayError::InvalidField("page_size", absl::StrCat("at most ", kMaxListTablesPageSize));
  }
  json body = json::object();
  body["Limit"] = request.page_size() == 0 ? kDefaultListTablesPageSize : request.page_size();
  if (!request.page_token().empty()) {
    DecodedPageToken decoded = tokens.Decode(request.page_token(), kListTablesBinding, now);
    if (decoded.problem == PageTokenProblem::kExpired) return GatewayError::PageTokenExpired("page_token");
    if (decoded.problem != PageTokenProblem::kNone) {
      return GatewayError::InvalidPageToken("page_token", "not a ListTables page token issued by this gateway");
    }
    body["ExclusiveStartTableName"] = decoded.payload;
  }
  return SchemaCall("ListTables", AccessKind::kRead, "", body);
}

ErrorOr<v1::CreateTableResponse> ParseCreateTableResponse(const json& body) {
  auto table = body.find("TableDescription");
  if (table == body.end()) return MalformedAnswer("CreateTable", absl::InternalError("no TableDescription"));
  auto description = ParseTableDescription(*table);
  if (!description.ok()) return MalformedAnswer("CreateTable", description.status());
  v1::CreateTableResponse response;
  *response.mutable_table() = *std::move(description);
  return response;
}

ErrorOr<v1::DescribeTableResponse> ParseDescribeTableResponse(const json& body) {
  auto table = body.find("Table");
  if (table == body.end()) return MalformedAnswer("DescribeTable", absl::InternalError("no Table"));
  auto description = ParseTableDescription(*table);
  if (!description.ok()) return MalformedAnswer("DescribeTable", description.status());
  v1::DescribeTableResponse response;
  *response.mutable_table() = *std::move(description);
  return response;
}

ErrorOr<v1::ListTablesResponse> ParseListTablesResponse(const json& body, const PageTokenCodec& tokens,
                                                        absl::Time now) {
  v1::ListTablesResponse response;
  auto names = body.find("TableNames");
  if (names != body.end()) {
    if (!names->is_array()) return MalformedAnswer("ListTables", absl::InternalError("TableNames is not a list"));
    for (const json& name : *names) {
      if (!name.is_string()) return MalformedAnswer("ListTables", absl::InternalError("a table name is not a string"));
      response.add_tables(name.get<std::string>());
    }
  }
  auto last = body.find("LastEvaluatedTableName");
  if (last != body.end() && last->is_string()) {
    response.set_next_page_token(tokens.Encode(kListTablesBinding, last->get<std::string>(), now));
  }
  return response;
}

}  // namespace altgw::model
