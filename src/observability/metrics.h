// Metrics: the gateway's Prometheus metrics (prometheus-cpp), rendered in the text exposition format for
// the admin port's /metrics.
//
// gRPC server metrics follow the names of gRPC's OpenTelemetry metrics (grpc.server.call.started,
// grpc.server.call.duration) in Prometheus form; the gateway's own are prefixed altgw_. Every label value
// comes from a bounded set: method names, status code names, DynamoDB operation names, outcome and reason
// words, and the database nodes (as many as the cluster has).
#ifndef ALTGW_OBSERVABILITY_METRICS_H_
#define ALTGW_OBSERVABILITY_METRICS_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "alternator/backend_observer.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/metric_family.h"
#include "prometheus/registry.h"
#include "routing/cluster_router.h"

namespace altgw::observability {

class Metrics final : public alternator::BackendObserver {
 public:
  Metrics();
  ~Metrics() override;

  // --- gRPC calls (service layer). ---
  // A call was admitted and starts (in-flight + 1).
  void CallStarted(const std::string& method);
  // An admitted call finished with `status` (a gRPC code name) after `duration` (in-flight - 1).
  void CallFinished(const std::string& method, const std::string& status, absl::Duration duration);
  // A call was shed (not admitted): counted as started and finished with RESOURCE_EXHAUSTED too.
  void CallShed(const std::string& method);

  // --- Database (BackendObserver). ---
  void OnBackendAttempt(absl::string_view node, absl::string_view operation, absl::string_view outcome,
                        absl::Duration elapsed) override;
  void OnBackendRetry(absl::string_view reason) override;

  // --- Sampled at scrape time. ---
  // Node states, discovery refreshes and affinity decisions of `router` (must outlive this, or be
  // detached with WatchRouter(nullptr)).
  void WatchRouter(const routing::ClusterRouter* router);
  // Readiness as a 0/1 gauge, sampled from `ready` at every scrape.
  void WatchReadiness(std::function<bool()> ready);

  // The Prometheus text exposition of every metric.
  std::string Render() const;

 private:
  std::vector<prometheus::MetricFamily> CollectSampled() const;

  // The metric object of each label combination seen, so that the hot path looks it up in a hash map
  // instead of going through Family::Add (see metrics.cc).
  struct Caches;

  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& calls_started_;
  prometheus::Family<prometheus::Histogram>& call_duration_;
  prometheus::Gauge& in_flight_;
  prometheus::Family<prometheus::Counter>& shed_;
  prometheus::Family<prometheus::Counter>& backend_requests_;
  prometheus::Family<prometheus::Histogram>& backend_duration_;
  prometheus::Family<prometheus::Counter>& backend_retries_;
  std::unique_ptr<Caches> caches_;

  mutable absl::Mutex mu_;
  const routing::ClusterRouter* router_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::function<bool()> ready_ ABSL_GUARDED_BY(mu_);
};

}  // namespace altgw::observability

#endif  // ALTGW_OBSERVABILITY_METRICS_H_
