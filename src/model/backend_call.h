// BackendCall: one DynamoDB API request produced by translating a typed gateway request, with what the
// layers below need to route and execute it (no JSON is re-parsed for that).
#ifndef ALTGW_MODEL_BACKEND_CALL_H_
#define ALTGW_MODEL_BACKEND_CALL_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "alternator/gateway/v1/value.pb.h"
#include "model/versioning.h"

namespace altgw::model {

namespace v1 = ::alternator::gateway::v1;

enum class AccessKind {
  kRead,    // GetItem, Query, Scan, DescribeTable, ...: safe to retry anywhere
  kWrite,   // PutItem, UpdateItem, DeleteItem, ...: never retried blindly once sent
  kSchema,  // CreateTable, DeleteTable: writes to the schema
};

// A partition key as sent to the database, for key affinity: its type and bytes (UTF-8 for strings, the
// canonical decimal for numbers, raw bytes for binary).
struct PartitionKeyBytes {
  v1::ScalarType type = v1::SCALAR_TYPE_UNSPECIFIED;
  std::string bytes;
};

struct BackendCall {
  // The DynamoDB operation name, e.g. "PutItem" (sent as X-Amz-Target DynamoDB_20120810.<operation>).
  const char* operation = "";
  // The request body (DynamoDB JSON).
  std::string body;
  AccessKind access = AccessKind::kRead;
  // A write that Alternator runs as read-modify-write (an LWT under `only_rmw_uses_lwt`): conditional,
  // returning old values, or an update with actions. Key affinity mode RMW routes these.
  bool read_modify_write = false;
  bool conditional = false;
  // How to explain a failed condition: set for conditional and version-checked writes.
  std::optional<ConditionCheckInfo> condition_check;
  // Single-item writes: how the answer's Attributes and the item's new version are reported.
  WriteAnswer answer;
  // Transactions: the error for a TransactionCanceledException answer (its parsed body), which only the
  // transaction's translation can explain operation by operation.
  std::function<GatewayError(const nlohmann::json& body)> cancellation_error;
  // The partition key, for key affinity: its type and its bytes as sent (UTF-8 for strings, the canonical
  // decimal for numbers, raw bytes for binary). Unset type: no single partition key.
  v1::ScalarType partition_key_type = v1::SCALAR_TYPE_UNSPECIFIED;
  std::string partition_key;
  // For batch writes: the partition key of every put/delete entry (batch voting, router.md §4.7).
  std::vector<PartitionKeyBytes> batch_partition_keys;
  // The table the call is about (for errors, metrics and routing overrides).
  std::string table;
};

}  // namespace altgw::model

#endif  // ALTGW_MODEL_BACKEND_CALL_H_
