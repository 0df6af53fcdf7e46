// Query translation: key conditions for every SortKeyOperator, BETWEEN bound order (numbers by value, strings
// and bytes bytewise), index rules, page size, filter/projection/order, page tokens bound to the request
// (round trip through ParseQueryResponse; other request, expired, forged), and CompareCanonicalDecimals.
#include "model/query_requests.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/decimal.h"
#include "model/expression_checks.h"
#include "model/value_builders.h"

namespace altgw::model {
namespace {

using namespace ::altgw::model::testing;  // NOLINT: builders
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// orders: pk (S) + sk (N); GSI by_status: status (S) + placed (S); LSI by_total: pk + total (N);
// GSI by_customer: customer (S), no sort key.
TableSchema Orders() {
  TableSchema schema = Schema("orders", {"pk", v1::SCALAR_TYPE_STRING}, {"sk", v1::SCALAR_TYPE_NUMBER});
  AddIndex(schema, "by_status", true, {"status", v1::SCALAR_TYPE_STRING}, {"placed", v1::SCALAR_TYPE_STRING});
  AddIndex(schema, "by_total", false, {"pk", v1::SCALAR_TYPE_STRING}, {"total", v1::SCALAR_TYPE_NUMBER});
  AddIndex(schema, "by_customer", true, {"customer", v1::SCALAR_TYPE_STRING});
  return schema;
}
TableSchema Blobs() { return Schema("blobs", {"h", v1::SCALAR_TYPE_BINARY}, {"r", v1::SCALAR_TYPE_BINARY}); }

const PageTokenCodec& Tokens() {
  static const PageTokenCodec* codec =
      new PageTokenCodec(*PageTokenCodec::Create({std::string(32, 'k')}, absl::Hours(24)));
  return *codec;
}
absl::Time Now() { return absl::FromUnixSeconds(1'700'000'000); }

v1::QueryRequest Query(const std::string& pk) {
  v1::QueryRequest r;
  r.set_table("orders");
  *r.mutable_partition_key() = S(pk);
  return r;
}
v1::QueryRequest WithSort(v1::QueryRequest r, v1::SortKeyOperator op, const v1::Value& value,
                          const v1::Value* upper = nullptr) {
  r.mutable_sort_key()->set_operator_(op);
  *r.mutable_sort_key()->mutable_value() = value;
  if (upper != nullptr) *r.mutable_sort_key()->mutable_upper() = *upper;
  return r;
}

QueryCall Ok(const ErrorOr<QueryCall>& result) {
  if (!result.ok()) {
    ADD_FAILURE() << result.error().message() << "\n" << Describe(result.error().field_violations());
    static const QueryCall* empty = new QueryCall();
    return *empty;
  }
  return result.value();
}

ErrorOr<QueryCall> Translate(const v1::QueryRequest& r, const TableSchema& schema = Orders(),
                             absl::Time now = Now()) {
  return TranslateQuery(r, schema, Tokens(), now);
}

// ---------------------------------------------------------------------------------------------------------
// Bodies

TEST(TranslateQueryTest, PartitionKeyOnly) {
  const QueryCall& q = Ok(Translate(Query("customer#1")));
  EXPECT_STREQ(q.call.operation, "Query");
  EXPECT_EQ(Body(q.call), json::parse(R"({
      "TableName": "orders",
      "KeyConditionExpression": "#n0 = :v0",
      "ExpressionAttributeNames": {"#n0": "pk"},
      "ExpressionAttributeValues": {":v0": {"S": "customer#1"}},
      "Limit": 100})"));
  EXPECT_EQ(q.call.access, AccessKind::kRead);
  EXPECT_FALSE(q.call.read_modify_write);
  EXPECT_FALSE(q.call.conditional);
  EXPECT_EQ(q.call.table, "orders");
  // The binding is the request without Limit and ExclusiveStartKey.
  json binding = Body(q.call);
  binding.erase("Limit");
  EXPECT_EQ(json::parse(q.binding), binding);
}

TEST(TranslateQueryTest, EverySortKeyOperator) {
  struct Case {
    v1::SortKeyOperator op;
    std::string key_condition;
  };
  const Case cases[] = {
      {v1::SORT_KEY_OPERATOR_EQUAL, "#n0 = :v0 AND #n1 = :v1"},
      {v1::SORT_KEY_OPERATOR_LESS, "#n0 = :v0 AND #n1 < :v1"},
      {v1::SORT_KEY_OPERATOR_LESS_OR_EQUAL, "#n0 = :v0 AND #n1 <= :v1"},
      {v1::SORT_KEY_OPERATOR_GREATER, "#n0 = :v0 AND #n1 > :v1"},
      {v1::SORT_KEY_OPERATOR_GREATER_OR_EQUAL, "#n0 = :v0 AND #n1 >= :v1"},
  };
  for (const Case& c : cases) {
    const json body = Body(Ok(Translate(WithSort(Query("c"), c.op, N("1e1")))).call);
    EXPECT_EQ(body["KeyConditionExpression"], c.key_condition);
    EXPECT_EQ(body["ExpressionAttributeNames"], json({{"#n0", "pk"}, {"#n1", "sk"}}));
    EXPECT_EQ(body["ExpressionAttributeValues"], json::parse(R"({":v0": {"S": "c"}, ":v1": {"N": "10"}})"));
  }
  {
    const v1::Value upper = Int(20);
    const json body = Body(Ok(Translate(WithSort(Query("c"), v1::SORT_KEY_OPERATOR_BETWEEN, Int(10), &upper))).call);
    EXPECT_EQ(body["KeyConditionExpression"], "#n0 = :v0 AND #n1 BETWEEN :v1 AND :v2");
    EXPECT_EQ(body["ExpressionAttributeValues"],
              json::parse(R"({":v0": {"S": "c"}, ":v1": {"N": "10"}, ":v2": {"N": "20"}})"));
  }
  {
    v1::QueryRequest r = WithSort(Query("open"), v1::SORT_KEY_OPERATOR_BEGINS_WITH, S("2024-"));
    r.set_index("by_status");
    const json body = Body(Ok(Translate(r)).call);
    EXPECT_EQ(body, json::parse(R"json({
        "TableName": "orders",
        "IndexName": "by_status",
        "KeyConditionExpression": "#n0 = :v0 AND begins_with(#n1, :v1)",
        "ExpressionAttributeNames": {"#n0": "status", "#n1": "placed"},
        "ExpressionAttributeValues": {":v0": {"S": "open"}, ":v1": {"S": "2024-"}},
        "Limit": 100})json"));
  }
  {
    v1::QueryRequest r = WithSort(Query(""), v1::SORT_KEY_OPERATOR_BEGINS_WITH, B("\x01\x02"));
    *r.mutable_partition_key() = B("h");
    r.set_table("blobs");
    const json body = Body(Ok(Translate(r, Blobs())).call);
    EXPECT_EQ(body["KeyConditionExpression"], "#n0 = :v0 AND begins_with(#n1, :v1)");
    EXPECT_EQ(body["ExpressionAttributeValues"], json::parse(R"({":v0": {"B": "aA=="}, ":v1": {"B": "AQI="}})"));
  }
}

TEST(TranslateQueryTest, SortKeyErrors) {
  struct Case {
    v1::QueryRequest request;
    std::vector<std::string> fields;
  };
  v1::QueryRequest upper_without_between = WithSort(Query("c"), v1::SORT_KEY_OPERATOR_LESS, Int(1));
  *upper_without_between.mutable_sort_key()->mutable_upper() = Int(2);
  v1::QueryRequest hash_only = WithSort(Query("c"), v1::SORT_KEY_OPERATOR_EQUAL, S("x"));
  hash_only.set_index("by_customer");
  const v1::Value string_upper = S("9");
  const v1::Value no_value;
  // The fields named by the violations (a value with no kind set may be reported twice on its field).
  const Case cases[] = {
      {WithSort(Query("c"), v1::SORT_KEY_OPERATOR_BEGINS_WITH, Int(1)), {"sort_key.operator"}},
      {WithSort(Query("c"), v1::SORT_KEY_OPERATOR_UNSPECIFIED, Int(1)), {"sort_key.operator"}},
      {WithSort(Query("c"), static_cast<v1::SortKeyOperator>(99), Int(1)), {"sort_key.operator"}},
      {WithSort(Query("c"), v1::SORT_KEY_OPERATOR_EQUAL, S("1")), {"sort_key.value"}},
      {WithSort(Query("c"), v1::SORT_KEY_OPERATOR_EQUAL, v1::Value()), {"sort_key.value"}},
      {WithSort(Query("c"), v1::SORT_KEY_OPERATOR_BETWEEN, Int(1), &string_upper), {"sort_key.upper"}},
      {WithSort(Query("c"), v1::SORT_KEY_OPERATOR_BETWEEN, Int(1), &no_value), {"sort_key.upper"}},
      {WithSort(Query("c"), v1::SORT_KEY_OPERATOR_BETWEEN, Int(1)), {"sort_key.upper"}},
      {upper_without_between, {"sort_key.upper"}},
      {hash_only, {"sort_key"}},
  };
  for (const Case& c : cases) {
    std::vector<std::string> fields = ViolatedFields(Translate(c.request));
    fields.erase(std::unique(fields.begin(), fields.end()), fields.end());
    EXPECT_EQ(fields, c.fields) << c.request.ShortDebugString();
  }
  // Sort keys are non-empty and at most 1024 bytes.
  v1::QueryRequest r = WithSort(Query("open"), v1::SORT_KEY_OPERATOR_BEGINS_WITH, S(""));
  r.set_index("by_status");
  EXPECT_THAT(ViolatedFields(Translate(r)), ElementsAre("sort_key.value"));
  *r.mutable_sort_key()->mutable_value() = S(std::string(1025, 'x'));
  EXPECT_THAT(ViolatedFields(Translate(r)), ElementsAre("sort_key.value"));
  *r.mutable_sort_key()->mutable_value() = S(std::string(1024, 'x'));
  EXPECT_TRUE(Translate(r).ok());
}

TEST(TranslateQueryTest, PartitionKeyErrors) {
  for (const v1::Value& bad : {Int(1), S(""), B("x"), v1::Value(), S(std::string(2049, 'p'))}) {
    v1::QueryRequest r = Query("x");
    *r.mutable_partition_key() = bad;
    EXPECT_THAT(ViolatedFields(Translate(r)), ElementsAre("partition_key")) << bad.ShortDebugString();
  }
  v1::QueryRequest r = Query(std::string(2048, 'p'));
  EXPECT_TRUE(Translate(r).ok());
  v1::QueryRequest no_pk;
  no_pk.set_table("orders");
  EXPECT_THAT(ViolatedFields(Translate(no_pk)), ElementsAre("partition_key"));
}

// BETWEEN needs lower <= upper as DynamoDB orders keys: numbers by value, strings and binary by unsigned
// bytes (DynamoDB Local rejects a reversed pair with a ValidationException).
TEST(TranslateQueryTest, BetweenBoundsMustBeInOrder) {
  auto between = [](const v1::Value& lower, const v1::Value& upper) {
    return Translate(WithSort(Query("c"), v1::SORT_KEY_OPERATOR_BETWEEN, lower, &upper));
  };
  // Numbers compare numerically, not as text.
  EXPECT_TRUE(between(Int(9), Int(10)).ok());
  EXPECT_TRUE(between(N("-10"), N("-9")).ok());
  EXPECT_TRUE(between(N("-0.5"), N("0.25")).ok());
  EXPECT_TRUE(between(N("1e3"), Int(1000)).ok());  // equal bounds
  EXPECT_TRUE(between(N("0.999"), Int(1)).ok());
  EXPECT_THAT(ViolatedFields(between(Int(10), Int(9))), ElementsAre("sort_key"));
  EXPECT_THAT(ViolatedFields(between(N("-9"), N("-10"))), ElementsAre("sort_key"));
  EXPECT_THAT(ViolatedFields(between(N("0.25"), N("0.125"))), ElementsAre("sort_key"));

  // Strings compare by UTF-8 bytes, unsigned.
  auto between_strings = [](const std::string& lower, const std::string& upper) {
    v1::QueryRequest r = WithSort(Query("open"), v1::SORT_KEY_OPERATOR_BETWEEN, S(lower));
    *r.mutable_sort_key()->mutable_upper() = S(upper);
    r.set_index("by_status");
    return Translate(r);
  };
  EXPECT_TRUE(between_strings("a", "b").ok());
  EXPECT_TRUE(between_strings("Z", "a").ok());
  EXPECT_TRUE(between_strings("z", "\xC3\xA9").ok());  // é (0xC3...) sorts after every ASCII letter
  EXPECT_TRUE(between_strings("ab", "ab").ok());
  EXPECT_TRUE(between_strings("ab", "abc").ok());
  EXPECT_FALSE(between_strings("b", "a").ok());
  EXPECT_FALSE(between_strings("\xC3\xA9", "z").ok());
  EXPECT_FALSE(between_strings("abc", "ab").ok());

  // Binary values compare by raw bytes, unsigned (their base64 text orders differently: "/w==" < "AA==").
  auto between_bytes = [](const std::string& lower, const std::string& upper) {
    v1::QueryRequest r = WithSort(Query(""), v1::SORT_KEY_OPERATOR_BETWEEN, B(lower));
    *r.mutable_sort_key()->mutable_upper() = B(upper);
    *r.mutable_partition_key() = B("h");
    r.set_table("blobs");
    return Translate(r, Blobs());
  };
  EXPECT_TRUE(between_bytes(std::string("\x00", 1), "\xff").ok());
  EXPECT_TRUE(between_bytes("\x7f", "\x80").ok());
  EXPECT_TRUE(between_bytes("a", "a\x00").ok());
  EXPECT_THAT(ViolatedFields(between_bytes("\xff", std::string("\x00", 1))), ElementsAre("sort_key"));
  EXPECT_THAT(ViolatedFields(between_bytes("\x80", "\x7f")), ElementsAre("sort_key"));
}

TEST(TranslateQueryTest, IndexesConsistencyAndOptions) {
  {
    v1::QueryRequest r = Query("c");
    r.set_index("nope");
    const ErrorOr<QueryCall> q = Translate(r);
    ASSERT_FALSE(q.ok());
    EXPECT_EQ(q.error().code(), absl::StatusCode::kNotFound);
    EXPECT_EQ(q.error().reason(), v1::INDEX_NOT_FOUND);
    EXPECT_THAT(q.error().metadata(), ::testing::Contains(std::make_pair(std::string("index"), std::string("nope"))));
    EXPECT_THAT(q.error().metadata(), ::testing::Contains(std::make_pair(std::string("table"), std::string("orders"))));
  }
  {
    v1::QueryRequest r = Query("open");
    r.set_index("by_status");
    r.set_consistent_read(true);
    EXPECT_THAT(ViolatedFields(Translate(r)), ElementsAre("consistent_read"));
  }
  {
    v1::QueryRequest r = Query("c");
    r.set_index("by_total");  // a local index: consistent reads are fine
    r.set_consistent_read(true);
    r.set_descending(true);
    r.set_page_size(1000);
    *r.mutable_sort_key() = WithSort(r, v1::SORT_KEY_OPERATOR_GREATER, N("12.50")).sort_key();
    EXPECT_EQ(Body(Ok(Translate(r)).call), json::parse(R"({
        "TableName": "orders",
        "IndexName": "by_total",
        "KeyConditionExpression": "#n0 = :v0 AND #n1 > :v1",
        "ExpressionAttributeNames": {"#n0": "pk", "#n1": "total"},
        "ExpressionAttributeValues": {":v0": {"S": "c"}, ":v1": {"N": "12.5"}},
        "ConsistentRead": true,
        "ScanIndexForward": false,
        "Limit": 1000})"));
  }
  {
    v1::QueryRequest r = Query("c");
    r.set_page_size(1001);
    EXPECT_THAT(ViolatedFields(Translate(r)), ElementsAre("page_size"));
    r.set_page_size(1);
    EXPECT_EQ(Body(Ok(Translate(r)).call)["Limit"], 1);
  }
  {
    v1::QueryRequest r = Query("c");
    r.set_table("no");
    EXPECT_THAT(ViolatedFields(Translate(r)), ElementsAre("table"));
  }
}

TEST(TranslateQueryTest, FilterAndProjectionShareThePlaceholders) {
  v1::QueryRequest r = WithSort(Query("c"), v1::SORT_KEY_OPERATOR_GREATER_OR_EQUAL, Int(5));
  r.mutable_filter()->mutable_comparison()->set_path("sk");
  r.mutable_filter()->mutable_comparison()->set_comparator(v1::COMPARATOR_NOT_EQUAL);
  *r.mutable_filter()->mutable_comparison()->mutable_value() = Int(6);
  r.add_projection("pk");
  r.add_projection("a.`b c`");
  EXPECT_EQ(Body(Ok(Translate(r)).call), json::parse(R"({
      "TableName": "orders",
      "KeyConditionExpression": "#n0 = :v0 AND #n1 >= :v1",
      "FilterExpression": "#n1 <> :v2",
      "ProjectionExpression": "#n0, #n2.#n3",
      "ExpressionAttributeNames": {"#n0": "pk", "#n1": "sk", "#n2": "a", "#n3": "b c"},
      "ExpressionAttributeValues": {":v0": {"S": "c"}, ":v1": {"N": "5"}, ":v2": {"N": "6"}},
      "Limit": 100})"));

  v1::QueryRequest bad = Query("c");
  bad.mutable_filter()->mutable_any_of();
  bad.add_projection("x[");
  EXPECT_THAT(ViolatedFields(Translate(bad)), ElementsAre("filter.any_of.conditions", "projection[0]"));
}

// Key attribute names come from the schema and may be hostile too.
TEST(TranslateQueryTest, HostileKeyNamesStayOutOfTheExpression) {
  for (const std::string& name : HostileNames()) {
    const TableSchema schema =
        Schema("hostile", {name, v1::SCALAR_TYPE_STRING}, {name + "#2", v1::SCALAR_TYPE_STRING});
    v1::QueryRequest r = WithSort(Query("c"), v1::SORT_KEY_OPERATOR_BEGINS_WITH, S("p"));
    r.set_table("hostile");
    const json body = Body(Ok(Translate(r, schema)).call);
    EXPECT_ONLY_PLACEHOLDERS(body["KeyConditionExpression"].get<std::string>());
    EXPECT_EQ(body["ExpressionAttributeNames"], json({{"#n0", name}, {"#n1", name + "#2"}}));
  }
}

// ---------------------------------------------------------------------------------------------------------
// Pages

TEST(QueryPagesTest, TokenRoundTripsThroughTheResponse) {
  v1::QueryRequest r = WithSort(Query("c"), v1::SORT_KEY_OPERATOR_GREATER, Int(0));
  r.set_page_size(2);
  const QueryCall& first = Ok(Translate(r));
  const json answer = json::parse(R"({
      "Items": [{"pk": {"S": "c"}, "sk": {"N": "1"}}, {"pk": {"S": "c"}, "sk": {"N": "2.5"}}],
      "Count": 2, "ScannedCount": 3,
      "LastEvaluatedKey": {"pk": {"S": "c"}, "sk": {"N": "2.5"}}})");
  const ErrorOr<v1::QueryResponse> page =
      ParseQueryResponse(Answer::FromJson(answer), first.binding, Tokens(), Now(), Orders());
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items_size(), 2);
  EXPECT_EQ(page->items(0).attributes().at("sk").number_value().integer(), 1);
  EXPECT_EQ(page->items(1).attributes().at("sk").number_value().decimal(), "2.5");
  EXPECT_EQ(page->scanned_count(), 3u);
  ASSERT_FALSE(page->next_page_token().empty());

  // The next page: same request with the token (the page size may change).
  r.set_page_token(page->next_page_token());
  r.set_page_size(50);
  const QueryCall& second = Ok(Translate(r, Orders(), Now() + absl::Hours(1)));
  const json body = Body(second.call);
  EXPECT_EQ(body["ExclusiveStartKey"], json::parse(R"({"pk": {"S": "c"}, "sk": {"N": "2.5"}})"));
  EXPECT_EQ(body["Limit"], 50);
  EXPECT_EQ(second.binding, first.binding);

  // The last page has no token.
  const ErrorOr<v1::QueryResponse> last =
      ParseQueryResponse(*Answer::Parse(R"({"Items": [], "Count": 0, "ScannedCount": 0})"), second.binding, Tokens(),
                         Now(), Orders());
  ASSERT_TRUE(last.ok());
  EXPECT_TRUE(last->next_page_token().empty());
  EXPECT_EQ(last->items_size(), 0);
}

TEST(QueryPagesTest, TokensAreBoundToTheirRequest) {
  v1::QueryRequest original = WithSort(Query("c"), v1::SORT_KEY_OPERATOR_GREATER, Int(0));
  original.mutable_filter()->set_attribute_exists("x");
  const QueryCall& first = Ok(Translate(original));
  const std::string token =
      ParseQueryResponse(*Answer::Parse(R"({"Items": [], "LastEvaluatedKey": {"pk": {"S": "c"}, "sk": {"N": "1"}}})"),
                         first.binding, Tokens(), Now(), Orders())
          ->next_page_token();
  ASSERT_FALSE(token.empty());

  std::vector<std::pair<std::string, v1::QueryRequest>> others;
  {
    v1::QueryRequest r = original;
    *r.mutable_partition_key() = S("other");
    others.emplace_back("other partition key", r);
  }
  {
    v1::QueryRequest r = original;
    r.mutable_filter()->set_attribute_exists("y");
    others.emplace_back("other filter", r);
  }
  {
    v1::QueryRequest r = original;
    r.clear_filter();
    others.emplace_back("no filter", r);
  }
  {
    v1::QueryRequest r = original;
    r.set_descending(true);
    others.emplace_back("descending", r);
  }
  {
    v1::QueryRequest r = original;
    r.set_consistent_read(true);
    others.emplace_back("consistent", r);
  }
  {
    v1::QueryRequest r = original;
    r.add_projection("a");
    others.emplace_back("projection", r);
  }
  {
    v1::QueryRequest r = original;
    *r.mutable_sort_key()->mutable_value() = Int(1);
    others.emplace_back("sort key bound", r);
  }
  {
    v1::QueryRequest r = original;
    r.set_index("by_total");
    others.emplace_back("index", r);
  }
  for (auto& [what, request] : others) {
    request.set_page_token(token);
    const ErrorOr<QueryCall> q = Translate(request);
    ASSERT_FALSE(q.ok()) << what;
    EXPECT_EQ(q.error().code(), absl::StatusCode::kInvalidArgument) << what;
    EXPECT_EQ(q.error().reason(), v1::INVALID_PAGE_TOKEN) << what;
    EXPECT_THAT(FieldsOf(q.error()), ElementsAre("page_token")) << what;
  }
  // The same request still works, even with another page size.
  v1::QueryRequest same = original;
  same.set_page_token(token);
  same.set_page_size(7);
  EXPECT_TRUE(Translate(same).ok());
}

TEST(QueryPagesTest, ExpiredForgedAndForeignTokens) {
  v1::QueryRequest r = Query("c");
  const QueryCall& first = Ok(Translate(r));
  const std::string token =
      ParseQueryResponse(*Answer::Parse(R"({"LastEvaluatedKey": {"pk": {"S": "c"}, "sk": {"N": "1"}}})"), first.binding,
                         Tokens(), Now(), Orders())
          ->next_page_token();
  r.set_page_token(token);
  EXPECT_TRUE(Translate(r, Orders(), Now() + absl::Hours(24)).ok());  // still valid at its expiry

  const ErrorOr<QueryCall> expired = Translate(r, Orders(), Now() + absl::Hours(24) + absl::Seconds(1));
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.error().reason(), v1::PAGE_TOKEN_EXPIRED);
  EXPECT_EQ(expired.error().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(FieldsOf(expired.error()), ElementsAre("page_token"));

  // Altered tokens: every single-character change is detected.
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  // (The last character is skipped: it may carry unused low bits of the base64 encoding.)
  for (size_t i = 0; i + 1 < token.size(); i += 3) {
    std::string forged = token;
    forged[i] = alphabet[(alphabet.find(forged[i]) + 1) % alphabet.size()];
    r.set_page_token(forged);
    const ErrorOr<QueryCall> q = Translate(r);
    ASSERT_FALSE(q.ok()) << i;
    EXPECT_EQ(q.error().reason(), v1::INVALID_PAGE_TOKEN) << i;
  }
  for (const std::string& garbage : {std::string("x"), std::string("!!!!"), token.substr(0, 10), token + "AAAA",
                                     std::string(5000, 'A')}) {
    r.set_page_token(garbage);
    const ErrorOr<QueryCall> q = Translate(r);
    ASSERT_FALSE(q.ok()) << garbage;
    EXPECT_EQ(q.error().reason(), v1::INVALID_PAGE_TOKEN) << garbage;
  }
  // A token signed by another gateway's key.
  const PageTokenCodec other = *PageTokenCodec::Create({std::string(32, 'z')}, absl::Hours(24));
  r.set_page_token(other.Encode(first.binding, R"({"pk": {"S": "c"}, "sk": {"N": "1"}})", Now()));
  EXPECT_EQ(Translate(r).error().reason(), v1::INVALID_PAGE_TOKEN);
}

TEST(QueryPagesTest, DecodeStartKeyRejectsASignedNonObject) {
  const std::string token = Tokens().Encode("binding", "[1, 2]", Now());
  const ErrorOr<json> start = DecodeStartKey(Tokens(), token, "binding", Now(), "page_token");
  ASSERT_FALSE(start.ok());
  EXPECT_EQ(start.error().reason(), v1::INTERNAL_ERROR);
  const ErrorOr<json> ok = DecodeStartKey(Tokens(), Tokens().Encode("binding", R"({"a": 1})", Now()), "binding", Now(),
                                          "page_token");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, json({{"a", 1}}));
}

TEST(QueryPagesTest, MalformedAnswersAreBackendErrors) {
  for (const char* text : {R"({"Items": {}})", R"({"Items": [{"a": {"S": 1}}]})", R"({"Items": [[]]})"}) {
    const ErrorOr<v1::QueryResponse> r = ParseQueryResponse(*Answer::Parse(text), "b", Tokens(), Now(), Orders());
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.error().reason(), v1::BACKEND_ERROR) << text;
  }
  // A missing Items list is an empty page.
  EXPECT_TRUE(ParseQueryResponse(*Answer::Parse("{}"), "b", Tokens(), Now(), Orders()).ok());
}

// ---------------------------------------------------------------------------------------------------------
// CompareCanonicalDecimals

TEST(CompareCanonicalDecimalsTest, OrdersAKnownSequence) {
  // Strictly increasing canonical numbers.
  const std::vector<std::string> ordered = {
      "-99999999999999999999999999999999999999" + std::string(88, '0'),
      "-1000000",
      "-999999.999",
      "-1000",
      "-999.99",
      "-100",
      "-99",
      "-10",
      "-9.5",
      "-9.05",
      "-9",
      "-1.5",
      "-1",
      "-0.5",
      "-0.25",
      "-0.05",
      "-0.0001",
      "-" + std::string("0.") + std::string(129, '0') + "1",
      "0",
      "0." + std::string(129, '0') + "1",
      "0.0001",
      "0.001",
      "0.05",
      "0.1",
      "0.25",
      "0.5",
      "0.55",
      "0.9999999",
      "1",
      "1.05",
      "1.5",
      "9",
      "9.05",
      "9.5",
      "9.99",
      "10",
      "10.01",
      "99",
      "99.5",
      "100",
      "1000",
      "1000.5",
      "123456789",
      "99999999999999999999999999999999999999" + std::string(88, '0'),
  };
  for (size_t i = 0; i < ordered.size(); ++i) {
    // Each is canonical, as the function requires.
    ASSERT_EQ(Decimal::Parse(ordered[i])->canonical(), ordered[i]);
    for (size_t j = 0; j < ordered.size(); ++j) {
      const int expected = i < j ? -1 : (i > j ? 1 : 0);
      EXPECT_EQ(CompareCanonicalDecimals(ordered[i], ordered[j]), expected) << ordered[i] << " vs " << ordered[j];
    }
  }
}

TEST(CompareCanonicalDecimalsTest, AgreesWithDoublesOnRandomIntegersAndFractions) {
  uint64_t state = 88172645463325252ull;
  auto next = [&state] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  for (int i = 0; i < 5000; ++i) {
    // Values with few digits are exact in a double.
    const int64_t a_units = static_cast<int64_t>(next() % 2000001) - 1000000;
    const int64_t b_units = static_cast<int64_t>(next() % 2000001) - 1000000;
    const int a_scale = static_cast<int>(next() % 4);
    const int b_scale = static_cast<int>(next() % 4);
    const std::string a = Decimal::Parse(absl::StrCat(a_units, "e-", a_scale))->canonical();
    const std::string b = Decimal::Parse(absl::StrCat(b_units, "e-", b_scale))->canonical();
    const double da = std::stod(a);
    const double db = std::stod(b);
    const int expected = da < db ? -1 : (da > db ? 1 : 0);
    ASSERT_EQ(CompareCanonicalDecimals(a, b), expected) << a << " vs " << b;
  }
}

}  // namespace
}  // namespace altgw::model
