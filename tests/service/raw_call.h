// Calls a unary method (or a streaming one with a single message each way) with raw bytes, so tests can
// reach gRPC's own services (health, reflection) without generating their stubs.
#ifndef ALTGW_TESTS_SERVICE_RAW_CALL_H_
#define ALTGW_TESTS_SERVICE_RAW_CALL_H_

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <future>
#include <memory>
#include <string>
#include <vector>

#include "support/gateway_harness.h"

namespace altgw::testing {

inline grpc::Status RawUnaryCall(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                                 const std::string& request_bytes, std::string* response_bytes) {
  grpc::GenericStub stub(channel);
  grpc::Slice slice(request_bytes);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  auto context = Context();
  std::promise<grpc::Status> done;
  stub.UnaryCall(context.get(), method, grpc::StubOptions(), &request, &response,
                 [&done](grpc::Status status) { done.set_value(std::move(status)); });
  grpc::Status status = done.get_future().get();
  std::vector<grpc::Slice> slices;
  if (status.ok() && response.Dump(&slices).ok()) {
    for (const grpc::Slice& s : slices) response_bytes->append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return status;
}

// ServerReflectionRequest{list_services: ""} (field 7, length 0).
inline const std::string kListServicesRequest("\x3a\x00", 2);
inline const char kReflectionMethod[] = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo";

}  // namespace altgw::testing

#endif  // ALTGW_TESTS_SERVICE_RAW_CALL_H_
