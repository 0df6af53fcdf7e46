#include "service/routing_service.h"
#include "service/methods.h"

#include "model/decimal.h"
#include "model/key_codec.h"
#include "model/limits.h"

namespace altgw::service {
namespace {

v1::NodeState ToProto(routing::NodeState state) {
  switch (state) {
    case routing::NodeState::kActive:
      return v1::NODE_STATE_ACTIVE;
    case routing::NodeState::kQuarantined:
      return v1::NODE_STATE_QUARANTINED;
    case routing::NodeState::kDown:
      return v1::NODE_STATE_DOWN;
  }
  return v1::NODE_STATE_UNSPECIFIED;
}

}  // namespace

void RoutingServiceImpl::ListNodes(const std::shared_ptr<UnaryCall>& call, const v1::ListNodesRequest*,
                                   v1::ListNodesResponse* response) {
  // The cluster's layout is operator information: admin of all tables.
  if (!Authorize(gateway_, *call, {{Permission::kAdmin, "*"}})) return;
  call->Succeed([&] {
    for (const routing::ClusterRouter::NodeStatus& node : router_.ListNodes()) {
      v1::NodeInfo* out = response->add_nodes();
      out->set_endpoint(node.endpoint);
      out->set_address(node.address);
      out->set_datacenter(node.dc);
      out->set_rack(node.rack);
      out->set_state(ToProto(node.state));
      out->set_in_scope(node.in_scope);
      out->set_seed(node.seed);
      out->set_requests(node.requests);
      out->set_failures(node.failures);
      out->set_generation(node.generation);
    }
    response->set_active_scope(router_.active_scope().ToString());
    response->set_discovery(router_.discovery_enabled());
  });
}

void RoutingServiceImpl::ExplainRoute(const std::shared_ptr<UnaryCall>& call, const v1::ExplainRouteRequest* request,
                                      v1::ExplainRouteResponse* response) {
  if (!Authorize(gateway_, *call, {{Permission::kAdmin, request->table()}})) return;
  routing::ClusterRouter& router = router_;
  WithSchema(gateway_, call, request->table(), [call, request, response, &router](const SchemaPtr& schema) {
    routing::RouteRequest route;
    route.table = request->table();
    switch (request->operation()) {
      case v1::OPERATION_KIND_GET:
      case v1::OPERATION_KIND_QUERY:
      case v1::OPERATION_KIND_SCAN:
        route.access = model::AccessKind::kRead;
        break;
      case v1::OPERATION_KIND_PUT:
      case v1::OPERATION_KIND_DELETE:
        route.access = model::AccessKind::kWrite;
        route.conditional = request->conditional();
        route.read_modify_write = request->conditional();
        break;
      case v1::OPERATION_KIND_UPDATE:
        route.access = model::AccessKind::kWrite;
        route.conditional = request->conditional();
        route.read_modify_write = true;
        break;
      default:
        call->Fail(GatewayError::InvalidField("operation", "must be set"));
        return;
    }
    // The partition key as it is sent to the database (numbers canonical), as requests are hashed.
    const model::KeyAttributeSchema& partition = schema->key.partition;
    auto it = request->key().find(partition.name);
    Violations violations;
    const FieldRef key_field("key");
    const FieldRef value_field = key_field.Key(partition.name);
    std::string bytes;
    if (it == request->key().end()) {
      violations.Add(key_field, "missing the partition key attribute '" + partition.name + "'");
    } else if (model::CheckKeyValue(it->second, partition.type, model::kMaxPartitionKeyBytes, partition.name,
                                    value_field, violations)) {
      const v1::Value& value = it->second;
      if (value.has_string_value()) bytes = value.string_value();
      if (value.has_bytes_value()) bytes = value.bytes_value();
      if (value.has_number_value()) {
        model::ValueEncoder encoder(violations);
        if (std::optional<model::Decimal> number =
                encoder.EncodeNumber(value.number_value(), value_field.Child("number_value"))) {
          bytes = number->canonical();
        }
      }
    }
    if (!violations.empty()) {
      call->Fail(violations.ToError());
      return;
    }
    route.partition_key_type = partition.type;
    route.partition_key = bytes;
    routing::ClusterRouter::Explanation explanation = router.Explain(route);
    call->Succeed([&] {
      for (std::string& endpoint : explanation.endpoints) response->add_endpoints(std::move(endpoint));
      response->set_affinity(explanation.affinity);
      response->set_reason(std::move(explanation.reason));
    });
  });
}

void RoutingServiceImpl::Serve(ServingQueues& queues) {
  v1::RoutingService::AsyncService* const svc = &service_;
  ServeGatewayUnary<v1::ListNodesRequest, v1::ListNodesResponse>(
      queues, gateway_, methods::kListNodes, [svc](auto... a) { svc->RequestListNodes(a...); },
      [this](const auto& call, const auto* request, auto* response) { ListNodes(call, request, response); });
  ServeGatewayUnary<v1::ExplainRouteRequest, v1::ExplainRouteResponse>(
      queues, gateway_, methods::kExplainRoute, [svc](auto... a) { svc->RequestExplainRoute(a...); },
      [this](const auto& call, const auto* request, auto* response) { ExplainRoute(call, request, response); });
}

}  // namespace altgw::service
