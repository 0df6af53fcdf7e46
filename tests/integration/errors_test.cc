// The error model end to end: missing tables, an unreachable or unresponsive database, deadlines. Every
// error the gateway produces carries an ErrorInfo in the "alternator-gateway" domain (IsError checks it).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "integration_util.h"

namespace altgw::testing {
namespace {

// A loopback TCP forwarder to DynamoDB Local that the test can freeze (accept, forward nothing, never
// answer) or stop (close every connection and the listening socket: the port is then closed).
class TcpForwarder {
 public:
  explicit TcpForwarder(int target_port) : target_port_(target_port) {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    const int one = 1;
    setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    if (bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 || listen(listener_, 64) != 0 ||
        getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      ADD_FAILURE() << "forwarder: cannot listen";
    }
    port_ = ntohs(address.sin_port);
    if (pipe(wake_) != 0) ADD_FAILURE() << "forwarder: pipe failed";
    thread_ = std::thread([this] { Run(); });
  }

  ~TcpForwarder() { Stop(); }

  int port() const { return port_; }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // From now on nothing is forwarded or answered (connections are still accepted by the kernel).
  void Freeze() { Signal('f'); }

  // Closes everything; connecting to port() is refused from now on.
  void Stop() {
    if (!thread_.joinable()) return;
    Signal('s');
    thread_.join();
    for (const auto& [fd, peer] : peers_) close(fd);
    peers_.clear();
    close(listener_);
    close(wake_[0]);
    close(wake_[1]);
  }

 private:
  void Signal(char c) {
    if (write(wake_[1], &c, 1) != 1) ADD_FAILURE() << "forwarder: cannot signal";
  }

  void Run() {
    bool frozen = false;
    for (;;) {
      std::vector<pollfd> fds = {{wake_[0], POLLIN, 0}};
      if (!frozen) {
        fds.push_back({listener_, POLLIN, 0});
        for (const auto& [fd, peer] : peers_) fds.push_back({fd, POLLIN, 0});
      }
      if (poll(fds.data(), fds.size(), -1) < 0) continue;
      if (fds[0].revents != 0) {
        char c = 0;
        if (read(wake_[0], &c, 1) == 1 && c == 's') return;
        frozen = true;
        continue;
      }
      if (fds[1].revents != 0) Accept();
      for (size_t i = 2; i < fds.size(); ++i) {
        if (fds[i].revents == 0 || !peers_.contains(fds[i].fd)) continue;
        char buffer[65536];
        const ssize_t n = read(fds[i].fd, buffer, sizeof(buffer));
        const int peer = peers_[fds[i].fd];
        if (n <= 0 || !WriteAll(peer, buffer, static_cast<size_t>(n))) {
          close(fds[i].fd);
          close(peer);
          peers_.erase(fds[i].fd);
          peers_.erase(peer);
        }
      }
    }
  }

  void Accept() {
    const int client = accept(listener_, nullptr, nullptr);
    if (client < 0) return;
    const int upstream = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<uint16_t>(target_port_));
    if (connect(upstream, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
      close(client);
      close(upstream);
      return;
    }
    peers_[client] = upstream;
    peers_[upstream] = client;
  }

  static bool WriteAll(int fd, const char* data, size_t size) {
    while (size > 0) {
      const ssize_t n = write(fd, data, size);
      if (n <= 0) return false;
      data += n;
      size -= static_cast<size_t>(n);
    }
    return true;
  }

  const int target_port_;
  int listener_ = -1;
  int port_ = 0;
  int wake_[2] = {-1, -1};
  std::map<int, int> peers_;  // fd -> the other end (touched by the loop thread, then by Stop after join)
  std::thread thread_;
};

class ErrorsTest : public GatewaySuite {};

::testing::AssertionResult HasRetryInfo(const grpc::Status& status) {
  const RpcError error = DecodeError(status);
  if (!error.retry) return ::testing::AssertionFailure() << "no RetryInfo";
  const auto& delay = error.retry->retry_delay();
  if (delay.seconds() <= 0 && delay.nanos() <= 0) return ::testing::AssertionFailure() << "RetryInfo without delay";
  return ::testing::AssertionSuccess();
}

TEST_F(ErrorsTest, MissingTableIsNotFoundForEveryDataCall) {
  const std::string table = UniqueTableName("errors_missing");
  const Attributes key = Item({{"pk", S("k")}});
  const std::vector<std::pair<const char*, grpc::Status>> calls = {
      {"Put", Call(gateway(), PutOf(table, Item({{"pk", S("k")}, {"v", I(1)}})))},
      {"Get", Call(gateway(), GetOf(table, key))},
      {"Delete", Call(gateway(), DeleteOf(table, key))},
      {"Update", Call(gateway(), UpdateOf(table, key, {SetAction("v", I(1))}))},
      {"Query", Call(gateway(), QueryOf(table, S("k")))},
  };
  for (const auto& [name, status] : calls) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(IsError(status, grpc::StatusCode::NOT_FOUND, "TABLE_NOT_FOUND"));
    const RpcError error = DecodeError(status);
    ASSERT_TRUE(error.resource.has_value());
    EXPECT_EQ(error.resource->resource_type(), "table");
    EXPECT_EQ(error.resource->resource_name(), table);
    EXPECT_EQ(error.info->metadata().at("table"), table);
  }
  EXPECT_FALSE(DirectTableExists(table));
}

// The database port is closed: UNAVAILABLE / BACKEND_UNAVAILABLE with RetryInfo, for reads, writes and
// table calls alike (nothing can have been applied).
TEST_F(ErrorsTest, ClosedBackendPortIsUnavailable) {
  const int closed_port = FreeLoopbackPort();
  GatewayHarness unreachable([closed_port](service::GatewayConfig& config) {
    config.backend_endpoints = {"http://127.0.0.1:" + std::to_string(closed_port)};
    // Nothing answers there, so the transaction capability cannot be detected: state it.
    config.transactions = service::GatewayConfig::Transactions::kNative;
  });
  const std::string table = UniqueTableName("errors_closed");
  CreateTable(gateway(), table, "pk", v1::SCALAR_TYPE_STRING);  // exists, through the working gateway

  const std::vector<std::pair<const char*, grpc::Status>> calls = {
      {"Get", Call(unreachable, GetOf(table, Item({{"pk", S("k")}})))},
      {"Put", Call(unreachable, PutOf(table, Item({{"pk", S("k")}, {"v", I(1)}})))},
      {"Query", Call(unreachable, QueryOf(table, S("k")))},
      {"DescribeTable", DescribeTableCall(unreachable, table)},
  };
  for (const auto& [name, status] : calls) {
    SCOPED_TRACE(name);
    EXPECT_TRUE(IsError(status, grpc::StatusCode::UNAVAILABLE, "BACKEND_UNAVAILABLE"));
    EXPECT_TRUE(HasRetryInfo(status));
  }
  EXPECT_TRUE(DirectItem(table, SKey("pk", "k")).is_null());
  v1::CreateTableRequest create;
  create.set_table(UniqueTableName("errors_closed_create"));
  *create.mutable_partition_key() = KeyAttr("pk", v1::SCALAR_TYPE_STRING);
  EXPECT_TRUE(IsError(CreateTableCall(unreachable, create), grpc::StatusCode::UNAVAILABLE, "BACKEND_UNAVAILABLE"));
  EXPECT_FALSE(DirectTableExists(create.table()));
}

// The gateway knows the table (schema cached), then the database goes away: the item calls themselves are
// UNAVAILABLE, and the writes were not applied.
TEST_F(ErrorsTest, BackendGoneAfterSchemaIsCachedIsUnavailable) {
  TcpForwarder forwarder(Db().port());
  GatewayHarness via_forwarder([&forwarder](service::GatewayConfig& config) {
    config.backend_endpoints = {forwarder.endpoint()};
    config.transactions = service::GatewayConfig::Transactions::kNative;  // no probe through the forwarder
  });
  const std::string table = UniqueTableName("errors_gone");
  ASSERT_EQ(Db().Call("CreateTable", {{"TableName", table},
                                      {"KeySchema", {{{"AttributeName", "pk"}, {"KeyType", "HASH"}}}},
                                      {"AttributeDefinitions", {{{"AttributeName", "pk"}, {"AttributeType", "S"}}}},
                                      {"BillingMode", "PAY_PER_REQUEST"}})
                .status,
            200);
  ASSERT_TRUE(Ok(Call(via_forwarder, PutOf(table, Item({{"pk", S("old")}, {"v", I(1)}})))));
  ASSERT_TRUE(Ok(Call(via_forwarder, GetOf(table, Item({{"pk", S("old")}})))));
  forwarder.Stop();

  const std::vector<std::pair<const char*, grpc::Status>> calls = {
      {"Get", Call(via_forwarder, GetOf(table, Item({{"pk", S("old")}})))},
      {"Query", Call(via_forwarder, QueryOf(table, S("old")))},
      {"Put", Call(via_forwarder, PutOf(table, Item({{"pk", S("new")}, {"v", I(2)}})))},
      {"Update", Call(via_forwarder, UpdateOf(table, Item({{"pk", S("old")}}), {SetAction("v", I(3))}))},
      {"Delete", Call(via_forwarder, DeleteOf(table, Item({{"pk", S("old")}})))},
  };
  for (const auto& [name, status] : calls) {
    SCOPED_TRACE(name);
    EXPECT_TRUE(IsError(status, grpc::StatusCode::UNAVAILABLE, "BACKEND_UNAVAILABLE"));
    EXPECT_TRUE(HasRetryInfo(status));
  }
  EXPECT_TRUE(DirectItem(table, SKey("pk", "new")).is_null());
  EXPECT_EQ(DirectItem(table, SKey("pk", "old")), json({{"pk", {{"S", "old"}}}, {"v", {{"N", "1"}}}}));
}

// A call whose deadline has already passed is DEADLINE_EXCEEDED and writes nothing.
TEST_F(ErrorsTest, AlreadyExpiredDeadline) {
  const std::string table = UniqueTableName("errors_deadline");
  CreateTable(gateway(), table, "pk", v1::SCALAR_TYPE_STRING);
  auto expired = [] {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() - std::chrono::seconds(1));
    return context;
  };
  v1::PutResponse put_response;
  EXPECT_EQ(gateway().data().Put(expired().get(), PutOf(table, Item({{"pk", S("late")}})), &put_response).error_code(),
            grpc::StatusCode::DEADLINE_EXCEEDED);
  v1::GetResponse get_response;
  EXPECT_EQ(gateway().data().Get(expired().get(), GetOf(table, Item({{"pk", S("late")}})), &get_response).error_code(),
            grpc::StatusCode::DEADLINE_EXCEEDED);
  v1::DescribeTableRequest describe;
  describe.set_table(table);
  v1::DescribeTableResponse describe_response;
  EXPECT_EQ(gateway().tables().DescribeTable(expired().get(), describe, &describe_response).error_code(),
            grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_TRUE(DirectItem(table, SKey("pk", "late")).is_null());
}

// An unresponsive database: the gateway answers by the caller's deadline, not after its own attempt
// timeout. A read is DEADLINE_EXCEEDED; a write that was sent is WRITE_OUTCOME_UNKNOWN (it may have been
// applied). The margin kept before the deadline is configured generously so the gateway's answer always
// wins the race with the client's own deadline timer.
TEST_F(ErrorsTest, UnresponsiveBackendAnswersByTheDeadline) {
  TcpForwarder forwarder(Db().port());
  GatewayHarness via_forwarder([&forwarder](service::GatewayConfig& config) {
    config.backend_endpoints = {forwarder.endpoint()};
    config.transactions = service::GatewayConfig::Transactions::kNative;  // no probe through the forwarder
    config.backend.deadline_margin = absl::Milliseconds(300);
  });
  const std::string table = UniqueTableName("errors_frozen");
  CreateTable(via_forwarder, table, "pk", v1::SCALAR_TYPE_STRING);
  ASSERT_TRUE(Ok(Call(via_forwarder, GetOf(table, Item({{"pk", S("k")}})))));
  forwarder.Freeze();

  auto timed = [](absl::Duration timeout) { return Context(timeout); };
  const absl::Time start = absl::Now();
  v1::GetResponse get_response;
  const grpc::Status read =
      via_forwarder.data().Get(timed(absl::Milliseconds(1500)).get(), GetOf(table, Item({{"pk", S("k")}})), &get_response);
  EXPECT_TRUE(IsError(read, grpc::StatusCode::DEADLINE_EXCEEDED, "DEADLINE_EXCEEDED"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));

  v1::PutResponse put_response;
  const grpc::Status write = via_forwarder.data().Put(timed(absl::Milliseconds(1500)).get(),
                                                      PutOf(table, Item({{"pk", S("k")}})), &put_response);
  EXPECT_TRUE(IsError(write, grpc::StatusCode::UNKNOWN, "WRITE_OUTCOME_UNKNOWN"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(6));
  forwarder.Stop();
}

// Stopping a gateway while backend requests are still in flight (the database never answers: a schema
// lookup and an item read hang) is safe: callers get an error promptly and the gateway shuts down cleanly.
TEST_F(ErrorsTest, ShutdownWithBackendRequestsInFlight) {
  TcpForwarder forwarder(Db().port());
  forwarder.Freeze();
  auto frozen = std::make_unique<GatewayHarness>([&forwarder](service::GatewayConfig& config) {
    config.backend_endpoints = {forwarder.endpoint()};
    config.transactions = service::GatewayConfig::Transactions::kNative;  // no probe through the forwarder
  });
  const std::string table = UniqueTableName("errors_shutdown");

  // The client gives up first; the gateway's schema lookup is still waiting for the database.
  v1::GetResponse response;
  const grpc::Status gave_up =
      frozen->data().Get(Context(absl::Milliseconds(300)).get(), GetOf(table, Item({{"pk", S("k")}})), &response);
  EXPECT_EQ(gave_up.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);

  // A call still waiting when the gateway stops (on a client of its own, which outlives the gateway).
  auto client = v1::DataService::NewStub(grpc::CreateChannel(frozen->address(), grpc::InsecureChannelCredentials()));
  grpc::Status waiting;
  const absl::Time start = absl::Now();
  std::thread caller([&] {
    v1::GetResponse r;
    waiting = client->Get(Context(absl::Seconds(20)).get(), GetOf(table, Item({{"pk", S("k")}})), &r);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  frozen.reset();
  caller.join();
  EXPECT_FALSE(waiting.ok());
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  forwarder.Stop();
}

// Every status the gateway itself produced in this file's scenarios carries ErrorInfo in its domain;
// checked here once more on a mix of reasons, including messages that are not empty.
TEST_F(ErrorsTest, EveryErrorHasErrorInfoInTheGatewayDomain) {
  const std::string table = UniqueTableName("errors_domain");
  CreateTable(gateway(), table, "pk", v1::SCALAR_TYPE_STRING);
  ASSERT_TRUE(Ok(Call(gateway(), PutOf(table, Item({{"pk", S("k")}, {"s", S("x")}})))));
  v1::PutRequest conditional = PutOf(table, Item({{"pk", S("k")}}));
  *conditional.mutable_condition() = NotExists("pk");
  const std::vector<grpc::Status> statuses = {
      Call(gateway(), PutOf(table, Item({{"pk", I(1)}}))),                                    // INVALID_REQUEST
      Call(gateway(), conditional),                                                           // CONDITION_FAILED
      Call(gateway(), GetOf(UniqueTableName("errors_nope"), Item({{"pk", S("k")}}))),         // TABLE_NOT_FOUND
      Call(gateway(), UpdateOf(table, Item({{"pk", S("k")}}), {AddAction("s", I(1))})),       // BACKEND_VALIDATION_ERROR
      [&] {
        v1::QueryRequest q = QueryOf(table, S("k"));
        q.set_page_token("garbage");
        return Call(gateway(), q);
      }(),                                                                                    // INVALID_PAGE_TOKEN
      [&] {
        v1::QueryRequest q = QueryOf(table, S("k"));
        q.set_index("nope");
        return Call(gateway(), q);
      }(),                                                                                    // INDEX_NOT_FOUND
  };
  std::set<std::string> reasons;
  for (const grpc::Status& status : statuses) {
    ASSERT_FALSE(status.ok());
    const RpcError error = DecodeError(status);
    ASSERT_TRUE(error.info.has_value()) << status.error_message();
    EXPECT_EQ(error.info->domain(), "alternator-gateway");
    EXPECT_FALSE(status.error_message().empty());
    EXPECT_EQ(error.status.code(), static_cast<int>(status.error_code()));
    reasons.insert(error.reason());
  }
  EXPECT_EQ(reasons, (std::set<std::string>{"INVALID_REQUEST", "CONDITION_FAILED", "TABLE_NOT_FOUND",
                                            "BACKEND_VALIDATION_ERROR", "INVALID_PAGE_TOKEN", "INDEX_NOT_FOUND"}));
}

}  // namespace
}  // namespace altgw::testing
