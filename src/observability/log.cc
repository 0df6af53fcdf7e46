#include "observability/log.h"

#include <pthread.h>

#include <cerrno>
#include <cstring>
#include <limits>
#include <random>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace altgw::observability {
namespace {

using json = nlohmann::ordered_json;

std::string Timestamp(absl::Time now) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", now, absl::UTCTimeZone());
}

// The access line is written for every call, so it is built by hand rather than through a json value
// (which cost about 5% of the gateway's CPU under load, with a time-zone formatter run per line).

// "2023-11-14T22:13:20.000Z": the part up to the seconds is formatted once per second per thread.
void AppendTimestamp(std::string* out, absl::Time now) {
  thread_local int64_t cached_second = std::numeric_limits<int64_t>::min();
  thread_local std::string cached_text;
  const int64_t millis = absl::ToUnixMillis(now);
  const int64_t second = millis >= 0 ? millis / 1000 : (millis - 999) / 1000;
  if (second != cached_second) {
    cached_second = second;
    cached_text = absl::FormatTime("%Y-%m-%dT%H:%M:%S", absl::FromUnixSeconds(second), absl::UTCTimeZone());
  }
  const int fraction = static_cast<int>(millis - second * 1000);
  absl::StrAppend(out, cached_text, ".", absl::Dec(fraction, absl::kZeroPad3), "Z");
}

// A duration in milliseconds with microsecond precision: "1.500".
void AppendMillis(std::string* out, absl::Duration d) {
  int64_t micros = absl::ToInt64Microseconds(d);
  if (micros < 0) {
    out->push_back('-');
    micros = -micros;
  }
  absl::StrAppend(out, micros / 1000, ".", absl::Dec(micros % 1000, absl::kZeroPad3));
}

// `text` as a JSON string. The fields are ASCII in practice (the request id is checked to be printable
// ASCII); anything else takes the json library's path, which also replaces invalid UTF-8.
void AppendJsonString(std::string* out, absl::string_view text) {
  for (const char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      out->append(json(std::string(text)).dump(-1, ' ', false, json::error_handler_t::replace));
      return;
    }
  }
  out->push_back('"');
  size_t plain = 0;  // start of the run of characters that need no escape
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(text.data() + plain, i - plain);
    plain = i + 1;
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        absl::StrAppend(out, "\\u00", absl::Hex(c, absl::kZeroPad2));
    }
  }
  out->append(text.data() + plain, text.size() - plain);
  out->push_back('"');
}

bool IsLowerHex(absl::string_view text, size_t length) {
  if (text.size() != length) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool AllZero(absl::string_view text) { return text.find_first_not_of('0') == absl::string_view::npos; }

}  // namespace

absl::StatusOr<LogLevel> ParseLogLevel(absl::string_view text) {
  if (text == "debug") return LogLevel::kDebug;
  if (text == "info") return LogLevel::kInfo;
  if (text == "warn") return LogLevel::kWarn;
  if (text == "error") return LogLevel::kError;
  return absl::InvalidArgumentError(absl::StrCat("'", text, "' is not one of debug, info, warn, error"));
}

absl::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      break;
  }
  return "error";
}

absl::StatusOr<std::unique_ptr<Logger>> Logger::Open(LogLevel level, const std::string& access_log_path) {
  auto logger = std::make_unique<Logger>(level);
  if (access_log_path.empty() || access_log_path == "-") return logger;
  std::FILE* file = std::fopen(access_log_path.c_str(), "a");
  if (file == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot open '", access_log_path, "' for appending: ", std::strerror(errno)));
  }
  // No line has been logged yet, so no writer thread reads these.
  logger->access_ = file;
  logger->own_access_ = true;
  return logger;
}

Logger::Logger(LogLevel level) : level_(level) {}

Logger::~Logger() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    writer_wake_.SignalAll();
  }
  if (writer_.joinable()) writer_.join();
  absl::MutexLock write_lock(&write_mu_);
  WritePendingLocked();
  if (own_access_) std::fclose(access_);
  std::fflush(stderr);
}

void Logger::WritePendingLocked() {
  writing_.clear();
  {
    absl::MutexLock lock(&mu_);
    writing_.swap(pending_);
  }
  if (writing_.empty()) return;
  // Whole lines only: a batch is a run of complete lines, written with one call.
  std::fwrite(writing_.data(), 1, writing_.size(), access_);
  std::fflush(access_);
  {
    // Only now may callers add as many bytes again: the bound covers the batch in hand too.
    absl::MutexLock lock(&mu_);
    unwritten_bytes_ -= writing_.size();
  }
  // A burst may have grown the buffer to megabytes; do not keep them.
  if (writing_.capacity() > 4 * kAccessBatchBytes) std::string().swap(writing_);
}

void Logger::RunWriter() {
  pthread_setname_np(pthread_self(), "altgw-log");
  for (;;) {
    bool stop;
    {
      absl::MutexLock lock(&mu_);
      while (pending_.empty() && !stopping_) writer_wake_.Wait(&mu_);
      // Let more lines gather into this batch, unless enough wait already.
      const absl::Time until = absl::Now() + kAccessFlushInterval;
      while (!stopping_ && pending_.size() < kAccessBatchBytes) {
        if (writer_wake_.WaitWithDeadline(&mu_, until)) break;  // true: the deadline passed
      }
      stop = stopping_;
    }
    {
      absl::MutexLock write_lock(&write_mu_);
      WritePendingLocked();
    }
    if (stop) return;
  }
}

void Logger::Log(LogLevel level, absl::string_view message, const nlohmann::json& fields) {
  if (!Enabled(level)) return;
  json line = {{"time", Timestamp(absl::Now())}, {"level", LogLevelName(level)}, {"msg", message}};
  if (fields.is_object()) {
    for (auto it = fields.begin(); it != fields.end(); ++it) line[it.key()] = it.value();
  }
  std::string text = line.dump(-1, ' ', false, json::error_handler_t::replace);
  // One write per line (stderr is unbuffered): never half a line for a log shipper to read.
  text.push_back('\n');
  absl::MutexLock write_lock(&write_mu_);
  // Access lines logged before this one come first on a shared stderr.
  if (access_ == stderr) WritePendingLocked();
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
}

std::string Logger::FormatAccess(const AccessRecord& record, absl::Time now) {
  std::string line;
  line.reserve(320);
  line.append("{\"time\":\"");
  AppendTimestamp(&line, now);
  line.append("\",\"level\":\"info\",\"msg\":\"call\",\"method\":");
  AppendJsonString(&line, record.method);
  line.append(",\"status\":");
  AppendJsonString(&line, record.status);
  line.append(",\"reason\":");
  AppendJsonString(&line, record.reason);
  line.append(",\"durationMs\":");
  AppendMillis(&line, record.duration);
  line.append(",\"backendMs\":");
  AppendMillis(&line, record.backend_time);
  absl::StrAppend(&line, ",\"attempts\":", record.attempts, ",\"node\":");
  AppendJsonString(&line, record.node);
  line.append(",\"requestId\":");
  AppendJsonString(&line, record.request_id);
  line.append(",\"traceId\":");
  if (record.trace_id.empty()) {
    line.append("null");
  } else {
    AppendJsonString(&line, record.trace_id);
  }
  line.push_back('}');
  return line;
}

void Logger::Access(const AccessRecord& record) {
  if (!Enabled(LogLevel::kInfo)) return;
  std::string text = FormatAccess(record, absl::Now());
  text.push_back('\n');
  absl::MutexLock lock(&mu_);
  if (unwritten_bytes_ >= kAccessMaxPendingBytes) {
    // The destination is slower than the calls: wait for the writer rather than drop lines or grow.
    mu_.Await(absl::Condition(
        +[](Logger* logger) ABSL_EXCLUSIVE_LOCKS_REQUIRED(logger->mu_) {
          return logger->unwritten_bytes_ < kAccessMaxPendingBytes || logger->stopping_;
        },
        this));
  }
  if (!writer_started_) {
    writer_started_ = true;
    writer_ = std::thread([this] { RunWriter(); });
  }
  const bool was_empty = pending_.empty();
  pending_.append(text);
  unwritten_bytes_ += text.size();
  // The writer sleeps until there is a first line, then gathers more for up to the interval.
  if (was_empty || pending_.size() >= kAccessBatchBytes) writer_wake_.Signal();
}

void Logger::Flush() {
  absl::MutexLock write_lock(&write_mu_);
  WritePendingLocked();
  std::fflush(stderr);
}

std::string TraceIdFromTraceparent(absl::string_view traceparent) {
  std::vector<absl::string_view> parts = absl::StrSplit(absl::StripAsciiWhitespace(traceparent), '-');
  // Version 00 has exactly four parts; later versions may append more, which a version-00 reader ignores.
  if (parts.size() < 4 || !IsLowerHex(parts[0], 2) || parts[0] == "ff") return "";
  if (parts[0] == "00" && parts.size() != 4) return "";
  if (!IsLowerHex(parts[1], 32) || AllZero(parts[1])) return "";
  if (!IsLowerHex(parts[2], 16) || AllZero(parts[2])) return "";
  if (!IsLowerHex(parts[3], 2)) return "";
  return std::string(parts[1]);
}

std::string NewRequestId() {
  thread_local std::mt19937_64 engine(std::random_device{}());
  return absl::StrCat(absl::Hex(engine(), absl::kZeroPad16), absl::Hex(engine(), absl::kZeroPad16));
}

std::string RequestIdFrom(absl::string_view header) {
  if (header.empty() || header.size() > 128) return NewRequestId();
  for (char c : header) {
    if (c < 0x21 || c > 0x7e) return NewRequestId();
  }
  return std::string(header);
}

}  // namespace altgw::observability
