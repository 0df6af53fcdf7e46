// Transaction and TransactGet end to end.
//   Native (DynamoDB Local, TransactWriteItems): commits across two tables, condition failures (nothing
//   applied, TransactionFailure per operation, the current item on request), idempotent replays and reused
//   request_ids, limits, and a write plus a condition check on one item.
//   Alternator-like (transactions = kSingleItem, and kAuto detection on a FakeAlternatorCluster without
//   transactions): single-item transactions work, anything else is TRANSACTIONS_UNSUPPORTED_BY_BACKEND and
//   writes nothing; TransactGet of one item only. kAuto detection chooses native on DynamoDB Local.
#include "absl/strings/str_cat.h"
#include "bulk_util.h"

namespace altgw::testing {
namespace {

using Transactions = service::GatewayConfig::Transactions;

v1::TransactionOperation PutOp(const std::string& table, const Attributes& item) {
  v1::TransactionOperation op;
  op.mutable_put()->set_table(table);
  *op.mutable_put()->mutable_item() = item;
  return op;
}
v1::TransactionOperation UpdateOp(const std::string& table, const Attributes& key,
                                  const std::vector<v1::UpdateAction>& actions) {
  v1::TransactionOperation op;
  op.mutable_update()->set_table(table);
  *op.mutable_update()->mutable_key() = key;
  for (const auto& action : actions) *op.mutable_update()->add_actions() = action;
  return op;
}
v1::TransactionOperation DeleteOp(const std::string& table, const Attributes& key) {
  v1::TransactionOperation op;
  op.mutable_delete_()->set_table(table);
  *op.mutable_delete_()->mutable_key() = key;
  return op;
}
v1::TransactionOperation CheckOp(const std::string& table, const Attributes& key, const v1::Condition& condition,
                                 bool return_item = false) {
  v1::TransactionOperation op;
  op.mutable_condition_check()->set_table(table);
  *op.mutable_condition_check()->mutable_key() = key;
  *op.mutable_condition_check()->mutable_condition() = condition;
  op.mutable_condition_check()->set_return_item_on_condition_failure(return_item);
  return op;
}
v1::TransactionRequest Transaction(std::initializer_list<v1::TransactionOperation> operations,
                                   const std::string& request_id = "") {
  v1::TransactionRequest request;
  for (const auto& op : operations) *request.add_operations() = op;
  request.set_request_id(request_id);
  return request;
}
grpc::Status Transact(GatewayHarness& g, const v1::TransactionRequest& request, v1::TransactionResponse* out = nullptr) {
  v1::TransactionResponse ignored;
  return g.data().Transaction(Context(absl::Seconds(15)).get(), request, out ? out : &ignored);
}

v1::TransactGetRequest GetMany(const std::vector<std::pair<std::string, Attributes>>& keys) {
  v1::TransactGetRequest request;
  for (const auto& [table, key] : keys) {
    v1::TransactGetItem* item = request.add_items();
    item->set_table(table);
    *item->mutable_key() = key;
  }
  return request;
}
grpc::Status Get(GatewayHarness& g, const v1::TransactGetRequest& request, v1::TransactGetResponse* out) {
  return g.data().TransactGet(Context().get(), request, out);
}

Attributes Id(const std::string& id) { return Item({{"id", S(id)}}); }
Attributes Order(const std::string& pk, int64_t sk) { return Item({{"pk", S(pk)}, {"sk", I(sk)}}); }
json IdKey(const std::string& id) { return SKey("id", id); }
json OrderKey(const std::string& pk, int64_t sk) { return {{"pk", {{"S", pk}}}, {"sk", {{"N", std::to_string(sk)}}}}; }

void PutDirect(const std::string& table, const json& item) {
  const auto answer = Db().Call("PutItem", {{"TableName", table}, {"Item", item}});
  ASSERT_EQ(answer.status, 200) << answer.body.dump();
}

// Both strategies share the tables: accounts (id S) and orders (pk S, sk N), created directly.
class TransactionSuite : public ::testing::Test {
 protected:
  void SetUp() override {
    accounts_ = CreateTableInDb("tx_accounts", "id");
    orders_ = CreateTableInDb("tx_orders", "pk", "sk");
    PutDirect(accounts_, {{"id", {{"S", "alice"}}}, {"balance", {{"N", "100"}}}});
    PutDirect(accounts_, {{"id", {{"S", "bob"}}}, {"balance", {{"N", "5"}}}});
    PutDirect(orders_, {{"pk", {{"S", "alice"}}}, {"sk", {{"N", "1"}}}, {"status", {{"S", "open"}}}});
    PutDirect(orders_, {{"pk", {{"S", "alice"}}}, {"sk", {{"N", "2"}}}, {"status", {{"S", "open"}}}});
  }

  // Everything the two tables hold (to prove that nothing changed).
  std::vector<json> Snapshot() const {
    std::vector<json> all = DirectScan(accounts_);
    const std::vector<json> orders = DirectScan(orders_);
    all.insert(all.end(), orders.begin(), orders.end());
    return all;
  }

  std::string accounts_;
  std::string orders_;
};

// ---------------------------------------------------------------------------------------------------------
// Native transactions (DynamoDB Local; kAuto detection chooses native).

class NativeTransactionTest : public TransactionSuite {
 protected:
  static void SetUpTestSuite() {
    gateway_ = std::make_unique<GatewayHarness>([](service::GatewayConfig& config) {
      config.transactions = Transactions::kAuto;  // the default, stated: detection on DynamoDB Local
    });
  }
  static void TearDownTestSuite() { gateway_.reset(); }
  static GatewayHarness& gateway() { return *gateway_; }
  inline static std::unique_ptr<GatewayHarness> gateway_;
};

TEST_F(NativeTransactionTest, CommitsEveryOperationAcrossTwoTables) {
  v1::TransactionResponse response;
  ASSERT_TRUE(Ok(Transact(gateway(),
                     Transaction({
                         PutOp(accounts_, Item({{"id", S("carol")}, {"balance", I(7)}})),
                         UpdateOp(accounts_, Id("alice"), {IncrementAction("balance", I(-30))}),
                         DeleteOp(orders_, Order("alice", 1)),
                         CheckOp(orders_, Order("alice", 2), Eq("status", S("open"))),
                     }),
                     &response)));
  EXPECT_EQ(response.results_size(), 4);
  for (const auto& result : response.results()) EXPECT_FALSE(result.has_version()) << "no versioned table";
  EXPECT_EQ(DirectItem(accounts_, IdKey("carol"))["balance"]["N"], "7");
  EXPECT_EQ(DirectItem(accounts_, IdKey("alice"))["balance"]["N"], "70");
  EXPECT_TRUE(DirectItem(orders_, OrderKey("alice", 1)).is_null());
  EXPECT_EQ(DirectItem(orders_, OrderKey("alice", 2))["status"]["S"], "open");
}

TEST_F(NativeTransactionTest, ConditionFailureAppliesNothingAndNamesTheOperation) {
  const std::vector<json> before = Snapshot();
  const v1::TransactionRequest request = Transaction({
      PutOp(accounts_, Item({{"id", S("carol")}})),
      UpdateOp(accounts_, Id("alice"), {IncrementAction("balance", I(-30))}),
      DeleteOp(orders_, Order("alice", 1)),
      CheckOp(orders_, Order("alice", 2), Eq("status", S("closed")), /*return_item=*/true),
  });
  const grpc::Status status = Transact(gateway(), request);
  EXPECT_TRUE(IsError(status, grpc::StatusCode::FAILED_PRECONDITION, "CONDITION_FAILED"));
  EXPECT_EQ(FailureReasons(status), (std::vector<std::string>{"", "", "", "CONDITION_FAILED"}));
  const std::optional<v1::TransactionFailure> failure = TransactionFailureOf(status);
  ASSERT_TRUE(failure.has_value());
  EXPECT_TRUE(failure->operations(3).item_exists());
  EXPECT_TRUE(SameItem(Item({{"pk", S("alice")}, {"sk", I(2)}, {"status", S("open")}}), failure->operations(3).item()));
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(failure->operations(i).item_exists()) << i;
    EXPECT_TRUE(failure->operations(i).item().empty()) << i;
  }
  EXPECT_EQ(Snapshot(), before) << "a cancelled transaction changed the database";

  // Without return_item_on_condition_failure: no item; a failing put condition is named too.
  const grpc::Status put_failed = Transact(gateway(), Transaction({
      UpdateOp(accounts_, Id("bob"), {IncrementAction("balance", I(1))}),
      [&] {
        v1::TransactionOperation op = PutOp(accounts_, Item({{"id", S("alice")}}));
        *op.mutable_put()->mutable_condition() = NotExists("id");
        return op;
      }(),
  }));
  EXPECT_TRUE(IsError(put_failed, grpc::StatusCode::FAILED_PRECONDITION, "CONDITION_FAILED"));
  EXPECT_EQ(FailureReasons(put_failed), (std::vector<std::string>{"", "CONDITION_FAILED"}));
  EXPECT_FALSE(TransactionFailureOf(put_failed)->operations(1).item_exists());
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(NativeTransactionTest, IdempotentReplayAppliesOnce) {
  const std::string id = absl::StrCat("tx-", UniqueTableName("r"));
  const v1::TransactionRequest increment = Transaction(
      {UpdateOp(accounts_, Id("alice"), {IncrementAction("counter", I(1))}), PutOp(accounts_, Item({{"id", S("log")}}))},
      id);
  ASSERT_TRUE(Ok(Transact(gateway(), increment)));
  EXPECT_EQ(DirectItem(accounts_, IdKey("alice"))["counter"]["N"], "1");
  ASSERT_TRUE(Ok(Transact(gateway(), increment))) << "a replay succeeds";
  EXPECT_EQ(DirectItem(accounts_, IdKey("alice"))["counter"]["N"], "1") << "a replay applied the transaction again";

  // A different transaction with the same request_id.
  const v1::TransactionRequest other =
      Transaction({UpdateOp(accounts_, Id("alice"), {IncrementAction("counter", I(2))})}, id);
  const grpc::Status reused = Transact(gateway(), other);
  EXPECT_TRUE(IsError(reused, grpc::StatusCode::INVALID_ARGUMENT, "IDEMPOTENCY_KEY_REUSED"));
  EXPECT_EQ(DirectItem(accounts_, IdKey("alice"))["counter"]["N"], "1");

  // Without request_id the same request applies again.
  v1::TransactionRequest again = increment;
  again.clear_request_id();
  ASSERT_TRUE(Ok(Transact(gateway(), again)));
  EXPECT_EQ(DirectItem(accounts_, IdKey("alice"))["counter"]["N"], "2");
}

TEST_F(NativeTransactionTest, OverLimitAndDuplicateWritesAreInvalid) {
  const std::vector<json> before = Snapshot();
  v1::TransactionRequest over;
  for (int i = 0; i < 101; ++i) *over.add_operations() = PutOp(accounts_, Item({{"id", S(absl::StrCat("u", i))}}));
  EXPECT_TRUE(IsInvalid(Transact(gateway(), over), "operations"));

  over.mutable_operations()->RemoveLast();  // 100 operations: the limit itself is fine
  ASSERT_TRUE(Ok(Transact(gateway(), over)));
  EXPECT_EQ(DirectCount(accounts_), 102u);

  const grpc::Status twice = Transact(gateway(), Transaction({
      UpdateOp(accounts_, Id("bob"), {IncrementAction("balance", I(1))}),
      CheckOp(orders_, Order("alice", 1), Exists("status")),
      DeleteOp(accounts_, Id("bob")),
  }));
  EXPECT_TRUE(IsInvalid(twice, "operations[2].delete"));
  EXPECT_EQ(DirectItem(accounts_, IdKey("bob"))["balance"]["N"], "5");

  EXPECT_TRUE(IsInvalid(Transact(gateway(), Transaction({UpdateOp(orders_, Id("x"), {})})), "operations[0].update.key"));
  EXPECT_TRUE(IsInvalid(Transact(gateway(), Transaction({})), "operations"));
}

TEST_F(NativeTransactionTest, WriteAndCheckOnOneItemAreOneOperation) {
  v1::TransactionResponse response;
  ASSERT_TRUE(Ok(Transact(gateway(),
                     Transaction({
                         CheckOp(accounts_, Id("alice"), Compare("balance", v1::COMPARATOR_GREATER_OR_EQUAL, I(30))),
                         UpdateOp(accounts_, Id("alice"), {IncrementAction("balance", I(-30))}),
                         UpdateOp(accounts_, Id("bob"), {IncrementAction("balance", I(30))}),
                     }),
                     &response)));
  EXPECT_EQ(response.results_size(), 3);
  EXPECT_EQ(DirectItem(accounts_, IdKey("alice"))["balance"]["N"], "70");
  EXPECT_EQ(DirectItem(accounts_, IdKey("bob"))["balance"]["N"], "35");

  // Bob has 35: the check fails, and it is the check (index 0) that is named, not the write on his item.
  const std::vector<json> before = Snapshot();
  const grpc::Status status = Transact(gateway(), Transaction({
      CheckOp(accounts_, Id("bob"), Compare("balance", v1::COMPARATOR_GREATER_OR_EQUAL, I(50)), true),
      UpdateOp(accounts_, Id("bob"), {IncrementAction("balance", I(-50))}),
      UpdateOp(accounts_, Id("alice"), {IncrementAction("balance", I(50))}),
  }));
  EXPECT_TRUE(IsError(status, grpc::StatusCode::FAILED_PRECONDITION, "CONDITION_FAILED"));
  EXPECT_EQ(FailureReasons(status), (std::vector<std::string>{"CONDITION_FAILED", "", ""}));
  EXPECT_EQ(TransactionFailureOf(status)->operations(0).item().at("balance").number_value().integer(), 35);
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(NativeTransactionTest, TransactGetReturnsItemsInOrder) {
  v1::TransactGetRequest request = GetMany({{orders_, Order("alice", 2)},
                                            {accounts_, Id("nobody")},
                                            {accounts_, Id("alice")},
                                            {orders_, Order("alice", 99)},
                                            {accounts_, Id("bob")}});
  request.mutable_items(4)->add_projection("balance");
  v1::TransactGetResponse response;
  ASSERT_TRUE(Ok(Get(gateway(), request, &response)));
  ASSERT_EQ(response.items_size(), 5);
  EXPECT_TRUE(response.items(0).found());
  EXPECT_EQ(response.items(0).item().at("status").string_value(), "open");
  EXPECT_FALSE(response.items(1).found());
  EXPECT_TRUE(response.items(1).item().empty());
  EXPECT_TRUE(response.items(2).found());
  EXPECT_TRUE(SameItem(Item({{"id", S("alice")}, {"balance", I(100)}}), response.items(2).item()));
  EXPECT_FALSE(response.items(3).found());
  EXPECT_TRUE(response.items(4).found());
  EXPECT_TRUE(SameItem(Item({{"balance", I(5)}}), response.items(4).item()));

  // The same item twice is invalid.
  EXPECT_TRUE(IsInvalid(Get(gateway(), GetMany({{accounts_, Id("a")}, {accounts_, Id("a")}}), &response), "items[1]"));
}

// ---------------------------------------------------------------------------------------------------------
// Alternator-like: single-item transactions only (forced on DynamoDB Local).

class SingleItemTransactionTest : public TransactionSuite {
 protected:
  static void SetUpTestSuite() {
    gateway_ = std::make_unique<GatewayHarness>(
        [](service::GatewayConfig& config) { config.transactions = Transactions::kSingleItem; });
  }
  static void TearDownTestSuite() { gateway_.reset(); }
  static GatewayHarness& gateway() { return *gateway_; }
  inline static std::unique_ptr<GatewayHarness> gateway_;
};

TEST_F(SingleItemTransactionTest, OneWriteWithChecksOnTheSameItem) {
  v1::TransactionResponse response;
  ASSERT_TRUE(Ok(Transact(gateway(),
                     Transaction({
                         CheckOp(accounts_, Id("alice"), Compare("balance", v1::COMPARATOR_GREATER_OR_EQUAL, I(30))),
                         UpdateOp(accounts_, Id("alice"), {IncrementAction("balance", I(-30))}),
                         CheckOp(accounts_, Id("alice"), Exists("id")),
                     }),
                     &response)));
  EXPECT_EQ(response.results_size(), 3);
  EXPECT_EQ(DirectItem(accounts_, IdKey("alice"))["balance"]["N"], "70");

  // A failing check: nothing written, the check named (with the item it asked for).
  const std::vector<json> before = Snapshot();
  const grpc::Status status = Transact(gateway(), Transaction({
      UpdateOp(accounts_, Id("alice"), {IncrementAction("balance", I(-100))}),
      CheckOp(accounts_, Id("alice"), Compare("balance", v1::COMPARATOR_GREATER_OR_EQUAL, I(100)), true),
  }));
  EXPECT_TRUE(IsError(status, grpc::StatusCode::FAILED_PRECONDITION, "CONDITION_FAILED"));
  EXPECT_EQ(FailureReasons(status), (std::vector<std::string>{"", "CONDITION_FAILED"}));
  ASSERT_TRUE(TransactionFailureOf(status).has_value());
  EXPECT_EQ(TransactionFailureOf(status)->operations(1).item().at("balance").number_value().integer(), 70);
  EXPECT_EQ(Snapshot(), before);

  // Put and delete alone.
  ASSERT_TRUE(Ok(Transact(gateway(), Transaction({PutOp(accounts_, Item({{"id", S("carol")}, {"balance", I(1)}}))}))));
  EXPECT_EQ(DirectItem(accounts_, IdKey("carol"))["balance"]["N"], "1");
  ASSERT_TRUE(Ok(Transact(gateway(), Transaction({DeleteOp(accounts_, Id("carol")), CheckOp(accounts_, Id("carol"), Exists("id"))}))));
  EXPECT_TRUE(DirectItem(accounts_, IdKey("carol")).is_null());
}

TEST_F(SingleItemTransactionTest, ChecksOnly) {
  ASSERT_TRUE(Ok(Transact(gateway(), Transaction({
                                    CheckOp(orders_, Order("alice", 1), Eq("status", S("open"))),
                                    CheckOp(orders_, Order("alice", 1), NotExists("closed_at")),
                                }))));
  const grpc::Status status = Transact(gateway(), Transaction({
      CheckOp(orders_, Order("alice", 1), Eq("status", S("open"))),
      CheckOp(orders_, Order("alice", 1), Exists("closed_at"), true),
  }));
  EXPECT_TRUE(IsError(status, grpc::StatusCode::FAILED_PRECONDITION, "CONDITION_FAILED"));
  EXPECT_EQ(FailureReasons(status), (std::vector<std::string>{"", "CONDITION_FAILED"}));
  EXPECT_TRUE(TransactionFailureOf(status)->operations(1).item_exists());
  // A check on a missing item.
  const grpc::Status missing = Transact(gateway(), Transaction({CheckOp(orders_, Order("nobody", 1), Exists("pk"))}));
  EXPECT_TRUE(IsError(missing, grpc::StatusCode::FAILED_PRECONDITION, "CONDITION_FAILED"));
  EXPECT_EQ(FailureReasons(missing), (std::vector<std::string>{"CONDITION_FAILED"}));
}

TEST_F(SingleItemTransactionTest, MultiItemTransactionsAreRejectedAndWriteNothing) {
  const std::vector<json> before = Snapshot();
  const grpc::Status two_writes = Transact(gateway(), Transaction({
      PutOp(accounts_, Item({{"id", S("carol")}})),
      UpdateOp(accounts_, Id("alice"), {IncrementAction("balance", I(1))}),
  }));
  EXPECT_TRUE(IsError(two_writes, grpc::StatusCode::FAILED_PRECONDITION, "TRANSACTIONS_UNSUPPORTED_BY_BACKEND"));

  const grpc::Status write_and_foreign_check = Transact(gateway(), Transaction({
      UpdateOp(accounts_, Id("alice"), {IncrementAction("balance", I(1))}),
      CheckOp(orders_, Order("alice", 1), Exists("status")),
  }));
  EXPECT_TRUE(IsError(write_and_foreign_check, grpc::StatusCode::FAILED_PRECONDITION,
                      "TRANSACTIONS_UNSUPPORTED_BY_BACKEND"));

  const grpc::Status idempotent = Transact(
      gateway(), Transaction({UpdateOp(accounts_, Id("alice"), {IncrementAction("balance", I(1))})}, "request-1"));
  EXPECT_TRUE(IsError(idempotent, grpc::StatusCode::FAILED_PRECONDITION, "TRANSACTIONS_UNSUPPORTED_BY_BACKEND"));

  EXPECT_EQ(Snapshot(), before) << "a rejected transaction wrote something";
  EXPECT_TRUE(DirectItem(accounts_, IdKey("carol")).is_null());
}

TEST_F(SingleItemTransactionTest, TransactGetOfOneItemOnly) {
  v1::TransactGetResponse response;
  ASSERT_TRUE(Ok(Get(gateway(), GetMany({{accounts_, Id("alice")}}), &response)));
  ASSERT_EQ(response.items_size(), 1);
  EXPECT_TRUE(response.items(0).found());
  EXPECT_EQ(response.items(0).item().at("balance").number_value().integer(), 100);
  ASSERT_TRUE(Ok(Get(gateway(), GetMany({{accounts_, Id("nobody")}}), &response)));
  ASSERT_EQ(response.items_size(), 1);
  EXPECT_FALSE(response.items(0).found());

  EXPECT_TRUE(IsError(Get(gateway(), GetMany({{accounts_, Id("alice")}, {accounts_, Id("bob")}}), &response),
                      grpc::StatusCode::FAILED_PRECONDITION, "TRANSACTIONS_UNSUPPORTED_BY_BACKEND"));
}

// ---------------------------------------------------------------------------------------------------------
// kAuto detection on a FakeAlternatorCluster.

class TransactionDetectionTest : public TransactionSuite {};

TEST_F(TransactionDetectionTest, AutoChoosesSingleItemWhenTheBackendRefusesTransactions) {
  auto cluster = MakeFakeCluster({"127.0.0.51", "127.0.0.52"}, /*supports_transactions=*/false);
  auto gateway = GatewayOn(*cluster, Transactions::kAuto);
  EXPECT_GE(cluster->TotalCounters().operation("TransactGetItems"), 1) << "no detection probe";
  cluster->ResetCounters();

  // Single-item transactions run as one conditional write...
  ASSERT_TRUE(Ok(Transact(*gateway, Transaction({
                                   UpdateOp(accounts_, Id("alice"), {IncrementAction("balance", I(1))}),
                                   CheckOp(accounts_, Id("alice"), Exists("balance")),
                               }))));
  EXPECT_EQ(DirectItem(accounts_, IdKey("alice"))["balance"]["N"], "101");
  EXPECT_EQ(cluster->TotalCounters().operation("UpdateItem"), 1);

  // ...and the rest is rejected before anything is sent.
  const std::vector<json> before = Snapshot();
  const grpc::Status status = Transact(*gateway, Transaction({
      PutOp(accounts_, Item({{"id", S("carol")}})),
      PutOp(orders_, Item({{"pk", S("carol")}, {"sk", I(1)}})),
  }));
  EXPECT_TRUE(IsError(status, grpc::StatusCode::FAILED_PRECONDITION, "TRANSACTIONS_UNSUPPORTED_BY_BACKEND"));
  EXPECT_EQ(Snapshot(), before);
  v1::TransactGetResponse response;
  EXPECT_TRUE(IsError(Get(*gateway, GetMany({{accounts_, Id("alice")}, {accounts_, Id("bob")}}), &response),
                      grpc::StatusCode::FAILED_PRECONDITION, "TRANSACTIONS_UNSUPPORTED_BY_BACKEND"));
  EXPECT_EQ(cluster->TotalCounters().operation("TransactWriteItems"), 0);
  EXPECT_EQ(cluster->TotalCounters().operation("TransactGetItems"), 0);
}

TEST_F(TransactionDetectionTest, AutoChoosesNativeWhenTheBackendHasTransactions) {
  auto cluster = MakeFakeCluster({"127.0.0.53"}, /*supports_transactions=*/true);
  auto gateway = GatewayOn(*cluster, Transactions::kAuto);
  cluster->ResetCounters();
  ASSERT_TRUE(Ok(Transact(*gateway, Transaction({
                                   PutOp(accounts_, Item({{"id", S("carol")}})),
                                   PutOp(orders_, Item({{"pk", S("carol")}, {"sk", I(1)}})),
                               }))));
  EXPECT_EQ(cluster->TotalCounters().operation("TransactWriteItems"), 1);
  EXPECT_TRUE(DirectItem(accounts_, IdKey("carol")).is_object());
  EXPECT_TRUE(DirectItem(orders_, OrderKey("carol", 1)).is_object());
}

}  // namespace
}  // namespace altgw::testing
