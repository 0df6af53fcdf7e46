// Gateway: the shared core every gRPC service of the gateway uses, and the common steps of a unary call
// (schema lookup, translation, backend execution, answer parsing).
#ifndef ALTGW_SERVICE_GATEWAY_H_
#define ALTGW_SERVICE_GATEWAY_H_

#include <memory>
#include <string>
#include <utility>

#include "alternator/backend_client.h"
#include "common/error_or.h"
#include "model/backend_call.h"
#include "model/page_token.h"
#include "model/table_names.h"
#include "service/schema_cache.h"
#include "service/unary_call.h"

namespace altgw::service {

struct Gateway {
  alternator::BackendClient& backend;
  SchemaCache& schemas;
  const model::PageTokenCodec& page_tokens;
};

// Sends `backend_call`; on success `parse` turns the answer into the response written to `*out`.
// `parse`: ErrorOr<Response>(const nlohmann::json&).
template <typename Response, typename Parse>
void ExecuteAndRespond(Gateway& gateway, const std::shared_ptr<UnaryCall>& call, model::BackendCall backend_call,
                       Response* out, Parse parse) {
  std::string table = backend_call.table;
  auto handle = gateway.backend.Execute(
      std::move(backend_call), call->deadline(),
      [&gateway, call, out, parse = std::move(parse), table = std::move(table)](
          ErrorOr<nlohmann::json> answer, const alternator::CallStats&) mutable {
        if (!answer.ok()) {
          if (answer.error().reason() == ::alternator::gateway::v1::TABLE_NOT_FOUND) {
            gateway.schemas.Invalidate(table);
          }
          call->Fail(answer.error());
          return;
        }
        ErrorOr<Response> parsed = parse(*answer);
        if (!parsed.ok()) {
          call->Fail(parsed.error());
          return;
        }
        call->Succeed([&] { *out = std::move(parsed).value(); });
      });
  call->Attach(std::move(handle));
}

// Checks the table name, gets the table's schema, then runs `next(schema)` (on whichever thread the schema
// became available). Errors finish the call.
template <typename Next>
void WithSchema(Gateway& gateway, const std::shared_ptr<UnaryCall>& call, const std::string& table, Next next) {
  if (call->deadline_passed()) {
    call->Fail(GatewayError::DeadlineExceeded("the call's deadline had passed when it arrived"));
    return;
  }
  Violations violations;
  if (!model::CheckTableName(table, FieldRef("table"), violations)) {
    call->Fail(violations.ToError());
    return;
  }
  gateway.schemas.Get(table, [call, next = std::move(next)](ErrorOr<SchemaPtr> schema) mutable {
    if (!schema.ok()) {
      call->Fail(schema.error());
      return;
    }
    next(**schema);
  });
}

}  // namespace altgw::service

#endif  // ALTGW_SERVICE_GATEWAY_H_
