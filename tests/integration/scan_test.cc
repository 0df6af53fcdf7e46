// Scan streams end to end, over a table of 3,000 items: every item exactly once (one stream, 4 parallel
// segments, a stream resumed from a mid-stream resume token), `end` on the last message only, `limit`
// honoured exactly (complete = false with a resume token), progress messages for filters without matches,
// invalid segments and resume tokens; and, through a FakeAlternatorCluster whose per-node counters show
// every page request, cancellation: the stream ends CANCELLED promptly and no further page is requested.
#include <atomic>
#include <chrono>
#include <thread>

#include "absl/strings/str_format.h"
#include "bulk_util.h"

namespace altgw::testing {
namespace {

constexpr int kItems = 3000;

std::string KeyOf(int i) { return absl::StrFormat("item-%05d", i); }

class ScanTest : public GatewaySuite {
 protected:
  static void SetUpTestSuite() {
    GatewaySuite::SetUpTestSuite();
    if (!table_.empty()) return;  // filled by an earlier suite of this file
    table_ = CreateTableInDb("scan");
    std::vector<json> items;
    for (int i = 0; i < kItems; ++i) {
      items.push_back({{"pk", {{"S", KeyOf(i)}}},
                       {"n", {{"N", std::to_string(i)}}},
                       {"even", {{"BOOL", i % 2 == 0}}},
                       {"payload", {{"S", std::string(50, 'p')}}}});
    }
    LoadItems(table_, items);
  }

  static std::set<std::string> AllKeys() {
    std::set<std::string> keys;
    for (int i = 0; i < kItems; ++i) keys.insert(KeyOf(i));
    return keys;
  }

  static v1::ScanRequest ScanOf(uint32_t page_size = 0) {
    v1::ScanRequest request;
    request.set_table(table_);
    request.set_page_size(page_size);
    return request;
  }

  inline static std::string table_;
};

TEST_F(ScanTest, EveryItemExactlyOnce) {
  const ScanStream stream = ReadScan(gateway(), ScanOf());
  ASSERT_TRUE(WellFormedStream(stream, /*complete=*/true));
  EXPECT_TRUE(ExactlyOnce(Occurrences(stream.Items(), "pk"), AllKeys()));
  // Pages of the default size (1000 items examined): at least 3 messages.
  EXPECT_GE(stream.messages.size(), 3u);
  uint64_t scanned = 0;
  for (const auto& message : stream.messages) scanned += message.scanned_count();
  EXPECT_EQ(scanned, static_cast<uint64_t>(kItems));
  // Items come whole.
  const std::vector<Attributes> items = stream.Items();
  EXPECT_EQ(items.front().size(), 4u);
  EXPECT_EQ(items.front().at("payload").string_value(), std::string(50, 'p'));
}

TEST_F(ScanTest, SmallPagesEveryItemExactlyOnce) {
  const ScanStream stream = ReadScan(gateway(), ScanOf(128));
  ASSERT_TRUE(WellFormedStream(stream, true));
  EXPECT_GE(stream.messages.size(), static_cast<size_t>(kItems / 128));
  for (const auto& message : stream.messages) EXPECT_LE(message.items_size(), 128);
  EXPECT_TRUE(ExactlyOnce(Occurrences(stream.Items(), "pk"), AllKeys()));
}

TEST_F(ScanTest, FourParallelSegmentsCoverEveryItemExactlyOnce) {
  constexpr int kSegments = 4;
  std::vector<ScanStream> streams(kSegments);
  std::vector<std::thread> threads;
  for (int s = 0; s < kSegments; ++s) {
    threads.emplace_back([&, s] {
      v1::ScanRequest request = ScanOf(200);
      request.set_segment(s);
      request.set_total_segments(kSegments);
      streams[s] = ReadScan(gateway(), request);
    });
  }
  for (auto& thread : threads) thread.join();
  std::vector<Attributes> all;
  for (int s = 0; s < kSegments; ++s) {
    ASSERT_TRUE(WellFormedStream(streams[s], true)) << "segment " << s;
    const std::vector<Attributes> items = streams[s].Items();
    EXPECT_FALSE(items.empty()) << "segment " << s;
    all.insert(all.end(), items.begin(), items.end());
  }
  EXPECT_TRUE(ExactlyOnce(Occurrences(all, "pk"), AllKeys()));
}

TEST_F(ScanTest, ResumedFromAMidStreamTokenEveryItemExactlyOnce) {
  // Read 5 messages of 100 items, stop (cancel), and resume with the last token received.
  const ScanStream first = ReadScan(gateway(), ScanOf(100), /*stop_after=*/5);
  ASSERT_EQ(first.messages.size(), 5u);
  EXPECT_EQ(first.status.error_code(), grpc::StatusCode::CANCELLED);
  const std::string token = first.LastResumeToken();
  ASSERT_FALSE(token.empty());

  v1::ScanRequest resume = ScanOf(300);  // page_size may change
  resume.set_resume_token(token);
  const ScanStream second = ReadScan(gateway(), resume);
  ASSERT_TRUE(WellFormedStream(second, true));

  std::vector<Attributes> all = first.Items();
  EXPECT_EQ(all.size(), 500u);
  const std::vector<Attributes> rest = second.Items();
  EXPECT_EQ(rest.size(), static_cast<size_t>(kItems - 500));
  all.insert(all.end(), rest.begin(), rest.end());
  EXPECT_TRUE(ExactlyOnce(Occurrences(all, "pk"), AllKeys()));
}

TEST_F(ScanTest, ResumedSegmentContinuesItsSegment) {
  v1::ScanRequest request = ScanOf(50);
  request.set_segment(2);
  request.set_total_segments(3);
  const ScanStream whole = ReadScan(gateway(), request);
  ASSERT_TRUE(WellFormedStream(whole, true));
  std::set<std::string> segment_keys;
  for (const Attributes& item : whole.Items()) segment_keys.insert(StringOf(item, "pk"));
  ASSERT_GT(segment_keys.size(), 100u);

  const ScanStream first = ReadScan(gateway(), request, /*stop_after=*/2);
  ASSERT_EQ(first.messages.size(), 2u);
  v1::ScanRequest resume = request;
  resume.set_resume_token(first.LastResumeToken());
  const ScanStream second = ReadScan(gateway(), resume);
  ASSERT_TRUE(WellFormedStream(second, true));
  std::vector<Attributes> all = first.Items();
  const std::vector<Attributes> rest = second.Items();
  all.insert(all.end(), rest.begin(), rest.end());
  EXPECT_TRUE(ExactlyOnce(Occurrences(all, "pk"), segment_keys));
}

TEST_F(ScanTest, LimitIsHonouredExactlyAndResumable) {
  v1::ScanRequest request = ScanOf(100);
  request.set_limit(250);
  const ScanStream limited = ReadScan(gateway(), request);
  ASSERT_TRUE(WellFormedStream(limited, /*complete=*/false));
  EXPECT_EQ(limited.Items().size(), 250u);
  EXPECT_EQ(limited.messages.size(), 3u);  // 100 + 100 + 50
  const std::string token = limited.messages.back().resume_token();
  ASSERT_FALSE(token.empty()) << "a stream stopped by `limit` must say where to resume";

  // The rest, in limited steps of 1,000 then unlimited.
  std::vector<Attributes> all = limited.Items();
  v1::ScanRequest next = ScanOf(1000);
  next.set_resume_token(token);
  next.set_limit(1000);
  const ScanStream step = ReadScan(gateway(), next);
  ASSERT_TRUE(WellFormedStream(step, false));
  EXPECT_EQ(step.Items().size(), 1000u);
  const std::vector<Attributes> step_items = step.Items();
  all.insert(all.end(), step_items.begin(), step_items.end());
  next.set_resume_token(step.messages.back().resume_token());
  next.set_limit(0);
  const ScanStream rest = ReadScan(gateway(), next);
  ASSERT_TRUE(WellFormedStream(rest, true));
  const std::vector<Attributes> rest_items = rest.Items();
  all.insert(all.end(), rest_items.begin(), rest_items.end());
  EXPECT_TRUE(ExactlyOnce(Occurrences(all, "pk"), AllKeys()));
}

TEST_F(ScanTest, LimitOfOneAndLimitAboveTheTableSize) {
  v1::ScanRequest one = ScanOf();
  one.set_limit(1);
  const ScanStream single = ReadScan(gateway(), one);
  ASSERT_TRUE(WellFormedStream(single, false));
  EXPECT_EQ(single.Items().size(), 1u);
  EXPECT_EQ(single.messages.size(), 1u);

  v1::ScanRequest above = ScanOf(700);
  above.set_limit(kItems + 1);
  const ScanStream all = ReadScan(gateway(), above);
  ASSERT_TRUE(WellFormedStream(all, /*complete=*/true));
  EXPECT_TRUE(ExactlyOnce(Occurrences(all.Items(), "pk"), AllKeys()));
}

TEST_F(ScanTest, LimitWithAFilterCountsDeliveredItems) {
  v1::ScanRequest request = ScanOf(64);
  *request.mutable_filter() = Eq("even", Bool(true));
  request.set_limit(333);
  const ScanStream stream = ReadScan(gateway(), request);
  ASSERT_TRUE(WellFormedStream(stream, false));
  const std::vector<Attributes> items = stream.Items();
  EXPECT_EQ(items.size(), 333u);
  for (const Attributes& item : items) EXPECT_TRUE(item.at("even").bool_value());
}

TEST_F(ScanTest, FilterWithoutMatchesStillSendsProgressMessages) {
  v1::ScanRequest request = ScanOf(500);
  *request.mutable_filter() = Eq("pk", S("no such item"));
  const ScanStream stream = ReadScan(gateway(), request);
  ASSERT_TRUE(WellFormedStream(stream, true));
  EXPECT_TRUE(stream.Items().empty());
  // One message per page: 3,000 items / 500 = 6 progress messages (plus possibly an empty last page).
  EXPECT_GE(stream.messages.size(), 6u);
  uint64_t scanned = 0;
  for (size_t i = 0; i < stream.messages.size(); ++i) {
    EXPECT_EQ(stream.messages[i].items_size(), 0);
    scanned += stream.messages[i].scanned_count();
    if (i + 1 < stream.messages.size()) {
      EXPECT_FALSE(stream.messages[i].resume_token().empty()) << i;
      EXPECT_GT(stream.messages[i].scanned_count(), 0u) << i;
    }
  }
  EXPECT_EQ(scanned, static_cast<uint64_t>(kItems));

  // A sparse filter: the one match arrives among progress messages.
  *request.mutable_filter() = Eq("n", I(1234));
  const ScanStream sparse = ReadScan(gateway(), request);
  ASSERT_TRUE(WellFormedStream(sparse, true));
  const std::vector<Attributes> items = sparse.Items();
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(StringOf(items[0], "pk"), KeyOf(1234));
}

TEST_F(ScanTest, ProjectionAndConsistentRead) {
  v1::ScanRequest request = ScanOf();
  request.add_projection("pk");
  request.add_projection("n");
  request.set_consistent_read(true);
  const ScanStream stream = ReadScan(gateway(), request);
  ASSERT_TRUE(WellFormedStream(stream, true));
  const std::vector<Attributes> items = stream.Items();
  EXPECT_EQ(items.size(), static_cast<size_t>(kItems));
  for (const Attributes& item : items) ASSERT_EQ(item.size(), 2u);
}

TEST_F(ScanTest, InvalidSegmentsAndPageSize) {
  v1::ScanRequest request = ScanOf();
  request.set_segment(4);
  request.set_total_segments(4);
  EXPECT_TRUE(IsInvalid(ReadScan(gateway(), request).status, "segment"));

  request.set_segment(0);
  request.set_total_segments(1'000'001);
  EXPECT_TRUE(IsInvalid(ReadScan(gateway(), request).status, "total_segments"));

  request.set_segment(2);
  request.set_total_segments(0);
  EXPECT_TRUE(IsInvalid(ReadScan(gateway(), request).status, "segment"));

  v1::ScanRequest pages = ScanOf(1001);
  EXPECT_TRUE(IsInvalid(ReadScan(gateway(), pages).status, "page_size"));

  v1::ScanRequest missing = ScanOf();
  missing.set_table(UniqueTableName("no_such_table"));
  EXPECT_TRUE(IsError(ReadScan(gateway(), missing).status, grpc::StatusCode::NOT_FOUND, "TABLE_NOT_FOUND"));
}

TEST_F(ScanTest, TamperedAndForeignResumeTokensAreRejected) {
  const ScanStream first = ReadScan(gateway(), ScanOf(100), /*stop_after=*/1);
  const std::string token = first.LastResumeToken();
  ASSERT_FALSE(token.empty());

  std::string tampered = token;
  tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == 'x' ? 'y' : 'x';
  v1::ScanRequest request = ScanOf(100);
  request.set_resume_token(tampered);
  ScanStream stream = ReadScan(gateway(), request);
  EXPECT_TRUE(IsError(stream.status, grpc::StatusCode::INVALID_ARGUMENT, "INVALID_PAGE_TOKEN"));
  EXPECT_TRUE(stream.messages.empty());

  request.set_resume_token(token.substr(0, token.size() - 3));
  EXPECT_TRUE(IsError(ReadScan(gateway(), request).status, grpc::StatusCode::INVALID_ARGUMENT, "INVALID_PAGE_TOKEN"));

  // A token of another scan: another segment, another filter.
  request.set_resume_token(token);
  request.set_segment(0);
  request.set_total_segments(2);
  EXPECT_TRUE(IsError(ReadScan(gateway(), request).status, grpc::StatusCode::INVALID_ARGUMENT, "INVALID_PAGE_TOKEN"));
  v1::ScanRequest filtered = ScanOf(100);
  *filtered.mutable_filter() = Exists("n");
  filtered.set_resume_token(token);
  EXPECT_TRUE(IsError(ReadScan(gateway(), filtered).status, grpc::StatusCode::INVALID_ARGUMENT, "INVALID_PAGE_TOKEN"));

  // The untouched token still works.
  v1::ScanRequest good = ScanOf(1000);
  good.set_resume_token(token);
  const ScanStream rest = ReadScan(gateway(), good);
  ASSERT_TRUE(WellFormedStream(rest, true));
  EXPECT_EQ(rest.Items().size(), static_cast<size_t>(kItems - 100));
}

// ---------------------------------------------------------------------------------------------------------
// Cancellation, observed at the database: a FakeAlternatorCluster counts every Scan page request per node.

class ScanCancelTest : public ScanTest {
 protected:
  static int64_t ScanRequests(FakeAlternatorCluster& cluster) {
    int64_t total = 0;
    for (const FakeNodeCounters& counters : cluster.CountersPerNode()) total += counters.operation("Scan");
    return total;
  }
};

TEST_F(ScanCancelTest, CancelEndsTheStreamAndStopsPageRequests) {
  auto cluster = MakeFakeCluster({"127.0.0.31", "127.0.0.32"});
  auto gateway = GatewayOn(*cluster);
  // Slow pages (every answer 30 ms late) of 10 items: the whole scan would need 300 pages, about 9 s.
  for (size_t n = 0; n < cluster->size(); ++n) cluster->node(n).SetDelay(std::chrono::milliseconds(30));

  auto context = Context(absl::Seconds(60));
  std::unique_ptr<grpc::ClientReader<v1::ScanResponse>> reader = gateway->data().Scan(context.get(), ScanOf(10));
  v1::ScanResponse message;
  int received = 0;
  while (received < 5 && reader->Read(&message)) ++received;
  ASSERT_EQ(received, 5);
  const int64_t before_cancel = ScanRequests(*cluster);
  EXPECT_GE(before_cancel, 5);

  const auto cancelled_at = std::chrono::steady_clock::now();
  context->TryCancel();
  while (reader->Read(&message)) {
  }
  const grpc::Status status = reader->Finish();
  const auto took = std::chrono::steady_clock::now() - cancelled_at;
  EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED) << status.error_message();
  EXPECT_LT(took, std::chrono::seconds(1)) << "the stream did not end promptly";

  // Let a request in flight at the cancel arrive, then the count must stay put.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const int64_t settled = ScanRequests(*cluster);
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  const int64_t later = ScanRequests(*cluster);
  EXPECT_EQ(later, settled) << "the gateway kept requesting pages after the cancel";
  EXPECT_LE(settled, before_cancel + 2) << "more pages were requested after the cancel than were in flight";
  EXPECT_LT(settled, 300) << "the scan ran to its end";
}

TEST_F(ScanCancelTest, CancelDuringTheSchemaLookupRequestsNoPage) {
  auto cluster = MakeFakeCluster({"127.0.0.33"});
  auto gateway = GatewayOn(*cluster);  // a new gateway: the table's schema is not cached yet
  cluster->node(0).SetDelay(std::chrono::milliseconds(400));

  auto context = Context(absl::Seconds(10));
  std::unique_ptr<grpc::ClientReader<v1::ScanResponse>> reader = gateway->data().Scan(context.get(), ScanOf(10));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the DescribeTable is now being answered
  context->TryCancel();
  v1::ScanResponse message;
  EXPECT_FALSE(reader->Read(&message));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);

  std::this_thread::sleep_for(std::chrono::milliseconds(800));  // the schema has arrived by now
  EXPECT_GE(cluster->node(0).counters().operation("DescribeTable"), 1);
  EXPECT_EQ(cluster->node(0).counters().operation("Scan"), 0) << "a page was requested for a cancelled stream";
}

}  // namespace
}  // namespace altgw::testing
