// GatewayServer: builds and runs the whole gateway (transport, router, backend client, schema cache, gRPC
// services, health and reflection) from a GatewayConfig. server/main.cc and the integration tests use it.
#ifndef ALTGW_SERVICE_GATEWAY_SERVER_H_
#define ALTGW_SERVICE_GATEWAY_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "alternator/backend_client.h"
#include "alternator/curl_transport.h"
#include "routing/routing_config.h"
#include "service/authorizer.h"
#include "service/serving_tls.h"

namespace altgw::service {

struct GatewayConfig {
  // host:port to serve gRPC on; port 0 picks a free port (see GatewayServer::port()).
  std::string listen_address = "127.0.0.1:50051";
  // Backend endpoints (URLs): discovery contacts for Alternator (/localnodes), or the nodes themselves for
  // backends without discovery. Copied into routing.seeds.
  std::vector<std::string> backend_endpoints = {"http://127.0.0.1:8000"};
  // Discovery, scopes, key affinity, node health (routing.seeds is filled from backend_endpoints).
  routing::RouterConfig routing;
  // Page-token signing keys (the first signs, all verify). Empty: a random key per process, so tokens do
  // not survive a restart and are not accepted by other replicas.
  std::vector<std::string> page_token_keys;
  absl::Duration page_token_lifetime = absl::Hours(24);
  // How long a table's schema is trusted before it is re-read.
  absl::Duration schema_ttl = absl::Seconds(60);
  bool enable_reflection = true;
  // Versioned tables: table -> version attribute (see data_service.proto).
  std::map<std::string, std::string> version_attributes;
  // Expected partition keys: table -> attribute name (see SchemaCache::ExpectPartitionKeys).
  std::map<std::string, std::string> partition_keys;
  // How transactions run: detected at startup (kAuto), or forced.
  enum class Transactions { kAuto, kNative, kSingleItem };
  Transactions transactions = Transactions::kAuto;
  // How long startup may wait for the database (capability detection).
  absl::Duration startup_timeout = absl::Seconds(30);
  alternator::BackendClientOptions backend;
  alternator::CurlTransportOptions transport;
  // How gRPC is served: TLS / mTLS with certificate files reloaded when they change, or plaintext h2c.
  ServingTls tls;
  // Callers and their table permissions; empty: no authentication (see authorizer.h).
  std::vector<Principal> principals;
};

class GatewayServer {
 public:
  // Starts serving; errors name the setting at fault.
  static absl::StatusOr<std::unique_ptr<GatewayServer>> Start(GatewayConfig config);
  ~GatewayServer();

  // The port actually bound.
  int port() const { return port_; }
  // Blocks until Shutdown().
  void Wait();
  // Stops accepting calls, gives in-flight calls until `grace` to finish, then cancels them.
  void Shutdown(absl::Duration grace);

  class Core;

 private:
  GatewayServer() = default;

  std::unique_ptr<Core> core_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace altgw::service

#endif  // ALTGW_SERVICE_GATEWAY_SERVER_H_
