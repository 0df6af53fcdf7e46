// Bearer-token authentication and table permissions through a real gateway on DynamoDB Local: missing,
// malformed, unknown tokens; insufficient permissions (checked before the table's existence); allowed
// calls; health and reflection exempt. After every denial, DynamoDB Local is asked whether anything was
// written.
#include "alternator/gateway/v1/routing_service.grpc.pb.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "raw_call.h"
#include "support/dynamodb_local.h"
#include "support/gateway_harness.h"
#include "support/values.h"

namespace altgw::testing {
namespace {

using json = nlohmann::json;
using service::Permission;
using service::Principal;
using service::TokenSha256Hex;

// A table in DynamoDB Local (partition key "pk", a string), made directly.
std::string CreateTableInDb(const std::string& prefix) {
  const std::string table = UniqueTableName(prefix);
  const auto answer = DynamoDbLocal::Shared().Call(
      "CreateTable", {{"TableName", table},
                      {"KeySchema", json::array({{{"AttributeName", "pk"}, {"KeyType", "HASH"}}})},
                      {"AttributeDefinitions", json::array({{{"AttributeName", "pk"}, {"AttributeType", "S"}}})},
                      {"BillingMode", "PAY_PER_REQUEST"}});
  EXPECT_EQ(answer.status, 200) << answer.body.dump();
  return table;
}

// True when DynamoDB Local holds the item with this key.
bool ItemInDb(const std::string& table, const std::string& pk) {
  const auto answer = DynamoDbLocal::Shared().Call(
      "GetItem", {{"TableName", table}, {"Key", {{"pk", {{"S", pk}}}}}, {"ConsistentRead", true}});
  EXPECT_EQ(answer.status, 200) << answer.body.dump();
  return answer.body.contains("Item");
}

// A context carrying `authorization` metadata (none when empty).
std::unique_ptr<grpc::ClientContext> As(const std::string& authorization) {
  auto context = Context();
  if (!authorization.empty()) context->AddMetadata("authorization", authorization);
  return context;
}

std::string MetadataOf(const RpcError& error, const std::string& key) {
  if (!error.info) return "";
  auto it = error.info->metadata().find(key);
  return it == error.info->metadata().end() ? "" : it->second;
}

class AuthTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    orders_ = CreateTableInDb("auth_orders");
    secret_ = CreateTableInDb("auth_secret");
    gateway_ = std::make_unique<GatewayHarness>([](service::GatewayConfig& config) {
      config.principals = {
          Principal{"reader", {TokenSha256Hex("reader-token")}, {{orders_, {Permission::kRead}}}},
          Principal{"writer", {TokenSha256Hex("writer-token")}, {{orders_, {Permission::kRead, Permission::kWrite}}}},
          Principal{"admin",
                    {TokenSha256Hex("admin-token")},
                    {{"*", {Permission::kRead, Permission::kWrite, Permission::kAdmin}}}},
      };
    });
  }
  static void TearDownTestSuite() { gateway_.reset(); }

  static v1::PutRequest PutOf(const std::string& table, const std::string& pk) {
    v1::PutRequest request;
    request.set_table(table);
    *request.mutable_item() = Item({{"pk", S(pk)}, {"v", I(1)}});
    return request;
  }
  static v1::GetRequest GetOf(const std::string& table, const std::string& pk) {
    v1::GetRequest request;
    request.set_table(table);
    *request.mutable_key() = Item({{"pk", S(pk)}});
    return request;
  }

  inline static std::string orders_;
  inline static std::string secret_;
  inline static std::unique_ptr<GatewayHarness> gateway_;
};

TEST_F(AuthTest, MissingTokenIsUnauthenticatedAndWritesNothing) {
  v1::PutResponse response;
  RpcError error = DecodeError(gateway_->data().Put(As("").get(), PutOf(orders_, "no-token"), &response));
  EXPECT_EQ(error.code, grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(error.reason(), "UNAUTHENTICATED");
  EXPECT_EQ(error.info->domain(), "alternator-gateway");
  EXPECT_EQ(MetadataOf(error, "problem"), "missing");
  EXPECT_FALSE(ItemInDb(orders_, "no-token"));
}

TEST_F(AuthTest, WrongOrMalformedTokenIsUnauthenticated) {
  v1::PutResponse response;
  RpcError wrong =
      DecodeError(gateway_->data().Put(As("Bearer writer-token2").get(), PutOf(orders_, "wrong"), &response));
  EXPECT_EQ(wrong.code, grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(MetadataOf(wrong, "problem"), "unknown");
  EXPECT_EQ(wrong.message.find("writer-token2"), std::string::npos);  // tokens are never echoed
  RpcError malformed = DecodeError(gateway_->data().Put(As("writer-token").get(), PutOf(orders_, "wrong"), &response));
  EXPECT_EQ(malformed.code, grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(MetadataOf(malformed, "problem"), "malformed");
  EXPECT_FALSE(ItemInDb(orders_, "wrong"));
}

TEST_F(AuthTest, InsufficientPermissionIsDeniedAndWritesNothing) {
  v1::PutResponse response;
  RpcError error =
      DecodeError(gateway_->data().Put(As("Bearer reader-token").get(), PutOf(orders_, "by-reader"), &response));
  EXPECT_EQ(error.code, grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(error.reason(), "PERMISSION_DENIED");
  EXPECT_EQ(MetadataOf(error, "principal"), "reader");
  EXPECT_EQ(MetadataOf(error, "table"), orders_);
  EXPECT_EQ(MetadataOf(error, "permission"), "write");
  EXPECT_FALSE(ItemInDb(orders_, "by-reader"));
  // Delete and Update need write too.
  v1::DeleteRequest del;
  del.set_table(orders_);
  *del.mutable_key() = Item({{"pk", S("by-reader")}});
  v1::DeleteResponse del_response;
  EXPECT_EQ(DecodeError(gateway_->data().Delete(As("Bearer reader-token").get(), del, &del_response)).reason(),
            "PERMISSION_DENIED");
}

TEST_F(AuthTest, CorrectTokenAndPermissionSucceed) {
  v1::PutResponse put_response;
  grpc::Status put = gateway_->data().Put(As("Bearer writer-token").get(), PutOf(orders_, "by-writer"), &put_response);
  ASSERT_TRUE(put.ok()) << put.error_message();
  EXPECT_TRUE(ItemInDb(orders_, "by-writer"));
  v1::GetResponse get_response;
  grpc::Status get = gateway_->data().Get(As("bearer reader-token").get(), GetOf(orders_, "by-writer"), &get_response);
  ASSERT_TRUE(get.ok()) << get.error_message();
  EXPECT_TRUE(get_response.found());
}

// A caller without rights on a table cannot tell whether it exists: a missing table answers
// PERMISSION_DENIED exactly like an existing one; only a caller with rights sees NOT_FOUND.
TEST_F(AuthTest, PermissionIsCheckedBeforeExistence) {
  const std::string missing = UniqueTableName("auth_missing");
  v1::GetResponse response;
  RpcError on_missing =
      DecodeError(gateway_->data().Get(As("Bearer reader-token").get(), GetOf(missing, "x"), &response));
  RpcError on_existing =
      DecodeError(gateway_->data().Get(As("Bearer reader-token").get(), GetOf(secret_, "x"), &response));
  EXPECT_EQ(on_missing.code, grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(on_existing.code, grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(MetadataOf(on_missing, "table"), missing);
  EXPECT_EQ(MetadataOf(on_missing, "permission"), "read");
  RpcError as_admin = DecodeError(gateway_->data().Get(As("Bearer admin-token").get(), GetOf(missing, "x"), &response));
  EXPECT_EQ(as_admin.code, grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(as_admin.reason(), "TABLE_NOT_FOUND");
  // The same for TableService.
  v1::DescribeTableRequest describe;
  describe.set_table(missing);
  v1::DescribeTableResponse described;
  EXPECT_EQ(DecodeError(gateway_->tables().DescribeTable(As("Bearer writer-token").get(), describe, &described)).code,
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(AuthTest, TableServiceNeedsAdmin) {
  v1::ListTablesRequest list;
  v1::ListTablesResponse listed;
  RpcError denied = DecodeError(gateway_->tables().ListTables(As("Bearer writer-token").get(), list, &listed));
  EXPECT_EQ(denied.code, grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(MetadataOf(denied, "table"), "*");
  EXPECT_EQ(MetadataOf(denied, "permission"), "admin");
  ASSERT_TRUE(gateway_->tables().ListTables(As("Bearer admin-token").get(), list, &listed).ok());

  const std::string table = UniqueTableName("auth_created");
  v1::CreateTableRequest create;
  create.set_table(table);
  create.mutable_partition_key()->set_name("pk");
  create.mutable_partition_key()->set_type(v1::SCALAR_TYPE_STRING);
  v1::CreateTableResponse created;
  RpcError create_denied =
      DecodeError(gateway_->tables().CreateTable(As("Bearer writer-token").get(), create, &created));
  EXPECT_EQ(create_denied.code, grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(MetadataOf(create_denied, "table"), table);
  EXPECT_EQ(DynamoDbLocal::Shared().Call("DescribeTable", {{"TableName", table}}).status, 400);  // not created
  ASSERT_TRUE(gateway_->tables().CreateTable(As("Bearer admin-token").get(), create, &created).ok());
  v1::DeleteTableRequest drop;
  drop.set_table(table);
  v1::DeleteTableResponse dropped;
  EXPECT_EQ(DecodeError(gateway_->tables().DeleteTable(As("Bearer writer-token").get(), drop, &dropped)).code,
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(DynamoDbLocal::Shared().Call("DescribeTable", {{"TableName", table}}).status, 200);  // still there
  EXPECT_TRUE(gateway_->tables().DeleteTable(As("Bearer admin-token").get(), drop, &dropped).ok());
}

// A batch needs the permission on every table it touches: one forbidden table denies the whole batch and
// nothing is written, not even to the allowed table.
TEST_F(AuthTest, BatchWriteNeedsWriteOnEveryTable) {
  v1::BatchWriteRequest request;
  v1::WriteEntry* allowed = request.add_entries();
  allowed->set_table(orders_);
  *allowed->mutable_put()->mutable_attributes() = Item({{"pk", S("batch-allowed")}});
  v1::WriteEntry* forbidden = request.add_entries();
  forbidden->set_table(secret_);
  *forbidden->mutable_put()->mutable_attributes() = Item({{"pk", S("batch-forbidden")}});
  v1::BatchWriteResponse response;
  RpcError error = DecodeError(gateway_->data().BatchWrite(As("Bearer writer-token").get(), request, &response));
  EXPECT_EQ(error.code, grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(MetadataOf(error, "table"), secret_);
  EXPECT_EQ(MetadataOf(error, "permission"), "write");
  EXPECT_FALSE(ItemInDb(orders_, "batch-allowed"));
  EXPECT_FALSE(ItemInDb(secret_, "batch-forbidden"));

  v1::BatchGetRequest get;
  v1::TableKeys* keys = get.add_tables();
  keys->set_table(secret_);
  *keys->add_keys()->mutable_attributes() = Item({{"pk", S("x")}});
  v1::BatchGetResponse got;
  EXPECT_EQ(DecodeError(gateway_->data().BatchGet(As("Bearer writer-token").get(), get, &got)).reason(),
            "PERMISSION_DENIED");
}

TEST_F(AuthTest, TransactionsNeedThePermissionOfEachOperation) {
  v1::TransactionRequest request;
  *request.add_operations()->mutable_put() = [&] {
    v1::TransactPut put;
    put.set_table(orders_);
    *put.mutable_item() = Item({{"pk", S("tx-by-reader")}});
    return put;
  }();
  v1::TransactionResponse response;
  RpcError error = DecodeError(gateway_->data().Transaction(As("Bearer reader-token").get(), request, &response));
  EXPECT_EQ(error.code, grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(MetadataOf(error, "permission"), "write");
  EXPECT_FALSE(ItemInDb(orders_, "tx-by-reader"));
  ASSERT_TRUE(gateway_->data().Transaction(As("Bearer writer-token").get(), request, &response).ok());

  v1::TransactGetRequest get;
  v1::TransactGetItem* item = get.add_items();
  item->set_table(secret_);
  *item->mutable_key() = Item({{"pk", S("x")}});
  v1::TransactGetResponse got;
  RpcError get_error = DecodeError(gateway_->data().TransactGet(As("Bearer reader-token").get(), get, &got));
  EXPECT_EQ(get_error.code, grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(MetadataOf(get_error, "table"), secret_);
}

TEST_F(AuthTest, ScanAndQueryNeedRead) {
  v1::ScanRequest scan;
  scan.set_table(secret_);
  auto context = As("Bearer writer-token");
  auto reader = gateway_->data().Scan(context.get(), scan);
  v1::ScanResponse page;
  while (reader->Read(&page)) {
  }
  RpcError error = DecodeError(reader->Finish());
  EXPECT_EQ(error.code, grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(MetadataOf(error, "table"), secret_);

  auto anonymous = As("");
  auto anonymous_reader = gateway_->data().Scan(anonymous.get(), scan);
  while (anonymous_reader->Read(&page)) {
  }
  EXPECT_EQ(anonymous_reader->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);

  v1::QueryRequest query;
  query.set_table(secret_);
  v1::QueryResponse queried;
  EXPECT_EQ(DecodeError(gateway_->data().Query(As("Bearer reader-token").get(), query, &queried)).reason(),
            "PERMISSION_DENIED");
}

TEST_F(AuthTest, RoutingServiceNeedsAdmin) {
  auto routing = v1::RoutingService::NewStub(gateway_->channel());
  v1::ListNodesRequest request;
  v1::ListNodesResponse response;
  RpcError denied = DecodeError(routing->ListNodes(As("Bearer writer-token").get(), request, &response));
  EXPECT_EQ(denied.code, grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(MetadataOf(denied, "permission"), "admin");
  EXPECT_EQ(routing->ListNodes(As("").get(), request, &response).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  grpc::Status ok = routing->ListNodes(As("Bearer admin-token").get(), request, &response);
  ASSERT_TRUE(ok.ok()) << ok.error_message();
  EXPECT_GE(response.nodes_size(), 1);
}

// Health and reflection are not the gateway's data: probes and tools use them without a token.
TEST_F(AuthTest, HealthAndReflectionNeedNoToken) {
  std::string answer;
  grpc::Status health = RawUnaryCall(gateway_->channel(), "/grpc.health.v1.Health/Check", "", &answer);
  EXPECT_TRUE(health.ok()) << health.error_message();
  // ServerReflectionRequest{list_services: ""} (field 7), sent as the only message of the stream.
  answer.clear();
  grpc::Status reflection = RawUnaryCall(gateway_->channel(), kReflectionMethod, kListServicesRequest, &answer);
  EXPECT_TRUE(reflection.ok()) << reflection.error_message();
  EXPECT_NE(answer.find("alternator.gateway.v1.DataService"), std::string::npos);
}

}  // namespace
}  // namespace altgw::testing
