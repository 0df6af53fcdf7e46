// Versioned items end to end (a gateway configured with version_attributes {table: "ver"}): versions on
// every write and read, expected_version on Put / Update / Delete (VERSION_MISMATCH with currentVersion),
// invalid uses, versions in Query / Scan / BatchGet / TransactGet items and Transaction results (native and
// single-item), and concurrent read-modify-write clients that never lose an update.
#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "bulk_util.h"

namespace altgw::testing {
namespace {

using Transactions = service::GatewayConfig::Transactions;

Attributes Key(const std::string& pk, int64_t sk) { return Item({{"pk", S(pk)}, {"sk", I(sk)}}); }
json DbKey(const std::string& pk, int64_t sk) { return {{"pk", {{"S", pk}}}, {"sk", {{"N", std::to_string(sk)}}}}; }

// The version attribute as the database holds it ("<none>" when the item or the attribute is missing).
std::string DbVersion(const std::string& table, const std::string& pk, int64_t sk) {
  const json item = DirectItem(table, DbKey(pk, sk));
  if (!item.is_object() || !item.contains("ver")) return "<none>";
  return item["ver"]["N"].get<std::string>();
}

template <typename Request>
Request WithExpected(Request request, uint64_t expected) {
  request.set_expected_version(expected);
  return request;
}

class VersioningTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    table_ = CreateTableInDb("versioned", "pk", "sk");
    single_table_ = CreateTableInDb("versioned_single", "pk", "sk");
    plain_ = CreateTableInDb("unversioned", "pk", "sk");
    gateway_ = std::make_unique<GatewayHarness>([](service::GatewayConfig& config) {
      config.version_attributes[table_] = "ver";
      config.version_attributes[single_table_] = "ver";
    });
    single_ = std::make_unique<GatewayHarness>([](service::GatewayConfig& config) {
      config.version_attributes[single_table_] = "ver";
      config.transactions = Transactions::kSingleItem;
    });
  }
  static void TearDownTestSuite() {
    gateway_.reset();
    single_.reset();
  }
  static GatewayHarness& gateway() { return *gateway_; }

  // A fresh item key for each test.
  static std::string Fresh() { return UniqueTableName("item"); }

  inline static std::unique_ptr<GatewayHarness> gateway_;
  inline static std::unique_ptr<GatewayHarness> single_;
  inline static std::string table_;
  inline static std::string single_table_;
  inline static std::string plain_;
};

TEST_F(VersioningTest, EveryWriteBumpsTheVersion) {
  const std::string pk = Fresh();
  v1::PutResponse put;
  ASSERT_TRUE(Ok(Call(gateway(), PutOf(table_, Item({{"pk", S(pk)}, {"sk", I(1)}, {"counter", I(0)}})), &put)));
  ASSERT_TRUE(put.has_version());
  EXPECT_EQ(put.version(), 1u);
  EXPECT_EQ(DbVersion(table_, pk, 1), "1");

  v1::GetResponse got;
  ASSERT_TRUE(Ok(Call(gateway(), GetOf(table_, Key(pk, 1)), &got)));
  ASSERT_TRUE(got.found());
  ASSERT_TRUE(got.has_version());
  EXPECT_EQ(got.version(), 1u);

  // A put without expected_version replaces the item and still bumps the version.
  ASSERT_TRUE(Ok(Call(gateway(), PutOf(table_, Item({{"pk", S(pk)}, {"sk", I(1)}, {"counter", I(5)}})), &put)));
  EXPECT_EQ(put.version(), 2u);
  EXPECT_EQ(DbVersion(table_, pk, 1), "2");

  v1::UpdateResponse updated;
  ASSERT_TRUE(Ok(Call(gateway(), UpdateOf(table_, Key(pk, 1), {IncrementAction("counter", I(1))}), &updated)));
  ASSERT_TRUE(updated.has_version());
  EXPECT_EQ(updated.version(), 3u);
  EXPECT_TRUE(updated.attributes().empty()) << "no return_values asked for";
  EXPECT_EQ(DbVersion(table_, pk, 1), "3");

  v1::UpdateRequest all_new = UpdateOf(table_, Key(pk, 1), {IncrementAction("counter", I(1))});
  all_new.set_return_values(v1::RETURN_VALUES_ALL_NEW);
  ASSERT_TRUE(Ok(Call(gateway(), all_new, &updated)));
  EXPECT_EQ(updated.version(), 4u);
  EXPECT_EQ(updated.attributes().at("counter").number_value().integer(), 7);
  EXPECT_EQ(updated.attributes().at("ver").number_value().integer(), 4);

  v1::UpdateRequest updated_old = UpdateOf(table_, Key(pk, 1), {SetAction("x", S("y"))});
  updated_old.set_return_values(v1::RETURN_VALUES_UPDATED_OLD);
  ASSERT_TRUE(Ok(Call(gateway(), updated_old, &updated)));
  EXPECT_EQ(updated.version(), 5u);
  EXPECT_EQ(DbVersion(table_, pk, 1), "5");

  // An update creating its item starts at version 1.
  ASSERT_TRUE(Ok(Call(gateway(), UpdateOf(table_, Key(pk, 2), {SetAction("x", I(1))}), &updated)));
  EXPECT_EQ(updated.version(), 1u);
  EXPECT_EQ(DbVersion(table_, pk, 2), "1");
}

TEST_F(VersioningTest, ExpectedVersionMatchingAndMismatching) {
  const std::string pk = Fresh();
  const v1::PutRequest put = PutOf(table_, Item({{"pk", S(pk)}, {"sk", I(1)}, {"v", S("first")}}));
  v1::PutResponse put_response;
  ASSERT_TRUE(Ok(Call(gateway(), WithExpected(put, 0), &put_response)));  // 0: must not exist
  EXPECT_EQ(put_response.version(), 1u);

  // Put: matching, then stale.
  ASSERT_TRUE(Ok(Call(gateway(), WithExpected(put, 1), &put_response)));
  EXPECT_EQ(put_response.version(), 2u);
  grpc::Status status = Call(gateway(), WithExpected(put, 1));
  EXPECT_TRUE(IsError(status, grpc::StatusCode::ABORTED, "VERSION_MISMATCH"));
  EXPECT_EQ(MetadataOf(status, "currentVersion"), "2");
  EXPECT_EQ(DbVersion(table_, pk, 1), "2");

  // expected_version 0 on an existing item.
  status = Call(gateway(), WithExpected(put, 0));
  EXPECT_TRUE(IsError(status, grpc::StatusCode::ABORTED, "VERSION_MISMATCH"));
  EXPECT_EQ(MetadataOf(status, "currentVersion"), "2");

  // Update: matching, then stale; nothing changes on a mismatch.
  v1::UpdateResponse update_response;
  const v1::UpdateRequest update = UpdateOf(table_, Key(pk, 1), {SetAction("v", S("updated"))});
  ASSERT_TRUE(Ok(Call(gateway(), WithExpected(update, 2), &update_response)));
  EXPECT_EQ(update_response.version(), 3u);
  const v1::UpdateRequest stale = UpdateOf(table_, Key(pk, 1), {SetAction("v", S("stale"))});
  status = Call(gateway(), WithExpected(stale, 2));
  EXPECT_TRUE(IsError(status, grpc::StatusCode::ABORTED, "VERSION_MISMATCH"));
  EXPECT_EQ(MetadataOf(status, "currentVersion"), "3");
  EXPECT_EQ(DirectItem(table_, DbKey(pk, 1))["v"]["S"], "updated");
  EXPECT_EQ(DbVersion(table_, pk, 1), "3");

  // Delete: stale, then matching.
  status = Call(gateway(), WithExpected(DeleteOf(table_, Key(pk, 1)), 1));
  EXPECT_TRUE(IsError(status, grpc::StatusCode::ABORTED, "VERSION_MISMATCH"));
  EXPECT_EQ(MetadataOf(status, "currentVersion"), "3");
  EXPECT_TRUE(DirectItem(table_, DbKey(pk, 1)).is_object());
  ASSERT_TRUE(Ok(Call(gateway(), WithExpected(DeleteOf(table_, Key(pk, 1)), 3))));
  EXPECT_TRUE(DirectItem(table_, DbKey(pk, 1)).is_null());

  // A version expected of an item that does not exist: a mismatch without currentVersion.
  status = Call(gateway(), WithExpected(update, 3));
  EXPECT_TRUE(IsError(status, grpc::StatusCode::ABORTED, "VERSION_MISMATCH"));
  EXPECT_EQ(MetadataOf(status, "currentVersion"), "<absent>");
  EXPECT_TRUE(DirectItem(table_, DbKey(pk, 1)).is_null()) << "the update created the item";

  // expected_version 0 on a missing item: created at version 1 (by an update too).
  ASSERT_TRUE(Ok(Call(gateway(), WithExpected(update, 0), &update_response)));
  EXPECT_EQ(update_response.version(), 1u);
  EXPECT_EQ(DbVersion(table_, pk, 1), "1");
}

TEST_F(VersioningTest, InvalidUses) {
  const std::string pk = Fresh();
  // expected_version on a table without a version attribute.
  EXPECT_TRUE(IsInvalid(Call(gateway(), WithExpected(PutOf(plain_, Key(pk, 1)), 1)), "expected_version"));
  EXPECT_TRUE(IsInvalid(Call(gateway(), WithExpected(UpdateOf(plain_, Key(pk, 1)), 0)), "expected_version"));
  EXPECT_TRUE(IsInvalid(Call(gateway(), WithExpected(DeleteOf(plain_, Key(pk, 1)), 2)), "expected_version"));
  // Writing the version attribute yourself.
  EXPECT_TRUE(IsInvalid(Call(gateway(), PutOf(table_, Item({{"pk", S(pk)}, {"sk", I(1)}, {"ver", I(9)}}))),
                        "item[\"ver\"]"));
  EXPECT_TRUE(IsInvalid(Call(gateway(), UpdateOf(table_, Key(pk, 1), {SetAction("ver", I(9))})), "actions[0]"));
  EXPECT_TRUE(IsInvalid(Call(gateway(), UpdateOf(table_, Key(pk, 1), {IncrementAction("ver", I(1))})), "actions[0]"));
  EXPECT_TRUE(DirectItem(table_, DbKey(pk, 1)).is_null());
  EXPECT_TRUE(DirectItem(plain_, DbKey(pk, 1)).is_null());

  // On the plain table, writes carry no version.
  v1::PutResponse put;
  ASSERT_TRUE(Ok(Call(gateway(), PutOf(plain_, Item({{"pk", S(pk)}, {"sk", I(1)}, {"ver", I(9)}})), &put)));
  EXPECT_FALSE(put.has_version());
  v1::GetResponse got;
  ASSERT_TRUE(Ok(Call(gateway(), GetOf(plain_, Key(pk, 1)), &got)));
  EXPECT_FALSE(got.has_version());
}

TEST_F(VersioningTest, ReadsCarryVersions) {
  const std::string pk = Fresh();
  for (int sk = 1; sk <= 3; ++sk) {
    for (int write = 0; write < sk; ++write) {  // item sk is written sk times: version sk
      ASSERT_TRUE(Ok(Call(gateway(), UpdateOf(table_, Key(pk, sk), {IncrementAction("n", I(1))}))));
    }
  }
  // Query.
  v1::QueryResponse query;
  ASSERT_TRUE(Ok(Call(gateway(), QueryOf(table_, S(pk)), &query)));
  ASSERT_EQ(query.items_size(), 3);
  for (const auto& item : query.items()) {
    ASSERT_TRUE(item.has_version());
    EXPECT_EQ(static_cast<int64_t>(item.version()), item.attributes().at("sk").number_value().integer());
  }
  // Scan (filtered to this test's items).
  v1::ScanRequest scan;
  scan.set_table(table_);
  *scan.mutable_filter() = Eq("pk", S(pk));
  const ScanStream stream = ReadScan(gateway(), scan);
  ASSERT_TRUE(WellFormedStream(stream, true));
  int scanned = 0;
  for (const auto& message : stream.messages) {
    for (const auto& item : message.items()) {
      ++scanned;
      EXPECT_EQ(static_cast<int64_t>(item.version()), item.attributes().at("sk").number_value().integer());
    }
  }
  EXPECT_EQ(scanned, 3);
  // BatchGet.
  v1::BatchGetRequest batch;
  v1::TableKeys* keys = batch.add_tables();
  keys->set_table(table_);
  for (int sk = 1; sk <= 3; ++sk) *keys->add_keys()->mutable_attributes() = Key(pk, sk);
  v1::BatchGetResponse batch_response;
  ASSERT_TRUE(Ok(gateway().data().BatchGet(Context().get(), batch, &batch_response)));
  ASSERT_EQ(batch_response.tables(0).items_size(), 3);
  for (const auto& item : batch_response.tables(0).items()) {
    ASSERT_TRUE(item.has_version());
    EXPECT_EQ(static_cast<int64_t>(item.version()), item.attributes().at("sk").number_value().integer());
  }
  // TransactGet.
  v1::TransactGetRequest transact_get;
  for (int sk : {3, 2}) {
    v1::TransactGetItem* item = transact_get.add_items();
    item->set_table(table_);
    *item->mutable_key() = Key(pk, sk);
  }
  v1::TransactGetResponse transact_response;
  ASSERT_TRUE(Ok(gateway().data().TransactGet(Context().get(), transact_get, &transact_response)));
  ASSERT_EQ(transact_response.items_size(), 2);
  EXPECT_EQ(transact_response.items(0).version(), 3u);
  EXPECT_EQ(transact_response.items(1).version(), 2u);
  // A projection without the version attribute: no version.
  v1::GetRequest projected = GetOf(table_, Key(pk, 2));
  projected.add_projection("n");
  v1::GetResponse got;
  ASSERT_TRUE(Ok(Call(gateway(), projected, &got)));
  EXPECT_TRUE(got.found());
  EXPECT_FALSE(got.has_version());
}

v1::TransactionOperation TransactPutOf(const std::string& table, const Attributes& item) {
  v1::TransactionOperation op;
  op.mutable_put()->set_table(table);
  *op.mutable_put()->mutable_item() = item;
  return op;
}
v1::TransactionOperation TransactUpdateOf(const std::string& table, const Attributes& key,
                                          std::optional<uint64_t> expected = std::nullopt) {
  v1::TransactionOperation op;
  op.mutable_update()->set_table(table);
  *op.mutable_update()->mutable_key() = key;
  *op.mutable_update()->add_actions() = IncrementAction("n", I(1));
  if (expected) op.mutable_update()->set_expected_version(*expected);
  return op;
}

TEST_F(VersioningTest, TransactionResultsCarryVersions) {
  const std::string pk = Fresh();
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(Ok(Call(gateway(), UpdateOf(table_, Key(pk, 2), {IncrementAction("n", I(1))}))));
  ASSERT_TRUE(Ok(Call(gateway(), UpdateOf(table_, Key(pk, 3), {IncrementAction("n", I(1))}))));
  ASSERT_TRUE(Ok(Call(gateway(), PutOf(plain_, Item({{"pk", S(pk)}, {"sk", I(1)}})))));

  v1::TransactionRequest request;
  *request.add_operations() = TransactPutOf(table_, Item({{"pk", S(pk)}, {"sk", I(1)}}));  // new: 1
  *request.add_operations() = TransactUpdateOf(table_, Key(pk, 2));                       // at 2: 3
  *request.add_operations() = TransactUpdateOf(table_, Key(pk, 3), 1);                    // expected 1: 2
  v1::TransactionOperation* check = request.add_operations();                              // no version
  check->mutable_condition_check()->set_table(plain_);
  *check->mutable_condition_check()->mutable_key() = Key(pk, 1);
  *check->mutable_condition_check()->mutable_condition() = Exists("pk");
  v1::TransactionResponse response;
  ASSERT_TRUE(Ok(gateway().data().Transaction(Context().get(), request, &response)));
  ASSERT_EQ(response.results_size(), 4);
  EXPECT_EQ(response.results(0).version(), 1u);
  EXPECT_EQ(response.results(1).version(), 3u);
  EXPECT_EQ(response.results(2).version(), 2u);
  EXPECT_FALSE(response.results(3).has_version());
  EXPECT_EQ(DbVersion(table_, pk, 1), "1");
  EXPECT_EQ(DbVersion(table_, pk, 2), "3");
  EXPECT_EQ(DbVersion(table_, pk, 3), "2");

  // A stale expected version: ABORTED, the operation named with the current version, nothing applied.
  v1::TransactionRequest stale;
  *stale.add_operations() = TransactUpdateOf(table_, Key(pk, 2));
  *stale.add_operations() = TransactUpdateOf(table_, Key(pk, 3), 1);
  const grpc::Status status = gateway().data().Transaction(Context().get(), stale, &response);
  EXPECT_TRUE(IsError(status, grpc::StatusCode::ABORTED, "VERSION_MISMATCH"));
  EXPECT_EQ(FailureReasons(status), (std::vector<std::string>{"", "VERSION_MISMATCH"}));
  const std::optional<v1::TransactionFailure> failure = TransactionFailureOf(status);
  ASSERT_TRUE(failure.has_value());
  EXPECT_EQ(failure->operations(1).current_version(), 2u);
  EXPECT_EQ(DbVersion(table_, pk, 2), "3");
  EXPECT_EQ(DbVersion(table_, pk, 3), "2");
}

TEST_F(VersioningTest, SingleItemTransactionsCarryVersionsToo) {
  const std::string pk = Fresh();
  v1::TransactionRequest create;
  *create.add_operations() = TransactPutOf(single_table_, Item({{"pk", S(pk)}, {"sk", I(1)}}));
  v1::TransactionResponse response;
  ASSERT_TRUE(Ok(single_->data().Transaction(Context().get(), create, &response)));
  EXPECT_EQ(response.results(0).version(), 1u);

  v1::TransactionRequest update;
  *update.add_operations() = TransactUpdateOf(single_table_, Key(pk, 1));
  ASSERT_TRUE(Ok(single_->data().Transaction(Context().get(), update, &response)));
  EXPECT_EQ(response.results(0).version(), 2u);
  EXPECT_EQ(DbVersion(single_table_, pk, 1), "2");

  v1::TransactionRequest stale;
  *stale.add_operations() = TransactUpdateOf(single_table_, Key(pk, 1), 1);
  const grpc::Status status = single_->data().Transaction(Context().get(), stale, &response);
  EXPECT_TRUE(IsError(status, grpc::StatusCode::ABORTED, "VERSION_MISMATCH"));
  ASSERT_TRUE(TransactionFailureOf(status).has_value());
  EXPECT_EQ(TransactionFailureOf(status)->operations(0).current_version(), 2u);
  EXPECT_EQ(DbVersion(single_table_, pk, 1), "2");
}

TEST_F(VersioningTest, ConcurrentReadModifyWriteLosesNoUpdate) {
  constexpr int kClients = 8;
  constexpr int kIncrements = 8;
  const std::string pk = Fresh();
  v1::PutResponse put;
  ASSERT_TRUE(Ok(Call(gateway(), PutOf(table_, Item({{"pk", S(pk)}, {"sk", I(1)}, {"counter", I(0)}})), &put)));
  ASSERT_EQ(put.version(), 1u);

  std::atomic<int> successes{0};
  std::atomic<int> mismatches{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&] {
      for (int done = 0; done < kIncrements && failures.load() == 0;) {
        v1::GetRequest read = GetOf(table_, Key(pk, 1));
        read.set_consistent_read(true);
        v1::GetResponse current;
        if (!Ok(Call(gateway(), read, &current)) || !current.found() || !current.has_version()) {
          failures.fetch_add(1);
          return;
        }
        const int64_t value = current.item().at("counter").number_value().integer();
        v1::UpdateRequest write = UpdateOf(table_, Key(pk, 1), {SetAction("counter", I(value + 1))});
        write.set_expected_version(current.version());
        v1::UpdateResponse written;
        const grpc::Status status = Call(gateway(), write, &written);
        if (status.ok()) {
          if (written.version() != current.version() + 1) failures.fetch_add(1);
          successes.fetch_add(1);
          ++done;
        } else if (IsError(status, grpc::StatusCode::ABORTED, "VERSION_MISMATCH")) {
          mismatches.fetch_add(1);  // another client won: re-read and retry
        } else {
          ADD_FAILURE() << Ok(status).message();
          failures.fetch_add(1);
          return;
        }
      }
    });
  }
  for (auto& client : clients) client.join();
  ASSERT_EQ(failures.load(), 0);
  EXPECT_EQ(successes.load(), kClients * kIncrements);
  const json item = DirectItem(table_, DbKey(pk, 1));
  EXPECT_EQ(item["counter"]["N"], std::to_string(kClients * kIncrements)) << mismatches.load() << " retries";
  EXPECT_EQ(item["ver"]["N"], std::to_string(1 + kClients * kIncrements)) << "one version per write";
}

TEST_F(VersioningTest, ConcurrentPutsWithoutExpectedVersionEachBumpOnce) {
  // Puts without expected_version read the version and write conditionally on it, retrying lost races: the
  // version ends equal to the number of successful puts.
  constexpr int kClients = 4;
  constexpr int kPuts = 10;
  const std::string pk = Fresh();
  std::atomic<int> ok{0};
  std::atomic<int> other{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      for (int i = 0; i < kPuts; ++i) {
        v1::PutResponse response;
        const grpc::Status status =
            Call(gateway(), PutOf(table_, Item({{"pk", S(pk)}, {"sk", I(1)}, {"by", I(c)}})), &response);
        if (status.ok()) {
          ok.fetch_add(1);
        } else if (!IsError(status, grpc::StatusCode::ABORTED, "VERSION_MISMATCH")) {
          other.fetch_add(1);
        }
      }
    });
  }
  for (auto& client : clients) client.join();
  EXPECT_EQ(other.load(), 0);
  EXPECT_GT(ok.load(), 0);
  EXPECT_EQ(DbVersion(table_, pk, 1), std::to_string(ok.load()));
}

}  // namespace
}  // namespace altgw::testing
