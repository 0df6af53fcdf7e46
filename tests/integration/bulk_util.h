// Helpers of the bulk and multi-item suites (scan, batch, transaction, versioning tests): tables created and
// filled directly in DynamoDB Local, whole Scan streams, gateways in front of a FakeAlternatorCluster, and
// the decoding of per-entry statuses and TransactionFailure details.
#ifndef ALTGW_TESTS_INTEGRATION_BULK_UTIL_H_
#define ALTGW_TESTS_INTEGRATION_BULK_UTIL_H_

#include <cstddef>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "integration_util.h"
#include "support/fake_alternator.h"

namespace altgw::testing {

// ---------------------------------------------------------------------------------------------------------
// Tables and items written directly (bypassing the gateway).

// Creates a table in DynamoDB Local: partition key `pk` (S), and sort key `sk` (N) when given.
inline std::string CreateTableInDb(const std::string& prefix, const std::string& pk = "pk",
                                   const std::string& sk = "") {
  const std::string table = UniqueTableName(prefix);
  json key_schema = json::array({{{"AttributeName", pk}, {"KeyType", "HASH"}}});
  json definitions = json::array({{{"AttributeName", pk}, {"AttributeType", "S"}}});
  if (!sk.empty()) {
    key_schema.push_back({{"AttributeName", sk}, {"KeyType", "RANGE"}});
    definitions.push_back({{"AttributeName", sk}, {"AttributeType", "N"}});
  }
  const auto answer = Db().Call("CreateTable", {{"TableName", table},
                                                {"KeySchema", key_schema},
                                                {"AttributeDefinitions", definitions},
                                                {"BillingMode", "PAY_PER_REQUEST"}});
  EXPECT_EQ(answer.status, 200) << answer.body.dump();
  return table;
}

// Writes `items` (DynamoDB JSON) with BatchWriteItem, 25 at a time.
inline void LoadItems(const std::string& table, const std::vector<json>& items) {
  for (size_t start = 0; start < items.size(); start += 25) {
    json requests = json::array();
    for (size_t i = start; i < std::min(items.size(), start + 25); ++i) {
      requests.push_back({{"PutRequest", {{"Item", items[i]}}}});
    }
    json request_items = {{table, requests}};
    // DynamoDB Local applies everything, but follow UnprocessedItems anyway.
    for (int attempt = 0; attempt < 10 && !request_items.empty(); ++attempt) {
      const auto answer = Db().Call("BatchWriteItem", {{"RequestItems", request_items}});
      ASSERT_EQ(answer.status, 200) << answer.body.dump();
      request_items = answer.body.value("UnprocessedItems", json::object());
    }
    ASSERT_TRUE(request_items.empty());
  }
}

// The number of items of a table (a consistent COUNT scan).
inline size_t DirectCount(const std::string& table) {
  size_t count = 0;
  json request = {{"TableName", table}, {"Select", "COUNT"}, {"ConsistentRead", true}};
  for (;;) {
    const auto answer = Db().Call("Scan", request);
    EXPECT_EQ(answer.status, 200) << answer.body.dump();
    if (answer.status != 200) break;
    count += answer.body["Count"].get<size_t>();
    if (!answer.body.contains("LastEvaluatedKey")) break;
    request["ExclusiveStartKey"] = answer.body["LastEvaluatedKey"];
  }
  return count;
}

// The string value of attribute `name` of a typed item ("" when absent or not a string).
inline std::string StringOf(const Attributes& item, const std::string& name) {
  auto it = item.find(name);
  return it == item.end() ? "" : it->second.string_value();
}

// ---------------------------------------------------------------------------------------------------------
// Scan streams.

struct ScanStream {
  std::vector<v1::ScanResponse> messages;
  grpc::Status status;
  // Every item of every message, in stream order.
  std::vector<Attributes> Items() const {
    std::vector<Attributes> out;
    for (const auto& message : messages) {
      for (const auto& item : message.items()) out.push_back(item.attributes());
    }
    return out;
  }
  // The resume token of the last message that carried one.
  std::string LastResumeToken() const {
    for (auto it = messages.rbegin(); it != messages.rend(); ++it) {
      if (!it->resume_token().empty()) return it->resume_token();
    }
    return "";
  }
};

// Reads a Scan stream to its end, or cancels it (TryCancel) after `stop_after` messages.
inline ScanStream ReadScan(GatewayHarness& g, const v1::ScanRequest& request,
                           size_t stop_after = std::numeric_limits<size_t>::max(),
                           absl::Duration timeout = absl::Seconds(60)) {
  ScanStream out;
  auto context = Context(timeout);
  std::unique_ptr<grpc::ClientReader<v1::ScanResponse>> reader = g.data().Scan(context.get(), request);
  v1::ScanResponse message;
  while (out.messages.size() < stop_after && reader->Read(&message)) out.messages.push_back(message);
  if (out.messages.size() >= stop_after) {
    context->TryCancel();
    while (reader->Read(&message)) {
    }
  }
  out.status = reader->Finish();
  return out;
}

// Checks the shape of a complete stream: every message before the last has a resume token and no `end`,
// and the last one has `end` with complete = `complete`.
inline ::testing::AssertionResult WellFormedStream(const ScanStream& stream, bool complete) {
  if (!stream.status.ok()) return ::testing::AssertionFailure() << "stream failed: " << Ok(stream.status).message();
  if (stream.messages.empty()) return ::testing::AssertionFailure() << "no message";
  for (size_t i = 0; i + 1 < stream.messages.size(); ++i) {
    if (stream.messages[i].has_end()) return ::testing::AssertionFailure() << "message " << i << " has `end`";
    if (stream.messages[i].resume_token().empty()) {
      return ::testing::AssertionFailure() << "message " << i << " has no resume token";
    }
  }
  const v1::ScanResponse& last = stream.messages.back();
  if (!last.has_end()) return ::testing::AssertionFailure() << "the last message has no `end`";
  if (last.end().complete() != complete) {
    return ::testing::AssertionFailure() << "end.complete is " << last.end().complete();
  }
  return ::testing::AssertionSuccess();
}

// Every value of attribute `name` (strings) in `items`, with how often it occurs.
inline std::map<std::string, int> Occurrences(const std::vector<Attributes>& items, const std::string& name) {
  std::map<std::string, int> out;
  for (const Attributes& item : items) ++out[StringOf(item, name)];
  return out;
}

// Every key in `expected` occurs exactly once in `actual`, and nothing else does.
inline ::testing::AssertionResult ExactlyOnce(const std::map<std::string, int>& actual,
                                              const std::set<std::string>& expected) {
  std::vector<std::string> problems;
  for (const auto& [key, count] : actual) {
    if (!expected.contains(key)) problems.push_back(absl::StrCat("unexpected '", key, "' x", count));
    else if (count != 1) problems.push_back(absl::StrCat("'", key, "' x", count));
  }
  size_t missing = 0;
  for (const std::string& key : expected) missing += actual.contains(key) ? 0 : 1;
  if (problems.empty() && missing == 0) return ::testing::AssertionSuccess();
  auto failure = ::testing::AssertionFailure();
  failure << missing << " missing; " << problems.size() << " problems:";
  for (size_t i = 0; i < problems.size() && i < 10; ++i) failure << " " << problems[i];
  return failure;
}

// ---------------------------------------------------------------------------------------------------------
// A gateway in front of a FakeAlternatorCluster.

inline std::unique_ptr<FakeAlternatorCluster> MakeFakeCluster(const std::vector<std::string>& ips,
                                                              bool supports_transactions = false) {
  std::vector<FakeNodeSpec> topology;
  for (const std::string& ip : ips) {
    FakeNodeSpec spec;
    spec.ip = ip;
    topology.push_back(spec);
  }
  FakeClusterOptions options;
  options.dynamodb_endpoint = Db().endpoint();
  options.supports_transactions = supports_transactions;
  return std::make_unique<FakeAlternatorCluster>(std::move(topology), options);
}

// A gateway whose backend is `cluster` (every node). `transactions` kAuto runs the startup detection.
inline std::unique_ptr<GatewayHarness> GatewayOn(
    FakeAlternatorCluster& cluster,
    service::GatewayConfig::Transactions transactions = service::GatewayConfig::Transactions::kSingleItem,
    const GatewayHarness::Customize& more = nullptr) {
  return std::make_unique<GatewayHarness>([&](service::GatewayConfig& config) {
    config.backend_endpoints = cluster.endpoints();
    config.transactions = transactions;
    if (more) more(config);
  });
}

// ---------------------------------------------------------------------------------------------------------
// Error details.

// The ErrorInfo reason of a google.rpc.Status (a BatchWrite entry status).
inline std::string ReasonOf(const google::rpc::Status& status) {
  for (const google::protobuf::Any& detail : status.details()) {
    google::rpc::ErrorInfo info;
    if (detail.UnpackTo(&info)) return info.reason();
  }
  return "";
}

// The TransactionFailure detail of a failed call.
inline std::optional<v1::TransactionFailure> TransactionFailureOf(const grpc::Status& status) {
  const RpcError error = DecodeError(status);
  for (const google::protobuf::Any& detail : error.status.details()) {
    v1::TransactionFailure failure;
    if (detail.Is<v1::TransactionFailure>() && detail.UnpackTo(&failure)) return failure;
  }
  return std::nullopt;
}

// Per operation: the failure reason ("" when the operation did not cause the failure).
inline std::vector<std::string> FailureReasons(const grpc::Status& status) {
  std::vector<std::string> out;
  std::optional<v1::TransactionFailure> failure = TransactionFailureOf(status);
  if (!failure) return {"<no TransactionFailure detail>"};
  for (const v1::OperationFailure& operation : failure->operations()) out.push_back(operation.reason());
  return out;
}

// The ErrorInfo metadata value `key` of a failed call ("<absent>" when not there).
inline std::string MetadataOf(const grpc::Status& status, const std::string& key) {
  const RpcError error = DecodeError(status);
  if (!error.info) return "<absent>";
  auto it = error.info->metadata().find(key);
  return it == error.info->metadata().end() ? "<absent>" : it->second;
}

}  // namespace altgw::testing

#endif  // ALTGW_TESTS_INTEGRATION_BULK_UTIL_H_
