#include "model/answer.h"

#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "model/item_requests.h"
#include "model/query_requests.h"
#include "model/scan_requests.h"
#include "model/value_codec.h"

namespace altgw::model {
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

// ---------------------------------------------------------------------------------------------------------
// Answer: parsed once, read as a simdjson document by the item parsers and as nlohmann::json by the rest.

TEST(AnswerTest, OnlyJsonObjectsAreAnswers) {
  for (const std::string text : {"", " ", "[]", "[{}]", "1", "\"s\"", "null", "true", "{", "{\"a\":1", "{} {}",
                                 "<html>502 Bad Gateway</html>", "{\"a\":\"\\ud800\"}"}) {
    EXPECT_FALSE(Answer::Parse(text).has_value()) << text;
  }
  std::optional<Answer> answer = Answer::Parse(R"( {"Count": 2, "Items": []} )");
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->json(), json::parse(R"({"Count": 2, "Items": []})"));
}

TEST(AnswerTest, WhatSimdjsonDeclinesIsNlohmannsValueAndItemsStillDecode) {
  // A count beyond 64 bits: simdjson declines the text; nlohmann reads a double, and the item parser reads
  // the document parsed again from nlohmann's rendering.
  const std::string text = R"({"Count": 123456789012345678901234567890, "Item": {"pk": {"S": "a"}}})";
  json ignored;
  ASSERT_FALSE(ParseAnswerJsonFast(text, &ignored));
  std::optional<Answer> answer = Answer::Parse(text);
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->json(), Reference(text));
  EXPECT_TRUE(answer->json()["Count"].is_number_float());
  ErrorOr<v1::GetResponse> got = ParseGetResponse(*answer, TableSchema());
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->item().at("pk").string_value(), "a");
}

TEST(AnswerTest, AnswersAliveTogetherKeepTheirOwnDocuments) {
  // Documents are reused: one freed by an answer must not be one another answer still reads.
  auto item_of = [](const Answer& answer) {
    return ParseGetResponse(answer, TableSchema())->item().at("pk").string_value();
  };
  std::vector<Answer> alive;
  for (int i = 0; i < 10; ++i) {
    alive.push_back(*Answer::Parse(absl::StrCat(R"({"Item": {"pk": {"S": "answer-)", i, R"("}}})")));
  }
  alive.erase(alive.begin() + 3);
  alive.erase(alive.begin());
  std::optional<Answer> later = Answer::Parse(R"({"Item": {"pk": {"S": "later"}}})");
  std::optional<Answer> large =
      Answer::Parse(absl::StrCat(R"({"Item": {"pk": {"S": ")", std::string(100000, 'x'), R"("}}})"));
  EXPECT_EQ(item_of(*later), "later");
  EXPECT_EQ(item_of(*large), std::string(100000, 'x'));
  const std::vector<int> kept = {1, 2, 4, 5, 6, 7, 8, 9};
  for (size_t i = 0; i < alive.size(); ++i) EXPECT_EQ(item_of(alive[i]), absl::StrCat("answer-", kept[i]));
  // Moved answers keep their document; json() is built once and stays the same.
  Answer moved = std::move(alive.back());
  EXPECT_EQ(item_of(moved), "answer-9");
  EXPECT_EQ(&moved.json(), &moved.json());
}

TEST(AnswerTest, AnAnswerMayEndOnAnotherThread) {
  // The backend client parses on its event loop; the answer may be freed on another thread, or after the
  // thread that parsed it ended.
  std::vector<Answer> answers;
  std::thread parser([&answers] {
    for (int i = 0; i < 8; ++i) {
      answers.push_back(*Answer::Parse(absl::StrCat(R"({"Item": {"n": {"N": ")", i, R"("}}})")));
    }
  });
  parser.join();
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(ParseGetResponse(answers[i], TableSchema())->item().at("n").number_value().integer(), i);
  }
  std::thread freer([moved = std::move(answers)]() mutable { moved.clear(); });
  freer.join();
}

// The item parsers decode the simdjson document (answer_items.h); value_codec's DecodeAttributes decodes
// nlohmann::json. Both must give the same values and the same errors.
TEST(AnswerItemsTest, TheDocumentDecoderAgreesWithTheJsonDecoder) {
  for (const std::string item : {
           R"({})",
           R"({"s": {"S": "text"}, "empty": {"S": ""}, "utf8": {"S": "caf\u00e9 \ud83d\ude00"}})",
           R"({"i": {"N": "36"}, "neg": {"N": "-7"}, "d": {"N": "1234.560"}, "e": {"N": "1e3"},)"
           R"( "big": {"N": "123456789012345678901234567890"}, "tiny": {"N": "-0.000001"}})",
           R"({"b": {"B": "AAEC/w=="}, "t": {"BOOL": true}, "f": {"BOOL": false}, "z": {"NULL": true}})",
           R"({"l": {"L": [{"N": "1"}, {"S": "x"}, {"L": []}, {"M": {"k": {"NULL": true}}}]}})",
           R"({"m": {"M": {"city": {"S": "London"}, "inner": {"M": {"deep": {"SS": ["a", "b"]}}}}}})",
           R"({"ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2.50", "-3e2"]}, "bs": {"BS": ["AA==", "AQ=="]}})",
           R"({"a": {"L": [{"N": "0"}]}, "a": {"L": [{"N": "1"}]}})",  // a repeated name: the last one counts
           R"({"a": {"S": "x", "S": "y"}})",                       // a repeated type name: the last value
           // Malformed: each must fail with the same message.
           R"({"a": {"S": 1}})", R"({"a": {"N": "x"}})", R"({"a": {"N": 5}})", R"({"a": {"B": "***"}})",
           R"({"a": {"BOOL": "yes"}})", R"({"a": {"NULL": false}})", R"({"a": {"L": {}}})", R"({"a": {"M": []}})",
           R"({"a": {"SS": [1]}})", R"({"a": {"NS": ["1", "x"]}})", R"({"a": {"BS": ["***"]}})", R"({"a": {"Q": 1}})",
           R"({"a": {}})", R"({"a": {"S": "x", "N": "1"}})", R"({"a": "S"})", R"({"a": [{"S": "x"}]})",
           R"({"l": {"L": [{"N": "1"}, {"N": "bad"}]}})", R"({"m": {"M": {"k": {"SS": "x"}}}})", R"([])", R"("x")",
       }) {
    const json parsed = json::parse(item);
    AttributeMap expected;
    const absl::Status expected_status = DecodeAttributes(parsed, &expected);
    const ErrorOr<v1::GetResponse> got =
        ParseGetResponse(*Answer::Parse(absl::StrCat(R"({"Item": )", item, "}")), TableSchema());
    if (expected_status.ok()) {
      ASSERT_TRUE(got.ok()) << item << ": " << got.error().message();
      v1::GetResponse want;
      want.set_found(true);
      *want.mutable_item() = expected;
      EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*got, want))
          << item << "\n got: " << got->DebugString() << "\n want: " << want.DebugString();
    } else {
      ASSERT_FALSE(got.ok()) << item;
      EXPECT_EQ(got.error().message(), MalformedAnswer("GetItem", expected_status).message()) << item;
    }
  }
}

TEST(AnswerItemsTest, RepeatedAnswerMembersCountOnceAsTheirLastValue) {
  // As nlohmann reads them: the last Item, Items, ScannedCount and LastEvaluatedKey.
  const ErrorOr<v1::GetResponse> got =
      ParseGetResponse(*Answer::Parse(R"({"Item": {"a": {"S": "old"}}, "Item": {"a": {"S": "new"}}})"), TableSchema());
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->item().at("a").string_value(), "new");
  v1::ScanResponse out;
  const ErrorOr<ScanPage> page = ParseScanPage(
      *Answer::Parse(R"({"Items": [{"a": {"S": "old"}}], "ScannedCount": 1, "Items": [{"a": {"S": "new"}}],)"
                     R"( "ScannedCount": 7, "LastEvaluatedKey": {"a": {"S": "k1"}},)"
                     R"( "LastEvaluatedKey": {"a": {"S": "k2"}}})"),
      TableSchema(), &out);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(out.items_size(), 1);
  EXPECT_EQ(out.items(0).attributes().at("a").string_value(), "new");
  EXPECT_EQ(page->scanned_count, 7u);
  EXPECT_EQ(page->last_key, json::parse(R"({"a": {"S": "k2"}})"));
}

}  // namespace
}  // namespace altgw::model
