// CallTracker: the gateway's book of running gRPC calls (DataService, TableService, RoutingService; not
// health or reflection). It
//   - sheds load: past `max_in_flight` running calls, a new call is refused at once with
//     RESOURCE_EXHAUSTED / OVERLOADED + RetryInfo instead of queueing;
//   - reports every finished call to the metrics and writes its access-log line;
//   - at the end of a drain, aborts the calls still running (AbortAll) so each gets a retryable answer
//     of the gateway's own rather than a bare transport cancellation.
#ifndef ALTGW_SERVICE_CALL_TRACKER_H_
#define ALTGW_SERVICE_CALL_TRACKER_H_

#include <grpcpp/support/string_ref.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "observability/log.h"
#include "observability/metrics.h"

namespace altgw::service {

// A gRPC method of the gateway, as metrics and logs name it.
struct MethodInfo {
  const char* name;  // "alternator.gateway.v1.DataService/Put"
  // Whether the call may write: a write aborted after it reached the database is reported as
  // WRITE_OUTCOME_UNKNOWN, never as retryable.
  bool write;
};

// A running call the tracker can abort when a drain runs out of time.
class TrackedCall {
 public:
  virtual ~TrackedCall() = default;
  // Finishes the call now (if it is not finished yet) with a retryable error (or WRITE_OUTCOME_UNKNOWN for
  // a write that reached the database), cancelling its database request.
  virtual void AbortForShutdown() = 0;
};

class CallTracker {
 public:
  // `max_in_flight` <= 0: no bound. `metrics` and `logger` may be null; not owned.
  CallTracker(int64_t max_in_flight, observability::Metrics* metrics, observability::Logger* logger);

  // Admits a call, or refuses it (false) when max_in_flight calls are running; a refused call is counted
  // as shed. An admitted call must be reported once with Finished(id, ...).
  bool Admit(const MethodInfo& method, std::weak_ptr<TrackedCall> call, uint64_t* id);
  // The call has its final status (record.status): metrics, and it no longer counts as running. Called
  // just before the status is sent, so a client that got its answer finds it in the metrics.
  void Finished(uint64_t id, const observability::AccessRecord& record);
  // A refused call's metrics (before its status is sent).
  void Shed(const observability::AccessRecord& record);
  // The call's access line; after its status was sent (writing it never delays the answer).
  void Log(const observability::AccessRecord& record);

  // Aborts every running call (see TrackedCall::AbortForShutdown). Returns how many were aborted.
  int AbortAll();

  int64_t in_flight() const;
  int64_t max_in_flight() const { return max_in_flight_; }
  // The RetryInfo delay of a shed call.
  static absl::Duration ShedRetryDelay() { return absl::Milliseconds(100); }

 private:
  const int64_t max_in_flight_;
  observability::Metrics* const metrics_;
  observability::Logger* const logger_;

  mutable absl::Mutex mu_;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  absl::flat_hash_map<uint64_t, std::weak_ptr<TrackedCall>> running_ ABSL_GUARDED_BY(mu_);
};

// Fills the request id (x-request-id, or a new one) and the trace id (W3C traceparent) of `record` from
// the caller's metadata.
void ReadCallerIds(const std::multimap<grpc::string_ref, grpc::string_ref>& metadata,
                   observability::AccessRecord& record);

}  // namespace altgw::service

#endif  // ALTGW_SERVICE_CALL_TRACKER_H_
