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
      [&gateway, call, request, response, schema, attempt](ErrorOr<json> read, const alternator::CallStats& stats) {
        call->RecordBackend(stats);
        if (!read.ok()) {
          call->Fail(read.error());
          return;
        }
        ErrorOr<model::VersionExpectation> observed = model::ParseVersionRead(*read, *schema);
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
            [&gateway, call, request, response, schema, attempt, answer](ErrorOr<json> written,
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
              ErrorOr<v1::PutResponse> parsed = model::ParsePutResponse(*written, answer);
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

grpc::ServerUnaryReactor* DataServiceImpl::Put(grpc::CallbackServerContext* context, const v1::PutRequest* request,
                                               v1::PutResponse* response) {
  auto call = UnaryCall::Create(context, gateway_.calls, methods::kPut);
  if (!Authorize(gateway_, *context, *call, {{Permission::kWrite, request->table()}})) return call->reactor();
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
                      [answer](const json& body) { return model::ParsePutResponse(body, answer); });
  });
  return call->reactor();
}

grpc::ServerUnaryReactor* DataServiceImpl::Get(grpc::CallbackServerContext* context, const v1::GetRequest* request,
                                               v1::GetResponse* response) {
  auto call = UnaryCall::Create(context, gateway_.calls, methods::kGet);
  if (!Authorize(gateway_, *context, *call, {{Permission::kRead, request->table()}})) return call->reactor();
  Gateway& gateway = gateway_;
  WithSchema(gateway, call, request->table(), [&gateway, call, request, response](const SchemaPtr& schema) {
    ErrorOr<model::BackendCall> get = model::TranslateGet(*request, *schema);
    if (!get.ok()) {
      call->Fail(get.error());
      return;
    }
    ExecuteAndRespond(gateway, call, std::move(get).value(), response,
                      [schema](const json& body) { return model::ParseGetResponse(body, *schema); });
  });
  return call->reactor();
}

grpc::ServerUnaryReactor* DataServiceImpl::Delete(grpc::CallbackServerContext* context,
                                                  const v1::DeleteRequest* request, v1::DeleteResponse* response) {
  auto call = UnaryCall::Create(context, gateway_.calls, methods::kDelete);
  if (!Authorize(gateway_, *context, *call, {{Permission::kWrite, request->table()}})) return call->reactor();
  Gateway& gateway = gateway_;
  WithSchema(gateway, call, request->table(), [&gateway, call, request, response](const SchemaPtr& schema) {
    ErrorOr<model::BackendCall> del = model::TranslateDelete(*request, *schema);
    if (!del.ok()) {
      call->Fail(del.error());
      return;
    }
    ExecuteAndRespond(gateway, call, std::move(del).value(), response, model::ParseDeleteResponse);
  });
  return call->reactor();
}

grpc::ServerUnaryReactor* DataServiceImpl::Update(grpc::CallbackServerContext* context,
                                                  const v1::UpdateRequest* request, v1::UpdateResponse* response) {
  auto call = UnaryCall::Create(context, gateway_.calls, methods::kUpdate);
  if (!Authorize(gateway_, *context, *call, {{Permission::kWrite, request->table()}})) return call->reactor();
  Gateway& gateway = gateway_;
  WithSchema(gateway, call, request->table(), [&gateway, call, request, response](const SchemaPtr& schema) {
    ErrorOr<model::BackendCall> update = model::TranslateUpdate(*request, *schema);
    if (!update.ok()) {
      call->Fail(update.error());
      return;
    }
    model::WriteAnswer answer = update->answer;
    ExecuteAndRespond(gateway, call, std::move(update).value(), response,
                      [answer](const json& body) { return model::ParseUpdateResponse(body, answer); });
  });
  return call->reactor();
}

grpc::ServerUnaryReactor* DataServiceImpl::Query(grpc::CallbackServerContext* context,
                                                 const v1::QueryRequest* request, v1::QueryResponse* response) {
  auto call = UnaryCall::Create(context, gateway_.calls, methods::kQuery);
  if (!Authorize(gateway_, *context, *call, {{Permission::kRead, request->table()}})) return call->reactor();
  Gateway& gateway = gateway_;
  WithSchema(gateway, call, request->table(), [&gateway, call, request, response](const SchemaPtr& schema) {
    ErrorOr<model::QueryCall> query = model::TranslateQuery(*request, *schema, gateway.page_tokens, absl::Now());
    if (!query.ok()) {
      call->Fail(query.error());
      return;
    }
    ExecuteAndRespond(gateway, call, std::move(query->call), response,
                      [&gateway, schema, binding = std::move(query->binding)](const json& body) {
                        return model::ParseQueryResponse(body, binding, gateway.page_tokens, absl::Now(), *schema);
                      });
  });
  return call->reactor();
}

grpc::ServerWriteReactor<v1::ScanResponse>* DataServiceImpl::Scan(grpc::CallbackServerContext* context,
                                                                  const v1::ScanRequest* request) {
  return StartScan(gateway_, context, request);
}

grpc::ServerUnaryReactor* DataServiceImpl::BatchGet(grpc::CallbackServerContext* context,
                                                    const v1::BatchGetRequest* request,
                                                    v1::BatchGetResponse* response) {
  return RunBatchGet(gateway_, context, request, response);
}

grpc::ServerUnaryReactor* DataServiceImpl::BatchWrite(grpc::CallbackServerContext* context,
                                                      const v1::BatchWriteRequest* request,
                                                      v1::BatchWriteResponse* response) {
  return RunBatchWrite(gateway_, context, request, response);
}

grpc::ServerUnaryReactor* DataServiceImpl::Transaction(grpc::CallbackServerContext* context,
                                                       const v1::TransactionRequest* request,
                                                       v1::TransactionResponse* response) {
  return RunTransaction(gateway_, context, request, response);
}

grpc::ServerUnaryReactor* DataServiceImpl::TransactGet(grpc::CallbackServerContext* context,
                                                       const v1::TransactGetRequest* request,
                                                       v1::TransactGetResponse* response) {
  return RunTransactGet(gateway_, context, request, response);
}

}  // namespace altgw::service
