#include "service/data_service.h"

#include "model/item_requests.h"
#include "model/query_requests.h"

namespace altgw::service {
namespace {

// The shape shared by Put, Get, Delete and Update: schema, translate, execute, parse.
template <typename Request, typename Response, typename Translate, typename Parse>
grpc::ServerUnaryReactor* ItemCall(Gateway& gateway, grpc::CallbackServerContext* context, const Request* request,
                                   Response* response, Translate translate, Parse parse) {
  auto call = UnaryCall::Create(context);
  WithSchema(gateway, call, request->table(), [&gateway, call, request, response, translate, parse](
                                                  const model::TableSchema& schema) {
    ErrorOr<model::BackendCall> backend_call = translate(*request, schema);
    if (!backend_call.ok()) {
      call->Fail(backend_call.error());
      return;
    }
    ExecuteAndRespond(gateway, call, std::move(backend_call).value(), response, parse);
  });
  return call->reactor();
}

}  // namespace

grpc::ServerUnaryReactor* DataServiceImpl::Put(grpc::CallbackServerContext* context, const v1::PutRequest* request,
                                               v1::PutResponse* response) {
  return ItemCall(gateway_, context, request, response, model::TranslatePut, model::ParsePutResponse);
}

grpc::ServerUnaryReactor* DataServiceImpl::Get(grpc::CallbackServerContext* context, const v1::GetRequest* request,
                                               v1::GetResponse* response) {
  return ItemCall(gateway_, context, request, response, model::TranslateGet, model::ParseGetResponse);
}

grpc::ServerUnaryReactor* DataServiceImpl::Delete(grpc::CallbackServerContext* context,
                                                  const v1::DeleteRequest* request, v1::DeleteResponse* response) {
  return ItemCall(gateway_, context, request, response, model::TranslateDelete, model::ParseDeleteResponse);
}

grpc::ServerUnaryReactor* DataServiceImpl::Update(grpc::CallbackServerContext* context,
                                                  const v1::UpdateRequest* request, v1::UpdateResponse* response) {
  return ItemCall(gateway_, context, request, response, model::TranslateUpdate, model::ParseUpdateResponse);
}

grpc::ServerUnaryReactor* DataServiceImpl::Query(grpc::CallbackServerContext* context,
                                                 const v1::QueryRequest* request, v1::QueryResponse* response) {
  auto call = UnaryCall::Create(context);
  Gateway& gateway = gateway_;
  WithSchema(gateway, call, request->table(), [&gateway, call, request, response](const model::TableSchema& schema) {
    ErrorOr<model::QueryCall> query = model::TranslateQuery(*request, schema, gateway.page_tokens, absl::Now());
    if (!query.ok()) {
      call->Fail(query.error());
      return;
    }
    ExecuteAndRespond(gateway, call, std::move(query->call), response,
                      [&gateway, binding = std::move(query->binding)](const nlohmann::json& body) {
                        return model::ParseQueryResponse(body, binding, gateway.page_tokens, absl::Now());
                      });
  });
  return call->reactor();
}

}  // namespace altgw::service
