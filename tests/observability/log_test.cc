#include "observability/log.h"

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace altgw::observability {
namespace {

TEST(Traceparent, TakesTheTraceIdOfAValidHeader) {
  EXPECT_EQ(TraceIdFromTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
            "4bf92f3577b34da6a3ce929d0e0e4736");
  // A later version may carry more fields; its first four keep their meaning.
  EXPECT_EQ(TraceIdFromTraceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra"),
            "4bf92f3577b34da6a3ce929d0e0e4736");
}

TEST(Traceparent, RejectsMalformedOrReservedHeaders) {
  EXPECT_EQ(TraceIdFromTraceparent(""), "");
  EXPECT_EQ(TraceIdFromTraceparent("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"), "");  // upper case
  EXPECT_EQ(TraceIdFromTraceparent("00-00000000000000000000000000000000-00f067aa0ba902b7-01"), "");  // zero trace
  EXPECT_EQ(TraceIdFromTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"), "");  // zero parent
  EXPECT_EQ(TraceIdFromTraceparent("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"), "");  // reserved
  EXPECT_EQ(TraceIdFromTraceparent("00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01"), "");   // short
  EXPECT_EQ(TraceIdFromTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x"), "");  // v00 + extra
}

TEST(RequestId, KeepsAPrintableCallerIdAndReplacesAnythingElse) {
  EXPECT_EQ(RequestIdFrom("req-42"), "req-42");
  const std::string generated = RequestIdFrom("");
  EXPECT_EQ(generated.size(), 32u);
  EXPECT_NE(RequestIdFrom(""), generated);
  EXPECT_EQ(RequestIdFrom("has space").size(), 32u);
  EXPECT_EQ(RequestIdFrom("line\nbreak").size(), 32u);
  EXPECT_EQ(RequestIdFrom(std::string(129, 'a')).size(), 32u);
}

TEST(AccessLine, IsOneJsonObjectWithEveryField) {
  AccessRecord record;
  record.method = "alternator.gateway.v1.DataService/Put";
  record.status = "UNAVAILABLE";
  record.reason = "BACKEND_UNAVAILABLE";
  record.duration = absl::Microseconds(1500);
  record.backend_time = absl::Milliseconds(1);
  record.attempts = 3;
  record.node = "http://127.0.0.2:8000";
  record.request_id = "req\"quoted";
  record.trace_id = "";
  const std::string line = Logger::FormatAccess(record, absl::FromUnixSeconds(1700000000));
  EXPECT_EQ(line.find('\n'), std::string::npos);
  const auto json = nlohmann::json::parse(line);
  EXPECT_EQ(json["time"], "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(json["method"], record.method);
  EXPECT_EQ(json["status"], "UNAVAILABLE");
  EXPECT_EQ(json["reason"], "BACKEND_UNAVAILABLE");
  EXPECT_DOUBLE_EQ(json["durationMs"].get<double>(), 1.5);
  EXPECT_DOUBLE_EQ(json["backendMs"].get<double>(), 1.0);
  EXPECT_EQ(json["attempts"], 3);
  EXPECT_EQ(json["node"], "http://127.0.0.2:8000");
  EXPECT_EQ(json["requestId"], "req\"quoted");
  EXPECT_TRUE(json["traceId"].is_null());
}

TEST(AccessLine, EscapesEveryFieldAndKeepsMicroseconds) {
  AccessRecord record;
  record.method = "m\\with/back\\slash";
  record.status = "OK";
  record.node = "tab\there, newline\n, bell\x07, quote\"";
  record.request_id = "caf\xc3\xa9 and bad \xff byte";  // not from RequestIdFrom: the formatter must cope
  record.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  record.duration = absl::Microseconds(1234567);
  record.backend_time = absl::Microseconds(7);
  // Milliseconds are added to a time just before a second boundary and just after it.
  const absl::Time now = absl::FromUnixMillis(1700000000999);
  const std::string line = Logger::FormatAccess(record, now);
  const auto json = nlohmann::json::parse(line);  // throws on any escaping mistake
  EXPECT_EQ(json["time"], "2023-11-14T22:13:20.999Z");
  EXPECT_EQ(json["method"], record.method);
  EXPECT_EQ(json["node"], record.node);
  EXPECT_EQ(json["requestId"], "caf\xc3\xa9 and bad \xef\xbf\xbd byte");  // U+FFFD for the bad byte
  EXPECT_EQ(json["traceId"], record.trace_id);
  EXPECT_EQ(json["reason"], "");
  EXPECT_NE(line.find("\"durationMs\":1234.567,"), std::string::npos) << line;
  EXPECT_NE(line.find("\"backendMs\":0.007,"), std::string::npos) << line;
  EXPECT_NE(line.find("\\u0007"), std::string::npos) << line;
  EXPECT_EQ(nlohmann::json::parse(Logger::FormatAccess(record, now + absl::Milliseconds(1)))["time"],
            "2023-11-14T22:13:21.000Z");
  EXPECT_EQ(nlohmann::json::parse(Logger::FormatAccess(record, absl::FromUnixMillis(-1)))["time"],
            "1969-12-31T23:59:59.999Z");
}

TEST(LogLevel, ParsesTheFourLevelsOnly) {
  EXPECT_EQ(*ParseLogLevel("debug"), LogLevel::kDebug);
  EXPECT_EQ(*ParseLogLevel("warn"), LogLevel::kWarn);
  EXPECT_FALSE(ParseLogLevel("verbose").ok());
  Logger warn(LogLevel::kWarn);
  EXPECT_FALSE(warn.Enabled(LogLevel::kInfo));
  EXPECT_TRUE(warn.Enabled(LogLevel::kError));
}

TEST(Logger, OpenReportsAnUnwritableAccessLog) {
  auto logger = Logger::Open(LogLevel::kInfo, "/nonexistent-dir/access.log");
  ASSERT_FALSE(logger.ok());
  EXPECT_NE(logger.status().message().find("/nonexistent-dir/access.log"), std::string::npos);
}

}  // namespace
}  // namespace altgw::observability
