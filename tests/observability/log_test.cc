#include "observability/log.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
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


AccessRecord NumberedRecord(int n) {
  AccessRecord record;
  record.method = "alternator.gateway.v1.DataService/Get";
  record.status = "OK";
  record.request_id = absl::StrCat("req-", n);
  return record;
}

std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

class AccessLogFile : public ::testing::Test {
 protected:
  void SetUp() override {
    char path[] = "/tmp/altgw-logtest-XXXXXX";
    const int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    close(fd);
    path_ = path;
  }
  void TearDown() override { unlink(path_.c_str()); }
  std::string path_;
};

TEST_F(AccessLogFile, LinesFromManyThreadsArriveWholeAndEachThreadsInOrder) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 5000;  // several batches' worth
  {
    auto logger = Logger::Open(LogLevel::kInfo, path_);
    ASSERT_TRUE(logger.ok()) << logger.status();
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) (*logger)->Access(NumberedRecord(t * kPerThread + i));
      });
    }
    for (auto& thread : threads) thread.join();
  }  // the destructor writes what is left
  const std::vector<std::string> lines = ReadLines(path_);
  ASSERT_EQ(lines.size(), static_cast<size_t>(kThreads * kPerThread));
  std::vector<int> last(kThreads, -1);
  for (const std::string& line : lines) {
    const auto json = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(json.is_discarded()) << "not one whole JSON line: " << line;
    const int n = std::stoi(json["requestId"].get<std::string>().substr(4));
    const int thread = n / kPerThread;
    EXPECT_GT(n, last[thread]) << "thread " << thread << "'s lines out of order";
    last[thread] = n;
  }
}

TEST_F(AccessLogFile, TheWriterWritesWithoutAFlush) {
  auto logger = Logger::Open(LogLevel::kInfo, path_);
  ASSERT_TRUE(logger.ok()) << logger.status();
  (*logger)->Access(NumberedRecord(7));
  // Within the flush interval, with a wide margin for a loaded machine; the logger stays open.
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  std::vector<std::string> lines;
  while ((lines = ReadLines(path_)).empty() && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(5));
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(lines[0])["requestId"], "req-7");
}

TEST_F(AccessLogFile, FlushWritesEverythingLoggedSoFar) {
  auto logger = Logger::Open(LogLevel::kInfo, path_);
  ASSERT_TRUE(logger.ok()) << logger.status();
  for (int i = 0; i < 3; ++i) (*logger)->Access(NumberedRecord(i));
  (*logger)->Flush();
  EXPECT_EQ(ReadLines(path_).size(), 3u);
}

TEST(Logger, AnOperationalLineComesAfterTheAccessLinesBeforeItOnStderr) {
  ::testing::internal::CaptureStderr();
  {
    Logger logger(LogLevel::kInfo);
    logger.Access(NumberedRecord(1));
    logger.Access(NumberedRecord(2));
    logger.Log(LogLevel::kWarn, "after the calls");
    logger.Access(NumberedRecord(3));
  }
  const std::string captured = ::testing::internal::GetCapturedStderr();
  std::vector<std::string> lines = absl::StrSplit(captured, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 4u) << captured;
  EXPECT_EQ(nlohmann::json::parse(lines[0])["requestId"], "req-1");
  EXPECT_EQ(nlohmann::json::parse(lines[1])["requestId"], "req-2");
  EXPECT_EQ(nlohmann::json::parse(lines[2])["msg"], "after the calls");
  EXPECT_EQ(nlohmann::json::parse(lines[3])["requestId"], "req-3");
}

TEST(Logger, ASlowDestinationHoldsCallersBackInsteadOfDroppingLines) {
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  const int pipe_bytes = fcntl(pipe_fds[1], F_GETPIPE_SZ);
  ASSERT_GT(pipe_bytes, 0);
  auto logger = Logger::Open(LogLevel::kInfo, absl::StrCat("/dev/fd/", pipe_fds[1]));
  ASSERT_TRUE(logger.ok()) << logger.status();
  close(pipe_fds[1]);  // the logger has its own descriptor for the pipe
  // What may be taken while nobody reads: the logger's bound on unwritten bytes, what the pipe holds, the
  // line that crosses the bound, and stdio's buffer. The caller logs 1 MiB more than that.
  const size_t longest_line = Logger::FormatAccess(NumberedRecord(9999999), absl::Now()).size() + 1;
  const size_t may_take = Logger::kAccessMaxPendingBytes + static_cast<size_t>(pipe_bytes) + longest_line + BUFSIZ;
  const size_t shortest_line = Logger::FormatAccess(NumberedRecord(0), absl::Now()).size() + 1;
  const int count = static_cast<int>((may_take + (1u << 20)) / shortest_line) + 1;
  std::atomic<size_t> taken_bytes{0};
  std::atomic<bool> done{false};
  std::thread caller([&] {
    for (int i = 0; i < count; ++i) {
      AccessRecord record = NumberedRecord(i);
      (*logger)->Access(record);
      taken_bytes += Logger::FormatAccess(record, absl::Now()).size() + 1;
    }
    done = true;
  });
  // Wait until the caller stops making progress (it is held back), however slow this machine is.
  size_t last = 0;
  for (int stable_polls = 0; stable_polls < 4 && !done.load();) {
    absl::SleepFor(absl::Milliseconds(50));
    const size_t now = taken_bytes.load();
    stable_polls = now == last ? stable_polls + 1 : 0;
    last = now;
  }
  EXPECT_FALSE(done.load()) << "every line was taken although nothing could be written";
  EXPECT_LE(taken_bytes.load(), may_take) << "memory is not bounded by kAccessMaxPendingBytes";
  // Reading the pipe lets the caller go on; every line arrives, whole and in order.
  std::thread closer([&] {
    caller.join();
    logger->reset();  // writes the rest and closes the pipe
  });
  std::string text;
  char buffer[1 << 16];
  ssize_t got;
  while ((got = read(pipe_fds[0], buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<size_t>(got));
  close(pipe_fds[0]);
  closer.join();
  EXPECT_TRUE(done.load());
  std::vector<std::string> lines = absl::StrSplit(text, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), static_cast<size_t>(count));
  for (int i = 0; i < count; i += count / 16) {
    EXPECT_EQ(nlohmann::json::parse(lines[static_cast<size_t>(i)])["requestId"], absl::StrCat("req-", i));
  }
  EXPECT_EQ(nlohmann::json::parse(lines.back())["requestId"], absl::StrCat("req-", count - 1));
}

}  // namespace
}  // namespace altgw::observability
