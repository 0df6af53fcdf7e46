// ReadinessMonitor: decides whether this gateway should receive traffic (the "readiness" health status
// and /readyz).
//
// Ready = at least one database node is usable AND the gateway is not draining. "Usable": the router has a
// usable node in its active scope (ClusterRouter node states) and one of those nodes answered a probe
// (GET /, any HTTP answer) in the last check: node states alone only change with traffic, so an idle
// gateway would never notice a dead static endpoint.
//
// Damping: a backend outage turns readiness NOT_SERVING only once it has lasted `damping` (so a short blip
// does not pull a whole fleet out of its load balancers at once); recovery and draining take effect at once.
#ifndef ALTGW_SERVICE_READINESS_H_
#define ALTGW_SERVICE_READINESS_H_

#include <functional>
#include <memory>
#include <optional>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/scheduler.h"
#include "routing/cluster_router.h"
#include "routing/node_client.h"

namespace altgw::service {

struct ReadinessOptions {
  absl::Duration damping = absl::Seconds(10);
  absl::Duration check_interval = absl::Seconds(1);
  absl::Duration probe_timeout = absl::Seconds(2);
  int max_probes = 3;  // nodes probed per check (any answer suffices)
};

class ReadinessMonitor : public std::enable_shared_from_this<ReadinessMonitor> {
 public:
  // Told each time readiness changes (on a scheduler or transport thread, or the caller of SetDraining).
  using Listener = std::function<void(bool ready)>;

  // `router` and `client` may be null (then only Observe() feeds it: tests).
  static std::shared_ptr<ReadinessMonitor> Create(routing::ClusterRouter* router, routing::NodeClient* client,
                                                  Scheduler& scheduler, ReadinessOptions options, Listener listener);

  // Starts the periodic checks. Readiness starts SERVING: the gateway only starts serving after the
  // router has reached the database.
  void Start();

  // Draining: NOT_SERVING from now on, at once.
  void SetDraining();

  // One check's result at `now` (the periodic checks call it; public for tests of the damping logic).
  void Observe(bool backend_usable, absl::Time now);

  bool ready() const;
  bool draining() const;
  bool backend_usable() const;  // after damping: false only once the outage lasted `damping`
  const ReadinessOptions& options() const { return options_; }

 private:
  ReadinessMonitor(routing::ClusterRouter* router, routing::NodeClient* client, Scheduler& scheduler,
                   ReadinessOptions options, Listener listener);
  void ScheduleCheck();
  void Check();
  // Recomputes ready_ under mu_; returns the new value when it changed.
  std::optional<bool> Recompute() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Tells the listener the current readiness if it differs from what it was last told. Serialised, so
  // changes racing on several threads cannot reach the listener out of order.
  void Notify();

  routing::ClusterRouter* const router_;
  routing::NodeClient* const client_;
  Scheduler& scheduler_;
  const ReadinessOptions options_;
  const Listener listener_;

  mutable absl::Mutex mu_;
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  bool backend_ok_ ABSL_GUARDED_BY(mu_) = true;                  // damped
  std::optional<absl::Time> unusable_since_ ABSL_GUARDED_BY(mu_);  // start of the current outage
  bool ready_ ABSL_GUARDED_BY(mu_) = true;

  absl::Mutex notify_mu_;  // taken before mu_
  bool told_ ABSL_GUARDED_BY(notify_mu_) = true;
};

}  // namespace altgw::service

#endif  // ALTGW_SERVICE_READINESS_H_
