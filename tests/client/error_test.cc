// Decoding of grpc-status-details-bin: the errors the gateway really builds (GatewayError::ToRpcStatus)
// come out of Error::FromStatus with every detail.
#include "altgw_client/error.h"

#include "common/gateway_error.h"
#include "gtest/gtest.h"

namespace altgw::client {
namespace {

namespace v1 = ::alternator::gateway::v1;

grpc::Status AsGrpc(const GatewayError& error) {
  const google::rpc::Status status = error.ToRpcStatus();
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), status.message(), status.SerializeAsString());
}

TEST(ClientErrorTest, DecodesFieldViolations) {
  const Error e = Error::FromStatus(AsGrpc(GatewayError::InvalidRequest(
      {{"item[\"price\"].number_value.decimal", "not a number"}, {"table", "too short"}})));
  EXPECT_EQ(e.code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(e.code_name(), "INVALID_ARGUMENT");
  EXPECT_EQ(e.reason(), "INVALID_REQUEST");
  EXPECT_EQ(e.domain(), kGatewayErrorDomain);
  ASSERT_EQ(e.field_violations().size(), 2u);
  EXPECT_EQ(e.field_violations()[0].field, "item[\"price\"].number_value.decimal");
  EXPECT_EQ(e.field_violations()[1].description, "too short");
  EXPECT_NE(e.ToString().find("INVALID_ARGUMENT INVALID_REQUEST: "), std::string::npos) << e.ToString();
  EXPECT_NE(e.ToString().find("table: too short"), std::string::npos) << e.ToString();
}

TEST(ClientErrorTest, DecodesConditionFailureWithTheCurrentItem) {
  v1::ConditionFailure failure;
  failure.set_item_exists(true);
  (*failure.mutable_item())["id"].set_string_value("a");
  const Error e = Error::FromStatus(AsGrpc(GatewayError::ConditionFailed("orders", failure)));
  EXPECT_EQ(e.code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(e.reason(), "CONDITION_FAILED");
  ASSERT_TRUE(e.condition_failure().has_value());
  EXPECT_TRUE(e.condition_failure()->item_exists());
  EXPECT_EQ(e.condition_failure()->item().at("id").string_value(), "a");
  EXPECT_FALSE(e.precondition_violations().empty());
}

TEST(ClientErrorTest, DecodesRetryInfoAndResourceInfo) {
  const Error throttled = Error::FromStatus(AsGrpc(GatewayError::BackendThrottled("Throttling", absl::Milliseconds(1500))));
  EXPECT_EQ(throttled.code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(throttled.reason(), "BACKEND_THROTTLED");
  ASSERT_TRUE(throttled.retry_delay().has_value());
  EXPECT_EQ(*throttled.retry_delay(), absl::Milliseconds(1500));

  const Error missing = Error::FromStatus(AsGrpc(GatewayError::TableNotFound("orders")));
  EXPECT_EQ(missing.reason(), "TABLE_NOT_FOUND");
  ASSERT_TRUE(missing.resource().has_value());
  EXPECT_EQ(missing.resource()->name, "orders");
}

TEST(ClientErrorTest, DecodesVersionMismatchMetadata) {
  const Error e = Error::FromStatus(AsGrpc(GatewayError::VersionMismatch("t", 7)));
  EXPECT_EQ(e.code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(e.reason(), "VERSION_MISMATCH");
  EXPECT_EQ(e.metadata().at("currentVersion"), "7");
}

TEST(ClientErrorTest, DecodesTransactionFailure) {
  v1::TransactionFailure failure;
  failure.add_operations();
  failure.add_operations()->set_reason("CONDITION_FAILED");
  const Error e = Error::FromStatus(AsGrpc(GatewayError::TransactionCancelled(
      absl::StatusCode::kFailedPrecondition, v1::CONDITION_FAILED, "cancelled", failure)));
  ASSERT_TRUE(e.transaction_failure().has_value());
  ASSERT_EQ(e.transaction_failure()->operations_size(), 2);
  EXPECT_EQ(e.transaction_failure()->operations(1).reason(), "CONDITION_FAILED");
}

TEST(ClientErrorTest, StatusWithoutDetailsKeepsCodeAndMessage) {
  const Error e = Error::FromStatus(grpc::Status(grpc::StatusCode::UNAVAILABLE, "connection refused"));
  EXPECT_EQ(e.code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(e.message(), "connection refused");
  EXPECT_TRUE(e.reason().empty());
  EXPECT_EQ(e.ToString(), "UNAVAILABLE: connection refused");
  // Garbage in the details trailer is ignored, not fatal.
  const Error garbage = Error::FromStatus(grpc::Status(grpc::StatusCode::INTERNAL, "x", "\xff\xff\xff"));
  EXPECT_EQ(garbage.code(), grpc::StatusCode::INTERNAL);
  EXPECT_TRUE(garbage.reason().empty());
}

}  // namespace
}  // namespace altgw::client
