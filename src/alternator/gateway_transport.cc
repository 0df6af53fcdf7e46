#include "alternator/gateway_transport.h"

#include <utility>

namespace altgw::alternator {
namespace {

SocketTransportOptions SocketOptions(const CurlTransportOptions& options) {
  SocketTransportOptions socket;
  socket.event_loops = options.event_loops;
  socket.max_idle_connection_age = options.max_idle_connection_age;
  socket.max_idle_connections = static_cast<size_t>(options.max_cached_connections);
  socket.max_response_bytes = options.max_response_bytes;
  return socket;
}

}  // namespace

GatewayTransport::GatewayTransport(const CurlTransportOptions& options, bool builtin_http) : curl_(options) {
  if (builtin_http) sockets_ = std::make_unique<SocketTransport>(SocketOptions(options));
}

std::shared_ptr<HttpExchange> GatewayTransport::Start(HttpRequest request, HttpCallback done) {
  if (sockets_ != nullptr) {
    if (auto exchange = sockets_->StartIfServed(request, done)) return exchange;
  }
  return curl_.Start(std::move(request), std::move(done));
}

bool GatewayTransport::Post(absl::AnyInvocable<void() &&>& task) {
  return sockets_ != nullptr && sockets_->Post(task);
}

}  // namespace altgw::alternator
