#include "alternator/backend_client.h"

#include <algorithm>
#include <atomic>
#include <random>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "alternator/backend_error.h"
#include "alternator/compression.h"

namespace altgw::alternator {
namespace {

using Outcome = HttpResponse::Outcome;

routing::AttemptResult HealthOf(const HttpResponse& response) {
  if (response.outcome != Outcome::kResponse) {
    return response.outcome == Outcome::kCancelled ? routing::AttemptResult::kNeutral
                                                   : routing::AttemptResult::kFailure;
  }
  switch (response.status) {
    case 500:
    case 502:
    case 503:
    case 504:
      return routing::AttemptResult::kNeutral;
    default:
      return routing::AttemptResult::kSuccess;
  }
}

// The attempt outcome label of BackendObserver (a small fixed set).
absl::string_view OutcomeLabel(const HttpResponse& response) {
  switch (response.outcome) {
    case Outcome::kResponse:
      return response.status < 300 ? "2xx" : response.status < 400 ? "3xx" : response.status < 500 ? "4xx" : "5xx";
    case Outcome::kNotSent:
      return "not_sent";
    case Outcome::kTimedOut:
      return "timeout";
    case Outcome::kConnectionLost:
      return "connection_lost";
    case Outcome::kCancelled:
      return "cancelled";
    case Outcome::kFailed:
      break;
  }
  return "failed";
}

double Jitter() {
  thread_local std::minstd_rand engine(std::random_device{}());
  return std::uniform_real_distribution<double>(0.5, 1.5)(engine);
}

}  // namespace

// One logical request: its plan, its attempts, and the guarantee that `done` runs once.
class BackendClient::Call final : public BackendCallHandle, public std::enable_shared_from_this<Call> {
 public:
  Call(BackendClient& client, model::BackendCall call, absl::Time deadline, Callback done)
      : client_(client),
        call_(std::move(call)),
        deadline_(deadline),
        done_(std::move(done)),
        plan_(client.router_.Plan(routing::RouteRequest::For(call_))) {
    target_header_ = absl::StrCat("X-Amz-Target: DynamoDB_20120810.", call_.operation);
  }

  void Start() { NextAttempt(/*on_caller_thread=*/true); }

  void Cancel() override {
    std::shared_ptr<HttpExchange> exchange;
    {
      absl::MutexLock lock(&mu_);
      cancelled_ = true;
      exchange = exchange_;
    }
    if (exchange) {
      exchange->Cancel();  // its completion finishes the call with CANCELLED
    } else {
      // Between attempts or in a backoff wait: finish now, but on the scheduler thread (`done` never runs
      // inside Cancel(), whose caller may hold a lock `done` needs). Whatever the attempt chain does next
      // sees `cancelled_` and stops.
      FinishLater(GatewayError::Cancelled());
    }
  }

 private:
  bool is_read() const { return call_.access == model::AccessKind::kRead; }

  // A write that leaves the same item however many times it is applied: PutItem or DeleteItem without a
  // condition and without returning old values (a whole-item replace or a delete). When the connection
  // to the node is lost after sending one (the node died or restarted), sending it again on the next node
  // cannot apply anything the first copy would not have, so it is safe, as for a read. Timeouts and 500
  // answers stay WRITE_OUTCOME_UNKNOWN for every write: the node may still be applying the first copy
  // later, after a newer write.
  bool is_repeatable_write() const {
    if (call_.access != model::AccessKind::kWrite || call_.conditional || call_.read_modify_write) return false;
    const absl::string_view operation = call_.operation;
    return operation == "PutItem" || operation == "DeleteItem";
  }

  bool is_cancelled() {
    absl::MutexLock lock(&mu_);
    return cancelled_;
  }

  // Starts the next attempt on the next node of the plan, or finishes with `last_error_`.
  // `on_caller_thread`: called from Execute(), where `done` must not run (it is deferred to the scheduler).
  void NextAttempt(bool on_caller_thread = false) {
    auto finish = [this, on_caller_thread](ErrorOr<model::Answer> result) {
      if (on_caller_thread) {
        FinishLater(std::move(result));
      } else {
        Finish(std::move(result));
      }
    };
    if (is_cancelled()) {
      finish(GatewayError::Cancelled());
      return;
    }
    const absl::Time now = absl::Now();
    const absl::Duration remaining = deadline_ - now - client_.options_.deadline_margin;
    if (remaining <= absl::ZeroDuration()) {
      finish(last_error_ ? *std::move(last_error_)
                         : GatewayError::DeadlineExceeded(
                               "the call's deadline passed before the request could be sent; nothing was applied"));
      return;
    }
    if (stats_.attempts >= std::max(1, client_.options_.max_attempts)) {
      finish(*std::move(last_error_));  // set by every attempt that leads here
      return;
    }
    // After throttling the plan moves on when it can; when every node was tried, the same node is
    // retried (the request was rejected, not applied, so any node is safe).
    std::optional<routing::NodeTarget> node = plan_->Next();
    if (!node && retry_same_node_) node = node_;
    retry_same_node_ = false;
    if (!node) {
      finish(last_error_ ? *std::move(last_error_)
                         : GatewayError::BackendUnavailable("no usable database node", absl::Seconds(1)));
      return;
    }
    node_ = *std::move(node);
    {
      absl::MutexLock lock(&mu_);  // stats_ is read by a Finish() on a Cancel() path
      ++stats_.attempts;
    }
    if (stats_.attempts > 1 && client_.options_.observer != nullptr) {
      client_.options_.observer->OnBackendRetry(retry_reason_);
    }

    HttpRequest request;
    request.url = absl::StrCat(node_->base_url, "/");
    request.has_body = true;
    request.timeout = std::min(remaining, client_.options_.attempt_timeout);
    attempt_capped_by_deadline_ = remaining < client_.options_.attempt_timeout;
    request.accept_compressed = client_.options_.accept_compressed_responses;
    request.headers.reserve(6);
    request.headers.push_back(target_header_);
    request.headers.emplace_back("Content-Type: application/x-amz-json-1.0");
    std::optional<std::string> compressed;
    if (client_.options_.compress_requests) {
      compressed = GzipIfSmaller(call_.body, client_.options_.compression_threshold);
    }
    if (compressed) {
      request.headers.emplace_back("Content-Encoding: gzip");
      request.body = *std::move(compressed);
    } else {
      request.body = call_.body;
    }
    // Signed per attempt, after the node is chosen (Host is signed) and the body compressed.
    auto signature = client_.signer_.Sign("POST", node_->host_header, "/", "", request.body, now);
    if (!signature.ok()) {
      finish(GatewayError::Internal(absl::StrCat("signing failed: ", signature.status().message())));
      return;
    }
    request.headers.push_back(absl::StrCat("Authorization: ", signature->authorization));
    request.headers.push_back(absl::StrCat("X-Amz-Date: ", signature->amz_date));
    if (!signature->security_token.empty()) {
      request.headers.push_back(absl::StrCat("X-Amz-Security-Token: ", signature->security_token));
    }

    auto self = shared_from_this();
    const int attempt = stats_.attempts;
    auto exchange = client_.transport_.Start(std::move(request), [self, attempt](HttpResponse response) mutable {
      self->OnResponse(attempt, std::move(response));
    });
    // The answer may already be in (on another thread), and even later attempts may have started since:
    // only a still-running exchange of the current attempt is kept for Cancel().
    absl::MutexLock lock(&mu_);
    if (answered_attempt_ >= attempt) return;
    exchange_ = std::move(exchange);
    if (cancelled_) exchange_->Cancel();
  }

  void OnResponse(int attempt, HttpResponse response) {
    bool cancelled;
    {
      absl::MutexLock lock(&mu_);
      answered_attempt_ = attempt;
      exchange_.reset();
      cancelled = cancelled_;
      stats_.backend_time += response.elapsed;
      stats_.last_node = node_->base_url;
    }
    client_.router_.Report(*node_, HealthOf(response));
    if (client_.options_.observer != nullptr) {
      client_.options_.observer->OnBackendAttempt(node_->base_url, call_.operation, OutcomeLabel(response),
                                                  response.elapsed);
    }

    switch (response.outcome) {
      case Outcome::kResponse:
        OnAnswer(response);
        return;
      case Outcome::kCancelled:
        if (cancelled) {
          Finish(GatewayError::Cancelled());
        } else {
          // Not the caller's doing: the transport is shutting down. CANCELLED would tell the caller it
          // cancelled; a write that was sent may have been applied. No retry: the transport is going away.
          const std::string what = absl::StrCat(node_->base_url, ": ", response.error);
          Finish(response.request_sent && !is_read()
                     ? GatewayError::WriteOutcomeUnknown(what)
                     : GatewayError::BackendUnavailable(what, absl::Seconds(1)));
        }
        return;
      case Outcome::kNotSent:
        // Nothing reached the node: any request may go to the next one. (If an earlier attempt of a
        // repeatable write was lost after sending, its outcome stays the one to report.)
        if (!write_may_be_applied_) {
          last_error_ = GatewayError::BackendUnavailable(
              absl::StrCat(node_->base_url, ": ", response.error), absl::Milliseconds(100));
        }
        retry_reason_ = "not_sent";
        NextAttempt();
        return;
      case Outcome::kTimedOut:
      case Outcome::kConnectionLost:
      case Outcome::kFailed: {
        const std::string what = absl::StrCat(node_->base_url, ": ", response.error);
        if (response.request_sent && response.outcome == Outcome::kConnectionLost && is_repeatable_write()) {
          // See is_repeatable_write(). Should every later attempt fail too, the first copy may still have
          // been applied: the call then ends as WRITE_OUTCOME_UNKNOWN.
          write_may_be_applied_ = true;
          last_error_ = GatewayError::WriteOutcomeUnknown(what);
          retry_reason_ = "repeatable_write_lost";
          NextAttempt();
        } else if (response.request_sent && !is_read()) {
          Finish(GatewayError::WriteOutcomeUnknown(what));
        } else if (response.outcome == Outcome::kTimedOut && attempt_capped_by_deadline_) {
          // The attempt had all the time left before the deadline. Comparing clocks instead would be
          // fragile: libcurl's timer may fire a fraction of a millisecond early, and a retry started with
          // that fraction left cannot succeed (and would turn a clean failure of a write into an unknown).
          Finish(GatewayError::DeadlineExceeded(absl::StrCat("no answer before the deadline: ", what)));
        } else {
          last_error_ = response.request_sent
                            ? GatewayError::BackendReadFailed(what)
                            : GatewayError::BackendUnavailable(what, absl::Milliseconds(100));
          retry_reason_ = OutcomeLabel(response);
          NextAttempt();
        }
        return;
      }
    }
  }

  void OnAnswer(const HttpResponse& response) {
    if (response.status == 200) {
      std::optional<model::Answer> answer = model::Answer::Parse(response.body);
      if (!answer) {
        Finish(GatewayError::BackendError("MalformedResponse",
                                          absl::StrCat(call_.operation, " answer is not a JSON object")));
        return;
      }
      Finish(*std::move(answer));
      return;
    }
    MappedError mapped = MapBackendError(response.status, ParseBackendError(response.body), call_);
    switch (mapped.retry) {
      case Retry::kNever:
        Finish(std::move(mapped.error));
        return;
      case Retry::kIfIdempotent:
        if (!is_read()) {
          Finish(std::move(mapped.error));  // WRITE_OUTCOME_UNKNOWN: never retried blindly
          return;
        }
        last_error_ = std::move(mapped.error);
        retry_reason_ = "read_failed";
        NextAttempt();
        return;
      case Retry::kWithBackoff: {
        // The request was rejected without being applied: retry after a jittered, growing delay, on the
        // next node when there is one (the same node otherwise), if that still fits in the deadline.
        if (!write_may_be_applied_) last_error_ = std::move(mapped.error);
        if (is_cancelled()) {
          Finish(GatewayError::Cancelled());
          return;
        }
        const absl::Duration delay =
            std::min(client_.options_.backoff_cap,
                     client_.options_.backoff_base * (1 << std::min(stats_.attempts - 1, 10))) *
            Jitter();
        if (stats_.attempts >= std::max(1, client_.options_.max_attempts) ||
            absl::Now() + delay >= deadline_ - client_.options_.deadline_margin) {
          Finish(*std::move(last_error_));
          return;
        }
        retry_same_node_ = true;
        retry_reason_ = "throttled";
        auto self = shared_from_this();
        client_.scheduler_.RunAfter(delay, [self]() mutable { self->NextAttempt(); });
        return;
      }
    }
  }

  void Finish(ErrorOr<model::Answer> result) {
    if (finished_.exchange(true)) return;
    CallStats stats;
    {
      absl::MutexLock lock(&mu_);
      stats = stats_;
    }
    // Destroyed right after it ran (calling an AnyInvocable does not destroy it): what it captured must
    // not live as long as the call state, which the caller's handle keeps. A callback that captures the
    // holder of that handle would otherwise form a reference cycle.
    Callback done = std::move(done_);
    std::move(done)(std::move(result), stats);
  }

  // Finish() on the scheduler thread, for paths that run on the caller's thread (Execute(), Cancel()).
  void FinishLater(ErrorOr<model::Answer> result) {
    client_.scheduler_.RunAfter(absl::ZeroDuration(),
                                [self = shared_from_this(), result = std::move(result)]() mutable {
                                  self->Finish(std::move(result));
                                });
  }

  BackendClient& client_;
  const model::BackendCall call_;
  const absl::Time deadline_;
  Callback done_;
  std::unique_ptr<routing::RoutePlan> plan_;
  std::string target_header_;

  // Attempts run one after another (each starts from the previous one's completion), so this state needs
  // no lock; only cancellation races with them.
  std::optional<routing::NodeTarget> node_;
  bool retry_same_node_ = false;
  bool write_may_be_applied_ = false;  // a repeatable write's copy was lost after sending
  absl::string_view retry_reason_ = "none";  // why the next attempt is a retry (for the observer)
  bool attempt_capped_by_deadline_ = false;  // the current attempt's timeout is the time left
  std::optional<GatewayError> last_error_;
  std::atomic<bool> finished_{false};

  absl::Mutex mu_;
  // Written by the attempt chain under mu_ (which may read it without), read under mu_ by Finish(), which
  // a Cancel() can run concurrently with the chain.
  CallStats stats_;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  std::shared_ptr<HttpExchange> exchange_ ABSL_GUARDED_BY(mu_);
  int answered_attempt_ ABSL_GUARDED_BY(mu_) = 0;
};

BackendClient::BackendClient(HttpTransport& transport, routing::Router& router, Scheduler& scheduler,
                             BackendClientOptions options)
    : transport_(transport),
      router_(router),
      scheduler_(scheduler),
      options_(std::move(options)),
      signer_(options_.credentials, options_.region) {}

std::shared_ptr<BackendCallHandle> BackendClient::Execute(model::BackendCall call, absl::Time deadline,
                                                          Callback done) {
  if (deadline == absl::InfiniteFuture()) deadline = absl::Now() + options_.default_deadline;
  auto state = std::make_shared<Call>(*this, std::move(call), deadline, std::move(done));
  state->Start();
  return state;
}

}  // namespace altgw::alternator
