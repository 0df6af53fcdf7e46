// CompileCondition / CompileProjection / ExpressionContext: the exact expression text, names and values
// for every condition kind; hostile attribute names only ever reach ExpressionAttributeNames; every
// validation error with its field path; DynamoDB's IN, operator-count and length limits (operator counts
// measured on DynamoDB Local).
#include "model/condition_compiler.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/document_path.h"
#include "model/limits.h"
#include "model/expression_checks.h"
#include "support/conditions.h"
#include "model/value_builders.h"

namespace altgw::model {
namespace {

using namespace ::altgw::model::testing;  // NOLINT: value builders
using namespace ::altgw::testing;         // NOLINT: condition builders
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// A path naming one top-level attribute, whatever its characters (quoted when needed).
std::string PathOf(const std::string& name) { return FormatDocumentPath({PathElement{name, std::nullopt}}); }

struct Compiled {
  std::string expression;
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

Compiled Compile(const v1::Condition& condition) {
  Violations violations;
  ValueEncoder encoder(violations);
  ExpressionContext context;
  Compiled out;
  const FieldRef field("condition");
  out.expression = CompileCondition(condition, field, context, encoder);
  json body = json::object();
  std::move(context).WriteTo(body);
  if (body.contains("ExpressionAttributeNames")) out.names = body["ExpressionAttributeNames"];
  if (body.contains("ExpressionAttributeValues")) out.values = body["ExpressionAttributeValues"];
  out.violations = violations.list();
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Exact texts

TEST(ConditionCompilerTest, ComparisonWithEveryComparator) {
  const std::pair<v1::Comparator, const char*> comparators[] = {
      {v1::COMPARATOR_EQUAL, "="},        {v1::COMPARATOR_NOT_EQUAL, "<>"},
      {v1::COMPARATOR_LESS, "<"},         {v1::COMPARATOR_LESS_OR_EQUAL, "<="},
      {v1::COMPARATOR_GREATER, ">"},      {v1::COMPARATOR_GREATER_OR_EQUAL, ">="},
  };
  for (const auto& [comparator, text] : comparators) {
    const Compiled c = Compile(Compare("price", comparator, N("10.50")));
    ASSERT_TRUE(c.ok()) << Describe(c.violations);
    EXPECT_EQ(c.expression, absl::StrCat("#n0 ", text, " :v0"));
    EXPECT_EQ(c.names, json({{"#n0", "price"}}));
    EXPECT_EQ(c.values, json::parse(R"({":v0": {"N": "10.5"}})"));
  }
}

TEST(ConditionCompilerTest, ComparisonWithAnotherPath) {
  const Compiled c = Compile(ComparePaths("a.b[2].c", v1::COMPARATOR_LESS, "a.d"));
  ASSERT_TRUE(c.ok()) << Describe(c.violations);
  EXPECT_EQ(c.expression, "#n0.#n1[2].#n2 < #n0.#n3");
  EXPECT_EQ(c.names, json({{"#n0", "a"}, {"#n1", "b"}, {"#n2", "c"}, {"#n3", "d"}}));
  EXPECT_EQ(c.values, json::object());
}

TEST(ConditionCompilerTest, Functions) {
  struct Case {
    v1::Condition condition;
    std::string expression;
    json values;
  };
  const Case cases[] = {
      {Exists("a"), "attribute_exists(#n0)", json::object()},
      {NotExists("a"), "attribute_not_exists(#n0)", json::object()},
      {BeginsWith("a", S("pre")), "begins_with(#n0, :v0)", json::parse(R"({":v0": {"S": "pre"}})")},
      {BeginsWith("a", B("\x01")), "begins_with(#n0, :v0)", json::parse(R"({":v0": {"B": "AQ=="}})")},
      {Contains("a", S("sub")), "contains(#n0, :v0)", json::parse(R"({":v0": {"S": "sub"}})")},
      {Contains("a", Int(7)), "contains(#n0, :v0)", json::parse(R"({":v0": {"N": "7"}})")},
      {Between("a", Int(1), N("2e1")), "#n0 BETWEEN :v0 AND :v1",
       json::parse(R"({":v0": {"N": "1"}, ":v1": {"N": "20"}})")},
      {In("a", {S("x"), Int(2), Null()}), "#n0 IN (:v0, :v1, :v2)",
       json::parse(R"({":v0": {"S": "x"}, ":v1": {"N": "2"}, ":v2": {"NULL": true}})")},
      {In("a", {S("only")}), "#n0 IN (:v0)", json::parse(R"({":v0": {"S": "only"}})")},
      {SizeIs("a", v1::COMPARATOR_GREATER_OR_EQUAL, 10), "size(#n0) >= :v0", json::parse(R"({":v0": {"N": "10"}})")},
      {SizeIs("a", v1::COMPARATOR_EQUAL, 18446744073709551615ull), "size(#n0) = :v0",
       json::parse(R"({":v0": {"N": "18446744073709551615"}})")},
  };
  for (const Case& c : cases) {
    const Compiled compiled = Compile(c.condition);
    ASSERT_TRUE(compiled.ok()) << c.condition.ShortDebugString() << Describe(compiled.violations);
    EXPECT_EQ(compiled.expression, c.expression);
    EXPECT_EQ(compiled.names, json({{"#n0", "a"}}));
    EXPECT_EQ(compiled.values, c.values) << c.expression;
  }
}

TEST(ConditionCompilerTest, AttributeTypeCodes) {
  const std::pair<v1::AttributeType, const char*> types[] = {
      {v1::ATTRIBUTE_TYPE_STRING, "S"},     {v1::ATTRIBUTE_TYPE_NUMBER, "N"},
      {v1::ATTRIBUTE_TYPE_BINARY, "B"},     {v1::ATTRIBUTE_TYPE_BOOL, "BOOL"},
      {v1::ATTRIBUTE_TYPE_NULL, "NULL"},    {v1::ATTRIBUTE_TYPE_LIST, "L"},
      {v1::ATTRIBUTE_TYPE_MAP, "M"},        {v1::ATTRIBUTE_TYPE_STRING_SET, "SS"},
      {v1::ATTRIBUTE_TYPE_NUMBER_SET, "NS"}, {v1::ATTRIBUTE_TYPE_BINARY_SET, "BS"},
  };
  for (const auto& [type, code] : types) {
    const Compiled c = Compile(TypeIs("a", type));
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c.expression, "attribute_type(#n0, :v0)");
    EXPECT_EQ(c.values, json({{":v0", {{"S", code}}}}));
  }
}

TEST(ConditionCompilerTest, LogicalCombinations) {
  {
    const Compiled c = Compile(AllOf({Compare("a", v1::COMPARATOR_EQUAL, S("x")), Exists("b")}));
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c.expression, "(#n0 = :v0 AND attribute_exists(#n1))");
  }
  {
    const Compiled c = Compile(AnyOf({NotExists("a"), Compare("a", v1::COMPARATOR_LESS, Int(3)), Exists("c")}));
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c.expression, "(attribute_not_exists(#n0) OR #n0 < :v0 OR attribute_exists(#n1))");
    EXPECT_EQ(c.names, json({{"#n0", "a"}, {"#n1", "c"}}));  // the same name reuses its placeholder
  }
  {
    const Compiled c = Compile(Not(Exists("a")));
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c.expression, "(NOT attribute_exists(#n0))");
  }
  {
    // Precedence never depends on DynamoDB's rules: every group is parenthesised.
    const Compiled c = Compile(
        AllOf({AnyOf({Exists("a"), Exists("b")}), Not(AllOf({Exists("c"), Exists("d")})), Exists("e")}));
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c.expression,
              "((attribute_exists(#n0) OR attribute_exists(#n1)) AND (NOT (attribute_exists(#n2) AND "
              "attribute_exists(#n3))) AND attribute_exists(#n4))");
  }
  {
    const Compiled c = Compile(AllOf({Exists("only")}));
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c.expression, "(attribute_exists(#n0))");
  }
}

TEST(ConditionCompilerTest, ValuesAreNumberedInOrderAndNeverShared) {
  const Compiled c = Compile(AllOf({Compare("a", v1::COMPARATOR_EQUAL, S("x")), Compare("b", v1::COMPARATOR_EQUAL, S("x")),
                                    Between("a", Int(1), Int(2))}));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c.expression, "(#n0 = :v0 AND #n1 = :v1 AND #n0 BETWEEN :v2 AND :v3)");
  EXPECT_EQ(c.values.size(), 4u);
}

// ---------------------------------------------------------------------------------------------------------
// Hostile names

TEST(ConditionCompilerTest, HostileNamesOnlyEverBecomePlaceholders) {
  for (const std::string& name : HostileNames()) {
    const std::string path = PathOf(name);
    const std::vector<v1::Condition> conditions = {
        Compare(path, v1::COMPARATOR_EQUAL, S(name)),
        ComparePaths(path, v1::COMPARATOR_NOT_EQUAL, path + "[0]"),
        Exists(path),
        NotExists(path),
        BeginsWith(path, S(name)),
        Contains(path, S(name)),
        Between(path, S(name), S(name + "z")),
        In(path, {S(name)}),
        TypeIs(path, v1::ATTRIBUTE_TYPE_MAP),
        SizeIs(path, v1::COMPARATOR_LESS, 3),
        AllOf({Exists(path), AnyOf({Not(NotExists(path))})}),
    };
    for (const v1::Condition& condition : conditions) {
      const Compiled c = Compile(condition);
      ASSERT_TRUE(c.ok()) << path << "\n" << Describe(c.violations);
      EXPECT_ONLY_PLACEHOLDERS(c.expression);
      EXPECT_EQ(c.names, json({{"#n0", name}})) << path;
      // A value that happens to equal the name stays a value.
      for (const auto& [placeholder, value] : c.values.items()) EXPECT_EQ(placeholder.rfind(":v", 0), 0u);
    }
  }
}

TEST(ConditionCompilerTest, HostileNestedPathsKeepEverySegmentVerbatim) {
  const std::vector<std::string> names = HostileNames();
  std::string path;
  DocumentPath elements;
  for (size_t i = 0; i < 8; ++i) {
    elements.push_back(PathElement{names[i * 3], std::nullopt});
    elements.push_back(PathElement{std::string(), static_cast<uint32_t>(i)});
  }
  path = FormatDocumentPath(elements);
  const Compiled c = Compile(Exists(path));
  ASSERT_TRUE(c.ok()) << path << Describe(c.violations);
  EXPECT_ONLY_PLACEHOLDERS(c.expression);
  EXPECT_EQ(c.expression,
            "attribute_exists(#n0[0].#n1[1].#n2[2].#n3[3].#n4[4].#n5[5].#n6[6].#n7[7])");
  for (size_t i = 0; i < 8; ++i) EXPECT_EQ(c.names[absl::StrCat("#n", i)], names[i * 3]);
}

// ---------------------------------------------------------------------------------------------------------
// Validation, with field paths

TEST(ConditionCompilerTest, ViolationsNameTheExactField) {
  struct Case {
    v1::Condition condition;
    std::vector<std::string> fields;
  };
  v1::Condition no_comparator = Compare("a", v1::COMPARATOR_UNSPECIFIED, S("x"));
  v1::Condition no_operand;
  no_operand.mutable_comparison()->set_path("a");
  no_operand.mutable_comparison()->set_comparator(v1::COMPARATOR_EQUAL);
  const Case cases[] = {
      {v1::Condition(), {"condition"}},
      {no_comparator, {"condition.comparison.comparator"}},
      {no_operand, {"condition.comparison"}},
      {Compare("", v1::COMPARATOR_EQUAL, S("x")), {"condition.comparison.path"}},
      {ComparePaths("a", v1::COMPARATOR_EQUAL, "b..c"), {"condition.comparison.other_path"}},
      // DynamoDB rejects comparing a path with itself.
      {ComparePaths("a.b[1]", v1::COMPARATOR_LESS, "a.`b`[1]"), {"condition.comparison.other_path"}},
      {Compare("a", v1::COMPARATOR_EQUAL, N("1e999")), {"condition.comparison.value.number_value.decimal"}},
      {Compare("a", v1::COMPARATOR_EQUAL, v1::Value()), {"condition.comparison.value"}},
      {Compare("a", v1::COMPARATOR_EQUAL, SS({})), {"condition.comparison.value.string_set.values"}},
      {Exists("a["), {"condition.attribute_exists"}},
      {NotExists(""), {"condition.attribute_not_exists"}},
      {BeginsWith("a", Int(1)), {"condition.begins_with.prefix"}},
      {BeginsWith("[0]", S("p")), {"condition.begins_with.path"}},
      {Contains("a", v1::Value()), {"condition.contains.operand"}},
      {Between("a", v1::Value(), Int(1)), {"condition.between.lower"}},
      {Between("a", Int(1), N("x")), {"condition.between.upper.number_value.decimal"}},
      {In("a", {}), {"condition.is_in.values"}},
      {In("a", {Int(1), v1::Value()}), {"condition.is_in.values[1]"}},
      {TypeIs("a", v1::ATTRIBUTE_TYPE_UNSPECIFIED), {"condition.attribute_type.type"}},
      {TypeIs("`x", v1::ATTRIBUTE_TYPE_MAP), {"condition.attribute_type.path"}},
      {SizeIs("a", v1::COMPARATOR_UNSPECIFIED, 1), {"condition.size.comparator"}},
      {AllOf({}), {"condition.all_of.conditions"}},
      {AnyOf({}), {"condition.any_of.conditions"}},
      {Not(v1::Condition()), {"condition.negation"}},
      {AllOf({Exists("a"), Compare("b", v1::COMPARATOR_UNSPECIFIED, Int(1))}),
       {"condition.all_of.conditions[1].comparison.comparator"}},
      {AnyOf({Exists("a"), AllOf({Exists("b"), Not(In("c", {}))})}),
       {"condition.any_of.conditions[1].all_of.conditions[1].negation.is_in.values"}},
      // Several problems are all reported.
      {AllOf({Exists(""), Compare("a", v1::COMPARATOR_UNSPECIFIED, N("?"))}),
       {"condition.all_of.conditions[0].attribute_exists", "condition.all_of.conditions[1].comparison.comparator",
        "condition.all_of.conditions[1].comparison.value.number_value.decimal"}},
  };
  for (const Case& c : cases) {
    const Compiled compiled = Compile(c.condition);
    EXPECT_EQ(compiled.fields(), c.fields) << c.condition.ShortDebugString() << "\n" << Describe(compiled.violations);
  }
}

TEST(ConditionCompilerTest, InTakesOneToOneHundredValues) {
  std::vector<v1::Value> values;
  for (int i = 0; i < 100; ++i) values.push_back(Int(i));
  const Compiled hundred = Compile(In("a", values));
  ASSERT_TRUE(hundred.ok());
  EXPECT_EQ(hundred.values.size(), 100u);
  EXPECT_THAT(hundred.expression, HasSubstr(":v99)"));

  values.push_back(Int(100));
  const Compiled too_many = Compile(In("a", values));
  EXPECT_THAT(too_many.fields(), ElementsAre("condition.is_in.values"));
  EXPECT_THAT(too_many.violations[0].description, HasSubstr("101"));

  const Compiled none = Compile(In("a", {}));
  EXPECT_THAT(none.fields(), ElementsAre("condition.is_in.values"));
}

bool TooManyOperators(const Compiled& c) {
  for (const FieldViolation& v : c.violations) {
    if (v.field == "condition" && v.description.find("operators") != std::string::npos) return true;
  }
  return false;
}

// DynamoDB Local, measured: `a > :v AND ...` is rejected from 151 comparisons (301 operators); BETWEEN and IN
// count one each; `size(a) > :v` counts two (the function and the comparison), so 101 of them are rejected.
TEST(ConditionCompilerTest, OperatorLimitCountsLikeDynamoDb) {
  auto repeated = [](int n, auto make) {
    std::vector<v1::Condition> conditions;
    for (int i = 0; i < n; ++i) conditions.push_back(make());
    return AllOf(conditions);
  };
  auto comparison = [] { return Compare("a", v1::COMPARATOR_GREATER, Int(1)); };
  auto between = [] { return Between("a", Int(1), Int(2)); };
  auto in = [] { return In("a", {Int(1), Int(2)}); };
  auto size = [] { return SizeIs("a", v1::COMPARATOR_GREATER, 1); };
  auto exists = [] { return Exists("a"); };

  EXPECT_TRUE(Compile(repeated(150, comparison)).ok());
  EXPECT_THAT(Compile(repeated(151, comparison)).fields(), ElementsAre("condition"));
  // BETWEEN and IN lists of that size are also over 4 KB of text (each value has its own placeholder): look
  // at the operator violation only.
  EXPECT_FALSE(TooManyOperators(Compile(repeated(150, between))));
  EXPECT_TRUE(TooManyOperators(Compile(repeated(151, between))));
  EXPECT_FALSE(TooManyOperators(Compile(repeated(150, in))));
  EXPECT_TRUE(TooManyOperators(Compile(repeated(151, in))));
  EXPECT_TRUE(Compile(repeated(150, exists)).ok());
  EXPECT_FALSE(Compile(repeated(151, exists)).ok());
  EXPECT_TRUE(Compile(repeated(100, size)).ok());
  const Compiled too_many = Compile(repeated(101, size));
  ASSERT_THAT(too_many.fields(), ElementsAre("condition"));
  EXPECT_THAT(too_many.violations[0].description, HasSubstr("at most 300"));

  // NOT counts one: 75 negated comparisons joined by AND = 75 * 2 + 74 = 224; 101 = 302.
  auto negated = [] { return Not(Compare("a", v1::COMPARATOR_GREATER, Int(1))); };
  EXPECT_TRUE(Compile(repeated(75, negated)).ok());
  EXPECT_FALSE(Compile(repeated(101, negated)).ok());
  // Nested groups: 100 x (x OR y) joined by AND = 100 * 3 + 99 = 399.
  auto either = [] { return AnyOf({Exists("a"), Exists("b")}); };
  EXPECT_TRUE(Compile(repeated(75, either)).ok());  // 75 * 3 + 74 = 299
  EXPECT_FALSE(Compile(repeated(76, either)).ok());  // 76 * 3 + 75 = 303
}

TEST(ConditionCompilerTest, DeeplyNestedConditionsAreRejectedNotOverflowed) {
  v1::Condition c = Exists("a");
  for (int i = 0; i < 64; ++i) c = Not(c);
  EXPECT_TRUE(Compile(c).ok());
  for (int i = 0; i < 5; ++i) c = Not(c);
  const Compiled deep = Compile(c);
  ASSERT_EQ(deep.violations.size(), 1u);
  EXPECT_THAT(deep.violations[0].description, HasSubstr("nest deeper"));
}

TEST(ConditionCompilerTest, ExpressionLengthIsLimitedTo4096Bytes) {
  Violations violations;
  const FieldRef field("condition");
  CheckExpressionLength(std::string(4096, 'x'), field, violations);
  EXPECT_TRUE(violations.empty());
  CheckExpressionLength(std::string(4097, 'x'), field, violations);
  ASSERT_EQ(violations.count(), 1u);
  EXPECT_EQ(violations.list()[0].field, "condition");
  EXPECT_THAT(violations.list()[0].description, HasSubstr("4097"));

  // Eight IN lists of 100 values: few operators, but about 4.8 KB of text.
  std::vector<v1::Value> values;
  for (int i = 0; i < 100; ++i) values.push_back(Int(i));
  std::vector<v1::Condition> ins;
  for (int i = 0; i < 8; ++i) ins.push_back(In(absl::StrCat("a", i), values));
  const Compiled long_one = Compile(AllOf(ins));
  EXPECT_GT(long_one.expression.size(), 4096u);
  EXPECT_THAT(long_one.fields(), ElementsAre("condition"));
  ins.resize(5);
  EXPECT_TRUE(Compile(AllOf(ins)).ok());
}

// A condition value is not part of an item: it is not counted against the item but is still validated
// (kinds, numbers, sets, nesting).
TEST(ConditionCompilerTest, ValuesAreValidatedLikeItemValues) {
  EXPECT_TRUE(Compile(Compare("a", v1::COMPARATOR_EQUAL, NestedMaps(31))).ok());
  EXPECT_FALSE(Compile(Compare("a", v1::COMPARATOR_EQUAL, NS({"1", "1.0"}))).ok());
  EXPECT_TRUE(Compile(Compare("a", v1::COMPARATOR_EQUAL, S(std::string(500 * 1024, 'x')))).ok());
}

// ---------------------------------------------------------------------------------------------------------
// Projections

struct Projection {
  std::string expression;
  json names = json::object();
  std::vector<std::string> fields;
};

Projection Project(const std::vector<std::string>& paths) {
  google::protobuf::RepeatedPtrField<std::string> repeated;
  for (const std::string& p : paths) *repeated.Add() = p;
  Violations violations;
  ExpressionContext context;
  Projection out;
  const FieldRef field("projection");
  out.expression = CompileProjection(repeated, field, context, violations);
  json body = json::object();
  std::move(context).WriteTo(body);
  if (body.contains("ExpressionAttributeNames")) out.names = body["ExpressionAttributeNames"];
  for (const FieldViolation& v : violations.list()) out.fields.push_back(v.field);
  return out;
}

TEST(ProjectionTest, CompilesPathsWithPlaceholders) {
  const Projection p = Project({"a", "b.c[3]", "`d.e`", "b.f"});
  EXPECT_THAT(p.fields, IsEmpty());
  EXPECT_EQ(p.expression, "#n0, #n1.#n2[3], #n3, #n1.#n4");
  EXPECT_EQ(p.names, json({{"#n0", "a"}, {"#n1", "b"}, {"#n2", "c"}, {"#n3", "d.e"}, {"#n4", "f"}}));
  EXPECT_EQ(Project({}).expression, "");
}

TEST(ProjectionTest, HostileNamesOnlyBecomePlaceholders) {
  std::vector<std::string> paths;
  for (const std::string& name : HostileNames()) paths.push_back(PathOf(name));
  const Projection p = Project(paths);
  ASSERT_THAT(p.fields, IsEmpty());
  EXPECT_ONLY_PLACEHOLDERS(p.expression);
  std::vector<std::string> names;
  for (const auto& [placeholder, name] : p.names.items()) names.push_back(name);
  EXPECT_THAT(names, ::testing::UnorderedElementsAreArray(HostileNames()));
}

TEST(ProjectionTest, InvalidPathsNameTheirIndex) {
  EXPECT_THAT(Project({"a", "", "b", "c[x]"}).fields, ElementsAre("projection[1]", "projection[3]"));
}

// DynamoDB Local, measured: "Two document paths overlap with each other" for `a, a.b` and for `a, a`;
// `a[0], a[1]` is fine. The gateway rejects these itself so every backend behaves alike.
TEST(ProjectionTest, OverlappingPathsAreRejected) {
  EXPECT_THAT(Project({"a", "a.b"}).fields, ElementsAre("projection[1]"));
  EXPECT_THAT(Project({"a.b", "x", "a"}).fields, ElementsAre("projection[2]"));
  EXPECT_THAT(Project({"a", "a"}).fields, ElementsAre("projection[1]"));
  EXPECT_THAT(Project({"a[0]", "a[0].b"}).fields, ElementsAre("projection[1]"));
  // `a[0]` and `a.b` conflict: DynamoDB Local says "Two document paths conflict with each other".
  EXPECT_THAT(Project({"a[0]", "a.b"}).fields, ElementsAre("projection[1]"));
  EXPECT_THAT(Project({"m.a.b", "m.a[2]"}).fields, ElementsAre("projection[1]"));
  EXPECT_THAT(Project({"a[0]", "a[1]", "b.c", "`b.c`", "b.d", "bb"}).fields, IsEmpty());
}

TEST(ProjectionTest, LengthIsLimited) {
  std::vector<std::string> paths;
  for (int i = 0; i < 700; ++i) paths.push_back(absl::StrCat("attribute", i));
  const Projection p = Project(paths);
  EXPECT_GT(p.expression.size(), 4096u);
  EXPECT_THAT(p.fields, ElementsAre("projection"));
}

// ---------------------------------------------------------------------------------------------------------
// ExpressionContext

TEST(ExpressionContextTest, NamesAreReusedValuesAreNot) {
  ExpressionContext context;
  EXPECT_TRUE(context.empty());
  std::string out;
  context.AppendName(&out, "a");
  out += "|";
  context.AppendName(&out, "b");
  out += "|";
  context.AppendName(&out, "a");
  out += "|";
  context.AppendValue(&out, json({{"S", "x"}}));
  out += "|";
  context.AppendValue(&out, json({{"S", "x"}}));
  out += "|";
  context.AppendPath(&out, {PathElement{"b", std::nullopt}, PathElement{"", 4u}, PathElement{"c", std::nullopt}});
  EXPECT_EQ(out, "#n0|#n1|#n0|:v0|:v1|#n1[4].#n2");
  EXPECT_FALSE(context.empty());

  json body = {{"TableName", "t"}};
  std::move(context).WriteTo(body);
  EXPECT_EQ(body, json::parse(R"({"TableName": "t",
      "ExpressionAttributeNames": {"#n0": "a", "#n1": "b", "#n2": "c"},
      "ExpressionAttributeValues": {":v0": {"S": "x"}, ":v1": {"S": "x"}}})"));
}

TEST(ExpressionContextTest, EmptyContextWritesNothing) {
  ExpressionContext context;
  json body = {{"TableName", "t"}};
  std::move(context).WriteTo(body);
  EXPECT_EQ(body, json({{"TableName", "t"}}));

  ExpressionContext names_only;
  std::string out;
  names_only.AppendName(&out, "x");
  json body2 = json::object();
  std::move(names_only).WriteTo(body2);
  EXPECT_TRUE(body2.contains("ExpressionAttributeNames"));
  EXPECT_FALSE(body2.contains("ExpressionAttributeValues"));
}

}  // namespace
}  // namespace altgw::model
