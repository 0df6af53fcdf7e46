// Bad input is rejected with INVALID_ARGUMENT / INVALID_REQUEST, a BadRequest violation naming the field,
// and NOTHING written (checked directly in the database after every rejected request). The limits are
// exactly DynamoDB's: the largest accepted values are accepted, by the gateway and by the database.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "integration_util.h"

namespace altgw::testing {
namespace {

class ValidationTest : public GatewaySuite {
 protected:
  static void SetUpTestSuite() {
    GatewaySuite::SetUpTestSuite();
    table_ = UniqueTableName("validation");
    CreateTable(gateway(), table_, "pk", v1::SCALAR_TYPE_STRING);
    composite_ = UniqueTableName("validation_composite");
    CreateTable(gateway(), composite_, "pk", v1::SCALAR_TYPE_STRING, "sk", v1::SCALAR_TYPE_STRING);
    binary_ = UniqueTableName("validation_binary");
    CreateTable(gateway(), binary_, "pk", v1::SCALAR_TYPE_BINARY);
    ASSERT_TRUE(Ok(Call(gateway(), PutOf(table_, Sentinel()))));
    ASSERT_TRUE(Ok(Call(gateway(), PutOf(composite_, Item({{"pk", S("p")}, {"sk", S("s")}, {"v", I(1)}})))));
    ASSERT_TRUE(Ok(Call(gateway(), PutOf(binary_, Item({{"pk", B("\x01")}, {"v", I(1)}})))));
  }

  void SetUp() override { Snapshot(); }

  static Attributes Sentinel() {
    return Item({{"pk", S("sentinel")}, {"v", I(1)}, {"m", M({{"x", I(1)}})}, {"ss", SS({"a"})}, {"l", L({I(1)})}});
  }
  static Attributes SentinelKey() { return Item({{"pk", S("sentinel")}}); }

  // What the three tables hold now.
  void Snapshot() {
    snapshot_ = {DirectScan(table_), DirectScan(composite_), DirectScan(binary_)};
  }

  // The call was rejected as invalid with a violation on `field`, and no table changed.
  ::testing::AssertionResult Rejected(const grpc::Status& status, absl::string_view field) {
    ::testing::AssertionResult invalid = IsInvalid(status, field);
    if (!invalid) return invalid;
    const std::vector<std::vector<json>> now = {DirectScan(table_), DirectScan(composite_), DirectScan(binary_)};
    if (now != snapshot_) return ::testing::AssertionFailure() << "a rejected request changed the database";
    return ::testing::AssertionSuccess();
  }

  inline static std::string table_, composite_, binary_;
  std::vector<std::vector<json>> snapshot_;
};

v1::Value NoKind() { return v1::Value(); }

// ---------------------------------------------------------------------------------------------------------
// Sizes.

// An item is at most 400 KB as DynamoDB counts it (names + values; numbers by digit pairs; 3 bytes per
// list or map plus 1 per element, and a map element's name). Exactly 409600 bytes is accepted.
TEST_F(ValidationTest, ItemSizeLimit) {
  // pk(2) + "big"(3) + data(4) + the string.
  const Attributes at_limit = Item({{"pk", S("big")}, {"data", S(std::string(409591, 'x'))}});
  Attributes over = at_limit;
  over["data"] = S(std::string(409592, 'x'));
  EXPECT_TRUE(Rejected(Call(gateway(), PutOf(table_, over)), "item"));
  // The database counts the same way: sent directly, it refuses the item too.
  auto direct = Db().Call("PutItem", {{"TableName", table_},
                                      {"Item", {{"pk", {{"S", "big"}}}, {"data", {{"S", std::string(409592, 'x')}}}}}});
  EXPECT_EQ(direct.status, 400) << direct.body.dump();
  EXPECT_NE(direct.body.dump().find("Item size"), std::string::npos) << direct.body.dump();
  ASSERT_TRUE(Ok(Call(gateway(), PutOf(table_, at_limit))));
  EXPECT_EQ(DirectItem(table_, SKey("pk", "big"))["data"]["S"].get_ref<const std::string&>().size(), 409591u);

  // With a negative decimal (5 bytes: 3 digit pairs, 1, and 1 for the sign), a list and a map:
  // pk(2+4) + n(1+5) + l(1 + 3 + (1+2) + (1+2)) + m(1 + 3 + (1+1) + 1) + data(4) = 33 bytes + the string.
  const Attributes mixed_at_limit = Item({{"pk", S("big2")},
                                          {"n", N("-123.45")},
                                          {"l", L({S("ab"), I(7)})},
                                          {"m", M({{"k", S("v")}})},
                                          {"data", S(std::string(409567, 'x'))}});
  Attributes mixed_over = mixed_at_limit;
  mixed_over["data"] = S(std::string(409568, 'x'));
  Snapshot();
  EXPECT_TRUE(Rejected(Call(gateway(), PutOf(table_, mixed_over)), "item"));
  direct = Db().Call("PutItem", {{"TableName", table_},
                                 {"Item",
                                  {{"pk", {{"S", "big2"}}},
                                   {"n", {{"N", "-123.45"}}},
                                   {"l", {{"L", {{{"S", "ab"}}, {{"N", "7"}}}}}},
                                   {"m", {{"M", {{"k", {{"S", "v"}}}}}}},
                                   {"data", {{"S", std::string(409568, 'x')}}}}}});
  EXPECT_EQ(direct.status, 400) << direct.body.dump();
  EXPECT_NE(direct.body.dump().find("Item size"), std::string::npos) << direct.body.dump();
  ASSERT_TRUE(Ok(Call(gateway(), PutOf(table_, mixed_at_limit))));
  EXPECT_TRUE(DirectItem(table_, SKey("pk", "big2")).is_object());

  // Update, too, may not grow an item beyond the limit, but only the database can tell (it knows the item).
  Snapshot();
  const grpc::Status grow =
      Call(gateway(), UpdateOf(table_, Item({{"pk", S("big")}}), {SetAction("more", S("0123456789"))}));
  EXPECT_TRUE(IsError(grow, grpc::StatusCode::INVALID_ARGUMENT, "BACKEND_VALIDATION_ERROR"));
  EXPECT_EQ(DirectScan(table_), snapshot_[0]);

  // The other tests compare whole-table snapshots: keep them small.
  for (const char* key : {"big", "big2"}) {
    ASSERT_EQ(Db().Call("DeleteItem", {{"TableName", table_}, {"Key", SKey("pk", key)}}).status, 200);
  }
}

TEST_F(ValidationTest, KeySizeLimits) {
  const std::string pk_max(2048, 'p');
  const std::string sk_max(1024, 's');
  // 2049 bytes of UTF-8 (683 three-byte characters): bytes count, not characters.
  std::string pk_over_utf8;
  for (int i = 0; i < 683; ++i) pk_over_utf8 += "日";
  ASSERT_EQ(pk_over_utf8.size(), 2049u);

  EXPECT_TRUE(Rejected(Call(gateway(), PutOf(composite_, Item({{"pk", S(pk_max + "p")}, {"sk", S("s")}}))), "item[\"pk\"]"));
  EXPECT_TRUE(Rejected(Call(gateway(), PutOf(composite_, Item({{"pk", S(pk_over_utf8)}, {"sk", S("s")}}))), "item[\"pk\"]"));
  EXPECT_TRUE(Rejected(Call(gateway(), PutOf(composite_, Item({{"pk", S("p")}, {"sk", S(sk_max + "s")}}))), "item[\"sk\"]"));
  EXPECT_TRUE(Rejected(Call(gateway(), GetOf(composite_, Item({{"pk", S(pk_max + "p")}, {"sk", S("s")}}))), "key[\"pk\"]"));
  EXPECT_TRUE(Rejected(Call(gateway(), DeleteOf(composite_, Item({{"pk", S("p")}, {"sk", S(sk_max + "s")}}))), "key[\"sk\"]"));
  EXPECT_TRUE(Rejected(Call(gateway(), UpdateOf(composite_, Item({{"pk", S(pk_max + "p")}, {"sk", S("s")}}))), "key[\"pk\"]"));
  EXPECT_TRUE(Rejected(Call(gateway(), PutOf(binary_, Item({{"pk", B(std::string(2049, '\xff'))}}))), "item[\"pk\"]"));
  v1::QueryRequest query = QueryOf(composite_, S("p"));
  query.mutable_sort_key()->set_operator_(v1::SORT_KEY_OPERATOR_EQUAL);
  *query.mutable_sort_key()->mutable_value() = S(sk_max + "s");
  EXPECT_TRUE(IsInvalid(Call(gateway(), query), "sort_key.value"));

  // The limits themselves are accepted, by the gateway and the database.
  ASSERT_TRUE(Ok(Call(gateway(), PutOf(composite_, Item({{"pk", S(pk_max)}, {"sk", S(sk_max)}})))));
  EXPECT_TRUE(DirectItem(composite_, {{"pk", {{"S", pk_max}}}, {"sk", {{"S", sk_max}}}}).is_object());
  ASSERT_TRUE(Ok(Call(gateway(), PutOf(binary_, Item({{"pk", B(std::string(2048, '\xff'))}})))));
  v1::GetResponse got;
  ASSERT_TRUE(Ok(Call(gateway(), GetOf(composite_, Item({{"pk", S(pk_max)}, {"sk", S(sk_max)}})), &got)));
  EXPECT_TRUE(got.found());
  ASSERT_TRUE(Ok(Call(gateway(), QueryOf(composite_, S(pk_max)))));
}

TEST_F(ValidationTest, NestingLimit) {
  // 31 nested lists/maps are fine; 32 are one too many (the item itself counts as a level), as the
  // database itself says when asked directly.
  EXPECT_TRUE(Rejected(Call(gateway(), PutOf(table_, Item({{"pk", S("deep")}, {"deep", Nested(32, S("x"))}}))),
                       "item[\"deep\"]"));
  // Deeper still (within what a gRPC request can carry: protobuf parses messages nested at most 100 deep).
  EXPECT_TRUE(Rejected(Call(gateway(), PutOf(table_, Item({{"pk", S("deep")}, {"deep", Nested(36, EmptyMap())}}))),
                       "item[\"deep\"]"));
  v1::Value lists = S("x");
  for (int i = 0; i < 45; ++i) lists = L({lists});
  EXPECT_TRUE(Rejected(Call(gateway(), PutOf(table_, Item({{"pk", S("deep")}, {"deep", lists}}))), "item[\"deep\"]"));
  EXPECT_TRUE(Rejected(
      Call(gateway(), UpdateOf(table_, SentinelKey(), {SetAction("deep", Nested(32, S("x")))})), "actions[0].set.value"));
  EXPECT_TRUE(Rejected(
      Call(gateway(), UpdateOf(table_, SentinelKey(), {SetAction("m.deep", Nested(31, S("x")))})), "actions[0].set.value"));

  // DynamoDB agrees: sent directly, 32 levels are refused and 31 accepted.
  auto nested_json = [](int levels) {
    json value = {{"S", "x"}};
    for (int i = levels; i >= 1; --i) value = i % 2 == 1 ? json{{"L", json::array({value})}} : json{{"M", {{"m", value}}}};
    return value;
  };
  EXPECT_EQ(Db().Call("PutItem", {{"TableName", table_}, {"Item", {{"pk", {{"S", "deep-direct"}}}, {"deep", nested_json(32)}}}})
                .status,
            400);
  EXPECT_EQ(Db().Call("PutItem", {{"TableName", table_}, {"Item", {{"pk", {{"S", "deep-direct"}}}, {"deep", nested_json(31)}}}})
                .status,
            200);

  ASSERT_TRUE(Ok(Call(gateway(), PutOf(table_, Item({{"pk", S("deep")}, {"deep", Nested(31, S("x"))}})))));
  ASSERT_TRUE(Ok(Call(gateway(), UpdateOf(table_, SentinelKey(), {SetAction("m.deep", Nested(30, S("x")))}))));
  EXPECT_TRUE(DirectItem(table_, SKey("pk", "deep")).is_object());
}

// ---------------------------------------------------------------------------------------------------------
// Numbers.

TEST_F(ValidationTest, NumbersOutOfRangeOrMalformed) {
  const std::vector<std::string> bad_decimals = {
      "123456789012345678901234567890123456789",  // 39 significant digits
      "1.23456789012345678901234567890123456789",
      "1e126", "-1e126", "1e-131", "0.5e-130", "9.99999999999999999999999999999999999999e125",
      "", "NaN", "nan", "Infinity", "-Infinity", "0x10", " 1", "1 ", "1e", "--1", "1.2.3", "1,5", "e5", "."};
  for (const std::string& decimal : bad_decimals) {
    SCOPED_TRACE(decimal);
    EXPECT_TRUE(Rejected(Call(gateway(), PutOf(table_, Item({{"pk", S("num")}, {"n", N(decimal)}}))),
                         "item[\"n\"].number_value.decimal"));
  }
  for (double d : {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
                   -std::numeric_limits<double>::infinity(), 1e300, 5e-324}) {
    SCOPED_TRACE(d);
    EXPECT_TRUE(Rejected(Call(gateway(), PutOf(table_, Item({{"pk", S("num")}, {"n", F(d)}}))),
                         "item[\"n\"].number_value.float64"));
  }
  v1::Value empty_number;
  empty_number.mutable_number_value();
  EXPECT_TRUE(Rejected(Call(gateway(), PutOf(table_, Item({{"pk", S("num")}, {"n", empty_number}}))),
                       "item[\"n\"].number_value"));
  // Numbers are checked wherever they appear: in conditions, update actions and query keys.
  v1::PutRequest put = PutOf(table_, Item({{"pk", S("num")}}));
  *put.mutable_condition() = Eq("v", N("1e126"));
  EXPECT_TRUE(Rejected(Call(gateway(), put), "condition.comparison.value.number_value.decimal"));
  EXPECT_TRUE(Rejected(Call(gateway(), UpdateOf(table_, SentinelKey(), {IncrementAction("v", F(NAN))})),
                       "actions[0].increment.delta.float64"));
  EXPECT_TRUE(Rejected(Call(gateway(), UpdateOf(table_, SentinelKey(), {AddAction("v", N("1e-131"))})),
                       "actions[0].add.value"));
  v1::QueryRequest query = QueryOf(table_, S("sentinel"));
  *query.mutable_filter() = Between("v", N("1"), N("1e999"));
  EXPECT_TRUE(Rejected(Call(gateway(), query), "filter.between.upper"));
}

// ---------------------------------------------------------------------------------------------------------
// Sets.

TEST_F(ValidationTest, EmptyAndDuplicateSets) {
  v1::Value empty_ss, empty_ns, empty_bs;
  empty_ss.mutable_string_set();
  empty_ns.mutable_number_set();
  empty_bs.mutable_bytes_set();
  EXPECT_TRUE(Rejected(Call(gateway(), PutOf(table_, Item({{"pk", S("set")}, {"s", empty_ss}}))), "item[\"s\"].string_set.values"));
  EXPECT_TRUE(Rejected(Call(gateway(), PutOf(table_, Item({{"pk", S("set")}, {"s", empty_ns}}))), "item[\"s\"].number_set.values"));
  EXPECT_TRUE(Rejected(Call(gateway(), PutOf(table_, Item({{"pk", S("set")}, {"s", empty_bs}}))), "item[\"s\"].bytes_set.values"));
  EXPECT_TRUE(Rejected(Call(gateway(), PutOf(table_, Item({{"pk", S("set")}, {"s", SS({"a", "b", "a"})}}))),
                       "item[\"s\"].string_set.values[2]"));
  EXPECT_TRUE(Rejected(Call(gateway(), PutOf(table_, Item({{"pk", S("set")}, {"s", NS({"1", "1.0"})}}))),
                       "item[\"s\"].number_set.values[1]"));
  EXPECT_TRUE(Rejected(Call(gateway(), PutOf(table_, Item({{"pk", S("set")}, {"s", NumberSet({I(100), N("1e2")})}}))),
                       "item[\"s\"].number_set.values[1]"));
  EXPECT_TRUE(Rejected(Call(gateway(), PutOf(table_, Item({{"pk", S("set")}, {"s", BS({"\x01", "\x01"})}}))),
                       "item[\"s\"].bytes_set.values[1]"));
  EXPECT_TRUE(Rejected(Call(gateway(), PutOf(table_, Item({{"pk", S("set")}, {"s", NS({"1", "x"})}}))),
                       "item[\"s\"].number_set.values[1]"));
  // Nested, and in update actions.
  EXPECT_TRUE(Rejected(Call(gateway(), PutOf(table_, Item({{"pk", S("set")}, {"l", L({I(1), empty_ss})}}))),
                       "item[\"l\"].list_value.values[1].string_set.values"));
  EXPECT_TRUE(Rejected(Call(gateway(), UpdateOf(table_, SentinelKey(), {AddAction("ss", empty_ss)})), "actions[0].add.value"));
  EXPECT_TRUE(Rejected(Call(gateway(), UpdateOf(table_, SentinelKey(), {DeleteFromSetAction("ss", SS({"a", "a"}))})),
                       "actions[0].delete_from_set.value"));
}

// ---------------------------------------------------------------------------------------------------------
// Keys.

TEST_F(ValidationTest, EmptyKeys) {
  EXPECT_TRUE(Rejected(Call(gateway(), PutOf(table_, Item({{"pk", S("")}}))), "item[\"pk\"]"));
  EXPECT_TRUE(Rejected(Call(gateway(), GetOf(table_, Item({{"pk", S("")}}))), "key[\"pk\"]"));
  EXPECT_TRUE(Rejected(Call(gateway(), DeleteOf(table_, Item({{"pk", S("")}}))), "key[\"pk\"]"));
  EXPECT_TRUE(Rejected(Call(gateway(), UpdateOf(table_, Item({{"pk", S("")}}))), "key[\"pk\"]"));
  EXPECT_TRUE(Rejected(Call(gateway(), QueryOf(table_, S(""))), "partition_key"));
  EXPECT_TRUE(Rejected(Call(gateway(), PutOf(composite_, Item({{"pk", S("p")}, {"sk", S("")}}))), "item[\"sk\"]"));
  EXPECT_TRUE(Rejected(Call(gateway(), PutOf(binary_, Item({{"pk", B("")}}))), "item[\"pk\"]"));
  EXPECT_TRUE(Rejected(Call(gateway(), GetOf(binary_, Item({{"pk", B("")}}))), "key[\"pk\"]"));
  EXPECT_TRUE(Rejected(Call(gateway(), UpdateOf(binary_, Item({{"pk", B("")}}), {SetAction("v", I(2))})), "key[\"pk\"]"));
  EXPECT_TRUE(Rejected(Call(gateway(), QueryOf(binary_, B(""))), "partition_key"));
  // Empty strings and bytes are fine outside keys.
  ASSERT_TRUE(Ok(Call(gateway(), PutOf(table_, Item({{"pk", S("empty-values")}, {"s", S("")}, {"b", B("")}})))));
}

TEST_F(ValidationTest, MissingExtraAndMistypedKeyAttributes) {
  // Missing.
  EXPECT_TRUE(Rejected(Call(gateway(), PutOf(table_, Item({{"other", S("x")}}))), "item"));
  EXPECT_TRUE(Rejected(Call(gateway(), GetOf(table_, Attributes())), "key"));
  EXPECT_TRUE(Rejected(Call(gateway(), PutOf(composite_, Item({{"pk", S("p")}, {"v", I(1)}}))), "item"));
  EXPECT_TRUE(Rejected(Call(gateway(), GetOf(composite_, Item({{"pk", S("p")}}))), "key"));
  EXPECT_TRUE(Rejected(Call(gateway(), DeleteOf(composite_, Item({{"sk", S("s")}}))), "key"));
  EXPECT_TRUE(Rejected(Call(gateway(), UpdateOf(composite_, Item({{"pk", S("p")}}), {SetAction("v", I(2))})), "key"));
  // Extra attributes in a key.
  EXPECT_TRUE(Rejected(Call(gateway(), GetOf(table_, Item({{"pk", S("sentinel")}, {"extra", I(1)}}))), "key[\"extra\"]"));
  EXPECT_TRUE(Rejected(Call(gateway(), DeleteOf(table_, Item({{"pk", S("sentinel")}, {"v", I(1)}}))), "key[\"v\"]"));
  EXPECT_TRUE(Rejected(
      Call(gateway(), UpdateOf(table_, Item({{"pk", S("sentinel")}, {"extra", I(1)}}), {SetAction("v", I(2))})),
      "key[\"extra\"]"));
  EXPECT_TRUE(Rejected(Call(gateway(), GetOf(composite_, Item({{"pk", S("p")}, {"sk", S("s")}, {"x", S("s")}}))),
                       "key[\"x\"]"));
  // Wrong types.
  EXPECT_TRUE(Rejected(Call(gateway(), PutOf(table_, Item({{"pk", I(1)}}))), "item[\"pk\"]"));
  EXPECT_TRUE(Rejected(Call(gateway(), PutOf(table_, Item({{"pk", B("sentinel")}}))), "item[\"pk\"]"));
  EXPECT_TRUE(Rejected(Call(gateway(), PutOf(table_, Item({{"pk", SS({"a"})}}))), "item[\"pk\"]"));
  EXPECT_TRUE(Rejected(Call(gateway(), GetOf(table_, Item({{"pk", I(1)}}))), "key[\"pk\"]"));
  EXPECT_TRUE(Rejected(Call(gateway(), DeleteOf(table_, Item({{"pk", Null()}}))), "key[\"pk\"]"));
  EXPECT_TRUE(Rejected(Call(gateway(), UpdateOf(binary_, Item({{"pk", S("\x01")}}))), "key[\"pk\"]"));
  EXPECT_TRUE(Rejected(Call(gateway(), PutOf(composite_, Item({{"pk", S("p")}, {"sk", I(1)}}))), "item[\"sk\"]"));
  EXPECT_TRUE(Rejected(Call(gateway(), QueryOf(composite_, B("p"))), "partition_key"));
}

// ---------------------------------------------------------------------------------------------------------
// Values, conditions and actions without a kind; IN sizes; expression size.

TEST_F(ValidationTest, ValuesAndConditionsWithoutKind) {
  EXPECT_TRUE(Rejected(Call(gateway(), PutOf(table_, Item({{"pk", S("kind")}, {"x", NoKind()}}))), "item[\"x\"]"));
  v1::Value list;
  *list.mutable_list_value()->add_values() = I(1);
  list.mutable_list_value()->add_values();
  EXPECT_TRUE(Rejected(Call(gateway(), PutOf(table_, Item({{"pk", S("kind")}, {"l", list}}))),
                       "item[\"l\"].list_value.values[1]"));
  EXPECT_TRUE(Rejected(Call(gateway(), PutOf(table_, Item({{"pk", S("kind")}, {"m", M({{"inner", NoKind()}})}}))),
                       "item[\"m\"].map_value.fields[\"inner\"]"));
  EXPECT_TRUE(Rejected(Call(gateway(), GetOf(table_, Item({{"pk", NoKind()}}))), "key[\"pk\"]"));
  EXPECT_TRUE(Rejected(Call(gateway(), UpdateOf(table_, SentinelKey(), {SetAction("v", NoKind())})), "actions[0].set.value"));

  // Conditions.
  v1::PutRequest put = PutOf(table_, Item({{"pk", S("kind")}}));
  put.mutable_condition();  // present, with no kind
  EXPECT_TRUE(Rejected(Call(gateway(), put), "condition"));
  *put.mutable_condition() = AllOf({Eq("v", I(1)), v1::Condition()});
  EXPECT_TRUE(Rejected(Call(gateway(), put), "condition.all_of.conditions[1]"));
  *put.mutable_condition() = Not(AnyOf({v1::Condition()}));
  EXPECT_TRUE(Rejected(Call(gateway(), put), "condition.negation.any_of.conditions[0]"));
  put.mutable_condition()->mutable_all_of();
  EXPECT_TRUE(Rejected(Call(gateway(), put), "condition.all_of.conditions"));
  *put.mutable_condition() = Eq("v", NoKind());
  EXPECT_TRUE(Rejected(Call(gateway(), put), "condition.comparison.value"));
  *put.mutable_condition() = Compare("v", v1::COMPARATOR_UNSPECIFIED, I(1));
  EXPECT_TRUE(Rejected(Call(gateway(), put), "condition.comparison.comparator"));
  put.mutable_condition()->mutable_comparison()->set_comparator(v1::COMPARATOR_EQUAL);
  put.mutable_condition()->mutable_comparison()->clear_value();
  EXPECT_TRUE(Rejected(Call(gateway(), put), "condition.comparison"));
  *put.mutable_condition() = TypeIs("v", v1::ATTRIBUTE_TYPE_UNSPECIFIED);
  EXPECT_TRUE(Rejected(Call(gateway(), put), "condition.attribute_type.type"));
  *put.mutable_condition() = BeginsWith("v", I(1));
  EXPECT_TRUE(Rejected(Call(gateway(), put), "condition.begins_with.prefix"));
  *put.mutable_condition() = Exists("");
  EXPECT_TRUE(Rejected(Call(gateway(), put), "condition.attribute_exists"));
  *put.mutable_condition() = SizeIs("v", v1::COMPARATOR_UNSPECIFIED, 1);
  EXPECT_TRUE(Rejected(Call(gateway(), put), "condition.size.comparator"));
  // A path compared with itself (which DynamoDB refuses), however it is spelled.
  *put.mutable_condition() = ComparePaths("v", v1::COMPARATOR_LESS_OR_EQUAL, "v");
  EXPECT_TRUE(Rejected(Call(gateway(), put), "condition.comparison.other_path"));
  *put.mutable_condition() = AnyOf({Exists("m"), ComparePaths("m.x", v1::COMPARATOR_EQUAL, "`m`.`x`")});
  EXPECT_TRUE(Rejected(Call(gateway(), put), "condition.any_of.conditions[1].comparison.other_path"));

  // The same on Delete, Update and Query filters.
  v1::DeleteRequest del = DeleteOf(table_, SentinelKey());
  del.mutable_condition();
  EXPECT_TRUE(Rejected(Call(gateway(), del), "condition"));
  v1::UpdateRequest update = UpdateOf(table_, SentinelKey(), {SetAction("v", I(2))});
  update.mutable_condition();
  EXPECT_TRUE(Rejected(Call(gateway(), update), "condition"));
  EXPECT_TRUE(Rejected(Call(gateway(), UpdateOf(table_, SentinelKey(), {SetAction("v", I(2)), v1::UpdateAction()})),
                       "actions[1]"));
}

TEST_F(ValidationTest, InTakesOneToOneHundredValues) {
  v1::PutRequest put = PutOf(table_, Item({{"pk", S("in")}}));
  *put.mutable_condition() = In("v", {});
  EXPECT_TRUE(Rejected(Call(gateway(), put), "condition.is_in.values"));
  std::vector<v1::Value> values;
  for (int i = 0; i < 101; ++i) values.push_back(I(i));
  *put.mutable_condition() = In("v", values);
  EXPECT_TRUE(Rejected(Call(gateway(), put), "condition.is_in.values"));
  // 100 values are fine (v is absent on the new item, so NOT(v IN ...) holds).
  values.pop_back();
  *put.mutable_condition() = Not(In("v", values));
  ASSERT_TRUE(Ok(Call(gateway(), put)));
  EXPECT_TRUE(DirectItem(table_, SKey("pk", "in")).is_object());
}

TEST_F(ValidationTest, ExpressionsLongerThan4KB) {
  // Seven IN lists of 100 values: few operators, but over 4 KB of placeholders.
  std::vector<v1::Condition> lists;
  for (int l = 0; l < 7; ++l) {
    std::vector<v1::Value> values;
    for (int i = 0; i < 100; ++i) values.push_back(I(l * 100 + i));
    lists.push_back(In("v", values));
  }
  v1::PutRequest put = PutOf(table_, Item({{"pk", S("long")}}));
  *put.mutable_condition() = AnyOf(lists);
  EXPECT_TRUE(Rejected(Call(gateway(), put), "condition"));
  EXPECT_NE(DecodeError(Call(gateway(), put)).Violations().find("4096"), std::string::npos);

  // A projection of 800 paths.
  v1::GetRequest get = GetOf(table_, SentinelKey());
  for (int i = 0; i < 800; ++i) get.add_projection("a" + std::to_string(i));
  EXPECT_TRUE(IsInvalid(Call(gateway(), get), "projection"));

  // An update of 400 attributes.
  std::vector<v1::UpdateAction> actions;
  for (int i = 0; i < 400; ++i) actions.push_back(SetAction("a" + std::to_string(i), I(i)));
  EXPECT_TRUE(Rejected(Call(gateway(), UpdateOf(table_, SentinelKey(), actions)), "actions"));

  // A query filter.
  v1::QueryRequest query = QueryOf(table_, S("sentinel"));
  *query.mutable_filter() = AnyOf(lists);
  EXPECT_TRUE(IsInvalid(Call(gateway(), query), "filter"));

  // More than 300 operators (DynamoDB's other expression limit), in under 4 KB.
  std::vector<v1::Condition> comparisons;
  for (int i = 0; i < 200; ++i) comparisons.push_back(Eq("v", I(i)));
  *put.mutable_condition() = AnyOf(comparisons);
  EXPECT_TRUE(Rejected(Call(gateway(), put), "condition"));

  // Just under the limits, the same shapes are accepted.
  lists.resize(5);
  *put.mutable_condition() = Not(AnyOf(lists));
  ASSERT_TRUE(Ok(Call(gateway(), put)));
  comparisons.resize(150);  // 150 comparisons + 149 ORs + NOT = 300 operators
  *put.mutable_condition() = Not(AnyOf(comparisons));
  ASSERT_TRUE(Ok(Call(gateway(), put)));
}

// ---------------------------------------------------------------------------------------------------------
// Update actions.

TEST_F(ValidationTest, InvalidUpdateActions) {
  auto update = [&](const std::vector<v1::UpdateAction>& actions) {
    return Call(gateway(), UpdateOf(table_, SentinelKey(), actions));
  };
  // Overlapping paths.
  EXPECT_TRUE(Rejected(update({SetAction("m", I(1)), SetAction("m.x", I(2))}), "actions[1].set.path"));
  EXPECT_TRUE(Rejected(update({SetAction("m.x", I(1)), RemoveAction("m")}), "actions[1].remove"));
  EXPECT_TRUE(Rejected(update({SetAction("v", I(1)), IncrementAction("v", I(2))}), "actions[1].increment.path"));
  EXPECT_TRUE(Rejected(update({RemoveAction("l[0]"), SetAction("l[0]", I(2))}), "actions[1].set.path"));
  EXPECT_TRUE(Rejected(update({AddAction("ss", SS({"b"})), DeleteFromSetAction("ss", SS({"a"}))}),
                       "actions[1].delete_from_set.path"));
  EXPECT_TRUE(Rejected(update({SetAction("`m`.x", I(1)), SetAction("m", I(2))}), "actions[1].set.path"));
  // Key attributes cannot be updated.
  EXPECT_TRUE(Rejected(update({SetAction("pk", S("other"))}), "actions[0].set.path"));
  EXPECT_TRUE(Rejected(update({RemoveAction("pk")}), "actions[0].remove"));
  EXPECT_TRUE(Rejected(update({SetAction("v", I(5)), IncrementAction("`pk`", I(1))}), "actions[1].increment.path"));
  EXPECT_TRUE(Rejected(Call(gateway(), UpdateOf(composite_, Item({{"pk", S("p")}, {"sk", S("s")}}),
                                                {AppendAction("sk", {I(1)})})),
                       "actions[0].append_to_list.path"));
  // ADD and DELETE only on top-level attributes, with the right kinds of values.
  EXPECT_TRUE(Rejected(update({AddAction("m.x", I(1))}), "actions[0].add.path"));
  EXPECT_TRUE(Rejected(update({AddAction("l[0]", I(1))}), "actions[0].add.path"));
  EXPECT_TRUE(Rejected(update({DeleteFromSetAction("m.s", SS({"a"}))}), "actions[0].delete_from_set.path"));
  EXPECT_TRUE(Rejected(update({AddAction("v", S("text"))}), "actions[0].add.value"));
  EXPECT_TRUE(Rejected(update({DeleteFromSetAction("ss", S("a"))}), "actions[0].delete_from_set.value"));
  // Missing operands, bad paths.
  v1::UpdateAction no_delta;
  no_delta.mutable_increment()->set_path("v");
  EXPECT_TRUE(Rejected(update({no_delta}), "actions[0].increment.delta"));
  EXPECT_TRUE(Rejected(update({AppendAction("l", {})}), "actions[0].append_to_list.values"));
  EXPECT_TRUE(Rejected(update({PrependAction("l", {})}), "actions[0].prepend_to_list.values"));
  EXPECT_TRUE(Rejected(update({SetAction("a..b", I(1))}), "actions[0].set.path"));
  EXPECT_TRUE(Rejected(update({RemoveAction("")}), "actions[0].remove"));
  EXPECT_TRUE(Rejected(update({SetAction("l[x]", I(1))}), "actions[0].set.path"));
}

// Every problem of a request is reported at once.
TEST_F(ValidationTest, SeveralViolationsAreAllReported) {
  v1::PutRequest put = PutOf(table_, Item({{"pk", S("")},
                                           {"x", NoKind()},
                                           {"y", F(std::numeric_limits<double>::quiet_NaN())},
                                           {"z", SS({"a", "a"})},
                                           {"w", N("1e200")}}));
  put.mutable_condition();
  put.set_return_values(v1::RETURN_VALUES_UPDATED_NEW);
  const grpc::Status status = Call(gateway(), put);
  ASSERT_TRUE(Rejected(status, "item[\"pk\"]"));
  const RpcError error = DecodeError(status);
  for (const char* field : {"item[\"x\"]", "item[\"y\"].number_value.float64", "item[\"z\"].string_set.values[1]",
                            "item[\"w\"].number_value.decimal", "condition", "return_values"}) {
    EXPECT_TRUE(error.HasViolationOn(field)) << field << "\n" << error.Violations();
  }
  EXPECT_GE(error.bad_request->field_violations_size(), 7) << error.Violations();

  // Update: bad key, overlapping actions and a condition without kind, together.
  v1::UpdateRequest update = UpdateOf(table_, Item({{"pk", I(1)}, {"extra", S("x")}}),
                                      {SetAction("a", I(1)), SetAction("a.b", I(2)), AddAction("n.x", I(1))});
  update.mutable_condition();
  const RpcError update_error = DecodeError(Call(gateway(), update));
  for (const char* field : {"key[\"pk\"]", "key[\"extra\"]", "actions[1].set.path", "actions[2].add.path", "condition"}) {
    EXPECT_TRUE(update_error.HasViolationOn(field)) << field << "\n" << update_error.Violations();
  }
}

}  // namespace
}  // namespace altgw::testing
