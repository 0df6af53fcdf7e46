// alternator-gateway: configuration and wiring only. Every flag can also be set from the environment
// variable named next to it in --help (flags win), and structured settings from a YAML file (--config; flags
// win over it too, see config/settings.h). Parsing and validation live in src/config.
#include <csignal>
#include <iostream>
#include <iterator>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "allocator.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "config/flag_checks.h"
#include "config/settings.h"
#include "routing/routing_config.h"
#include "service/gateway_server.h"

namespace {

using altgw::config::DurationOf;
using altgw::config::IntBetween;

// CLI11 shows no default for on/off flags: the description says it.
std::string WithDefault(const std::string& description, bool on) {
  return description + (on ? " (default: on)" : " (default: off)");
}

// Like config::PositiveDuration(), but zero is allowed ("0s": no delay).
struct NonNegativeDurationValidator : CLI::Validator {
  NonNegativeDurationValidator() {
    name_ = "DURATION";
    func_ = [](const std::string& text) -> std::string {
      absl::Duration parsed;
      if (!absl::ParseDuration(text, &parsed) || parsed < absl::ZeroDuration()) {
        return "must be a duration of zero or more such as 0s, 500ms or 10s";
      }
      return "";
    };
  }
};

}  // namespace

int main(int argc, char** argv) {
  // Debian builds Abseil with its lock-order (deadlock) graph on, which every Mutex lock, unlock and
  // destruction then updates: 60% of the cost of the gateway's locks (callgrind, bench/run.sh profile).
  // The tests keep it on; the server turns it off before any Mutex exists.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  altgw::server::CapAllocatorCaches();
  altgw::service::GatewayConfig config;
  CLI::App app{"alternator-gateway: a typed gRPC API (DataService, TableService) over ScyllaDB Alternator "
               "and other DynamoDB-compatible databases."};
  app.option_defaults()->always_capture_default();
  const CLI::Validator duration = altgw::config::PositiveDuration();
  const NonNegativeDurationValidator non_negative_duration;

  app.add_option("--listen", config.listen_address, "gRPC listen address host:port")->envname("ALTGW_LISTEN");
  auto* endpoints_flag = app.add_option("--backend-endpoints", config.backend_endpoints,
                 "Database endpoint URLs, comma-separated (http://host:port or https://host:port)")
      ->envname("ALTGW_BACKEND_ENDPOINTS")
      ->delimiter(',');
  app.add_option("--aws-access-key-id", config.backend.credentials.access_key_id,
                 "SigV4 access key (Alternator: the CQL role name)")
      ->envname("ALTGW_AWS_ACCESS_KEY_ID");
  std::string secret;
  app.add_option("--aws-secret-access-key", secret,
                 "SigV4 secret (Alternator: the role's salted_hash). Prefer the environment variable.")
      ->envname("ALTGW_AWS_SECRET_ACCESS_KEY");
  app.add_option("--aws-region", config.backend.region, "SigV4 region (any value works for Alternator)")
      ->envname("ALTGW_AWS_REGION");
  std::vector<std::string> page_token_keys;
  app.add_option("--page-token-key", page_token_keys,
                 "Secret(s) signing page tokens, comma-separated; the first signs, all verify. Unset: a random "
                 "key per process (tokens then do not survive restarts or cross replicas)")
      ->envname("ALTGW_PAGE_TOKEN_KEYS")
      ->delimiter(',');
  std::string page_token_lifetime = "24h";
  app.add_option("--page-token-lifetime", page_token_lifetime, "How long a page token stays valid")
      ->envname("ALTGW_PAGE_TOKEN_LIFETIME")
      ->check(duration);
  std::string default_deadline = "30s";
  app.add_option("--default-deadline", default_deadline, "Deadline for calls that set none")
      ->envname("ALTGW_DEFAULT_DEADLINE")
      ->check(duration);
  std::string attempt_timeout = "11s";
  app.add_option("--attempt-timeout", attempt_timeout, "Upper bound of one database attempt")
      ->envname("ALTGW_ATTEMPT_TIMEOUT")
      ->check(duration);
  app.add_option("--max-attempts", config.backend.max_attempts,
                 "Attempts per request when a retry is safe (first try included)")
      ->envname("ALTGW_MAX_ATTEMPTS")
      ->check(IntBetween(1, 20));
  std::string schema_ttl = "60s";
  app.add_option("--schema-ttl", schema_ttl, "How long a table's schema is trusted before it is re-read")
      ->envname("ALTGW_SCHEMA_TTL")
      ->check(duration);
  app.add_option("--event-loops", config.transport.event_loops, "HTTP event-loop threads")
      ->envname("ALTGW_EVENT_LOOPS")
      ->check(IntBetween(1, 64));
  app.add_flag("--builtin-http,!--no-builtin-http", config.builtin_http,
               WithDefault("Plain-HTTP requests to numeric addresses through the gateway's own HTTP/1.1 client "
                           "(else libcurl, which always serves https:// and host names)",
                           config.builtin_http))
      ->envname("ALTGW_BUILTIN_HTTP");
  app.add_flag("--compress-requests,!--no-compress-requests", config.backend.compress_requests,
               WithDefault("gzip request bodies >= 1 KiB when smaller (Alternator accepts it from ScyllaDB 2026.1)",
                           config.backend.compress_requests))
      ->envname("ALTGW_COMPRESS_REQUESTS");
  app.add_flag("--accept-compressed-responses,!--no-accept-compressed-responses",
               config.backend.accept_compressed_responses,
               WithDefault("Ask the database for gzip/deflate answers", config.backend.accept_compressed_responses))
      ->envname("ALTGW_ACCEPT_COMPRESSED_RESPONSES");
  app.add_option("--backend-ca-file", config.transport.tls.ca_file, "PEM CA bundle for https endpoints")
      ->envname("ALTGW_BACKEND_CA_FILE");
  app.add_flag("--backend-system-cas,!--no-backend-system-cas", config.transport.tls.use_system_cas,
               WithDefault("Trust the system CA store for https endpoints", config.transport.tls.use_system_cas))
      ->envname("ALTGW_BACKEND_SYSTEM_CAS");
  app.add_flag("--backend-verify-host,!--no-backend-verify-host", config.transport.tls.verify_host,
               WithDefault("Check that the database certificate names the host dialled",
                           config.transport.tls.verify_host))
      ->envname("ALTGW_BACKEND_VERIFY_HOST");
  app.add_option("--backend-client-cert", config.transport.tls.client_cert_file,
                 "PEM client certificate for mutual TLS to the database")
      ->envname("ALTGW_BACKEND_CLIENT_CERT");
  app.add_option("--backend-client-key", config.transport.tls.client_key_file,
                 "PEM client key for mutual TLS to the database")
      ->envname("ALTGW_BACKEND_CLIENT_KEY");
  app.add_flag("--reflection,!--no-reflection", config.enable_reflection,
               WithDefault("Serve gRPC server reflection, for grpcurl and friends (the Helm chart turns it off)",
                           config.enable_reflection))
      ->envname("ALTGW_REFLECTION");
  std::string transactions = "auto";
  app.add_option("--transactions", transactions,
                 "How transactions run: auto (ask the database at startup), native (TransactWriteItems: DynamoDB, "
                 "DynamoDB Local), single-item (ScyllaDB Alternator: one conditional write per transaction)")
      ->envname("ALTGW_TRANSACTIONS")
      ->check(CLI::IsMember({"auto", "native", "single-item"}));
  std::vector<std::string> versioned_tables;
  app.add_option("--versioned-table", versioned_tables,
                 "TABLE=ATTRIBUTE: keep an item version in ATTRIBUTE for every write to TABLE (optimistic "
                 "concurrency; repeat or comma-separate for several tables)")
      ->envname("ALTGW_VERSIONED_TABLES")
      ->delimiter(',');

  std::string discovery = "auto";
  app.add_option("--discovery", discovery,
                 "Node discovery from /localnodes: auto (when the endpoints answer it), on (required), off "
                 "(route over the configured endpoints only)")
      ->envname("ALTGW_DISCOVERY")
      ->check(CLI::IsMember({"auto", "on", "off"}));
  std::vector<std::string> scopes = {"cluster"};
  auto* scopes_flag = app.add_option("--routing-scope", scopes,
                 "Routing scope and its fallbacks, in order, comma-separated: cluster, dc:<dc>, rack:<dc>/<rack> "
                 "(e.g. rack:dc1/r1,dc:dc1,cluster)")
      ->envname("ALTGW_ROUTING_SCOPE")
      ->delimiter(',');
  std::string affinity = "none";
  app.add_option("--key-affinity", affinity,
                 "Which writes go to the partition key's preferred coordinator: none, rmw (tables with "
                 "only_rmw_uses_lwt), any_write (always_use_lwt)")
      ->envname("ALTGW_KEY_AFFINITY")
      ->check(CLI::IsMember({"none", "rmw", "any_write"}));
  std::vector<std::string> table_affinity;
  app.add_option("--table-key-affinity", table_affinity,
                 "TABLE=MODE: a per-table key affinity mode (repeat or comma-separate)")
      ->envname("ALTGW_TABLE_KEY_AFFINITY")
      ->delimiter(',');
  std::string probe_interval = "30s";
  app.add_option("--probe-interval", probe_interval, "How often quarantined and down nodes are probed")
      ->envname("ALTGW_PROBE_INTERVAL")
      ->check(duration);

  // Configuration file and serving security.
  altgw::config::CommandLine structured;
  app.add_option("--config", structured.config_file,
                 "YAML file with structured settings: backend_endpoints, routing_scopes, tables (partition_key, "
                 "key_affinity, version_attribute), principals (bearer-token callers and their table permissions). "
                 "Flags and their environment variables override it")
      ->envname("ALTGW_CONFIG");
  app.add_option("--tls-cert", config.tls.cert_file,
                 "PEM certificate chain to serve TLS with (with --tls-key); unset: plaintext h2c (service mesh)")
      ->envname("ALTGW_TLS_CERT");
  app.add_option("--tls-key", config.tls.key_file, "PEM private key of --tls-cert")->envname("ALTGW_TLS_KEY");
  app.add_option("--tls-client-ca", config.tls.client_ca_file,
                 "PEM CA bundle: when set, callers must present a client certificate it signed (mTLS)")
      ->envname("ALTGW_TLS_CLIENT_CA");
  std::string tls_reload_interval = "60s";
  app.add_option("--tls-reload-interval", tls_reload_interval,
                 "How often the TLS files are checked for changes (renewed certificates need no restart)")
      ->envname("ALTGW_TLS_RELOAD_INTERVAL")
      ->check(duration);
  bool hash_token = false;
  app.add_flag("--hash-token", hash_token,
               "Read a bearer token from standard input, print its SHA-256 (a principal's token_sha256 in the "
               "config file) and exit");


  // Operations: admin port, logs, drain, server limits.
  config.admin_listen = "0.0.0.0:9090";
  app.add_option("--admin-listen", config.admin_listen,
                 "HTTP admin address host:port (/healthz, /readyz, /metrics); empty: no admin server")
      ->envname("ALTGW_ADMIN_LISTEN");
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "Log level: debug, info, warn, error (warn and error turn the access "
                                           "log off)")
      ->envname("ALTGW_LOG_LEVEL")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}));
  app.add_option("--access-log", config.access_log,
                 "Where the JSON access log (one line per call) goes: - for stderr, or a file path (appended to)")
      ->envname("ALTGW_ACCESS_LOG");
  std::string drain_delay = "5s";
  app.add_option("--drain-delay", drain_delay,
                 "On SIGTERM/SIGINT: how long to keep serving with readiness NOT_SERVING before stopping")
      ->envname("ALTGW_DRAIN_DELAY")
      ->check(non_negative_duration);
  std::string drain_timeout = "20s";
  app.add_option("--drain-timeout", drain_timeout,
                 "Then: how long running calls get to finish; the rest end with UNAVAILABLE (SHUTTING_DOWN)")
      ->envname("ALTGW_DRAIN_TIMEOUT")
      ->check(non_negative_duration);
  std::string readiness_damping = "10s";
  app.add_option("--readiness-damping", readiness_damping,
                 "Readiness turns NOT_SERVING only after the database has been unusable this long")
      ->envname("ALTGW_READINESS_DAMPING")
      ->check(non_negative_duration);
  app.add_option("--grpc-threads", config.grpc_threads,
                 "Threads serving gRPC, one completion queue each; 0: half the CPUs the process may run on, at least one")
      ->envname("ALTGW_GRPC_THREADS")
      ->check(CLI::Range(0, 256));
  app.add_option("--max-in-flight", config.max_in_flight,
                 "Load shedding: calls beyond this many running ones get RESOURCE_EXHAUSTED (OVERLOADED) with "
                 "RetryInfo; 0: no bound")
      ->envname("ALTGW_MAX_IN_FLIGHT")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 30));
  app.add_option("--max-message-bytes", config.max_message_bytes, "Largest gRPC message received or sent")
      ->envname("ALTGW_MAX_MESSAGE_BYTES")
      ->check(CLI::Range(1024, std::numeric_limits<int>::max()));
  app.add_option("--max-concurrent-streams", config.max_concurrent_streams,
                 "Concurrent calls (HTTP/2 streams) per client connection")
      ->envname("ALTGW_MAX_CONCURRENT_STREAMS")
      ->check(CLI::Range(1, std::numeric_limits<int>::max()));
  std::string max_connection_age = "30m";
  app.add_option("--max-connection-age", max_connection_age,
                 "Close client connections (GOAWAY) after this age so clients re-balance over replicas")
      ->envname("ALTGW_MAX_CONNECTION_AGE")
      ->check(duration);
  std::string max_connection_age_grace = "60s";
  app.add_option("--max-connection-age-grace", max_connection_age_grace,
                 "Time the calls of an aged connection get to finish (at least the longest call deadline)")
      ->envname("ALTGW_MAX_CONNECTION_AGE_GRACE")
      ->check(non_negative_duration);

  CLI11_PARSE(app, argc, argv);

  if (hash_token) {
    const std::string token(std::istreambuf_iterator<char>(std::cin), {});
    const absl::string_view trimmed = absl::StripAsciiWhitespace(token);
    if (trimmed.empty()) {
      std::cerr << "alternator-gateway: --hash-token: no token on standard input\n";
      return 2;
    }
    std::cout << altgw::service::TokenSha256Hex(trimmed) << "\n";
    return 0;
  }
  config.tls.reload_interval = DurationOf(tls_reload_interval);
  if (endpoints_flag->count() > 0) structured.backend_endpoints = config.backend_endpoints;
  if (scopes_flag->count() > 0) structured.routing_scopes = scopes;
  structured.versioned_tables = versioned_tables;
  structured.table_key_affinity = table_affinity;

  config.log_level = *altgw::observability::ParseLogLevel(log_level);
  config.drain_delay = DurationOf(drain_delay);
  config.drain_timeout = DurationOf(drain_timeout);
  config.readiness_damping = DurationOf(readiness_damping);
  config.max_connection_age = DurationOf(max_connection_age);
  config.max_connection_age_grace = DurationOf(max_connection_age_grace);

  config.routing.discovery = *altgw::routing::ParseDiscoveryMode(discovery);
  config.routing.probe_interval = DurationOf(probe_interval);

  if (!secret.empty()) config.backend.credentials.secret_access_key = secret;
  config.page_token_keys = page_token_keys;
  config.page_token_lifetime = DurationOf(page_token_lifetime);
  config.backend.default_deadline = DurationOf(default_deadline);
  config.backend.attempt_timeout = DurationOf(attempt_timeout);
  config.schema_ttl = DurationOf(schema_ttl);
  config.transactions = transactions == "native"        ? altgw::service::GatewayConfig::Transactions::kNative
                        : transactions == "single-item" ? altgw::service::GatewayConfig::Transactions::kSingleItem
                                                        : altgw::service::GatewayConfig::Transactions::kAuto;
  if (absl::Status resolved = altgw::config::Resolve(structured, config); !resolved.ok()) {
    std::cerr << "alternator-gateway: " << resolved.message() << "\n";
    return 2;
  }

  // Signals are taken synchronously by one thread, so shutdown runs in normal code, not a handler.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto server = altgw::service::GatewayServer::Start(config);
  if (!server.ok()) {
    std::cerr << "alternator-gateway: " << server.status().message() << "\n";
    return 2;
  }
  std::cerr << "alternator-gateway: serving gRPC on port " << (*server)->port() << " ("
            << (!config.tls.enabled()                ? "plaintext h2c"
                : config.tls.client_ca_file.empty() ? "TLS"
                                                     : "mTLS")
            << ", " << (config.principals.empty() ? "no authentication" : "bearer-token authentication")
            << "), admin on port " << (*server)->admin_port() << ", database " << absl::StrJoin(config.backend_endpoints, ",") << std::endl;

  // Graceful shutdown: readiness NOT_SERVING at once, serve on for --drain-delay, stop accepting, give
  // running calls --drain-timeout, end the rest with a retryable status; then the server (and with it the
  // database connections and the logs) is closed and flushed, and the process exits 0.
  std::thread signal_waiter([&] {
    int signal = 0;
    sigwait(&signals, &signal);
    std::cerr << "alternator-gateway: signal " << signal << ", draining" << std::endl;
    (*server)->Drain(config.drain_delay, config.drain_timeout);
  });
  (*server)->Wait();
  signal_waiter.join();
  server->reset();
  std::cerr << "alternator-gateway: stopped" << std::endl;
  return 0;
}
