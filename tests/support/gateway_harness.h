// GatewayHarness: a real gateway (GatewayServer, in process) on a free loopback port, talking to the shared
// DynamoDB Local, with gRPC stubs to call it the way any client does.
#ifndef ALTGW_TESTS_SUPPORT_GATEWAY_HARNESS_H_
#define ALTGW_TESTS_SUPPORT_GATEWAY_HARNESS_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "alternator/gateway/v1/data_service.grpc.pb.h"
#include "alternator/gateway/v1/errors.pb.h"
#include "alternator/gateway/v1/table_service.grpc.pb.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "service/gateway_server.h"
#include "support/dynamodb_local.h"

namespace altgw::testing {

namespace v1 = ::alternator::gateway::v1;

class GatewayHarness {
 public:
  using Customize = std::function<void(service::GatewayConfig&)>;
  // Starts a gateway against the shared DynamoDB Local; `customize` may adjust the configuration.
  explicit GatewayHarness(const Customize& customize = nullptr);
  ~GatewayHarness();

  v1::DataService::Stub& data() { return *data_; }
  v1::TableService::Stub& tables() { return *tables_; }
  const std::shared_ptr<grpc::Channel>& channel() { return channel_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(server_->port()); }
  service::GatewayServer& server() { return *server_; }

 private:
  std::unique_ptr<service::GatewayServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::DataService::Stub> data_;
  std::unique_ptr<v1::TableService::Stub> tables_;
};

// A client context with a deadline.
std::unique_ptr<grpc::ClientContext> Context(absl::Duration timeout = absl::Seconds(10));

// A table name unique within this process run ("<prefix>_<pid>_<n>").
std::string UniqueTableName(absl::string_view prefix);

// Creates a table through the gateway (fails the test on error). Empty sort_key: none.
void CreateTable(GatewayHarness& gateway, const std::string& table, const std::string& partition_key,
                 v1::ScalarType partition_type, const std::string& sort_key = "",
                 v1::ScalarType sort_type = v1::SCALAR_TYPE_UNSPECIFIED);

// The decoded details of a failed call.
struct RpcError {
  grpc::StatusCode code = grpc::StatusCode::OK;
  std::string message;
  google::rpc::Status status;
  std::optional<google::rpc::ErrorInfo> info;
  std::optional<google::rpc::BadRequest> bad_request;
  std::optional<google::rpc::ResourceInfo> resource;
  std::optional<google::rpc::RetryInfo> retry;
  std::optional<google::rpc::PreconditionFailure> precondition;
  std::optional<v1::ConditionFailure> condition_failure;

  std::string reason() const { return info ? info->reason() : ""; }
  // True when some field violation's field contains `field`.
  bool HasViolationOn(absl::string_view field) const;
  // All violations, one per line (for failure messages).
  std::string Violations() const;
};
RpcError DecodeError(const grpc::Status& status);

}  // namespace altgw::testing

#endif  // ALTGW_TESTS_SUPPORT_GATEWAY_HARNESS_H_
