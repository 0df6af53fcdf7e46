// The shortest end-to-end path: create a table, put, get, through a real gateway and DynamoDB Local.
#include "gtest/gtest.h"
#include "support/gateway_harness.h"
#include "support/values.h"

namespace altgw::testing {
namespace {

TEST(SmokeTest, PutThenGetThroughTheGateway) {
  GatewayHarness gateway;
  const std::string table = UniqueTableName("smoke");
  CreateTable(gateway, table, "pk", v1::SCALAR_TYPE_STRING);

  v1::PutRequest put;
  put.set_table(table);
  *put.mutable_item() = Item({{"pk", S("k1")}, {"n", N("1e3")}});
  v1::PutResponse put_response;
  ASSERT_TRUE(gateway.data().Put(Context().get(), put, &put_response).ok());

  v1::GetRequest get;
  get.set_table(table);
  *get.mutable_key() = Item({{"pk", S("k1")}});
  v1::GetResponse got;
  ASSERT_TRUE(gateway.data().Get(Context().get(), get, &got).ok());
  EXPECT_TRUE(got.found());
  EXPECT_EQ(got.item().at("n").number_value().integer(), 1000);

  // The backend holds the canonical number.
  auto direct = DynamoDbLocal::Shared().Call("GetItem", {{"TableName", table}, {"Key", {{"pk", {{"S", "k1"}}}}}});
  EXPECT_EQ(direct.body["Item"]["n"]["N"], "1000");
}

}  // namespace
}  // namespace altgw::testing
