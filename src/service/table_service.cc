#include "service/table_service.h"

#include "model/table_requests.h"
#include "service/methods.h"

namespace altgw::service {
namespace {

// Checks that the caller is an admin of `table` ("*": of all tables), translates without a schema, then
// executes and parses.
template <typename Response, typename Parse>
void TableCall(Gateway& gateway, const std::shared_ptr<UnaryCall>& call, const std::string& table,
               ErrorOr<model::BackendCall> backend_call, Response* response, Parse parse) {
  if (call->finished()) {
    // Shed: already answered.
  } else if (!Authorize(gateway, *call, {{Permission::kAdmin, table}})) {
    // denied: the call is finished
  } else if (call->deadline_passed()) {
    call->Fail(GatewayError::DeadlineExceeded("the call's deadline had passed when it arrived"));
  } else if (!backend_call.ok()) {
    call->Fail(backend_call.error());
  } else {
    ExecuteAndRespond(gateway, call, std::move(backend_call).value(), response, std::move(parse));
  }
}

}  // namespace

void TableServiceImpl::CreateTable(const std::shared_ptr<UnaryCall>& call, const v1::CreateTableRequest* request,
                                   v1::CreateTableResponse* response) {
  Gateway& gateway = gateway_;
  TableCall(gateway_, call, request->table(), model::TranslateCreateTable(*request), response,
                   [&gateway](const model::Answer& answer) -> ErrorOr<v1::CreateTableResponse> {
                     const nlohmann::json& body = answer.json();
                     // The answer describes the new table: remember its schema for the first writes.
                     if (auto table = body.find("TableDescription"); table != body.end()) {
                       if (auto schema = model::ParseTableSchema(*table); schema.ok()) {
                         gateway.schemas.Put(std::make_shared<model::TableSchema>(*std::move(schema)));
                       }
                     }
                     return model::ParseCreateTableResponse(body);
                   });
}

void TableServiceImpl::DescribeTable(const std::shared_ptr<UnaryCall>& call, const v1::DescribeTableRequest* request,
                                     v1::DescribeTableResponse* response) {
  TableCall(gateway_, call, request->table(), model::TranslateDescribeTable(*request), response,
                   [](const model::Answer& answer) { return model::ParseDescribeTableResponse(answer.json()); });
}

void TableServiceImpl::ListTables(const std::shared_ptr<UnaryCall>& call, const v1::ListTablesRequest* request,
                                  v1::ListTablesResponse* response) {
  Gateway& gateway = gateway_;
  TableCall(gateway_, call, "*", model::TranslateListTables(*request, gateway_.page_tokens, absl::Now()),
                   response, [&gateway](const model::Answer& answer) {
                     return model::ParseListTablesResponse(answer.json(), gateway.page_tokens, absl::Now());
                   });
}

void TableServiceImpl::DeleteTable(const std::shared_ptr<UnaryCall>& call, const v1::DeleteTableRequest* request,
                                   v1::DeleteTableResponse* response) {
  Gateway& gateway = gateway_;
  std::string table = request->table();
  TableCall(gateway_, call, table, model::TranslateDeleteTable(*request), response,
                   [&gateway, table](const model::Answer&) -> ErrorOr<v1::DeleteTableResponse> {
                     gateway.schemas.Invalidate(table);
                     return v1::DeleteTableResponse();
                   });
}

void TableServiceImpl::Serve(ServingQueues& queues) {
  v1::TableService::AsyncService* const svc = &service_;
  ServeGatewayUnary<v1::CreateTableRequest, v1::CreateTableResponse>(
      queues, gateway_, methods::kCreateTable, [svc](auto... a) { svc->RequestCreateTable(a...); },
      [this](const auto& call, const auto* request, auto* response) { CreateTable(call, request, response); });
  ServeGatewayUnary<v1::DescribeTableRequest, v1::DescribeTableResponse>(
      queues, gateway_, methods::kDescribeTable, [svc](auto... a) { svc->RequestDescribeTable(a...); },
      [this](const auto& call, const auto* request, auto* response) { DescribeTable(call, request, response); });
  ServeGatewayUnary<v1::ListTablesRequest, v1::ListTablesResponse>(
      queues, gateway_, methods::kListTables, [svc](auto... a) { svc->RequestListTables(a...); },
      [this](const auto& call, const auto* request, auto* response) { ListTables(call, request, response); });
  ServeGatewayUnary<v1::DeleteTableRequest, v1::DeleteTableResponse>(
      queues, gateway_, methods::kDeleteTable, [svc](auto... a) { svc->RequestDeleteTable(a...); },
      [this](const auto& call, const auto* request, auto* response) { DeleteTable(call, request, response); });
}

}  // namespace altgw::service
