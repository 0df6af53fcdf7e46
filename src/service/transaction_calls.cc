#include "service/transaction_calls.h"
#include "service/methods.h"

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "model/item_requests.h"
#include "model/transaction_requests.h"

namespace altgw::service {
namespace {

namespace v1 = ::alternator::gateway::v1;
using nlohmann::json;

// Versions read just before a transaction can be changed by another write before it commits; then the
// reads and the transaction are repeated, at most this many times in all.
constexpr int kTransactionAttempts = 5;

std::optional<v1::TransactionFailure> FailureDetail(const GatewayError& error) {
  for (const google::protobuf::Any& detail : error.extra_details()) {
    v1::TransactionFailure failure;
    if (detail.UnpackTo(&failure)) return failure;
  }
  return std::nullopt;
}

std::optional<v1::ConditionFailure> ConditionDetail(const GatewayError& error) {
  for (const google::protobuf::Any& detail : error.extra_details()) {
    v1::ConditionFailure failure;
    if (detail.UnpackTo(&failure)) return failure;
  }
  return std::nullopt;
}

class TransactionRun : public std::enable_shared_from_this<TransactionRun> {
 public:
  TransactionRun(Gateway& gateway, std::shared_ptr<UnaryCall> call,
                 std::shared_ptr<const v1::TransactionRequest> request, v1::TransactionResponse* response,
                 SchemaMap schemas)
      : gateway_(gateway), call_(std::move(call)), request_(std::move(request)), response_(response),
        schemas_(std::move(schemas)) {}

  void Begin() { Plan({}); }

 private:
  // Translates with the versions observed so far; reads the missing ones, or executes.
  void Plan(std::vector<std::optional<model::VersionExpectation>> observed) {
    ErrorOr<model::TransactionPlan> plan = model::TranslateTransaction(*request_, LookupIn(schemas_), observed);
    if (!plan.ok()) {
      call_->Fail(plan.error());
      return;
    }
    if (gateway_.transactions == TransactionSupport::kSingleItem) {
      // Reject what cannot run before reading anything.
      ErrorOr<std::optional<model::BackendCall>> single = model::SingleItemTransactionCall(*request_, *plan);
      if (!single.ok()) {
        call_->Fail(single.error());
        return;
      }
    }
    auto shared_plan = std::make_shared<const model::TransactionPlan>(std::move(plan).value());
    if (!shared_plan->version_reads.empty()) {
      ReadVersions(shared_plan, std::move(observed));
      return;
    }
    if (gateway_.transactions == TransactionSupport::kNative) {
      ExecuteNative(shared_plan);
    } else {
      ExecuteSingleItem(shared_plan);
    }
  }

  void ReadVersions(std::shared_ptr<const model::TransactionPlan> plan,
                    std::vector<std::optional<model::VersionExpectation>> observed) {
    observed.resize(static_cast<size_t>(request_->operations_size()));
    struct Reads {
      absl::Mutex mu;
      std::vector<std::optional<model::VersionExpectation>> observed;
      size_t remaining = 0;
      bool failed = false;
    };
    auto reads = std::make_shared<Reads>();
    reads->observed = std::move(observed);
    reads->remaining = plan->version_reads.size();
    auto self = shared_from_this();
    for (size_t r = 0; r < plan->version_reads.size(); ++r) {
      const size_t index = plan->version_reads[r];
      const std::string& table = request_->operations(static_cast<int>(index)).kind_case() ==
                                         v1::TransactionOperation::kPut
                                     ? request_->operations(static_cast<int>(index)).put().table()
                                     : request_->operations(static_cast<int>(index)).update().table();
      const model::TableSchema& schema = *schemas_.at(table);
      gateway_.backend.Execute(
          model::VersionReadCall(schema, plan->version_read_keys[r]), call_->deadline(),
          [self, reads, index, &schema](ErrorOr<model::Answer> answer, const alternator::CallStats& stats) {
            self->call_->RecordBackend(stats);
            ErrorOr<model::VersionExpectation> version =
                answer.ok() ? model::ParseVersionRead(answer->json(), schema)
                            : ErrorOr<model::VersionExpectation>(answer.error());
            bool done = false;
            {
              absl::MutexLock lock(&reads->mu);
              if (reads->failed) return;
              if (!version.ok()) {
                reads->failed = true;
              } else {
                reads->observed[index] = *version;
                done = --reads->remaining == 0;
              }
            }
            if (!version.ok()) {
              self->call_->Fail(version.error());
            } else if (done) {
              self->Plan(std::move(reads->observed));
            }
          });
    }
  }

  void ExecuteNative(std::shared_ptr<const model::TransactionPlan> plan) {
    model::BackendCall transaction = model::NativeTransactionCall(*plan, request_->request_id());
    std::shared_ptr<const v1::TransactionRequest> request = request_;
    transaction.cancellation_error = [request, plan](const json& body) {
      return model::TransactionCancelledError(*request, *plan, body);
    };
    auto self = shared_from_this();
    call_->Attach(gateway_.backend.Execute(
        std::move(transaction), call_->deadline(),
        [self, plan](ErrorOr<model::Answer> answer, const alternator::CallStats& stats) {
          self->call_->RecordBackend(stats);
          self->Finish(*plan, answer.ok() ? std::nullopt : std::optional(answer.error()));
        }));
  }

  void ExecuteSingleItem(std::shared_ptr<const model::TransactionPlan> plan) {
    ErrorOr<std::optional<model::BackendCall>> single = model::SingleItemTransactionCall(*request_, *plan);
    if (!single.ok()) {
      call_->Fail(single.error());
      return;
    }
    auto self = shared_from_this();
    if (!single->has_value()) {
      // Condition checks only: read the item consistently and judge it.
      call_->Attach(gateway_.backend.Execute(
          model::SingleItemReadCall(*plan), call_->deadline(),
          [self, plan](ErrorOr<model::Answer> answer, const alternator::CallStats& stats) {
            self->call_->RecordBackend(stats);
            if (!answer.ok()) {
              self->call_->Fail(answer.error());
              return;
            }
            model::AttributeMap item;
            const nlohmann::json& body = answer->json();
            auto found = body.find("Item");
            const bool exists = found != body.end() && model::DecodeAttributes(*found, &item).ok();
            if (model::JudgeGroup(*self->request_, *plan, 0, exists ? &item : nullptr).holds) {
              self->Finish(*plan, std::nullopt);
            } else {
              self->Finish(*plan, model::SingleItemFailure(*self->request_, *plan, exists ? &item : nullptr));
            }
          }));
      return;
    }
    call_->Attach(gateway_.backend.Execute(
        std::move(single)->value(), call_->deadline(),
        [self, plan](ErrorOr<model::Answer> answer, const alternator::CallStats& stats) {
          self->call_->RecordBackend(stats);
          if (answer.ok() || answer.error().reason() != v1::CONDITION_FAILED) {
            self->Finish(*plan, answer.ok() ? std::nullopt : std::optional(answer.error()));
            return;
          }
          // Judge every operation on the item returned with the failure.
          std::optional<v1::ConditionFailure> detail = ConditionDetail(answer.error());
          const bool exists = detail && detail->item_exists();
          model::AttributeMap item = detail ? detail->item() : model::AttributeMap();
          self->Finish(*plan, model::SingleItemFailure(*self->request_, *plan, exists ? &item : nullptr));
        }));
  }

  // Responds, or retries when only versions the gateway read itself were overtaken.
  void Finish(const model::TransactionPlan& plan, std::optional<GatewayError> error) {
    if (!error) {
      call_->Succeed([&] {
        for (const std::optional<uint64_t>& version : plan.new_versions) {
          v1::OperationResult* result = response_->add_results();
          if (version) result->set_version(*version);
        }
      });
      return;
    }
    if (error->reason() == v1::VERSION_MISMATCH && ++attempts_ < kTransactionAttempts && OnlyReadVersionsFailed(*error)) {
      Plan({});
      return;
    }
    call_->Fail(*error);
  }

  // True when every VERSION_MISMATCH is on an operation whose expected version the gateway read (not one
  // the caller gave).
  bool OnlyReadVersionsFailed(const GatewayError& error) const {
    std::optional<v1::TransactionFailure> detail = FailureDetail(error);
    if (!detail) return false;
    for (int i = 0; i < detail->operations_size(); ++i) {
      if (detail->operations(i).reason() != v1::ErrorReason_Name(v1::VERSION_MISMATCH)) continue;
      const v1::TransactionOperation& operation = request_->operations(i);
      const bool caller_expected =
          (operation.has_put() && operation.put().has_expected_version()) ||
          (operation.has_update() && operation.update().has_expected_version()) ||
          (operation.has_delete_() && operation.delete_().has_expected_version()) ||
          (operation.has_condition_check() && operation.condition_check().has_expected_version());
      if (caller_expected) return false;
    }
    return true;
  }

  Gateway& gateway_;
  std::shared_ptr<UnaryCall> call_;
  // A copy owned by the run: gRPC frees the call's request once the call is done, which a cancellation
  // makes happen while version reads or the transaction are still running.
  std::shared_ptr<const v1::TransactionRequest> request_;
  v1::TransactionResponse* response_;
  SchemaMap schemas_;
  int attempts_ = 1;
};

std::string OperationTable(const v1::TransactionOperation& operation) {
  switch (operation.kind_case()) {
    case v1::TransactionOperation::kPut:
      return operation.put().table();
    case v1::TransactionOperation::kUpdate:
      return operation.update().table();
    case v1::TransactionOperation::kDelete:
      return operation.delete_().table();
    case v1::TransactionOperation::kConditionCheck:
      return operation.condition_check().table();
    default:
      return "";
  }
}

}  // namespace

void RunTransaction(Gateway& gateway, const std::shared_ptr<UnaryCall>& call, const v1::TransactionRequest* request,
                    v1::TransactionResponse* response) {
  // The request lives as long as the call (UnaryCall holds it): this pointer shares the call's ownership.
  auto owned = std::shared_ptr<const v1::TransactionRequest>(call, request);
  std::vector<std::string> tables;
  std::vector<Access> needed;
  for (const v1::TransactionOperation& operation : owned->operations()) {
    tables.push_back(OperationTable(operation));
    // A condition check only reads; every other operation writes.
    needed.push_back({operation.has_condition_check() ? Permission::kRead : Permission::kWrite, tables.back()});
  }
  if (!Authorize(gateway, *call, needed)) return;
  WithSchemas(gateway, call, std::move(tables), [&gateway, call, owned, response](SchemaMap schemas) {
    std::make_shared<TransactionRun>(gateway, call, owned, response, std::move(schemas))->Begin();
  });
}

void RunTransactGet(Gateway& gateway, const std::shared_ptr<UnaryCall>& call, const v1::TransactGetRequest* request,
                    v1::TransactGetResponse* response) {
  // As in RunTransaction: the request, owned with the call (parsing the answer reads it too).
  auto owned = std::shared_ptr<const v1::TransactGetRequest>(call, request);
  std::vector<std::string> tables;
  for (const v1::TransactGetItem& item : owned->items()) tables.push_back(item.table());
  if (!Authorize(gateway, *call, NeedOnEach(Permission::kRead, tables))) return;
  WithSchemas(gateway, call, std::move(tables), [&gateway, call, request = owned, response](SchemaMap schemas) {
    auto shared = std::make_shared<SchemaMap>(std::move(schemas));
    if (gateway.transactions == TransactionSupport::kSingleItem) {
      if (request->items_size() != 1) {
        call->Fail(GatewayError::TransactionsUnsupported(
            "an atomic read of several items needs native transactions; read one item, or use BatchGet"));
        return;
      }
      // One item is read atomically by a consistent GetItem.
      const v1::TransactGetItem& item = request->items(0);
      v1::GetRequest get;
      get.set_table(item.table());
      *get.mutable_key() = item.key();
      *get.mutable_projection() = item.projection();
      get.set_consistent_read(true);
      auto it = shared->find(item.table());
      if (it == shared->end()) {
        Violations violations;
        model::CheckTableName(item.table(), FieldRef("items[0].table"), violations);
        call->Fail(violations.ToError());
        return;
      }
      ErrorOr<model::BackendCall> translated = model::TranslateGet(get, *it->second);
      if (!translated.ok()) {
        call->Fail(translated.error());
        return;
      }
      SchemaPtr schema = it->second;
      ExecuteAndRespond(gateway, call, std::move(translated).value(), response,
                        [schema](const model::Answer& body) -> ErrorOr<v1::TransactGetResponse> {
                          ErrorOr<v1::GetResponse> got = model::ParseGetResponse(body, *schema);
                          if (!got.ok()) return got.error();
                          v1::TransactGetResponse out;
                          v1::TransactGetResult* result = out.add_items();
                          result->set_found(got->found());
                          *result->mutable_item() = got->item();
                          if (got->has_version()) result->set_version(got->version());
                          return out;
                        });
      return;
    }
    ErrorOr<model::BackendCall> translated = model::TranslateTransactGet(*request, LookupIn(*shared));
    if (!translated.ok()) {
      call->Fail(translated.error());
      return;
    }
    ExecuteAndRespond(gateway, call, std::move(translated).value(), response,
                      [request, shared](const model::Answer& body) {
                        return model::ParseTransactGetResponse(body.json(), *request, LookupIn(*shared));
                      });
  });
}

absl::StatusOr<TransactionSupport> DetectTransactionSupport(alternator::BackendClient& backend,
                                                            absl::Duration timeout) {
  model::BackendCall probe;
  probe.operation = "TransactGetItems";
  probe.access = model::AccessKind::kRead;
  probe.body = "{}";  // invalid on purpose: it must not read anything
  absl::Notification done;
  std::optional<GatewayError> error;
  bool answered_ok = false;
  backend.Execute(std::move(probe), absl::Now() + timeout,
                  [&](ErrorOr<model::Answer> answer, const alternator::CallStats&) {
                    if (answer.ok()) {
                      answered_ok = true;
                    } else {
                      error = answer.error();
                    }
                    done.Notify();
                  });
  done.WaitForNotification();
  if (answered_ok) return TransactionSupport::kNative;  // unexpected, but it does know the operation
  if (error->reason() == v1::UNSUPPORTED_BY_BACKEND) return TransactionSupport::kSingleItem;
  if (error->reason() == v1::BACKEND_VALIDATION_ERROR) return TransactionSupport::kNative;
  return absl::UnavailableError(
      absl::StrCat("cannot tell whether the database supports transactions: ", error->message()));
}

}  // namespace altgw::service
