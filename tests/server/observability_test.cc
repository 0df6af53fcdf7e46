// Metrics and access logs of a real gateway (in process) in front of DynamoDB Local: /metrics is scraped
// over HTTP and parsed, and counters move with the traffic sent; the access log holds one JSON line per
// call with the required fields and none of the item's values.
#include <httplib.h>

#include <fstream>
#include <map>
#include <regex>

#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "support/dynamodb_local.h"
#include "support/gateway_harness.h"

namespace altgw::testing {
namespace {

// A parsed Prometheus text exposition: series ("name{labels}" as rendered) -> value. Fails the test on
// any line that is neither a comment nor a sample.
std::map<std::string, double> Scrape(int admin_port) {
  httplib::Client client("127.0.0.1", admin_port);
  auto answer = client.Get("/metrics");
  EXPECT_TRUE(answer);
  if (!answer) return {};
  EXPECT_EQ(answer->status, 200);
  EXPECT_NE(answer->get_header_value("Content-Type").find("text/plain"), std::string::npos);
  static const std::regex kSample(R"(^([a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})?) (-?[0-9.eE+-]+|NaN|\+Inf|-Inf)$)");
  std::map<std::string, double> out;
  for (absl::string_view line : absl::StrSplit(answer->body, '\n', absl::SkipEmpty())) {
    if (line[0] == '#') {
      EXPECT_TRUE(absl::StartsWith(line, "# HELP ") || absl::StartsWith(line, "# TYPE ")) << line;
      continue;
    }
    std::cmatch match;
    const std::string text(line);
    if (!std::regex_match(text.c_str(), match, kSample)) {
      ADD_FAILURE() << "not a sample line: " << line;
      continue;
    }
    out[match[1].str()] = std::stod(match[3].str());
  }
  return out;
}

double Get(const std::map<std::string, double>& metrics, const std::string& series) {
  auto it = metrics.find(series);
  return it == metrics.end() ? 0 : it->second;
}

TEST(Observability, MetricsScrapedFromTheAdminPortMoveWithTraffic) {
  GatewayHarness gateway([](service::GatewayConfig& config) { config.admin_listen = "127.0.0.1:0"; });
  const std::string table = UniqueTableName("metrics");
  CreateTable(gateway, table, "pk", v1::SCALAR_TYPE_STRING);
  const auto before = Scrape(gateway.server().admin_port());
  const std::string node = DynamoDbLocal::Shared().endpoint();

  constexpr int kPuts = 7;
  for (int i = 0; i < kPuts; ++i) {
    v1::PutRequest put;
    put.set_table(table);
    (*put.mutable_item())["pk"].set_string_value("k" + std::to_string(i));
    v1::PutResponse response;
    ASSERT_TRUE(gateway.data().Put(Context().get(), put, &response).ok());
  }
  v1::GetRequest missing;
  missing.set_table(UniqueTableName("absent"));
  (*missing.mutable_key())["pk"].set_string_value("k");
  v1::GetResponse response;
  EXPECT_EQ(gateway.data().Get(Context().get(), missing, &response).error_code(), grpc::StatusCode::NOT_FOUND);

  const auto after = Scrape(gateway.server().admin_port());
  const std::string put = "alternator.gateway.v1.DataService/Put";
  const std::string get = "alternator.gateway.v1.DataService/Get";
  auto delta = [&](const std::string& series) { return Get(after, series) - Get(before, series); };
  EXPECT_EQ(delta(R"(grpc_server_call_started_total{grpc_method=")" + put + R"("})"), kPuts);
  EXPECT_EQ(delta(R"(grpc_server_call_duration_seconds_count{grpc_method=")" + put + R"(",grpc_status="OK"})"), kPuts);
  EXPECT_EQ(delta(R"(grpc_server_call_duration_seconds_bucket{grpc_method=")" + put +
                  R"(",grpc_status="OK",le="+Inf"})"),
            kPuts);
  EXPECT_GT(delta(R"(grpc_server_call_duration_seconds_sum{grpc_method=")" + put + R"(",grpc_status="OK"})"), 0);
  EXPECT_EQ(delta(R"(grpc_server_call_duration_seconds_count{grpc_method=")" + get + R"(",grpc_status="NOT_FOUND"})"),
            1);
  EXPECT_EQ(delta(R"(altgw_backend_requests_total{node=")" + node + R"(",operation="PutItem",outcome="2xx"})"),
            kPuts);
  EXPECT_EQ(delta(R"(altgw_backend_requests_total{node=")" + node + R"(",operation="DescribeTable",outcome="4xx"})"),
            1);
  EXPECT_EQ(Get(after, "altgw_in_flight_calls"), 0);
  EXPECT_EQ(Get(after, R"(altgw_backend_node_state{node=")" + node + R"(",state="ACTIVE"})"), 1);
  EXPECT_EQ(Get(after, R"(altgw_backend_node_state{node=")" + node + R"(",state="DOWN"})"), 0);
  EXPECT_EQ(Get(after, "altgw_backend_usable_nodes"), 1);
  EXPECT_EQ(Get(after, "altgw_ready"), 1);
  EXPECT_GE(delta(R"(altgw_affinity_decisions_total{decision="round_robin"})"), kPuts);
  EXPECT_TRUE(after.count(R"(altgw_discovery_refreshes_total{result="failed"})"));
  std::cout << "[figures] /metrics: " << after.size() << " series parsed\n";
}

TEST(Observability, AccessLogHasOneJsonLinePerCallWithTheRequiredFieldsAndNoValues) {
  char path[] = "/tmp/altgw-access-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  const std::string table = UniqueTableName("accesslog");
  const std::string secret_value = "item-value-that-must-never-be-logged";
  {
    GatewayHarness gateway([&](service::GatewayConfig& config) { config.access_log = path; });
    CreateTable(gateway, table, "pk", v1::SCALAR_TYPE_STRING);
    v1::PutRequest put;
    put.set_table(table);
    (*put.mutable_item())["pk"].set_string_value("key-value-that-must-never-be-logged");
    (*put.mutable_item())["v"].set_string_value(secret_value);
    v1::PutResponse put_response;
    auto context = Context();
    context->AddMetadata("x-request-id", "req-ops-1");
    context->AddMetadata("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    ASSERT_TRUE(gateway.data().Put(context.get(), put, &put_response).ok());
    // The request id comes back in the trailers.
    auto trailer = context->GetServerTrailingMetadata().find("x-request-id");
    ASSERT_NE(trailer, context->GetServerTrailingMetadata().end());
    EXPECT_EQ(std::string(trailer->second.data(), trailer->second.size()), "req-ops-1");

    v1::GetRequest missing;
    missing.set_table(UniqueTableName("absent"));
    (*missing.mutable_key())["pk"].set_string_value("k");
    v1::GetResponse get_response;
    EXPECT_FALSE(gateway.data().Get(Context().get(), missing, &get_response).ok());
  }
  std::ifstream in(path);
  std::vector<nlohmann::json> lines;
  std::string line;
  std::string all;
  while (std::getline(in, line)) {
    all += line;
    auto json = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(json.is_discarded()) << "not JSON: " << line;
    lines.push_back(std::move(json));
  }
  unlink(path);
  ASSERT_EQ(lines.size(), 3u) << all;  // CreateTable, Put, Get
  for (const auto& json : lines) {
    for (const char* field : {"time", "method", "status", "reason", "durationMs", "backendMs", "attempts", "node",
                              "requestId", "traceId"}) {
      EXPECT_TRUE(json.contains(field)) << field << " missing in " << json.dump();
    }
  }
  const auto& put = lines[1];
  EXPECT_EQ(put["method"], "alternator.gateway.v1.DataService/Put");
  EXPECT_EQ(put["status"], "OK");
  EXPECT_EQ(put["reason"], "");
  EXPECT_EQ(put["requestId"], "req-ops-1");
  EXPECT_EQ(put["traceId"], "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(put["attempts"], 1);
  EXPECT_EQ(put["node"], DynamoDbLocal::Shared().endpoint());
  EXPECT_GT(put["backendMs"].get<double>(), 0);
  EXPECT_GE(put["durationMs"].get<double>(), put["backendMs"].get<double>());
  const auto& get = lines[2];
  EXPECT_EQ(get["status"], "NOT_FOUND");
  EXPECT_EQ(get["reason"], "TABLE_NOT_FOUND");
  EXPECT_EQ(get["requestId"].get<std::string>().size(), 32u);  // generated
  EXPECT_TRUE(get["traceId"].is_null());
  EXPECT_EQ(all.find("must-never-be-logged"), std::string::npos);
}

}  // namespace
}  // namespace altgw::testing
