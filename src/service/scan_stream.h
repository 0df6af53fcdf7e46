// ScanStream: the server-streaming Scan. One database page is in flight or being written at a time, so a
// slow reader slows the scan down (gRPC flow control) instead of making the gateway buffer the table.
// Every page becomes one message (an empty one is a progress message), each with a resume token; the last
// message carries ScanEnd. A cancelled stream cancels its database request and fetches no more pages.
#ifndef ALTGW_SERVICE_SCAN_STREAM_H_
#define ALTGW_SERVICE_SCAN_STREAM_H_

#include <grpcpp/grpcpp.h>

#include "alternator/gateway/v1/data_service.pb.h"
#include "service/gateway.h"

namespace altgw::service {

// Starts a Scan stream for `request`; returns the reactor gRPC drives (it deletes itself when done).
grpc::ServerWriteReactor<::alternator::gateway::v1::ScanResponse>* StartScan(
    Gateway& gateway, grpc::CallbackServerContext* context, const ::alternator::gateway::v1::ScanRequest* request);

}  // namespace altgw::service

#endif  // ALTGW_SERVICE_SCAN_STREAM_H_
