// Every value type round-trips through Put, then Get and Query, and numbers come back canonical.
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "integration_util.h"

namespace altgw::testing {
namespace {

using namespace std::string_literals;

class ValuesTest : public GatewaySuite {};

std::string AllBytes() {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  return bytes;
}

// "0." followed by `zeros` zeros and `digits`.
std::string SmallDecimal(int zeros, const std::string& digits) { return "0." + std::string(zeros, '0') + digits; }

struct RoundTrip {
  std::string name;
  v1::Value in;
  v1::Value out;  // as the gateway returns it
};

std::vector<RoundTrip> RoundTrips() {
  const std::string max_magnitude = std::string(38, '9') + std::string(88, '0');  // 9.99..9e125
  std::vector<RoundTrip> cases = {
      {"null", Null(), Null()},
      {"true", Bool(true), Bool(true)},
      {"false", Bool(false), Bool(false)},
      {"empty string", S(""), S("")},
      {"ascii", S("plain text"), S("plain text")},
      {"cjk", S("日本語のテキスト、中文，한국어"), S("日本語のテキスト、中文，한국어")},
      {"emoji", S("😀🎉 👩‍👩‍👧‍👦 🇫🇷"), S("😀🎉 👩‍👩‍👧‍👦 🇫🇷")},
      {"combining", S("e\xcc\x81 a\xcc\x8a\xcc\x81 Z\xcd\x91\xcd\x97"), S("e\xcc\x81 a\xcc\x8a\xcc\x81 Z\xcd\x91\xcd\x97")},
      {"rtl and bom", S("\xef\xbb\xbfשלום مرحبا"), S("\xef\xbb\xbfשלום مرحبا")},
      {"control characters", S("nul\0tab\tnl\n\"q\" \\ \x7f"s), S("nul\0tab\tnl\n\"q\" \\ \x7f"s)},
      {"long string", S(std::string(5000, 'x')), S(std::string(5000, 'x'))},
      {"all 256 bytes", B(AllBytes()), B(AllBytes())},
      {"empty bytes", B(""), B("")},
      {"one zero byte", B(std::string(1, '\0')), B(std::string(1, '\0'))},
      // Numbers: integers that fit int64 come back as `integer`, everything else as canonical `decimal`.
      {"zero", I(0), I(0)},
      {"int64 min", I(std::numeric_limits<int64_t>::min()), I(std::numeric_limits<int64_t>::min())},
      {"int64 max", I(std::numeric_limits<int64_t>::max()), I(std::numeric_limits<int64_t>::max())},
      {"int64 max as decimal", N("9223372036854775807"), I(std::numeric_limits<int64_t>::max())},
      {"int64 min as decimal", N("-9223372036854775808"), I(std::numeric_limits<int64_t>::min())},
      {"above int64", N("9223372036854775808"), N("9223372036854775808")},
      {"below int64", N("-9223372036854775809"), N("-9223372036854775809")},
      {"negative integer", I(-42), I(-42)},
      {"exponent", N("1e3"), I(1000)},
      {"exponent with sign", N("1.5E+2"), I(150)},
      {"trailing zeros", N("1000.000"), I(1000)},
      {"negative zero", N("-0.0"), I(0)},
      {"plus sign", N("+7"), I(7)},
      {"leading dot", N(".5"), N("0.5")},
      {"negative decimal", N("-3.14159"), N("-3.14159")},
      {"decimal trailing zeros", N("123.4500"), N("123.45")},
      {"38-digit integer", N("12345678901234567890123456789012345678"), N("12345678901234567890123456789012345678")},
      {"38-digit decimal", N("1.2345678901234567890123456789012345678"), N("1.2345678901234567890123456789012345678")},
      {"38-digit small", N("-0.00012345678901234567890123456789012345678"),
       N("-0.00012345678901234567890123456789012345678")},
      {"smallest magnitude", N("1e-130"), N(SmallDecimal(129, "1"))},
      {"smallest negative magnitude", N("-1E-130"), N("-" + SmallDecimal(129, "1"))},
      {"largest magnitude", N("9.9999999999999999999999999999999999999e125"), N(max_magnitude)},
      {"largest negative magnitude", N("-9.9999999999999999999999999999999999999e125"), N("-" + max_magnitude)},
      {"float64 0.1", F(0.1), N("0.1")},
      {"float64 negative", F(-2.5), N("-2.5")},
      {"float64 integral", F(3.0), I(3)},
      {"float64 negative zero", F(-0.0), I(0)},
      {"float64 large", F(1e20), N("100000000000000000000")},
      {"float64 tiny", F(1e-130), N(SmallDecimal(129, "1"))},
      {"float64 fraction", F(123456789.125), N("123456789.125")},
      // Collections.
      {"empty list", EmptyList(), EmptyList()},
      {"empty map", EmptyMap(), EmptyMap()},
      {"mixed list", L({S("a"), I(1), N("2.5"), Null(), Bool(false), B("\x01"), EmptyList(), EmptyMap(), S("")}),
       L({S("a"), I(1), N("2.5"), Null(), Bool(false), B("\x01"), EmptyList(), EmptyMap(), S("")})},
      {"map", M({{"s", S("x")}, {"n", N("1e2")}, {"l", L({I(1), L({I(2)})})}, {"日本", Bool(true)}}),
       M({{"s", S("x")}, {"n", I(100)}, {"l", L({I(1), L({I(2)})})}, {"日本", Bool(true)}})},
      {"31 levels", Nested(31, N("0.50")), Nested(31, N("0.5"))},
      {"string set", SS({"b", "a", "日本", "😀"}), SS({"a", "b", "日本", "😀"})},
      {"number set", NS({"1", "2.5", "-3", "1e2", "0.000001", "12345678901234567890"}),
       NumberSet({I(1), N("2.5"), I(-3), I(100), N("0.000001"), N("12345678901234567890")})},
      {"bytes set", BS({std::string(1, '\0'), "\xff\xfe", "abc"}), BS({std::string(1, '\0'), "\xff\xfe", "abc"})},
      {"one-element sets", M({{"ss", SS({"x"})}, {"ns", NS({"-0.5"})}, {"bs", BS({"\x80"})}}),
       M({{"ss", SS({"x"})}, {"ns", NS({"-0.5"})}, {"bs", BS({"\x80"})}})},
  };
  return cases;
}

// Put each value (as attribute "v" of its own item), then Get it back, then Query them all in order.
TEST_F(ValuesTest, EveryTypeRoundTripsThroughPutGetAndQuery) {
  const std::string table = UniqueTableName("values");
  CreateTable(gateway(), table, "pk", v1::SCALAR_TYPE_STRING, "sk", v1::SCALAR_TYPE_NUMBER);
  const std::vector<RoundTrip> cases = RoundTrips();

  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(cases[i].name);
    ASSERT_TRUE(Ok(Call(gateway(), PutOf(table, Item({{"pk", S("types")},
                                                     {"sk", I(static_cast<int64_t>(i))},
                                                     {"v", cases[i].in}})))));
  }
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(cases[i].name);
    for (bool consistent : {false, true}) {
      v1::GetRequest get = GetOf(table, Item({{"pk", S("types")}, {"sk", I(static_cast<int64_t>(i))}}));
      get.set_consistent_read(consistent);
      v1::GetResponse got;
      ASSERT_TRUE(Ok(Call(gateway(), get, &got)));
      ASSERT_TRUE(got.found());
      EXPECT_TRUE(SameItem(Item({{"pk", S("types")}, {"sk", I(static_cast<int64_t>(i))}, {"v", cases[i].out}}),
                           got.item()));
    }
  }
  std::vector<Attributes> items = QueryAll(gateway(), QueryOf(table, S("types")));
  ASSERT_EQ(items.size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(cases[i].name);
    EXPECT_TRUE(SameItem(Item({{"pk", S("types")}, {"sk", I(static_cast<int64_t>(i))}, {"v", cases[i].out}}),
                         items[i]));
  }
}

// What the database holds: canonical number text, bytes as base64 of the raw bytes, strings verbatim.
TEST_F(ValuesTest, DatabaseHoldsCanonicalNumbersAndRawBytes) {
  const std::string table = UniqueTableName("values_raw");
  CreateTable(gateway(), table, "pk", v1::SCALAR_TYPE_STRING);
  ASSERT_TRUE(Ok(Call(gateway(), PutOf(table, Item({{"pk", S("raw")},
                                                   {"n", N("1.50e3")},
                                                   {"f", F(0.1)},
                                                   {"i", I(-7)},
                                                   {"b", B(AllBytes())},
                                                   {"s", S("日本 😀")},
                                                   {"ns", NS({"1.0", "2e1"})},
                                                   {"l", L({N("-0.0"), N("010")})}})))));
  const json item = DirectItem(table, SKey("pk", "raw"));
  ASSERT_TRUE(item.is_object());
  EXPECT_EQ(item["n"]["N"], "1500");
  EXPECT_EQ(item["f"]["N"], "0.1");
  EXPECT_EQ(item["i"]["N"], "-7");
  EXPECT_EQ(item["b"]["B"], absl::Base64Escape(AllBytes()));
  EXPECT_EQ(item["s"]["S"], "日本 😀");
  std::vector<std::string> ns = item["ns"]["NS"].get<std::vector<std::string>>();
  std::sort(ns.begin(), ns.end());
  EXPECT_EQ(ns, (std::vector<std::string>{"1", "20"}));
  EXPECT_EQ(item["l"]["L"][0]["N"], "0");
  EXPECT_EQ(item["l"]["L"][1]["N"], "10");
}

// "1e3", 1000, "1000.000" and 1000.0 are one and the same key; the database holds "1000".
TEST_F(ValuesTest, NumericKeysAreCanonical) {
  const std::string table = UniqueTableName("values_numkey");
  CreateTable(gateway(), table, "pk", v1::SCALAR_TYPE_NUMBER);
  ASSERT_TRUE(Ok(Call(gateway(), PutOf(table, Item({{"pk", N("1e3")}, {"v", S("first")}})))));

  for (const v1::Value& key : {I(1000), N("1000.000"), N("1e3"), F(1000.0), N("+01000")}) {
    SCOPED_TRACE(key.ShortDebugString());
    v1::GetResponse got;
    ASSERT_TRUE(Ok(Call(gateway(), GetOf(table, Item({{"pk", key}})), &got)));
    EXPECT_TRUE(got.found());
    EXPECT_TRUE(SameItem(Item({{"pk", I(1000)}, {"v", S("first")}}), got.item()));
  }
  std::vector<json> items = DirectScan(table);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0]["pk"]["N"], "1000");

  // A Put with another spelling of the same number replaces the item instead of adding one.
  ASSERT_TRUE(Ok(Call(gateway(), PutOf(table, Item({{"pk", F(1000.0)}, {"v", S("second")}})))));
  items = DirectScan(table);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0]["v"]["S"], "second");

  // Decimal keys too.
  ASSERT_TRUE(Ok(Call(gateway(), PutOf(table, Item({{"pk", N("2.50")}, {"v", S("decimal")}})))));
  v1::GetResponse got;
  ASSERT_TRUE(Ok(Call(gateway(), GetOf(table, Item({{"pk", F(2.5)}})), &got)));
  EXPECT_TRUE(got.found());
  EXPECT_TRUE(SameItem(Item({{"pk", N("2.5")}, {"v", S("decimal")}}), got.item()));
  EXPECT_TRUE(DirectItem(table, {{"pk", {{"N", "2.5"}}}}).is_object());

  // An Update and a Delete with yet another spelling address the same item.
  ASSERT_TRUE(Ok(Call(gateway(), UpdateOf(table, Item({{"pk", N("25e-1")}}), {SetAction("u", Bool(true))}))));
  EXPECT_EQ(DirectItem(table, {{"pk", {{"N", "2.5"}}}})["u"]["BOOL"], true);
  ASSERT_TRUE(Ok(Call(gateway(), DeleteOf(table, Item({{"pk", N("1000.0")}})))));
  EXPECT_TRUE(DirectItem(table, {{"pk", {{"N", "1000"}}}}).is_null());
  EXPECT_EQ(DirectScan(table).size(), 1u);
}

// Binary and composite keys with every byte value, and a numeric sort key in canonical form.
TEST_F(ValuesTest, BinaryAndCompositeKeysRoundTrip) {
  const std::string table = UniqueTableName("values_binkey");
  CreateTable(gateway(), table, "pk", v1::SCALAR_TYPE_BINARY, "sk", v1::SCALAR_TYPE_NUMBER);
  ASSERT_TRUE(Ok(Call(gateway(), PutOf(table, Item({{"pk", B(AllBytes())}, {"sk", N("-1.0")}, {"x", I(1)}})))));
  v1::GetResponse got;
  ASSERT_TRUE(Ok(Call(gateway(), GetOf(table, Item({{"pk", B(AllBytes())}, {"sk", I(-1)}})), &got)));
  ASSERT_TRUE(got.found());
  EXPECT_TRUE(SameItem(Item({{"pk", B(AllBytes())}, {"sk", I(-1)}, {"x", I(1)}}), got.item()));
  const json direct = DirectItem(table, {{"pk", {{"B", absl::Base64Escape(AllBytes())}}}, {"sk", {{"N", "-1"}}}});
  ASSERT_TRUE(direct.is_object());
  EXPECT_EQ(direct["x"]["N"], "1");

  std::vector<Attributes> items = QueryAll(gateway(), QueryOf(table, B(AllBytes())));
  ASSERT_EQ(items.size(), 1u);
  EXPECT_TRUE(SameItem(got.item(), items[0]));
}

}  // namespace
}  // namespace altgw::testing
