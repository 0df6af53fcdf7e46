// Values from native types and back: every kind, exact decimals, and the errors of typed accessors.
#include "altgw_client/value.h"

#include <limits>

#include "gtest/gtest.h"

namespace altgw::client {
namespace {

TEST(ClientValueTest, BuildersSetTheRightKind) {
  EXPECT_TRUE(Null().has_null_value());
  EXPECT_TRUE(Bool(true).bool_value());
  EXPECT_EQ(Int(-7).number_value().integer(), -7);
  EXPECT_EQ(Double(0.5).number_value().float64(), 0.5);
  EXPECT_EQ(Decimal("12.50").number_value().decimal(), "12.50");
  EXPECT_EQ(Str("x").string_value(), "x");
  EXPECT_EQ(Bytes(std::string("\0\1", 2)).bytes_value(), std::string("\0\1", 2));
  EXPECT_EQ(List({Int(1), Str("a")}).list_value().values_size(), 2);
  EXPECT_EQ(Map({{"a", Int(1)}}).map_value().fields().at("a").number_value().integer(), 1);
  EXPECT_EQ(StringSet({"a", "b"}).string_set().values_size(), 2);
  EXPECT_EQ(NumberSet({"1.5", "2"}).number_set().values(0).decimal(), "1.5");
  EXPECT_EQ(IntSet({3, 4}).number_set().values(1).integer(), 4);
  EXPECT_EQ(BytesSet({"x"}).bytes_set().values(0), "x");
}

TEST(ClientValueTest, ToValueMapsNativeTypes) {
  EXPECT_EQ(ToValue(42).number_value().integer(), 42);
  EXPECT_EQ(ToValue(int64_t{-1}).number_value().integer(), -1);
  EXPECT_EQ(ToValue(2.25).number_value().float64(), 2.25);
  EXPECT_EQ(ToValue("text").string_value(), "text");  // a C string is a string, not a bool
  EXPECT_EQ(ToValue(std::string("s")).string_value(), "s");
  EXPECT_TRUE(ToValue(true).has_bool_value());
  EXPECT_TRUE(ToValue(nullptr).has_null_value());
  // uint64 beyond int64 stays exact as a decimal.
  EXPECT_EQ(ToValue(std::numeric_limits<uint64_t>::max()).number_value().decimal(), "18446744073709551615");
  const Value list = ToValue(std::vector<std::string>{"a", "b"});
  ASSERT_TRUE(list.has_list_value());
  EXPECT_EQ(list.list_value().values(1).string_value(), "b");
  const Value map = ToValue(std::map<std::string, std::vector<int>>{{"k", {1, 2}}});
  ASSERT_TRUE(map.has_map_value());
  EXPECT_EQ(map.map_value().fields().at("k").list_value().values(1).number_value().integer(), 2);
}

TEST(ClientValueTest, AccessorsReturnNativeValues) {
  EXPECT_EQ(AsInt64(Int(5)).value(), 5);
  EXPECT_EQ(AsString(Str("x")).value(), "x");
  EXPECT_EQ(AsBytes(Bytes("raw")).value(), "raw");
  EXPECT_TRUE(AsBool(Bool(true)).value());
  EXPECT_TRUE(IsNull(Null()));
  EXPECT_FALSE(IsNull(Str("")));
  EXPECT_EQ(AsList(List({Int(1)})).value().size(), 1u);
  EXPECT_EQ(AsMap(Map({{"a", Int(1)}})).value().count("a"), 1u);
  EXPECT_EQ(AsStringSet(StringSet({"a"})).value(), std::vector<std::string>{"a"});
  EXPECT_EQ(AsNumberSet(IntSet({7})).value(), std::vector<std::string>{"7"});
  EXPECT_EQ(AsBytesSet(BytesSet({"z"})).value(), std::vector<std::string>{"z"});
  EXPECT_DOUBLE_EQ(AsDouble(Decimal("2.5")).value(), 2.5);
  EXPECT_DOUBLE_EQ(AsDouble(Int(3)).value(), 3.0);
}

TEST(ClientValueTest, AsInt64AcceptsEveryIntegralFormThatFits) {
  EXPECT_EQ(AsInt64(Decimal("1e3")).value(), 1000);
  EXPECT_EQ(AsInt64(Decimal("1000.000")).value(), 1000);
  EXPECT_EQ(AsInt64(Decimal("-12.5e1")).value(), -125);
  EXPECT_EQ(AsInt64(Decimal("0.0")).value(), 0);
  EXPECT_EQ(AsInt64(Decimal("9223372036854775807")).value(), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(AsInt64(Decimal("-9223372036854775808")).value(), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(AsInt64(Double(4.0)).value(), 4);
}

TEST(ClientValueTest, AsInt64RejectsFractionsAndOverflow) {
  for (const char* text : {"1.5", "9223372036854775808", "1e20", "0.001"}) {
    const Result<int64_t> r = AsInt64(Decimal(text));
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.error().reason(), kReasonNumberOutOfRange) << text;
    EXPECT_NE(r.error().message().find(text), std::string::npos) << r.error().message();
  }
  EXPECT_FALSE(AsInt64(Double(0.5)).ok());
  EXPECT_FALSE(AsInt64(Double(1e300)).ok());
  EXPECT_EQ(AsInt64(Decimal("abc")).error().reason(), kReasonWrongValueKind);
}

TEST(ClientValueTest, AsDecimalIsExact) {
  EXPECT_EQ(AsDecimal(Decimal("12345678901234567890.123456789")).value(), "12345678901234567890.123456789");
  EXPECT_EQ(AsDecimal(Int(-3)).value(), "-3");
  EXPECT_EQ(AsDecimal(Double(0.1)).value(), "0.1");  // shortest round-trip form
}

TEST(ClientValueTest, WrongKindIsAClearErrorNamingBothKinds) {
  const Result<std::string> r = AsString(Int(1));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(r.error().domain(), kClientErrorDomain);
  EXPECT_EQ(r.error().reason(), kReasonWrongValueKind);
  EXPECT_EQ(r.error().message(), "expected a value of kind S, got N");
  EXPECT_EQ(AsInt64(Str("1")).error().message(), "expected a value of kind N, got S");
  EXPECT_EQ(AsList(StringSet({"a"})).error().message(), "expected a value of kind L, got SS");
  EXPECT_EQ(AsBool(Value()).error().message(), "expected a value of kind BOOL, got unset");
  // value() throws the error for code that prefers exceptions.
  try {
    (void)AsBytes(Str("x")).value();
    FAIL() << "no exception";
  } catch (const ErrorException& e) {
    EXPECT_EQ(e.error().reason(), kReasonWrongValueKind);
    EXPECT_NE(std::string(e.what()).find("expected a value of kind B, got S"), std::string::npos);
  }
}

TEST(ClientValueTest, AttributeFindsOrReportsTheMissingName) {
  const Attributes item = MakeItem({{"id", Str("a")}, {"n", Int(2)}});
  EXPECT_EQ(AsInt64(Attribute(item, "n").value()).value(), 2);
  const Result<Value> missing = Attribute(item, "nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().reason(), kReasonMissingAttribute);
  EXPECT_NE(missing.error().message().find("\"nope\""), std::string::npos);
}

}  // namespace
}  // namespace altgw::client
