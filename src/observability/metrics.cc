#include "observability/metrics.h"

#include <sstream>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "prometheus/text_serializer.h"

namespace altgw::observability {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;
using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

// Seconds: from a cached read (sub-millisecond) to the longest deadline a caller is likely to set.
prometheus::Histogram::BucketBoundaries CallBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
}

MetricFamily Family(std::string name, std::string help, MetricType type) {
  MetricFamily family;
  family.name = std::move(name);
  family.help = std::move(help);
  family.type = type;
  return family;
}

ClientMetric Sample(std::vector<ClientMetric::Label> labels, double value, MetricType type) {
  ClientMetric metric;
  metric.label = std::move(labels);
  if (type == MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  return metric;
}

// Family::Add builds a std::map of the labels, hashes it, takes the family's lock and, for a histogram,
// constructs a whole new Histogram with its buckets before finding the existing one: ~9k instructions
// per gRPC call (profile of issue 7). A family's metrics never move or die while it lives, so each
// label combination goes through Add once and is then found here by its label values.
template <typename Metric>
class LabelCache {
 public:
  // The metric for `key` (the label values joined by '\x1f'); `add` makes it the first time.
  template <typename Add>
  Metric& Get(absl::string_view key, Add&& add) {
    {
      absl::ReaderMutexLock lock(&mu_);
      auto it = metrics_.find(key);
      if (it != metrics_.end()) return *it->second;
    }
    Metric& metric = add();
    absl::MutexLock lock(&mu_);
    metrics_.emplace(key, &metric);
    return metric;
  }

 private:
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Metric*> metrics_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

struct Metrics::Caches {
  LabelCache<prometheus::Counter> calls_started;
  LabelCache<prometheus::Histogram> call_duration;
  LabelCache<prometheus::Counter> shed;
  LabelCache<prometheus::Counter> backend_requests;
  LabelCache<prometheus::Histogram> backend_duration;
  LabelCache<prometheus::Counter> backend_retries;
};

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      calls_started_(BuildCounter()
                         .Name("grpc_server_call_started_total")
                         .Help("gRPC calls started, by method (shed calls included)")
                         .Register(*registry_)),
      call_duration_(BuildHistogram()
                         .Name("grpc_server_call_duration_seconds")
                         .Help("gRPC call duration from arrival to final status, by method and status code")
                         .Register(*registry_)),
      in_flight_(BuildGauge()
                     .Name("altgw_in_flight_calls")
                     .Help("gRPC calls admitted and not finished yet (the quantity --max-in-flight bounds)")
                     .Register(*registry_)
                     .Add({})),
      shed_(BuildCounter()
                .Name("altgw_shed_calls_total")
                .Help("Calls refused with RESOURCE_EXHAUSTED/OVERLOADED because --max-in-flight was reached")
                .Register(*registry_)),
      backend_requests_(BuildCounter()
                            .Name("altgw_backend_requests_total")
                            .Help("Database attempts by node, DynamoDB operation and outcome (2xx, 3xx, 4xx, "
                                  "5xx, not_sent, timeout, connection_lost, cancelled, failed)")
                            .Register(*registry_)),
      backend_duration_(BuildHistogram()
                            .Name("altgw_backend_request_duration_seconds")
                            .Help("Duration of one database attempt, by DynamoDB operation")
                            .Register(*registry_)),
      backend_retries_(BuildCounter()
                           .Name("altgw_backend_retries_total")
                           .Help("Database attempts that were retries, by the reason of the retry")
                           .Register(*registry_)),
      caches_(std::make_unique<Caches>()) {}

Metrics::~Metrics() = default;

void Metrics::CallStarted(const std::string& method) {
  caches_->calls_started.Get(method, [&]() -> auto& { return calls_started_.Add({{"grpc_method", method}}); })
      .Increment();
  in_flight_.Increment();
}

void Metrics::CallFinished(const std::string& method, const std::string& status, absl::Duration duration) {
  in_flight_.Decrement();
  caches_->call_duration
      .Get(absl::StrCat(method, "\x1f", status),
           [&]() -> auto& {
             return call_duration_.Add({{"grpc_method", method}, {"grpc_status", status}}, CallBuckets());
           })
      .Observe(absl::ToDoubleSeconds(duration));
}

void Metrics::CallShed(const std::string& method) {
  caches_->calls_started.Get(method, [&]() -> auto& { return calls_started_.Add({{"grpc_method", method}}); })
      .Increment();
  caches_->shed.Get(method, [&]() -> auto& { return shed_.Add({{"grpc_method", method}}); }).Increment();
  static const std::string kExhausted = "RESOURCE_EXHAUSTED";
  caches_->call_duration
      .Get(absl::StrCat(method, "\x1f", kExhausted),
           [&]() -> auto& {
             return call_duration_.Add({{"grpc_method", method}, {"grpc_status", kExhausted}}, CallBuckets());
           })
      .Observe(0);
}

void Metrics::OnBackendAttempt(absl::string_view node, absl::string_view operation, absl::string_view outcome,
                               absl::Duration elapsed) {
  caches_->backend_requests
      .Get(absl::StrCat(node, "\x1f", operation, "\x1f", outcome),
           [&]() -> auto& {
             return backend_requests_.Add({{"node", std::string(node)},
                                           {"operation", std::string(operation)},
                                           {"outcome", std::string(outcome)}});
           })
      .Increment();
  caches_->backend_duration
      .Get(operation,
           [&]() -> auto& {
             return backend_duration_.Add({{"operation", std::string(operation)}}, CallBuckets());
           })
      .Observe(absl::ToDoubleSeconds(elapsed));
}

void Metrics::OnBackendRetry(absl::string_view reason) {
  caches_->backend_retries
      .Get(reason, [&]() -> auto& { return backend_retries_.Add({{"reason", std::string(reason)}}); })
      .Increment();
}

void Metrics::WatchRouter(const routing::ClusterRouter* router) {
  absl::MutexLock lock(&mu_);
  router_ = router;
}

void Metrics::WatchReadiness(std::function<bool()> ready) {
  absl::MutexLock lock(&mu_);
  ready_ = std::move(ready);
}

std::vector<MetricFamily> Metrics::CollectSampled() const {
  std::vector<MetricFamily> out;
  absl::MutexLock lock(&mu_);
  if (ready_) {
    MetricFamily ready = Family("altgw_ready", "1 while the readiness health status is SERVING", MetricType::Gauge);
    ready.metric.push_back(Sample({}, ready_() ? 1 : 0, MetricType::Gauge));
    out.push_back(std::move(ready));
  }
  if (router_ == nullptr) return out;

  MetricFamily states = Family("altgw_backend_node_state",
                               "1 for the state each known database node is in (ACTIVE, QUARANTINED, DOWN)",
                               MetricType::Gauge);
  MetricFamily usable = Family("altgw_backend_usable_nodes",
                               "Nodes of the active routing scope that can take traffic", MetricType::Gauge);
  for (const routing::ClusterRouter::NodeStatus& node : router_->ListNodes()) {
    for (routing::NodeState state :
         {routing::NodeState::kActive, routing::NodeState::kQuarantined, routing::NodeState::kDown}) {
      states.metric.push_back(Sample({{"node", node.endpoint}, {"state", std::string(routing::NodeStateName(state))}},
                                     node.state == state ? 1 : 0, MetricType::Gauge));
    }
  }
  usable.metric.push_back(Sample({}, static_cast<double>(router_->usable_nodes()), MetricType::Gauge));

  const routing::ClusterRouter::Counters counters = router_->counters();
  MetricFamily refreshes = Family("altgw_discovery_refreshes_total",
                                  "/localnodes discovery rounds finished, by result", MetricType::Counter);
  refreshes.metric.push_back(
      Sample({{"result", "ok"}}, static_cast<double>(counters.refreshes - counters.refresh_failures), MetricType::Counter));
  refreshes.metric.push_back(
      Sample({{"result", "failed"}}, static_cast<double>(counters.refresh_failures), MetricType::Counter));
  MetricFamily affinity = Family("altgw_affinity_decisions_total",
                                 "Request plans by how their node order was chosen", MetricType::Counter);
  affinity.metric.push_back(
      Sample({{"decision", "affinity"}}, static_cast<double>(counters.affinity_plans), MetricType::Counter));
  affinity.metric.push_back(
      Sample({{"decision", "round_robin"}}, static_cast<double>(counters.round_robin_plans), MetricType::Counter));

  out.push_back(std::move(states));
  out.push_back(std::move(usable));
  out.push_back(std::move(refreshes));
  out.push_back(std::move(affinity));
  return out;
}

std::string Metrics::Render() const {
  std::vector<MetricFamily> families = registry_->Collect();
  std::vector<MetricFamily> sampled = CollectSampled();
  families.insert(families.end(), std::make_move_iterator(sampled.begin()), std::make_move_iterator(sampled.end()));
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

}  // namespace altgw::observability
