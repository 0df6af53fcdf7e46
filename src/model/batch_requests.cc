#include "model/batch_requests.h"

#include <algorithm>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "model/answer_items.h"
#include "model/condition_compiler.h"
#include "model/expression_context.h"
#include "model/item_requests.h"
#include "model/key_codec.h"
#include "model/limits.h"
#include "model/table_names.h"
#include "model/value_codec.h"
#include "model/versioning.h"

namespace altgw::model {
namespace {

using nlohmann::json;

// The partition key of an encoded item or key, for key affinity.
PartitionKeyBytes PartitionKeyOf(const KeySchema& key, const json& attributes) {
  PartitionKeyBytes out;
  auto it = attributes.find(key.partition.name);
  if (it == attributes.end()) return out;
  switch (key.partition.type) {
    case v1::SCALAR_TYPE_STRING:
      out.bytes = (*it)["S"].get<std::string>();
      break;
    case v1::SCALAR_TYPE_NUMBER:
      out.bytes = (*it)["N"].get<std::string>();
      break;
    case v1::SCALAR_TYPE_BINARY:
      absl::Base64Unescape((*it)["B"].get<std::string>(), &out.bytes);
      break;
    default:
      return out;
  }
  out.type = key.partition.type;
  return out;
}

}  // namespace

std::string EntryId(const std::string& table, const KeySchema& key, const json& attributes) {
  json identity = json::object();
  for (const KeyAttributeSchema* attribute : {&key.partition, &key.sort}) {
    if (attribute->name.empty()) continue;
    auto it = attributes.find(attribute->name);
    if (it != attributes.end()) identity[attribute->name] = *it;
  }
  // Object keys are sorted by nlohmann::json, so the dump is canonical; numbers are canonical already.
  return absl::StrCat(table.size(), ":", table, identity.dump());
}

ErrorOr<BatchGetPlan> TranslateBatchGet(const v1::BatchGetRequest& request, const SchemaLookup& schemas) {
  Violations violations;
  ValueEncoder encoder(violations);
  BatchGetPlan plan;
  if (request.tables().empty()) violations.Add(FieldRef("tables"), "needs at least one table");

  // Per table: the parameters every chunk repeats, and the encoded keys.
  struct TableRequest {
    json parameters = json::object();
    std::vector<json> keys;
  };
  std::vector<TableRequest> tables;
  absl::flat_hash_set<std::string> table_names;
  const FieldRef tables_field("tables");
  for (int t = 0; t < request.tables_size(); ++t) {
    const v1::TableKeys& entry = request.tables(t);
    const FieldRef table_field = tables_field.Index(t);
    const FieldRef name_field = table_field.Child("table");
    plan.tables.push_back(entry.table());
    TableRequest& out = tables.emplace_back();
    if (!CheckTableName(entry.table(), name_field, violations)) continue;
    if (!table_names.insert(entry.table()).second) {
      violations.Add(name_field, "the table appears twice; list all its keys in one entry");
      continue;
    }
    const TableSchema* schema = schemas(entry.table());
    if (schema == nullptr) return GatewayError::TableNotFound(entry.table());
    if (entry.keys().empty()) violations.Add(table_field.Child("keys"), "needs at least one key");
    ExpressionContext context;
    if (!entry.projection().empty()) {
      out.parameters["ProjectionExpression"] =
          CompileProjection(entry.projection(), table_field.Child("projection"), context, violations);
    }
    std::move(context).WriteTo(out.parameters);
    if (entry.consistent_read()) out.parameters["ConsistentRead"] = true;

    const FieldRef keys_field = table_field.Child("keys");
    absl::flat_hash_set<std::string> seen;
    for (int k = 0; k < entry.keys_size(); ++k) {
      const FieldRef key_field = keys_field.Index(k);
      const FieldRef attributes_field = key_field.Child("attributes");
      json key = EncodeKey(schema->key, entry.keys(k).attributes(), attributes_field, encoder);
      if (!violations.empty()) continue;
      if (!seen.insert(key.dump()).second) {
        violations.Add(key_field, "duplicate key: each item may be asked for once");
        continue;
      }
      out.keys.push_back(std::move(key));
    }
  }
  if (!violations.empty()) return violations.ToError();

  // Pack keys into chunks of at most kBatchGetChunk, across tables.
  json chunk = json::object();
  size_t in_chunk = 0;
  for (size_t t = 0; t < tables.size(); ++t) {
    for (json& key : tables[t].keys) {
      if (in_chunk == kBatchGetChunk) {
        plan.chunks.push_back(std::move(chunk));
        chunk = json::object();
        in_chunk = 0;
      }
      json& table_items = chunk[request.tables(static_cast<int>(t)).table()];
      if (table_items.is_null()) {
        table_items = tables[t].parameters;
        table_items["Keys"] = json::array();
      }
      table_items["Keys"].push_back(std::move(key));
      ++in_chunk;
    }
  }
  if (in_chunk > 0) plan.chunks.push_back(std::move(chunk));
  return plan;
}

BackendCall BatchGetCall(const json& request_items) {
  BackendCall call;
  call.operation = "BatchGetItem";
  call.access = AccessKind::kRead;
  if (!request_items.empty()) call.table = request_items.begin().key();
  call.body = json{{"RequestItems", request_items}}.dump();
  return call;
}

ErrorOr<BatchGetAnswer> ParseBatchGetAnswer(const Answer& body, const SchemaLookup& schemas) {
  const simdjson::dom::element& root = body.root();
  BatchGetAnswer answer;
  if (std::optional<simdjson::dom::element> responses = LastMember(root, "Responses")) {
    simdjson::dom::object tables;
    if (responses->get(tables) != simdjson::SUCCESS) {
      return MalformedAnswer("BatchGetItem", absl::InternalError("Responses is not an object"));
    }
    // A table named twice counts once, as its last member (nlohmann keeps the last of repeated names).
    std::vector<std::pair<std::string_view, simdjson::dom::element>> members;
    for (simdjson::dom::key_value_pair member : tables) members.emplace_back(member.key, member.value);
    for (size_t i = 0; i < members.size(); ++i) {
      const auto& [table, value] = members[i];
      if (std::any_of(members.begin() + static_cast<ptrdiff_t>(i) + 1, members.end(),
                      [&](const auto& later) { return later.first == table; })) {
        continue;
      }
      simdjson::dom::array items;
      if (value.get(items) != simdjson::SUCCESS) {
        return MalformedAnswer("BatchGetItem", absl::InternalError("a table's items are not a list"));
      }
      const std::string table_name(table);
      const TableSchema* schema = schemas(table_name);
      for (simdjson::dom::element item : items) {
        v1::Item decoded;
        if (absl::Status s = DecodeAttributes(item, decoded.mutable_attributes()); !s.ok()) {
          return MalformedAnswer("BatchGetItem", s);
        }
        if (schema != nullptr) FillVersion(*schema, decoded.attributes(), &decoded);
        answer.items.emplace_back(table_name, std::move(decoded));
      }
    }
  }
  // Kept as JSON: it is sent back as the next call's RequestItems. Rare (throttling), so re-parsed.
  if (std::optional<simdjson::dom::element> unprocessed = LastMember(root, "UnprocessedKeys");
      unprocessed && unprocessed->is_object()) {
    answer.unprocessed = ParseAnswerJson(simdjson::minify(*unprocessed));
  }
  return answer;
}

ErrorOr<BatchWritePlan> TranslateBatchWrite(const v1::BatchWriteRequest& request, const SchemaLookup& schemas) {
  Violations violations;
  ValueEncoder encoder(violations);
  BatchWritePlan plan;
  const FieldRef entries_field("entries");
  if (request.entries().empty()) violations.Add(entries_field, "needs at least one entry");

  struct Encoded {
    std::string table;
    json request;  // {"PutRequest": {...}} or {"DeleteRequest": {...}}
    PartitionKeyBytes partition_key;
  };
  std::vector<Encoded> encoded(static_cast<size_t>(request.entries_size()));
  plan.entry_ids.resize(static_cast<size_t>(request.entries_size()));
  absl::flat_hash_set<std::string> seen;
  for (int i = 0; i < request.entries_size(); ++i) {
    const v1::WriteEntry& entry = request.entries(i);
    const FieldRef entry_field = entries_field.Index(i);
    const FieldRef table_field = entry_field.Child("table");
    if (!CheckTableName(entry.table(), table_field, violations)) continue;
    const TableSchema* schema = schemas(entry.table());
    if (schema == nullptr) return GatewayError::TableNotFound(entry.table());
    json attributes;
    const size_t before = violations.count();
    if (entry.has_put()) {
      const FieldRef item_field = entry_field.Child("put.attributes");
      if (!schema->version_attribute.empty()) {
        violations.Add(entry_field.Child("put"),
                       absl::StrCat("table '", entry.table(), "' is versioned: a batch cannot bump versions "
                                    "atomically; write it with Put or Transaction"));
        continue;
      }
      CheckItemKeyAttributes(*schema, entry.put().attributes(), item_field, violations);
      size_t size = 0;
      attributes = encoder.EncodeAttributes(entry.put().attributes(), item_field, &size);
      if (size > kMaxItemBytes) {
        violations.Add(item_field, absl::StrCat("the item is ", size, " bytes as DynamoDB counts them; at most ",
                                                kMaxItemBytes, " are allowed"));
      }
      encoded[i].request = json{{"PutRequest", json{{"Item", attributes}}}};
    } else if (entry.has_delete_()) {
      attributes = EncodeKey(schema->key, entry.delete_().attributes(), entry_field.Child("delete.attributes"),
                             encoder);
      encoded[i].request = json{{"DeleteRequest", json{{"Key", attributes}}}};
    } else {
      violations.Add(entry_field, "set `put` or `delete`");
      continue;
    }
    if (violations.count() != before) continue;
    std::string id = EntryId(entry.table(), schema->key, attributes);
    if (!seen.insert(id).second) {
      violations.Add(entry_field, "another entry addresses the same item; a batch may write each item once");
      continue;
    }
    plan.entry_ids[i] = std::move(id);
    encoded[i].table = entry.table();
    encoded[i].partition_key = PartitionKeyOf(schema->key, attributes);
  }
  if (!violations.empty()) return violations.ToError();

  for (size_t i = 0; i < encoded.size(); ++i) {
    if (plan.chunks.empty() || plan.chunks.back().entries.size() == kBatchWriteChunk) plan.chunks.emplace_back();
    BatchWriteChunk& chunk = plan.chunks.back();
    chunk.entries.push_back(i);
    chunk.request_items[encoded[i].table].push_back(std::move(encoded[i].request));
    chunk.partition_keys.push_back(std::move(encoded[i].partition_key));
  }
  return plan;
}

BackendCall BatchWriteCall(const json& request_items, std::vector<PartitionKeyBytes> partition_keys) {
  BackendCall call;
  call.operation = "BatchWriteItem";
  call.access = AccessKind::kWrite;
  if (!request_items.empty()) call.table = request_items.begin().key();
  call.batch_partition_keys = std::move(partition_keys);
  call.body = json{{"RequestItems", request_items}}.dump();
  return call;
}

ErrorOr<std::vector<std::string>> UnprocessedEntryIds(const json& unprocessed, const SchemaLookup& schemas) {
  std::vector<std::string> ids;
  if (!unprocessed.is_object()) return ids;
  for (const auto& [table, requests] : unprocessed.items()) {
    const TableSchema* schema = schemas(table);
    if (schema == nullptr || !requests.is_array()) {
      return MalformedAnswer("BatchWriteItem", absl::InternalError("unexpected UnprocessedItems"));
    }
    for (const json& request : requests) {
      const json* attributes = nullptr;
      auto member = [&request](const char* kind, const char* field) -> const json* {
        auto outer = request.find(kind);
        if (outer == request.end() || !outer->is_object()) return nullptr;
        auto inner = outer->find(field);
        return inner == outer->end() ? nullptr : &*inner;
      };
      attributes = member("PutRequest", "Item");
      if (attributes == nullptr) attributes = member("DeleteRequest", "Key");
      if (attributes == nullptr || !attributes->is_object()) {
        return MalformedAnswer("BatchWriteItem", absl::InternalError("malformed UnprocessedItems entry"));
      }
      ids.push_back(EntryId(table, schema->key, *attributes));
    }
  }
  return ids;
}

}  // namespace altgw::model
