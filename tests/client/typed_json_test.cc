// The CLI's typed JSON: every type tag, the shorthand, the errors (naming the place), and protobuf JSON with
// typed values inside conditions and update actions.
#include "cli/typed_json.h"

#include "alternator/gateway/v1/data_service.pb.h"
#include "gtest/gtest.h"

namespace altgw::cli {
namespace {

// The InputError message of `f`, or "" when it does not throw.
template <typename F>
std::string ErrorOf(F f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(TypedJsonTest, EveryTagRoundTrips) {
  const json item = json::parse(R"({
    "s": {"s": "x"}, "n": {"n": "12.50"}, "i": {"n": 7}, "b": {"b": "AAH/"}, "t": {"bool": true},
    "z": {"null": true}, "l": {"l": [{"s": "a"}, {"n": "1"}]}, "m": {"m": {"k": {"s": "v"}}},
    "ss": {"ss": ["a", "b"]}, "ns": {"ns": ["1.5", 2]}, "bs": {"bs": ["AA=="]}})");
  const client::Attributes attributes = AttributesFromJson(item, "--item");
  EXPECT_EQ(attributes.at("s").string_value(), "x");
  EXPECT_EQ(attributes.at("n").number_value().decimal(), "12.50");
  EXPECT_EQ(attributes.at("i").number_value().integer(), 7);
  EXPECT_EQ(attributes.at("b").bytes_value(), std::string("\x00\x01\xff", 3));
  EXPECT_TRUE(attributes.at("t").bool_value());
  EXPECT_TRUE(attributes.at("z").has_null_value());
  EXPECT_EQ(attributes.at("l").list_value().values(1).number_value().decimal(), "1");
  EXPECT_EQ(attributes.at("m").map_value().fields().at("k").string_value(), "v");
  EXPECT_EQ(attributes.at("ss").string_set().values_size(), 2);
  EXPECT_EQ(attributes.at("ns").number_set().values(1).integer(), 2);
  EXPECT_EQ(attributes.at("bs").bytes_set().values(0), std::string(1, '\0'));
  // Output is always the typed form with numbers as strings: the same item, with "i" and ns[1] as text.
  json expected = item;
  expected["i"] = {{"n", "7"}};
  expected["ns"] = {{"ns", {"1.5", "2"}}};
  EXPECT_EQ(AttributesToJson(attributes), expected);
}

TEST(TypedJsonTest, ShorthandScalarsAndArrays) {
  const client::Attributes a =
      AttributesFromJson(json::parse(R"({"s": "x", "i": -3, "t": false, "z": null, "l": [1, "a"]})"), "--item");
  EXPECT_EQ(a.at("s").string_value(), "x");
  EXPECT_EQ(a.at("i").number_value().integer(), -3);
  EXPECT_FALSE(a.at("t").bool_value());
  EXPECT_TRUE(a.at("t").has_bool_value());
  EXPECT_TRUE(a.at("z").has_null_value());
  EXPECT_EQ(a.at("l").list_value().values(1).string_value(), "a");
  // Integers beyond int64 stay exact.
  EXPECT_EQ(ValueFromJson(json::parse("18446744073709551615"), "v").number_value().decimal(),
            "18446744073709551615");
}

TEST(TypedJsonTest, ErrorsNameTheArgumentAndThePlace) {
  EXPECT_EQ(ErrorOf([] { ParseJson(R"({"id": )", "--item"); }).rfind("--item: not valid JSON: parse error", 0), 0u)
      << ErrorOf([] { ParseJson(R"({"id": )", "--item"); });
  EXPECT_EQ(ErrorOf([] { AttributesFromJson(json::parse(R"({"price": {"x": "1"}})"), "--item"); }),
            "--item.price: unknown type tag \"x\" (expected one of s, n, b, ss, ns, bs, l, m, bool, null)");
  EXPECT_EQ(ErrorOf([] { AttributesFromJson(json::parse(R"({"p": 1.5})"), "--item"); }),
            "--item.p: the JSON number 1.5 would be read as a binary double; write exact decimals as "
            "{\"n\": \"1.5\"}");
  EXPECT_EQ(ErrorOf([] { AttributesFromJson(json::parse(R"({"p": {"s": "a", "n": "1"}})"), "--item"); }),
            "--item.p: a typed value is an object with exactly one type tag (s, n, b, ss, ns, bs, l, m, bool, null), "
            "e.g. {\"s\": \"x\"}; got 2 keys");
  EXPECT_EQ(ErrorOf([] { AttributesFromJson(json::parse(R"({"b": {"b": "not base64!"}})"), "--item"); }),
            "--item.b.b: not valid base64: \"not base64!\"");
  EXPECT_EQ(ErrorOf([] { AttributesFromJson(json::parse(R"({"l": {"l": [{"s": 1}]}})"), "--item"); }),
            "--item.l.l[0].s: expected a string, got an integer");
  EXPECT_EQ(ErrorOf([] { AttributesFromJson(json::parse(R"(["a"])"), "--key"); }).rfind("--key: expected an object", 0),
            0u);
  EXPECT_EQ(ErrorOf([] { ValueFromJson(json::parse(R"({"null": false})"), "v"); }),
            "v.null: the null value is written {\"null\": true}");
  EXPECT_EQ(ErrorOf([] { ValueFromJson(json::parse(R"({"ns": [1.25]})"), "v"); }).rfind("v.ns[0]: the JSON number", 0),
            0u);
}

TEST(TypedJsonTest, MessagesAcceptTypedValuesAndNumbers) {
  v1::UpdateRequest request;
  MessageFromJson(json::parse(R"({"condition": {"comparison": {"path": "n", "comparator": "COMPARATOR_LESS",
                                   "value": {"n": "10"}}},
                                  "actions": [{"set": {"path": "a.b", "value": {"ss": ["x"]}}},
                                              {"increment": {"path": "hits", "delta": "-1.5"}},
                                              {"increment": {"path": "h2", "delta": {"n": 4}}},
                                              {"appendToList": {"path": "l", "values": ["s", 2]}}]})"),
                  &request, "--request");
  EXPECT_EQ(request.condition().comparison().value().number_value().decimal(), "10");
  EXPECT_EQ(request.condition().comparison().comparator(), v1::COMPARATOR_LESS);
  EXPECT_EQ(request.actions(0).set().value().string_set().values(0), "x");
  EXPECT_EQ(request.actions(1).increment().delta().decimal(), "-1.5");
  EXPECT_EQ(request.actions(2).increment().delta().integer(), 4);
  EXPECT_EQ(request.actions(3).append_to_list().values(0).string_value(), "s");
  EXPECT_EQ(request.actions(3).append_to_list().values(1).number_value().integer(), 2);
  // protobuf's own JSON form of a Value is accepted too.
  v1::Condition condition;
  MessageFromJson(json::parse(R"({"comparison": {"path": "n", "value": {"stringValue": "x"}}})"), &condition, "c");
  EXPECT_EQ(condition.comparison().value().string_value(), "x");
}

TEST(TypedJsonTest, MessageErrorsNameTheArgument) {
  v1::Condition condition;
  const std::string unknown = ErrorOf([&] { MessageFromJson(json::parse(R"({"atribute_exists": "a"})"), &condition, "--condition"); });
  EXPECT_EQ(unknown.rfind("--condition: not a valid Condition: ", 0), 0u) << unknown;
  EXPECT_NE(unknown.find("atribute_exists"), std::string::npos) << unknown;
  const std::string bad_value = ErrorOf([&] {
    MessageFromJson(json::parse(R"({"comparison": {"path": "n", "value": {"q": 1}}})"), &condition, "--condition");
  });
  EXPECT_EQ(bad_value.rfind("--condition.comparison.value: unknown type tag \"q\"", 0), 0u) << bad_value;
  EXPECT_EQ(ErrorOf([&] { MessageFromJson(json::parse("[1]"), &condition, "--condition"); }),
            "--condition: expected a JSON object (Condition), got an array");
}

TEST(TypedJsonTest, MessageToJsonUsesTypedValuesAndProtoNames) {
  v1::GetResponse response;
  response.set_found(true);
  (*response.mutable_item())["n"].mutable_number_value()->set_integer(5);
  response.set_version(3);
  EXPECT_EQ(MessageToJson(response), json::parse(R"({"found": true, "item": {"n": {"n": "5"}}, "version": 3})"));
  v1::BatchWriteResponse batch;
  batch.add_statuses();
  auto* failed = batch.add_statuses();
  failed->set_code(14);
  failed->set_message("down");
  EXPECT_EQ(MessageToJson(batch),
            json::parse(R"({"statuses": [{"code": "OK"}, {"code": "UNAVAILABLE", "message": "down"}]})"));
}

}  // namespace
}  // namespace altgw::cli
