// ExchangeCompletion: how both HTTP transports complete an exchange (http_transport.h's contract).
//
// `done` runs exactly once and is released right after it returns: calling an AnyInvocable does not
// destroy it, and what it captured must not live on for as long as someone holds the exchange. Once
// `completed` is set, Cancel() must not reach the transport, which may be gone by then.
#ifndef ALTGW_ALTERNATOR_EXCHANGE_COMPLETION_H_
#define ALTGW_ALTERNATOR_EXCHANGE_COMPLETION_H_

#include <atomic>
#include <memory>
#include <thread>
#include <utility>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "alternator/http_transport.h"

namespace altgw::alternator {

class ExchangeCompletion {
 public:
  explicit ExchangeCompletion(HttpCallback done) : done_(std::move(done)), started_(absl::Now()) {}

  // Runs `done` with response_ (every path that completes an exchange goes through here exactly once).
  void Deliver() {
    response_.elapsed = absl::Now() - started_;
    completed_.store(true, std::memory_order_release);
    HttpCallback done = std::move(done_);
    std::move(done)(std::move(response_));
  }

  bool completed() const { return completed_.load(std::memory_order_acquire); }

  // Completes `exchange` with kCancelled ("transport is shutting down") on a short-lived thread: `done`
  // never runs inside Start(). Marked completed at once, so that a Cancel() never reaches a transport that
  // may be destroyed before the thread runs.
  static void RefuseLater(std::shared_ptr<ExchangeCompletion> exchange) {
    exchange->completed_.store(true, std::memory_order_release);
    std::thread([exchange = std::move(exchange)] {
      exchange->response_.outcome = HttpResponse::Outcome::kCancelled;
      exchange->response_.error = "transport is shutting down";
      exchange->Deliver();
    }).detach();
  }

  HttpResponse response_;

 private:
  HttpCallback done_;
  const absl::Time started_;
  std::atomic<bool> completed_{false};
};

}  // namespace altgw::alternator

#endif  // ALTGW_ALTERNATOR_EXCHANGE_COMPLETION_H_
