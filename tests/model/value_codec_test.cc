// ValueEncoder / DecodeValue: every Value kind to DynamoDB JSON and back, validation with exact field paths,
// and DynamoDB's item-size accounting (NumberStorageSize and the per-kind costs measured on DynamoDB Local).
#include "model/value_codec.h"

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "model/item_requests.h"
#include "model/limits.h"
#include "model/value_builders.h"

namespace altgw::model {
namespace {

using namespace ::altgw::model::testing;  // NOLINT: builders
using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// An independent base64 encoder (RFC 4648, padded), so the test does not check absl against itself.
std::string ReferenceBase64(const std::string& bytes) {
  static const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t n = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    for (int shift : {18, 12, 6, 0}) out.push_back(kAlphabet[(n >> shift) & 63]);
  }
  if (bytes.size() - i == 1) {
    const uint32_t n = uint8_t(bytes[i]) << 16;
    out += {kAlphabet[(n >> 18) & 63], kAlphabet[(n >> 12) & 63], '=', '='};
  } else if (bytes.size() - i == 2) {
    const uint32_t n = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8);
    out += {kAlphabet[(n >> 18) & 63], kAlphabet[(n >> 12) & 63], kAlphabet[(n >> 6) & 63], '='};
  }
  return out;
}

// Encodes one value as the attribute "a" of an item; returns its JSON, size and violations.
struct Encoded {
  json value;
  size_t size = 0;
  std::vector<FieldViolation> violations;
  bool ok() const { return violations.empty(); }
};

Encoded EncodeOne(const v1::Value& value, int level = 1) {
  Violations violations;
  ValueEncoder encoder(violations);
  Encoded out;
  const FieldRef item("item");
  const FieldRef field = item.Key("a");
  out.value = encoder.Encode(value, field, &out.size, level);
  out.violations = violations.list();
  return out;
}

std::vector<std::string> FieldsOf(const Encoded& e) {
  std::vector<std::string> fields;
  for (const FieldViolation& v : e.violations) fields.push_back(v.field);
  return fields;
}

v1::Value Decode(const json& j) {
  v1::Value out;
  const absl::Status s = DecodeValue(j, &out);
  EXPECT_TRUE(s.ok()) << j.dump() << ": " << s;
  return out;
}

bool Same(const google::protobuf::Message& a, const google::protobuf::Message& b) {
  return google::protobuf::util::MessageDifferencer::Equals(a, b);
}

size_t SizeOf(const std::string& canonical) { return NumberStorageSize(*Decimal::Parse(canonical)); }

// ---------------------------------------------------------------------------------------------------------
// Scalars

TEST(ValueEncoderTest, NullAndBool) {
  Encoded null = EncodeOne(Null());
  ASSERT_TRUE(null.ok());
  EXPECT_EQ(null.value, json::parse(R"({"NULL": true})"));
  EXPECT_EQ(null.size, 1u);

  for (bool b : {true, false}) {
    Encoded e = EncodeOne(Bool(b));
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(e.value, json({{"BOOL", b}}));
    EXPECT_EQ(e.size, 1u);
  }
}

TEST(ValueEncoderTest, StringsCountTheirUtf8Bytes) {
  const std::string unicode = "na\xC3\xAFve \xE2\x82\xAC \xF0\x9F\x98\x80";  // 2-, 3- and 4-byte sequences
  const std::string huge(1 << 20, 'z');
  for (const std::string& s : {std::string(), std::string("hello"), unicode, huge, std::string("\0nul", 4)}) {
    Encoded e = EncodeOne(S(s));
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(e.value, json({{"S", s}}));
    EXPECT_EQ(e.size, s.size());
    EXPECT_TRUE(Same(Decode(e.value), S(s)));
  }
  EXPECT_EQ(EncodeOne(S(unicode)).size, 15u);
}

TEST(ValueEncoderTest, BinaryWithEveryByteValueRoundTripsThroughBase64) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (const std::string& bytes : {std::string(), std::string("\xff", 1), std::string("\x00\x01", 2), all,
                                   all + all.substr(0, 1), all + all.substr(0, 2)}) {
    Encoded e = EncodeOne(B(bytes));
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(e.value, json({{"B", ReferenceBase64(bytes)}}));
    EXPECT_EQ(e.size, bytes.size());  // raw bytes count, not the base64 text
    EXPECT_TRUE(Same(Decode(e.value), B(bytes)));
  }
  // Decoding base64 produced elsewhere (DynamoDB's own) gives the raw bytes back.
  EXPECT_EQ(Decode(json({{"B", ReferenceBase64(all)}})).bytes_value(), all);
  EXPECT_EQ(Decode(json({{"B", "AAEC"}})).bytes_value(), std::string("\x00\x01\x02", 3));
}

// "1e3", "1000.0", the integer 1000 and the double 1000.0 are one number: {"N":"1000"}.
TEST(ValueEncoderTest, NumbersAreCanonicalisedWhateverTheirForm) {
  const json thousand = json::parse(R"({"N": "1000"})");
  for (const v1::Value& v : {N("1e3"), N("1000.0"), N("1000"), N("+1000"), N("1E+3"), N("0001000.000"),
                             Int(1000), F64(1000.0), F64(1e3)}) {
    Encoded e = EncodeOne(v);
    ASSERT_TRUE(e.ok()) << v.DebugString();
    EXPECT_EQ(e.value, thousand) << v.DebugString();
    EXPECT_EQ(e.size, 2u);
  }
  struct Case {
    v1::Value value;
    std::string canonical;
  };
  const Case cases[] = {
      {N("-0"), "0"},           {N("0e10"), "0"},
      {N(".5"), "0.5"},         {N("5."), "5"},
      {N("-1.250"), "-1.25"},   {N("1.25E-7"), "0.000000125"},
      {F64(0.1), "0.1"},        {F64(-2.5), "-2.5"},
      {F64(1e20), "100000000000000000000"},
      {Int(std::numeric_limits<int64_t>::min()), "-9223372036854775808"},
      {Int(std::numeric_limits<int64_t>::max()), "9223372036854775807"},
      {Int(0), "0"},
  };
  for (const Case& c : cases) {
    Encoded e = EncodeOne(c.value);
    ASSERT_TRUE(e.ok()) << c.value.DebugString();
    EXPECT_EQ(e.value, json({{"N", c.canonical}})) << c.value.DebugString();
  }
}

TEST(ValueEncoderTest, InvalidNumbersNameTheNumberField) {
  for (const char* bad : {"", "abc", "1e", "0x10", "NaN", "Infinity", " 1", "1 ", "1,5", "--1", "1e126",
                          "1e-131", "123456789012345678901234567890123456789"}) {
    Encoded e = EncodeOne(N(bad));
    ASSERT_EQ(e.violations.size(), 1u) << bad;
    EXPECT_EQ(e.violations[0].field, "item[\"a\"].number_value.decimal") << bad;
    EXPECT_THAT(e.violations[0].field, EndsWith(".number_value.decimal"));
  }
  for (double bad : {std::nan(""), std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
                     1e300, 5e-324}) {
    Encoded e = EncodeOne(F64(bad));
    ASSERT_EQ(e.violations.size(), 1u) << bad;
    EXPECT_EQ(e.violations[0].field, "item[\"a\"].number_value.float64") << bad;
  }
  v1::Value no_kind;
  no_kind.mutable_number_value();
  Encoded e = EncodeOne(no_kind);
  ASSERT_EQ(e.violations.size(), 1u);
  EXPECT_EQ(e.violations[0].field, "item[\"a\"].number_value");
}

TEST(ValueEncoderTest, AValueWithNoKindIsRejected) {
  Encoded e = EncodeOne(v1::Value());
  ASSERT_EQ(e.violations.size(), 1u);
  EXPECT_EQ(e.violations[0].field, "item[\"a\"]");
  EXPECT_THAT(e.violations[0].description, HasSubstr("no kind"));

  // Inside containers the path says where.
  Encoded nested = EncodeOne(M({{"x", L({S("ok"), v1::Value()})}}));
  EXPECT_THAT(FieldsOf(nested), ElementsAre("item[\"a\"].map_value.fields[\"x\"].list_value.values[1]"));
}

// ---------------------------------------------------------------------------------------------------------
// Decoding numbers

TEST(DecodeNumberTest, IntegersThatFitComeBackAsIntegerOthersAsCanonicalDecimal) {
  struct Case {
    std::string text;
    bool integer;
    int64_t i;
    std::string decimal;
  };
  const Case cases[] = {
      {"1000", true, 1000, ""},
      {"0", true, 0, ""},
      {"-42", true, -42, ""},
      {"9223372036854775807", true, std::numeric_limits<int64_t>::max(), ""},
      {"-9223372036854775808", true, std::numeric_limits<int64_t>::min(), ""},
      {"9223372036854775808", false, 0, "9223372036854775808"},
      {"-9223372036854775809", false, 0, "-9223372036854775809"},
      {"0.5", false, 0, "0.5"},
      {"-0.5", false, 0, "-0.5"},
      {"1e3", true, 1000, ""},  // DynamoDB Local returns list elements as sent: canonicalise them
      {"1.50", false, 0, "1.5"},
      {"1.0", true, 1, ""},
      {"100000000000000000000", false, 0, "100000000000000000000"},
  };
  for (const Case& c : cases) {
    v1::Number n;
    ASSERT_TRUE(DecodeNumber(c.text, &n).ok()) << c.text;
    if (c.integer) {
      ASSERT_EQ(n.kind_case(), v1::Number::kInteger) << c.text;
      EXPECT_EQ(n.integer(), c.i) << c.text;
    } else {
      ASSERT_EQ(n.kind_case(), v1::Number::kDecimal) << c.text;
      EXPECT_EQ(n.decimal(), c.decimal) << c.text;
    }
  }
  v1::Number n;
  EXPECT_FALSE(DecodeNumber("abc", &n).ok());
  EXPECT_FALSE(DecodeNumber("", &n).ok());
  EXPECT_EQ(DecodeNumber("abc", &n).code(), absl::StatusCode::kInternal);
}

// ---------------------------------------------------------------------------------------------------------
// Containers

TEST(ValueEncoderTest, ListsAndMapsEncodeRecursively) {
  Encoded list = EncodeOne(L({S("x"), Int(5), Null(), L({}), M({})}));
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list.value, json::parse(R"({"L": [{"S": "x"}, {"N": "5"}, {"NULL": true}, {"L": []}, {"M": {}}]})"));

  Encoded map = EncodeOne(M({{"b", Bool(true)}, {"a.b[0]", S("dotted")}, {"#n0", N("1.50")}}));
  ASSERT_TRUE(map.ok());
  EXPECT_EQ(map.value,
            json::parse(R"({"M": {"b": {"BOOL": true}, "a.b[0]": {"S": "dotted"}, "#n0": {"N": "1.5"}}})"));
}

// DynamoDB's costs (measured on DynamoDB Local): a list costs 3 + per element (1 + element size); a map 3 +
// per entry (1 + name length + value size).
TEST(ValueEncoderTest, ContainerSizesFollowDynamoDb) {
  EXPECT_EQ(EncodeOne(L({})).size, 3u);
  EXPECT_EQ(EncodeOne(M({})).size, 3u);
  EXPECT_EQ(EncodeOne(L({S("abc")})).size, 3u + 1 + 3);
  EXPECT_EQ(EncodeOne(L({S("abc"), Int(5), Null(), Bool(false)})).size, 3u + (1 + 3) + (1 + 2) + (1 + 1) + (1 + 1));
  EXPECT_EQ(EncodeOne(M({{"name", S("abc")}})).size, 3u + 1 + 4 + 3);
  EXPECT_EQ(EncodeOne(M({{"x", L({})}, {"yy", M({{"z", B("12")}})}})).size,
            3u + (1 + 1 + 3) + (1 + 2 + (3 + 1 + 1 + 2)));
  EXPECT_EQ(EncodeOne(L({L({L({})})})).size, 3u + 1 + 3 + 1 + 3);
}

// DynamoDB Local measured: 31 nested maps inside an item are accepted, 32 rejected (the item counts as a
// level). `level` is the nesting level of the value; a top-level attribute is at level 1.
TEST(ValueEncoderTest, NestingIsLimitedLikeDynamoDb) {
  EXPECT_TRUE(EncodeOne(NestedMaps(31)).ok());
  EXPECT_TRUE(EncodeOne(NestedLists(31)).ok());
  const Encoded maps = EncodeOne(NestedMaps(32));
  ASSERT_EQ(maps.violations.size(), 1u);
  EXPECT_THAT(maps.violations[0].field, StartsWith("item[\"a\"].map_value.fields[\"m\"]"));
  EXPECT_THAT(maps.violations[0].description, HasSubstr("32"));
  EXPECT_EQ(EncodeOne(NestedLists(32)).violations.size(), 1u);
  EXPECT_EQ(EncodeOne(NestedMaps(40)).violations.size(), 1u);  // reported once, at the first level too deep

  // Mixed lists and maps count alike.
  v1::Value mixed = S("x");
  for (int i = 0; i < 31; ++i) mixed = i % 2 ? L({mixed}) : M({{"k", mixed}});
  EXPECT_TRUE(EncodeOne(mixed).ok());
  EXPECT_FALSE(EncodeOne(L({mixed})).ok());

  // A value that sits deeper (e.g. the value of an update of a.b) has less room.
  EXPECT_TRUE(EncodeOne(NestedMaps(30), 2).ok());
  EXPECT_FALSE(EncodeOne(NestedMaps(31), 2).ok());
  // Scalars never count as a level.
  EXPECT_TRUE(EncodeOne(S("x"), 40).ok());
}

// ---------------------------------------------------------------------------------------------------------
// Sets

TEST(ValueEncoderTest, SetsEncodeAndCountTheirElements) {
  Encoded ss = EncodeOne(SS({"b", "a", ""}));
  ASSERT_TRUE(ss.ok());
  EXPECT_EQ(ss.value, json::parse(R"({"SS": ["b", "a", ""]})"));
  EXPECT_EQ(ss.size, 2u);  // sum of element lengths

  Encoded ns = EncodeOne(NS({"1e3", "-0.5", "12345"}));
  ASSERT_TRUE(ns.ok());
  EXPECT_EQ(ns.value, json::parse(R"({"NS": ["1000", "-0.5", "12345"]})"));
  EXPECT_EQ(ns.size, SizeOf("1000") + SizeOf("-0.5") + SizeOf("12345"));
  EXPECT_EQ(ns.size, 2u + 3 + 4);

  Encoded bs = EncodeOne(BS({std::string("\x00\xff", 2), "abc"}));
  ASSERT_TRUE(bs.ok());
  EXPECT_EQ(bs.value, json({{"BS", {ReferenceBase64(std::string("\x00\xff", 2)), ReferenceBase64("abc")}}}));
  EXPECT_EQ(bs.size, 5u);
}

TEST(ValueEncoderTest, EmptySetsAreRejected) {
  EXPECT_THAT(FieldsOf(EncodeOne(SS({}))), ElementsAre("item[\"a\"].string_set.values"));
  EXPECT_THAT(FieldsOf(EncodeOne(NS({}))), ElementsAre("item[\"a\"].number_set.values"));
  EXPECT_THAT(FieldsOf(EncodeOne(BS({}))), ElementsAre("item[\"a\"].bytes_set.values"));
}

TEST(ValueEncoderTest, DuplicateSetElementsAreRejected) {
  EXPECT_THAT(FieldsOf(EncodeOne(SS({"a", "b", "a"}))), ElementsAre("item[\"a\"].string_set.values[2]"));
  EXPECT_THAT(FieldsOf(EncodeOne(BS({"x", "x"}))), ElementsAre("item[\"a\"].bytes_set.values[1]"));
  // Numbers are compared after canonicalisation (DynamoDB rejects ["1", "1.0"] as duplicates).
  EXPECT_THAT(FieldsOf(EncodeOne(NS({"1", "1.0"}))), ElementsAre("item[\"a\"].number_set.values[1]"));
  EXPECT_THAT(FieldsOf(EncodeOne(NS({"1e3", "2", "1000"}))), ElementsAre("item[\"a\"].number_set.values[2]"));
  v1::Value mixed = NS({"1000"});
  mixed.mutable_number_set()->add_values()->set_integer(1000);
  mixed.mutable_number_set()->add_values()->set_float64(1000.0);
  EXPECT_THAT(FieldsOf(EncodeOne(mixed)),
              ElementsAre("item[\"a\"].number_set.values[1]", "item[\"a\"].number_set.values[2]"));
  // Distinct values that merely look alike are fine.
  EXPECT_TRUE(EncodeOne(SS({"a", "A", "a "})).ok());
  EXPECT_TRUE(EncodeOne(NS({"1", "10", "0.1", "-1"})).ok());
  EXPECT_TRUE(EncodeOne(BS({std::string("\0", 1), std::string("\0\0", 2)})).ok());
}

TEST(ValueEncoderTest, InvalidNumberInASetNamesTheElement) {
  EXPECT_THAT(FieldsOf(EncodeOne(NS({"1", "x"}))), ElementsAre("item[\"a\"].number_set.values[1].decimal"));
}

// ---------------------------------------------------------------------------------------------------------
// Attribute maps

TEST(ValueEncoderTest, AttributeNamesMustBeNonEmptyAndAtMost64K) {
  Violations violations;
  const FieldRef item("item");
  EXPECT_TRUE(CheckAttributeName("a", item, violations));
  EXPECT_TRUE(CheckAttributeName(std::string(kMaxAttributeNameBytes, 'n'), item, violations));
  EXPECT_TRUE(violations.empty());
  EXPECT_FALSE(CheckAttributeName("", item, violations));
  EXPECT_FALSE(CheckAttributeName(std::string(kMaxAttributeNameBytes + 1, 'n'), item, violations));
  EXPECT_EQ(violations.count(), 2u);

  // DynamoDB Local rejects empty names at the top level and inside maps ("Empty attribute name").
  Violations v2;
  ValueEncoder encoder(v2);
  size_t size = 0;
  encoder.EncodeAttributes(Attrs({{"", S("x")}, {"m", M({{"", S("y")}})}}), item, &size);
  std::vector<std::string> fields;
  for (const FieldViolation& v : v2.list()) fields.push_back(v.field);
  EXPECT_THAT(fields, ::testing::UnorderedElementsAre("item[\"\"]", "item[\"m\"].map_value.fields[\"\"]"));
}

// The measured 400 KB boundary: {k: N "1", a: S of length L} is accepted iff
// len("k") + 2 + len("a") + L <= 409600.
TEST(ValueEncoderTest, ItemSizeCountsNamesAndValues) {
  Violations violations;
  ValueEncoder encoder(violations);
  const FieldRef item("item");
  size_t size = 0;
  json encoded = encoder.EncodeAttributes(Attrs({{"k", N("1")}, {"a", S(std::string(409596, 'x'))}}), item, &size);
  EXPECT_TRUE(violations.empty());
  EXPECT_EQ(size, 409600u);
  EXPECT_EQ(encoded["k"], json({{"N", "1"}}));

  size = 0;
  encoder.EncodeAttributes(Attrs({{"name", Bool(true)}, {"list", L({Null()})}, {"nums", NS({"1", "100"})}}), item,
                           &size);
  EXPECT_EQ(size, (4u + 1) + (4 + 3 + 1 + 1) + (4 + 2 + 2));
}

TEST(ValueEncoderTest, TranslatePutAcceptsExactly400KBAndRejectsOneByteMore) {
  const TableSchema schema = Schema("items", {"k", v1::SCALAR_TYPE_NUMBER});
  v1::PutRequest request;
  request.set_table("items");
  (*request.mutable_item())["k"] = N("1");
  (*request.mutable_item())["a"] = S(std::string(409596, 'x'));
  ErrorOr<BackendCall> ok = TranslatePut(request, schema);
  ASSERT_TRUE(ok.ok()) << ok.error().message();

  (*request.mutable_item())["a"] = S(std::string(409597, 'x'));
  ErrorOr<BackendCall> too_big = TranslatePut(request, schema);
  ASSERT_FALSE(too_big.ok());
  EXPECT_EQ(too_big.error().reason(), v1::INVALID_REQUEST);
  EXPECT_THAT(testing::FieldsOf(too_big.error()), ElementsAre("item"));
  EXPECT_THAT(too_big.error().field_violations()[0].description, HasSubstr("409601"));

  // The same boundary with the bytes spread over nested containers and sets.
  (*request.mutable_item())["a"] = M({{"l", L({SS({std::string(409596 - 3 - 2 - 3 - 1, 'y')})})}});
  // size: k(1) + 2 + a(1) + map 3 + entry (1 + 1 + list 3 + element (1 + string)) = 409600
  EXPECT_TRUE(TranslatePut(request, schema).ok());
  (*request.mutable_item())["a"] = M({{"l", L({SS({std::string(409596 - 3 - 2 - 3 - 1 + 1, 'y')})})}});
  EXPECT_FALSE(TranslatePut(request, schema).ok());
}

// ---------------------------------------------------------------------------------------------------------
// NumberStorageSize: the bytes a number attribute value adds to an item, measured on DynamoDB Local.

TEST(NumberStorageSizeTest, MatchesDynamoDbLocalMeasurements) {
  const std::pair<const char*, size_t> measured[] = {
      {"0", 1},        {"5", 2},         {"-1", 3},      {"-12", 3},   {"10", 2},         {"99", 2},
      {"100", 2},      {"0.5", 2},       {"-0.5", 3},    {"0.05", 2},  {"0.00012", 3},    {"1200000", 3},
      {"12345", 4},    {"123456", 4},    {"-1e-130", 3}, {"9e125", 2},
      {"123456789012345678901234567890123456", 19},
  };
  for (const auto& [text, size] : measured) {
    absl::StatusOr<Decimal> d = Decimal::Parse(text);
    ASSERT_TRUE(d.ok()) << text;
    EXPECT_EQ(NumberStorageSize(*d), size) << text;
  }
}

// Properties of the pair counting: one byte per pair of digits aligned on even powers of ten, spanning the
// first to the last significant digit, plus one, plus one when negative.
TEST(NumberStorageSizeTest, PairAlignmentProperties) {
  EXPECT_EQ(SizeOf("1"), SizeOf("10"));         // same pair (10^0, 10^1)
  EXPECT_EQ(SizeOf("11"), 2u);                  // one pair
  EXPECT_EQ(SizeOf("101"), 3u);                 // pairs 0 and 1
  EXPECT_EQ(SizeOf("0.1"), SizeOf("0.01"));     // same pair (10^-2, 10^-1)
  EXPECT_EQ(SizeOf("0.001"), 2u);
  EXPECT_EQ(SizeOf("1.5"), 3u);                 // pairs 0 and -1
  EXPECT_EQ(SizeOf("10.5"), 3u);
  EXPECT_EQ(SizeOf("-1.5"), 4u);
  EXPECT_EQ(SizeOf("12345678901234567890123456789012345678"), 20u);  // 38 digits
  for (const char* text : {"7", "12.75", "0.000123", "98765432109876543210"}) {
    EXPECT_EQ(SizeOf(absl::StrCat("-", text)), SizeOf(text) + 1) << text;
  }
  // Shifting by two decimal places never changes the size.
  for (const char* text : {"7", "1234", "0.5", "3.14159"}) {
    const Decimal d = *Decimal::Parse(text);
    const Decimal shifted = *Decimal::Parse(absl::StrCat(text, "e2"));
    const Decimal shifted_down = *Decimal::Parse(absl::StrCat(text, "e-4"));
    EXPECT_EQ(NumberStorageSize(d), NumberStorageSize(shifted)) << text;
    EXPECT_EQ(NumberStorageSize(d), NumberStorageSize(shifted_down)) << text;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Decoding backend JSON

TEST(DecodeValueTest, DecodesEveryKind) {
  EXPECT_TRUE(Same(Decode(json::parse(R"({"NULL": true})")), Null()));
  EXPECT_TRUE(Same(Decode(json::parse(R"({"BOOL": false})")), Bool(false)));
  EXPECT_TRUE(Same(Decode(json::parse(R"({"S": ""})")), S("")));
  EXPECT_TRUE(Same(Decode(json::parse(R"({"N": "1000"})")), Int(1000)));
  EXPECT_TRUE(Same(Decode(json::parse(R"({"N": "0.5"})")), N("0.5")));
  EXPECT_TRUE(Same(Decode(json::parse(R"({"N": "9223372036854775808"})")), N("9223372036854775808")));
  EXPECT_TRUE(Same(Decode(json::parse(R"({"B": ""})")), B("")));
  EXPECT_TRUE(Same(Decode(json::parse(R"({"L": []})")), L({})));
  EXPECT_TRUE(Same(Decode(json::parse(R"({"M": {}})")), M({})));
  EXPECT_TRUE(Same(Decode(json::parse(R"({"L": [{"N": "1e3"}, {"S": "x"}]})")), L({Int(1000), S("x")})));
  EXPECT_TRUE(Same(Decode(json::parse(R"({"M": {"a": {"M": {"b": {"BOOL": true}}}}})")),
                   M({{"a", M({{"b", Bool(true)}})}})));
  EXPECT_TRUE(Same(Decode(json::parse(R"({"SS": ["b", "a"]})")), SS({"b", "a"})));
  v1::Value ns;
  ns.mutable_number_set()->add_values()->set_integer(1);
  ns.mutable_number_set()->add_values()->set_decimal("0.25");
  EXPECT_TRUE(Same(Decode(json::parse(R"({"NS": ["1", "0.25"]})")), ns));
  EXPECT_TRUE(Same(Decode(json::parse(R"({"BS": ["AAE=", "/w=="]})")),
                   BS({std::string("\x00\x01", 2), std::string("\xff", 1)})));
}

TEST(DecodeValueTest, MalformedBackendJsonIsAnInternalError) {
  const char* malformed[] = {
      R"([])",
      R"("S")",
      R"(null)",
      R"(42)",
      R"({})",
      R"({"S": "a", "N": "1"})",
      R"({"X": "a"})",
      R"({"s": "a"})",
      R"({"S": 1})",
      R"({"S": null})",
      R"({"N": 1})",
      R"({"N": "abc"})",
      R"({"N": "1e200"})",
      R"({"B": 1})",
      R"({"B": "***"})",
      R"({"B": "A"})",
      R"({"BOOL": "true"})",
      R"({"BOOL": 1})",
      R"({"NULL": "x"})",
      R"({"NULL": false})",
      R"({"L": {}})",
      R"({"L": [1]})",
      R"({"L": [{"S": 1}]})",
      R"({"M": []})",
      R"({"M": {"a": 1}})",
      R"({"M": {"a": {"S": "ok"}, "b": {"Q": 1}}})",
      R"({"SS": "a"})",
      R"({"SS": [1]})",
      R"({"NS": ["1", 2]})",
      R"({"NS": ["x"]})",
      R"({"BS": "AAE="})",
      R"({"BS": [1]})",
      R"({"BS": ["!!"]})",
  };
  for (const char* text : malformed) {
    v1::Value out;
    const absl::Status s = DecodeValue(json::parse(text), &out);
    EXPECT_FALSE(s.ok()) << text;
    EXPECT_EQ(s.code(), absl::StatusCode::kInternal) << text;
  }
  AttributeMap attributes;
  EXPECT_FALSE(DecodeAttributes(json::parse("[]"), &attributes).ok());
  EXPECT_FALSE(DecodeAttributes(json::parse(R"({"a": {"S": "x"}, "b": "bare"})"), &attributes).ok());
  EXPECT_TRUE(DecodeAttributes(json::parse("{}"), &attributes).ok());
}

// ---------------------------------------------------------------------------------------------------------
// Round trip on random nested values

class RandomValues {
 public:
  explicit RandomValues(uint32_t seed) : rng_(seed) {}

  // A random value in the form the gateway returns (numbers as integer when they fit int64, otherwise
  // canonical decimal), so that Value -> JSON -> Value is the identity.
  v1::Value Next(int depth) {
    const int kinds = depth >= 6 ? 8 : 10;
    switch (Uniform(kinds)) {
      case 0:
        return Null();
      case 1:
        return Bool(Uniform(2) == 1);
      case 2:
        return S(String());
      case 3:
        return B(Bytes());
      case 4:
        return NumberValue();
      case 5: {
        v1::Value v = SS({});
        for (const std::string& s : DistinctStrings()) v.mutable_string_set()->add_values(s);
        return v;
      }
      case 6: {
        v1::Value v = NS({});
        std::vector<std::string> seen;
        const int n = 1 + Uniform(5);
        for (int i = 0; i < n; ++i) {
          v1::Value number = NumberValue();
          const std::string key = number.number_value().ShortDebugString();
          if (std::find(seen.begin(), seen.end(), key) != seen.end()) continue;
          seen.push_back(key);
          *v.mutable_number_set()->add_values() = number.number_value();
        }
        return v;
      }
      case 7: {
        v1::Value v = BS({});
        for (const std::string& s : DistinctStrings()) v.mutable_bytes_set()->add_values(s + Bytes());
        return v;
      }
      case 8: {
        v1::Value v = L({});
        const int n = Uniform(5);
        for (int i = 0; i < n; ++i) *v.mutable_list_value()->add_values() = Next(depth + 1);
        return v;
      }
      default: {
        v1::Value v = M({});
        const int n = Uniform(5);
        for (int i = 0; i < n; ++i) {
          (*v.mutable_map_value()->mutable_fields())[absl::StrCat(String(), "k", i)] = Next(depth + 1);
        }
        return v;
      }
    }
  }

 private:
  int Uniform(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }

  std::string String() {
    static const char* const kPieces[] = {"a", "Z", " ", ".", "#", ":", "\"", "\\", "\n", "\xC3\xA9",
                                          "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "0", "`", ""};
    std::string s;
    const int n = Uniform(6);
    for (int i = 0; i < n; ++i) s += kPieces[Uniform(sizeof(kPieces) / sizeof(kPieces[0]))];
    return s;
  }
  std::string Bytes() {
    std::string s;
    const int n = Uniform(8);
    for (int i = 0; i < n; ++i) s.push_back(static_cast<char>(Uniform(256)));
    return s;
  }
  std::vector<std::string> DistinctStrings() {
    std::vector<std::string> out;
    const int n = 1 + Uniform(4);
    for (int i = 0; i < n; ++i) out.push_back(absl::StrCat(i, String()));
    return out;
  }
  v1::Value NumberValue() {
    switch (Uniform(3)) {
      case 0:
        return Int(static_cast<int64_t>(rng_()) - (1ll << 31) * static_cast<int64_t>(Uniform(3)));
      case 1:
        return Int(std::uniform_int_distribution<int64_t>(std::numeric_limits<int64_t>::min(),
                                                          std::numeric_limits<int64_t>::max())(rng_));
      default: {
        // A canonical non-integer, or an integer too large for int64.
        std::string digits = std::to_string(1 + Uniform(999999));
        std::string text = Uniform(2) ? absl::StrCat(digits, "1234567890123456789012") : absl::StrCat("0.", digits);
        if (Uniform(2)) text = "-" + text;
        while (text.back() == '0' && text.find('.') != std::string::npos) text.pop_back();
        return N(Decimal::Parse(text)->canonical());
      }
    }
  }

  std::mt19937 rng_;
};

TEST(ValueRoundTripTest, RandomNestedValuesSurviveEncodeAndDecode) {
  RandomValues random(20240611);
  for (int i = 0; i < 2000; ++i) {
    const v1::Value value = random.Next(0);
    Encoded e = EncodeOne(value);
    ASSERT_TRUE(e.ok()) << value.DebugString() << "\n" << Describe(e.violations);
    // Through the JSON text too, as the body is sent and answers come back.
    const json reparsed = json::parse(e.value.dump());
    v1::Value decoded;
    ASSERT_TRUE(DecodeValue(reparsed, &decoded).ok()) << e.value.dump();
    EXPECT_TRUE(Same(value, decoded)) << value.DebugString() << "\nvs\n" << decoded.DebugString();
    // Encoding the decoded value gives the same JSON and the same size.
    Encoded again = EncodeOne(decoded);
    EXPECT_EQ(again.value, e.value);
    EXPECT_EQ(again.size, e.size);
  }
}

}  // namespace
}  // namespace altgw::model
