// Query: pagination over hundreds of items, every sort-key operator on number, string and bytes sort keys,
// filters (short and empty pages), projections, secondary indexes, and page tokens that only work with the
// request (and the gateway keys) that issued them.
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "integration_util.h"

namespace altgw::testing {
namespace {

constexpr int kItems = 437;

class QueryTest : public GatewaySuite {
 protected:
  static void SetUpTestSuite() {
    GatewaySuite::SetUpTestSuite();
    table_ = UniqueTableName("query");
    CreateTable(gateway(), table_, "pk", v1::SCALAR_TYPE_STRING, "sk", v1::SCALAR_TYPE_NUMBER);
    // 437 items under one partition key (written through the gateway by a few threads), and neighbours.
    std::vector<std::thread> writers;
    for (int t = 0; t < 8; ++t) {
      writers.emplace_back([t] {
        for (int i = t; i < kItems; i += 8) {
          ASSERT_TRUE(Ok(Call(gateway(), PutOf(table_, Item({{"pk", S("big")},
                                                            {"sk", I(i)},
                                                            {"i", I(i)},
                                                            {"even", Bool(i % 2 == 0)},
                                                            {"group", I(i % 10)},
                                                            {"payload", S("item-" + std::to_string(i))}})))));
        }
      });
    }
    for (auto& w : writers) w.join();
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(Ok(Call(gateway(), PutOf(table_, Item({{"pk", S("neighbour")}, {"sk", I(i)}})))));
      ASSERT_TRUE(Ok(Call(gateway(), PutOf(table_, Item({{"pk", S("bigger")}, {"sk", I(i)}})))));
    }
    for (const v1::Value& sk : MixedNumbers()) {
      ASSERT_TRUE(Ok(Call(gateway(), PutOf(table_, Item({{"pk", S("mixed")}, {"sk", sk}})))));
    }
  }

  // Number sort keys, in ascending numeric order (as the gateway returns them).
  static std::vector<v1::Value> MixedNumbers() {
    return {I(-10), N("-1.5"), N("-" + std::string("0.") + std::string(129, '0') + "1"), I(0), N("0.25"),
            I(2),     I(10),     I(100),                                                    N("100000000000000000000")};
  }

  static v1::QueryRequest Big() { return QueryOf(table_, S("big")); }

  inline static std::string table_;
};

std::vector<int64_t> SortKeys(const std::vector<Attributes>& items) {
  std::vector<int64_t> out;
  for (const auto& item : items) out.push_back(item.at("sk").number_value().integer());
  return out;
}

std::vector<int64_t> Range(int64_t from, int64_t to) {  // [from, to]
  std::vector<int64_t> out;
  for (int64_t i = from; i <= to; ++i) out.push_back(i);
  return out;
}

v1::SortKeyCondition SortKey(v1::SortKeyOperator op, const v1::Value& value) {
  v1::SortKeyCondition c;
  c.set_operator_(op);
  *c.mutable_value() = value;
  return c;
}

v1::SortKeyCondition SortKeyBetween(const v1::Value& lower, const v1::Value& upper) {
  v1::SortKeyCondition c = SortKey(v1::SORT_KEY_OPERATOR_BETWEEN, lower);
  *c.mutable_upper() = upper;
  return c;
}

TEST_F(QueryTest, PaginationReturnsEveryItemOnceInOrder) {
  for (uint32_t page_size : {0u, 1u, 37u, 1000u}) {
    for (bool descending : {false, true}) {
      SCOPED_TRACE(::testing::Message() << "page_size " << page_size << (descending ? " descending" : " ascending"));
      v1::QueryRequest query = Big();
      query.set_page_size(page_size);
      query.set_descending(descending);
      int pages = 0;
      std::vector<int> sizes;
      const std::vector<Attributes> items = QueryAll(gateway(), query, &pages, &sizes);
      std::vector<int64_t> expected = Range(0, kItems - 1);
      if (descending) std::reverse(expected.begin(), expected.end());
      EXPECT_EQ(SortKeys(items), expected);
      // Without a filter every page but the last is full.
      const int limit = page_size == 0 ? 100 : static_cast<int>(page_size);
      const int full_pages = kItems / limit;
      ASSERT_GE(static_cast<int>(sizes.size()), full_pages);
      for (int p = 0; p < full_pages; ++p) EXPECT_EQ(sizes[p], limit) << "page " << p;
      for (size_t p = full_pages; p < sizes.size(); ++p) EXPECT_LT(sizes[p], limit) << "page " << p;
      EXPECT_LE(pages, full_pages + 1);
      // Items are whole.
      EXPECT_TRUE(SameItem(Item({{"pk", S("big")},
                                 {"sk", I(expected[5])},
                                 {"i", I(expected[5])},
                                 {"even", Bool(expected[5] % 2 == 0)},
                                 {"group", I(expected[5] % 10)},
                                 {"payload", S("item-" + std::to_string(expected[5]))}}),
                           items[5]));
    }
  }
}

TEST_F(QueryTest, SortKeyOperatorsOnNumbers) {
  struct Case {
    const char* name;
    v1::SortKeyCondition condition;
    std::vector<int64_t> expected;
  };
  const std::vector<Case> cases = {
      {"= 5", SortKey(v1::SORT_KEY_OPERATOR_EQUAL, I(5)), {5}},
      {"= 5.0", SortKey(v1::SORT_KEY_OPERATOR_EQUAL, N("5.0")), {5}},
      {"= 1000", SortKey(v1::SORT_KEY_OPERATOR_EQUAL, I(1000)), {}},
      {"< 5", SortKey(v1::SORT_KEY_OPERATOR_LESS, I(5)), Range(0, 4)},
      {"<= 5", SortKey(v1::SORT_KEY_OPERATOR_LESS_OR_EQUAL, F(5.0)), Range(0, 5)},
      {"< 4.5", SortKey(v1::SORT_KEY_OPERATOR_LESS, N("4.5")), Range(0, 4)},
      {"> 430", SortKey(v1::SORT_KEY_OPERATOR_GREATER, I(430)), Range(431, 436)},
      {">= 430", SortKey(v1::SORT_KEY_OPERATOR_GREATER_OR_EQUAL, N("4.3e2")), Range(430, 436)},
      {"between 10 and 20", SortKeyBetween(I(10), I(20)), Range(10, 20)},
      {"between 7 and 7", SortKeyBetween(I(7), N("7")), {7}},
      {"between -5 and 2", SortKeyBetween(I(-5), I(2)), Range(0, 2)},
  };
  for (const Case& c : cases) {
    for (bool descending : {false, true}) {
      SCOPED_TRACE(::testing::Message() << c.name << (descending ? " descending" : ""));
      v1::QueryRequest query = Big();
      *query.mutable_sort_key() = c.condition;
      query.set_descending(descending);
      query.set_page_size(7);
      std::vector<int64_t> expected = c.expected;
      if (descending) std::reverse(expected.begin(), expected.end());
      EXPECT_EQ(SortKeys(QueryAll(gateway(), query)), expected);
    }
  }

  // Negative, fractional, tiny and huge numbers sort numerically (not as text).
  const std::vector<v1::Value> mixed = MixedNumbers();
  auto mixed_keys = [&](const v1::QueryRequest& query) {
    std::vector<v1::Value> out;
    for (const auto& item : QueryAll(gateway(), query)) out.push_back(item.at("sk"));
    return out;
  };
  auto expect_keys = [&](const std::vector<v1::Value>& actual, size_t from, size_t to) {  // mixed[from, to)
    ASSERT_EQ(actual.size(), to - from);
    for (size_t i = from; i < to; ++i) EXPECT_TRUE(SameValue(mixed[i], actual[i - from])) << i;
  };
  v1::QueryRequest query = QueryOf(table_, S("mixed"));
  expect_keys(mixed_keys(query), 0, mixed.size());
  *query.mutable_sort_key() = SortKey(v1::SORT_KEY_OPERATOR_LESS, I(0));
  expect_keys(mixed_keys(query), 0, 3);
  *query.mutable_sort_key() = SortKey(v1::SORT_KEY_OPERATOR_GREATER_OR_EQUAL, F(0.25));
  expect_keys(mixed_keys(query), 4, mixed.size());
  *query.mutable_sort_key() = SortKeyBetween(N("-1.50"), I(2));
  expect_keys(mixed_keys(query), 1, 6);
  *query.mutable_sort_key() = SortKey(v1::SORT_KEY_OPERATOR_GREATER, N("1e2"));
  expect_keys(mixed_keys(query), 8, 9);
  *query.mutable_sort_key() = SortKey(v1::SORT_KEY_OPERATOR_EQUAL, N("1e-130"));
  expect_keys(mixed_keys(query), 0, 0);
  *query.mutable_sort_key() = SortKey(v1::SORT_KEY_OPERATOR_EQUAL, N("-1e-130"));
  expect_keys(mixed_keys(query), 2, 3);
}

TEST_F(QueryTest, SortKeyOperatorsOnStrings) {
  const std::string table = UniqueTableName("query_str");
  CreateTable(gateway(), table, "pk", v1::SCALAR_TYPE_STRING, "sk", v1::SCALAR_TYPE_STRING);
  // Ascending order of their UTF-8 bytes.
  const std::vector<std::string> keys = {"0", "A", "Z", "a", "aa", "ab", "abc", "b", "ba", "c", "z", "é", "日本", "😀"};
  for (const auto& k : keys) ASSERT_TRUE(Ok(Call(gateway(), PutOf(table, Item({{"pk", S("p")}, {"sk", S(k)}})))));

  struct Case {
    const char* name;
    v1::SortKeyCondition condition;
    std::vector<std::string> expected;
  };
  const std::vector<Case> cases = {
      {"all", v1::SortKeyCondition(), keys},
      {"= ab", SortKey(v1::SORT_KEY_OPERATOR_EQUAL, S("ab")), {"ab"}},
      {"< b", SortKey(v1::SORT_KEY_OPERATOR_LESS, S("b")), {"0", "A", "Z", "a", "aa", "ab", "abc"}},
      {"<= b", SortKey(v1::SORT_KEY_OPERATOR_LESS_OR_EQUAL, S("b")), {"0", "A", "Z", "a", "aa", "ab", "abc", "b"}},
      {"> z", SortKey(v1::SORT_KEY_OPERATOR_GREATER, S("z")), {"é", "日本", "😀"}},
      {">= z", SortKey(v1::SORT_KEY_OPERATOR_GREATER_OR_EQUAL, S("z")), {"z", "é", "日本", "😀"}},
      {"between aa and b", SortKeyBetween(S("aa"), S("b")), {"aa", "ab", "abc", "b"}},
      {"begins_with a", SortKey(v1::SORT_KEY_OPERATOR_BEGINS_WITH, S("a")), {"a", "aa", "ab", "abc"}},
      {"begins_with ab", SortKey(v1::SORT_KEY_OPERATOR_BEGINS_WITH, S("ab")), {"ab", "abc"}},
      {"begins_with 日", SortKey(v1::SORT_KEY_OPERATOR_BEGINS_WITH, S("日")), {"日本"}},
      {"begins_with x", SortKey(v1::SORT_KEY_OPERATOR_BEGINS_WITH, S("x")), {}},
  };
  for (const Case& c : cases) {
    for (bool descending : {false, true}) {
      SCOPED_TRACE(::testing::Message() << c.name << (descending ? " descending" : ""));
      v1::QueryRequest query = QueryOf(table, S("p"));
      if (c.condition.operator_() != v1::SORT_KEY_OPERATOR_UNSPECIFIED) *query.mutable_sort_key() = c.condition;
      query.set_descending(descending);
      query.set_page_size(3);
      std::vector<std::string> actual;
      for (const auto& item : QueryAll(gateway(), query)) actual.push_back(item.at("sk").string_value());
      std::vector<std::string> expected = c.expected;
      if (descending) std::reverse(expected.begin(), expected.end());
      EXPECT_EQ(actual, expected);
    }
  }
}

TEST_F(QueryTest, SortKeyOperatorsOnBytes) {
  const std::string table = UniqueTableName("query_bytes");
  CreateTable(gateway(), table, "pk", v1::SCALAR_TYPE_BINARY, "sk", v1::SCALAR_TYPE_BINARY);
  // Ascending unsigned byte order.
  const std::vector<std::string> keys = {std::string(1, '\0'), std::string(2, '\0'), "\x01", "\x01\x02", "\x01\xff",
                                         "\x7f",               "\x80",               "\xff", "\xff\xff"};
  const std::string pk = std::string("\x00\xff", 2);
  for (const auto& k : keys) ASSERT_TRUE(Ok(Call(gateway(), PutOf(table, Item({{"pk", B(pk)}, {"sk", B(k)}})))));

  struct Case {
    const char* name;
    v1::SortKeyCondition condition;
    std::vector<std::string> expected;
  };
  const std::vector<Case> cases = {
      {"all", v1::SortKeyCondition(), keys},
      {"= 01 02", SortKey(v1::SORT_KEY_OPERATOR_EQUAL, B("\x01\x02")), {"\x01\x02"}},
      {"< 01", SortKey(v1::SORT_KEY_OPERATOR_LESS, B("\x01")), {keys[0], keys[1]}},
      {"<= 01", SortKey(v1::SORT_KEY_OPERATOR_LESS_OR_EQUAL, B("\x01")), {keys[0], keys[1], "\x01"}},
      {"> 7f", SortKey(v1::SORT_KEY_OPERATOR_GREATER, B("\x7f")), {"\x80", "\xff", "\xff\xff"}},
      {">= 80", SortKey(v1::SORT_KEY_OPERATOR_GREATER_OR_EQUAL, B("\x80")), {"\x80", "\xff", "\xff\xff"}},
      {"between 01 and 7f", SortKeyBetween(B("\x01"), B("\x7f")), {"\x01", "\x01\x02", "\x01\xff", "\x7f"}},
      {"begins_with 01", SortKey(v1::SORT_KEY_OPERATOR_BEGINS_WITH, B("\x01")), {"\x01", "\x01\x02", "\x01\xff"}},
      {"begins_with ff", SortKey(v1::SORT_KEY_OPERATOR_BEGINS_WITH, B("\xff")), {"\xff", "\xff\xff"}},
  };
  for (const Case& c : cases) {
    for (bool descending : {false, true}) {
      SCOPED_TRACE(::testing::Message() << c.name << (descending ? " descending" : ""));
      v1::QueryRequest query = QueryOf(table, B(pk));
      if (c.condition.operator_() != v1::SORT_KEY_OPERATOR_UNSPECIFIED) *query.mutable_sort_key() = c.condition;
      query.set_descending(descending);
      query.set_page_size(2);
      std::vector<std::string> actual;
      for (const auto& item : QueryAll(gateway(), query)) actual.push_back(item.at("sk").bytes_value());
      std::vector<std::string> expected = c.expected;
      if (descending) std::reverse(expected.begin(), expected.end());
      EXPECT_EQ(actual, expected);
    }
  }
}

// Filters drop items after the page limit applies: pages can be short or empty and still carry a token.
TEST_F(QueryTest, FilterPagesMayBeShortOrEmpty) {
  v1::QueryRequest query = Big();
  query.set_page_size(37);
  *query.mutable_filter() = Eq("even", Bool(true));
  std::vector<int> sizes;
  uint64_t scanned = 0;
  std::vector<Attributes> items = QueryAll(gateway(), query, nullptr, &sizes, &scanned);
  std::vector<int64_t> expected;
  for (int i = 0; i < kItems; i += 2) expected.push_back(i);
  EXPECT_EQ(SortKeys(items), expected);
  EXPECT_EQ(scanned, static_cast<uint64_t>(kItems));
  EXPECT_LT(*std::max_element(sizes.begin(), sizes.end()), 37) << "a filtered page was full";

  // A filter that matches nothing: every page is empty, yet the tokens go on until the partition ends.
  *query.mutable_filter() = Eq("group", I(99));
  query.set_page_size(50);
  int pages = 0;
  sizes.clear();
  scanned = 0;
  items = QueryAll(gateway(), query, &pages, &sizes, &scanned);
  EXPECT_TRUE(items.empty());
  EXPECT_GE(pages, (kItems + 49) / 50);
  EXPECT_EQ(scanned, static_cast<uint64_t>(kItems));

  // A richer filter, descending.
  *query.mutable_filter() = AllOf({In("group", {I(3), I(7)}), Compare("i", v1::COMPARATOR_GREATER, I(400)),
                                   BeginsWith("payload", S("item-4"))});
  query.set_descending(true);
  query.set_page_size(0);
  EXPECT_EQ(SortKeys(QueryAll(gateway(), query)), (std::vector<int64_t>{437 - 4, 427, 423, 417, 413, 407, 403}));
}

TEST_F(QueryTest, Projection) {
  v1::QueryRequest query = Big();
  query.add_projection("payload");
  query.add_projection("i");
  query.set_page_size(100);
  const std::vector<Attributes> items = QueryAll(gateway(), query);
  ASSERT_EQ(items.size(), static_cast<size_t>(kItems));
  for (int i = 0; i < kItems; ++i) {
    ASSERT_TRUE(SameItem(Item({{"i", I(i)}, {"payload", S("item-" + std::to_string(i))}}), items[i]));
  }
}

// Partitions are separate: neighbours (and a partition key that has "big" as a prefix) never appear.
TEST_F(QueryTest, OnlyThePartitionAsked) {
  EXPECT_EQ(SortKeys(QueryAll(gateway(), QueryOf(table_, S("neighbour")))), Range(0, 2));
  EXPECT_EQ(SortKeys(QueryAll(gateway(), QueryOf(table_, S("bigger")))), Range(0, 2));
  EXPECT_TRUE(QueryAll(gateway(), QueryOf(table_, S("nobody"))).empty());
  v1::QueryResponse response;
  ASSERT_TRUE(Ok(Call(gateway(), QueryOf(table_, S("nobody")), &response)));
  EXPECT_TRUE(response.next_page_token().empty());
}

TEST_F(QueryTest, QueryRequestValidation) {
  v1::QueryRequest query = Big();
  *query.mutable_sort_key() = SortKey(v1::SORT_KEY_OPERATOR_BEGINS_WITH, I(1));
  EXPECT_TRUE(IsInvalid(Call(gateway(), query), "sort_key"));
  *query.mutable_sort_key() = SortKey(v1::SORT_KEY_OPERATOR_EQUAL, S("1"));
  EXPECT_TRUE(IsInvalid(Call(gateway(), query), "sort_key.value"));
  *query.mutable_sort_key() = SortKeyBetween(I(5), I(4));
  EXPECT_TRUE(IsInvalid(Call(gateway(), query), "sort_key"));
  *query.mutable_sort_key() = SortKey(v1::SORT_KEY_OPERATOR_UNSPECIFIED, I(1));
  EXPECT_TRUE(IsInvalid(Call(gateway(), query), "sort_key.operator"));
  query = Big();
  query.set_page_size(1001);
  EXPECT_TRUE(IsInvalid(Call(gateway(), query), "page_size"));
  query = QueryOf(table_, I(1));
  EXPECT_TRUE(IsInvalid(Call(gateway(), query), "partition_key"));
  query = QueryOf(table_, v1::Value());
  EXPECT_TRUE(IsInvalid(Call(gateway(), query), "partition_key"));
  query = QueryOf(table_, S(""));
  EXPECT_TRUE(IsInvalid(Call(gateway(), query), "partition_key"));
  query = QueryOf(table_, S(std::string(2049, 'p')));
  EXPECT_TRUE(IsInvalid(Call(gateway(), query), "partition_key"));
  query = Big();
  *query.mutable_filter() = v1::Condition();
  EXPECT_TRUE(IsInvalid(Call(gateway(), query), "filter"));
  query = Big();
  query.add_projection("a..b");
  EXPECT_TRUE(IsInvalid(Call(gateway(), query), "projection[0]"));
}

// ---------------------------------------------------------------------------------------------------------
// Secondary indexes.

class IndexQueryTest : public GatewaySuite {
 protected:
  static void SetUpTestSuite() {
    GatewaySuite::SetUpTestSuite();
    table_ = UniqueTableName("query_index");
    v1::CreateTableRequest create;
    create.set_table(table_);
    *create.mutable_partition_key() = KeyAttr("user", v1::SCALAR_TYPE_STRING);
    *create.mutable_sort_key() = KeyAttr("ts", v1::SCALAR_TYPE_NUMBER);
    auto* gsi = create.add_global_secondary_indexes();
    gsi->set_name("by_status");
    *gsi->mutable_partition_key() = KeyAttr("status", v1::SCALAR_TYPE_STRING);
    *gsi->mutable_sort_key() = KeyAttr("score", v1::SCALAR_TYPE_NUMBER);
    gsi = create.add_global_secondary_indexes();
    gsi->set_name("by_status_keys");
    *gsi->mutable_partition_key() = KeyAttr("status", v1::SCALAR_TYPE_STRING);
    gsi->mutable_projection()->set_type(v1::PROJECTION_TYPE_KEYS_ONLY);
    gsi = create.add_global_secondary_indexes();
    gsi->set_name("by_status_include");
    *gsi->mutable_partition_key() = KeyAttr("status", v1::SCALAR_TYPE_STRING);
    *gsi->mutable_sort_key() = KeyAttr("score", v1::SCALAR_TYPE_NUMBER);
    gsi->mutable_projection()->set_type(v1::PROJECTION_TYPE_INCLUDE);
    gsi->mutable_projection()->add_non_key_attributes("title");
    auto* lsi = create.add_local_secondary_indexes();
    lsi->set_name("by_score");
    *lsi->mutable_sort_key() = KeyAttr("score", v1::SCALAR_TYPE_NUMBER);
    lsi = create.add_local_secondary_indexes();
    lsi->set_name("by_title_keys");
    *lsi->mutable_sort_key() = KeyAttr("title", v1::SCALAR_TYPE_STRING);
    lsi->mutable_projection()->set_type(v1::PROJECTION_TYPE_KEYS_ONLY);
    ASSERT_TRUE(Ok(CreateTableCall(gateway(), create)));

    for (const char* user : {"u1", "u2"}) {
      for (int ts = 0; ts < 20; ++ts) {
        Attributes item = Item({{"user", S(user)},
                                {"ts", I(ts)},
                                {"score", I((ts * 7) % 20)},
                                {"title", S("t" + std::to_string(100 + ts))},
                                {"extra", S("x")}});
        if (ts != 19) item["status"] = S(ts % 2 == 0 ? "even" : "odd");  // ts 19 is not in the GSIs
        ASSERT_TRUE(Ok(Call(gateway(), PutOf(table_, item))));
      }
    }
  }

  static v1::QueryRequest IndexQuery(const std::string& index, const v1::Value& partition_key) {
    v1::QueryRequest query = QueryOf(table_, partition_key);
    query.set_index(index);
    return query;
  }

  inline static std::string table_;
};

std::set<std::pair<std::string, int64_t>> TableKeys(const std::vector<Attributes>& items) {
  std::set<std::pair<std::string, int64_t>> keys;
  for (const auto& item : items) keys.emplace(item.at("user").string_value(), item.at("ts").number_value().integer());
  return keys;
}

TEST_F(IndexQueryTest, GlobalSecondaryIndex) {
  for (uint32_t page_size : {0u, 1u, 3u}) {
    SCOPED_TRACE(page_size);
    v1::QueryRequest query = IndexQuery("by_status", S("even"));
    query.set_page_size(page_size);
    const std::vector<Attributes> items = QueryAll(gateway(), query);
    ASSERT_EQ(items.size(), 20u);
    std::set<std::pair<std::string, int64_t>> expected;
    for (const char* user : {"u1", "u2"}) {
      for (int ts = 0; ts < 19; ts += 2) expected.emplace(user, ts);
    }
    EXPECT_EQ(TableKeys(items), expected) << "every item exactly once";
    for (size_t i = 1; i < items.size(); ++i) {
      EXPECT_LE(items[i - 1].at("score").number_value().integer(), items[i].at("score").number_value().integer());
    }
    // An ALL index returns whole items.
    EXPECT_EQ(items[0].size(), 6u);
  }

  // Sparse: ts 19 has no status, so "odd" has 9 items per user.
  EXPECT_EQ(QueryAll(gateway(), IndexQuery("by_status", S("odd"))).size(), 18u);

  // A sort-key condition on the index's sort key, descending.
  v1::QueryRequest query = IndexQuery("by_status", S("odd"));
  *query.mutable_sort_key() = SortKeyBetween(I(5), I(10));
  query.set_descending(true);
  std::vector<int64_t> scores;
  for (const auto& item : QueryAll(gateway(), query)) scores.push_back(item.at("score").number_value().integer());
  // Odd ts (< 19) give scores (7 * ts) % 20 = 7, 1, 15, 9, 3, 17, 11, 5, 19; in [5, 10]: 9, 7, 5 for each user.
  EXPECT_EQ(scores, (std::vector<int64_t>{9, 9, 7, 7, 5, 5}));
}

TEST_F(IndexQueryTest, GlobalSecondaryIndexProjections) {
  const std::vector<Attributes> keys_only = QueryAll(gateway(), IndexQuery("by_status_keys", S("even")));
  ASSERT_EQ(keys_only.size(), 20u);
  for (const auto& item : keys_only) {
    EXPECT_EQ(item.size(), 3u) << Show(item);  // user, ts, status
    EXPECT_TRUE(item.contains("user") && item.contains("ts") && item.contains("status")) << Show(item);
  }
  const std::vector<Attributes> include = QueryAll(gateway(), IndexQuery("by_status_include", S("odd")));
  ASSERT_EQ(include.size(), 18u);
  for (const auto& item : include) {
    EXPECT_EQ(item.size(), 5u) << Show(item);  // user, ts, status, score, title
    EXPECT_TRUE(item.contains("title") && !item.contains("extra")) << Show(item);
  }
  // A projection on an index query.
  v1::QueryRequest query = IndexQuery("by_status", S("even"));
  query.add_projection("title");
  for (const auto& item : QueryAll(gateway(), query)) EXPECT_EQ(item.size(), 1u) << Show(item);
}

TEST_F(IndexQueryTest, LocalSecondaryIndex) {
  v1::QueryRequest query = IndexQuery("by_score", S("u1"));
  query.set_page_size(4);
  for (bool consistent : {false, true}) {
    query.set_consistent_read(consistent);
    std::vector<int64_t> scores;
    for (const auto& item : QueryAll(gateway(), query)) {
      scores.push_back(item.at("score").number_value().integer());
      EXPECT_EQ(item.at("user").string_value(), "u1");
    }
    EXPECT_EQ(scores, Range(0, 19));
  }
  *query.mutable_sort_key() = SortKey(v1::SORT_KEY_OPERATOR_LESS, I(5));
  std::vector<int64_t> ts;
  for (const auto& item : QueryAll(gateway(), query)) ts.push_back(item.at("ts").number_value().integer());
  // score = 7 * ts % 20 < 5: ts 0 (0), 3 (1), 6 (2), 9 (3), 12 (4), in score order.
  EXPECT_EQ(ts, (std::vector<int64_t>{0, 3, 6, 9, 12}));

  v1::QueryRequest titles = IndexQuery("by_title_keys", S("u2"));
  *titles.mutable_sort_key() = SortKey(v1::SORT_KEY_OPERATOR_BEGINS_WITH, S("t11"));
  titles.set_descending(true);
  std::vector<std::string> got;
  for (const auto& item : QueryAll(gateway(), titles)) {
    got.push_back(item.at("title").string_value());
    EXPECT_EQ(item.size(), 3u) << Show(item);  // user, ts, title
  }
  EXPECT_EQ(got, (std::vector<std::string>{"t119", "t118", "t117", "t116", "t115", "t114", "t113", "t112", "t111",
                                           "t110"}));
}

TEST_F(IndexQueryTest, ConsistentReadOnGlobalIndexIsRejected) {
  v1::QueryRequest query = IndexQuery("by_status", S("even"));
  query.set_consistent_read(true);
  EXPECT_TRUE(IsInvalid(Call(gateway(), query), "consistent_read"));
}

TEST_F(IndexQueryTest, UnknownIndexIsNotFound) {
  const grpc::Status status = Call(gateway(), IndexQuery("no_such_index", S("even")));
  ASSERT_TRUE(IsError(status, grpc::StatusCode::NOT_FOUND, "INDEX_NOT_FOUND"));
  const RpcError error = DecodeError(status);
  ASSERT_TRUE(error.resource.has_value());
  EXPECT_NE(error.resource->resource_name().find("no_such_index"), std::string::npos)
      << error.resource->resource_name();
}

// A page token is bound to the index (or table) it paged through.
TEST_F(IndexQueryTest, PageTokenIsBoundToTheIndex) {
  v1::QueryRequest query = IndexQuery("by_status", S("even"));
  query.set_page_size(5);
  v1::QueryResponse first;
  ASSERT_TRUE(Ok(Call(gateway(), query, &first)));
  ASSERT_FALSE(first.next_page_token().empty());
  query.set_page_token(first.next_page_token());
  ASSERT_TRUE(Ok(Call(gateway(), query)));
  for (const char* other : {"by_status_include", "by_status_keys", ""}) {
    SCOPED_TRACE(other);
    v1::QueryRequest elsewhere = query;
    elsewhere.set_index(other);
    EXPECT_TRUE(IsError(Call(gateway(), elsewhere), grpc::StatusCode::INVALID_ARGUMENT, "INVALID_PAGE_TOKEN"));
  }
}

TEST_F(IndexQueryTest, IndexKeyTypesAreChecked) {
  // The index partition key is a string; sort-key operands must have the index sort key's type.
  EXPECT_TRUE(IsInvalid(Call(gateway(), IndexQuery("by_status", I(1))), "partition_key"));
  v1::QueryRequest query = IndexQuery("by_status", S("even"));
  *query.mutable_sort_key() = SortKey(v1::SORT_KEY_OPERATOR_EQUAL, S("5"));
  EXPECT_TRUE(IsInvalid(Call(gateway(), query), "sort_key.value"));
  query = IndexQuery("by_status_keys", S("even"));
  *query.mutable_sort_key() = SortKey(v1::SORT_KEY_OPERATOR_EQUAL, I(5));
  EXPECT_TRUE(IsInvalid(Call(gateway(), query), "sort_key"));
  // An item whose index key attribute has the wrong type is rejected before it is written.
  const grpc::Status status =
      Call(gateway(), PutOf(table_, Item({{"user", S("u3")}, {"ts", I(0)}, {"status", I(1)}})));
  EXPECT_TRUE(IsInvalid(status, "item[\"status\"]"));
  EXPECT_TRUE(DirectItem(table_, {{"user", {{"S", "u3"}}}, {"ts", {{"N", "0"}}}}).is_null());
}

// ---------------------------------------------------------------------------------------------------------
// Page tokens.

// The token after the first page of `query` (page size 10).
std::string FirstToken(GatewayHarness& g, v1::QueryRequest query) {
  query.set_page_size(10);
  v1::QueryResponse response;
  EXPECT_TRUE(Ok(Call(g, query, &response)));
  EXPECT_FALSE(response.next_page_token().empty());
  return response.next_page_token();
}

grpc::Status Continue(GatewayHarness& g, v1::QueryRequest query, const std::string& token,
                      v1::QueryResponse* response = nullptr) {
  query.set_page_size(10);
  query.set_page_token(token);
  return Call(g, query, response);
}

TEST_F(QueryTest, PageTokenContinuesTheSameRequestAndIsReusable) {
  const std::string token = FirstToken(gateway(), Big());
  for (int attempt = 0; attempt < 2; ++attempt) {
    v1::QueryResponse response;
    ASSERT_TRUE(Ok(Continue(gateway(), Big(), token, &response)));
    std::vector<Attributes> items;
    for (const auto& item : response.items()) items.push_back(item.attributes());
    EXPECT_EQ(SortKeys(items), Range(10, 19));
  }
  // page_size may change between pages.
  v1::QueryRequest query = Big();
  query.set_page_token(token);
  query.set_page_size(500);
  int pages = 0;
  EXPECT_EQ(SortKeys(QueryAll(gateway(), query, &pages)), Range(10, kItems - 1));
  EXPECT_EQ(pages, 1);
}

TEST_F(QueryTest, PageTokenFromAnotherRequestIsRejected) {
  const std::string token = FirstToken(gateway(), Big());
  std::vector<std::pair<std::string, v1::QueryRequest>> others;
  others.emplace_back("other partition key", QueryOf(table_, S("mixed")));
  {
    v1::QueryRequest q = Big();
    *q.mutable_filter() = Eq("even", Bool(true));
    others.emplace_back("with a filter", q);
  }
  {
    v1::QueryRequest q = Big();
    q.set_descending(true);
    others.emplace_back("descending", q);
  }
  {
    v1::QueryRequest q = Big();
    q.add_projection("i");
    others.emplace_back("with a projection", q);
  }
  {
    v1::QueryRequest q = Big();
    *q.mutable_sort_key() = SortKey(v1::SORT_KEY_OPERATOR_GREATER_OR_EQUAL, I(0));
    others.emplace_back("with a sort-key condition", q);
  }
  {
    v1::QueryRequest q = Big();
    q.set_consistent_read(true);
    others.emplace_back("consistent", q);
  }
  const std::string other_table = UniqueTableName("query_other");
  CreateTable(gateway(), other_table, "pk", v1::SCALAR_TYPE_STRING, "sk", v1::SCALAR_TYPE_NUMBER);
  others.emplace_back("another table", QueryOf(other_table, S("big")));

  for (const auto& [name, query] : others) {
    SCOPED_TRACE(name);
    const grpc::Status status = Continue(gateway(), query, token);
    EXPECT_TRUE(IsError(status, grpc::StatusCode::INVALID_ARGUMENT, "INVALID_PAGE_TOKEN"));
    EXPECT_TRUE(DecodeError(status).HasViolationOn("page_token")) << DecodeError(status).Violations();
  }

  // And the other way round: a filtered query's token does not continue the unfiltered one.
  v1::QueryRequest filtered = Big();
  *filtered.mutable_filter() = Eq("even", Bool(true));
  EXPECT_TRUE(IsError(Continue(gateway(), Big(), FirstToken(gateway(), filtered)), grpc::StatusCode::INVALID_ARGUMENT,
                      "INVALID_PAGE_TOKEN"));
}

TEST_F(QueryTest, TamperedPageTokensAreRejected) {
  const std::string token = FirstToken(gateway(), Big());
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::vector<std::string> tampered;
  for (size_t position : {size_t{0}, size_t{5}, token.size() / 2, token.size() - 10, token.size() - 2}) {
    std::string t = token;
    const size_t at = alphabet.find(t[position]);
    t[position] = alphabet[(at + 1) % alphabet.size()];
    tampered.push_back(t);
  }
  tampered.push_back(token.substr(0, token.size() - 1));
  tampered.push_back(token + "A");
  tampered.push_back(token.substr(0, 20));
  tampered.push_back("not a page token!");
  tampered.push_back(std::string(token.size(), 'A'));
  for (const std::string& t : tampered) {
    SCOPED_TRACE(t);
    EXPECT_TRUE(IsError(Continue(gateway(), Big(), t), grpc::StatusCode::INVALID_ARGUMENT, "INVALID_PAGE_TOKEN"));
  }
}

TEST_F(QueryTest, ExpiredPageTokenIsRejected) {
  GatewayHarness short_lived([](service::GatewayConfig& config) { config.page_token_lifetime = absl::Seconds(1); });
  const std::string token = FirstToken(short_lived, Big());
  ASSERT_TRUE(Ok(Continue(short_lived, Big(), token)));  // fresh: fine
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  const grpc::Status status = Continue(short_lived, Big(), token);
  EXPECT_TRUE(IsError(status, grpc::StatusCode::INVALID_ARGUMENT, "PAGE_TOKEN_EXPIRED"));
  // A new first page still works.
  EXPECT_FALSE(FirstToken(short_lived, Big()).empty());
}

TEST_F(QueryTest, PageTokensWorkAcrossGatewaysSharingAKey) {
  GatewayHarness a([](service::GatewayConfig& config) { config.page_token_keys = {"key-a"}; });
  GatewayHarness b([](service::GatewayConfig& config) { config.page_token_keys = {"key-b"}; });
  // c signs with a new key but still accepts key-a (key rotation).
  GatewayHarness c([](service::GatewayConfig& config) { config.page_token_keys = {"key-c", "key-a"}; });
  GatewayHarness random_key;

  const std::string token = FirstToken(a, Big());
  EXPECT_TRUE(IsError(Continue(b, Big(), token), grpc::StatusCode::INVALID_ARGUMENT, "INVALID_PAGE_TOKEN"));
  EXPECT_TRUE(IsError(Continue(random_key, Big(), token), grpc::StatusCode::INVALID_ARGUMENT, "INVALID_PAGE_TOKEN"));
  EXPECT_TRUE(IsError(Continue(gateway(), Big(), FirstToken(random_key, Big())), grpc::StatusCode::INVALID_ARGUMENT,
                      "INVALID_PAGE_TOKEN"));

  // Gateway c continues a's pagination to the end: every remaining item exactly once.
  v1::QueryRequest query = Big();
  query.set_page_token(token);
  query.set_page_size(100);
  std::vector<Attributes> items = QueryAll(c, query);
  EXPECT_EQ(SortKeys(items), Range(10, kItems - 1));
  // c's own tokens are signed with key-c, which a does not know.
  const std::string from_c = FirstToken(c, Big());
  EXPECT_TRUE(Ok(Continue(c, Big(), from_c)));
  EXPECT_TRUE(IsError(Continue(a, Big(), from_c), grpc::StatusCode::INVALID_ARGUMENT, "INVALID_PAGE_TOKEN"));
}

}  // namespace
}  // namespace altgw::testing
