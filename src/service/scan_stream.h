// ScanStream: the server-streaming Scan. One database page is in flight or being written at a time, so a
// slow reader slows the scan down (gRPC flow control) instead of making the gateway buffer the table.
// Every page becomes one message (an empty one is a progress message), each with a resume token; the last
// message carries ScanEnd. A cancelled stream cancels its database request and fetches no more pages.
#ifndef ALTGW_SERVICE_SCAN_STREAM_H_
#define ALTGW_SERVICE_SCAN_STREAM_H_

#include <grpcpp/grpcpp.h>

#include <memory>

#include "alternator/gateway/v1/data_service.pb.h"
#include "service/async_rpc.h"
#include "service/gateway.h"

namespace altgw::service {

// Runs the Scan stream `rpc` (it listens to the call's events until the end).
void StartScan(Gateway& gateway,
               const std::shared_ptr<ServerStreamRpc<::alternator::gateway::v1::ScanRequest,
                                                     ::alternator::gateway::v1::ScanResponse>>& rpc);

}  // namespace altgw::service

#endif  // ALTGW_SERVICE_SCAN_STREAM_H_
