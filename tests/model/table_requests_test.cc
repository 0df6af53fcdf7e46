// TableService translation: CreateTable bodies (keys, GSIs, LSIs, projections, attribute definitions) and
// their validation, DescribeTable / DeleteTable / ListTables (with page tokens), and parsing of realistic
// DescribeTable answers into TableDescription and TableSchema.
#include "model/table_requests.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "model/table_schema.h"
#include "model/value_builders.h"

namespace altgw::model {
namespace {

using namespace ::altgw::model::testing;  // NOLINT: builders
using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

v1::KeyAttribute Key(const std::string& name, v1::ScalarType type) {
  v1::KeyAttribute k;
  k.set_name(name);
  k.set_type(type);
  return k;
}

v1::CreateTableRequest Create(const std::string& table, v1::KeyAttribute partition,
                              std::optional<v1::KeyAttribute> sort = std::nullopt) {
  v1::CreateTableRequest r;
  r.set_table(table);
  *r.mutable_partition_key() = partition;
  if (sort) *r.mutable_sort_key() = *sort;
  return r;
}

v1::GlobalSecondaryIndex* AddGsi(v1::CreateTableRequest& r, const std::string& name, v1::KeyAttribute partition,
                                 std::optional<v1::KeyAttribute> sort = std::nullopt) {
  v1::GlobalSecondaryIndex* gsi = r.add_global_secondary_indexes();
  gsi->set_name(name);
  *gsi->mutable_partition_key() = partition;
  if (sort) *gsi->mutable_sort_key() = *sort;
  return gsi;
}

v1::LocalSecondaryIndex* AddLsi(v1::CreateTableRequest& r, const std::string& name, v1::KeyAttribute sort) {
  v1::LocalSecondaryIndex* lsi = r.add_local_secondary_indexes();
  lsi->set_name(name);
  *lsi->mutable_sort_key() = sort;
  return lsi;
}

const PageTokenCodec& Tokens() {
  static const PageTokenCodec* codec =
      new PageTokenCodec(*PageTokenCodec::Create({std::string(32, 'k')}, absl::Hours(24)));
  return *codec;
}
absl::Time Now() { return absl::FromUnixSeconds(1'700'000'000); }

BackendCall Ok(const ErrorOr<BackendCall>& result) {
  if (!result.ok()) {
    ADD_FAILURE() << result.error().message() << "\n" << Describe(result.error().field_violations());
    static const BackendCall* empty = new BackendCall();
    return *empty;
  }
  return result.value();
}

// ---------------------------------------------------------------------------------------------------------
// CreateTable

TEST(CreateTableTest, HashOnlyTable) {
  const BackendCall& c = Ok(TranslateCreateTable(Create("users", Key("id", v1::SCALAR_TYPE_BINARY))));
  EXPECT_STREQ(c.operation, "CreateTable");
  EXPECT_EQ(c.access, AccessKind::kSchema);
  EXPECT_EQ(c.table, "users");
  EXPECT_FALSE(c.read_modify_write);
  EXPECT_EQ(Body(c), json::parse(R"({
      "TableName": "users",
      "BillingMode": "PAY_PER_REQUEST",
      "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
      "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "B"}]})"));
}

TEST(CreateTableTest, TableWithSortKeyAndIndexes) {
  v1::CreateTableRequest r = Create("orders", Key("pk", v1::SCALAR_TYPE_STRING), Key("sk", v1::SCALAR_TYPE_NUMBER));
  AddGsi(r, "by_status", Key("status", v1::SCALAR_TYPE_STRING), Key("placed", v1::SCALAR_TYPE_STRING));
  v1::GlobalSecondaryIndex* by_customer = AddGsi(r, "by_customer", Key("customer", v1::SCALAR_TYPE_STRING));
  by_customer->mutable_projection()->set_type(v1::PROJECTION_TYPE_INCLUDE);
  by_customer->mutable_projection()->add_non_key_attributes("total");
  by_customer->mutable_projection()->add_non_key_attributes("note");
  // An index may reuse a table key attribute (same type): it is defined once.
  AddGsi(r, "by_sk", Key("sk", v1::SCALAR_TYPE_NUMBER))->mutable_projection()->set_type(v1::PROJECTION_TYPE_KEYS_ONLY);
  AddLsi(r, "by_total", Key("total", v1::SCALAR_TYPE_NUMBER))
      ->mutable_projection()
      ->set_type(v1::PROJECTION_TYPE_KEYS_ONLY);
  const BackendCall& c = Ok(TranslateCreateTable(r));
  EXPECT_EQ(Body(c), json::parse(R"({
      "TableName": "orders",
      "BillingMode": "PAY_PER_REQUEST",
      "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
      "GlobalSecondaryIndexes": [
        {"IndexName": "by_status",
         "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"}, {"AttributeName": "placed", "KeyType": "RANGE"}],
         "Projection": {"ProjectionType": "ALL"}},
        {"IndexName": "by_customer",
         "KeySchema": [{"AttributeName": "customer", "KeyType": "HASH"}],
         "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["total", "note"]}},
        {"IndexName": "by_sk",
         "KeySchema": [{"AttributeName": "sk", "KeyType": "HASH"}],
         "Projection": {"ProjectionType": "KEYS_ONLY"}}],
      "LocalSecondaryIndexes": [
        {"IndexName": "by_total",
         "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "total", "KeyType": "RANGE"}],
         "Projection": {"ProjectionType": "KEYS_ONLY"}}],
      "AttributeDefinitions": [
        {"AttributeName": "pk", "AttributeType": "S"},
        {"AttributeName": "sk", "AttributeType": "N"},
        {"AttributeName": "status", "AttributeType": "S"},
        {"AttributeName": "placed", "AttributeType": "S"},
        {"AttributeName": "customer", "AttributeType": "S"},
        {"AttributeName": "total", "AttributeType": "N"}]})"));
}

TEST(CreateTableTest, ValidationErrorsNameTheirField) {
  struct Case {
    const char* what;
    v1::CreateTableRequest request;
    std::vector<std::string> fields;
  };
  std::vector<Case> cases;
  cases.push_back({"bad table name", Create("x", Key("pk", v1::SCALAR_TYPE_STRING)), {"table"}});
  cases.push_back({"no partition key name", Create("tbl", Key("", v1::SCALAR_TYPE_STRING)), {"partition_key.name"}});
  cases.push_back(
      {"no partition key type", Create("tbl", Key("pk", v1::SCALAR_TYPE_UNSPECIFIED)), {"partition_key.type"}});
  cases.push_back({"sort key type", Create("tbl", Key("pk", v1::SCALAR_TYPE_STRING), Key("sk", static_cast<v1::ScalarType>(7))),
                   {"sort_key.type"}});
  cases.push_back({"key name too long", Create("tbl", Key(std::string(256, 'k'), v1::SCALAR_TYPE_STRING)),
                   {"partition_key.name"}});
  {
    v1::CreateTableRequest r = Create("tbl", Key("pk", v1::SCALAR_TYPE_STRING));
    AddGsi(r, "gsi1", Key("pk", v1::SCALAR_TYPE_NUMBER));
    cases.push_back({"attribute with two types", r, {"global_secondary_indexes[0].partition_key.type"}});
  }
  {
    v1::CreateTableRequest r = Create("tbl", Key("pk", v1::SCALAR_TYPE_STRING), Key("sk", v1::SCALAR_TYPE_STRING));
    AddGsi(r, "gsi", Key("a", v1::SCALAR_TYPE_STRING));
    AddLsi(r, "lsi", Key("a", v1::SCALAR_TYPE_BINARY));
    cases.push_back({"two types across indexes", r, {"local_secondary_indexes[0].sort_key.type"}});
  }
  {
    v1::CreateTableRequest r = Create("tbl", Key("pk", v1::SCALAR_TYPE_STRING));
    AddLsi(r, "lsi", Key("a", v1::SCALAR_TYPE_STRING));
    cases.push_back({"LSI without a table sort key", r, {"local_secondary_indexes"}});
  }
  {
    v1::CreateTableRequest r = Create("tbl", Key("pk", v1::SCALAR_TYPE_STRING));
    AddGsi(r, "gsi", Key("a", v1::SCALAR_TYPE_STRING))->mutable_projection()->set_type(v1::PROJECTION_TYPE_INCLUDE);
    cases.push_back({"INCLUDE without attributes", r, {"global_secondary_indexes[0].projection.non_key_attributes"}});
  }
  {
    v1::CreateTableRequest r = Create("tbl", Key("pk", v1::SCALAR_TYPE_STRING));
    AddGsi(r, "gsi", Key("a", v1::SCALAR_TYPE_STRING))->mutable_projection()->add_non_key_attributes("x");
    cases.push_back({"attributes without INCLUDE", r, {"global_secondary_indexes[0].projection.non_key_attributes"}});
  }
  {
    v1::CreateTableRequest r = Create("tbl", Key("pk", v1::SCALAR_TYPE_STRING), Key("sk", v1::SCALAR_TYPE_STRING));
    AddGsi(r, "idx", Key("a", v1::SCALAR_TYPE_STRING));
    AddLsi(r, "idx", Key("b", v1::SCALAR_TYPE_STRING));
    AddGsi(r, "ix", Key("c", v1::SCALAR_TYPE_STRING));
    cases.push_back({"duplicate and invalid index names", r,
                     {"global_secondary_indexes[1].name", "local_secondary_indexes[0].name"}});
  }
  {
    v1::CreateTableRequest r = Create("tbl", Key("pk", v1::SCALAR_TYPE_STRING));
    AddGsi(r, "gsi", Key("", v1::SCALAR_TYPE_STRING), Key("s", v1::SCALAR_TYPE_UNSPECIFIED));
    cases.push_back({"index key errors", r,
                     {"global_secondary_indexes[0].partition_key.name", "global_secondary_indexes[0].sort_key.type"}});
  }
  for (const Case& c : cases) {
    const ErrorOr<BackendCall> result = TranslateCreateTable(c.request);
    std::vector<std::string> fields = ViolatedFields(result);
    std::sort(fields.begin(), fields.end());
    fields.erase(std::unique(fields.begin(), fields.end()), fields.end());
    std::vector<std::string> expected = c.fields;
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(fields, expected) << c.what << "\n" << (result.ok() ? "" : Describe(result.error().field_violations()));
  }
}

// ---------------------------------------------------------------------------------------------------------
// DescribeTable, DeleteTable

TEST(DescribeAndDeleteTableTest, Bodies) {
  v1::DescribeTableRequest describe;
  describe.set_table("orders");
  const BackendCall& d = Ok(TranslateDescribeTable(describe));
  EXPECT_STREQ(d.operation, "DescribeTable");
  EXPECT_EQ(d.access, AccessKind::kRead);
  EXPECT_EQ(d.table, "orders");
  EXPECT_EQ(Body(d), json({{"TableName", "orders"}}));

  const BackendCall internal = DescribeTableCall("orders");
  EXPECT_STREQ(internal.operation, "DescribeTable");
  EXPECT_EQ(internal.body, d.body);
  EXPECT_EQ(internal.access, AccessKind::kRead);

  v1::DeleteTableRequest del;
  del.set_table("orders");
  const BackendCall& x = Ok(TranslateDeleteTable(del));
  EXPECT_STREQ(x.operation, "DeleteTable");
  EXPECT_EQ(x.access, AccessKind::kSchema);
  EXPECT_EQ(Body(x), json({{"TableName", "orders"}}));

  for (const char* bad : {"", "ab", "has space", "caf\xC3\xA9"}) {
    describe.set_table(bad);
    del.set_table(bad);
    EXPECT_THAT(ViolatedFields(TranslateDescribeTable(describe)), ElementsAre("table")) << bad;
    EXPECT_THAT(ViolatedFields(TranslateDeleteTable(del)), ElementsAre("table")) << bad;
  }
}

// ---------------------------------------------------------------------------------------------------------
// ListTables

TEST(ListTablesTest, PageSizeAndTokens) {
  v1::ListTablesRequest r;
  const BackendCall& first = Ok(TranslateListTables(r, Tokens(), Now()));
  EXPECT_STREQ(first.operation, "ListTables");
  EXPECT_EQ(first.access, AccessKind::kRead);
  EXPECT_EQ(Body(first), json({{"Limit", 100}}));

  r.set_page_size(100);
  EXPECT_EQ(Body(Ok(TranslateListTables(r, Tokens(), Now())))["Limit"], 100);
  r.set_page_size(101);
  EXPECT_THAT(ViolatedFields(TranslateListTables(r, Tokens(), Now())), ElementsAre("page_size"));
  r.set_page_size(2);

  const ErrorOr<v1::ListTablesResponse> page = ParseListTablesResponse(
      json::parse(R"({"TableNames": ["alpha", "beta"], "LastEvaluatedTableName": "beta"})"), Tokens(), Now());
  ASSERT_TRUE(page.ok());
  EXPECT_THAT(page->tables(), ElementsAre("alpha", "beta"));
  ASSERT_FALSE(page->next_page_token().empty());

  r.set_page_token(page->next_page_token());
  EXPECT_EQ(Body(Ok(TranslateListTables(r, Tokens(), Now() + absl::Hours(1)))),
            json::parse(R"({"Limit": 2, "ExclusiveStartTableName": "beta"})"));

  const ErrorOr<BackendCall> expired = TranslateListTables(r, Tokens(), Now() + absl::Hours(25));
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.error().reason(), v1::PAGE_TOKEN_EXPIRED);
  EXPECT_THAT(FieldsOf(expired.error()), ElementsAre("page_token"));

  // A Query token (another binding), garbage, or a token of another key are not ListTables tokens.
  for (const std::string& bad : {Tokens().Encode("some query binding", "beta", Now()), std::string("garbage"),
                                 PageTokenCodec::Create({"other key"}, absl::Hours(1))->Encode("ListTables", "b", Now())}) {
    r.set_page_token(bad);
    const ErrorOr<BackendCall> result = TranslateListTables(r, Tokens(), Now());
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().reason(), v1::INVALID_PAGE_TOKEN);
    EXPECT_EQ(result.error().code(), absl::StatusCode::kInvalidArgument);
  }

  const ErrorOr<v1::ListTablesResponse> last =
      ParseListTablesResponse(json::parse(R"({"TableNames": ["gamma"]})"), Tokens(), Now());
  ASSERT_TRUE(last.ok());
  EXPECT_TRUE(last->next_page_token().empty());
  EXPECT_TRUE(ParseListTablesResponse(json::object(), Tokens(), Now())->tables().empty());
  EXPECT_EQ(ParseListTablesResponse(json::parse(R"({"TableNames": "x"})"), Tokens(), Now()).error().reason(),
            v1::BACKEND_ERROR);
  EXPECT_EQ(ParseListTablesResponse(json::parse(R"({"TableNames": [1]})"), Tokens(), Now()).error().reason(),
            v1::BACKEND_ERROR);
}

// ---------------------------------------------------------------------------------------------------------
// Table descriptions and schemas

// A DescribeTable answer as DynamoDB Local writes it, with a GSI, an LSI and an INCLUDE projection.
json DescribeAnswer() {
  return json::parse(R"({"Table": {
    "AttributeDefinitions": [
      {"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"},
      {"AttributeName": "g", "AttributeType": "S"}, {"AttributeName": "gs", "AttributeType": "B"},
      {"AttributeName": "total", "AttributeType": "N"}],
    "TableName": "orders",
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    "TableStatus": "ACTIVE",
    "CreationDateTime": 1795257889.079,
    "ProvisionedThroughput": {"LastIncreaseDateTime": 0.000, "LastDecreaseDateTime": 0.000,
                              "NumberOfDecreasesToday": 0, "ReadCapacityUnits": 0, "WriteCapacityUnits": 0},
    "TableSizeBytes": 9, "ItemCount": 42,
    "TableArn": "arn:aws:dynamodb:ddblocal:000000000000:table/orders",
    "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST", "LastUpdateToPayPerRequestDateTime": 1795257889.079},
    "GlobalSecondaryIndexes": [{
      "IndexName": "gix",
      "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}, {"AttributeName": "gs", "KeyType": "RANGE"}],
      "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["note", "total"]},
      "IndexStatus": "ACTIVE", "IndexSizeBytes": 0, "ItemCount": 0,
      "IndexArn": "arn:aws:dynamodb:ddblocal:000000000000:table/orders/index/gix"}],
    "LocalSecondaryIndexes": [{
      "IndexName": "lix",
      "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "total", "KeyType": "RANGE"}],
      "Projection": {"ProjectionType": "KEYS_ONLY"},
      "IndexSizeBytes": 0, "ItemCount": 0}],
    "DeletionProtectionEnabled": false}})");
}

TEST(TableDescriptionTest, ParsesARealisticDescribeTableAnswer) {
  const ErrorOr<v1::DescribeTableResponse> r = ParseDescribeTableResponse(DescribeAnswer());
  ASSERT_TRUE(r.ok()) << r.error().message();
  v1::TableDescription expected;
  expected.set_name("orders");
  *expected.mutable_partition_key() = Key("pk", v1::SCALAR_TYPE_STRING);
  *expected.mutable_sort_key() = Key("sk", v1::SCALAR_TYPE_NUMBER);
  expected.set_status(v1::TABLE_STATUS_ACTIVE);
  expected.set_approximate_item_count(42);
  v1::GlobalSecondaryIndex* gsi = expected.add_global_secondary_indexes();
  gsi->set_name("gix");
  *gsi->mutable_partition_key() = Key("g", v1::SCALAR_TYPE_STRING);
  *gsi->mutable_sort_key() = Key("gs", v1::SCALAR_TYPE_BINARY);
  gsi->mutable_projection()->set_type(v1::PROJECTION_TYPE_INCLUDE);
  gsi->mutable_projection()->add_non_key_attributes("note");
  gsi->mutable_projection()->add_non_key_attributes("total");
  v1::LocalSecondaryIndex* lsi = expected.add_local_secondary_indexes();
  lsi->set_name("lix");
  *lsi->mutable_sort_key() = Key("total", v1::SCALAR_TYPE_NUMBER);
  lsi->mutable_projection()->set_type(v1::PROJECTION_TYPE_KEYS_ONLY);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(r->table(), expected))
      << r->table().DebugString();

  // CreateTable answers carry the same description under TableDescription.
  json create = json::object();
  create["TableDescription"] = DescribeAnswer()["Table"];
  create["TableDescription"]["TableStatus"] = "CREATING";
  const ErrorOr<v1::CreateTableResponse> c = ParseCreateTableResponse(create);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->table().status(), v1::TABLE_STATUS_CREATING);
  EXPECT_EQ(c->table().global_secondary_indexes_size(), 1);
}

TEST(TableDescriptionTest, StatusesAndMinimalTables) {
  const std::pair<const char*, v1::TableStatus> statuses[] = {
      {"CREATING", v1::TABLE_STATUS_CREATING},   {"ACTIVE", v1::TABLE_STATUS_ACTIVE},
      {"UPDATING", v1::TABLE_STATUS_UPDATING},   {"DELETING", v1::TABLE_STATUS_DELETING},
      {"ARCHIVED", v1::TABLE_STATUS_UNSPECIFIED},
  };
  for (const auto& [text, status] : statuses) {
    json table = json::parse(R"({"TableName": "t1x", "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                                  "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "N"}]})");
    table["TableStatus"] = text;
    const absl::StatusOr<v1::TableDescription> d = ParseTableDescription(table);
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->status(), status) << text;
    EXPECT_EQ(d->partition_key().type(), v1::SCALAR_TYPE_NUMBER);
    EXPECT_TRUE(d->sort_key().name().empty());
    EXPECT_EQ(d->approximate_item_count(), 0);
  }
}

TEST(TableSchemaTest, ParsesKeysIndexesAndAttributeTypes) {
  const absl::StatusOr<TableSchema> schema = ParseTableSchema(DescribeAnswer()["Table"]);
  ASSERT_TRUE(schema.ok()) << schema.status();
  EXPECT_EQ(schema->table, "orders");
  EXPECT_EQ(schema->key.partition.name, "pk");
  EXPECT_EQ(schema->key.partition.type, v1::SCALAR_TYPE_STRING);
  EXPECT_EQ(schema->key.sort.name, "sk");
  EXPECT_EQ(schema->key.sort.type, v1::SCALAR_TYPE_NUMBER);
  EXPECT_TRUE(schema->key.has_sort_key());
  ASSERT_EQ(schema->indexes.size(), 2u);

  const IndexSchema* gix = schema->FindIndex("gix");
  ASSERT_NE(gix, nullptr);
  EXPECT_TRUE(gix->global);
  EXPECT_EQ(gix->key.partition.name, "g");
  EXPECT_EQ(gix->key.sort.type, v1::SCALAR_TYPE_BINARY);
  const IndexSchema* lix = schema->FindIndex("lix");
  ASSERT_NE(lix, nullptr);
  EXPECT_FALSE(lix->global);
  EXPECT_EQ(lix->key.partition.name, "pk");
  EXPECT_EQ(lix->key.sort.name, "total");
  EXPECT_EQ(schema->FindIndex("nope"), nullptr);
  EXPECT_EQ(schema->FindIndex(""), nullptr);

  EXPECT_EQ(schema->attribute_types.size(), 5u);
  EXPECT_EQ(schema->attribute_types.at("gs"), v1::SCALAR_TYPE_BINARY);
  EXPECT_TRUE(schema->IsTableKeyAttribute("pk"));
  EXPECT_TRUE(schema->IsTableKeyAttribute("sk"));
  EXPECT_FALSE(schema->IsTableKeyAttribute("g"));
  EXPECT_FALSE(schema->IsTableKeyAttribute(""));
}

TEST(TableSchemaTest, HashOnlyTableHasNoSortKey) {
  const absl::StatusOr<TableSchema> schema = ParseTableSchema(json::parse(
      R"({"TableName": "t1x", "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
          "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "B"}]})"));
  ASSERT_TRUE(schema.ok());
  EXPECT_FALSE(schema->key.has_sort_key());
  EXPECT_FALSE(schema->IsTableKeyAttribute(""));  // the empty sort key name is not a key attribute
  EXPECT_EQ(schema->key.partition.type, v1::SCALAR_TYPE_BINARY);
}

TEST(TableSchemaTest, MalformedDescriptionsAreErrors) {
  const char* const malformed[] = {
      R"([])",
      R"({})",
      R"({"TableName": 1, "KeySchema": []})",
      R"({"TableName": "t"})",
      R"({"TableName": "t", "KeySchema": {}})",
      R"({"TableName": "t", "KeySchema": []})",
      R"({"TableName": "t", "KeySchema": [{"AttributeName": "a", "KeyType": "RANGE"}]})",
      R"({"TableName": "t", "KeySchema": [{"AttributeName": "a", "KeyType": "SIDEWAYS"}]})",
      R"({"TableName": "t", "KeySchema": [{"AttributeName": "a"}]})",
      R"({"TableName": "t", "KeySchema": [7]})",
      R"({"TableName": "t", "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}],
          "GlobalSecondaryIndexes": [{"KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}]}]})",
      R"({"TableName": "t", "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}],
          "LocalSecondaryIndexes": [{"IndexName": "i"}]})",
      R"({"TableName": "t", "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}],
          "GlobalSecondaryIndexes": [{"IndexName": "i", "KeySchema": []}]})",
  };
  for (const char* text : malformed) {
    EXPECT_FALSE(ParseTableSchema(json::parse(text)).ok()) << text;
    EXPECT_FALSE(ParseTableDescription(json::parse(text)).ok()) << text;
  }
  EXPECT_EQ(ParseDescribeTableResponse(json::object()).error().reason(), v1::BACKEND_ERROR);
  EXPECT_EQ(ParseDescribeTableResponse(json::parse(R"({"Table": {}})")).error().reason(), v1::BACKEND_ERROR);
  EXPECT_EQ(ParseCreateTableResponse(json::parse(R"({"Table": {}})")).error().reason(), v1::BACKEND_ERROR);
}

TEST(TableSchemaTest, ScalarTypeCodes) {
  for (v1::ScalarType type : {v1::SCALAR_TYPE_STRING, v1::SCALAR_TYPE_NUMBER, v1::SCALAR_TYPE_BINARY}) {
    EXPECT_EQ(ScalarTypeFromCode(ScalarTypeCode(type)), type);
  }
  EXPECT_STREQ(ScalarTypeCode(v1::SCALAR_TYPE_STRING), "S");
  EXPECT_STREQ(ScalarTypeCode(v1::SCALAR_TYPE_NUMBER), "N");
  EXPECT_STREQ(ScalarTypeCode(v1::SCALAR_TYPE_BINARY), "B");
  EXPECT_STREQ(ScalarTypeCode(v1::SCALAR_TYPE_UNSPECIFIED), "");
  EXPECT_EQ(ScalarTypeFromCode("SS"), v1::SCALAR_TYPE_UNSPECIFIED);
  EXPECT_EQ(ScalarTypeFromCode("s"), v1::SCALAR_TYPE_UNSPECIFIED);
  EXPECT_STREQ(ScalarTypeName(v1::SCALAR_TYPE_BINARY), "bytes");
}

}  // namespace
}  // namespace altgw::model
