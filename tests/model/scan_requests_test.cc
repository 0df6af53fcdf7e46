// Scan translation: page calls (Limit, ExclusiveStartKey), segments and their limits, page_size, index rules,
// filter/projection placeholders, resume tokens bound to the scan (round trip, other segment / filter /
// table / consistency, tampered, expired; limit and page_size may change), and parsing of Scan pages.
#include "model/scan_requests.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/expression_checks.h"
#include "model/value_builders.h"

namespace altgw::model {
namespace {

using namespace ::altgw::model::testing;  // NOLINT: builders
using ::testing::ElementsAre;

// orders: pk (S) + sk (N); GSI by_status: status (S); LSI by_total: pk + total (N).
TableSchema Orders() {
  TableSchema schema = Schema("orders", {"pk", v1::SCALAR_TYPE_STRING}, {"sk", v1::SCALAR_TYPE_NUMBER});
  AddIndex(schema, "by_status", true, {"status", v1::SCALAR_TYPE_STRING});
  AddIndex(schema, "by_total", false, {"pk", v1::SCALAR_TYPE_STRING}, {"total", v1::SCALAR_TYPE_NUMBER});
  return schema;
}

const PageTokenCodec& Tokens() {
  static const PageTokenCodec* codec =
      new PageTokenCodec(*PageTokenCodec::Create({std::string(32, 's')}, absl::Hours(24)));
  return *codec;
}
absl::Time Now() { return absl::FromUnixSeconds(1'700'000'000); }

v1::ScanRequest Scan(const std::string& table = "orders") {
  v1::ScanRequest r;
  r.set_table(table);
  return r;
}

ErrorOr<ScanPlan> Translate(const v1::ScanRequest& r, const TableSchema& schema = Orders(), absl::Time now = Now()) {
  return TranslateScan(r, schema, Tokens(), now);
}

ScanPlan Ok(const ErrorOr<ScanPlan>& result) {
  if (!result.ok()) {
    ADD_FAILURE() << result.error().message() << "\n" << Describe(result.error().field_violations());
    return ScanPlan();
  }
  return result.value();
}

const json kStartKey = json::parse(R"({"pk": {"S": "customer#9"}, "sk": {"N": "12"}})");

// ---------------------------------------------------------------------------------------------------------
// Page calls

TEST(TranslateScanTest, PlainScanPagesOfTheDefaultSize) {
  const ScanPlan plan = Ok(Translate(Scan()));
  EXPECT_EQ(plan.page_size(), 1000u);
  EXPECT_EQ(plan.limit(), 0u);
  EXPECT_FALSE(plan.resume_key().has_value());
  const BackendCall first = plan.PageCall(nullptr, plan.page_size());
  EXPECT_STREQ(first.operation, "Scan");
  EXPECT_EQ(first.access, AccessKind::kRead);
  EXPECT_EQ(first.table, "orders");
  EXPECT_EQ(Body(first), json::parse(R"({"TableName": "orders", "Limit": 1000})"));

  const BackendCall next = plan.PageCall(&kStartKey, 7);
  EXPECT_EQ(Body(next), json::parse(R"({"TableName": "orders", "Limit": 7,
                                        "ExclusiveStartKey": {"pk": {"S": "customer#9"}, "sk": {"N": "12"}}})"));
}

TEST(TranslateScanTest, PageSizeAndLimit) {
  v1::ScanRequest r = Scan();
  r.set_page_size(1000);
  r.set_limit(5'000'000'000ULL);
  ScanPlan plan = Ok(Translate(r));
  EXPECT_EQ(plan.page_size(), 1000u);
  EXPECT_EQ(plan.limit(), 5'000'000'000ULL);

  r.set_page_size(1);
  r.set_limit(1);
  plan = Ok(Translate(r));
  EXPECT_EQ(plan.page_size(), 1u);
  EXPECT_EQ(plan.limit(), 1u);

  r.set_page_size(1001);
  EXPECT_THAT(ViolatedFields(Translate(r)), ElementsAre("page_size"));
}

TEST(TranslateScanTest, Segments) {
  v1::ScanRequest r = Scan();
  r.set_segment(3);
  r.set_total_segments(4);
  EXPECT_EQ(Body(Ok(Translate(r)).PageCall(nullptr, 10)),
            json::parse(R"({"TableName": "orders", "Segment": 3, "TotalSegments": 4, "Limit": 10})"));

  r.set_segment(0);
  r.set_total_segments(1);
  EXPECT_EQ(Body(Ok(Translate(r)).PageCall(nullptr, 10)),
            json::parse(R"({"TableName": "orders", "Segment": 0, "TotalSegments": 1, "Limit": 10})"));

  r.set_segment(999'999);
  r.set_total_segments(1'000'000);
  EXPECT_TRUE(Translate(r).ok());
}

TEST(TranslateScanTest, InvalidSegments) {
  v1::ScanRequest r = Scan();
  r.set_segment(4);
  r.set_total_segments(4);
  EXPECT_THAT(ViolatedFields(Translate(r)), ElementsAre("segment"));

  r.set_segment(0);
  r.set_total_segments(1'000'001);
  EXPECT_THAT(ViolatedFields(Translate(r)), ElementsAre("total_segments"));

  r.set_segment(1);
  r.set_total_segments(0);
  EXPECT_THAT(ViolatedFields(Translate(r)), ElementsAre("segment"));

  // Every problem at once.
  r.set_segment(9);
  r.set_total_segments(3);
  r.set_page_size(5000);
  r.set_table("");
  EXPECT_THAT(ViolatedFields(Translate(r)), ElementsAre("table", "segment", "page_size"));
}

TEST(TranslateScanTest, IndexesFilterProjectionConsistency) {
  v1::ScanRequest r = Scan();
  r.set_index("by_total");
  r.set_consistent_read(true);
  r.mutable_filter()->set_attribute_exists("a b");
  r.add_projection("pk");
  r.add_projection("x.`y z`");
  const json body = Body(Ok(Translate(r)).PageCall(nullptr, 100));
  EXPECT_EQ(body["IndexName"], "by_total");
  EXPECT_EQ(body["ConsistentRead"], true);
  EXPECT_ONLY_PLACEHOLDERS(body["FilterExpression"].get<std::string>());
  EXPECT_ONLY_PLACEHOLDERS(body["ProjectionExpression"].get<std::string>());
  std::vector<std::string> names;
  for (const auto& [placeholder, name] : body["ExpressionAttributeNames"].items()) names.push_back(name);
  EXPECT_THAT(names, ::testing::UnorderedElementsAre("a b", "pk", "x", "y z"));

  // Consistent reads are not available on a global index.
  r.set_index("by_status");
  EXPECT_THAT(ViolatedFields(Translate(r)), ElementsAre("consistent_read"));
  r.set_consistent_read(false);
  EXPECT_TRUE(Translate(r).ok());

  r.set_index("nope");
  const ErrorOr<ScanPlan> missing = Translate(r);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().reason(), v1::INDEX_NOT_FOUND);
  EXPECT_EQ(missing.error().code(), absl::StatusCode::kNotFound);
}

TEST(TranslateScanTest, BadFilterAndProjectionAreReportedWithTheirFields) {
  v1::ScanRequest r = Scan();
  r.mutable_filter()->mutable_any_of();  // no conditions
  r.add_projection("x[");
  const std::vector<std::string> fields = ViolatedFields(Translate(r));
  ASSERT_EQ(fields.size(), 2u);
  EXPECT_EQ(fields[0].rfind("filter", 0), 0u) << fields[0];
  EXPECT_EQ(fields[1], "projection[0]");
}

// ---------------------------------------------------------------------------------------------------------
// Resume tokens

TEST(ScanResumeTokenTest, RoundTripResumesAfterTheKey) {
  v1::ScanRequest r = Scan();
  r.set_segment(1);
  r.set_total_segments(3);
  r.mutable_filter()->set_attribute_exists("a");
  const ScanPlan plan = Ok(Translate(r));
  const std::string token = plan.ResumeToken(Tokens(), kStartKey, Now());
  EXPECT_FALSE(token.empty());

  r.set_resume_token(token);
  const ScanPlan resumed = Ok(Translate(r, Orders(), Now() + absl::Hours(1)));
  ASSERT_TRUE(resumed.resume_key().has_value());
  EXPECT_EQ(*resumed.resume_key(), kStartKey);
  EXPECT_EQ(Body(resumed.PageCall(&*resumed.resume_key(), 10))["ExclusiveStartKey"], kStartKey);

  // limit and page_size are not part of the binding.
  r.set_limit(17);
  r.set_page_size(3);
  EXPECT_EQ(*Ok(Translate(r)).resume_key(), kStartKey);
}

TEST(ScanResumeTokenTest, BoundToTheScan) {
  v1::ScanRequest original = Scan();
  original.set_segment(0);
  original.set_total_segments(2);
  original.add_projection("pk");
  const std::string token = Ok(Translate(original)).ResumeToken(Tokens(), kStartKey, Now());

  std::vector<std::pair<std::string, v1::ScanRequest>> others;
  {
    v1::ScanRequest r = original;
    r.set_segment(1);
    others.emplace_back("segment", r);
  }
  {
    v1::ScanRequest r = original;
    r.set_total_segments(4);
    others.emplace_back("total_segments", r);
  }
  {
    v1::ScanRequest r = original;
    r.set_total_segments(0);
    r.set_segment(0);
    others.emplace_back("no segments", r);
  }
  {
    v1::ScanRequest r = original;
    r.set_table("other");
    others.emplace_back("table", r);
  }
  {
    v1::ScanRequest r = original;
    r.set_index("by_total");
    others.emplace_back("index", r);
  }
  {
    v1::ScanRequest r = original;
    r.mutable_filter()->set_attribute_exists("a");
    others.emplace_back("filter", r);
  }
  {
    v1::ScanRequest r = original;
    r.add_projection("sk");
    others.emplace_back("projection", r);
  }
  {
    v1::ScanRequest r = original;
    r.set_consistent_read(true);
    others.emplace_back("consistency", r);
  }
  for (auto& [what, r] : others) {
    r.set_resume_token(token);
    const ErrorOr<ScanPlan> result = Translate(r);
    ASSERT_FALSE(result.ok()) << what;
    EXPECT_EQ(result.error().code(), absl::StatusCode::kInvalidArgument) << what;
    EXPECT_EQ(result.error().reason(), v1::INVALID_PAGE_TOKEN) << what;
  }
}

TEST(ScanResumeTokenTest, TamperedForeignAndExpiredTokens) {
  v1::ScanRequest r = Scan();
  const std::string token = Ok(Translate(r)).ResumeToken(Tokens(), kStartKey, Now());

  // Every single-character change is detected.
  int rejected = 0;
  for (size_t i = 0; i < token.size(); ++i) {
    std::string tampered = token;
    tampered[i] = tampered[i] == 'A' ? 'B' : 'A';
    r.set_resume_token(tampered);
    const ErrorOr<ScanPlan> result = Translate(r);
    if (!result.ok() && result.error().reason() == v1::INVALID_PAGE_TOKEN) ++rejected;
  }
  EXPECT_EQ(rejected, static_cast<int>(token.size()));

  // A token of another gateway (another key).
  const PageTokenCodec other = *PageTokenCodec::Create({std::string(32, 'o')}, absl::Hours(24));
  r.set_resume_token(Ok(Translate(Scan(), Orders())).ResumeToken(other, kStartKey, Now()));
  ErrorOr<ScanPlan> result = Translate(r);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().reason(), v1::INVALID_PAGE_TOKEN);

  r.set_resume_token("garbage");
  result = Translate(r);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().reason(), v1::INVALID_PAGE_TOKEN);

  r.set_resume_token(token);
  result = Translate(r, Orders(), Now() + absl::Hours(25));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(result.error().reason(), v1::PAGE_TOKEN_EXPIRED);
}

// ---------------------------------------------------------------------------------------------------------
// Pages

TEST(ParseScanPageTest, ItemsVersionsCountAndLastKey) {
  TableSchema schema = Orders();
  schema.version_attribute = "ver";
  v1::ScanResponse out;
  const ErrorOr<ScanPage> page = ParseScanPage(*Answer::Parse(R"({
      "Items": [{"pk": {"S": "a"}, "sk": {"N": "1"}, "ver": {"N": "3"}},
                {"pk": {"S": "b"}, "sk": {"N": "2"}}],
      "Count": 2, "ScannedCount": 5,
      "LastEvaluatedKey": {"pk": {"S": "b"}, "sk": {"N": "2"}}})"),
                                               schema, &out);
  ASSERT_TRUE(page.ok()) << page.error().message();
  EXPECT_EQ(page->scanned_count, 5u);
  ASSERT_TRUE(page->last_key.has_value());
  EXPECT_EQ(*page->last_key, json::parse(R"({"pk": {"S": "b"}, "sk": {"N": "2"}})"));
  ASSERT_EQ(out.items_size(), 2);
  EXPECT_EQ(out.items(0).attributes().at("pk").string_value(), "a");
  ASSERT_TRUE(out.items(0).has_version());
  EXPECT_EQ(out.items(0).version(), 3u);
  EXPECT_FALSE(out.items(1).has_version());
}

TEST(ParseScanPageTest, LastPageAndEmptyPage) {
  v1::ScanResponse out;
  ErrorOr<ScanPage> page =
      ParseScanPage(*Answer::Parse(R"({"Items": [], "Count": 0, "ScannedCount": 0})"), Orders(), &out);
  ASSERT_TRUE(page.ok());
  EXPECT_FALSE(page->last_key.has_value());
  EXPECT_EQ(out.items_size(), 0);

  // Not versioned: no version even when an attribute has that name.
  page = ParseScanPage(*Answer::Parse(R"({"Items": [{"pk": {"S": "a"}, "ver": {"N": "3"}}], "ScannedCount": 1})"),
                       Orders(), &out);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(out.items_size(), 1);
  EXPECT_FALSE(out.items(0).has_version());
}

TEST(ParseScanPageTest, MalformedAnswers) {
  for (const char* body : {R"({"Items": {}})", R"({"Items": [{"pk": {"Q": "a"}}]})"}) {
    v1::ScanResponse out;
    const ErrorOr<ScanPage> page = ParseScanPage(*Answer::Parse(body), Orders(), &out);
    ASSERT_FALSE(page.ok()) << body;
    EXPECT_EQ(page.error().reason(), v1::BACKEND_ERROR) << body;
  }
}

}  // namespace
}  // namespace altgw::model
