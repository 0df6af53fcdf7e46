#include "observability/metrics.h"

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace altgw::observability {
namespace {

// The value of the sample line `series` (name{labels} as rendered), or -1 when absent.
double Value(const std::string& text, const std::string& series) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::StartsWith(line, series + " ")) return std::stod(std::string(line.substr(series.size() + 1)));
  }
  return -1;
}

TEST(Metrics, CallsAreCountedByMethodAndStatusWithLatencyAndInFlight) {
  Metrics metrics;
  const std::string put = "alternator.gateway.v1.DataService/Put";
  metrics.CallStarted(put);
  metrics.CallStarted(put);
  std::string text = metrics.Render();
  EXPECT_EQ(Value(text, "altgw_in_flight_calls"), 2);
  metrics.CallFinished(put, "OK", absl::Milliseconds(3));
  metrics.CallFinished(put, "UNAVAILABLE", absl::Milliseconds(40));
  metrics.CallShed(put);
  text = metrics.Render();
  EXPECT_EQ(Value(text, "altgw_in_flight_calls"), 0);
  EXPECT_EQ(Value(text, R"(grpc_server_call_started_total{grpc_method=")" + put + R"("})"), 3);
  EXPECT_EQ(Value(text, R"(grpc_server_call_duration_seconds_count{grpc_method=")" + put + R"(",grpc_status="OK"})"), 1);
  EXPECT_EQ(Value(text, R"(grpc_server_call_duration_seconds_bucket{grpc_method=")" + put +
                            R"(",grpc_status="OK",le="0.005"})"),
            1);
  EXPECT_EQ(Value(text, R"(grpc_server_call_duration_seconds_bucket{grpc_method=")" + put +
                            R"(",grpc_status="UNAVAILABLE",le="0.025"})"),
            0);
  EXPECT_EQ(Value(text, R"(altgw_shed_calls_total{grpc_method=")" + put + R"("})"), 1);
  EXPECT_NE(text.find("# TYPE grpc_server_call_duration_seconds histogram"), std::string::npos);
}

TEST(Metrics, BackendAttemptsAndRetriesAreCountedByTheirLabels) {
  Metrics metrics;
  alternator::BackendObserver& observer = metrics;
  observer.OnBackendAttempt("http://127.0.0.1:8000", "PutItem", "2xx", absl::Milliseconds(2));
  observer.OnBackendAttempt("http://127.0.0.1:8000", "PutItem", "2xx", absl::Milliseconds(2));
  observer.OnBackendAttempt("http://127.0.0.2:8000", "GetItem", "not_sent", absl::ZeroDuration());
  observer.OnBackendRetry("not_sent");
  const std::string text = metrics.Render();
  EXPECT_EQ(Value(text, R"(altgw_backend_requests_total{node="http://127.0.0.1:8000",operation="PutItem",outcome="2xx"})"),
            2);
  EXPECT_EQ(Value(text, R"(altgw_backend_requests_total{node="http://127.0.0.2:8000",operation="GetItem",outcome="not_sent"})"),
            1);
  EXPECT_EQ(Value(text, R"(altgw_backend_retries_total{reason="not_sent"})"), 1);
  EXPECT_EQ(Value(text, R"(altgw_backend_request_duration_seconds_count{operation="PutItem"})"), 2);
}

// The hot path finds each label combination's metric in a cache filled on first use: threads racing to
// create the same series must still land in one series, and no count may be lost.
TEST(Metrics, ConcurrentCallsOnNewAndKnownLabelsLoseNothing) {
  Metrics metrics;
  constexpr int kThreads = 4;
  constexpr int kCalls = 2000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&metrics, t] {
      for (int i = 0; i < kCalls; ++i) {
        metrics.CallStarted("M");
        metrics.CallFinished("M", i % 2 == 0 ? "OK" : absl::StrCat("S", t), absl::Milliseconds(1));
        metrics.OnBackendAttempt("http://127.0.0.1:8000", "GetItem", "2xx", absl::Milliseconds(1));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const std::string text = metrics.Render();
  EXPECT_EQ(Value(text, R"(grpc_server_call_started_total{grpc_method="M"})"), kThreads * kCalls);
  EXPECT_EQ(Value(text, R"(grpc_server_call_duration_seconds_count{grpc_method="M",grpc_status="OK"})"),
            kThreads * kCalls / 2);
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(Value(text, absl::StrCat(R"(grpc_server_call_duration_seconds_count{grpc_method="M",grpc_status="S)",
                                       t, R"("})")),
              kCalls / 2);
  }
  EXPECT_EQ(Value(text, R"(altgw_backend_requests_total{node="http://127.0.0.1:8000",operation="GetItem",outcome="2xx"})"),
            kThreads * kCalls);
  EXPECT_EQ(Value(text, "altgw_in_flight_calls"), 0);
}

TEST(Metrics, ReadinessIsSampledAtScrapeTime) {
  Metrics metrics;
  bool ready = true;
  metrics.WatchReadiness([&] { return ready; });
  EXPECT_EQ(Value(metrics.Render(), "altgw_ready"), 1);
  ready = false;
  EXPECT_EQ(Value(metrics.Render(), "altgw_ready"), 0);
}

}  // namespace
}  // namespace altgw::observability
