// Attribute names that look like expression syntax are data, never syntax: written, read, used in
// conditions, updates, projections and queries, and stored verbatim in the database.
#include <string>
#include <vector>

#include "integration_util.h"

namespace altgw::testing {
namespace {

using namespace std::string_literals;

class HostileNamesTest : public GatewaySuite {
 protected:
  static void SetUpTestSuite() {
    GatewaySuite::SetUpTestSuite();
    table_ = UniqueTableName("hostile");
    CreateTable(gateway(), table_, "pk", v1::SCALAR_TYPE_STRING);
  }

  inline static std::string table_;
};

std::vector<std::string> HostileNames() {
  return {
      "a.b",
      "x[0]",
      "[0]",
      "#",
      "#n0",
      "#n1",
      ":",
      ":v0",
      ":v1",
      "has space",
      " leading and trailing ",
      "paren)",
      "(",
      " OR ",
      "a OR b",
      "a AND attribute_exists(b)",
      "quote\"s",
      "single'q",
      "new\nline",
      "tab\there",
      "back`tick",
      "`",
      "``",
      "a.b[0].c",
      "=",
      "<>",
      ",",
      "$",
      "\\",
      "REMOVE",
      "SET x = :v0",
      "日本語",
      "😀",
      "e\xcc\x81",
      "nul\0inside"s,
  };
}

// The path naming the top-level attribute `name`: quoted when it contains . [ ] `, bare otherwise (a bare
// name takes every other character literally, spaces included).
std::string PathOf(const std::string& name) {
  if (name.find_first_of(".[]`") != std::string::npos) return Quoted(name);
  return name;
}

std::string KeyFor(size_t i) { return "hostile-" + std::to_string(i); }

TEST_F(HostileNamesTest, WrittenAndReadVerbatim) {
  const std::vector<std::string> names = HostileNames();
  for (size_t i = 0; i < names.size(); ++i) {
    SCOPED_TRACE(absl::CEscape(names[i]));
    const Attributes item = Item({{"pk", S(KeyFor(i))}, {names[i], S("value")}, {"m", M({{names[i], I(1)}})}});
    ASSERT_TRUE(Ok(Call(gateway(), PutOf(table_, item))));
    v1::GetResponse got;
    ASSERT_TRUE(Ok(Call(gateway(), GetOf(table_, Item({{"pk", S(KeyFor(i))}})), &got)));
    EXPECT_TRUE(SameItem(item, got.item()));
    // Stored under exactly that name, at the top level and inside the map.
    const json direct = DirectItem(table_, SKey("pk", KeyFor(i)));
    ASSERT_TRUE(direct.is_object());
    EXPECT_EQ(direct.size(), 3u) << direct.dump();
    EXPECT_EQ(direct[names[i]]["S"], "value");
    EXPECT_EQ(direct["m"]["M"][names[i]]["N"], "1");
  }
}

TEST_F(HostileNamesTest, UsedInConditions) {
  const std::vector<std::string> names = HostileNames();
  for (size_t i = 0; i < names.size(); ++i) {
    SCOPED_TRACE(absl::CEscape(names[i]));
    const std::string path = PathOf(names[i]);
    const std::string key = "cond-" + std::to_string(i);
    ASSERT_TRUE(Ok(Call(gateway(), PutOf(table_, Item({{"pk", S(key)}, {names[i], I(1)}, {"m", M({{names[i], I(2)}})}})))));

    // True conditions on the hostile attribute (top level and nested) let the write through.
    v1::PutRequest put = PutOf(table_, Item({{"pk", S(key)}, {names[i], I(3)}, {"m", M({{names[i], I(2)}})}}));
    *put.mutable_condition() =
        AllOf({Eq(path, I(1)), Exists(path), Eq("m." + path, I(2)), TypeIs(path, v1::ATTRIBUTE_TYPE_NUMBER),
               ComparePaths(path, v1::COMPARATOR_LESS, "m." + path), NotExists(path + ".x")});
    ASSERT_TRUE(Ok(Call(gateway(), put)));
    EXPECT_EQ(DirectItem(table_, SKey("pk", key))[names[i]]["N"], "3");

    // A false one does not; the name is not read as "something else that exists".
    *put.mutable_condition() = AnyOf({Eq(path, I(1)), NotExists(path)});
    EXPECT_TRUE(IsError(Call(gateway(), put), grpc::StatusCode::FAILED_PRECONDITION, "CONDITION_FAILED"));
    EXPECT_EQ(DirectItem(table_, SKey("pk", key))[names[i]]["N"], "3");
  }
}

TEST_F(HostileNamesTest, UsedInUpdates) {
  const std::vector<std::string> names = HostileNames();
  for (size_t i = 0; i < names.size(); ++i) {
    SCOPED_TRACE(absl::CEscape(names[i]));
    const std::string path = PathOf(names[i]);
    const std::string key = "update-" + std::to_string(i);
    ASSERT_TRUE(Ok(Call(gateway(), PutOf(table_, Item({{"pk", S(key)}, {names[i], I(1)}, {"m", M({{"x", I(0)}})}})))));

    v1::UpdateRequest update = UpdateOf(
        table_, Item({{"pk", S(key)}}),
        {IncrementAction(path, I(41)), SetAction("m." + path, S("nested")), AppendAction(Quoted("list " + names[i]), {I(1)}),
         AddAction(Quoted("set " + names[i]), SS({names[i]}))});
    update.set_return_values(v1::RETURN_VALUES_UPDATED_NEW);
    v1::UpdateResponse response;
    ASSERT_TRUE(Ok(Call(gateway(), update, &response)));
    EXPECT_TRUE(SameItem(Item({{names[i], I(42)},
                               {"m", M({{"x", I(0)}, {names[i], S("nested")}})},
                               {"list " + names[i], L({I(1)})},
                               {"set " + names[i], SS({names[i]})}}),
                         response.attributes()));
    const json direct = DirectItem(table_, SKey("pk", key));
    EXPECT_EQ(direct.size(), 5u) << "an update created an unexpected attribute: " << direct.dump();
    EXPECT_EQ(direct[names[i]]["N"], "42");
    EXPECT_EQ(direct["m"]["M"][names[i]]["S"], "nested");

    ASSERT_TRUE(Ok(Call(gateway(), UpdateOf(table_, Item({{"pk", S(key)}}), {RemoveAction(path), RemoveAction("m." + path)}))));
    const json removed = DirectItem(table_, SKey("pk", key));
    EXPECT_FALSE(removed.contains(names[i])) << removed.dump();
    EXPECT_EQ(removed["m"]["M"].size(), 1u) << removed.dump();
  }
}

TEST_F(HostileNamesTest, UsedInProjections) {
  const std::vector<std::string> names = HostileNames();
  for (size_t i = 0; i < names.size(); ++i) {
    SCOPED_TRACE(absl::CEscape(names[i]));
    const std::string path = PathOf(names[i]);
    const std::string key = "proj-" + std::to_string(i);
    ASSERT_TRUE(Ok(Call(gateway(), PutOf(table_, Item({{"pk", S(key)},
                                                      {names[i], S("top")},
                                                      {"other", S("no")},
                                                      {"m", M({{names[i], S("nested")}, {"x", S("no")}})}})))));
    v1::GetRequest get = GetOf(table_, Item({{"pk", S(key)}}));
    get.add_projection(path);
    get.add_projection("m." + path);
    v1::GetResponse got;
    ASSERT_TRUE(Ok(Call(gateway(), get, &got)));
    EXPECT_TRUE(got.found());
    EXPECT_TRUE(SameItem(Item({{names[i], S("top")}, {"m", M({{names[i], S("nested")}})}}), got.item()));
  }
}

// A table whose key attribute names are hostile: every operation, including Query with a sort-key
// condition, a filter and a projection.
TEST_F(HostileNamesTest, HostileKeyAttributeNames) {
  const std::string table = UniqueTableName("hostile_keys");
  const std::string pk = "#pk.a b:v0";
  const std::string sk = ":sk[0] OR `x`";
  CreateTable(gateway(), table, pk, v1::SCALAR_TYPE_STRING, sk, v1::SCALAR_TYPE_NUMBER);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(Ok(Call(gateway(), PutOf(table, Item({{pk, S("p")}, {sk, I(i)}, {"#n0", I(i * 10)}})))));
  }
  v1::GetResponse got;
  ASSERT_TRUE(Ok(Call(gateway(), GetOf(table, Item({{pk, S("p")}, {sk, I(3)}})), &got)));
  EXPECT_TRUE(SameItem(Item({{pk, S("p")}, {sk, I(3)}, {"#n0", I(30)}}), got.item()));

  v1::QueryRequest query = QueryOf(table, S("p"));
  query.mutable_sort_key()->set_operator_(v1::SORT_KEY_OPERATOR_GREATER_OR_EQUAL);
  *query.mutable_sort_key()->mutable_value() = I(1);
  *query.mutable_filter() = Compare("#n0", v1::COMPARATOR_LESS, I(40));
  query.add_projection(Quoted(sk));
  query.add_projection("#n0");
  query.set_descending(true);
  const std::vector<Attributes> items = QueryAll(gateway(), query);
  ASSERT_EQ(items.size(), 3u);
  for (size_t i = 0; i < items.size(); ++i) {
    const int64_t expected = 3 - static_cast<int64_t>(i);
    EXPECT_TRUE(SameItem(Item({{sk, I(expected)}, {"#n0", I(expected * 10)}}), items[i]));
  }

  v1::UpdateRequest update = UpdateOf(table, Item({{pk, S("p")}, {sk, I(0)}}), {SetAction("#n0", S("updated"))});
  *update.mutable_condition() = AllOf({Exists(Quoted(pk)), Eq(Quoted(sk), I(0))});
  ASSERT_TRUE(Ok(Call(gateway(), update)));
  const json direct = DirectItem(table, {{pk, {{"S", "p"}}}, {sk, {{"N", "0"}}}});
  EXPECT_EQ(direct["#n0"]["S"], "updated");

  // Updating a hostile key attribute is still recognised as updating a key.
  EXPECT_TRUE(IsInvalid(Call(gateway(), UpdateOf(table, Item({{pk, S("p")}, {sk, I(0)}}), {SetAction(Quoted(sk), I(9))})),
                        "actions[0].set.path"));

  v1::DeleteRequest del = DeleteOf(table, Item({{pk, S("p")}, {sk, I(0)}}));
  *del.mutable_condition() = Eq("#n0", S("updated"));
  ASSERT_TRUE(Ok(Call(gateway(), del)));
  EXPECT_EQ(DirectScan(table).size(), 4u);
}

// Paths in the request syntax: backticks quote dots and brackets; `` is a literal backtick; a quoted
// plain name is the same attribute as the bare one; invalid syntax is rejected naming the field.
TEST_F(HostileNamesTest, PathQuoting) {
  ASSERT_TRUE(Ok(Call(gateway(), PutOf(table_, Item({{"pk", S("quoting")},
                                                    {"a", M({{"b", S("nested a.b")}})},
                                                    {"a.b", S("flat a.b")},
                                                    {"x`y", S("backtick")},
                                                    {"plain", S("plain")}})))));
  struct Case {
    std::string path;
    Attributes expected;
  };
  const std::vector<Case> cases = {
      {"a.b", Item({{"a", M({{"b", S("nested a.b")}})}})},
      {"`a.b`", Item({{"a.b", S("flat a.b")}})},
      {"`a`.`b`", Item({{"a", M({{"b", S("nested a.b")}})}})},
      {"`x``y`", Item({{"x`y", S("backtick")}})},
      {"`plain`", Item({{"plain", S("plain")}})},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.path);
    v1::GetRequest get = GetOf(table_, Item({{"pk", S("quoting")}}));
    get.add_projection(c.path);
    v1::GetResponse got;
    ASSERT_TRUE(Ok(Call(gateway(), get, &got)));
    EXPECT_TRUE(SameItem(c.expected, got.item()));
  }
  for (const std::string bad : {"", "a..b", "a.", ".a", "a[", "a[x]", "a[1", "`unterminated", "``", "a]", "a`b`"}) {
    SCOPED_TRACE(bad);
    v1::GetRequest get = GetOf(table_, Item({{"pk", S("quoting")}}));
    get.add_projection("pk");
    get.add_projection(bad);
    EXPECT_TRUE(IsInvalid(Call(gateway(), get), "projection[1]"));
  }
}

}  // namespace
}  // namespace altgw::testing
