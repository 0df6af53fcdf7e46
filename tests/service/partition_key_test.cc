// A table's configured partition key (tables.<t>.partition_key in the config file) is checked against the
// table's real schema: a mismatch refuses every call on the table with INTERNAL naming both names.
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "support/dynamodb_local.h"
#include "support/gateway_harness.h"
#include "support/values.h"

namespace altgw::testing {
namespace {

using json = nlohmann::json;

std::string CreateTableWithKey(const std::string& prefix, const std::string& pk) {
  const std::string table = UniqueTableName(prefix);
  const auto answer = DynamoDbLocal::Shared().Call(
      "CreateTable", {{"TableName", table},
                      {"KeySchema", json::array({{{"AttributeName", pk}, {"KeyType", "HASH"}}})},
                      {"AttributeDefinitions", json::array({{{"AttributeName", pk}, {"AttributeType", "S"}}})},
                      {"BillingMode", "PAY_PER_REQUEST"}});
  EXPECT_EQ(answer.status, 200) << answer.body.dump();
  return table;
}

TEST(PartitionKeyTest, MismatchRefusesCallsMatchServes) {
  const std::string right = CreateTableWithKey("pk_right", "id");
  const std::string wrong = CreateTableWithKey("pk_wrong", "pk");
  GatewayHarness gateway([&](service::GatewayConfig& config) {
    config.partition_keys[right] = "id";
    config.partition_keys[wrong] = "id";
  });
  v1::PutRequest put;
  put.set_table(right);
  *put.mutable_item() = Item({{"id", S("a")}});
  v1::PutResponse response;
  grpc::Status ok = gateway.data().Put(Context().get(), put, &response);
  EXPECT_TRUE(ok.ok()) << ok.error_message();

  put.set_table(wrong);
  *put.mutable_item() = Item({{"pk", S("a")}});
  RpcError error = DecodeError(gateway.data().Put(Context().get(), put, &response));
  EXPECT_EQ(error.code, grpc::StatusCode::INTERNAL);
  EXPECT_EQ(error.reason(), "INTERNAL_ERROR");
  EXPECT_EQ(error.message, "table '" + wrong +
                               "' has the partition key 'pk' but the gateway's configuration says "
                               "'id' (tables[\"" +
                               wrong + "\"].partition_key)");
  const auto stored = DynamoDbLocal::Shared().Call("GetItem", {{"TableName", wrong}, {"Key", {{"pk", {{"S", "a"}}}}}});
  EXPECT_FALSE(stored.body.contains("Item"));
}

}  // namespace
}  // namespace altgw::testing
