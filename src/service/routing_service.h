// RoutingService: ListNodes and ExplainRoute over the cluster router.
#ifndef ALTGW_SERVICE_ROUTING_SERVICE_H_
#define ALTGW_SERVICE_ROUTING_SERVICE_H_

#include <memory>

#include "alternator/gateway/v1/routing_service.grpc.pb.h"
#include "routing/cluster_router.h"
#include "service/gateway.h"
#include "service/serving_queues.h"

namespace altgw::service {

namespace v1 = ::alternator::gateway::v1;

class RoutingServiceImpl final {
 public:
  RoutingServiceImpl(Gateway& gateway, routing::ClusterRouter& router) : gateway_(gateway), router_(router) {}

  // What to register with the grpc::ServerBuilder.
  grpc::Service* service() { return &service_; }
  // After the server started: serves every method on `queues`.
  void Serve(ServingQueues& queues);

 private:
  void ListNodes(const std::shared_ptr<UnaryCall>& call, const v1::ListNodesRequest* request,
                 v1::ListNodesResponse* response);
  void ExplainRoute(const std::shared_ptr<UnaryCall>& call, const v1::ExplainRouteRequest* request,
                    v1::ExplainRouteResponse* response);

  Gateway& gateway_;
  routing::ClusterRouter& router_;
  v1::RoutingService::AsyncService service_;
};

}  // namespace altgw::service

#endif  // ALTGW_SERVICE_ROUTING_SERVICE_H_
