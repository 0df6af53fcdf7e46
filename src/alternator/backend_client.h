// BackendClient: executes one translated DynamoDB call against the cluster, asynchronously.
//
// For each attempt it takes the next node of the request's route plan, builds the minimal set of headers,
// compresses (optionally) and signs for that node, and sends through the HttpTransport. It decides what is
// safe to retry (router.md §4-5, service-conventions): a request that never left is retried on the next
// node; a read that failed in the backend is retried on the next node; throttling is retried after a
// jittered backoff; a write that reached a node and then failed ambiguously (timeout, 500) is never retried
// and is reported as WRITE_OUTCOME_UNKNOWN. One exception: an unconditional PutItem/DeleteItem (the same
// item however often it is applied) whose connection was lost after sending moves on to the next node, so
// a node dying under load costs no plain write. Every attempt fits in the caller's deadline.
#ifndef ALTGW_ALTERNATOR_BACKEND_CLIENT_H_
#define ALTGW_ALTERNATOR_BACKEND_CLIENT_H_

#include <memory>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"
#include "alternator/backend_observer.h"
#include "alternator/http_transport.h"
#include "alternator/sigv4.h"
#include "common/error_or.h"
#include "common/scheduler.h"
#include "model/answer.h"
#include "model/backend_call.h"
#include "routing/router.h"

namespace altgw::alternator {

struct BackendClientOptions {
  AwsCredentials credentials = DummyCredentials();
  std::string region = "us-east-1";
  // Upper bound of one attempt (Alternator's own server-side timeout is 10 s).
  absl::Duration attempt_timeout = absl::Seconds(11);
  // The deadline used when the caller set none.
  absl::Duration default_deadline = absl::Seconds(30);
  // Kept free before the caller's deadline so the gateway can still answer in time.
  absl::Duration deadline_margin = absl::Milliseconds(5);
  // Attempts per logical request (first try included).
  int max_attempts = 3;
  // Throttling backoff: base * 2^(n-1), capped, with ±50% jitter.
  absl::Duration backoff_base = absl::Milliseconds(25);
  absl::Duration backoff_cap = absl::Seconds(1);
  // gzip request bodies of at least this many bytes when it makes them smaller (Alternator >= 2026.1).
  bool compress_requests = false;
  size_t compression_threshold = 1024;
  // Ask for compressed answers and decode them.
  bool accept_compressed_responses = false;
  // Told about every attempt and retry (metrics); not owned; may be null.
  BackendObserver* observer = nullptr;
};

// What happened, for metrics and access logs.
struct CallStats {
  int attempts = 0;
  std::string last_node;  // base URL of the node that gave the final answer
  absl::Duration backend_time;
};

class BackendCallHandle {
 public:
  virtual ~BackendCallHandle() = default;
  // Cancels the call: the current attempt is aborted, no retry starts; `done` gets CANCELLED (unless it
  // already ran).
  virtual void Cancel() = 0;
};

class BackendClient {
 public:
  using Callback = absl::AnyInvocable<void(ErrorOr<model::Answer> answer, const CallStats& stats) &&>;

  BackendClient(HttpTransport& transport, routing::Router& router, Scheduler& scheduler,
                BackendClientOptions options);

  // Starts executing `call`; `done` runs exactly once, on a transport or scheduler thread, with the
  // parsed answer or the mapped error. `deadline` is the caller's (absl::InfiniteFuture() for none).
  std::shared_ptr<BackendCallHandle> Execute(model::BackendCall call, absl::Time deadline, Callback done);

  const BackendClientOptions& options() const { return options_; }
  routing::Router& router() { return router_; }

  class Call;

 private:
  friend class Call;
  HttpTransport& transport_;
  routing::Router& router_;
  Scheduler& scheduler_;
  BackendClientOptions options_;
  SigV4Signer signer_;
};

}  // namespace altgw::alternator

#endif  // ALTGW_ALTERNATOR_BACKEND_CLIENT_H_
