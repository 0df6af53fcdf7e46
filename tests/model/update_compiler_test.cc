// CompileUpdate: the exact SET / REMOVE / ADD / DELETE text with placeholders for every action kind, the
// reads_item flag, and what DynamoDB would reject: overlapping or conflicting paths, key attributes, ADD and
// DELETE on nested paths or with the wrong kind of value, nesting beyond 32 levels, and expression length.
#include "model/update_compiler.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/document_path.h"
#include "model/expression_checks.h"
#include "model/value_builders.h"

namespace altgw::model {
namespace {

using namespace ::altgw::model::testing;  // NOLINT: builders
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

v1::UpdateAction Set(const std::string& path, const v1::Value& value) {
  v1::UpdateAction a;
  a.mutable_set()->set_path(path);
  *a.mutable_set()->mutable_value() = value;
  return a;
}
v1::UpdateAction SetIfNotExists(const std::string& path, const v1::Value& value) {
  v1::UpdateAction a;
  a.mutable_set_if_not_exists()->set_path(path);
  *a.mutable_set_if_not_exists()->mutable_value() = value;
  return a;
}
v1::UpdateAction Remove(const std::string& path) {
  v1::UpdateAction a;
  a.set_remove(path);
  return a;
}
v1::UpdateAction Add(const std::string& path, const v1::Value& value) {
  v1::UpdateAction a;
  a.mutable_add()->set_path(path);
  *a.mutable_add()->mutable_value() = value;
  return a;
}
v1::UpdateAction DeleteFromSet(const std::string& path, const v1::Value& value) {
  v1::UpdateAction a;
  a.mutable_delete_from_set()->set_path(path);
  *a.mutable_delete_from_set()->mutable_value() = value;
  return a;
}
v1::UpdateAction Increment(const std::string& path, const v1::Number& delta) {
  v1::UpdateAction a;
  a.mutable_increment()->set_path(path);
  *a.mutable_increment()->mutable_delta() = delta;
  return a;
}
v1::UpdateAction Append(const std::string& path, const std::vector<v1::Value>& values) {
  v1::UpdateAction a;
  a.mutable_append_to_list()->set_path(path);
  for (const v1::Value& v : values) *a.mutable_append_to_list()->add_values() = v;
  return a;
}
v1::UpdateAction Prepend(const std::string& path, const std::vector<v1::Value>& values) {
  v1::UpdateAction a;
  a.mutable_prepend_to_list()->set_path(path);
  for (const v1::Value& v : values) *a.mutable_prepend_to_list()->add_values() = v;
  return a;
}

std::string PathOf(const std::string& name) { return FormatDocumentPath({PathElement{name, std::nullopt}}); }

// pk (S) + sk (N); GSI by_status: status (S) + placed (S); LSI by_total: pk + total (N).
const TableSchema& Table() {
  static const TableSchema* schema = [] {
    auto* s = new TableSchema(Schema("orders", {"pk", v1::SCALAR_TYPE_STRING}, {"sk", v1::SCALAR_TYPE_NUMBER}));
    AddIndex(*s, "by_status", true, {"status", v1::SCALAR_TYPE_STRING}, {"placed", v1::SCALAR_TYPE_STRING});
    AddIndex(*s, "by_total", false, {"pk", v1::SCALAR_TYPE_STRING}, {"total", v1::SCALAR_TYPE_NUMBER});
    return s;
  }();
  return *schema;
}

struct Compiled {
  CompiledUpdate update;
  json names = json::object();
  json values = json::object();
  std::vector<FieldViolation> violations;
  bool ok() const { return violations.empty(); }
  std::vector<std::string> fields() const {
    std::vector<std::string> out;
    for (const FieldViolation& v : violations) out.push_back(v.field);
    return out;
  }
};

Compiled Compile(const std::vector<v1::UpdateAction>& actions, const TableSchema& schema = Table()) {
  google::protobuf::RepeatedPtrField<v1::UpdateAction> repeated;
  for (const v1::UpdateAction& a : actions) *repeated.Add() = a;
  Violations violations;
  ValueEncoder encoder(violations);
  ExpressionContext context;
  Compiled out;
  const FieldRef field("actions");
  out.update = CompileUpdate(repeated, schema, field, context, encoder);
  json body = json::object();
  std::move(context).WriteTo(body);
  if (body.contains("ExpressionAttributeNames")) out.names = body["ExpressionAttributeNames"];
  if (body.contains("ExpressionAttributeValues")) out.values = body["ExpressionAttributeValues"];
  out.violations = violations.list();
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Exact texts

TEST(UpdateCompilerTest, EveryActionKind) {
  struct Case {
    v1::UpdateAction action;
    std::string expression;
    json values;
    bool reads_item;
  };
  const Case cases[] = {
      {Set("a", S("x")), "SET #n0 = :v0", json::parse(R"({":v0": {"S": "x"}})"), false},
      {Set("a", N("1e2")), "SET #n0 = :v0", json::parse(R"({":v0": {"N": "100"}})"), false},
      {SetIfNotExists("a", Int(0)), "SET #n0 = if_not_exists(#n0, :v0)", json::parse(R"({":v0": {"N": "0"}})"),
       true},
      {Remove("a"), "REMOVE #n0", json::object(), false},
      {Add("a", Int(5)), "ADD #n0 :v0", json::parse(R"({":v0": {"N": "5"}})"), true},
      {Add("a", SS({"x", "y"})), "ADD #n0 :v0", json::parse(R"({":v0": {"SS": ["x", "y"]}})"), true},
      {DeleteFromSet("a", NS({"1"})), "DELETE #n0 :v0", json::parse(R"({":v0": {"NS": ["1"]}})"), true},
      {DeleteFromSet("a", BS({"\x01"})), "DELETE #n0 :v0", json::parse(R"({":v0": {"BS": ["AQ=="]}})"), true},
      {Increment("a", Num("-2.50")), "SET #n0 = if_not_exists(#n0, :v0) + :v1",
       json::parse(R"({":v0": {"N": "0"}, ":v1": {"N": "-2.5"}})"), true},
      {Increment("a", NumInt(7)), "SET #n0 = if_not_exists(#n0, :v0) + :v1",
       json::parse(R"({":v0": {"N": "0"}, ":v1": {"N": "7"}})"), true},
      {Append("a", {S("x"), Int(1)}), "SET #n0 = list_append(if_not_exists(#n0, :v0), :v1)",
       json::parse(R"({":v0": {"L": []}, ":v1": {"L": [{"S": "x"}, {"N": "1"}]}})"), true},
      {Prepend("a", {S("x")}), "SET #n0 = list_append(:v1, if_not_exists(#n0, :v0))",
       json::parse(R"({":v0": {"L": []}, ":v1": {"L": [{"S": "x"}]}})"), true},
  };
  for (const Case& c : cases) {
    const Compiled compiled = Compile({c.action});
    ASSERT_TRUE(compiled.ok()) << c.action.ShortDebugString() << Describe(compiled.violations);
    EXPECT_EQ(compiled.update.expression, c.expression);
    EXPECT_EQ(compiled.names, json({{"#n0", "a"}}));
    EXPECT_EQ(compiled.values, c.values) << c.expression;
    EXPECT_EQ(compiled.update.reads_item, c.reads_item) << c.expression;
  }
}

TEST(UpdateCompilerTest, NestedPaths) {
  const Compiled c = Compile({Set("a.b[2].c", S("x")), Remove("a.d[0]"), Increment("m.n", NumInt(1))});
  ASSERT_TRUE(c.ok()) << Describe(c.violations);
  EXPECT_EQ(c.update.expression,
            "SET #n0.#n1[2].#n2 = :v0, #n4.#n5 = if_not_exists(#n4.#n5, :v1) + :v2 REMOVE #n0.#n3[0]");
  // Placeholders are numbered in the order of the actions, whatever clause each action lands in.
  EXPECT_EQ(c.names, json({{"#n0", "a"}, {"#n1", "b"}, {"#n2", "c"}, {"#n3", "d"}, {"#n4", "m"}, {"#n5", "n"}}));
}

// Clauses always come in the order SET, REMOVE, ADD, DELETE; items keep the order of the actions.
TEST(UpdateCompilerTest, ClausesAreGroupedInAFixedOrder) {
  const Compiled c = Compile({DeleteFromSet("d", SS({"x"})), Add("c", Int(1)), Remove("r"), Set("s1", Int(1)),
                              Remove("r2"), Set("s2", Int(2))});
  ASSERT_TRUE(c.ok()) << Describe(c.violations);
  EXPECT_EQ(c.update.expression, "SET #n3 = :v2, #n5 = :v3 REMOVE #n2, #n4 ADD #n1 :v1 DELETE #n0 :v0");
  EXPECT_EQ(c.names, json({{"#n0", "d"}, {"#n1", "c"}, {"#n2", "r"}, {"#n3", "s1"}, {"#n4", "r2"}, {"#n5", "s2"}}));
}

TEST(UpdateCompilerTest, NoActionsNoExpression) {
  const Compiled c = Compile({});
  EXPECT_TRUE(c.ok());
  EXPECT_EQ(c.update.expression, "");
  EXPECT_FALSE(c.update.reads_item);
  EXPECT_EQ(c.names, json::object());
}

// router.md: nested paths and anything that reads the current value make the update read-modify-write.
TEST(UpdateCompilerTest, ReadsItemFlag) {
  EXPECT_FALSE(Compile({Set("a", Int(1)), Set("b", S("x")), Remove("c")}).update.reads_item);
  EXPECT_TRUE(Compile({Set("a.b", Int(1))}).update.reads_item);
  EXPECT_TRUE(Compile({Set("a[0]", Int(1))}).update.reads_item);
  EXPECT_TRUE(Compile({Remove("a.b")}).update.reads_item);
  EXPECT_TRUE(Compile({Set("a", Int(1)), Add("n", Int(1))}).update.reads_item);
  EXPECT_TRUE(Compile({Set("a", Int(1)), DeleteFromSet("s", SS({"x"}))}).update.reads_item);
  EXPECT_TRUE(Compile({Increment("n", NumInt(1))}).update.reads_item);
  EXPECT_TRUE(Compile({Append("l", {Int(1)})}).update.reads_item);
  EXPECT_TRUE(Compile({Prepend("l", {Int(1)})}).update.reads_item);
  EXPECT_TRUE(Compile({SetIfNotExists("a", Int(1))}).update.reads_item);
}

// ---------------------------------------------------------------------------------------------------------
// Hostile names

TEST(UpdateCompilerTest, HostileNamesOnlyEverBecomePlaceholders) {
  for (const std::string& name : HostileNames()) {
    const std::string path = PathOf(name);
    const std::vector<v1::UpdateAction> each = {
        Set(path, S(name)),         SetIfNotExists(path, S(name)), Remove(path),
        Add(path, SS({name})),      DeleteFromSet(path, SS({name})), Increment(path, NumInt(1)),
        Append(path, {S(name)}),    Prepend(path, {S(name)}),
    };
    for (const v1::UpdateAction& action : each) {
      const Compiled c = Compile({action});
      ASSERT_TRUE(c.ok()) << path << Describe(c.violations);
      EXPECT_ONLY_PLACEHOLDERS(c.update.expression);
      EXPECT_EQ(c.names, json({{"#n0", name}})) << path;
    }
    // And nested, with an index.
    const Compiled nested = Compile({Set(path + "[3]." + path, Int(1))});
    ASSERT_TRUE(nested.ok()) << Describe(nested.violations);
    EXPECT_ONLY_PLACEHOLDERS(nested.update.expression);
    EXPECT_EQ(nested.update.expression, "SET #n0[3].#n0 = :v0");
  }
}

// ---------------------------------------------------------------------------------------------------------
// Validation

TEST(UpdateCompilerTest, OverlappingPathsAreRejected) {
  struct Case {
    std::vector<v1::UpdateAction> actions;
    std::vector<std::string> fields;
  };
  const Case cases[] = {
      {{Set("a", Int(1)), Set("a.b", Int(2))}, {"actions[1].set.path"}},
      {{Set("a.b", Int(1)), Remove("a")}, {"actions[1].remove"}},
      {{Set("a", Int(1)), Set("a", Int(2))}, {"actions[1].set.path"}},
      {{Set("a", Int(1)), Remove("a")}, {"actions[1].remove"}},
      {{Increment("n", NumInt(1)), Add("n", Int(1))}, {"actions[1].add.path"}},
      {{Append("l", {Int(1)}), Prepend("l", {Int(2)})}, {"actions[1].prepend_to_list.path"}},
      {{Set("l[0]", Int(1)), Remove("l[0].x")}, {"actions[1].remove"}},
      {{Set("x", Int(1)), Set("a[1]", Int(1)), Set("a", Int(1))}, {"actions[2].set.path"}},
      // DynamoDB Local: "Two document paths conflict" when one path indexes a list and the other names a
      // map field of the same parent.
      {{Set("a[0]", Int(1)), Set("a.b", Int(1))}, {"actions[1].set.path"}},
      {{Remove("m.x[2]"), Set("m.x.y", Int(1))}, {"actions[1].set.path"}},
      // Not overlapping: siblings, different list elements, a dotted top-level name vs a nested field.
      {{Set("a.b", Int(1)), Set("a.c", Int(1)), Set("l[0]", Int(1)), Set("l[1]", Int(1)), Set("`a.b`", Int(1)),
        Set("ab", Int(1))},
       {}},
  };
  for (const Case& c : cases) {
    const Compiled compiled = Compile(c.actions);
    EXPECT_EQ(compiled.fields(), c.fields) << Describe(compiled.violations);
  }
  const Compiled same = Compile({Set("a.b", Int(1)), Set("a", Int(2))});
  ASSERT_EQ(same.violations.size(), 1u);
  EXPECT_THAT(same.violations[0].description, HasSubstr("'a'"));
  EXPECT_THAT(same.violations[0].description, HasSubstr("'a.b'"));
}

TEST(UpdateCompilerTest, KeyAttributesCannotBeUpdated) {
  struct Case {
    v1::UpdateAction action;
    std::string field;
  };
  const Case cases[] = {
      {Set("pk", S("x")), "actions[0].set.path"},
      {Set("sk", Int(1)), "actions[0].set.path"},
      {SetIfNotExists("pk", S("x")), "actions[0].set_if_not_exists.path"},
      {Remove("sk"), "actions[0].remove"},
      {Add("sk", Int(1)), "actions[0].add.path"},
      {DeleteFromSet("pk", SS({"x"})), "actions[0].delete_from_set.path"},
      {Increment("sk", NumInt(1)), "actions[0].increment.path"},
      {Append("pk", {Int(1)}), "actions[0].append_to_list.path"},
      {Prepend("pk.x", {Int(1)}), "actions[0].prepend_to_list.path"},
      {Set("pk.nested", S("x")), "actions[0].set.path"},
      {Set("`pk`", S("x")), "actions[0].set.path"},
  };
  for (const Case& c : cases) {
    const Compiled compiled = Compile({c.action});
    EXPECT_THAT(compiled.fields(), ElementsAre(c.field)) << c.action.ShortDebugString();
  }
  // Names that merely contain a key attribute's name are fine.
  EXPECT_TRUE(Compile({Set("pkx", Int(1)), Set("`pk.x`", Int(1)), Set("x.pk", Int(1))}).ok());
  // Without a sort key, "sk" is an ordinary attribute.
  const TableSchema hash_only = Schema("hash", {"pk", v1::SCALAR_TYPE_STRING});
  EXPECT_THAT(Compile({Set("sk", Int(1)), Set("", Int(1))}, hash_only).fields(), ElementsAre("actions[1].set.path"));
}

// DynamoDB Local, measured: an update that gives an index key attribute a value of the wrong type, an empty
// value or one over the index key size limit, or that treats it as a map, list or set, is rejected
// ("Type mismatch for Index Key", "Size limit exceeded", "Key attributes must be scalars"). REMOVE is fine.
TEST(UpdateCompilerTest, IndexKeyAttributesOnlyTakeValidKeyValues) {
  struct Case {
    v1::UpdateAction action;
    std::vector<std::string> fields;
  };
  const Case cases[] = {
      {Set("status", S("open")), {}},
      {Set("status", S(std::string(2048, 's'))), {}},
      {Set("placed", S(std::string(1024, 'p'))), {}},
      {Set("total", N("12.5")), {}},
      {Remove("status"), {}},
      {Add("total", Int(1)), {}},
      {Increment("total", NumInt(-1)), {}},
      {SetIfNotExists("status", S("open")), {}},
      {Set("status", Int(5)), {"actions[0].set.value"}},
      {Set("status", S("")), {"actions[0].set.value"}},
      {Set("status", S(std::string(2049, 's'))), {"actions[0].set.value"}},
      {Set("placed", S(std::string(1025, 'p'))), {"actions[0].set.value"}},
      {Set("total", S("12")), {"actions[0].set.value"}},
      {Set("total", L({})), {"actions[0].set.value"}},
      {Set("status.x", S("open")), {"actions[0].set.path"}},
      {Set("status[0]", S("open")), {"actions[0].set.path"}},
      {Remove("status.x"), {"actions[0].remove"}},
      {Add("status", SS({"x"})), {"actions[0].add.value"}},
      {Add("status", Int(1)), {"actions[0].add.value"}},
      {Add("total", NS({"1"})), {"actions[0].add.value"}},
      {DeleteFromSet("status", SS({"x"})), {"actions[0].delete_from_set.path"}},
      {Increment("placed", NumInt(1)), {"actions[0].increment.path"}},
      {Append("status", {S("x")}), {"actions[0].append_to_list.path"}},
      {Prepend("total", {Int(1)}), {"actions[0].prepend_to_list.path"}},
  };
  for (const Case& c : cases) {
    const Compiled compiled = Compile({c.action});
    EXPECT_EQ(compiled.fields(), c.fields) << c.action.ShortDebugString() << Describe(compiled.violations);
  }
}

TEST(UpdateCompilerTest, AddAndDeleteOnlyOnTopLevelWithTheRightKind) {
  struct Case {
    v1::UpdateAction action;
    std::vector<std::string> fields;
  };
  const Case cases[] = {
      {Add("a.b", Int(1)), {"actions[0].add.path"}},
      {Add("a[0]", Int(1)), {"actions[0].add.path"}},
      {DeleteFromSet("a.b", SS({"x"})), {"actions[0].delete_from_set.path"}},
      {Add("a", S("x")), {"actions[0].add.value"}},
      {Add("a", L({Int(1)})), {"actions[0].add.value"}},
      {Add("a", Null()), {"actions[0].add.value"}},
      {Add("a", v1::Value()), {"actions[0].add.value", "actions[0].add.value"}},
      {Add("a", SS({})), {"actions[0].add.value.string_set.values"}},
      {Add("a", N("bad")), {"actions[0].add.value.number_value.decimal"}},
      {DeleteFromSet("a", Int(1)), {"actions[0].delete_from_set.value"}},
      {DeleteFromSet("a", S("x")), {"actions[0].delete_from_set.value"}},
      {DeleteFromSet("a", NS({})), {"actions[0].delete_from_set.value.number_set.values"}},
      {DeleteFromSet("a", BS({"x", "x"})), {"actions[0].delete_from_set.value.bytes_set.values[1]"}},
  };
  for (const Case& c : cases) {
    const Compiled compiled = Compile({c.action});
    EXPECT_EQ(compiled.fields(), c.fields) << c.action.ShortDebugString() << Describe(compiled.violations);
  }
  EXPECT_TRUE(Compile({Add("n", N("-1.5")), Add("s", NS({"1", "2"})), Add("b", BS({"x"}))}).ok());
}

TEST(UpdateCompilerTest, OtherViolationsNameTheirField) {
  struct Case {
    v1::UpdateAction action;
    std::vector<std::string> fields;
  };
  v1::UpdateAction no_delta;
  no_delta.mutable_increment()->set_path("n");
  const Case cases[] = {
      {v1::UpdateAction(), {"actions[0]"}},
      {Set("", Int(1)), {"actions[0].set.path"}},
      {Set("a..b", Int(1)), {"actions[0].set.path"}},
      {Set("a", v1::Value()), {"actions[0].set.value"}},
      {Set("a", M({{"x", NS({"1", "1.00"})}})), {"actions[0].set.value.map_value.fields[\"x\"].number_set.values[1]"}},
      {SetIfNotExists("a", N("")), {"actions[0].set_if_not_exists.value.number_value.decimal"}},
      {Remove("[0]"), {"actions[0].remove"}},
      {no_delta, {"actions[0].increment.delta"}},
      {Increment("n", Num("abc")), {"actions[0].increment.delta.decimal"}},
      {Increment("n", v1::Number()), {"actions[0].increment.delta"}},
      {Append("l", {}), {"actions[0].append_to_list.values"}},
      {Prepend("l", {}), {"actions[0].prepend_to_list.values"}},
      {Append("l", {Int(1), v1::Value()}), {"actions[0].append_to_list.values[1]"}},
      {Prepend("l`", {Int(1)}), {"actions[0].prepend_to_list.path"}},
  };
  for (const Case& c : cases) {
    const Compiled compiled = Compile({c.action});
    EXPECT_EQ(compiled.fields(), c.fields) << c.action.ShortDebugString() << Describe(compiled.violations);
  }
  // The index in the field path is the action's.
  const Compiled third = Compile({Set("a", Int(1)), Remove("b"), Set("c", v1::Value())});
  EXPECT_THAT(third.fields(), ElementsAre("actions[2].set.value"));
}

// DynamoDB Local, measured: with `a` a map, SET a.b = <30 nested maps> is accepted and 31 rejected (the item
// holds at most 31 nested maps). Values sit at the nesting level of their path.
TEST(UpdateCompilerTest, ValuesNestAtTheLevelOfTheirPath) {
  EXPECT_TRUE(Compile({Set("a", NestedMaps(31))}).ok());
  EXPECT_FALSE(Compile({Set("a", NestedMaps(32))}).ok());
  EXPECT_TRUE(Compile({Set("a.b", NestedMaps(30))}).ok());
  EXPECT_FALSE(Compile({Set("a.b", NestedMaps(31))}).ok());
  EXPECT_TRUE(Compile({Set("a[0][1]", NestedLists(29))}).ok());
  EXPECT_FALSE(Compile({Set("a[0][1]", NestedLists(30))}).ok());
  EXPECT_TRUE(Compile({SetIfNotExists("a.b", NestedMaps(30))}).ok());
  EXPECT_FALSE(Compile({SetIfNotExists("a.b", NestedMaps(31))}).ok());
  // Appended elements sit one level below the list.
  EXPECT_TRUE(Compile({Append("l", {NestedMaps(30)})}).ok());
  EXPECT_FALSE(Compile({Append("l", {NestedMaps(31)})}).ok());
  EXPECT_TRUE(Compile({Prepend("m.l", {NestedMaps(29)})}).ok());
  const Compiled deep = Compile({Prepend("m.l", {Int(1), NestedMaps(30)})});
  ASSERT_EQ(deep.violations.size(), 1u);
  EXPECT_THAT(deep.violations[0].field, ::testing::StartsWith("actions[0].prepend_to_list.values[1]"));
}

TEST(UpdateCompilerTest, ExpressionLengthIsLimited) {
  std::vector<v1::UpdateAction> actions;
  for (int i = 0; i < 150; ++i) actions.push_back(Increment(absl::StrCat("counter", i), NumInt(1)));
  const Compiled c = Compile(actions);
  EXPECT_GT(c.update.expression.size(), 4096u);
  EXPECT_THAT(c.fields(), ElementsAre("actions"));
  actions.resize(90);
  EXPECT_TRUE(Compile(actions).ok());
}

}  // namespace
}  // namespace altgw::model
