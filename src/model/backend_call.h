// BackendCall: one DynamoDB API request produced by translating a typed gateway request, with what the
// layers below need to route and execute it (no JSON is re-parsed for that).
#ifndef ALTGW_MODEL_BACKEND_CALL_H_
#define ALTGW_MODEL_BACKEND_CALL_H_

#include <string>

#include "alternator/gateway/v1/value.pb.h"

namespace altgw::model {

namespace v1 = ::alternator::gateway::v1;

enum class AccessKind {
  kRead,    // GetItem, Query, Scan, DescribeTable, ...: safe to retry anywhere
  kWrite,   // PutItem, UpdateItem, DeleteItem, ...: never retried blindly once sent
  kSchema,  // CreateTable, DeleteTable: writes to the schema
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
  // The caller asked for the current item when the condition fails (ReturnValuesOnConditionCheckFailure).
  bool return_item_on_condition_failure = false;
  // The partition key, for key affinity: its type and its bytes as sent (UTF-8 for strings, the canonical
  // decimal for numbers, raw bytes for binary). Unset type: no single partition key.
  v1::ScalarType partition_key_type = v1::SCALAR_TYPE_UNSPECIFIED;
  std::string partition_key;
  // The table the call is about (for errors, metrics and routing overrides).
  std::string table;
};

}  // namespace altgw::model

#endif  // ALTGW_MODEL_BACKEND_CALL_H_
