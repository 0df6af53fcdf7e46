// TableService: create (keys, GSIs, LSIs), describe, list with pagination, delete; and data calls on a
// deleted table, which the gateway's schema cache must not hide.
#include <unistd.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "integration_util.h"

namespace altgw::testing {
namespace {

class TablesTest : public GatewaySuite {};

v1::CreateTableRequest FullTable(const std::string& name) {
  v1::CreateTableRequest create;
  create.set_table(name);
  *create.mutable_partition_key() = KeyAttr("pk", v1::SCALAR_TYPE_STRING);
  *create.mutable_sort_key() = KeyAttr("sk", v1::SCALAR_TYPE_NUMBER);
  auto* gsi = create.add_global_secondary_indexes();
  gsi->set_name("gsi_all");
  *gsi->mutable_partition_key() = KeyAttr("g", v1::SCALAR_TYPE_BINARY);
  gsi = create.add_global_secondary_indexes();
  gsi->set_name("gsi.keys-only");
  *gsi->mutable_partition_key() = KeyAttr("g2", v1::SCALAR_TYPE_STRING);
  *gsi->mutable_sort_key() = KeyAttr("sk", v1::SCALAR_TYPE_NUMBER);
  gsi->mutable_projection()->set_type(v1::PROJECTION_TYPE_KEYS_ONLY);
  gsi = create.add_global_secondary_indexes();
  gsi->set_name("gsi_include");
  *gsi->mutable_partition_key() = KeyAttr("g", v1::SCALAR_TYPE_BINARY);
  *gsi->mutable_sort_key() = KeyAttr("rank", v1::SCALAR_TYPE_NUMBER);
  gsi->mutable_projection()->set_type(v1::PROJECTION_TYPE_INCLUDE);
  gsi->mutable_projection()->add_non_key_attributes("a");
  gsi->mutable_projection()->add_non_key_attributes("b");
  auto* lsi = create.add_local_secondary_indexes();
  lsi->set_name("lsi_all");
  *lsi->mutable_sort_key() = KeyAttr("rank", v1::SCALAR_TYPE_NUMBER);
  lsi = create.add_local_secondary_indexes();
  lsi->set_name("lsi_include");
  *lsi->mutable_sort_key() = KeyAttr("title", v1::SCALAR_TYPE_STRING);
  lsi->mutable_projection()->set_type(v1::PROJECTION_TYPE_INCLUDE);
  lsi->mutable_projection()->add_non_key_attributes("c");
  return create;
}

// The description matches the request that created the table (indexes compared by name).
void ExpectDescribes(const v1::CreateTableRequest& create, const v1::TableDescription& table) {
  EXPECT_EQ(table.name(), create.table());
  EXPECT_EQ(table.partition_key().ShortDebugString(), create.partition_key().ShortDebugString());
  EXPECT_EQ(table.sort_key().ShortDebugString(), create.sort_key().ShortDebugString());
  EXPECT_EQ(table.status(), v1::TABLE_STATUS_ACTIVE);

  std::map<std::string, std::string> expected_gsis, actual_gsis, expected_lsis, actual_lsis;
  auto normalise = [](auto index) {
    auto* names = index.mutable_projection()->mutable_non_key_attributes();
    std::sort(names->begin(), names->end());
    return index.ShortDebugString();
  };
  for (const auto& g : create.global_secondary_indexes()) expected_gsis[g.name()] = normalise(g);
  for (const auto& g : table.global_secondary_indexes()) actual_gsis[g.name()] = normalise(g);
  for (const auto& l : create.local_secondary_indexes()) expected_lsis[l.name()] = normalise(l);
  for (const auto& l : table.local_secondary_indexes()) actual_lsis[l.name()] = normalise(l);
  EXPECT_EQ(actual_gsis, expected_gsis);
  EXPECT_EQ(actual_lsis, expected_lsis);
}

TEST_F(TablesTest, CreateAndDescribeWithIndexes) {
  const v1::CreateTableRequest create = FullTable(UniqueTableName("tables_full"));
  v1::CreateTableResponse created;
  ASSERT_TRUE(Ok(CreateTableCall(gateway(), create, &created)));
  ExpectDescribes(create, created.table());

  v1::DescribeTableResponse described;
  ASSERT_TRUE(Ok(DescribeTableCall(gateway(), create.table(), &described)));
  ExpectDescribes(create, described.table());
  EXPECT_GE(described.table().approximate_item_count(), 0);

  // The database has exactly that schema.
  auto direct = Db().Call("DescribeTable", {{"TableName", create.table()}});
  ASSERT_EQ(direct.status, 200);
  EXPECT_EQ(direct.body["Table"]["KeySchema"].size(), 2u);
  EXPECT_EQ(direct.body["Table"]["GlobalSecondaryIndexes"].size(), 3u);
  EXPECT_EQ(direct.body["Table"]["LocalSecondaryIndexes"].size(), 2u);

  // And it is usable right away, index keys included.
  ASSERT_TRUE(Ok(Call(gateway(), PutOf(create.table(), Item({{"pk", S("p")}, {"sk", I(1)}, {"g", B("\x01")},
                                                            {"rank", I(3)}, {"a", S("A")}, {"c", S("C")}})))));
  v1::QueryRequest query = QueryOf(create.table(), B("\x01"));
  query.set_index("gsi_include");
  const std::vector<Attributes> items = QueryAll(gateway(), query);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_TRUE(SameItem(Item({{"pk", S("p")}, {"sk", I(1)}, {"g", B("\x01")}, {"rank", I(3)}, {"a", S("A")}}), items[0]));
}

TEST_F(TablesTest, CreateSimpleTables) {
  for (v1::ScalarType type : {v1::SCALAR_TYPE_STRING, v1::SCALAR_TYPE_NUMBER, v1::SCALAR_TYPE_BINARY}) {
    SCOPED_TRACE(v1::ScalarType_Name(type));
    v1::CreateTableRequest create;
    create.set_table(UniqueTableName("tables_simple"));
    *create.mutable_partition_key() = KeyAttr("id", type);
    v1::CreateTableResponse created;
    ASSERT_TRUE(Ok(CreateTableCall(gateway(), create, &created)));
    ExpectDescribes(create, created.table());
    EXPECT_TRUE(created.table().sort_key().name().empty());
    v1::DescribeTableResponse described;
    ASSERT_TRUE(Ok(DescribeTableCall(gateway(), create.table(), &described)));
    ExpectDescribes(create, described.table());
  }
}

TEST_F(TablesTest, CreateTwiceIsAlreadyExists) {
  const std::string table = UniqueTableName("tables_twice");
  CreateTable(gateway(), table, "pk", v1::SCALAR_TYPE_STRING);
  ASSERT_TRUE(Ok(Call(gateway(), PutOf(table, Item({{"pk", S("kept")}})))));
  v1::CreateTableRequest again;
  again.set_table(table);
  *again.mutable_partition_key() = KeyAttr("other", v1::SCALAR_TYPE_NUMBER);
  const grpc::Status status = CreateTableCall(gateway(), again);
  ASSERT_TRUE(IsError(status, grpc::StatusCode::ALREADY_EXISTS, "TABLE_ALREADY_EXISTS"));
  const RpcError error = DecodeError(status);
  ASSERT_TRUE(error.resource.has_value());
  EXPECT_EQ(error.resource->resource_name(), table);
  // The existing table is untouched.
  EXPECT_TRUE(DirectItem(table, SKey("pk", "kept")).is_object());
  v1::DescribeTableResponse described;
  ASSERT_TRUE(Ok(DescribeTableCall(gateway(), table, &described)));
  EXPECT_EQ(described.table().partition_key().name(), "pk");
}

TEST_F(TablesTest, MissingTableIsNotFound) {
  const std::string table = UniqueTableName("tables_missing");
  for (const grpc::Status& status : {DescribeTableCall(gateway(), table), DeleteTableCall(gateway(), table)}) {
    ASSERT_TRUE(IsError(status, grpc::StatusCode::NOT_FOUND, "TABLE_NOT_FOUND"));
    const RpcError error = DecodeError(status);
    ASSERT_TRUE(error.resource.has_value());
    EXPECT_EQ(error.resource->resource_type(), "table");
    EXPECT_EQ(error.resource->resource_name(), table);
  }
}

TEST_F(TablesTest, InvalidTableNames) {
  const std::vector<std::string> bad = {"", "ab", "has space", "bad!name", "semi;colon", "slash/name", "日本語表",
                                        std::string(256, 'a')};
  for (const std::string& name : bad) {
    SCOPED_TRACE(name);
    v1::CreateTableRequest create;
    create.set_table(name);
    *create.mutable_partition_key() = KeyAttr("pk", v1::SCALAR_TYPE_STRING);
    EXPECT_TRUE(IsInvalid(CreateTableCall(gateway(), create), "table"));
    EXPECT_TRUE(IsInvalid(DescribeTableCall(gateway(), name), "table"));
    EXPECT_TRUE(IsInvalid(DeleteTableCall(gateway(), name), "table"));
    EXPECT_TRUE(IsInvalid(Call(gateway(), PutOf(name, Item({{"pk", S("x")}}))), "table"));
    EXPECT_TRUE(IsInvalid(Call(gateway(), GetOf(name, Item({{"pk", S("x")}}))), "table"));
    EXPECT_TRUE(IsInvalid(Call(gateway(), QueryOf(name, S("x"))), "table"));
    if (!name.empty()) {
      EXPECT_FALSE(DirectTableExists(name));
    }
  }
  // The limits themselves are fine: 3 and 255 characters from the allowed set.
  for (const std::string& name : {std::string("a.b"), "Z-_" + std::to_string(getpid()), std::string(255, 'x')}) {
    SCOPED_TRACE(name);
    v1::CreateTableRequest create;
    create.set_table(name);
    *create.mutable_partition_key() = KeyAttr("pk", v1::SCALAR_TYPE_STRING);
    DeleteTableCall(gateway(), name);  // from an earlier run against the same database, if any
    ASSERT_TRUE(Ok(CreateTableCall(gateway(), create)));
    EXPECT_TRUE(DirectTableExists(name));
    ASSERT_TRUE(Ok(DeleteTableCall(gateway(), name)));
  }
}

TEST_F(TablesTest, InvalidCreateRequests) {
  const std::string name = UniqueTableName("tables_badcreate");
  v1::CreateTableRequest create;
  create.set_table(name);
  EXPECT_TRUE(IsInvalid(CreateTableCall(gateway(), create), "partition_key.name"));
  *create.mutable_partition_key() = KeyAttr("pk", v1::SCALAR_TYPE_UNSPECIFIED);
  EXPECT_TRUE(IsInvalid(CreateTableCall(gateway(), create), "partition_key.type"));

  // An LSI needs a table sort key.
  create = v1::CreateTableRequest();
  create.set_table(name);
  *create.mutable_partition_key() = KeyAttr("pk", v1::SCALAR_TYPE_STRING);
  auto* lsi = create.add_local_secondary_indexes();
  lsi->set_name("lsi");
  *lsi->mutable_sort_key() = KeyAttr("x", v1::SCALAR_TYPE_STRING);
  EXPECT_TRUE(IsInvalid(CreateTableCall(gateway(), create), "local_secondary_indexes"));

  // INCLUDE needs attributes; one attribute cannot have two types; index names are checked and unique.
  create = v1::CreateTableRequest();
  create.set_table(name);
  *create.mutable_partition_key() = KeyAttr("pk", v1::SCALAR_TYPE_STRING);
  auto* gsi = create.add_global_secondary_indexes();
  gsi->set_name("g1");
  *gsi->mutable_partition_key() = KeyAttr("pk", v1::SCALAR_TYPE_NUMBER);
  gsi->mutable_projection()->set_type(v1::PROJECTION_TYPE_INCLUDE);
  gsi = create.add_global_secondary_indexes();
  gsi->set_name("g1");
  *gsi->mutable_partition_key() = KeyAttr("other", v1::SCALAR_TYPE_STRING);
  gsi = create.add_global_secondary_indexes();
  gsi->set_name("x");
  *gsi->mutable_partition_key() = KeyAttr("other", v1::SCALAR_TYPE_STRING);
  const grpc::Status status = CreateTableCall(gateway(), create);
  EXPECT_TRUE(IsInvalid(status, "global_secondary_indexes[0].projection.non_key_attributes"));
  EXPECT_TRUE(IsInvalid(status, "global_secondary_indexes[0].partition_key.type"));
  EXPECT_TRUE(IsInvalid(status, "global_secondary_indexes[1].name"));
  EXPECT_TRUE(IsInvalid(status, "global_secondary_indexes[2].name"));
  EXPECT_FALSE(DirectTableExists(name));
}

TEST_F(TablesTest, ListTablesPagination) {
  std::set<std::string> created;
  for (int i = 0; i < 5; ++i) {
    const std::string table = UniqueTableName("tables_list");
    CreateTable(gateway(), table, "pk", v1::SCALAR_TYPE_STRING);
    created.insert(table);
  }
  std::vector<std::string> all;
  v1::ListTablesRequest request;
  request.set_page_size(2);
  int pages = 0;
  for (;;) {
    v1::ListTablesResponse response;
    ASSERT_TRUE(Ok(gateway().tables().ListTables(Context().get(), request, &response)));
    ++pages;
    EXPECT_LE(response.tables_size(), 2);
    for (const auto& t : response.tables()) all.push_back(t);
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
    ASSERT_LT(pages, 10000);
  }
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end()));
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()).size(), all.size()) << "a table was listed twice";
  for (const auto& table : created) EXPECT_EQ(std::count(all.begin(), all.end(), table), 1) << table;
  EXPECT_GE(pages, static_cast<int>((all.size() + 1) / 2));

  // The same list in one page of the default size (when it fits), as the database has it.
  auto direct = Db().Call("ListTables", {{"Limit", 100}});
  if (!direct.body.contains("LastEvaluatedTableName")) {
    EXPECT_EQ(all, direct.body["TableNames"].get<std::vector<std::string>>());
  }

  // Page size bounds and foreign tokens.
  request = v1::ListTablesRequest();
  request.set_page_size(101);
  v1::ListTablesResponse response;
  EXPECT_TRUE(IsInvalid(gateway().tables().ListTables(Context().get(), request, &response), "page_size"));
  request.set_page_size(2);
  request.set_page_token("bogus");
  const grpc::Status bogus = gateway().tables().ListTables(Context().get(), request, &response);
  EXPECT_TRUE(IsError(bogus, grpc::StatusCode::INVALID_ARGUMENT, "INVALID_PAGE_TOKEN"));

  // ListTables and Query tokens are not interchangeable.
  const std::string table = *created.begin();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Ok(Call(gateway(), PutOf(table, Item({{"pk", S("k" + std::to_string(i))}})))));
  request = v1::ListTablesRequest();
  request.set_page_size(1);
  ASSERT_TRUE(Ok(gateway().tables().ListTables(Context().get(), request, &response)));
  ASSERT_FALSE(response.next_page_token().empty());
  v1::QueryRequest query = QueryOf(table, S("k0"));
  query.set_page_token(response.next_page_token());
  EXPECT_TRUE(IsError(Call(gateway(), query), grpc::StatusCode::INVALID_ARGUMENT, "INVALID_PAGE_TOKEN"));
  v1::CreateTableRequest composite;
  composite.set_table(UniqueTableName("tables_list_query"));
  *composite.mutable_partition_key() = KeyAttr("pk", v1::SCALAR_TYPE_STRING);
  *composite.mutable_sort_key() = KeyAttr("sk", v1::SCALAR_TYPE_NUMBER);
  ASSERT_TRUE(Ok(CreateTableCall(gateway(), composite)));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(Ok(Call(gateway(), PutOf(composite.table(), Item({{"pk", S("p")}, {"sk", I(i)}})))));
  }
  query = QueryOf(composite.table(), S("p"));
  query.set_page_size(1);
  v1::QueryResponse page;
  ASSERT_TRUE(Ok(Call(gateway(), query, &page)));
  ASSERT_FALSE(page.next_page_token().empty());
  request.set_page_token(page.next_page_token());
  EXPECT_TRUE(IsError(gateway().tables().ListTables(Context().get(), request, &response),
                      grpc::StatusCode::INVALID_ARGUMENT, "INVALID_PAGE_TOKEN"));
}

// After DeleteTable, every data call is NOT_FOUND, even from a gateway that cached the schema before, and
// even when the table was deleted behind the gateway's back.
TEST_F(TablesTest, DeletedTableIsNotFoundForDataCalls) {
  GatewayHarness other;  // a second gateway that will have the old schema cached
  for (bool through_gateway : {true, false}) {
    SCOPED_TRACE(through_gateway ? "deleted through the gateway" : "deleted directly in the database");
    const std::string table = UniqueTableName("tables_deleted");
    CreateTable(gateway(), table, "pk", v1::SCALAR_TYPE_STRING, "sk", v1::SCALAR_TYPE_NUMBER);
    const Attributes key = Item({{"pk", S("k")}, {"sk", I(1)}});
    for (GatewayHarness* g : {&gateway(), &other}) {
      ASSERT_TRUE(Ok(Call(*g, PutOf(table, Item({{"pk", S("k")}, {"sk", I(1)}, {"v", I(1)}})))));
      ASSERT_TRUE(Ok(Call(*g, GetOf(table, key))));
      ASSERT_TRUE(Ok(Call(*g, QueryOf(table, S("k")))));
    }
    if (through_gateway) {
      ASSERT_TRUE(Ok(DeleteTableCall(gateway(), table)));
    } else {
      ASSERT_EQ(Db().Call("DeleteTable", {{"TableName", table}}).status, 200);
    }
    EXPECT_FALSE(DirectTableExists(table));

    for (GatewayHarness* g : {&gateway(), &other}) {
      SCOPED_TRACE(g == &other ? "other gateway" : "gateway");
      const std::vector<grpc::Status> statuses = {
          Call(*g, PutOf(table, Item({{"pk", S("k")}, {"sk", I(2)}}))),
          Call(*g, GetOf(table, key)),
          Call(*g, DeleteOf(table, key)),
          Call(*g, UpdateOf(table, key, {SetAction("v", I(2))})),
          Call(*g, QueryOf(table, S("k"))),
          DescribeTableCall(*g, table),
          DeleteTableCall(*g, table),
      };
      for (const grpc::Status& status : statuses) {
        ASSERT_TRUE(IsError(status, grpc::StatusCode::NOT_FOUND, "TABLE_NOT_FOUND"));
        const RpcError error = DecodeError(status);
        ASSERT_TRUE(error.resource.has_value());
        EXPECT_EQ(error.resource->resource_name(), table);
      }
    }
    EXPECT_FALSE(DirectTableExists(table)) << "a data call re-created the table";

    // Re-created (with another key type), the table works again through the gateway that re-created it.
    CreateTable(gateway(), table, "pk", v1::SCALAR_TYPE_NUMBER);
    ASSERT_TRUE(Ok(Call(gateway(), PutOf(table, Item({{"pk", I(7)}, {"v", S("new")}})))));
    v1::GetResponse got;
    ASSERT_TRUE(Ok(Call(gateway(), GetOf(table, Item({{"pk", I(7)}})), &got)));
    EXPECT_TRUE(SameItem(Item({{"pk", I(7)}, {"v", S("new")}}), got.item()));
    EXPECT_TRUE(IsInvalid(Call(gateway(), GetOf(table, key)), "key"));
  }
}

}  // namespace
}  // namespace altgw::testing
