// GatewayTransport: the gateway's HTTP client, one HttpTransport in front of two implementations.
//
// Plain-HTTP requests to numeric addresses (what /localnodes discovery returns, and the usual in-cluster
// endpoints) go through SocketTransport: the caller's thread writes them and no libcurl code runs on the
// hot path. TLS endpoints and host names (which need certificate handling and a resolver) go through
// CurlTransport. `builtin_http = false` sends everything through libcurl (the flag --no-builtin-http), a
// way back should the built-in client misbehave somewhere.
#ifndef ALTGW_ALTERNATOR_GATEWAY_TRANSPORT_H_
#define ALTGW_ALTERNATOR_GATEWAY_TRANSPORT_H_

#include <memory>

#include "alternator/curl_transport.h"
#include "alternator/http_transport.h"
#include "alternator/socket_transport.h"

namespace altgw::alternator {

class GatewayTransport final : public HttpTransport {
 public:
  GatewayTransport(const CurlTransportOptions& options, bool builtin_http);

  std::shared_ptr<HttpExchange> Start(HttpRequest request, HttpCallback done) override;
  // On the built-in client's event loops; false when it is off.
  bool Post(absl::AnyInvocable<void() &&>& task) override;

 private:
  CurlTransport curl_;
  std::unique_ptr<SocketTransport> sockets_;  // null when builtin_http is off
};

}  // namespace altgw::alternator

#endif  // ALTGW_ALTERNATOR_GATEWAY_TRANSPORT_H_
