#include "observability/log.h"

#include <cerrno>
#include <cstring>
#include <random>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace altgw::observability {
namespace {

using json = nlohmann::ordered_json;

std::string Timestamp(absl::Time now) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", now, absl::UTCTimeZone());
}

double Millis(absl::Duration d) { return absl::ToDoubleMilliseconds(d); }

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
  absl::MutexLock lock(&logger->mu_);
  logger->access_ = file;
  logger->own_access_ = true;
  return logger;
}

Logger::Logger(LogLevel level) : level_(level) {}

Logger::~Logger() {
  absl::MutexLock lock(&mu_);
  if (own_access_) std::fclose(access_);
  std::fflush(stderr);
}

void Logger::Write(std::FILE* out, const std::string& line) {
  std::fwrite(line.data(), 1, line.size(), out);
  std::fputc('\n', out);
  // One line per call is the unit operators read and ship: never leave half a line in a buffer.
  std::fflush(out);
}

void Logger::Log(LogLevel level, absl::string_view message, const nlohmann::json& fields) {
  if (!Enabled(level)) return;
  json line = {{"time", Timestamp(absl::Now())}, {"level", LogLevelName(level)}, {"msg", message}};
  if (fields.is_object()) {
    for (auto it = fields.begin(); it != fields.end(); ++it) line[it.key()] = it.value();
  }
  const std::string text = line.dump(-1, ' ', false, json::error_handler_t::replace);
  absl::MutexLock lock(&mu_);
  Write(stderr, text);
}

std::string Logger::FormatAccess(const AccessRecord& record, absl::Time now) {
  json line = {
      {"time", Timestamp(now)},
      {"level", "info"},
      {"msg", "call"},
      {"method", record.method},
      {"status", record.status},
      {"reason", record.reason},
      {"durationMs", Millis(record.duration)},
      {"backendMs", Millis(record.backend_time)},
      {"attempts", record.attempts},
      {"node", record.node},
      {"requestId", record.request_id},
  };
  line["traceId"] = record.trace_id.empty() ? json(nullptr) : json(record.trace_id);
  return line.dump(-1, ' ', false, json::error_handler_t::replace);
}

void Logger::Access(const AccessRecord& record) {
  if (!Enabled(LogLevel::kInfo)) return;
  const std::string text = FormatAccess(record, absl::Now());
  absl::MutexLock lock(&mu_);
  Write(access_, text);
}

void Logger::Flush() {
  absl::MutexLock lock(&mu_);
  std::fflush(access_);
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
