// CurlTransport: HttpTransport on libcurl's multi interface.
//
// Each event loop is one thread driving one curl multi handle: it owns its keep-alive connection cache
// (connections are reused across requests and closed after an idle period) and its TLS session cache.
// Start() only queues the exchange and wakes the loop, so gRPC threads never wait on the network.
#ifndef ALTGW_ALTERNATOR_CURL_TRANSPORT_H_
#define ALTGW_ALTERNATOR_CURL_TRANSPORT_H_

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "alternator/http_transport.h"

namespace altgw::alternator {

struct TlsOptions {
  // PEM file of CA certificates to trust (in addition to, or instead of, the system's).
  std::string ca_file;
  // Trust the system's CA store.
  bool use_system_cas = true;
  // Verify the server certificate chain and that it names the host dialled.
  bool verify_peer = true;
  bool verify_host = true;
  // Client certificate and key (PEM) for mutual TLS.
  std::string client_cert_file;
  std::string client_key_file;
};

struct CurlTransportOptions {
  // Event-loop threads; exchanges are spread round-robin.
  int event_loops = 1;
  // Idle keep-alive connections older than this are not reused and get closed (Alternator never closes
  // idle connections itself).
  absl::Duration max_idle_connection_age = absl::Seconds(60);
  // Connections kept open per loop.
  long max_cached_connections = 512;
  // Answers larger than this fail (guards memory against a broken or hostile peer).
  size_t max_response_bytes = 64u << 20;
  TlsOptions tls;
};

class CurlTransport final : public HttpTransport {
 public:
  explicit CurlTransport(CurlTransportOptions options = {});
  // Stops the loops; exchanges still running complete with kCancelled.
  ~CurlTransport() override;

  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  std::shared_ptr<HttpExchange> Start(HttpRequest request, HttpCallback done) override;

  class EventLoop;

 private:
  std::unique_ptr<CurlTransportOptions> options_holder_;  // outlives the loops, which refer to it
  std::vector<std::unique_ptr<EventLoop>> loops_;
  std::atomic<size_t> next_loop_{0};
};

}  // namespace altgw::alternator

#endif  // ALTGW_ALTERNATOR_CURL_TRANSPORT_H_
