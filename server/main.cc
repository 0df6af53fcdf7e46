// alternator-gateway: configuration and wiring only. Every flag can also be set from the environment
// variable named next to it in --help (flags win).
#include <csignal>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "routing/routing_config.h"
#include "service/gateway_server.h"

namespace {

// CLI11 validator for absl durations ("250ms", "10s", "1h").
struct DurationValidator : CLI::Validator {
  DurationValidator() {
    name_ = "DURATION";
    func_ = [](const std::string& text) -> std::string {
      absl::Duration parsed;
      if (!absl::ParseDuration(text, &parsed) || parsed <= absl::ZeroDuration()) {
        return "must be a positive duration such as 500ms, 10s or 24h";
      }
      return "";
    };
  }
};

absl::Duration ToDuration(const std::string& text) {
  absl::Duration parsed;
  absl::ParseDuration(text, &parsed);  // validated by DurationValidator
  return parsed;
}

}  // namespace

int main(int argc, char** argv) {
  // Debian builds Abseil with its lock-order (deadlock) graph on, which every Mutex lock, unlock and
  // destruction then updates: 60% of the cost of the gateway's locks (callgrind, bench/run.sh profile).
  // The tests keep it on; the server turns it off before any Mutex exists.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  altgw::service::GatewayConfig config;
  CLI::App app{"alternator-gateway: a typed gRPC API (DataService, TableService) over ScyllaDB Alternator "
               "and other DynamoDB-compatible databases."};
  app.option_defaults()->always_capture_default();
  const DurationValidator duration;

  app.add_option("--listen", config.listen_address, "gRPC listen address host:port")->envname("ALTGW_LISTEN");
  app.add_option("--backend-endpoints", config.backend_endpoints,
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
      ->check(CLI::Range(1, 20));
  std::string schema_ttl = "60s";
  app.add_option("--schema-ttl", schema_ttl, "How long a table's schema is trusted before it is re-read")
      ->envname("ALTGW_SCHEMA_TTL")
      ->check(duration);
  app.add_option("--event-loops", config.transport.event_loops, "HTTP event-loop threads")
      ->envname("ALTGW_EVENT_LOOPS")
      ->check(CLI::Range(1, 64));
  app.add_flag("--compress-requests,!--no-compress-requests", config.backend.compress_requests,
               "gzip request bodies >= 1 KiB when smaller (Alternator accepts it from ScyllaDB 2026.1)")
      ->envname("ALTGW_COMPRESS_REQUESTS");
  app.add_flag("--accept-compressed-responses,!--no-accept-compressed-responses",
               config.backend.accept_compressed_responses, "Ask the database for gzip/deflate answers")
      ->envname("ALTGW_ACCEPT_COMPRESSED_RESPONSES");
  app.add_option("--backend-ca-file", config.transport.tls.ca_file, "PEM CA bundle for https endpoints")
      ->envname("ALTGW_BACKEND_CA_FILE");
  app.add_flag("--backend-system-cas,!--no-backend-system-cas", config.transport.tls.use_system_cas,
               "Trust the system CA store for https endpoints")
      ->envname("ALTGW_BACKEND_SYSTEM_CAS");
  app.add_flag("--backend-verify-host,!--no-backend-verify-host", config.transport.tls.verify_host,
               "Check that the database certificate names the host dialled")
      ->envname("ALTGW_BACKEND_VERIFY_HOST");
  app.add_option("--backend-client-cert", config.transport.tls.client_cert_file,
                 "PEM client certificate for mutual TLS to the database")
      ->envname("ALTGW_BACKEND_CLIENT_CERT");
  app.add_option("--backend-client-key", config.transport.tls.client_key_file,
                 "PEM client key for mutual TLS to the database")
      ->envname("ALTGW_BACKEND_CLIENT_KEY");
  app.add_flag("--reflection,!--no-reflection", config.enable_reflection, "Serve gRPC server reflection")
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
  app.add_option("--routing-scope", scopes,
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

  CLI11_PARSE(app, argc, argv);

  config.routing.discovery = *altgw::routing::ParseDiscoveryMode(discovery);
  config.routing.scopes.clear();
  for (const std::string& text : scopes) {
    auto scope = altgw::routing::ParseRoutingScope(text);
    if (!scope.ok()) {
      std::cerr << "alternator-gateway: --routing-scope: " << scope.status().message() << "\n";
      return 2;
    }
    config.routing.scopes.push_back(*scope);
  }
  config.routing.affinity = *altgw::routing::ParseAffinityMode(affinity);
  for (const std::string& entry : table_affinity) {
    const size_t equals = entry.find('=');
    auto mode = equals == std::string::npos ? absl::InvalidArgumentError("missing '='")
                                            : altgw::routing::ParseAffinityMode(entry.substr(equals + 1));
    if (equals == 0 || !mode.ok()) {
      std::cerr << "alternator-gateway: --table-key-affinity: '" << entry << "': use TABLE=none|rmw|any_write\n";
      return 2;
    }
    config.routing.table_affinity[entry.substr(0, equals)] = *mode;
  }
  config.routing.probe_interval = ToDuration(probe_interval);

  if (!secret.empty()) config.backend.credentials.secret_access_key = secret;
  config.page_token_keys = page_token_keys;
  config.page_token_lifetime = ToDuration(page_token_lifetime);
  config.backend.default_deadline = ToDuration(default_deadline);
  config.backend.attempt_timeout = ToDuration(attempt_timeout);
  config.schema_ttl = ToDuration(schema_ttl);
  config.transactions = transactions == "native"        ? altgw::service::GatewayConfig::Transactions::kNative
                        : transactions == "single-item" ? altgw::service::GatewayConfig::Transactions::kSingleItem
                                                        : altgw::service::GatewayConfig::Transactions::kAuto;
  for (const std::string& entry : versioned_tables) {
    const size_t equals = entry.find('=');
    if (equals == std::string::npos || equals == 0 || equals + 1 == entry.size()) {
      std::cerr << "alternator-gateway: --versioned-table: '" << entry << "' is not TABLE=ATTRIBUTE\n";
      return 2;
    }
    config.version_attributes[entry.substr(0, equals)] = entry.substr(equals + 1);
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
  std::cerr << "alternator-gateway: serving gRPC on port " << (*server)->port() << ", database "
            << absl::StrJoin(config.backend_endpoints, ",") << std::endl;

  std::thread signal_waiter([&] {
    int signal = 0;
    sigwait(&signals, &signal);
    std::cerr << "alternator-gateway: signal " << signal << ", shutting down" << std::endl;
    (*server)->Shutdown(absl::Seconds(5));
  });
  (*server)->Wait();
  signal_waiter.join();
  return 0;
}
