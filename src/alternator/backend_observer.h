// BackendObserver: what the backend client tells observers (metrics) about each attempt and retry, without
// this layer depending on any metrics library. Implemented in src/observability.
#ifndef ALTGW_ALTERNATOR_BACKEND_OBSERVER_H_
#define ALTGW_ALTERNATOR_BACKEND_OBSERVER_H_

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace altgw::alternator {

class BackendObserver {
 public:
  virtual ~BackendObserver() = default;

  // One attempt ended. `node`: the node's base URL; `operation`: the DynamoDB operation ("PutItem");
  // `outcome`: one of a small fixed set (label-safe): "2xx", "3xx", "4xx", "5xx" for an HTTP answer,
  // "not_sent", "timeout", "connection_lost", "failed", "cancelled" otherwise. Called on transport threads:
  // must be cheap and thread-safe.
  virtual void OnBackendAttempt(absl::string_view node, absl::string_view operation, absl::string_view outcome,
                                absl::Duration elapsed) = 0;

  // Another attempt is about to start because of `reason`: "not_sent", "timeout", "connection_lost",
  // "failed", "read_failed" (a read the database failed with 5xx) or "throttled".
  virtual void OnBackendRetry(absl::string_view reason) = 0;
};

}  // namespace altgw::alternator

#endif  // ALTGW_ALTERNATOR_BACKEND_OBSERVER_H_
