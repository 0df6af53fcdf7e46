// Gateway: the shared core every gRPC service of the gateway uses, and the common steps of a unary call
// (schema lookup, translation, backend execution, answer parsing).
#ifndef ALTGW_SERVICE_GATEWAY_H_
#define ALTGW_SERVICE_GATEWAY_H_

#include <memory>
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "alternator/backend_client.h"
#include "common/error_or.h"
#include "common/scheduler.h"
#include "model/backend_call.h"
#include "model/batch_requests.h"
#include "model/page_token.h"
#include "model/table_names.h"
#include "service/authorizer.h"
#include "service/async_rpc.h"
#include "service/schema_cache.h"
#include "service/serving_queues.h"
#include "service/unary_call.h"

namespace altgw::service {

// How the backend runs transactions (detected at startup, or forced by configuration).
enum class TransactionSupport {
  kNative,      // TransactWriteItems / TransactGetItems (DynamoDB, DynamoDB Local)
  kSingleItem,  // none (ScyllaDB Alternator): single-item transactions as one conditional write
};

struct Gateway {
  alternator::BackendClient& backend;
  SchemaCache& schemas;
  const model::PageTokenCodec& page_tokens;
  Scheduler& scheduler;  // backoff waits
  TransactionSupport transactions = TransactionSupport::kNative;
  // Bearer-token authentication and table permissions; null or disabled: every call is allowed.
  const Authorizer* authorizer = nullptr;
  // Admission, load shedding, metrics and access logs of every call; null: none.
  CallTracker* calls = nullptr;
  // Runs unary handlers while the gRPC threads are busy (see ServeGatewayUnary); null: they always run on
  // the gRPC thread.
  alternator::HttpTransport* work_loops = nullptr;
};

// Checks that the caller may have `needed` (see authorizer.h); if not, fails the call and returns false.
// Handlers call it first, before any table name check or schema lookup.
inline bool Authorize(const Gateway& gateway, UnaryCall& call, const std::vector<Access>& needed) {
  if (gateway.authorizer == nullptr) return true;
  std::optional<GatewayError> denied = gateway.authorizer->Check(call.context(), needed);
  if (!denied) return true;
  call.Fail(*denied);
  return false;
}

// Sends `backend_call`; on success `parse` turns the answer into the response written to `*out`.
// `parse`: ErrorOr<Response>(const model::Answer&).
template <typename Response, typename Parse>
void ExecuteAndRespond(Gateway& gateway, const std::shared_ptr<UnaryCall>& call, model::BackendCall backend_call,
                       Response* out, Parse parse) {
  std::string table = backend_call.table;
  auto handle = gateway.backend.Execute(
      std::move(backend_call), call->deadline(),
      [&gateway, call, out, parse = std::move(parse), table = std::move(table)](
          ErrorOr<model::Answer> answer, const alternator::CallStats& stats) mutable {
        call->RecordBackend(stats);
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

// Checks the table name, gets the table's schema, then runs `next(schema)` with a SchemaPtr (on whichever
// thread the schema became available). Errors finish the call.
template <typename Next>
void WithSchema(Gateway& gateway, const std::shared_ptr<UnaryCall>& call, const std::string& table, Next next) {
  if (call->finished()) return;  // shed on arrival
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
    next(*schema);
  });
}

// Serves a unary method of the gateway on every queue: each call becomes a UnaryCall (admitted or shed by
// gateway.calls) and runs `body(call, request, response)`. `request` is the generated Request<Method> of
// the async service, e.g. [svc](auto... a) { svc->RequestGet(a...); }.
//
// Where the body runs: on the call's queue thread when that thread has nothing else to do (no hand-off,
// the least latency), and on an event loop of gateway.work_loops while other calls keep the queue thread
// busy. One queue thread doing gRPC's work and the bodies of every call was the gateway's bottleneck
// under load (bench/README.md), while the loop, which reads the database's answers, had time to spare;
// there the body's database request is also written by the thread that will read its answer.
template <typename Request, typename Response, typename Body>
void ServeGatewayUnary(ServingQueues& queues, const Gateway& gateway, const MethodInfo& method,
                       typename UnaryRpc<Request, Response>::Requester request, Body body) {
  CallTracker* const tracker = gateway.calls;
  alternator::HttpTransport* const work_loops = gateway.work_loops;
  ServeUnary<Request, Response>(
      queues, std::move(request),
      [tracker, method, work_loops, body = std::move(body)](const std::shared_ptr<UnaryRpc<Request, Response>>& rpc) {
        std::shared_ptr<UnaryCall> call = UnaryCall::Create(rpc, tracker, method);
        if (work_loops != nullptr && !call->finished() && rpc->QueueBusy()) {
          // `body` lives in the method's handler, which `rpc` keeps alive. A call that ended meanwhile
          // (cancelled, or aborted by a drain; a task left when the transport stops runs after the
          // server and its queues are gone) is not run: there is nothing left to answer.
          absl::AnyInvocable<void() &&> task = [&body, call, rpc] {
            if (!call->finished()) body(call, &rpc->request(), rpc->response());
          };
          if (work_loops->Post(task)) return;
        }
        body(call, &rpc->request(), rpc->response());
      });
}

// The schemas of a multi-table call's tables (batches, transactions), looked up before translation.
using SchemaMap = absl::flat_hash_map<std::string, SchemaPtr>;

inline model::SchemaLookup LookupIn(const SchemaMap& schemas) {
  return [&schemas](const std::string& table) -> const model::TableSchema* {
    auto it = schemas.find(table);
    return it == schemas.end() ? nullptr : it->second.get();
  };
}

// Looks up every table's schema (concurrently), then runs `next(schemas)`; errors finish the call. Invalid
// table names are skipped here: translation reports them with their field.
template <typename Next>
void WithSchemas(Gateway& gateway, const std::shared_ptr<UnaryCall>& call, std::vector<std::string> tables,
                 Next next) {
  if (call->finished()) return;  // shed on arrival
  if (call->deadline_passed()) {
    call->Fail(GatewayError::DeadlineExceeded("the call's deadline had passed when it arrived"));
    return;
  }
  std::sort(tables.begin(), tables.end());
  tables.erase(std::unique(tables.begin(), tables.end()), tables.end());
  Violations ignored;
  tables.erase(std::remove_if(tables.begin(), tables.end(),
                              [&](const std::string& t) { return !model::CheckTableName(t, FieldRef("table"), ignored); }),
               tables.end());
  struct Pending {
    explicit Pending(Next n) : next(std::move(n)) {}
    absl::Mutex mu;
    SchemaMap schemas;
    size_t remaining = 0;
    bool failed = false;
    Next next;
  };
  auto pending = std::make_shared<Pending>(std::move(next));
  pending->remaining = tables.size();
  if (tables.empty()) {
    pending->next(std::move(pending->schemas));
    return;
  }
  for (const std::string& table : tables) {
    gateway.schemas.Get(table, [call, pending, table](ErrorOr<SchemaPtr> schema) {
      bool run = false;
      {
        absl::MutexLock lock(&pending->mu);
        if (pending->failed) return;
        if (!schema.ok()) {
          pending->failed = true;
        } else {
          pending->schemas[table] = *schema;
          run = --pending->remaining == 0;
        }
      }
      if (!schema.ok()) {
        call->Fail(schema.error());
      } else if (run) {
        pending->next(std::move(pending->schemas));
      }
    });
  }
}

}  // namespace altgw::service

#endif  // ALTGW_SERVICE_GATEWAY_H_
