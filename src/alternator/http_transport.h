// HttpTransport: asynchronous HTTP/1.1 exchanges with Alternator nodes.
//
// The interface is separate from its libcurl implementation so that the layers above can be tested with a
// scripted transport, and so the gRPC side never sees a socket: Start() returns at once and `done` runs
// later on a transport thread.
#ifndef ALTGW_ALTERNATOR_HTTP_TRANSPORT_H_
#define ALTGW_ALTERNATOR_HTTP_TRANSPORT_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"

namespace altgw::alternator {

struct HttpRequest {
  // Absolute URL: "http://10.0.0.1:8000/" or "https://[::1]:8043/localnodes?dc=dc1".
  std::string url;
  // POST when `body` is set (even if empty): `has_body`; GET otherwise.
  bool has_body = false;
  std::string body;
  // Exactly the headers to send ("Name: value"); the transport adds Host and Content-Length and nothing
  // else (header minimisation).
  std::vector<std::string> headers;
  // Whole-exchange timeout (connect + send + wait + receive).
  absl::Duration timeout = absl::Seconds(10);
  // Ask for gzip/deflate answers and decode them (Accept-Encoding).
  bool accept_compressed = false;
};

struct HttpResponse {
  enum class Outcome {
    kResponse,       // a final HTTP status arrived (any status)
    kNotSent,        // connecting failed (refused, unreachable, DNS, TLS handshake): nothing was sent
    kTimedOut,       // the timeout expired; see `request_sent`
    kConnectionLost, // the connection failed after the request was (possibly) sent, before an answer
    kCancelled,      // Cancel() won the race
    kFailed,         // anything else (e.g. an answer too large); see `error`
  };
  Outcome outcome = Outcome::kFailed;
  // Whether any byte of the request may have reached the server (so a write may have been applied).
  bool request_sent = false;
  int status = 0;
  std::string body;
  std::string error;
  absl::Duration elapsed;
};

// A started exchange. Cancel() is safe from any thread, at any time; `done` still runs exactly once (with
// kCancelled unless the answer was already complete).
class HttpExchange {
 public:
  virtual ~HttpExchange() = default;
  virtual void Cancel() = 0;
};

using HttpCallback = absl::AnyInvocable<void(HttpResponse) &&>;

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // Starts the exchange and returns at once. `done` runs exactly once, on a transport thread (never inside
  // Start()), and must not block.
  virtual std::shared_ptr<HttpExchange> Start(HttpRequest request, HttpCallback done) = 0;

  // Runs `task` soon on one of the transport's own threads, in the order posted there, and returns true;
  // false, with `task` not run, when the transport has no thread for it or is stopping. A task posted
  // before the transport stops runs before it has stopped.
  virtual bool Post(absl::AnyInvocable<void() &&>& task) {
    (void)task;
    return false;
  }
};

}  // namespace altgw::alternator

#endif  // ALTGW_ALTERNATOR_HTTP_TRANSPORT_H_
