// Translation of BatchGet and BatchWrite: validation of every key and item against its table's schema,
// duplicate detection, and chunking into DynamoDB's batch sizes (100 keys per BatchGetItem, 25 writes per
// BatchWriteItem), with what is needed to match the database's UnprocessedKeys / UnprocessedItems back to
// the caller's entries.
#ifndef ALTGW_MODEL_BATCH_REQUESTS_H_
#define ALTGW_MODEL_BATCH_REQUESTS_H_

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "alternator/gateway/v1/data_service.pb.h"
#include "common/error_or.h"
#include "model/answer.h"
#include "model/backend_call.h"
#include "model/table_schema.h"
#include "nlohmann/json.hpp"

namespace altgw::model {

inline constexpr size_t kBatchGetChunk = 100;
inline constexpr size_t kBatchWriteChunk = 25;

// The schema of a table by name (every table of the request must have been looked up).
using SchemaLookup = std::function<const TableSchema*(const std::string& table)>;

// ---------------------------------------------------------------- BatchGet

struct BatchGetPlan {
  // One BatchGetItem `RequestItems` object per chunk (at most kBatchGetChunk keys in all).
  std::vector<nlohmann::json> chunks;
  // Table names in request order (the response lists them in this order).
  std::vector<std::string> tables;
};

ErrorOr<BatchGetPlan> TranslateBatchGet(const v1::BatchGetRequest& request, const SchemaLookup& schemas);

// A BatchGetItem call for a `RequestItems` object (a chunk, or the UnprocessedKeys of an earlier answer).
BackendCall BatchGetCall(const nlohmann::json& request_items);

struct BatchGetAnswer {
  // table -> items found
  std::vector<std::pair<std::string, v1::Item>> items;
  // UnprocessedKeys, in RequestItems form; empty object when none.
  nlohmann::json unprocessed = nlohmann::json::object();
};
// Items are decoded straight from the answer's document (answer_items.h), as Get and Query answers are.
ErrorOr<BatchGetAnswer> ParseBatchGetAnswer(const Answer& body, const SchemaLookup& schemas);

// ---------------------------------------------------------------- BatchWrite

struct BatchWriteChunk {
  // Indexes into the request's entries.
  std::vector<size_t> entries;
  // The BatchWriteItem `RequestItems` object for those entries.
  nlohmann::json request_items;
  // Partition keys of the entries, for batch voting (key affinity).
  std::vector<PartitionKeyBytes> partition_keys;
};

struct BatchWritePlan {
  std::vector<BatchWriteChunk> chunks;
  // For each entry: its identity (table + canonical key), to match UnprocessedItems back.
  std::vector<std::string> entry_ids;
};

ErrorOr<BatchWritePlan> TranslateBatchWrite(const v1::BatchWriteRequest& request, const SchemaLookup& schemas);

// A BatchWriteItem call for a `RequestItems` object (a chunk, or the UnprocessedItems of an earlier answer).
BackendCall BatchWriteCall(const nlohmann::json& request_items, std::vector<PartitionKeyBytes> partition_keys);

// The identities (as in BatchWritePlan::entry_ids) of the entries in an UnprocessedItems object.
ErrorOr<std::vector<std::string>> UnprocessedEntryIds(const nlohmann::json& unprocessed, const SchemaLookup& schemas);

// The identity of an item or key of `table`: the table name and the canonical JSON of its key attributes.
std::string EntryId(const std::string& table, const KeySchema& key, const nlohmann::json& attributes);

}  // namespace altgw::model

#endif  // ALTGW_MODEL_BATCH_REQUESTS_H_
