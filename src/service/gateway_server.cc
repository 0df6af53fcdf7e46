#include "service/gateway_server.h"

#include <sched.h>

#include <algorithm>
#include <limits>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "admin/admin_server.h"
#include "common/scheduler.h"
#include "model/page_token.h"
#include "alternator/gateway_transport.h"
#include "alternator/http_node_client.h"
#include "routing/cluster_router.h"
#include "observability/metrics.h"
#include "service/call_tracker.h"
#include "service/data_service.h"
#include "service/gateway.h"
#include "service/health_service.h"
#include "service/readiness.h"
#include "service/reflection_option.h"
#include "service/routing_service.h"
#include "service/schema_cache.h"
#include "service/table_service.h"
#include "service/transaction_calls.h"

namespace altgw::service {
namespace {

using ::grpc::health::v1::HealthCheckResponse;

// The health names whose status follows readiness (liveness is always SERVING while the process runs).
const std::vector<std::string>& ReadinessFollowers() {
  static const auto* names = new std::vector<std::string>{
      "", "readiness", "alternator.gateway.v1.DataService", "alternator.gateway.v1.TableService",
      "alternator.gateway.v1.RoutingService"};
  return *names;
}

alternator::BackendClientOptions WithObserver(alternator::BackendClientOptions options,
                                              alternator::BackendObserver* observer) {
  options.observer = observer;
  return options;
}

}  // namespace

// Everything the gRPC services depend on, in construction order (destroyed in reverse: services first),
// except that the scheduler and the transport are stopped first (see ~Core).
class GatewayServer::Core {
 public:
  Core(model::PageTokenCodec tokens, const GatewayConfig& config, std::unique_ptr<observability::Logger> logger)
      : logger_(std::move(logger)),
        tracker_(config.max_in_flight, &metrics_, logger_.get()),
        transport_(std::make_unique<alternator::GatewayTransport>(config.transport, config.builtin_http)),
        scheduler_(std::make_unique<Scheduler>()),
        node_client_(*transport_),
        router_(config.routing, node_client_, *scheduler_),
        backend_(*transport_, router_, *scheduler_, WithObserver(config.backend, &metrics_)),
        schemas_(backend_, config.schema_ttl, config.version_attributes),
        tokens_(std::move(tokens)),
        authorizer_(config.principals),
        gateway_{backend_, schemas_, tokens_, *scheduler_, TransactionSupport::kNative,
                 &authorizer_, &tracker_, transport_.get()},
        data_service_(gateway_),
        table_service_(gateway_),
        routing_service_(gateway_, router_),
        health_(HealthNames()) {
    schemas_.ExpectPartitionKeys(config.partition_keys);
    metrics_.WatchRouter(&router_);
  }

  static std::vector<std::string> HealthNames() {
    std::vector<std::string> names = ReadinessFollowers();
    names.push_back("liveness");
    return names;
  }

  // Creates the readiness monitor (after the router has started) and publishes the initial statuses.
  void StartHealth(const GatewayConfig& config) {
    ReadinessOptions options;
    options.damping = config.readiness_damping;
    options.check_interval = config.readiness_check_interval;
    options.probe_timeout = std::min(absl::Seconds(2), config.readiness_check_interval * 2);
    HealthService& health = health_;
    observability::Logger& logger = *logger_;
    readiness_ = ReadinessMonitor::Create(&router_, &node_client_, *scheduler_, options, [this, &health, &logger](bool ready) {
      for (const std::string& name : ReadinessFollowers()) {
        health.Set(name, ready ? HealthCheckResponse::SERVING : HealthCheckResponse::NOT_SERVING);
      }
      logger.Log(ready || readiness_->draining() ? observability::LogLevel::kInfo : observability::LogLevel::kWarn,
                 ready ? "readiness SERVING" : "readiness NOT_SERVING",
                 {{"draining", readiness_->draining()}, {"backendUsable", readiness_->backend_usable()}});
    });
    health_.Set("liveness", HealthCheckResponse::SERVING);
    for (const std::string& name : ReadinessFollowers()) health_.Set(name, HealthCheckResponse::SERVING);
    std::weak_ptr<ReadinessMonitor> weak = readiness_;
    metrics_.WatchReadiness([weak] {
      auto readiness = weak.lock();
      return readiness && readiness->ready();
    });
    readiness_->Start();
  }

  // Backend requests may outlive every gRPC call (a schema lookup nobody waits for any more, an attempt
  // a cancellation has not reached yet), and their completions call back into the backend client, the
  // router and the schema cache. So, while all of those still exist: first the scheduler stops (pending
  // retries are dropped, no new attempt starts, and tasks scheduled later are dropped at once), then the
  // transport (destroying it completes every
  // exchange still running, with kCancelled). Destroying the members in plain reverse order ran those
  // completions after the router and the schema cache were gone.
  ~Core() {
    metrics_.WatchRouter(nullptr);
    scheduler_->Shutdown();
    transport_.reset();
    logger_->Flush();
  }

  DataServiceImpl& data_service() { return data_service_; }
  alternator::BackendClient& backend() { return backend_; }
  Gateway& gateway() { return gateway_; }
  TableServiceImpl& table_service() { return table_service_; }
  RoutingServiceImpl& routing_service() { return routing_service_; }
  routing::ClusterRouter& router() { return router_; }
  HealthService& health() { return health_; }
  ReadinessMonitor& readiness() { return *readiness_; }
  CallTracker& calls() { return tracker_; }
  observability::Metrics& metrics() { return metrics_; }
  observability::Logger& logger() { return *logger_; }
  admin::AdminServer* admin() { return admin_.get(); }
  void set_admin(std::unique_ptr<admin::AdminServer> admin) { admin_ = std::move(admin); }

 private:
  // Observability first: the backend client reports to the metrics until the transport is gone.
  observability::Metrics metrics_;
  std::unique_ptr<observability::Logger> logger_;
  CallTracker tracker_;
  std::unique_ptr<alternator::GatewayTransport> transport_;
  std::unique_ptr<Scheduler> scheduler_;
  alternator::HttpNodeClient node_client_;
  routing::ClusterRouter router_;
  alternator::BackendClient backend_;
  SchemaCache schemas_;
  model::PageTokenCodec tokens_;
  Authorizer authorizer_;
  Gateway gateway_;
  DataServiceImpl data_service_;
  TableServiceImpl table_service_;
  RoutingServiceImpl routing_service_;
  HealthService health_;
  std::shared_ptr<ReadinessMonitor> readiness_;
  // Last member: stopped first, while everything its handlers read still exists.
  std::unique_ptr<admin::AdminServer> admin_;
};

namespace {

absl::Status ValidateLimits(const GatewayConfig& config) {
  if (config.max_message_bytes < 1024) {
    return absl::InvalidArgumentError("--max-message-bytes: must be at least 1024");
  }
  if (config.max_concurrent_streams < 1) {
    return absl::InvalidArgumentError("--max-concurrent-streams: must be at least 1");
  }
  if (config.grpc_threads < 0 || config.grpc_threads > 256) {
    return absl::InvalidArgumentError("--grpc-threads: must be 0 (half the CPUs) to 256");
  }
  if (config.max_in_flight < 0) return absl::InvalidArgumentError("--max-in-flight: must be 0 (no bound) or more");
  if (config.max_connection_age <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--max-connection-age: must be positive");
  }
  if (config.max_connection_age_grace < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--max-connection-age-grace: must not be negative");
  }
  if (config.readiness_damping < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--readiness-damping: must not be negative");
  }
  if (config.drain_delay < absl::ZeroDuration() || config.drain_timeout < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--drain-delay / --drain-timeout: must not be negative");
  }
  return absl::OkStatus();
}

int Millis(absl::Duration d) {
  return static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(d), std::numeric_limits<int>::max()));
}

void ApplyLimits(const GatewayConfig& config, grpc::ServerBuilder& builder) {
  builder.SetMaxReceiveMessageSize(config.max_message_bytes);
  builder.SetMaxSendMessageSize(config.max_message_bytes);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, config.max_concurrent_streams);
  // Keepalive enforcement: permit pings without calls at the configured rate (well-behaved clients keep
  // idle connections alive that way); the server pings idle clients itself every 5 minutes.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
                             Millis(config.keepalive_min_ping_interval));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, Millis(absl::Minutes(5)));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, Millis(absl::Seconds(20)));
  if (config.max_connection_age != absl::InfiniteDuration()) {
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS, Millis(config.max_connection_age));
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS, Millis(config.max_connection_age_grace));
  }
}

void RegisterAdminHandlers(admin::AdminServer& admin, GatewayServer::Core& core);

// Half the CPUs this process may run on (its affinity: a container's cpuset, taskset), at least one.
int DefaultGrpcThreads() {
  cpu_set_t cpus;
  int count = 0;
  if (sched_getaffinity(0, sizeof(cpus), &cpus) == 0) count = CPU_COUNT(&cpus);
  if (count <= 0) count = static_cast<int>(std::thread::hardware_concurrency());
  return std::max(1, count / 2);
}

}  // namespace

absl::StatusOr<std::unique_ptr<GatewayServer>> GatewayServer::Start(GatewayConfig config) {
  if (config.routing.seeds.empty()) config.routing.seeds = config.backend_endpoints;
  std::vector<std::string> keys = config.page_token_keys;
  if (keys.empty()) keys.push_back(model::PageTokenCodec::RandomKey());
  auto tokens = model::PageTokenCodec::Create(std::move(keys), config.page_token_lifetime);
  if (!tokens.ok()) return absl::InvalidArgumentError(absl::StrCat("--page-token-key: ", tokens.status().message()));
  if (auto status = alternator::SigV4Signer::Validate(config.backend.credentials, config.backend.region, "dynamodb");
      !status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("backend credentials: ", status.message()));
  }

  auto credentials = ServerCredentialsFor(config.tls);
  if (!credentials.ok()) return credentials.status();
  if (absl::Status limits = ValidateLimits(config); !limits.ok()) return limits;
  auto logger = observability::Logger::Open(config.log_level, config.access_log);
  if (!logger.ok()) return absl::InvalidArgumentError(absl::StrCat("--access-log: ", logger.status().message()));

  std::unique_ptr<GatewayServer> server(new GatewayServer());
  server->core_ = std::make_unique<Core>(*std::move(tokens), config, *std::move(logger));
  if (absl::Status routing = server->core_->router().Start(config.startup_timeout); !routing.ok()) {
    return absl::Status(routing.code(), absl::StrCat("--backend-endpoints / routing: ", routing.message()));
  }

  switch (config.transactions) {
    case GatewayConfig::Transactions::kNative:
      server->core_->gateway().transactions = TransactionSupport::kNative;
      break;
    case GatewayConfig::Transactions::kSingleItem:
      server->core_->gateway().transactions = TransactionSupport::kSingleItem;
      break;
    case GatewayConfig::Transactions::kAuto: {
      // The database may still be starting: ask until the startup timeout.
      const absl::Time give_up = absl::Now() + config.startup_timeout;
      absl::StatusOr<TransactionSupport> support;
      for (;;) {
        support = DetectTransactionSupport(server->core_->backend(), absl::Seconds(5));
        if (support.ok() || absl::Now() + absl::Milliseconds(500) >= give_up) break;
        absl::SleepFor(absl::Milliseconds(500));
      }
      if (!support.ok()) {
        return absl::UnavailableError(absl::StrCat(support.status().message(),
                                                   " (set --transactions=native or single-item to skip the check)"));
      }
      server->core_->gateway().transactions = *support;
      break;
    }
  }

  server->core_->StartHealth(config);
  Core& core = *server->core_;
  if (!config.admin_listen.empty()) {
    auto admin = std::make_unique<admin::AdminServer>();
    RegisterAdminHandlers(*admin, core);
    if (absl::Status status = admin->Start(config.admin_listen); !status.ok()) {
      return absl::Status(status.code(), absl::StrCat("--admin-listen: ", status.message()));
    }
    core.set_admin(std::move(admin));
  }

  // The gateway serves grpc.health.v1 itself (HealthService), so gRPC's default one stays off.
  grpc::ServerBuilder builder;
  builder.SetOption(ReflectionOption(config.enable_reflection));  // this server only, on or off
  builder.AddListeningPort(config.listen_address, *credentials, &server->port_);
  builder.RegisterService(core.data_service().service());
  builder.RegisterService(core.table_service().service());
  builder.RegisterService(core.routing_service().service());
  builder.RegisterService(core.health().service());
  const int threads = config.grpc_threads > 0 ? config.grpc_threads : DefaultGrpcThreads();
  server->queues_ = std::make_unique<ServingQueues>(threads);
  server->queues_->AddTo(builder);
  ApplyLimits(config, builder);
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    server->server_.reset();
    return absl::UnavailableError(absl::StrCat("--listen: cannot listen on ", config.listen_address));
  }
  core.data_service().Serve(*server->queues_);
  core.table_service().Serve(*server->queues_);
  core.routing_service().Serve(*server->queues_);
  core.health().Serve(*server->queues_);
  server->queues_->Run();
  core.logger().Log(observability::LogLevel::kInfo, "serving",
                    {{"grpcPort", server->port_}, {"adminPort", server->admin_port()}, {"grpcThreads", threads}});
  return server;
}

GatewayServer::~GatewayServer() {
  if (server_) StopServing(absl::ZeroDuration());
  // Admin first (its handlers read the core), then the core: backend connections close with the transport.
  if (core_ && core_->admin() != nullptr) core_->admin()->Stop();
}

int GatewayServer::admin_port() const { return core_->admin() != nullptr ? core_->admin()->port() : 0; }

bool GatewayServer::ready() const { return core_->readiness().ready(); }

int64_t GatewayServer::in_flight_calls() const { return core_->calls().in_flight(); }

std::string GatewayServer::metrics_text() const { return core_->metrics().Render(); }

void GatewayServer::Wait() { server_->Wait(); }

void GatewayServer::Shutdown(absl::Duration grace) { StopServing(grace); }

GatewayServer::DrainReport GatewayServer::Drain(absl::Duration delay, absl::Duration timeout) {
  DrainReport report;
  const absl::Time start = absl::Now();
  core_->readiness().SetDraining();
  core_->logger().Log(observability::LogLevel::kInfo, "draining: readiness NOT_SERVING, still serving",
                      {{"drainDelayMs", absl::ToInt64Milliseconds(delay)},
                       {"drainTimeoutMs", absl::ToInt64Milliseconds(timeout)},
                       {"inFlight", core_->calls().in_flight()}});
  absl::SleepFor(delay);
  const absl::Time stop = absl::Now();
  report.delay = stop - start;
  report.aborted = StopServing(timeout);
  report.stop = absl::Now() - stop;
  core_->logger().Log(observability::LogLevel::kInfo, "drained",
                      {{"servedWhileDrainingMs", absl::ToInt64Milliseconds(report.delay)},
                       {"stopMs", absl::ToInt64Milliseconds(report.stop)},
                       {"abortedCalls", report.aborted}});
  core_->logger().Flush();
  return report;
}

int GatewayServer::StopServing(absl::Duration grace) {
  if (stopped_) return 0;
  stopped_ = true;
  core_->readiness().SetDraining();
  // Open Watch streams would hold the shutdown until its deadline.
  core_->health().Shutdown();
  // At the deadline the gateway ends the calls still running with its own retryable status; gRPC's own
  // cancellation (a moment later) would only tell the caller CANCELLED.
  const absl::Time deadline = absl::Now() + grace;
  absl::Notification stopped;
  int aborted = 0;
  std::thread aborter([&] {
    if (!stopped.WaitForNotificationWithDeadline(deadline)) aborted = core_->calls().AbortAll();
  });
  server_->Shutdown(absl::ToChronoTime(deadline + absl::Seconds(1)));
  stopped.Notify();
  aborter.join();
  // Every call has ended; what still reports (a database answer arriving late) finds the queues closed.
  queues_->Shutdown();
  if (aborted > 0) {
    core_->logger().Log(observability::LogLevel::kWarn, "drain deadline passed: running calls aborted",
                        {{"abortedCalls", aborted}});
  }
  return aborted;
}

}  // namespace altgw::service

namespace altgw::service {
namespace {

void RegisterAdminHandlers(admin::AdminServer& admin, GatewayServer::Core& core) {
  admin.Handle("/healthz", [] {
    // Liveness: the process answers. Never depends on the database.
    return admin::AdminResponse{200, "application/json", R"({"status":"SERVING"})"};
  });
  admin.Handle("/readyz", [&core] {
    ReadinessMonitor& readiness = core.readiness();
    const bool ready = readiness.ready();
    nlohmann::json body = {{"status", ready ? "SERVING" : "NOT_SERVING"},
                           {"draining", readiness.draining()},
                           {"backendUsable", readiness.backend_usable()}};
    return admin::AdminResponse{ready ? 200 : 503, "application/json", body.dump()};
  });
  admin.Handle("/metrics", [&core] {
    return admin::AdminResponse{200, "text/plain; version=0.0.4; charset=utf-8", core.metrics().Render()};
  });
}

}  // namespace
}  // namespace altgw::service
