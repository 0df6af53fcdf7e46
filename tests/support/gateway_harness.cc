#include "support/gateway_harness.h"

#include <unistd.h>

#include <atomic>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace altgw::testing {

GatewayHarness::GatewayHarness(const Customize& customize) {
  service::GatewayConfig config;
  config.listen_address = "127.0.0.1:0";
  config.backend_endpoints = {DynamoDbLocal::Shared().endpoint()};
  if (customize) customize(config);
  auto server = service::GatewayServer::Start(config);
  if (!server.ok()) {
    ADD_FAILURE() << "gateway did not start: " << server.status();
    std::abort();
  }
  server_ = *std::move(server);
  channel_ = grpc::CreateChannel(address(), grpc::InsecureChannelCredentials());
  data_ = v1::DataService::NewStub(channel_);
  tables_ = v1::TableService::NewStub(channel_);
}

GatewayHarness::~GatewayHarness() { server_->Shutdown(absl::Seconds(1)); }

std::unique_ptr<grpc::ClientContext> Context(absl::Duration timeout) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  return context;
}

std::string UniqueTableName(absl::string_view prefix) {
  static std::atomic<int> counter{0};
  return absl::StrCat(prefix, "_", getpid(), "_", counter.fetch_add(1));
}

void CreateTable(GatewayHarness& gateway, const std::string& table, const std::string& partition_key,
                 v1::ScalarType partition_type, const std::string& sort_key, v1::ScalarType sort_type) {
  v1::CreateTableRequest request;
  request.set_table(table);
  request.mutable_partition_key()->set_name(partition_key);
  request.mutable_partition_key()->set_type(partition_type);
  if (!sort_key.empty()) {
    request.mutable_sort_key()->set_name(sort_key);
    request.mutable_sort_key()->set_type(sort_type);
  }
  v1::CreateTableResponse response;
  const grpc::Status status = gateway.tables().CreateTable(Context().get(), request, &response);
  ASSERT_TRUE(status.ok()) << "CreateTable " << table << ": " << status.error_message();
}

bool RpcError::HasViolationOn(absl::string_view field) const {
  if (!bad_request) return false;
  for (const auto& violation : bad_request->field_violations()) {
    if (absl::StrContains(violation.field(), field)) return true;
  }
  return false;
}

std::string RpcError::Violations() const {
  std::string out;
  if (!bad_request) return out;
  for (const auto& violation : bad_request->field_violations()) {
    absl::StrAppend(&out, violation.field(), ": ", violation.description(), "\n");
  }
  return out;
}

RpcError DecodeError(const grpc::Status& status) {
  RpcError error;
  error.code = status.error_code();
  error.message = status.error_message();
  if (!error.status.ParseFromString(status.error_details())) return error;
  for (const google::protobuf::Any& detail : error.status.details()) {
    if (detail.Is<google::rpc::ErrorInfo>()) detail.UnpackTo(&error.info.emplace());
    if (detail.Is<google::rpc::BadRequest>()) detail.UnpackTo(&error.bad_request.emplace());
    if (detail.Is<google::rpc::ResourceInfo>()) detail.UnpackTo(&error.resource.emplace());
    if (detail.Is<google::rpc::RetryInfo>()) detail.UnpackTo(&error.retry.emplace());
    if (detail.Is<google::rpc::PreconditionFailure>()) detail.UnpackTo(&error.precondition.emplace());
    if (detail.Is<v1::ConditionFailure>()) detail.UnpackTo(&error.condition_failure.emplace());
  }
  return error;
}

}  // namespace altgw::testing
