#include "model/transaction_requests.h"

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "model/condition_compiler.h"
#include "model/condition_evaluator.h"
#include "model/expression_context.h"
#include "model/item_requests.h"
#include "model/key_codec.h"
#include "model/table_names.h"
#include "model/write_builder.h"

namespace altgw::model {
namespace {

using nlohmann::json;

// A uniform view of the four operation kinds.
struct OperationView {
  WriteKind kind = WriteKind::kConditionCheck;
  const char* field = "";
  const char* element = "";
  const std::string* table = nullptr;
  const AttributeMap* item = nullptr;  // put
  const AttributeMap* key = nullptr;   // the others
  const google::protobuf::RepeatedPtrField<v1::UpdateAction>* actions = nullptr;
  const v1::Condition* condition = nullptr;
  std::optional<uint64_t> expected;
  bool return_item = false;
};

// The view of `op` as the kind named `field` in the request and `element` in DynamoDB's TransactItems.
template <typename Operation>
void Common(WriteKind kind, const char* field, const char* element, const Operation& op, OperationView& view) {
  view.kind = kind;
  view.field = field;
  view.element = element;
  view.table = &op.table();
  view.condition = op.has_condition() ? &op.condition() : nullptr;
  if (op.has_expected_version()) view.expected = op.expected_version();
  view.return_item = op.return_item_on_condition_failure();
}

std::optional<OperationView> View(const v1::TransactionOperation& operation) {
  OperationView view;
  switch (operation.kind_case()) {
    case v1::TransactionOperation::kPut:
      Common(WriteKind::kPut, "put", "Put", operation.put(), view);
      view.item = &operation.put().item();
      return view;
    case v1::TransactionOperation::kUpdate:
      Common(WriteKind::kUpdate, "update", "Update", operation.update(), view);
      view.key = &operation.update().key();
      view.actions = &operation.update().actions();
      return view;
    case v1::TransactionOperation::kDelete:
      Common(WriteKind::kDelete, "delete", "Delete", operation.delete_(), view);
      view.key = &operation.delete_().key();
      return view;
    case v1::TransactionOperation::kConditionCheck:
      Common(WriteKind::kConditionCheck, "condition_check", "ConditionCheck", operation.condition_check(), view);
      view.key = &operation.condition_check().key();
      return view;
    case v1::TransactionOperation::KIND_NOT_SET:
      break;
  }
  return std::nullopt;
}

// The encoded key of an operation's item (from its key, or the key attributes of a put's item).
json OperationKey(const OperationView& view, const TableSchema& schema, const FieldRef& field, ValueEncoder& encoder) {
  if (view.key != nullptr) return EncodeKey(schema.key, *view.key, field.Child("key"), encoder);
  AttributeMap key;
  for (const KeyAttributeSchema* attribute : {&schema.key.partition, &schema.key.sort}) {
    if (attribute->name.empty()) continue;
    auto it = view.item->find(attribute->name);
    if (it != view.item->end()) key[attribute->name] = it->second;
  }
  Violations ignored;  // the put's own validation reports problems with its item
  ValueEncoder quiet(ignored);
  return EncodeKey(schema.key, key, field.Child("item"), quiet);
}

bool ValidRequestId(const std::string& id) {
  if (id.empty() || id.size() > 36) return false;
  for (char c : id) {
    if (c <= ' ' || c > '~') return false;
  }
  return true;
}

// Failure priority, most telling first: what the caller should do about the whole transaction.
int Priority(v1::ErrorReason reason) {
  switch (reason) {
    case v1::VERSION_MISMATCH:
      return 0;
    case v1::CONDITION_FAILED:
      return 1;
    case v1::TRANSACTION_CONFLICT:
      return 2;
    case v1::BACKEND_THROTTLED:
      return 3;
    case v1::BACKEND_VALIDATION_ERROR:
      return 4;
    case v1::ITEM_COLLECTION_TOO_LARGE:
      return 5;
    case v1::BACKEND_ERROR:  // a cancellation code the gateway does not know
      return 6;
    default:
      return 7;
  }
}

absl::StatusCode CodeOf(v1::ErrorReason reason) {
  switch (reason) {
    case v1::VERSION_MISMATCH:
    case v1::TRANSACTION_CONFLICT:
      return absl::StatusCode::kAborted;
    case v1::CONDITION_FAILED:
    case v1::ITEM_COLLECTION_TOO_LARGE:
      return absl::StatusCode::kFailedPrecondition;
    case v1::BACKEND_THROTTLED:
      return absl::StatusCode::kResourceExhausted;
    case v1::BACKEND_VALIDATION_ERROR:
      return absl::StatusCode::kInvalidArgument;
    default:
      return absl::StatusCode::kInternal;
  }
}

// The TransactionCancelled error for per-operation failures.
GatewayError CancelledError(const v1::TransactionRequest& request,
                            const std::vector<std::pair<size_t, v1::OperationFailure>>& failures) {
  v1::TransactionFailure detail;
  for (int i = 0; i < request.operations_size(); ++i) detail.add_operations();
  v1::ErrorReason worst = v1::INTERNAL_ERROR;
  std::vector<std::string> summary;
  for (const auto& [index, failure] : failures) {
    *detail.mutable_operations(static_cast<int>(index)) = failure;
    v1::ErrorReason reason = v1::INTERNAL_ERROR;
    v1::ErrorReason_Parse(failure.reason(), &reason);
    if (Priority(reason) < Priority(worst)) worst = reason;
    summary.push_back(absl::StrCat("operations[", index, "]: ", failure.reason()));
  }
  if (failures.empty()) worst = v1::CONDITION_FAILED;
  return GatewayError::TransactionCancelled(
      CodeOf(worst), worst,
      absl::StrCat("the transaction was cancelled and nothing was written (", absl::StrJoin(summary, "; "), ")"),
      std::move(detail));
}

}  // namespace

ErrorOr<TransactionPlan> TranslateTransaction(const v1::TransactionRequest& request, const SchemaLookup& schemas,
                                              const std::vector<std::optional<VersionExpectation>>& observed) {
  Violations violations;
  ValueEncoder encoder(violations);
  const FieldRef operations_field("operations");
  const size_t count = static_cast<size_t>(request.operations_size());
  if (count == 0 || count > kMaxTransactionOperations) {
    violations.Add(operations_field, absl::StrCat("a transaction has 1 to ", kMaxTransactionOperations,
                                                  " operations, not ", count));
  }
  if (!request.request_id().empty() && !ValidRequestId(request.request_id())) {
    violations.Add(FieldRef("request_id"), "1 to 36 printable ASCII characters, without spaces");
  }

  // Pass 1: each operation on its own; group them by item.
  std::vector<std::optional<OperationView>> views(count);
  std::vector<const TableSchema*> op_schemas(count, nullptr);
  std::vector<json> keys(count);
  absl::flat_hash_map<std::string, size_t> group_of;
  TransactionPlan plan;
  plan.new_versions.resize(count);
  plan.expectations.resize(count);
  for (size_t i = 0; i < count; ++i) {
    const FieldRef op_field = operations_field.Index(i);
    views[i] = View(request.operations(static_cast<int>(i)));
    if (!views[i]) {
      violations.Add(op_field, "set one of put, update, delete or condition_check");
      continue;
    }
    const FieldRef field = op_field.Child(views[i]->field);
    if (!CheckTableName(*views[i]->table, field.Child("table"), violations)) continue;
    const TableSchema* schema = schemas(*views[i]->table);
    if (schema == nullptr) return GatewayError::TableNotFound(*views[i]->table);
    op_schemas[i] = schema;
    const size_t before = violations.count();
    keys[i] = OperationKey(*views[i], *schema, field, encoder);
    if (violations.count() != before) continue;
    const std::string identity = EntryId(*views[i]->table, schema->key, keys[i]);
    auto [it, inserted] = group_of.try_emplace(identity, plan.groups.size());
    if (inserted) {
      TransactionGroup& group = plan.groups.emplace_back();
      group.table = *views[i]->table;
      group.version_attribute = schema->version_attribute;
      group.encoded_key = keys[i];
    }
    TransactionGroup& group = plan.groups[it->second];
    const bool writes = views[i]->kind != WriteKind::kConditionCheck;
    if (writes && group.writes) {
      violations.Add(field, "another operation already writes this item: a transaction writes each item once");
      continue;
    }
    if (writes) {
      group.writes = true;
      group.operations.insert(group.operations.begin(), i);  // the write leads its group
    } else {
      group.operations.push_back(i);
    }
  }
  if (!violations.empty()) return violations.ToError();

  // Pass 2: one database operation per group.
  for (TransactionGroup& group : plan.groups) {
    const size_t lead = group.operations.front();
    const OperationView& view = *views[lead];
    const TableSchema& schema = *op_schemas[lead];
    const FieldRef lead_entry = operations_field.Index(lead);
    const FieldRef lead_field = lead_entry.Child(view.field);
    WriteBuilder builder(view.kind, group.table, schema, lead_field, violations);
    if (view.item != nullptr) {
      builder.Item(*view.item);
    } else {
      builder.Key(*view.key);
    }
    if (view.actions != nullptr) builder.Actions(*view.actions);
    builder.Condition(view.condition);
    const bool bumps = !schema.version_attribute.empty() &&
                       (view.kind == WriteKind::kPut || view.kind == WriteKind::kUpdate);
    std::optional<VersionExpectation> expectation;
    if (view.expected) {
      expectation = VersionExpectation::Expected(*view.expected);
    } else if (bumps) {
      // The version bump must come from the item's current version: read it first.
      if (lead < observed.size() && observed[lead]) {
        expectation = observed[lead];
      } else {
        plan.version_reads.push_back(lead);
        plan.version_read_keys.push_back(group.encoded_key);
        expectation = VersionExpectation();  // placeholder so that this pass validates everything
      }
    }
    if (schema.version_attribute.empty()) {
      builder.Version(view.expected, std::nullopt);  // rejects an expected_version
    } else {
      builder.Version(std::nullopt, expectation);
    }
    plan.expectations[lead] = expectation;
    builder.ReturnItemOnConditionFailure(view.return_item);
    builder.AlwaysRequestItemOnFailure();  // failures are judged on the item, operation by operation
    for (size_t k = 1; k < group.operations.size(); ++k) {
      const size_t index = group.operations[k];
      const OperationView& check = *views[index];
      const FieldRef check_entry = operations_field.Index(index);
      builder.AddCheck(check.condition, check.expected, check_entry.Child(check.field));
      if (check.expected) plan.expectations[index] = VersionExpectation::Expected(*check.expected);
    }
    json operation = builder.Finish();
    group.writes = view.kind != WriteKind::kConditionCheck;
    group.partition_key = builder.partition_key();
    plan.new_versions[lead] = builder.known_new_version();
    group.element = json{{view.element, std::move(operation)}};
  }
  if (!violations.empty()) return violations.ToError();
  return plan;
}

BackendCall NativeTransactionCall(const TransactionPlan& plan, const std::string& request_id) {
  json items = json::array();
  BackendCall call;
  for (const TransactionGroup& group : plan.groups) {
    items.push_back(group.element);
    call.batch_partition_keys.push_back(group.partition_key);
  }
  json body = json::object();
  body["TransactItems"] = std::move(items);
  if (!request_id.empty()) body["ClientRequestToken"] = request_id;
  call.operation = "TransactWriteItems";
  call.access = AccessKind::kWrite;
  call.conditional = true;
  call.read_modify_write = true;
  call.table = plan.groups.empty() ? "" : plan.groups.front().table;
  call.body = body.dump();
  return call;
}

ErrorOr<std::optional<BackendCall>> SingleItemTransactionCall(const v1::TransactionRequest& request,
                                                              const TransactionPlan& plan) {
  if (plan.groups.size() != 1) {
    return GatewayError::TransactionsUnsupported(
        absl::StrCat("the transaction addresses ", plan.groups.size(),
                     " items; ScyllaDB Alternator can only run transactions on a single item"));
  }
  if (!request.request_id().empty()) {
    return GatewayError::TransactionsUnsupported("request_id (idempotent transactions) needs native transactions");
  }
  const TransactionGroup& group = plan.groups.front();
  if (!group.writes) return std::optional<BackendCall>();
  // The group's element is exactly a PutItem / UpdateItem / DeleteItem request.
  const auto& [kind, operation] = *group.element.items().begin();
  BackendCall call;
  call.operation = kind == "Put" ? "PutItem" : kind == "Update" ? "UpdateItem" : "DeleteItem";
  call.access = AccessKind::kWrite;
  call.table = group.table;
  call.conditional = operation.contains("ConditionExpression");
  call.read_modify_write = true;
  call.partition_key_type = group.partition_key.type;
  call.partition_key = group.partition_key.bytes;
  // A failed condition comes back as CONDITION_FAILED with the current item, judged per operation by the
  // caller (SingleItemFailure).
  if (call.conditional) call.condition_check = ConditionCheckInfo{group.table, "", std::nullopt, true, true};
  call.body = operation.dump();
  return std::optional<BackendCall>(std::move(call));
}

BackendCall SingleItemReadCall(const TransactionPlan& plan) {
  const TransactionGroup& group = plan.groups.front();
  BackendCall call;
  call.operation = "GetItem";
  call.access = AccessKind::kRead;
  call.table = group.table;
  call.body = json{{"TableName", group.table}, {"Key", group.encoded_key}, {"ConsistentRead", true}}.dump();
  return call;
}

GroupVerdict JudgeGroup(const v1::TransactionRequest& request, const TransactionPlan& plan, size_t group_index,
                        const AttributeMap* item) {
  GroupVerdict verdict;
  const TransactionGroup& group = plan.groups[group_index];
  const bool exists = item != nullptr;
  static const AttributeMap kNoItem;
  const AttributeMap& attributes = exists ? *item : kNoItem;
  for (size_t index : group.operations) {
    const OperationView view = *View(request.operations(static_cast<int>(index)));
    v1::OperationFailure failure;
    const std::optional<VersionExpectation>& expectation = plan.expectations[index];
    bool failed = false;
    if (expectation) {
      const std::optional<uint64_t> current = exists ? ItemVersion(group.version_attribute, attributes) : std::nullopt;
      if (!expectation->MetBy(exists, current)) {
        failed = true;
        failure.set_reason(v1::ErrorReason_Name(v1::VERSION_MISMATCH));
        failure.set_message(current ? absl::StrCat("the item's version is ", *current)
                                    : std::string(exists ? "the item has no version" : "the item does not exist"));
        if (current) failure.set_current_version(*current);
      }
    }
    if (!failed && view.condition != nullptr) {
      absl::StatusOr<bool> holds = EvaluateCondition(*view.condition, attributes);
      if (holds.ok() && !*holds) {
        failed = true;
        failure.set_reason(v1::ErrorReason_Name(v1::CONDITION_FAILED));
        failure.set_message("the operation's condition is false for the item");
      }
    }
    if (failed) {
      if (view.return_item) {
        failure.set_item_exists(exists);
        if (exists) *failure.mutable_item() = attributes;
      }
      verdict.holds = false;
      verdict.failures.emplace_back(index, std::move(failure));
    }
  }
  return verdict;
}

GatewayError TransactionCancelledError(const v1::TransactionRequest& request, const TransactionPlan& plan,
                                       const json& body) {
  std::vector<std::pair<size_t, v1::OperationFailure>> failures;
  auto reasons = body.find("CancellationReasons");
  for (size_t g = 0; g < plan.groups.size(); ++g) {
    const json* reason = nullptr;
    if (reasons != body.end() && reasons->is_array() && g < reasons->size()) reason = &(*reasons)[g];
    const std::string code = reason != nullptr ? reason->value("Code", "") : "";
    if (code.empty() || code == "None") continue;
    if (code == "ConditionalCheckFailed") {
      auto item = reason->find("Item");
      AttributeMap decoded;
      const bool exists = item != reason->end() && item->is_object() && DecodeAttributes(*item, &decoded).ok();
      GroupVerdict verdict = JudgeGroup(request, plan, g, exists ? &decoded : nullptr);
      if (verdict.failures.empty()) {
        // The item as returned satisfies every operation: report the group's lead operation.
        v1::OperationFailure failure;
        failure.set_reason(v1::ErrorReason_Name(v1::CONDITION_FAILED));
        failure.set_message(reason->value("Message", "condition failed"));
        verdict.failures.emplace_back(plan.groups[g].operations.front(), std::move(failure));
      }
      for (auto& entry : verdict.failures) failures.push_back(std::move(entry));
      continue;
    }
    v1::ErrorReason mapped = v1::BACKEND_ERROR;
    if (code == "TransactionConflict") mapped = v1::TRANSACTION_CONFLICT;
    if (code == "ThrottlingError" || code == "ProvisionedThroughputExceeded") mapped = v1::BACKEND_THROTTLED;
    if (code == "ItemCollectionSizeLimitExceeded") mapped = v1::ITEM_COLLECTION_TOO_LARGE;
    if (code == "ValidationError") mapped = v1::BACKEND_VALIDATION_ERROR;
    for (size_t index : plan.groups[g].operations) {
      v1::OperationFailure failure;
      failure.set_reason(v1::ErrorReason_Name(mapped));
      failure.set_message(reason->value("Message", code));
      failures.emplace_back(index, std::move(failure));
    }
  }
  return CancelledError(request, failures);
}

GatewayError SingleItemFailure(const v1::TransactionRequest& request, const TransactionPlan& plan,
                               const AttributeMap* item) {
  GroupVerdict verdict = JudgeGroup(request, plan, 0, item);
  if (verdict.failures.empty()) {
    v1::OperationFailure failure;
    failure.set_reason(v1::ErrorReason_Name(v1::CONDITION_FAILED));
    failure.set_message("the combined condition failed");
    verdict.failures.emplace_back(plan.groups.front().operations.front(), std::move(failure));
  }
  return CancelledError(request, verdict.failures);
}

ErrorOr<BackendCall> TranslateTransactGet(const v1::TransactGetRequest& request, const SchemaLookup& schemas) {
  Violations violations;
  ValueEncoder encoder(violations);
  const FieldRef items_field("items");
  const size_t count = static_cast<size_t>(request.items_size());
  if (count == 0 || count > kMaxTransactionOperations) {
    violations.Add(items_field, absl::StrCat("1 to ", kMaxTransactionOperations, " items, not ", count));
  }
  json items = json::array();
  absl::flat_hash_map<std::string, bool> seen;
  for (size_t i = 0; i < count; ++i) {
    const v1::TransactGetItem& entry = request.items(static_cast<int>(i));
    const FieldRef field = items_field.Index(i);
    if (!CheckTableName(entry.table(), field.Child("table"), violations)) continue;
    const TableSchema* schema = schemas(entry.table());
    if (schema == nullptr) return GatewayError::TableNotFound(entry.table());
    json key = EncodeKey(schema->key, entry.key(), field.Child("key"), encoder);
    if (!seen.emplace(EntryId(entry.table(), schema->key, key), true).second) {
      violations.Add(field, "another entry reads the same item");
    }
    json get = json::object();
    get["TableName"] = entry.table();
    get["Key"] = std::move(key);
    if (!entry.projection().empty()) {
      ExpressionContext context;
      get["ProjectionExpression"] = CompileProjection(entry.projection(), field.Child("projection"), context, violations);
      std::move(context).WriteTo(get);
    }
    items.push_back(json{{"Get", std::move(get)}});
  }
  if (!violations.empty()) return violations.ToError();
  BackendCall call;
  call.operation = "TransactGetItems";
  call.access = AccessKind::kRead;
  call.table = request.items(0).table();
  call.body = json{{"TransactItems", std::move(items)}}.dump();
  return call;
}

ErrorOr<v1::TransactGetResponse> ParseTransactGetResponse(const json& body, const v1::TransactGetRequest& request,
                                                          const SchemaLookup& schemas) {
  v1::TransactGetResponse response;
  auto responses = body.find("Responses");
  if (responses == body.end() || !responses->is_array() ||
      responses->size() != static_cast<size_t>(request.items_size())) {
    return MalformedAnswer("TransactGetItems", absl::InternalError("Responses does not match the request"));
  }
  for (size_t i = 0; i < responses->size(); ++i) {
    v1::TransactGetResult* result = response.add_items();
    const json& entry = (*responses)[i];
    auto item = entry.find("Item");
    if (item == entry.end()) continue;
    result->set_found(true);
    if (absl::Status s = DecodeAttributes(*item, result->mutable_item()); !s.ok()) {
      return MalformedAnswer("TransactGetItems", s);
    }
    if (const TableSchema* schema = schemas(request.items(static_cast<int>(i)).table())) {
      FillVersion(*schema, result->item(), result);
    }
  }
  return response;
}

}  // namespace altgw::model
