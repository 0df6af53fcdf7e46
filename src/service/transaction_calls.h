// Transaction and TransactGet.
//
// The execution strategy is chosen in one place (RunTransaction) from Gateway::transactions: native
// (TransactWriteItems) or single-item (one conditional write, on backends without transactions); a
// gateway-coordinated strategy for multi-item transactions on Alternator would be a third branch there.
// Before either runs, operations on versioned tables without expected_version get their item's current
// version read, and the transaction is retried (a few times) when another write changed such a version in
// between.
#ifndef ALTGW_SERVICE_TRANSACTION_CALLS_H_
#define ALTGW_SERVICE_TRANSACTION_CALLS_H_

#include <grpcpp/grpcpp.h>

#include "alternator/gateway/v1/data_service.pb.h"
#include "service/gateway.h"

namespace altgw::service {

void RunTransaction(Gateway& gateway, const std::shared_ptr<UnaryCall>& call,
                    const ::alternator::gateway::v1::TransactionRequest* request,
                    ::alternator::gateway::v1::TransactionResponse* response);

void RunTransactGet(Gateway& gateway, const std::shared_ptr<UnaryCall>& call,
                    const ::alternator::gateway::v1::TransactGetRequest* request,
                    ::alternator::gateway::v1::TransactGetResponse* response);

// Asks the backend whether it has transactions: a signed TransactGetItems with an invalid body answers
// ValidationException where transactions exist and UnknownOperationException where they do not. Blocks
// (for startup); an error when the backend cannot be asked.
absl::StatusOr<TransactionSupport> DetectTransactionSupport(alternator::BackendClient& backend,
                                                            absl::Duration timeout);

}  // namespace altgw::service

#endif  // ALTGW_SERVICE_TRANSACTION_CALLS_H_
