// Update actions, one by one and combined, checked in the database; ReturnValues with exact attributes.
#include <string>
#include <vector>

#include "integration_util.h"

namespace altgw::testing {
namespace {

class UpdateTest : public GatewaySuite {
 protected:
  static void SetUpTestSuite() {
    GatewaySuite::SetUpTestSuite();
    table_ = UniqueTableName("update");
    CreateTable(gateway(), table_, "pk", v1::SCALAR_TYPE_STRING);
  }

  // Puts `item`, applies `actions` to it, and returns the item as the gateway then reads it (consistent).
  static Attributes Apply(const Attributes& item, const std::vector<v1::UpdateAction>& actions) {
    const std::string key = item.at("pk").string_value();
    EXPECT_TRUE(Ok(Call(gateway(), PutOf(table_, item))));
    EXPECT_TRUE(Ok(Call(gateway(), UpdateOf(table_, Item({{"pk", S(key)}}), actions))));
    return Read(key);
  }

  static Attributes Read(const std::string& key) {
    v1::GetRequest get = GetOf(table_, Item({{"pk", S(key)}}));
    get.set_consistent_read(true);
    v1::GetResponse got;
    EXPECT_TRUE(Ok(Call(gateway(), get, &got)));
    EXPECT_TRUE(got.found());
    return got.item();
  }

  inline static std::string table_;
};

TEST_F(UpdateTest, SetTopLevelAndNested) {
  const Attributes before =
      Item({{"pk", S("set")}, {"a", M({{"b", L({M({{"c", I(1)}}), M({{"c", I(2)}, {"d", S("keep")}})})}})}});
  const Attributes after = Apply(before, {SetAction("a.b[1].c", S("changed")), SetAction("top", L({I(1), S("x")})),
                                          SetAction("a.new", Bool(true))});
  EXPECT_TRUE(SameItem(Item({{"pk", S("set")},
                             {"a", M({{"b", L({M({{"c", I(1)}}), M({{"c", S("changed")}, {"d", S("keep")}})})},
                                      {"new", Bool(true)}})},
                             {"top", L({I(1), S("x")})}}),
                       after));
  // Directly: the nested element changed and nothing else did.
  const json direct = DirectItem(table_, SKey("pk", "set"));
  EXPECT_EQ(direct["a"]["M"]["b"]["L"][1]["M"]["c"]["S"], "changed");
  EXPECT_EQ(direct["a"]["M"]["b"]["L"][0]["M"]["c"]["N"], "1");
  // Replacing a whole attribute with another type.
  EXPECT_TRUE(SameItem(Item({{"pk", S("set")}, {"a", I(100)}, {"top", L({I(1), S("x")})}}),
                       Apply(after, {SetAction("a", N("1e2"))})));
  EXPECT_EQ(DirectItem(table_, SKey("pk", "set"))["a"]["N"], "100");
}

TEST_F(UpdateTest, SetIfNotExists) {
  const Attributes after = Apply(Item({{"pk", S("sine")}, {"present", S("old")}, {"m", M({{"x", I(1)}})}}),
                                 {SetIfNotExistsAction("present", S("new")), SetIfNotExistsAction("absent", S("new")),
                                  SetIfNotExistsAction("m.x", I(9)), SetIfNotExistsAction("m.y", I(9))});
  EXPECT_TRUE(SameItem(Item({{"pk", S("sine")},
                             {"present", S("old")},
                             {"absent", S("new")},
                             {"m", M({{"x", I(1)}, {"y", I(9)}})}}),
                       after));
}

TEST_F(UpdateTest, RemoveAttributeAndListElement) {
  const Attributes after =
      Apply(Item({{"pk", S("remove")}, {"gone", S("x")}, {"l", L({S("a"), S("b"), S("c")})}, {"m", M({{"x", I(1)}, {"y", I(2)}})}}),
            {RemoveAction("gone"), RemoveAction("l[1]"), RemoveAction("m.y"), RemoveAction("never-there")});
  EXPECT_TRUE(SameItem(Item({{"pk", S("remove")}, {"l", L({S("a"), S("c")})}, {"m", M({{"x", I(1)}})}}), after));
  const json direct = DirectItem(table_, SKey("pk", "remove"));
  EXPECT_FALSE(direct.contains("gone"));
  EXPECT_EQ(direct["l"]["L"].size(), 2u);
}

TEST_F(UpdateTest, AddNumbersAndSets) {
  const Attributes after = Apply(Item({{"pk", S("add")}, {"n", I(5)}, {"d", N("0.5")}, {"ss", SS({"a"})}, {"ns", NS({"1"})}}),
                                 {AddAction("n", I(3)), AddAction("d", N("-1.25")), AddAction("missing", I(7)),
                                  AddAction("ss", SS({"b", "c"})), AddAction("ns", NS({"1.0", "2"})),
                                  AddAction("new_set", BS({"\x01"}))});
  EXPECT_TRUE(SameItem(Item({{"pk", S("add")},
                             {"n", I(8)},
                             {"d", N("-0.75")},
                             {"missing", I(7)},
                             {"ss", SS({"a", "b", "c"})},
                             {"ns", NumberSet({I(1), I(2)})},
                             {"new_set", BS({"\x01"})}}),
                       after));
}

TEST_F(UpdateTest, DeleteFromSet) {
  const Attributes after =
      Apply(Item({{"pk", S("delset")}, {"ss", SS({"a", "b", "c"})}, {"ns", NS({"1", "2.5"})}, {"bs", BS({"\x01", "\x02"})},
                  {"last", SS({"only"})}}),
            {DeleteFromSetAction("ss", SS({"b", "zzz"})), DeleteFromSetAction("ns", NS({"2.50"})),
             DeleteFromSetAction("bs", BS({"\x01"})), DeleteFromSetAction("last", SS({"only"}))});
  // Removing the last element removes the attribute (DynamoDB has no empty sets).
  EXPECT_TRUE(SameItem(Item({{"pk", S("delset")}, {"ss", SS({"a", "c"})}, {"ns", NumberSet({I(1)})}, {"bs", BS({"\x02"})}}),
                       after));
}

TEST_F(UpdateTest, Increment) {
  const Attributes after =
      Apply(Item({{"pk", S("incr")}, {"up", I(10)}, {"down", I(10)}, {"dec", N("1.5")}, {"m", M({{"count", I(1)}})},
                  {"l", L({I(100)})}}),
            {IncrementAction("up", I(5)), IncrementAction("down", I(-15)), IncrementAction("dec", N("0.25")),
             IncrementAction("m.count", I(41)), IncrementAction("m.fresh", I(3)), IncrementAction("l[0]", F(-0.5)),
             IncrementAction("missing", N("-2.5"))});
  EXPECT_TRUE(SameItem(Item({{"pk", S("incr")},
                             {"up", I(15)},
                             {"down", I(-5)},
                             {"dec", N("1.75")},
                             {"m", M({{"count", I(42)}, {"fresh", I(3)}})},
                             {"l", L({N("99.5")})},
                             {"missing", N("-2.5")}}),
                       after));
  // Increments accumulate.
  ASSERT_TRUE(Ok(Call(gateway(), UpdateOf(table_, Item({{"pk", S("incr")}}), {IncrementAction("up", I(1))}))));
  ASSERT_TRUE(Ok(Call(gateway(), UpdateOf(table_, Item({{"pk", S("incr")}}), {IncrementAction("up", I(1))}))));
  EXPECT_EQ(DirectItem(table_, SKey("pk", "incr"))["up"]["N"], "17");
}

TEST_F(UpdateTest, AppendAndPrependToLists) {
  const Attributes after =
      Apply(Item({{"pk", S("lists")}, {"a", L({I(1), I(2)})}, {"p", L({I(1), I(2)})}, {"m", M({{"l", L({S("x")})}})}}),
            {AppendAction("a", {I(3), S("four")}), PrependAction("p", {I(-1), I(0)}), AppendAction("new_a", {I(1)}),
             PrependAction("new_p", {S("first"), S("second")}), AppendAction("m.l", {L({S("nested")})})});
  EXPECT_TRUE(SameItem(Item({{"pk", S("lists")},
                             {"a", L({I(1), I(2), I(3), S("four")})},
                             {"p", L({I(-1), I(0), I(1), I(2)})},
                             {"new_a", L({I(1)})},
                             {"new_p", L({S("first"), S("second")})},
                             {"m", M({{"l", L({S("x"), L({S("nested")})})}})}}),
                       after));
}

// ReturnValues: each mode returns exactly the attributes it promises.
TEST_F(UpdateTest, ReturnValues) {
  const Attributes before = Item({{"pk", S("rv")}, {"a", I(1)}, {"b", S("x")}, {"c", L({I(1)})}, {"r", S("bye")}});
  const std::vector<v1::UpdateAction> actions = {SetAction("a", I(2)), SetAction("d", S("new")), RemoveAction("r"),
                                                 AppendAction("c", {I(2)})};
  const Attributes all_new =
      Item({{"pk", S("rv")}, {"a", I(2)}, {"b", S("x")}, {"c", L({I(1), I(2)})}, {"d", S("new")}});
  struct Expectation {
    v1::ReturnValues mode;
    Attributes attributes;
  };
  const std::vector<Expectation> expectations = {
      {v1::RETURN_VALUES_NONE, Attributes()},
      {v1::RETURN_VALUES_ALL_OLD, before},
      {v1::RETURN_VALUES_UPDATED_OLD, Item({{"a", I(1)}, {"c", L({I(1)})}, {"r", S("bye")}})},
      {v1::RETURN_VALUES_ALL_NEW, all_new},
      {v1::RETURN_VALUES_UPDATED_NEW, Item({{"a", I(2)}, {"c", L({I(1), I(2)})}, {"d", S("new")}})},
  };
  for (const Expectation& e : expectations) {
    SCOPED_TRACE(v1::ReturnValues_Name(e.mode));
    ASSERT_TRUE(Ok(Call(gateway(), PutOf(table_, before))));
    v1::UpdateRequest update = UpdateOf(table_, Item({{"pk", S("rv")}}), actions);
    update.set_return_values(e.mode);
    v1::UpdateResponse response;
    ASSERT_TRUE(Ok(Call(gateway(), update, &response)));
    EXPECT_TRUE(SameItem(e.attributes, response.attributes()));
    EXPECT_TRUE(SameItem(all_new, Read("rv")));
  }

  // ALL_OLD of an item that did not exist: nothing; ALL_NEW: the created item.
  v1::UpdateRequest create = UpdateOf(table_, Item({{"pk", S("rv-new")}}), {SetAction("a", I(1))});
  create.set_return_values(v1::RETURN_VALUES_ALL_OLD);
  v1::UpdateResponse response;
  ASSERT_TRUE(Ok(Call(gateway(), create, &response)));
  EXPECT_TRUE(response.attributes().empty());
  create.set_return_values(v1::RETURN_VALUES_ALL_NEW);
  *create.mutable_actions(0) = SetAction("a", I(2));
  ASSERT_TRUE(Ok(Call(gateway(), create, &response)));
  EXPECT_TRUE(SameItem(Item({{"pk", S("rv-new")}, {"a", I(2)}}), response.attributes()));
}

// An Update with no actions creates the key-only item, and leaves an existing item alone.
TEST_F(UpdateTest, NoActionsCreatesKeyOnlyItem) {
  ASSERT_TRUE(DirectItem(table_, SKey("pk", "empty-update")).is_null());
  v1::UpdateRequest update = UpdateOf(table_, Item({{"pk", S("empty-update")}}));
  update.set_return_values(v1::RETURN_VALUES_ALL_NEW);
  v1::UpdateResponse response;
  ASSERT_TRUE(Ok(Call(gateway(), update, &response)));
  EXPECT_EQ(DirectItem(table_, SKey("pk", "empty-update")), SKey("pk", "empty-update"));
  EXPECT_TRUE(SameItem(Item({{"pk", S("empty-update")}}), response.attributes()));

  ASSERT_TRUE(Ok(Call(gateway(), PutOf(table_, Item({{"pk", S("empty-update-2")}, {"x", I(1)}})))));
  ASSERT_TRUE(Ok(Call(gateway(), UpdateOf(table_, Item({{"pk", S("empty-update-2")}})))));
  EXPECT_TRUE(SameItem(Item({{"pk", S("empty-update-2")}, {"x", I(1)}}), Read("empty-update-2")));
}

// Updates work with composite keys (the sort key addressed, never modified).
TEST_F(UpdateTest, CompositeKey) {
  const std::string table = UniqueTableName("update_composite");
  CreateTable(gateway(), table, "pk", v1::SCALAR_TYPE_STRING, "sk", v1::SCALAR_TYPE_NUMBER);
  const Attributes key = Item({{"pk", S("p")}, {"sk", N("1.50")}});
  ASSERT_TRUE(Ok(Call(gateway(), UpdateOf(table, key, {IncrementAction("hits", I(1))}))));
  ASSERT_TRUE(Ok(Call(gateway(), UpdateOf(table, Item({{"pk", S("p")}, {"sk", F(1.5)}}), {IncrementAction("hits", I(1))}))));
  const std::vector<json> items = DirectScan(table);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0]["sk"]["N"], "1.5");
  EXPECT_EQ(items[0]["hits"]["N"], "2");
}

// Adding a number to a string is only detectable by the database: BACKEND_VALIDATION_ERROR, nothing changed.
TEST_F(UpdateTest, AddNumberToStringIsBackendValidationError) {
  ASSERT_TRUE(Ok(Call(gateway(), PutOf(table_, Item({{"pk", S("type-clash")}, {"s", S("text")}, {"n", I(1)}})))));
  const json before = DirectItem(table_, SKey("pk", "type-clash"));
  const grpc::Status status = Call(
      gateway(), UpdateOf(table_, Item({{"pk", S("type-clash")}}), {AddAction("s", I(1)), SetAction("n", I(2))}));
  EXPECT_TRUE(IsError(status, grpc::StatusCode::INVALID_ARGUMENT, "BACKEND_VALIDATION_ERROR"));
  EXPECT_EQ(DirectItem(table_, SKey("pk", "type-clash")), before);

  // Incrementing a string and appending to a non-list are the same kind of error.
  EXPECT_TRUE(IsError(Call(gateway(), UpdateOf(table_, Item({{"pk", S("type-clash")}}), {IncrementAction("s", I(1))})),
                      grpc::StatusCode::INVALID_ARGUMENT, "BACKEND_VALIDATION_ERROR"));
  EXPECT_TRUE(IsError(Call(gateway(), UpdateOf(table_, Item({{"pk", S("type-clash")}}), {AppendAction("n", {I(1)})})),
                      grpc::StatusCode::INVALID_ARGUMENT, "BACKEND_VALIDATION_ERROR"));
  EXPECT_EQ(DirectItem(table_, SKey("pk", "type-clash")), before);
}

}  // namespace
}  // namespace altgw::testing
