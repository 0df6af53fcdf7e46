// HealthService: grpc.health.v1.Health (Check and Watch) on the serving queues; Watch streams every
// change as it happens (Kubernetes' gRPC probes use Check; clients and meshes use Watch).
//
// Names served (service-conventions, BRIEF): "" (the whole gateway), the gateway's services, "liveness"
// and "readiness". Check of any other name is NOT_FOUND; Watch of one sends SERVICE_UNKNOWN and stays open,
// as the protocol says. Statuses are set by the gateway (see GatewayServer): liveness is SERVING while the
// process runs; readiness, "" and the services follow readiness.
#ifndef ALTGW_SERVICE_HEALTH_SERVICE_H_
#define ALTGW_SERVICE_HEALTH_SERVICE_H_

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "service/serving_queues.h"

namespace altgw::service {

using ServingStatus = ::grpc::health::v1::HealthCheckResponse::ServingStatus;

class HealthService final {
 public:
  // Every name in `services` starts NOT_SERVING.
  explicit HealthService(const std::vector<std::string>& services);
  ~HealthService();

  // What to register with the grpc::ServerBuilder.
  grpc::Service* service() { return &service_; }
  // After the server started: serves Check and Watch on `queues`.
  void Serve(ServingQueues& queues);

  // Sets the status of a known name (unknown names are ignored) and tells its watchers.
  void Set(const std::string& service, ServingStatus status);
  // The status of `service`, SERVICE_UNKNOWN for an unknown name.
  ServingStatus Get(const std::string& service) const;

  // Ends every Watch stream (status OK, so clients re-watch elsewhere) and ends new ones at once. Called
  // when the server stops: open streams would otherwise hold the drain until its deadline.
  void Shutdown();

  class Watcher;

 private:
  friend class Watcher;
  void Forget(const std::shared_ptr<Watcher>& watcher);

  mutable absl::Mutex mu_;
  std::map<std::string, ServingStatus> statuses_ ABSL_GUARDED_BY(mu_);
  std::set<std::shared_ptr<Watcher>> watchers_ ABSL_GUARDED_BY(mu_);
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  ::grpc::health::v1::Health::AsyncService service_;
};

}  // namespace altgw::service

#endif  // ALTGW_SERVICE_HEALTH_SERVICE_H_
