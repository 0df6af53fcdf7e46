#include "service/gateway_server.h"

#include <grpcpp/health_check_service_interface.h>

#include "absl/strings/str_cat.h"
#include "common/scheduler.h"
#include "model/page_token.h"
#include "alternator/http_node_client.h"
#include "routing/cluster_router.h"
#include "service/data_service.h"
#include "service/gateway.h"
#include "service/reflection_option.h"
#include "service/routing_service.h"
#include "service/schema_cache.h"
#include "service/table_service.h"
#include "service/transaction_calls.h"

namespace altgw::service {

// Everything the gRPC services depend on, in construction order (destroyed in reverse: services first),
// except that the scheduler and the transport are stopped first (see ~Core).
class GatewayServer::Core {
 public:
  Core(model::PageTokenCodec tokens, const GatewayConfig& config)
      : transport_(std::make_unique<alternator::CurlTransport>(config.transport)),
        scheduler_(std::make_unique<Scheduler>()),
        node_client_(*transport_),
        router_(config.routing, node_client_, *scheduler_),
        backend_(*transport_, router_, *scheduler_, config.backend),
        schemas_(backend_, config.schema_ttl, config.version_attributes),
        tokens_(std::move(tokens)),
        authorizer_(config.principals),
        gateway_{backend_, schemas_, tokens_, *scheduler_, TransactionSupport::kNative, &authorizer_},
        data_service_(gateway_),
        table_service_(gateway_),
        routing_service_(gateway_, router_) {
    schemas_.ExpectPartitionKeys(config.partition_keys);
  }

  // Backend requests may outlive every gRPC call (a schema lookup nobody waits for any more, an attempt
  // a cancellation has not reached yet), and their completions call back into the backend client, the
  // router and the schema cache. So, while all of those still exist: first the scheduler stops (pending
  // retries are dropped, no new attempt starts, and tasks scheduled later are dropped at once), then the
  // transport (destroying it completes every
  // exchange still running, with kCancelled). Destroying the members in plain reverse order ran those
  // completions after the router and the schema cache were gone.
  ~Core() {
    scheduler_->Shutdown();
    transport_.reset();
  }

  DataServiceImpl& data_service() { return data_service_; }
  alternator::BackendClient& backend() { return backend_; }
  Gateway& gateway() { return gateway_; }
  TableServiceImpl& table_service() { return table_service_; }
  RoutingServiceImpl& routing_service() { return routing_service_; }
  routing::ClusterRouter& router() { return router_; }

 private:
  std::unique_ptr<alternator::CurlTransport> transport_;
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
};

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

  std::unique_ptr<GatewayServer> server(new GatewayServer());
  server->core_ = std::make_unique<Core>(*std::move(tokens), config);
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

  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  builder.SetOption(ReflectionOption(config.enable_reflection));  // this server only, on or off
  builder.AddListeningPort(config.listen_address, *credentials, &server->port_);
  builder.RegisterService(&server->core_->data_service());
  builder.RegisterService(&server->core_->table_service());
  builder.RegisterService(&server->core_->routing_service());
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("--listen: cannot listen on ", config.listen_address));
  }
  return server;
}

GatewayServer::~GatewayServer() {
  if (server_) Shutdown(absl::ZeroDuration());
}

void GatewayServer::Wait() { server_->Wait(); }

void GatewayServer::Shutdown(absl::Duration grace) {
  server_->Shutdown(absl::ToChronoTime(absl::Now() + grace));
}

}  // namespace altgw::service
