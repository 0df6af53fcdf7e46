// RoutingService: ListNodes and ExplainRoute over the cluster router.
#ifndef ALTGW_SERVICE_ROUTING_SERVICE_H_
#define ALTGW_SERVICE_ROUTING_SERVICE_H_

#include "alternator/gateway/v1/routing_service.grpc.pb.h"
#include "routing/cluster_router.h"
#include "service/gateway.h"

namespace altgw::service {

namespace v1 = ::alternator::gateway::v1;

class RoutingServiceImpl final : public v1::RoutingService::CallbackService {
 public:
  RoutingServiceImpl(Gateway& gateway, routing::ClusterRouter& router) : gateway_(gateway), router_(router) {}

  grpc::ServerUnaryReactor* ListNodes(grpc::CallbackServerContext* context, const v1::ListNodesRequest* request,
                                      v1::ListNodesResponse* response) override;
  grpc::ServerUnaryReactor* ExplainRoute(grpc::CallbackServerContext* context, const v1::ExplainRouteRequest* request,
                                         v1::ExplainRouteResponse* response) override;

 private:
  Gateway& gateway_;
  routing::ClusterRouter& router_;
};

}  // namespace altgw::service

#endif  // ALTGW_SERVICE_ROUTING_SERVICE_H_
