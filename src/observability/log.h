// Logger: the gateway's structured logs, one JSON object per line. Operational messages go to stderr;
// the access log (one line per gRPC call, see AccessRecord) goes to stderr or a file of its own.
//
// Access lines are written in batches by a writer thread of the logger's own, at most
// kAccessFlushInterval after they were logged: one write(2) per call on the serving threads cost about
// 3% of the gateway's CPU under load (bench/README.md). Operational lines are written at once, after
// any access lines still waiting, so stderr keeps the order things happened in. Flush() and the
// destructor write everything; a process killed without them loses at most the last interval's lines.
//
// Never log item values, keys, expressions or credentials: an access line holds only the facts of
// AccessRecord, all of which are bounded and free of caller data except the request id, which is
// length-checked and JSON-escaped.
#ifndef ALTGW_OBSERVABILITY_LOG_H_
#define ALTGW_OBSERVABILITY_LOG_H_

#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace altgw::observability {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// "debug", "info", "warn" or "error"; InvalidArgument otherwise.
absl::StatusOr<LogLevel> ParseLogLevel(absl::string_view text);
absl::string_view LogLevelName(LogLevel level);

// One finished gRPC call.
struct AccessRecord {
  std::string method;  // "alternator.gateway.v1.DataService/Put"
  std::string status;  // the gRPC code's name: "OK", "UNAVAILABLE", ...
  std::string reason;  // the ErrorInfo reason ("" when OK)
  absl::Duration duration;
  absl::Duration backend_time;  // summed over every database attempt of the call
  int attempts = 0;             // database attempts (0: none was needed or none was made)
  std::string node;             // the database node that gave the last answer ("" when none)
  std::string request_id;       // x-request-id, or one the gateway generated
  std::string trace_id;         // from W3C traceparent ("" when absent or malformed)
};

class Logger {
 public:
  // `access_log_path`: "" or "-" for stderr, otherwise a file opened for appending.
  static absl::StatusOr<std::unique_ptr<Logger>> Open(LogLevel level, const std::string& access_log_path);
  // A logger that writes to stderr at `level` (tests, defaults).
  explicit Logger(LogLevel level = LogLevel::kInfo);
  ~Logger();

  bool Enabled(LogLevel level) const { return level >= level_; }
  LogLevel level() const { return level_; }

  // {"time":..., "level":..., "msg":..., <fields>} on stderr, when `level` is enabled.
  void Log(LogLevel level, absl::string_view message, const nlohmann::json& fields = nlohmann::json::object());
  // The access line of one call, at info level (so --log-level=warn turns the access log off).
  void Access(const AccessRecord& record);
  // The access line as written (without the newline); exposed for tests.
  static std::string FormatAccess(const AccessRecord& record, absl::Time now);

  // Writes every line logged so far.
  void Flush();

  // Access lines wait at most this long before the writer thread writes them.
  static constexpr absl::Duration kAccessFlushInterval = absl::Milliseconds(50);
  // The writer is woken early once this many bytes wait.
  static constexpr size_t kAccessBatchBytes = 64 * 1024;
  // Beyond this many unwritten bytes (waiting, or in the batch being written: the destination is slower
  // than the calls), Access() waits for the writer: memory stays bounded and no line is dropped.
  static constexpr size_t kAccessMaxPendingBytes = 4 * 1024 * 1024;

 private:
  void RunWriter();
  // Writes the access lines waiting. Under write_mu_, so batches reach the destination in order.
  void WritePendingLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);

  const LogLevel level_;
  // Held while writing to a destination; taken before mu_, never after.
  absl::Mutex write_mu_;
  std::string writing_ ABSL_GUARDED_BY(write_mu_);  // the batch being written (its memory is reused)
  std::FILE* access_ = stderr;                      // set by Open() before any line, then fixed
  bool own_access_ = false;
  absl::Mutex mu_;
  absl::CondVar writer_wake_;
  std::string pending_ ABSL_GUARDED_BY(mu_);  // access lines not written yet, each ending in '\n'
  size_t unwritten_bytes_ ABSL_GUARDED_BY(mu_) = 0;  // pending_ plus the batch being written
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool writer_started_ ABSL_GUARDED_BY(mu_) = false;
  std::thread writer_;
};

// The trace id of a W3C traceparent header ("00-<32 hex>-<16 hex>-<2 hex>"), or "" when the header is
// malformed, uses the reserved version ff, or has an all-zero trace or parent id.
std::string TraceIdFromTraceparent(absl::string_view traceparent);

// The caller's x-request-id when it is 1-128 printable ASCII characters; otherwise a new random id
// (32 hex digits).
std::string RequestIdFrom(absl::string_view header);
std::string NewRequestId();

}  // namespace altgw::observability

#endif  // ALTGW_OBSERVABILITY_LOG_H_
