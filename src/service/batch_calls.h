// BatchGet and BatchWrite: chunks run concurrently (a bounded number at a time), throttled keys and items
// (UnprocessedKeys / UnprocessedItems) are retried after a jittered backoff while the deadline allows.
#ifndef ALTGW_SERVICE_BATCH_CALLS_H_
#define ALTGW_SERVICE_BATCH_CALLS_H_

#include <grpcpp/grpcpp.h>

#include "alternator/gateway/v1/data_service.pb.h"
#include "service/gateway.h"

namespace altgw::service {

void RunBatchGet(Gateway& gateway, const std::shared_ptr<UnaryCall>& call,
                 const ::alternator::gateway::v1::BatchGetRequest* request,
                 ::alternator::gateway::v1::BatchGetResponse* response);

void RunBatchWrite(Gateway& gateway, const std::shared_ptr<UnaryCall>& call,
                   const ::alternator::gateway::v1::BatchWriteRequest* request,
                   ::alternator::gateway::v1::BatchWriteResponse* response);

}  // namespace altgw::service

#endif  // ALTGW_SERVICE_BATCH_CALLS_H_
