// Versioned items: ItemVersion, VersionExpectation (Expected, Observed, Next, MetBy), WriteAnswer::NewVersion,
// ConditionFailureError, and the versioned translations of Put / Update / Delete (version bump in the same
// request, version conditions, rejected expected_version and version attribute writes).
#include "model/versioning.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/item_requests.h"
#include "model/value_builders.h"

namespace altgw::model {
namespace {

using namespace ::altgw::model::testing;  // NOLINT: builders
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Kind = VersionExpectation::Kind;

TableSchema Ledger() {
  TableSchema schema = Schema("ledger", {"acct", v1::SCALAR_TYPE_STRING});
  schema.version_attribute = "ver";
  return schema;
}
TableSchema Plain() { return Schema("plain", {"acct", v1::SCALAR_TYPE_STRING}); }

template <typename T>
T Ok(const ErrorOr<T>& result) {
  if (!result.ok()) {
    ADD_FAILURE() << result.error().message() << "\n" << Describe(result.error().field_violations());
    return T();
  }
  return result.value();
}

std::string Metadata(const GatewayError& error, const std::string& key) {
  for (const auto& [k, v] : error.metadata()) {
    if (k == key) return v;
  }
  return "<absent>";
}

// ---------------------------------------------------------------------------------------------------------
// ItemVersion

TEST(ItemVersionTest, TypedItems) {
  const TableSchema ledger = Ledger();
  EXPECT_EQ(ItemVersion(ledger, Attrs({{"ver", Int(7)}})), 7u);
  EXPECT_EQ(ItemVersion(ledger, Attrs({{"ver", Int(0)}})), 0u);
  EXPECT_EQ(ItemVersion(ledger, Attrs({{"ver", N("18446744073709551615")}})), UINT64_MAX);
  EXPECT_EQ(ItemVersion(ledger, Attrs({{"ver", N("18446744073709551616")}})), std::nullopt);  // too large
  EXPECT_EQ(ItemVersion(ledger, Attrs({{"ver", Int(-1)}})), std::nullopt);
  EXPECT_EQ(ItemVersion(ledger, Attrs({{"ver", N("1.5")}})), std::nullopt);
  EXPECT_EQ(ItemVersion(ledger, Attrs({{"ver", S("7")}})), std::nullopt);
  EXPECT_EQ(ItemVersion(ledger, Attrs({{"other", Int(7)}})), std::nullopt);
  // Not versioned: never a version.
  EXPECT_EQ(ItemVersion(Plain(), Attrs({{"ver", Int(7)}})), std::nullopt);
}

TEST(ItemVersionTest, DynamoJsonItems) {
  EXPECT_EQ(ItemVersion("ver", json::parse(R"({"ver": {"N": "12"}})")), 12u);
  EXPECT_EQ(ItemVersion("ver", json::parse(R"({"ver": {"S": "12"}})")), std::nullopt);
  EXPECT_EQ(ItemVersion("ver", json::parse(R"({"ver": {"N": "-3"}})")), std::nullopt);
  EXPECT_EQ(ItemVersion("ver", json::parse(R"({"ver": {"N": "2.5"}})")), std::nullopt);
  EXPECT_EQ(ItemVersion("ver", json::parse(R"({"x": {"N": "1"}})")), std::nullopt);
  EXPECT_EQ(ItemVersion("ver", json::parse(R"([1])")), std::nullopt);
  EXPECT_EQ(ItemVersion("", json::parse(R"({"ver": {"N": "12"}})")), std::nullopt);
}

TEST(FillVersionTest, SetsTheTypedField) {
  v1::Item item;
  FillVersion(Ledger(), Attrs({{"ver", Int(3)}}), &item);
  EXPECT_EQ(item.version(), 3u);
  v1::Item none;
  FillVersion(Ledger(), Attrs({{"x", Int(3)}}), &none);
  EXPECT_FALSE(none.has_version());
}

// ---------------------------------------------------------------------------------------------------------
// VersionExpectation

TEST(VersionExpectationTest, ExpectedAndObserved) {
  EXPECT_EQ(VersionExpectation::Expected(0).kind, Kind::kMustNotExist);
  const VersionExpectation five = VersionExpectation::Expected(5);
  EXPECT_EQ(five.kind, Kind::kEquals);
  EXPECT_EQ(five.version, 5u);
  EXPECT_EQ(five.Next(), 6u);
  EXPECT_EQ(VersionExpectation::Expected(0).Next(), 1u);

  EXPECT_EQ(VersionExpectation::Observed(false, std::nullopt).kind, Kind::kMustNotExist);
  EXPECT_EQ(VersionExpectation::Observed(true, std::nullopt).kind, Kind::kExistsWithoutVersion);
  EXPECT_EQ(VersionExpectation::Observed(true, std::nullopt).Next(), 1u);
  const VersionExpectation observed = VersionExpectation::Observed(true, 9);
  EXPECT_EQ(observed.kind, Kind::kEquals);
  EXPECT_EQ(observed.Next(), 10u);
}

TEST(VersionExpectationTest, MetBy) {
  const VersionExpectation absent = VersionExpectation::Expected(0);
  EXPECT_TRUE(absent.MetBy(false, std::nullopt));
  EXPECT_FALSE(absent.MetBy(true, std::nullopt));
  EXPECT_FALSE(absent.MetBy(true, 1));

  const VersionExpectation three = VersionExpectation::Expected(3);
  EXPECT_TRUE(three.MetBy(true, 3));
  EXPECT_FALSE(three.MetBy(true, 4));
  EXPECT_FALSE(three.MetBy(true, std::nullopt));
  EXPECT_FALSE(three.MetBy(false, std::nullopt));

  const VersionExpectation unversioned = VersionExpectation::Observed(true, std::nullopt);
  EXPECT_TRUE(unversioned.MetBy(true, std::nullopt));
  EXPECT_FALSE(unversioned.MetBy(true, 1));
  EXPECT_FALSE(unversioned.MetBy(false, std::nullopt));
}

// ---------------------------------------------------------------------------------------------------------
// WriteAnswer

TEST(WriteAnswerTest, NewVersion) {
  WriteAnswer answer;
  EXPECT_EQ(answer.NewVersion(json::parse(R"({"Attributes": {"ver": {"N": "4"}}})")), std::nullopt);

  answer.version_attribute = "ver";
  answer.version = WriteAnswer::Version::kKnown;
  answer.known = 12;
  EXPECT_EQ(answer.NewVersion(json::object()), 12u);

  answer.version = WriteAnswer::Version::kFromNew;
  EXPECT_EQ(answer.NewVersion(json::parse(R"({"Attributes": {"ver": {"N": "4"}, "x": {"S": "y"}}})")), 4u);
  EXPECT_EQ(answer.NewVersion(json::object()), std::nullopt);

  answer.version = WriteAnswer::Version::kFromOld;
  EXPECT_EQ(answer.NewVersion(json::parse(R"({"Attributes": {"ver": {"N": "4"}}})")), 5u);
  EXPECT_EQ(answer.NewVersion(json::parse(R"({"Attributes": {"x": {"N": "4"}}})")), 1u);  // old had none
  EXPECT_EQ(answer.NewVersion(json::object()), 1u);  // there was no old item
}

// ---------------------------------------------------------------------------------------------------------
// ConditionFailureError

TEST(ConditionFailureErrorTest, VersionMismatchWithTheCurrentVersion) {
  ConditionCheckInfo info{"ledger", "ver", VersionExpectation::Expected(3), false, true};
  const json item = json::parse(R"({"acct": {"S": "a"}, "ver": {"N": "5"}})");
  const GatewayError error = ConditionFailureError(info, &item);
  EXPECT_EQ(error.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(error.reason(), v1::VERSION_MISMATCH);
  EXPECT_EQ(Metadata(error, "currentVersion"), "5");
  EXPECT_EQ(Metadata(error, "table"), "ledger");

  // The item does not exist: no current version.
  const GatewayError missing = ConditionFailureError(info, nullptr);
  EXPECT_EQ(missing.reason(), v1::VERSION_MISMATCH);
  EXPECT_EQ(Metadata(missing, "currentVersion"), "<absent>");

  // expected_version 0 on an existing item.
  info.expectation = VersionExpectation::Expected(0);
  const GatewayError exists = ConditionFailureError(info, &item);
  EXPECT_EQ(exists.reason(), v1::VERSION_MISMATCH);
  EXPECT_EQ(Metadata(exists, "currentVersion"), "5");
}

TEST(ConditionFailureErrorTest, ConditionFailedWhenTheVersionMatches) {
  ConditionCheckInfo info{"ledger", "ver", VersionExpectation::Expected(5), false, true};
  const json item = json::parse(R"({"acct": {"S": "a"}, "ver": {"N": "5"}})");
  const GatewayError error = ConditionFailureError(info, &item);
  EXPECT_EQ(error.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(error.reason(), v1::CONDITION_FAILED);
  EXPECT_TRUE(error.extra_details().empty());

  // With the current item.
  info.return_item = true;
  const GatewayError with_item = ConditionFailureError(info, &item);
  EXPECT_EQ(with_item.reason(), v1::CONDITION_FAILED);
  ASSERT_EQ(with_item.extra_details().size(), 1u);
  v1::ConditionFailure failure;
  ASSERT_TRUE(with_item.extra_details()[0].UnpackTo(&failure));
  EXPECT_TRUE(failure.item_exists());
  EXPECT_EQ(failure.item().at("ver").number_value().integer(), 5);

  // No expectation (not versioned): a plain condition failure, the item absent.
  const ConditionCheckInfo plain{"plain", "", std::nullopt, true, true};
  const GatewayError absent = ConditionFailureError(plain, nullptr);
  EXPECT_EQ(absent.reason(), v1::CONDITION_FAILED);
  ASSERT_EQ(absent.extra_details().size(), 1u);
  ASSERT_TRUE(absent.extra_details()[0].UnpackTo(&failure));
  EXPECT_FALSE(failure.item_exists());
  EXPECT_TRUE(failure.item().empty());
}

TEST(ConditionFailureErrorTest, WithoutTheItemTheVersionCannotBeJudged) {
  // The request did not ask for the item: a missing item in the answer proves nothing.
  const ConditionCheckInfo info{"ledger", "ver", VersionExpectation::Expected(3), false, false};
  EXPECT_EQ(ConditionFailureError(info, nullptr).reason(), v1::CONDITION_FAILED);
}

TEST(ConditionFailureErrorTest, ObservedItemWithoutVersion) {
  const ConditionCheckInfo info{"ledger", "ver", VersionExpectation::Observed(true, std::nullopt), false, true};
  const json unversioned = json::parse(R"({"acct": {"S": "a"}})");
  EXPECT_EQ(ConditionFailureError(info, &unversioned).reason(), v1::CONDITION_FAILED);
  const json versioned = json::parse(R"({"acct": {"S": "a"}, "ver": {"N": "1"}})");
  const GatewayError error = ConditionFailureError(info, &versioned);
  EXPECT_EQ(error.reason(), v1::VERSION_MISMATCH);
  EXPECT_EQ(Metadata(error, "currentVersion"), "1");
}

// ---------------------------------------------------------------------------------------------------------
// Versioned translations

v1::PutRequest Put(const std::string& table, const AttributeMap& item) {
  v1::PutRequest r;
  r.set_table(table);
  *r.mutable_item() = item;
  return r;
}

TEST(VersionedPutTest, NeedsAReadUnlessExpectedVersionIsGiven) {
  v1::PutRequest r = Put("ledger", Attrs({{"acct", S("a")}, {"balance", Int(10)}}));
  EXPECT_TRUE(PutNeedsVersionRead(r, Ledger()));
  EXPECT_FALSE(PutNeedsVersionRead(r, Plain()));
  r.set_expected_version(0);
  EXPECT_FALSE(PutNeedsVersionRead(r, Ledger()));

  // The read: consistent, of the key and the version only.
  const BackendCall read = VersionReadCall(Ledger(), EncodedKeyOfItem(Ledger(), r));
  EXPECT_STREQ(read.operation, "GetItem");
  EXPECT_EQ(Body(read), json::parse(R"({"TableName": "ledger", "Key": {"acct": {"S": "a"}},
      "ProjectionExpression": "#n0, #n1", "ExpressionAttributeNames": {"#n0": "acct", "#n1": "ver"},
      "ConsistentRead": true})"));
  EXPECT_EQ(Ok(ParseVersionRead(json::object(), Ledger())).kind, Kind::kMustNotExist);
  const VersionExpectation observed =
      Ok(ParseVersionRead(json::parse(R"({"Item": {"acct": {"S": "a"}, "ver": {"N": "4"}}})"), Ledger()));
  EXPECT_EQ(observed.kind, Kind::kEquals);
  EXPECT_EQ(observed.version, 4u);
  EXPECT_EQ(Ok(ParseVersionRead(json::parse(R"({"Item": {"acct": {"S": "a"}}})"), Ledger())).kind,
            Kind::kExistsWithoutVersion);
}

TEST(VersionedPutTest, NewItemGetsVersionOne) {
  const v1::PutRequest r = Put("ledger", Attrs({{"acct", S("a")}}));
  const BackendCall c = Ok(TranslatePut(r, Ledger(), VersionExpectation::Observed(false, std::nullopt)));
  EXPECT_EQ(Body(c), json::parse(R"json({
      "TableName": "ledger",
      "Item": {"acct": {"S": "a"}, "ver": {"N": "1"}},
      "ConditionExpression": "attribute_not_exists(#n0)",
      "ExpressionAttributeNames": {"#n0": "acct"},
      "ReturnValuesOnConditionCheckFailure": "ALL_OLD"})json"));
  EXPECT_TRUE(c.conditional);
  ASSERT_TRUE(c.condition_check.has_value());
  EXPECT_TRUE(c.condition_check->item_requested);
  EXPECT_EQ(c.condition_check->version_attribute, "ver");
  EXPECT_EQ(c.answer.version, WriteAnswer::Version::kKnown);
  EXPECT_EQ(c.answer.known, 1u);
  const v1::PutResponse response = Ok(ParsePutResponse(json::object(), c.answer));
  EXPECT_EQ(response.version(), 1u);
}

TEST(VersionedPutTest, ExpectedVersionAndUserConditionAreAnded) {
  v1::PutRequest r = Put("ledger", Attrs({{"acct", S("a")}, {"balance", Int(3)}}));
  r.set_expected_version(4);
  r.mutable_condition()->set_attribute_exists("balance");
  const BackendCall c = Ok(TranslatePut(r, Ledger()));
  const json body = Body(c);
  EXPECT_EQ(body["Item"]["ver"], json::parse(R"({"N": "5"})"));
  EXPECT_EQ(body["ConditionExpression"], "(#n1 = :v0) AND (attribute_exists(#n0))");
  EXPECT_EQ(body["ExpressionAttributeNames"], json::parse(R"({"#n0": "balance", "#n1": "ver"})"));
  EXPECT_EQ(body["ExpressionAttributeValues"], json::parse(R"({":v0": {"N": "4"}})"));
  EXPECT_EQ(c.answer.known, 5u);

  // An item existing without a version (written by someone else) is taken over at version 1.
  const BackendCall takeover =
      Ok(TranslatePut(Put("ledger", Attrs({{"acct", S("a")}})), Ledger(), VersionExpectation::Observed(true, std::nullopt)));
  EXPECT_EQ(Body(takeover)["ConditionExpression"], "attribute_exists(#n0) AND attribute_not_exists(#n1)");
  EXPECT_EQ(Body(takeover)["Item"]["ver"], json::parse(R"({"N": "1"})"));
}

TEST(VersionedPutTest, Rejections) {
  // Writing the version attribute yourself.
  const v1::PutRequest own = Put("ledger", Attrs({{"acct", S("a")}, {"ver", Int(7)}}));
  EXPECT_THAT(ViolatedFields(TranslatePut(own, Ledger(), VersionExpectation())), ElementsAre("item[\"ver\"]"));
  // expected_version on a table without a version attribute.
  v1::PutRequest plain = Put("plain", Attrs({{"acct", S("a")}}));
  plain.set_expected_version(1);
  EXPECT_THAT(ViolatedFields(TranslatePut(plain, Plain())), ElementsAre("expected_version"));
}

TEST(VersionedUpdateTest, WithoutExpectationIncrementsInPlace) {
  v1::UpdateRequest r;
  r.set_table("ledger");
  (*r.mutable_key())["acct"] = S("a");
  v1::UpdateAction* set = r.add_actions();
  set->mutable_set()->set_path("balance");
  *set->mutable_set()->mutable_value() = Int(5);
  const BackendCall c = Ok(TranslateUpdate(r, Ledger()));
  EXPECT_EQ(Body(c), json::parse(R"({
      "TableName": "ledger",
      "Key": {"acct": {"S": "a"}},
      "UpdateExpression": "SET #n1 = :v2, #n0 = if_not_exists(#n0, :v0) + :v1",
      "ExpressionAttributeNames": {"#n0": "ver", "#n1": "balance"},
      "ExpressionAttributeValues": {":v0": {"N": "0"}, ":v1": {"N": "1"}, ":v2": {"N": "5"}},
      "ReturnValues": "UPDATED_NEW"})"));
  EXPECT_FALSE(c.conditional);
  EXPECT_TRUE(c.answer.strip_attributes);
  EXPECT_EQ(c.answer.version, WriteAnswer::Version::kFromNew);
  const v1::UpdateResponse response =
      Ok(ParseUpdateResponse(json::parse(R"({"Attributes": {"ver": {"N": "8"}, "balance": {"N": "5"}}})"), c.answer));
  EXPECT_EQ(response.version(), 8u);
  EXPECT_TRUE(response.attributes().empty()) << "the caller asked for no attributes";

  // The caller's ReturnValues are kept; the version comes from them.
  r.set_return_values(v1::RETURN_VALUES_ALL_OLD);
  const BackendCall old = Ok(TranslateUpdate(r, Ledger()));
  EXPECT_EQ(Body(old)["ReturnValues"], "ALL_OLD");
  EXPECT_FALSE(old.answer.strip_attributes);
  EXPECT_EQ(old.answer.version, WriteAnswer::Version::kFromOld);
  const v1::UpdateResponse from_old =
      Ok(ParseUpdateResponse(json::parse(R"({"Attributes": {"ver": {"N": "8"}, "balance": {"N": "1"}}})"), old.answer));
  EXPECT_EQ(from_old.version(), 9u);
  EXPECT_EQ(from_old.attributes().size(), 2u);
}

TEST(VersionedUpdateTest, WithExpectedVersion) {
  v1::UpdateRequest r;
  r.set_table("ledger");
  (*r.mutable_key())["acct"] = S("a");
  r.set_expected_version(2);
  const BackendCall c = Ok(TranslateUpdate(r, Ledger()));
  EXPECT_EQ(Body(c), json::parse(R"({
      "TableName": "ledger",
      "Key": {"acct": {"S": "a"}},
      "UpdateExpression": "SET #n0 = :v0",
      "ConditionExpression": "#n0 = :v1",
      "ExpressionAttributeNames": {"#n0": "ver"},
      "ExpressionAttributeValues": {":v0": {"N": "3"}, ":v1": {"N": "2"}},
      "ReturnValuesOnConditionCheckFailure": "ALL_OLD"})"));
  EXPECT_EQ(c.answer.version, WriteAnswer::Version::kKnown);
  EXPECT_EQ(Ok(ParseUpdateResponse(json::object(), c.answer)).version(), 3u);
}

TEST(VersionedUpdateTest, Rejections) {
  v1::UpdateRequest r;
  r.set_table("ledger");
  (*r.mutable_key())["acct"] = S("a");
  v1::UpdateAction* set = r.add_actions();
  set->mutable_set()->set_path("ver");
  *set->mutable_set()->mutable_value() = Int(5);
  v1::UpdateAction* nested = r.add_actions();
  nested->set_remove("ver.x");
  const std::vector<std::string> fields = ViolatedFields(TranslateUpdate(r, Ledger()));
  ASSERT_EQ(fields.size(), 2u);
  EXPECT_EQ(fields[0].rfind("actions[0]", 0), 0u) << fields[0];
  EXPECT_EQ(fields[1].rfind("actions[1]", 0), 0u) << fields[1];

  v1::UpdateRequest plain;
  plain.set_table("plain");
  (*plain.mutable_key())["acct"] = S("a");
  plain.set_expected_version(0);
  EXPECT_THAT(ViolatedFields(TranslateUpdate(plain, Plain())), ElementsAre("expected_version"));
  // On a plain table "ver" is an ordinary attribute.
  r.set_table("plain");
  r.mutable_actions()->RemoveLast();
  EXPECT_TRUE(TranslateUpdate(r, Plain()).ok());
}

TEST(VersionedDeleteTest, ExpectedVersionIsACondition) {
  v1::DeleteRequest r;
  r.set_table("ledger");
  (*r.mutable_key())["acct"] = S("a");
  EXPECT_FALSE(Ok(TranslateDelete(r, Ledger())).conditional) << "no expectation: a plain delete";
  r.set_expected_version(6);
  const BackendCall c = Ok(TranslateDelete(r, Ledger()));
  EXPECT_EQ(Body(c), json::parse(R"({
      "TableName": "ledger",
      "Key": {"acct": {"S": "a"}},
      "ConditionExpression": "#n0 = :v0",
      "ExpressionAttributeNames": {"#n0": "ver"},
      "ExpressionAttributeValues": {":v0": {"N": "6"}},
      "ReturnValuesOnConditionCheckFailure": "ALL_OLD"})"));
  ASSERT_TRUE(c.condition_check.has_value());
  ASSERT_TRUE(c.condition_check->expectation.has_value());
  EXPECT_EQ(c.condition_check->expectation->version, 6u);

  r.set_expected_version(0);
  EXPECT_EQ(Body(Ok(TranslateDelete(r, Ledger())))["ConditionExpression"], "attribute_not_exists(#n0)");

  v1::DeleteRequest plain = r;
  plain.set_table("plain");
  EXPECT_THAT(ViolatedFields(TranslateDelete(plain, Plain())), ElementsAre("expected_version"));
}

}  // namespace
}  // namespace altgw::model
