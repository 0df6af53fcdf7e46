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
#include "observability/log.h"
#include "routing/routing_config.h"
#include "service/authorizer.h"
#include "service/serving_queues.h"
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
  // Plain-HTTP requests to numeric addresses through the built-in client (SocketTransport) rather than
  // libcurl (see alternator/gateway_transport.h).
  bool builtin_http = true;
  // How gRPC is served: TLS / mTLS with certificate files reloaded when they change, or plaintext h2c.
  ServingTls tls;
  // Callers and their table permissions; empty: no authentication (see authorizer.h).
  std::vector<Principal> principals;

  // --- Operations: admin port, logs, health, drain, server limits. ---
  // host:port of the HTTP admin server (/healthz, /readyz, /metrics); port 0 picks a free port; empty:
  // none. (The gateway binary defaults to 0.0.0.0:9090.)
  std::string admin_listen;
  observability::LogLevel log_level = observability::LogLevel::kInfo;
  // Where access-log lines go: "" or "-" for stderr, else a file (appended to).
  std::string access_log;
  // Readiness: NOT_SERVING once the database has been unusable this long; checked every interval.
  absl::Duration readiness_damping = absl::Seconds(10);
  absl::Duration readiness_check_interval = absl::Seconds(1);
  // Drain (SIGTERM): how long to keep serving after readiness turned NOT_SERVING, then how long running
  // calls get to finish after the server stops accepting.
  absl::Duration drain_delay = absl::Seconds(5);
  absl::Duration drain_timeout = absl::Seconds(20);
  // Load shedding: calls beyond this many running ones get RESOURCE_EXHAUSTED / OVERLOADED. 0: no bound.
  int64_t max_in_flight = 1000;
  // Threads serving gRPC, each with its own completion queue (serving_queues.h). 0: half the CPUs, at
  // least one (the other half runs the HTTP client's loop, the kernel and the proxies around).
  int grpc_threads = 0;
  // Largest gRPC message received or sent. 16 MiB: every request DynamoDB accepts fits.
  int max_message_bytes = 16 * 1024 * 1024;
  // HTTP/2 streams (calls) per client connection.
  int max_concurrent_streams = 1000;
  // Connections are closed (GOAWAY) after this age, plus a grace for the calls on them, so clients behind
  // L4 balancers reconnect and spread over replicas. absl::InfiniteDuration(): never.
  absl::Duration max_connection_age = absl::Minutes(30);
  absl::Duration max_connection_age_grace = absl::Seconds(60);
  // Keepalive enforcement: clients may ping this often, also without calls; faster pingers get GOAWAY
  // (too_many_pings). gRPC's own default (5 min) would GOAWAY clients that ping every 10-60 s.
  absl::Duration keepalive_min_ping_interval = absl::Seconds(10);
};

class GatewayServer {
 public:
  // Starts serving; errors name the setting at fault.
  static absl::StatusOr<std::unique_ptr<GatewayServer>> Start(GatewayConfig config);
  ~GatewayServer();

  // The port actually bound.
  int port() const { return port_; }
  // The admin server's port (0 without one).
  int admin_port() const;
  // Blocks until the server has stopped (Shutdown() or Drain()).
  void Wait();
  // Stops accepting calls, gives in-flight calls until `grace` to finish, then ends the rest with
  // UNAVAILABLE / SHUTTING_DOWN (WRITE_OUTCOME_UNKNOWN for a write that reached the database).
  void Shutdown(absl::Duration grace);

  // Graceful shutdown (SIGTERM): readiness NOT_SERVING at once, keeps serving for `delay` (so load
  // balancers and clients notice), then Shutdown(timeout). Returns when the server has stopped.
  struct DrainReport {
    absl::Duration delay;          // spent serving while NOT_SERVING
    absl::Duration stop;           // from "stop accepting" until the last call ended
    int aborted = 0;               // calls still running at the drain deadline
  };
  DrainReport Drain(absl::Duration delay, absl::Duration timeout);

  // Whether readiness is SERVING now.
  bool ready() const;
  // Calls running now (what --max-in-flight bounds).
  int64_t in_flight_calls() const;
  // The Prometheus text of /metrics.
  std::string metrics_text() const;

  class Core;
  Core& core() { return *core_; }

 private:
  GatewayServer() = default;

  // Returns how many calls were aborted at the deadline.
  int StopServing(absl::Duration grace);

  std::unique_ptr<Core> core_;
  // Declared before server_: the queues are shut down after the server, and outlive it.
  std::unique_ptr<ServingQueues> queues_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  bool stopped_ = false;
};

}  // namespace altgw::service

#endif  // ALTGW_SERVICE_GATEWAY_SERVER_H_
