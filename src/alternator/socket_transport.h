// SocketTransport: HttpTransport for plain HTTP/1.1 to numeric addresses, on non-blocking sockets and epoll.
//
// Why besides CurlTransport: the gateway's hot path is one small POST to an Alternator node at an address
// discovery returned. Through libcurl that cost ~77k instructions per call (most of it formatting the
// request headers byte by byte), two poll()s and two epoll_ctl()s per exchange, and a thread hand-off:
// Start() queued the exchange and woke the loop thread to send it. Here the caller's thread writes the
// request itself, with one sendmsg() on a kept-alive connection, and the loop thread only reads answers,
// runs timeouts and cancellations, and keeps the idle connections. TLS and host names (which need a
// resolver) stay with libcurl: Serves() says which URLs this transport takes.
//
// The outcomes keep CurlTransport's contract (http_transport.h): a request is never sent twice by the
// transport, `request_sent` is true as soon as any byte went out, and `done` never runs inside Start().
#ifndef ALTGW_ALTERNATOR_SOCKET_TRANSPORT_H_
#define ALTGW_ALTERNATOR_SOCKET_TRANSPORT_H_

#include <atomic>
#include <memory>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "alternator/http_transport.h"

namespace altgw::alternator {

struct SocketTransportOptions {
  // Event-loop threads; exchanges are spread round-robin.
  int event_loops = 1;
  // Idle keep-alive connections older than this are closed (Alternator never closes idle connections).
  absl::Duration max_idle_connection_age = absl::Seconds(60);
  // Idle connections kept per loop; beyond it a finished connection is closed.
  size_t max_idle_connections = 512;
  // Answers larger than this fail.
  size_t max_response_bytes = 64u << 20;
};

class SocketTransport final : public HttpTransport {
 public:
  explicit SocketTransport(SocketTransportOptions options = {});
  // Stops the loops; exchanges still running complete with kCancelled.
  ~SocketTransport() override;

  SocketTransport(const SocketTransport&) = delete;
  SocketTransport& operator=(const SocketTransport&) = delete;

  // Whether `url` is one this transport can serve: "http://" with a numeric IPv4 host or a bracketed IPv6
  // one. Other URLs passed to Start() fail with kNotSent.
  static bool Serves(absl::string_view url);

  std::shared_ptr<HttpExchange> Start(HttpRequest request, HttpCallback done) override;
  // Start() for a URL Serves() accepts; otherwise returns null and leaves both arguments as they were (so
  // a caller routing between transports parses the URL once).
  std::shared_ptr<HttpExchange> StartIfServed(HttpRequest& request, HttpCallback& done);
  // On the event loops, spread round-robin. An exchange a task starts is written by the loop's own thread.
  bool Post(absl::AnyInvocable<void() &&>& task) override;

  class Loop;

 private:
  std::unique_ptr<SocketTransportOptions> options_;  // outlives the loops, which refer to it
  std::vector<std::unique_ptr<Loop>> loops_;
  std::atomic<size_t> next_loop_{0};
};

}  // namespace altgw::alternator

#endif  // ALTGW_ALTERNATOR_SOCKET_TRANSPORT_H_
