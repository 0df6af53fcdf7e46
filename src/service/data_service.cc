#include "service/data_service.h"

#include "model/item_requests.h"
#include "model/query_requests.h"
#include "service/batch_calls.h"
#include "service/methods.h"
#include "service/scan_stream.h"
#include "service/transaction_calls.h"

namespace altgw::service {
namespace {

using nlohmann::json;

// A put without expected_version on a versioned table: read the current version, write conditionally on
// it, and start over if another write got in between (the version must never be bumped from a stale value).
// After this many lost races the caller gets VERSION_MISMATCH like any conditional writer.
constexpr int kVersionedPutAttempts = 5;

void RunVersionedPut(Gateway& gateway, std::shared_ptr<UnaryCall> call, const v1::PutRequest* request,
                     v1::PutResponse* response, SchemaPtr schema, int attempt) {
  auto handle = gateway.backend.Execute(
      model::VersionReadCall(*schema, model::EncodedKeyOfItem(*schema, *request)), call->deadline(),
      [&gateway, call, request, response, schema, attempt](ErrorOr<model::Answer> read,
                                                           const alternator::CallStats& stats) {
        call->RecordBackend(stats);
        if (!read.ok()) {
          call->Fail(read.error());
          return;
        }
        ErrorOr<model::VersionExpectation> observed = model::ParseVersionRead(read->json(), *schema);
        if (!observed.ok()) {
          call->Fail(observed.error());
          return;
        }
        ErrorOr<model::BackendCall> put = model::TranslatePut(*request, *schema, *observed);
        if (!put.ok()) {
          call->Fail(put.error());
          return;
        }
        model::WriteAnswer answer = put->answer;
        auto write = gateway.backend.Execute(
            std::move(put).value(), call->deadline(),
            [&gateway, call, request, response, schema, attempt, answer](ErrorOr<model::Answer> written,
                                                                         const alternator::CallStats& stats) {
              call->RecordBackend(stats);
              if (!written.ok()) {
                if (written.error().reason() == ::alternator::gateway::v1::VERSION_MISMATCH &&
                    attempt < kVersionedPutAttempts) {
                  RunVersionedPut(gateway, call, request, response, schema, attempt + 1);
                } else {
                  call->Fail(written.error());
                }
                return;
              }
              ErrorOr<v1::PutResponse> parsed = model::ParsePutResponse(written->json(), answer);
              if (!parsed.ok()) {
                call->Fail(parsed.error());
                return;
              }
              call->Succeed([&] { *response = std::move(parsed).value(); });
            });
        call->Attach(std::move(write));
      });
  call->Attach(std::move(handle));
}

}  // namespace

void DataServiceImpl::Put(const std::shared_ptr<UnaryCall>& call, const v1::PutRequest* request,
                          v1::PutResponse* response) {
  if (!Authorize(gateway_, *call, {{Permission::kWrite, request->table()}})) return;
  Gateway& gateway = gateway_;
  WithSchema(gateway, call, request->table(), [&gateway, call, request, response](const SchemaPtr& schema) {
    if (model::PutNeedsVersionRead(*request, *schema)) {
      // Validate everything before the read, so bad input never costs a round trip.
      ErrorOr<model::BackendCall> check = model::TranslatePut(*request, *schema, model::VersionExpectation());
      if (!check.ok()) {
        call->Fail(check.error());
        return;
      }
      RunVersionedPut(gateway, call, request, response, schema, 1);
      return;
    }
    ErrorOr<model::BackendCall> put = model::TranslatePut(*request, *schema);
    if (!put.ok()) {
      call->Fail(put.error());
      return;
    }
    model::WriteAnswer answer = put->answer;
    ExecuteAndRespond(gateway, call, std::move(put).value(), response,
                      [answer](const model::Answer& body) { return model::ParsePutResponse(body.json(), answer); });
  });
}

void DataServiceImpl::Get(const std::shared_ptr<UnaryCall>& call, const v1::GetRequest* request,
                          v1::GetResponse* response) {
  if (!Authorize(gateway_, *call, {{Permission::kRead, request->table()}})) return;
  Gateway& gateway = gateway_;
  WithSchema(gateway, call, request->table(), [&gateway, call, request, response](const SchemaPtr& schema) {
    ErrorOr<model::BackendCall> get = model::TranslateGet(*request, *schema);
    if (!get.ok()) {
      call->Fail(get.error());
      return;
    }
    ExecuteAndRespond(gateway, call, std::move(get).value(), response,
                      [schema](const model::Answer& body) { return model::ParseGetResponse(body, *schema); });
  });
}

void DataServiceImpl::Delete(const std::shared_ptr<UnaryCall>& call, const v1::DeleteRequest* request,
                          v1::DeleteResponse* response) {
  if (!Authorize(gateway_, *call, {{Permission::kWrite, request->table()}})) return;
  Gateway& gateway = gateway_;
  WithSchema(gateway, call, request->table(), [&gateway, call, request, response](const SchemaPtr& schema) {
    ErrorOr<model::BackendCall> del = model::TranslateDelete(*request, *schema);
    if (!del.ok()) {
      call->Fail(del.error());
      return;
    }
    ExecuteAndRespond(gateway, call, std::move(del).value(), response,
                      [](const model::Answer& body) { return model::ParseDeleteResponse(body.json()); });
  });
}

void DataServiceImpl::Update(const std::shared_ptr<UnaryCall>& call, const v1::UpdateRequest* request,
                          v1::UpdateResponse* response) {
  if (!Authorize(gateway_, *call, {{Permission::kWrite, request->table()}})) return;
  Gateway& gateway = gateway_;
  WithSchema(gateway, call, request->table(), [&gateway, call, request, response](const SchemaPtr& schema) {
    ErrorOr<model::BackendCall> update = model::TranslateUpdate(*request, *schema);
    if (!update.ok()) {
      call->Fail(update.error());
      return;
    }
    model::WriteAnswer answer = update->answer;
    ExecuteAndRespond(gateway, call, std::move(update).value(), response,
                      [answer](const model::Answer& body) { return model::ParseUpdateResponse(body.json(), answer); });
  });
}

void DataServiceImpl::Query(const std::shared_ptr<UnaryCall>& call, const v1::QueryRequest* request,
                          v1::QueryResponse* response) {
  if (!Authorize(gateway_, *call, {{Permission::kRead, request->table()}})) return;
  Gateway& gateway = gateway_;
  WithSchema(gateway, call, request->table(), [&gateway, call, request, response](const SchemaPtr& schema) {
    ErrorOr<model::QueryCall> query = model::TranslateQuery(*request, *schema, gateway.page_tokens, absl::Now());
    if (!query.ok()) {
      call->Fail(query.error());
      return;
    }
    ExecuteAndRespond(gateway, call, std::move(query->call), response,
                      [&gateway, schema, binding = std::move(query->binding)](const model::Answer& body) {
                        return model::ParseQueryResponse(body, binding, gateway.page_tokens, absl::Now(), *schema);
                      });
  });
}

void DataServiceImpl::Serve(ServingQueues& queues) {
  v1::DataService::AsyncService* const svc = &service_;
  Gateway& gateway = gateway_;
  ServeGatewayUnary<v1::PutRequest, v1::PutResponse>(
      queues, gateway, methods::kPut, [svc](auto... a) { svc->RequestPut(a...); },
      [this](const auto& call, const auto* request, auto* response) { Put(call, request, response); });
  ServeGatewayUnary<v1::GetRequest, v1::GetResponse>(
      queues, gateway, methods::kGet, [svc](auto... a) { svc->RequestGet(a...); },
      [this](const auto& call, const auto* request, auto* response) { Get(call, request, response); });
  ServeGatewayUnary<v1::DeleteRequest, v1::DeleteResponse>(
      queues, gateway, methods::kDelete, [svc](auto... a) { svc->RequestDelete(a...); },
      [this](const auto& call, const auto* request, auto* response) { Delete(call, request, response); });
  ServeGatewayUnary<v1::UpdateRequest, v1::UpdateResponse>(
      queues, gateway, methods::kUpdate, [svc](auto... a) { svc->RequestUpdate(a...); },
      [this](const auto& call, const auto* request, auto* response) { Update(call, request, response); });
  ServeGatewayUnary<v1::QueryRequest, v1::QueryResponse>(
      queues, gateway, methods::kQuery, [svc](auto... a) { svc->RequestQuery(a...); },
      [this](const auto& call, const auto* request, auto* response) { Query(call, request, response); });
  ServeGatewayUnary<v1::BatchGetRequest, v1::BatchGetResponse>(
      queues, gateway, methods::kBatchGet, [svc](auto... a) { svc->RequestBatchGet(a...); },
      [&gateway](const auto& call, const auto* request, auto* response) {
        RunBatchGet(gateway, call, request, response);
      });
  ServeGatewayUnary<v1::BatchWriteRequest, v1::BatchWriteResponse>(
      queues, gateway, methods::kBatchWrite, [svc](auto... a) { svc->RequestBatchWrite(a...); },
      [&gateway](const auto& call, const auto* request, auto* response) {
        RunBatchWrite(gateway, call, request, response);
      });
  ServeGatewayUnary<v1::TransactionRequest, v1::TransactionResponse>(
      queues, gateway, methods::kTransaction, [svc](auto... a) { svc->RequestTransaction(a...); },
      [&gateway](const auto& call, const auto* request, auto* response) {
        RunTransaction(gateway, call, request, response);
      });
  ServeGatewayUnary<v1::TransactGetRequest, v1::TransactGetResponse>(
      queues, gateway, methods::kTransactGet, [svc](auto... a) { svc->RequestTransactGet(a...); },
      [&gateway](const auto& call, const auto* request, auto* response) {
        RunTransactGet(gateway, call, request, response);
      });
  ServeServerStream<v1::ScanRequest, v1::ScanResponse>(
      queues, [svc](auto... a) { svc->RequestScan(a...); },
      [&gateway](const std::shared_ptr<ServerStreamRpc<v1::ScanRequest, v1::ScanResponse>>& rpc) {
        StartScan(gateway, rpc);
      });
}

}  // namespace altgw::service
