#include "alternator/answer_json.h"

#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace altgw::alternator {
namespace {

using nlohmann::json;

// What the gateway parsed with before: the fast path must give exactly this (value, number kinds, and
// what is rejected).
json Reference(const std::string& text) { return json::parse(text, nullptr, /*allow_exceptions=*/false); }

// `fast`: the text must (true) or must not (false) be taken by the simdjson path.
void ExpectSameAsNlohmann(const std::string& text, std::optional<bool> fast = std::nullopt) {
  if (fast.has_value()) {
    json ignored;
    EXPECT_EQ(ParseAnswerJsonFast(text, &ignored), *fast) << text;
  }
  const json expected = Reference(text);
  const json parsed = ParseAnswerJson(text);
  ASSERT_EQ(parsed.is_discarded(), expected.is_discarded()) << text;
  if (expected.is_discarded()) return;
  EXPECT_EQ(parsed, expected) << text;
  EXPECT_EQ(parsed.dump(), expected.dump()) << text;  // same number kinds and key order
}

TEST(AnswerJsonTest, DynamoDbAnswersParseAsNlohmannParsesThem) {
  for (const std::string text : {
           R"({"Item":{"pk":{"S":"user#42"},"age":{"N":"36"},"ok":{"BOOL":true},"nothing":{"NULL":true},)"
           R"("tags":{"SS":["a","b"]},"m":{"M":{"x":{"L":[{"N":"1"},{"B":"AAE="}]}}}}})",
           R"({"Items":[],"Count":0,"ScannedCount":0})",
           R"({"ConsumedCapacity":{"TableName":"t","CapacityUnits":0.5},"Count":3})",
           R"({"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"no"})",
           "{}", "[]", "  {\n\t\"a\" : [ 1 , -2 , 3.25e2 , true , false , null ] }  ",
       }) {
    ExpectSameAsNlohmann(text, /*fast=*/true);
  }
}

TEST(AnswerJsonTest, NumbersKeepNlohmannsKinds) {
  for (const std::string text : {"[0]", "[-0]", "[7]", "[-7]", "[9223372036854775807]", "[9223372036854775808]",
                                 "[18446744073709551615]", "[-9223372036854775808]", "[1.0]", "[1e2]", "[-1.5E-3]",
                                 "[0.1]", "[123456789012345678901234567890]", "[-123456789012345678901234567890]",
                                 "[1e400]"}) {
    ExpectSameAsNlohmann(text);
  }
  // Beyond 64 bits or double range: simdjson declines, nlohmann decides.
  ExpectSameAsNlohmann("[123456789012345678901234567890]", /*fast=*/false);
  ExpectSameAsNlohmann("[1e400]", /*fast=*/false);
  ExpectSameAsNlohmann("[18446744073709551615]", /*fast=*/true);
  EXPECT_TRUE(ParseAnswerJson("[7]")[0].is_number_unsigned());
  EXPECT_TRUE(ParseAnswerJson("[-7]")[0].is_number_integer());
  EXPECT_TRUE(ParseAnswerJson("[7.0]")[0].is_number_float());
}

TEST(AnswerJsonTest, StringsAndEscapesAsNlohmann) {
  for (const std::string text : {
           R"(["plain", "", "tab\there", "quote\"slash\\/", "\u00e9\u4e2d", "\ud83d\ude00", "\u0000x"])",
           "[\"caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80\"]",
       }) {
    ExpectSameAsNlohmann(text, /*fast=*/true);
  }
}

TEST(AnswerJsonTest, DuplicateKeysKeepTheLastValueAsNlohmann) {
  ExpectSameAsNlohmann(R"({"a":1,"b":2,"a":3})");
  EXPECT_EQ(ParseAnswerJson(R"({"a":1,"a":3})")["a"], 3);
}

TEST(AnswerJsonTest, MalformedTextIsRejectedAsNlohmannRejectsIt) {
  for (const std::string text : {"", " ", "{", "}", "{\"a\":}", "{\"a\":1,}", "[1,]", "[01]", "{}x", "{} {}",
                                 "'a'", "[\"\\x\"]", "[\"\\ud800\"]", "[\"\\udc00\"]", "[\"\\ud800\\u0041\"]",
                                 "[\"\xff\"]", "[\"\xc3\"]", "[\"a\nb\"]", "[nul]", "[True]", "[1e]", "[-]",
                                 "{\"a\" 1}", "<html>502 Bad Gateway</html>"}) {
    ExpectSameAsNlohmann(text);
    EXPECT_TRUE(ParseAnswerJson(text).is_discarded()) << text;
  }
}

TEST(AnswerJsonTest, ScalarsAtTheTopAsNlohmann) {
  for (const std::string text : {"1", "\"s\"", "true", "null", "-2.5"}) ExpectSameAsNlohmann(text);
}

TEST(AnswerJsonTest, LargeAnswersAndDeepNestingParse) {
  // Larger than the reused per-thread buffer: parsed with a temporary one.
  std::string items = R"({"Items":[)";
  for (int i = 0; i < 5000; ++i) {
    absl::StrAppend(&items, i > 0 ? "," : "", R"({"pk":{"S":"key-)", i, R"("},"n":{"N":")", i * 3, R"("}})");
  }
  items += R"(],"Count":5000})";
  ASSERT_GT(items.size(), 64u * 1024);
  ExpectSameAsNlohmann(items, /*fast=*/true);
  EXPECT_EQ(ParseAnswerJson(items)["Items"].size(), 5000u);

  std::string deep;
  for (int i = 0; i < 40; ++i) deep += R"({"M":{"x":)";
  deep += R"({"S":"leaf"})";
  for (int i = 0; i < 40; ++i) deep += "}}";
  ExpectSameAsNlohmann(deep, /*fast=*/true);
}

TEST(AnswerJsonTest, ShorterAnswerAfterALongerOneOnTheSameThread) {
  // The per-thread buffer keeps the previous answer's bytes past the end of the next one.
  ExpectSameAsNlohmann(R"({"Item":{"pk":{"S":"a much longer value than the next answer has"}}})", true);
  ExpectSameAsNlohmann(R"({"a":1})", /*fast=*/true);
  ExpectSameAsNlohmann(R"({"a":1)", /*fast=*/false);  // truncated: the old bytes past the end must not complete it
}

TEST(AnswerJsonTest, ThreadsParseConcurrently) {
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &failures] {
      for (int i = 0; i < 2000; ++i) {
        const std::string text = absl::StrCat(R"({"Item":{"pk":{"S":"t)", t, "-", i, R"("}}})");
        if (ParseAnswerJson(text)["Item"]["pk"]["S"] != absl::StrCat("t", t, "-", i)) ++failures[t];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int f : failures) EXPECT_EQ(f, 0);
}

}  // namespace
}  // namespace altgw::alternator
