#include "service/table_service.h"

#include "model/table_requests.h"
#include "service/methods.h"

namespace altgw::service {
namespace {

// Checks that the caller is an admin of `table` ("*": of all tables), translates without a schema, then
// executes and parses.
template <typename Response, typename Parse>
grpc::ServerUnaryReactor* TableCall(Gateway& gateway, grpc::CallbackServerContext* context, const MethodInfo& method,
                                    const std::string& table, ErrorOr<model::BackendCall> backend_call, Response* response,
                                    Parse parse) {
  auto call = UnaryCall::Create(context, gateway.calls, method);
  if (call->finished()) {
    // Shed: already answered.
  } else if (!Authorize(gateway, *context, *call, {{Permission::kAdmin, table}})) {
    // denied: the call is finished
  } else if (call->deadline_passed()) {
    call->Fail(GatewayError::DeadlineExceeded("the call's deadline had passed when it arrived"));
  } else if (!backend_call.ok()) {
    call->Fail(backend_call.error());
  } else {
    ExecuteAndRespond(gateway, call, std::move(backend_call).value(), response, std::move(parse));
  }
  return call->reactor();
}

}  // namespace

grpc::ServerUnaryReactor* TableServiceImpl::CreateTable(grpc::CallbackServerContext* context,
                                                        const v1::CreateTableRequest* request,
                                                        v1::CreateTableResponse* response) {
  Gateway& gateway = gateway_;
  return TableCall(gateway_, context, methods::kCreateTable, request->table(), model::TranslateCreateTable(*request), response,
                   [&gateway](const nlohmann::json& body) -> ErrorOr<v1::CreateTableResponse> {
                     // The answer describes the new table: remember its schema for the first writes.
                     if (auto table = body.find("TableDescription"); table != body.end()) {
                       if (auto schema = model::ParseTableSchema(*table); schema.ok()) {
                         gateway.schemas.Put(std::make_shared<model::TableSchema>(*std::move(schema)));
                       }
                     }
                     return model::ParseCreateTableResponse(body);
                   });
}

grpc::ServerUnaryReactor* TableServiceImpl::DescribeTable(grpc::CallbackServerContext* context,
                                                          const v1::DescribeTableRequest* request,
                                                          v1::DescribeTableResponse* response) {
  return TableCall(gateway_, context, methods::kDescribeTable, request->table(), model::TranslateDescribeTable(*request), response,
                   model::ParseDescribeTableResponse);
}

grpc::ServerUnaryReactor* TableServiceImpl::ListTables(grpc::CallbackServerContext* context,
                                                       const v1::ListTablesRequest* request,
                                                       v1::ListTablesResponse* response) {
  Gateway& gateway = gateway_;
  return TableCall(gateway_, context, methods::kListTables, "*", model::TranslateListTables(*request, gateway_.page_tokens, absl::Now()),
                   response, [&gateway](const nlohmann::json& body) {
                     return model::ParseListTablesResponse(body, gateway.page_tokens, absl::Now());
                   });
}

grpc::ServerUnaryReactor* TableServiceImpl::DeleteTable(grpc::CallbackServerContext* context,
                                                        const v1::DeleteTableRequest* request,
                                                        v1::DeleteTableResponse* response) {
  Gateway& gateway = gateway_;
  std::string table = request->table();
  return TableCall(gateway_, context, methods::kDeleteTable, table, model::TranslateDeleteTable(*request), response,
                   [&gateway, table](const nlohmann::json&) -> ErrorOr<v1::DeleteTableResponse> {
                     gateway.schemas.Invalidate(table);
                     return v1::DeleteTableResponse();
                   });
}

}  // namespace altgw::service
