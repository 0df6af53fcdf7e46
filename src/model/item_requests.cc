#include "model/item_requests.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "model/answer_items.h"
#include "model/condition_compiler.h"
#include "model/expression_context.h"
#include "model/key_codec.h"
#include "model/table_names.h"
#include "model/value_codec.h"
#include "model/write_builder.h"

namespace altgw::model {
namespace {

using nlohmann::json;

const char* ReturnValuesText(v1::ReturnValues value) {
  switch (value) {
    case v1::RETURN_VALUES_ALL_OLD:
      return "ALL_OLD";
    case v1::RETURN_VALUES_UPDATED_OLD:
      return "UPDATED_OLD";
    case v1::RETURN_VALUES_ALL_NEW:
      return "ALL_NEW";
    case v1::RETURN_VALUES_UPDATED_NEW:
      return "UPDATED_NEW";
    default:
      return nullptr;
  }
}

// Checks the caller's ReturnValues against those `operation` supports besides NONE.
bool CheckReturnValues(v1::ReturnValues value, std::initializer_list<v1::ReturnValues> allowed, const char* operation,
                       Violations& violations) {
  if (value == v1::RETURN_VALUES_NONE) return true;
  if (std::find(allowed.begin(), allowed.end(), value) != allowed.end()) return true;
  violations.Add(FieldRef("return_values"), absl::StrCat(v1::ReturnValues_Name(value), " is not available for ", operation));
  return false;
}

// The BackendCall of a finished single-item write.
ErrorOr<BackendCall> WriteCall(const char* operation, const std::string& table, WriteBuilder& builder, json body,
                               Violations& violations, WriteAnswer answer) {
  if (!violations.empty()) return violations.ToError();
  BackendCall call;
  call.operation = operation;
  call.table = table;
  call.access = AccessKind::kWrite;
  call.conditional = builder.conditional();
  call.read_modify_write = builder.read_modify_write();
  call.condition_check = builder.condition_check();
  call.partition_key_type = builder.partition_key().type;
  call.partition_key = builder.partition_key().bytes;
  call.answer = std::move(answer);
  call.body = body.dump();
  return call;
}

WriteAnswer AnswerFor(const TableSchema& schema, const WriteBuilder& builder) {
  WriteAnswer answer;
  if (!builder.versioned()) return answer;
  answer.version_attribute = schema.version_attribute;
  if (std::optional<uint64_t> known = builder.known_new_version()) {
    answer.version = WriteAnswer::Version::kKnown;
    answer.known = *known;
  }
  return answer;
}

}  // namespace

GatewayError MalformedAnswer(absl::string_view operation, const absl::Status& status) {
  return GatewayError::BackendError("MalformedResponse", absl::StrCat(operation, " answer: ", status.message()));
}

bool PutNeedsVersionRead(const v1::PutRequest& request, const TableSchema& schema) {
  return !schema.version_attribute.empty() && !request.has_expected_version();
}

ErrorOr<BackendCall> TranslatePut(const v1::PutRequest& request, const TableSchema& schema,
                                  std::optional<VersionExpectation> observed) {
  Violations violations;
  const FieldRef root("");
  CheckTableName(request.table(), FieldRef("table"), violations);
  WriteBuilder builder(WriteKind::kPut, request.table(), schema, root, violations);
  builder.Item(request.item());
  builder.Condition(request.has_condition() ? &request.condition() : nullptr);
  builder.Version(request.has_expected_version() ? std::optional<uint64_t>(request.expected_version()) : std::nullopt,
                  observed);
  builder.ReturnItemOnConditionFailure(request.return_item_on_condition_failure());
  CheckReturnValues(request.return_values(), {v1::RETURN_VALUES_ALL_OLD}, "Put", violations);
  json body = builder.Finish();
  if (request.return_values() == v1::RETURN_VALUES_ALL_OLD) body["ReturnValues"] = "ALL_OLD";
  ErrorOr<BackendCall> call =
      WriteCall("PutItem", request.table(), builder, std::move(body), violations, AnswerFor(schema, builder));
  // Alternator must read the old item to return it (router.md: RMW writes).
  if (call.ok() && request.return_values() == v1::RETURN_VALUES_ALL_OLD) call->read_modify_write = true;
  return call;
}

ErrorOr<BackendCall> TranslateGet(const v1::GetRequest& request, const TableSchema& schema) {
  Violations violations;
  ValueEncoder encoder(violations);
  ExpressionContext context;
  CheckTableName(request.table(), FieldRef("table"), violations);
  json body = json::object();
  body["TableName"] = request.table();
  json key = EncodeKey(schema.key, request.key(), FieldRef("key"), encoder);
  const PartitionKeyBytes partition = PartitionKeyOf(schema.key, key);
  body["Key"] = std::move(key);
  if (!request.projection().empty()) {
    body["ProjectionExpression"] = CompileProjection(request.projection(), FieldRef("projection"), context, violations);
  }
  if (request.consistent_read()) body["ConsistentRead"] = true;
  if (!violations.empty()) return violations.ToError();
  std::move(context).WriteTo(body);
  BackendCall call;
  call.operation = "GetItem";
  call.table = request.table();
  call.access = AccessKind::kRead;
  call.partition_key_type = partition.type;
  call.partition_key = partition.bytes;
  call.body = body.dump();
  return call;
}

ErrorOr<BackendCall> TranslateDelete(const v1::DeleteRequest& request, const TableSchema& schema) {
  Violations violations;
  const FieldRef root("");
  CheckTableName(request.table(), FieldRef("table"), violations);
  WriteBuilder builder(WriteKind::kDelete, request.table(), schema, root, violations);
  builder.Key(request.key());
  builder.Condition(request.has_condition() ? &request.condition() : nullptr);
  builder.Version(request.has_expected_version() ? std::optional<uint64_t>(request.expected_version()) : std::nullopt,
                  std::nullopt);
  builder.ReturnItemOnConditionFailure(request.return_item_on_condition_failure());
  CheckReturnValues(request.return_values(), {v1::RETURN_VALUES_ALL_OLD}, "Delete", violations);
  json body = builder.Finish();
  if (request.return_values() == v1::RETURN_VALUES_ALL_OLD) body["ReturnValues"] = "ALL_OLD";
  ErrorOr<BackendCall> call =
      WriteCall("DeleteItem", request.table(), builder, std::move(body), violations, WriteAnswer());
  if (call.ok() && request.return_values() == v1::RETURN_VALUES_ALL_OLD) call->read_modify_write = true;
  return call;
}

ErrorOr<BackendCall> TranslateUpdate(const v1::UpdateRequest& request, const TableSchema& schema) {
  Violations violations;
  const FieldRef root("");
  CheckTableName(request.table(), FieldRef("table"), violations);
  WriteBuilder builder(WriteKind::kUpdate, request.table(), schema, root, violations);
  builder.Key(request.key());
  builder.Actions(request.actions());
  builder.Condition(request.has_condition() ? &request.condition() : nullptr);
  builder.Version(request.has_expected_version() ? std::optional<uint64_t>(request.expected_version()) : std::nullopt,
                  std::nullopt);
  builder.ReturnItemOnConditionFailure(request.return_item_on_condition_failure());
  CheckReturnValues(request.return_values(),
                    {v1::RETURN_VALUES_ALL_OLD, v1::RETURN_VALUES_UPDATED_OLD, v1::RETURN_VALUES_ALL_NEW,
                     v1::RETURN_VALUES_UPDATED_NEW},
                    "Update", violations);
  json body = builder.Finish();
  WriteAnswer answer = AnswerFor(schema, builder);
  v1::ReturnValues sent = request.return_values();
  if (builder.versioned() && answer.version == WriteAnswer::Version::kNone) {
    // The version was incremented in place: learn the new one from the answer, asking for it if the caller
    // asked for nothing (and then dropping what only the gateway wanted).
    if (sent == v1::RETURN_VALUES_NONE) {
      sent = v1::RETURN_VALUES_UPDATED_NEW;
      answer.strip_attributes = true;
    }
    answer.version = sent == v1::RETURN_VALUES_ALL_NEW || sent == v1::RETURN_VALUES_UPDATED_NEW
                         ? WriteAnswer::Version::kFromNew
                         : WriteAnswer::Version::kFromOld;
  }
  if (const char* text = ReturnValuesText(sent)) body["ReturnValues"] = text;
  ErrorOr<BackendCall> call =
      WriteCall("UpdateItem", request.table(), builder, std::move(body), violations, std::move(answer));
  // Returning old values makes Alternator read the item; UPDATED_NEW alone does not (router.md §4).
  if (call.ok() && request.return_values() != v1::RETURN_VALUES_NONE &&
      request.return_values() != v1::RETURN_VALUES_UPDATED_NEW) {
    call->read_modify_write = true;
  }
  return call;
}

json EncodedKeyOfItem(const TableSchema& schema, const v1::PutRequest& request) {
  AttributeMap key;
  for (const KeyAttributeSchema* attribute : {&schema.key.partition, &schema.key.sort}) {
    if (attribute->name.empty()) continue;
    auto it = request.item().find(attribute->name);
    if (it != request.item().end()) key[attribute->name] = it->second;
  }
  Violations ignored;
  ValueEncoder encoder(ignored);
  return EncodeKey(schema.key, key, FieldRef("item"), encoder);
}

BackendCall VersionReadCall(const TableSchema& schema, const json& encoded_key) {
  ExpressionContext context;
  std::string projection;
  context.AppendName(&projection, schema.key.partition.name);
  projection.append(", ");
  context.AppendName(&projection, schema.version_attribute);
  json body = json::object();
  body["TableName"] = schema.table;
  body["Key"] = encoded_key;
  body["ProjectionExpression"] = std::move(projection);
  body["ConsistentRead"] = true;
  std::move(context).WriteTo(body);
  BackendCall call;
  call.operation = "GetItem";
  call.table = schema.table;
  call.access = AccessKind::kRead;
  call.body = body.dump();
  return call;
}

ErrorOr<VersionExpectation> ParseVersionRead(const json& body, const TableSchema& schema) {
  auto item = body.find("Item");
  if (item == body.end()) return VersionExpectation::Observed(false, std::nullopt);
  if (!item->is_object()) return MalformedAnswer("GetItem", absl::InternalError("Item is not an object"));
  return VersionExpectation::Observed(true, ItemVersion(schema.version_attribute, *item));
}

absl::Status ParseReturnedAttributes(const json& body, AttributeMap* out) {
  auto attributes = body.find("Attributes");
  if (attributes == body.end()) return absl::OkStatus();
  return DecodeAttributes(*attributes, out);
}

ErrorOr<v1::PutResponse> ParsePutResponse(const json& body, const WriteAnswer& answer) {
  v1::PutResponse response;
  if (!answer.strip_attributes) {
    if (absl::Status s = ParseReturnedAttributes(body, response.mutable_attributes()); !s.ok()) {
      return MalformedAnswer("PutItem", s);
    }
  }
  if (std::optional<uint64_t> version = answer.NewVersion(body)) response.set_version(*version);
  return response;
}

ErrorOr<v1::GetResponse> ParseGetResponse(const Answer& answer, const TableSchema& schema) {
  v1::GetResponse response;
  std::optional<simdjson::dom::element> item = LastMember(answer.root(), "Item");
  if (!item) return response;
  response.set_found(true);
  if (absl::Status s = DecodeAttributes(*item, response.mutable_item()); !s.ok()) {
    return MalformedAnswer("GetItem", s);
  }
  FillVersion(schema, response.item(), &response);
  return response;
}

ErrorOr<v1::DeleteResponse> ParseDeleteResponse(const json& body) {
  v1::DeleteResponse response;
  if (absl::Status s = ParseReturnedAttributes(body, response.mutable_attributes()); !s.ok()) {
    return MalformedAnswer("DeleteItem", s);
  }
  return response;
}

ErrorOr<v1::UpdateResponse> ParseUpdateResponse(const json& body, const WriteAnswer& answer) {
  v1::UpdateResponse response;
  if (!answer.strip_attributes) {
    if (absl::Status s = ParseReturnedAttributes(body, response.mutable_attributes()); !s.ok()) {
      return MalformedAnswer("UpdateItem", s);
    }
  }
  if (std::optional<uint64_t> version = answer.NewVersion(body)) response.set_version(*version);
  return response;
}

}  // namespace altgw::model
