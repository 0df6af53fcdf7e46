// The gRPC form of a GatewayError: code, message, and the google.rpc.Status in grpc-status-details-bin.
#ifndef ALTGW_SERVICE_GRPC_STATUS_H_
#define ALTGW_SERVICE_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "common/gateway_error.h"

namespace altgw::service {

inline grpc::Status ToGrpcStatus(const GatewayError& error) {
  return grpc::Status(static_cast<grpc::StatusCode>(error.code()), error.message(),
                      error.ToRpcStatus().SerializeAsString());
}

}  // namespace altgw::service

#endif  // ALTGW_SERVICE_GRPC_STATUS_H_
