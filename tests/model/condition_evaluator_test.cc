// EvaluateCondition: every condition kind, true and false, on one known item.
//
// Ground truth: each row of the tables below is written as the DynamoDB condition expression it stands for,
// and every row was checked against DynamoDB Local 3.3.0: the typed condition compiled by CompileCondition,
// run as a conditional PutItem on the same item (TestItem, or no item for MissingItemHasNoAttributes),
// succeeded exactly when the row expects true. The exceptions are marked: rows labelled "rejected by
// DynamoDB" (DynamoDB answers ValidationException; the evaluator says false), the string size() rows of
// SizeOfStringsCountsBytes (DynamoDB counts UTF-16 code units), and MalformedItemValuesAreUnequalToEverything
// and the invalid-condition tests (nothing DynamoDB can store or accept).
#include "model/condition_evaluator.h"

#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/conditions.h"
#include "model/value_builders.h"

namespace altgw::model {
namespace {

using namespace ::altgw::model::testing;  // NOLINT: value builders
using namespace ::altgw::testing;         // NOLINT: condition builders
using ::testing::HasSubstr;

constexpr v1::Comparator kEq = v1::COMPARATOR_EQUAL;
constexpr v1::Comparator kNe = v1::COMPARATOR_NOT_EQUAL;
constexpr v1::Comparator kLt = v1::COMPARATOR_LESS;
constexpr v1::Comparator kLe = v1::COMPARATOR_LESS_OR_EQUAL;
constexpr v1::Comparator kGt = v1::COMPARATOR_GREATER;
constexpr v1::Comparator kGe = v1::COMPARATOR_GREATER_OR_EQUAL;

// ---------------------------------------------------------------------------------------------------------
// The item every table is checked on (the same item was written to DynamoDB Local). Some numbers are
// deliberately not in canonical form.

AttributeMap TestItem() {
  return Attrs({
      {"pk", S("k")},
      {"s", S("hello")},
      {"e", S("")},
      {"u", S("h\u00e9\U0001F600")},  // 'h', 'é' (2 UTF-8 bytes), U+1F600 (4 UTF-8 bytes)
      {"ffff", S("\uFFFF")},         // EF BF BF in UTF-8
      {"emoji", S("\U0001F600")},    // F0 9F 98 80 in UTF-8 (but a surrogate pair D83D DE00 in UTF-16)
      {"n", Int(1000)},
      {"n2", N("1e3")},
      {"neg", N("-0.5")},
      {"b", B(std::string("\x00\x80\xff", 3))},
      {"b7f", B("\x7f")},
      {"b80", B("\x80")},
      {"eb", B("")},
      {"t", Bool(true)},
      {"f", Bool(false)},
      {"nl", Null()},
      {"nl2", Null()},
      {"l", L({Int(1), S("x"), M({{"a", Int(2)}}), L({S("deep")}), SS({"p", "q"})})},
      // The same list, its set element written in another order.
      {"l2", L({N("1.0"), S("x"), M({{"a", Int(2)}}), L({S("deep")}), SS({"q", "p"})})},
      {"m", M({{"a", Int(1)}, {"b", M({{"c", L({S("z")})}})}, {"x.y", S("dotted")}})},
      {"ss", SS({"a", "b", "c"})},
      {"ns", NS({"1", "2.5", "-3"})},
      {"bs", BS({"\x01", "\x80"})},
  });
}

struct Case {
  // The DynamoDB condition expression checked on DynamoDB Local (names and values written inline).
  const char* expression;
  v1::Condition condition;
  bool expected;
};

void ExpectAll(const std::vector<Case>& cases, const AttributeMap& item = TestItem()) {
  for (const Case& c : cases) {
    SCOPED_TRACE(c.expression);
    const absl::StatusOr<bool> result = EvaluateCondition(c.condition, item);
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(*result, c.expected);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Comparisons

TEST(ConditionEvaluatorTest, EveryComparatorOnNumbers) {
  ExpectAll({
      {"n = 1000", Compare("n", kEq, Int(1000)), true},
      {"n = 999", Compare("n", kEq, Int(999)), false},
      {"n <> 999", Compare("n", kNe, Int(999)), true},
      {"n <> 1000", Compare("n", kNe, Int(1000)), false},
      {"n < 1001", Compare("n", kLt, Int(1001)), true},
      {"n < 1000", Compare("n", kLt, Int(1000)), false},
      {"n <= 1000", Compare("n", kLe, Int(1000)), true},
      {"n <= 999", Compare("n", kLe, Int(999)), false},
      {"n > 999.99999", Compare("n", kGt, N("999.99999")), true},
      {"n > 1000", Compare("n", kGt, Int(1000)), false},
      {"n >= 1000", Compare("n", kGe, Int(1000)), true},
      {"n >= 1000.5", Compare("n", kGe, N("1000.5")), false},
  });
}

TEST(ConditionEvaluatorTest, NumbersCompareByValueWhateverTheirSpelling) {
  ExpectAll({
      {"n = 1e3", Compare("n", kEq, N("1e3")), true},
      {"n = 1000.000", Compare("n", kEq, N("1000.000")), true},
      {"n <= 10E2", Compare("n", kLe, N("10E2")), true},
      {"n = 1000 (float64)", Compare("n", kEq, F64(1000.0)), true},
      {"n = n2 (1000 vs 1e3 in the item)", ComparePaths("n", kEq, "n2"), true},
      {"n2 = 1000", Compare("n2", kEq, Int(1000)), true},
      {"neg < 0.1", Compare("neg", kLt, N("0.1")), true},
      {"neg > -1", Compare("neg", kGt, Int(-1)), true},
      {"neg = -0.50", Compare("neg", kEq, N("-0.50")), true},
      {"neg = -.5 (float64)", Compare("neg", kEq, F64(-0.5)), true},
      // 38 significant digits: exact, not rounded through a double.
      {"n = 12345678901234567890123456789012345678", Compare("n", kEq, N("12345678901234567890123456789012345678")),
       false},
      {"n < 12345678901234567890123456789012345678", Compare("n", kLt, N("12345678901234567890123456789012345678")),
       true},
      {"neg > -0.50000000000000000000000000000000000001",
       Compare("neg", kGt, N("-0.50000000000000000000000000000000000001")), true},
      {"neg < -0.49999999999999999999999999999999999999",
       Compare("neg", kLt, N("-0.49999999999999999999999999999999999999")), true},
  });
}

TEST(ConditionEvaluatorTest, StringsOrderByUtf8Bytes) {
  ExpectAll({
      {"s = hello", Compare("s", kEq, S("hello")), true},
      {"s = hello\\0", Compare("s", kEq, S(std::string("hello\0", 6))), false},
      {"s < hellp", Compare("s", kLt, S("hellp")), true},
      {"s < hello! (a prefix is smaller)", Compare("s", kLt, S("hello!")), true},
      {"s > Hello", Compare("s", kGt, S("Hello")), true},
      {"e < a (the empty string is smallest)", Compare("e", kLt, S("a")), true},
      {"u > hz ('é' is C3 A9, above 'z')", Compare("u", kGt, S("hz")), true},
      // In UTF-16 U+1F600 (D83D DE00) would sort below U+FFFF; DynamoDB orders by UTF-8 bytes.
      {"ffff < emoji", ComparePaths("ffff", kLt, "emoji"), true},
      {"emoji < ffff", ComparePaths("emoji", kLt, "ffff"), false},
      {"ffff < U+1F600", Compare("ffff", kLt, S("\U0001F600")), true},
  });
}

TEST(ConditionEvaluatorTest, BinaryOrdersByUnsignedBytes) {
  ExpectAll({
      {"b80 > b7f", ComparePaths("b80", kGt, "b7f"), true},
      {"b80 > 7F FF", Compare("b80", kGt, B("\x7f\xff")), true},
      {"b < 01", Compare("b", kLt, B("\x01")), true},
      {"b = 00 80 FF", Compare("b", kEq, B(std::string("\x00\x80\xff", 3))), true},
      {"b >= 00 80 FF", Compare("b", kGe, B(std::string("\x00\x80\xff", 3))), true},
      {"eb < 00", Compare("eb", kLt, B(std::string("\x00", 1))), true},
      {"b BETWEEN 00 AND 00 81", Between("b", B(std::string("\x00", 1)), B(std::string("\x00\x81", 2))), true},
  });
}

TEST(ConditionEvaluatorTest, DifferentTypesAreUnequalAndUnordered) {
  ExpectAll({
      {"n = '1000'", Compare("n", kEq, S("1000")), false},
      {"n <> '1000'", Compare("n", kNe, S("1000")), true},
      {"n < '1000'", Compare("n", kLt, S("1000")), false},
      {"n >= '1000'", Compare("n", kGe, S("1000")), false},
      {"s > 1", Compare("s", kGt, Int(1)), false},
      {"s <= 1", Compare("s", kLe, Int(1)), false},
      {"s < B'z'", Compare("s", kLt, B("z")), false},
      {"s = B'hello'", Compare("s", kEq, B("hello")), false},
      {"s <> B'hello'", Compare("s", kNe, B("hello")), true},
      {"ss = L[a, b, c]", Compare("ss", kEq, L({S("a"), S("b"), S("c")})), false},
      {"ss <> L[a, b, c]", Compare("ss", kNe, L({S("a"), S("b"), S("c")})), true},
      {"ss = NS[1]", Compare("ss", kEq, NS({"1"})), false},
      {"t = 1", Compare("t", kEq, Int(1)), false},
      {"nl = false", Compare("nl", kEq, Bool(false)), false},
      {"nl <> false", Compare("nl", kNe, Bool(false)), true},
      {"n < s", ComparePaths("n", kLt, "s"), false},
      {"n <> s", ComparePaths("n", kNe, "s"), true},
      {"n = s", ComparePaths("n", kEq, "s"), false},
  });
}

TEST(ConditionEvaluatorTest, EqualityOfListsMapsSetsBoolsAndNulls) {
  ExpectAll({
      {"l = l2 (numbers by value, sets in any order)", ComparePaths("l", kEq, "l2"), true},
      {"l <> l2", ComparePaths("l", kNe, "l2"), false},
      {"l = [1.0, x, {a: 2}, [deep], SS{q, p}]",
       Compare("l", kEq, L({N("1.0"), S("x"), M({{"a", Int(2)}}), L({S("deep")}), SS({"q", "p"})})), true},
      {"l = [x, 1, ...] (order matters)",
       Compare("l", kEq, L({S("x"), Int(1), M({{"a", Int(2)}}), L({S("deep")}), SS({"q", "p"})})), false},
      {"l = [1, x] (a prefix)", Compare("l", kEq, L({Int(1), S("x")})), false},
      {"l = []", Compare("l", kEq, L({})), false},
      {"m = {x.y, b, a: 1e0} (field order does not matter)",
       Compare("m", kEq, M({{"x.y", S("dotted")}, {"b", M({{"c", L({S("z")})}})}, {"a", N("1e0")}})), true},
      {"m = {x.y, b} (a field less)", Compare("m", kEq, M({{"x.y", S("dotted")}, {"b", M({{"c", L({S("z")})}})}})),
       false},
      {"m <> {x.y, b}", Compare("m", kNe, M({{"x.y", S("dotted")}, {"b", M({{"c", L({S("z")})}})}})), true},
      {"ss = SS{c, a, b}", Compare("ss", kEq, SS({"c", "a", "b"})), true},
      {"ss <> SS{c, a, b}", Compare("ss", kNe, SS({"c", "a", "b"})), false},
      {"ss = SS{a, b}", Compare("ss", kEq, SS({"a", "b"})), false},
      {"ns = NS{-3, 1.0, 2.50}", Compare("ns", kEq, NS({"-3", "1.0", "2.50"})), true},
      {"ns = NS{-3, 1, 2.5, 4}", Compare("ns", kEq, NS({"-3", "1", "2.5", "4"})), false},
      {"bs = BS{80, 01}", Compare("bs", kEq, BS({"\x80", "\x01"})), true},
      {"t = true", Compare("t", kEq, Bool(true)), true},
      {"t <> false", Compare("t", kNe, Bool(false)), true},
      {"t = f", ComparePaths("t", kEq, "f"), false},
      {"nl = nl2", ComparePaths("nl", kEq, "nl2"), true},
      {"nl = NULL", Compare("nl", kEq, Null()), true},
      {"nl <> NULL", Compare("nl", kNe, Null()), false},
  });
}

TEST(ConditionEvaluatorTest, OrderingOtherTypesIsFalse) {
  // DynamoDB rejects `<` with a literal bool, list, map, set or null operand (ValidationException), but
  // between two attributes of those types the comparison is simply false.
  ExpectAll({
      {"t > f", ComparePaths("t", kGt, "f"), false},
      {"f < t", ComparePaths("f", kLt, "t"), false},
      {"l < l2", ComparePaths("l", kLt, "l2"), false},
      {"l <= l2", ComparePaths("l", kLe, "l2"), false},
      {"l >= l2", ComparePaths("l", kGe, "l2"), false},
      {"nl <= nl2", ComparePaths("nl", kLe, "nl2"), false},
      {"nl >= nl2", ComparePaths("nl", kGe, "nl2"), false},
      {"l[0] < l[2] (number vs map)", ComparePaths("l[0]", kLt, "l[2]"), false},
      // Not accepted by DynamoDB (literal of an unordered type); false here.
      {"ss <= SS{z} (rejected by DynamoDB)", Compare("ss", kLe, SS({"z"})), false},
      {"t >= true (rejected by DynamoDB)", Compare("t", kGe, Bool(true)), false},
  });
}

TEST(ConditionEvaluatorTest, ComparisonsWithOtherPaths) {
  ExpectAll({
      {"l[0] = m.a", ComparePaths("l[0]", kEq, "m.a"), true},
      {"m.a = l[0]", ComparePaths("m.a", kEq, "l[0]"), true},
      {"m.b.c[0] <> s", ComparePaths("m.b.c[0]", kNe, "s"), true},
      {"n >= n2", ComparePaths("n", kGe, "n2"), true},
      {"n > n2", ComparePaths("n", kGt, "n2"), false},
  });
}

// ---------------------------------------------------------------------------------------------------------
// Missing attributes and items

TEST(ConditionEvaluatorTest, MissingAttributeMakesComparisonsFalseExceptNotEqual) {
  ExpectAll({
      {"zz = 1", Compare("zz", kEq, Int(1)), false},
      {"zz <> 1 (true on DynamoDB)", Compare("zz", kNe, Int(1)), true},
      {"zz < 1", Compare("zz", kLt, Int(1)), false},
      {"zz <= 1", Compare("zz", kLe, Int(1)), false},
      {"zz > 1", Compare("zz", kGt, Int(1)), false},
      {"zz >= 1", Compare("zz", kGe, Int(1)), false},
      {"NOT zz = 1", Not(Compare("zz", kEq, Int(1))), true},
      {"NOT (zz <> 1)", Not(Compare("zz", kNe, Int(1))), false},
      {"s <> zz", ComparePaths("s", kNe, "zz"), true},
      {"zz <> s", ComparePaths("zz", kNe, "s"), true},
      {"s = zz", ComparePaths("s", kEq, "zz"), false},
      {"s >= zz", ComparePaths("s", kGe, "zz"), false},
      {"zz = yy (two missing attributes are not equal)", ComparePaths("zz", kEq, "yy"), false},
      {"zz <> yy", ComparePaths("zz", kNe, "yy"), true},
      {"zz BETWEEN 1 AND 2", Between("zz", Int(1), Int(2)), false},
      {"NOT zz BETWEEN 1 AND 2", Not(Between("zz", Int(1), Int(2))), true},
      {"zz IN (1, 2)", In("zz", {Int(1), Int(2)}), false},
      {"NOT zz IN (1, 2)", Not(In("zz", {Int(1), Int(2)})), true},
      {"size(zz) = 0", SizeIs("zz", kEq, 0), false},
      {"size(zz) <> 0", SizeIs("zz", kNe, 0), true},
      {"NOT size(zz) = 0", Not(SizeIs("zz", kEq, 0)), true},
      {"begins_with(zz, '')", BeginsWith("zz", S("")), false},
      {"contains(zz, a)", Contains("zz", S("a")), false},
      {"NOT contains(zz, a)", Not(Contains("zz", S("a"))), true},
      {"attribute_type(zz, S)", TypeIs("zz", v1::ATTRIBUTE_TYPE_STRING), false},
      {"NOT attribute_type(zz, S)", Not(TypeIs("zz", v1::ATTRIBUTE_TYPE_STRING)), true},
      {"l[5] = 1 (index out of range)", Compare("l[5]", kEq, Int(1)), false},
      {"l[5] <> 1", Compare("l[5]", kNe, Int(1)), true},
      {"size(l[9]) <> 5", SizeIs("l[9]", kNe, 5), true},
  });
}

TEST(ConditionEvaluatorTest, MissingItemHasNoAttributes) {
  ExpectAll(
      {
          {"attribute_exists(pk)", Exists("pk"), false},
          {"attribute_not_exists(pk)", NotExists("pk"), true},
          {"attribute_not_exists(s)", NotExists("s"), true},
          {"s = hello", Compare("s", kEq, S("hello")), false},
          {"NOT s = hello", Not(Compare("s", kEq, S("hello"))), true},
          {"zz <> 1", Compare("zz", kNe, Int(1)), true},
          {"size(s) > 0", SizeIs("s", kGt, 0), false},
          {"size(s) <> 0", SizeIs("s", kNe, 0), true},
      },
      AttributeMap());
}

// ---------------------------------------------------------------------------------------------------------
// Paths

TEST(ConditionEvaluatorTest, NestedPathsIntoMapsAndLists) {
  ExpectAll({
      {"attribute_exists(m.a)", Exists("m.a"), true},
      {"attribute_exists(m.b.c[0])", Exists("m.b.c[0]"), true},
      {"m.b.c[0] = z", Compare("m.b.c[0]", kEq, S("z")), true},
      {"attribute_exists(m.b.c[1]) (index out of range)", Exists("m.b.c[1]"), false},
      {"attribute_not_exists(m.b.c[1])", NotExists("m.b.c[1]"), true},
      {"attribute_exists(m.zz)", Exists("m.zz"), false},
      {"attribute_exists(zz.a)", Exists("zz.a"), false},
      {"attribute_exists(l[4])", Exists("l[4]"), true},
      {"attribute_exists(l[5])", Exists("l[5]"), false},
      {"attribute_exists(l[2].a)", Exists("l[2].a"), true},
      {"l[2].a = 2.0", Compare("l[2].a", kEq, N("2.0")), true},
      {"l[3][0] = deep", Compare("l[3][0]", kEq, S("deep")), true},
      {"attribute_exists(l[3][1])", Exists("l[3][1]"), false},
      {"attribute_type(l[4], SS)", TypeIs("l[4]", v1::ATTRIBUTE_TYPE_STRING_SET), true},
      {"m.`x.y` = dotted (a name with a dot)", Compare("m.`x.y`", kEq, S("dotted")), true},
      {"attribute_exists(m.x.y) (two names)", Exists("m.x.y"), false},
  });
}

TEST(ConditionEvaluatorTest, NameOnNonMapOrIndexOnNonListIsAbsent) {
  ExpectAll({
      {"attribute_exists(l.a)", Exists("l.a"), false},
      {"attribute_exists(m[0])", Exists("m[0]"), false},
      {"attribute_exists(s[0])", Exists("s[0]"), false},
      {"attribute_exists(s.a)", Exists("s.a"), false},
      {"attribute_exists(ss[0]) (sets have no index)", Exists("ss[0]"), false},
      {"attribute_exists(n[0])", Exists("n[0]"), false},
      {"attribute_exists(l[0][0])", Exists("l[0][0]"), false},
      {"attribute_exists(x)", Exists("x"), false},
  });
}

TEST(ConditionEvaluatorTest, DeeplyNestedPaths) {
  // 31 maps inside the top-level attribute: the deepest path the grammar allows (32 elements).
  std::string maps_path = "deep";
  for (int i = 0; i < 31; ++i) maps_path += ".m";
  std::string lists_path = "lists";
  for (int i = 0; i < 31; ++i) lists_path += "[0]";
  const AttributeMap item = Attrs({{"deep", NestedMaps(31)}, {"lists", NestedLists(31)}});
  ExpectAll(
      {
          {"deep.m...m = x", Compare(maps_path, kEq, S("x")), true},
          {"deep.m...m = y", Compare(maps_path, kEq, S("y")), false},
          {"lists[0]...[0] = x", Compare(lists_path, kEq, S("x")), true},
          {"attribute_type(lists[0]...[0], S)", TypeIs(lists_path, v1::ATTRIBUTE_TYPE_STRING), true},
          {"deep = NestedMaps(31)", Compare("deep", kEq, NestedMaps(31)), true},
          {"deep = NestedMaps(30)", Compare("deep", kEq, NestedMaps(30)), false},
          {"size(deep.m.m) = 1", SizeIs("deep.m.m", kEq, 1), true},
      },
      item);
}

// ---------------------------------------------------------------------------------------------------------
// BETWEEN and IN

TEST(ConditionEvaluatorTest, Between) {
  ExpectAll({
      {"n BETWEEN 1e3 AND 1000 (bounds inclusive)", Between("n", N("1e3"), Int(1000)), true},
      {"n BETWEEN 1000.5 AND 2000", Between("n", N("1000.5"), Int(2000)), false},
      {"n BETWEEN 1 AND 1000", Between("n", Int(1), Int(1000)), true},
      {"n BETWEEN a AND z (other type)", Between("n", S("a"), S("z")), false},
      {"NOT n BETWEEN a AND z", Not(Between("n", S("a"), S("z"))), true},
      {"s BETWEEN a AND z", Between("s", S("a"), S("z")), true},
      {"s BETWEEN hello AND hello", Between("s", S("hello"), S("hello")), true},
      {"s BETWEEN hellp AND z", Between("s", S("hellp"), S("z")), false},
      // Rejected by DynamoDB (ValidationException); never true here.
      {"n BETWEEN 2000 AND 1 (rejected by DynamoDB: lower above upper)", Between("n", Int(2000), Int(1)), false},
      {"n BETWEEN 1 AND z (rejected by DynamoDB: bounds of different types)", Between("n", Int(1), S("z")), false},
      {"t BETWEEN false AND true (rejected by DynamoDB: BOOL)", Between("t", Bool(false), Bool(true)), false},
  });
}

TEST(ConditionEvaluatorTest, In) {
  ExpectAll({
      {"n IN ('1000', 1e3)", In("n", {S("1000"), N("1e3")}), true},
      {"n IN ('1000', 1e4)", In("n", {S("1000"), N("1e4")}), false},
      {"ss IN (SS{b, c, a})", In("ss", {SS({"b", "c", "a"})}), true},
      {"ns IN (NS{2.50, -3, 1e0})", In("ns", {NS({"2.50", "-3", "1e0"})}), true},
      {"l IN ([1])", In("l", {L({Int(1)})}), false},
      {"m.a IN (1)", In("m.a", {Int(1)}), true},
      {"t IN (true)", In("t", {Bool(true)}), true},
      {"nl IN (NULL)", In("nl", {Null()}), true},
      {"s IN (a, b, hello)", In("s", {S("a"), S("b"), S("hello")}), true},
  });
}

// ---------------------------------------------------------------------------------------------------------
// Functions

TEST(ConditionEvaluatorTest, AttributeExistsAndNotExists) {
  ExpectAll({
      {"attribute_exists(pk)", Exists("pk"), true},
      {"attribute_exists(nl) (NULL is a value)", Exists("nl"), true},
      {"attribute_exists(f)", Exists("f"), true},
      {"attribute_exists(e) (an empty string is a value)", Exists("e"), true},
      {"attribute_not_exists(s)", NotExists("s"), false},
      {"attribute_not_exists(zz)", NotExists("zz"), true},
  });
}

TEST(ConditionEvaluatorTest, AttributeTypeOfEveryType) {
  ExpectAll({
      {"attribute_type(s, S)", TypeIs("s", v1::ATTRIBUTE_TYPE_STRING), true},
      {"attribute_type(s, SS)", TypeIs("s", v1::ATTRIBUTE_TYPE_STRING_SET), false},
      {"attribute_type(n, N)", TypeIs("n", v1::ATTRIBUTE_TYPE_NUMBER), true},
      {"attribute_type(n, S)", TypeIs("n", v1::ATTRIBUTE_TYPE_STRING), false},
      {"attribute_type(b, B)", TypeIs("b", v1::ATTRIBUTE_TYPE_BINARY), true},
      {"attribute_type(b, BS)", TypeIs("b", v1::ATTRIBUTE_TYPE_BINARY_SET), false},
      {"attribute_type(t, BOOL)", TypeIs("t", v1::ATTRIBUTE_TYPE_BOOL), true},
      {"attribute_type(t, NULL)", TypeIs("t", v1::ATTRIBUTE_TYPE_NULL), false},
      {"attribute_type(nl, NULL)", TypeIs("nl", v1::ATTRIBUTE_TYPE_NULL), true},
      {"attribute_type(nl, BOOL)", TypeIs("nl", v1::ATTRIBUTE_TYPE_BOOL), false},
      {"attribute_type(l, L)", TypeIs("l", v1::ATTRIBUTE_TYPE_LIST), true},
      {"attribute_type(l, M)", TypeIs("l", v1::ATTRIBUTE_TYPE_MAP), false},
      {"attribute_type(m, M)", TypeIs("m", v1::ATTRIBUTE_TYPE_MAP), true},
      {"attribute_type(m, L)", TypeIs("m", v1::ATTRIBUTE_TYPE_LIST), false},
      {"attribute_type(ss, SS)", TypeIs("ss", v1::ATTRIBUTE_TYPE_STRING_SET), true},
      {"attribute_type(ns, NS)", TypeIs("ns", v1::ATTRIBUTE_TYPE_NUMBER_SET), true},
      {"attribute_type(ns, L)", TypeIs("ns", v1::ATTRIBUTE_TYPE_LIST), false},
      {"attribute_type(bs, BS)", TypeIs("bs", v1::ATTRIBUTE_TYPE_BINARY_SET), true},
      {"attribute_type(bs, SS)", TypeIs("bs", v1::ATTRIBUTE_TYPE_STRING_SET), false},
  });
}

TEST(ConditionEvaluatorTest, BeginsWith) {
  ExpectAll({
      {"begins_with(s, hel)", BeginsWith("s", S("hel")), true},
      {"begins_with(s, hello world) (longer than the value)", BeginsWith("s", S("hello world")), false},
      {"begins_with(s, '')", BeginsWith("s", S("")), true},
      {"begins_with(e, '')", BeginsWith("e", S("")), true},
      {"begins_with(s, B'hel') (bytes prefix of a string)", BeginsWith("s", B("hel")), false},
      {"begins_with(u, hé)", BeginsWith("u", S("h\u00e9")), true},
      {"begins_with(b, 00 80)", BeginsWith("b", B(std::string("\x00\x80", 2))), true},
      {"begins_with(b, 80)", BeginsWith("b", B("\x80")), false},
      {"begins_with(b, B'')", BeginsWith("b", B("")), true},
      {"begins_with(eb, B'')", BeginsWith("eb", B("")), true},
      {"begins_with(b, 'a') (string prefix of a binary)", BeginsWith("b", S("a")), false},
      {"begins_with(n, '1') (a number)", BeginsWith("n", S("1")), false},
      {"NOT begins_with(n, '1')", Not(BeginsWith("n", S("1"))), true},
      {"begins_with(ss, a) (a set)", BeginsWith("ss", S("a")), false},
      {"begins_with(l, a) (a list)", BeginsWith("l", S("a")), false},
  });
}

TEST(ConditionEvaluatorTest, ContainsOnStringsAndBinary) {
  ExpectAll({
      {"contains(s, ell)", Contains("s", S("ell")), true},
      {"contains(s, '')", Contains("s", S("")), true},
      {"contains(e, '')", Contains("e", S("")), true},
      {"contains(s, xyz)", Contains("s", S("xyz")), false},
      {"contains(s, 1) (a number operand)", Contains("s", Int(1)), false},
      {"contains(s, B'ell') (a bytes operand)", Contains("s", B("ell")), false},
      {"contains(u, U+1F600)", Contains("u", S("\U0001F600")), true},
      {"contains(b, 80) (binary: a byte substring)", Contains("b", B("\x80")), true},
      {"contains(b, 80 FF)", Contains("b", B("\x80\xff")), true},
      {"contains(b, 81)", Contains("b", B("\x81")), false},
      {"contains(b, 'a') (a string operand)", Contains("b", S("a")), false},
      {"contains(eb, B'')", Contains("eb", B("")), true},
  });
}

TEST(ConditionEvaluatorTest, ContainsOnSetsAndLists) {
  ExpectAll({
      {"contains(ss, b)", Contains("ss", S("b")), true},
      {"contains(ss, d)", Contains("ss", S("d")), false},
      {"contains(ss, 1) (a number operand)", Contains("ss", Int(1)), false},
      {"contains(ss, SS{a}) (a set operand)", Contains("ss", SS({"a"})), false},
      {"contains(ss, [a])", Contains("ss", L({S("a")})), false},
      {"contains(ns, 1)", Contains("ns", Int(1)), true},
      {"contains(ns, 1.0) (numbers by value)", Contains("ns", N("1.0")), true},
      {"contains(ns, 2.50)", Contains("ns", N("2.50")), true},
      {"contains(ns, -3e0)", Contains("ns", N("-3e0")), true},
      {"contains(ns, 4)", Contains("ns", Int(4)), false},
      {"contains(ns, '1') (a string operand)", Contains("ns", S("1")), false},
      {"contains(bs, 80)", Contains("bs", B("\x80")), true},
      {"contains(bs, 02)", Contains("bs", B("\x02")), false},
      {"contains(l, 1)", Contains("l", Int(1)), true},
      {"contains(l, 1.00) (numbers by value)", Contains("l", N("1.00")), true},
      {"contains(l, x)", Contains("l", S("x")), true},
      {"contains(l, deep) (elements only, not nested values)", Contains("l", S("deep")), false},
      {"contains(l, {a: 2})", Contains("l", M({{"a", Int(2)}})), true},
      {"contains(l, [deep])", Contains("l", L({S("deep")})), true},
      {"contains(l, SS{q, p}) (sets in any order)", Contains("l", SS({"q", "p"})), true},
      {"contains(l, NULL)", Contains("l", Null()), false},
      {"contains(m, a) (a map)", Contains("m", S("a")), false},
      {"contains(n, 1000) (a number)", Contains("n", Int(1000)), false},
      {"NOT contains(n, 1000)", Not(Contains("n", Int(1000))), true},
      {"contains(t, true) (a bool)", Contains("t", Bool(true)), false},
  });
}

TEST(ConditionEvaluatorTest, SizeOfEveryType) {
  ExpectAll({
      {"size(s) = 5", SizeIs("s", kEq, 5), true},
      {"size(s) < 6", SizeIs("s", kLt, 6), true},
      {"size(s) <= 5", SizeIs("s", kLe, 5), true},
      {"size(s) > 5", SizeIs("s", kGt, 5), false},
      {"size(s) >= 5", SizeIs("s", kGe, 5), true},
      {"size(s) <> 5", SizeIs("s", kNe, 5), false},
      {"size(e) = 0", SizeIs("e", kEq, 0), true},
      {"size(b) = 3", SizeIs("b", kEq, 3), true},
      {"size(eb) = 0", SizeIs("eb", kEq, 0), true},
      {"size(l) = 5", SizeIs("l", kEq, 5), true},
      {"size(l[2]) = 1 (a map in a list)", SizeIs("l[2]", kEq, 1), true},
      {"size(l[3]) = 1", SizeIs("l[3]", kEq, 1), true},
      {"size(m) = 3", SizeIs("m", kEq, 3), true},
      {"size(m.b.c) < 2", SizeIs("m.b.c", kLt, 2), true},
      {"size(ss) = 3", SizeIs("ss", kEq, 3), true},
      {"size(ss) <> 5", SizeIs("ss", kNe, 5), true},
      {"size(ns) = 3", SizeIs("ns", kEq, 3), true},
      {"size(bs) = 2", SizeIs("bs", kEq, 2), true},
  });
}

TEST(ConditionEvaluatorTest, SizeOfNumbersBoolsAndNullsIsAbsent) {
  // A number, bool or null has no size: every size comparison is false, except <> which is true (as for a
  // missing attribute).
  ExpectAll({
      {"size(n) = 4", SizeIs("n", kEq, 4), false},
      {"size(n) <> 4", SizeIs("n", kNe, 4), true},
      {"size(n) >= 0", SizeIs("n", kGe, 0), false},
      {"NOT size(n) = 4", Not(SizeIs("n", kEq, 4)), true},
      {"size(t) >= 0", SizeIs("t", kGe, 0), false},
      {"size(nl) >= 0", SizeIs("nl", kGe, 0), false},
  });
}

TEST(ConditionEvaluatorTest, SizeOfStringsCountsBytes) {
  // NOT DynamoDB's behaviour: DynamoDB (Local 3.3.0, measured) counts UTF-16 code units -- size("hé😀") is
  // 4, size("é") 1, size("😀") 2. The gateway's contract (expression.proto) says bytes, which is what
  // Alternator computes, and Alternator is the backend whose failed condition this evaluator explains.
  ExpectAll({
      {"size(u) = 7 ('h' + 'é' + U+1F600 in UTF-8)", SizeIs("u", kEq, 7), true},
      {"size(u) = 4 (DynamoDB's answer)", SizeIs("u", kEq, 4), false},
      {"size(u) = 3 (code points)", SizeIs("u", kEq, 3), false},
  });
}

// ---------------------------------------------------------------------------------------------------------
// Boolean logic

TEST(ConditionEvaluatorTest, BooleanCombinations) {
  const v1::Condition yes = Compare("s", kEq, S("hello"));
  const v1::Condition no = Compare("n", kEq, Int(1001));
  const v1::Condition missing = Compare("zz", kEq, Int(1000));
  ExpectAll({
      {"s = hello AND n = 1000", AllOf({yes, Compare("n", kEq, Int(1000))}), true},
      {"s = hello AND n = 1001", AllOf({yes, no}), false},
      {"n = 1001 AND s = hello", AllOf({no, yes}), false},
      {"s = hello (AND of one)", AllOf({yes}), true},
      {"s = hellx OR n = 1001", AnyOf({Compare("s", kEq, S("hellx")), no}), false},
      {"s = hellx OR n = 1000", AnyOf({Compare("s", kEq, S("hellx")), Compare("n", kEq, Int(1000))}), true},
      {"n = 1001 (OR of one)", AnyOf({no}), false},
      {"NOT (s = hellx OR zz = 1000)", Not(AnyOf({Compare("s", kEq, S("hellx")), missing})), true},
      {"NOT (NOT zz = 1000)", Not(Not(missing)), false},
      {"NOT s = hello", Not(yes), false},
      {"(s = hello OR zz = 1000) AND NOT (n = 1001 AND s = hello)",
       AllOf({AnyOf({yes, missing}), Not(AllOf({no, yes}))}), true},
      {"(n = 1001 OR zz = 1000) OR (attribute_exists(m.a) AND NOT attribute_exists(m.zz))",
       AnyOf({AnyOf({no, missing}), AllOf({Exists("m.a"), Not(Exists("m.zz"))})}), true},
  });
}

TEST(ConditionEvaluatorTest, DeeplyNestedConditions) {
  // 64 levels of nesting (the condition compiler's limit): 63 negations around a true comparison is false.
  v1::Condition c = Compare("s", kEq, S("hello"));
  for (int i = 0; i < 63; ++i) c = Not(c);
  absl::StatusOr<bool> result = EvaluateCondition(c, TestItem());
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_FALSE(*result);

  v1::Condition nested = Compare("s", kEq, S("hello"));
  for (int i = 0; i < 32; ++i) nested = (i % 2 == 0) ? AllOf({nested, Exists("pk")}) : AnyOf({nested, Exists("zz")});
  result = EvaluateCondition(nested, TestItem());
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(*result);
}

// ---------------------------------------------------------------------------------------------------------
// Invalid conditions (the caller validates them first; these are defensive errors)

TEST(ConditionEvaluatorTest, RejectsInvalidConditions) {
  v1::Condition unset_operand = Compare("s", kEq, S("x"));
  unset_operand.mutable_comparison()->clear_operand();
  v1::Condition no_kind_value = Compare("s", kEq, v1::Value());
  v1::Condition too_deep = Compare("s", kEq, S("hello"));
  for (int i = 0; i < 65; ++i) too_deep = Not(too_deep);

  const std::vector<std::pair<v1::Condition, std::string>> cases = {
      {v1::Condition(), "no kind"},
      {Not(v1::Condition()), "no kind"},
      {AllOf({Exists("s"), v1::Condition()}), "no kind"},
      {AnyOf({Exists("s"), v1::Condition()}), "no kind"},  // evaluated although the first one holds
      {Exists(""), "attribute_exists: invalid path"},
      {Exists("a..b"), "attribute_exists: invalid path"},
      {NotExists("a["), "attribute_not_exists: invalid path"},
      {Compare("s]", kEq, Int(1)), "comparison.path: invalid path"},
      {ComparePaths("s", kEq, "`x"), "comparison.other_path: invalid path"},
      {Compare("s", v1::COMPARATOR_UNSPECIFIED, S("hello")), "comparator must be set"},
      {Compare("zz", v1::COMPARATOR_UNSPECIFIED, S("hello")), "comparator must be set"},
      {SizeIs("s", v1::COMPARATOR_UNSPECIFIED, 5), "comparator must be set"},
      {unset_operand, "right-hand side"},
      {no_kind_value, "comparison.value: value has no kind set"},
      {Compare("n", kEq, N("1e999")), "comparison.value: invalid number"},
      {Compare("l", kEq, L({N("abc")})), "comparison.value: invalid number"},
      {Contains("ns", NS({"1", "x"})), "contains.operand: invalid number"},
      {Between("n", v1::Value(), Int(1)), "between.lower"},
      {In("n", {}), "is_in.values"},
      {In("n", {Int(1), v1::Value()}), "is_in.values"},
      {BeginsWith("s", Int(1)), "begins_with.prefix"},
      {TypeIs("s", v1::ATTRIBUTE_TYPE_UNSPECIFIED), "type must be set"},
      {TypeIs("s", static_cast<v1::AttributeType>(99)), "type must be set"},
      {[] {
         v1::Condition c;
         c.mutable_all_of();
         return c;
       }(),
       "all_of: needs at least one condition"},
      {too_deep, "nest deeper than 64"},
  };
  for (const auto& [condition, message] : cases) {
    SCOPED_TRACE(condition.ShortDebugString());
    const absl::StatusOr<bool> result = EvaluateCondition(condition, TestItem());
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(result.status().message()), HasSubstr(message));
  }
}

TEST(ConditionEvaluatorTest, MalformedItemValuesAreUnequalToEverything) {
  // Not expected from the database; must not crash nor match.
  v1::Value bad_number;
  bad_number.mutable_number_value()->set_decimal("not a number");
  const AttributeMap item = Attrs({{"x", bad_number}, {"y", v1::Value()}, {"z", bad_number}});
  ExpectAll(
      {
          {"x = 1", Compare("x", kEq, Int(1)), false},
          {"x < 1", Compare("x", kLt, Int(1)), false},
          {"x = z", ComparePaths("x", kEq, "z"), false},
          {"x <> 1", Compare("x", kNe, Int(1)), true},
          {"y = NULL", Compare("y", kEq, Null()), false},
          {"attribute_exists(y)", Exists("y"), true},
          {"size(y) = 0", SizeIs("y", kEq, 0), false},
      },
      item);
}

}  // namespace
}  // namespace altgw::model
