// Translation of Transaction and TransactGet.
//
// The operations of a transaction are grouped by item: each group (at most one write, plus any condition
// checks on the same item) becomes ONE database operation whose condition ANDs every operation's condition
// and expected version. So the same transactions are accepted on every backend:
//   - natively (DynamoDB, DynamoDB Local), the groups are the elements of one TransactWriteItems;
//   - without transactions (Alternator), a transaction with a single group runs as that one conditional
//     write (or, with condition checks only, as a consistent read whose item is checked by the gateway).
// When a group fails, each of its operations is judged on the item as the database returned it, so the
// error says which operation failed and why.
//
// Operations on versioned tables without expected_version need the item's current version first (read by
// the caller), so that the version bump is part of the atomic write.
#ifndef ALTGW_MODEL_TRANSACTION_REQUESTS_H_
#define ALTGW_MODEL_TRANSACTION_REQUESTS_H_

#include <optional>
#include <string>
#include <vector>

#include "alternator/gateway/v1/data_service.pb.h"
#include "common/error_or.h"
#include "model/backend_call.h"
#include "model/batch_requests.h"
#include "model/versioning.h"
#include "nlohmann/json.hpp"

namespace altgw::model {

inline constexpr size_t kMaxTransactionOperations = 100;

// All the operations of a transaction on one item, as one database operation.
struct TransactionGroup {
  std::vector<size_t> operations;  // indexes into the request's operations
  bool writes = false;             // one of them is a put, update or delete
  std::string table;
  std::string version_attribute;  // the table's, empty when not versioned
  nlohmann::json encoded_key;
  nlohmann::json element;          // {"Put": {...}} / {"Update": ...} / {"Delete": ...} / {"ConditionCheck": ...}
  PartitionKeyBytes partition_key;
};

struct TransactionPlan {
  std::vector<TransactionGroup> groups;
  // Per request operation: the item's version after the transaction (versioned puts and updates).
  std::vector<std::optional<uint64_t>> new_versions;
  // Per request operation: the version expectation it was built with (for explaining failures).
  std::vector<std::optional<VersionExpectation>> expectations;
  // Request operations that need their item's version read first, with the key to read.
  std::vector<size_t> version_reads;
  std::vector<nlohmann::json> version_read_keys;
};

// Validates and translates. `observed[i]`: the version state read for operation i (for the operations a
// previous pass listed in version_reads; an empty vector on the first pass).
ErrorOr<TransactionPlan> TranslateTransaction(const v1::TransactionRequest& request, const SchemaLookup& schemas,
                                              const std::vector<std::optional<VersionExpectation>>& observed);

// TransactWriteItems for a plan with every version resolved.
BackendCall NativeTransactionCall(const TransactionPlan& plan, const std::string& request_id);

// Backends without transactions: the conditional write carrying a single-group transaction (nullopt when the
// group only checks conditions: read the item consistently and use ChecksHold). TRANSACTIONS_UNSUPPORTED_BY_
// BACKEND when the transaction addresses several items or sets a request_id.
ErrorOr<std::optional<BackendCall>> SingleItemTransactionCall(const v1::TransactionRequest& request,
                                                              const TransactionPlan& plan);
// A consistent GetItem of the single group's item.
BackendCall SingleItemReadCall(const TransactionPlan& plan);

// Explaining failures. `item`: the group's item as the database returned it with the failure (null when
// it does not exist).
struct GroupVerdict {
  bool holds = true;  // every operation of the group is satisfied by the item
  std::vector<std::pair<size_t, v1::OperationFailure>> failures;  // (request operation, why)
};
GroupVerdict JudgeGroup(const v1::TransactionRequest& request, const TransactionPlan& plan, size_t group,
                        const AttributeMap* item);

// The error of a TransactionCanceledException answer (native path).
GatewayError TransactionCancelledError(const v1::TransactionRequest& request, const TransactionPlan& plan,
                                       const nlohmann::json& body);
// The error of a single-group transaction whose condition failed on `item` (single-item path).
GatewayError SingleItemFailure(const v1::TransactionRequest& request, const TransactionPlan& plan,
                               const AttributeMap* item);

// TransactGet.
ErrorOr<BackendCall> TranslateTransactGet(const v1::TransactGetRequest& request, const SchemaLookup& schemas);
ErrorOr<v1::TransactGetResponse> ParseTransactGetResponse(const nlohmann::json& body,
                                                          const v1::TransactGetRequest& request,
                                                          const SchemaLookup& schemas);

}  // namespace altgw::model

#endif  // ALTGW_MODEL_TRANSACTION_REQUESTS_H_
