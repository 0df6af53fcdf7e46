// The smallest C++ program on the stubs that client/generate-stubs.sh generates (without the altgw_client
// library): for C++ projects that build the generated code themselves. generate-stubs.sh compiles it against
// DIR/cpp/lib/libaltgw_stubs.a into DIR/cpp/bin/altgw-stubs-check, which proves that the stubs build, link
// and talk to a gateway.
//
//   altgw-stubs-check [ADDRESS]     ADDRESS defaults to $ALTGW_ADDRESS, then 127.0.0.1:50051
//
// It checks the gateway's health (grpc.health.v1), then reads from a table that does not exist and decodes
// the error's google.rpc.Status details: the reason must be TABLE_NOT_FOUND. Prints one line per step and OK;
// exits 1 (after "FAILED: ..." on stderr) on anything else.
#include <grpcpp/grpcpp.h>

#include <cstdlib>
#include <iostream>
#include <string>

#include "alternator/gateway/v1/data_service.grpc.pb.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace {

namespace v1 = ::alternator::gateway::v1;

int Fail(const std::string& what) {
  std::cerr << "FAILED: " << what << "\n";
  return 1;
}

// The ErrorInfo.reason of a failed call: its details are a google.rpc.Status in grpc-status-details-bin.
std::string ErrorReason(const grpc::Status& status) {
  google::rpc::Status details;
  if (!details.ParseFromString(status.error_details())) return "";
  for (const google::protobuf::Any& detail : details.details()) {
    google::rpc::ErrorInfo info;
    if (detail.UnpackTo(&info)) return info.reason();
  }
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  const char* env = std::getenv("ALTGW_ADDRESS");
  const std::string address = argc > 1 ? argv[1] : (env != nullptr && *env != '\0' ? env : "127.0.0.1:50051");
  const auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  auto deadline = [] { return std::chrono::system_clock::now() + std::chrono::seconds(10); };

  grpc::ClientContext health_context;
  health_context.set_deadline(deadline());
  grpc::health::v1::HealthCheckResponse health;
  const grpc::Status checked =
      grpc::health::v1::Health::NewStub(channel)->Check(&health_context, grpc::health::v1::HealthCheckRequest(), &health);
  if (!checked.ok()) return Fail("health check: " + checked.error_message());
  if (health.status() != grpc::health::v1::HealthCheckResponse::SERVING) {
    return Fail("health: " + grpc::health::v1::HealthCheckResponse::ServingStatus_Name(health.status()));
  }
  std::cout << "health: SERVING\n";

  v1::GetRequest get;
  get.set_table("altgw_stubs_check_no_such_table");
  (*get.mutable_key())["pk"].set_string_value("x");
  grpc::ClientContext get_context;
  get_context.set_deadline(deadline());
  v1::GetResponse response;
  const grpc::Status got = v1::DataService::NewStub(channel)->Get(&get_context, get, &response);
  const std::string reason = ErrorReason(got);
  if (got.error_code() != grpc::StatusCode::NOT_FOUND || reason != "TABLE_NOT_FOUND") {
    return Fail("get from a missing table: code " + std::to_string(got.error_code()) + " reason '" + reason + "': " +
                got.error_message());
  }
  std::cout << "get from a missing table: NOT_FOUND TABLE_NOT_FOUND\n";
  std::cout << "OK\n";
  return 0;
}
