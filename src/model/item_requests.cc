#include "model/item_requests.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "model/condition_compiler.h"
#include "model/expression_context.h"
#include "model/key_codec.h"
#include "model/limits.h"
#include "model/table_names.h"
#include "model/update_compiler.h"
#include "model/value_codec.h"

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

// Everything a single-item request builds up before it becomes a BackendCall.
class ItemRequestBuilder {
 public:
  ItemRequestBuilder(const char* operation, const std::string& table, const TableSchema& schema)
      : schema_(schema), encoder_(violations_) {
    call_.operation = operation;
    call_.table = table;
    CheckTableName(table, FieldRef("table"), violations_);
    body_["TableName"] = table;
  }

  Violations& violations() { return violations_; }
  ValueEncoder& encoder() { return encoder_; }
  ExpressionContext& context() { return context_; }
  json& body() { return body_; }
  BackendCall& call() { return call_; }

  void Key(const AttributeMap& key, const FieldRef& field) {
    json encoded = EncodeKey(schema_.key, key, field, encoder_);
    if (violations_.empty()) RememberPartitionKey(encoded);
    body_["Key"] = std::move(encoded);
  }

  void Item(const AttributeMap& item, const FieldRef& field) {
    CheckItemKeyAttributes(schema_, item, field, violations_);
    size_t size = 0;
    json encoded = encoder_.EncodeAttributes(item, field, &size);
    if (size > kMaxItemBytes) {
      violations_.Add(field, absl::StrCat("the item is ", size, " bytes as DynamoDB counts them; at most ",
                                          kMaxItemBytes, " are allowed"));
    }
    if (violations_.empty()) RememberPartitionKey(encoded);
    body_["Item"] = std::move(encoded);
  }

  void Condition(const v1::Condition* condition, const FieldRef& field) {
    if (condition == nullptr) return;
    body_["ConditionExpression"] = CompileCondition(*condition, field, context_, encoder_);
    call_.conditional = true;
    call_.read_modify_write = true;
  }

  // `allowed` lists the ReturnValues the operation supports besides NONE.
  void ReturnValues(v1::ReturnValues value, std::initializer_list<v1::ReturnValues> allowed,
                    const FieldRef& field) {
    if (value == v1::RETURN_VALUES_NONE) return;
    if (std::find(allowed.begin(), allowed.end(), value) == allowed.end()) {
      violations_.Add(field, absl::StrCat(v1::ReturnValues_Name(value), " is not available for ",
                                          call_.operation));
      return;
    }
    body_["ReturnValues"] = ReturnValuesText(value);
    // Alternator must read the old item for these (router.md: RMW writes); UPDATED_NEW alone does not.
    if (value != v1::RETURN_VALUES_UPDATED_NEW) call_.read_modify_write = true;
  }

  void ReturnItemOnConditionFailure(bool wanted) {
    if (!wanted) return;
    body_["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD";
    call_.return_item_on_condition_failure = true;
  }

  ErrorOr<BackendCall> Finish(AccessKind access) && {
    if (!violations_.empty()) return violations_.ToError();
    std::move(context_).WriteTo(body_);
    call_.access = access;
    call_.body = body_.dump();
    return std::move(call_);
  }

 private:
  void RememberPartitionKey(const json& encoded) {
    const KeyAttributeSchema& partition = schema_.key.partition;
    auto it = encoded.find(partition.name);
    if (it == encoded.end()) return;
    call_.partition_key_type = partition.type;
    switch (partition.type) {
      case v1::SCALAR_TYPE_STRING:
        call_.partition_key = (*it)["S"].get<std::string>();
        break;
      case v1::SCALAR_TYPE_NUMBER:
        call_.partition_key = (*it)["N"].get<std::string>();
        break;
      case v1::SCALAR_TYPE_BINARY:
        absl::Base64Unescape((*it)["B"].get<std::string>(), &call_.partition_key);
        break;
      default:
        call_.partition_key_type = v1::SCALAR_TYPE_UNSPECIFIED;
    }
  }

  const TableSchema& schema_;
  Violations violations_;
  ValueEncoder encoder_;
  ExpressionContext context_;
  json body_ = json::object();
  BackendCall call_;
};

}  // namespace

GatewayError MalformedAnswer(absl::string_view operation, const absl::Status& status) {
  return GatewayError::BackendError("MalformedResponse",
                                    absl::StrCat(operation, " answer: ", status.message()));
}

ErrorOr<BackendCall> TranslatePut(const v1::PutRequest& request, const TableSchema& schema) {
  ItemRequestBuilder builder("PutItem", request.table(), schema);
  builder.Item(request.item(), FieldRef("item"));
  builder.Condition(request.has_condition() ? &request.condition() : nullptr, FieldRef("condition"));
  builder.ReturnValues(request.return_values(), {v1::RETURN_VALUES_ALL_OLD}, FieldRef("return_values"));
  builder.ReturnItemOnConditionFailure(request.return_item_on_condition_failure());
  return std::move(builder).Finish(AccessKind::kWrite);
}

ErrorOr<BackendCall> TranslateGet(const v1::GetRequest& request, const TableSchema& schema) {
  ItemRequestBuilder builder("GetItem", request.table(), schema);
  builder.Key(request.key(), FieldRef("key"));
  if (!request.projection().empty()) {
    builder.body()["ProjectionExpression"] =
        CompileProjection(request.projection(), FieldRef("projection"), builder.context(), builder.violations());
  }
  if (request.consistent_read()) builder.body()["ConsistentRead"] = true;
  return std::move(builder).Finish(AccessKind::kRead);
}

ErrorOr<BackendCall> TranslateDelete(const v1::DeleteRequest& request, const TableSchema& schema) {
  ItemRequestBuilder builder("DeleteItem", request.table(), schema);
  builder.Key(request.key(), FieldRef("key"));
  builder.Condition(request.has_condition() ? &request.condition() : nullptr, FieldRef("condition"));
  builder.ReturnValues(request.return_values(), {v1::RETURN_VALUES_ALL_OLD}, FieldRef("return_values"));
  builder.ReturnItemOnConditionFailure(request.return_item_on_condition_failure());
  return std::move(builder).Finish(AccessKind::kWrite);
}

ErrorOr<BackendCall> TranslateUpdate(const v1::UpdateRequest& request, const TableSchema& schema) {
  ItemRequestBuilder builder("UpdateItem", request.table(), schema);
  builder.Key(request.key(), FieldRef("key"));
  if (!request.actions().empty()) {
    CompiledUpdate update =
        CompileUpdate(request.actions(), schema, FieldRef("actions"), builder.context(), builder.encoder());
    builder.body()["UpdateExpression"] = std::move(update.expression);
    builder.call().read_modify_write = true;  // router.md: any update action makes an Update qualify
  }
  builder.Condition(request.has_condition() ? &request.condition() : nullptr, FieldRef("condition"));
  builder.ReturnValues(request.return_values(),
                       {v1::RETURN_VALUES_ALL_OLD, v1::RETURN_VALUES_UPDATED_OLD, v1::RETURN_VALUES_ALL_NEW,
                        v1::RETURN_VALUES_UPDATED_NEW},
                       FieldRef("return_values"));
  builder.ReturnItemOnConditionFailure(request.return_item_on_condition_failure());
  return std::move(builder).Finish(AccessKind::kWrite);
}

absl::Status ParseReturnedAttributes(const json& body, AttributeMap* out) {
  auto attributes = body.find("Attributes");
  if (attributes == body.end()) return absl::OkStatus();
  return DecodeAttributes(*attributes, out);
}

ErrorOr<v1::PutResponse> ParsePutResponse(const json& body) {
  v1::PutResponse response;
  if (absl::Status s = ParseReturnedAttributes(body, response.mutable_attributes()); !s.ok()) {
    return MalformedAnswer("PutItem", s);
  }
  return response;
}

ErrorOr<v1::GetResponse> ParseGetResponse(const json& body) {
  v1::GetResponse response;
  auto item = body.find("Item");
  if (item == body.end()) return response;
  response.set_found(true);
  if (absl::Status s = DecodeAttributes(*item, response.mutable_item()); !s.ok()) {
    return MalformedAnswer("GetItem", s);
  }
  return response;
}

ErrorOr<v1::DeleteResponse> ParseDeleteResponse(const json& body) {
  v1::DeleteResponse response;
  if (absl::Status s = ParseReturnedAttributes(body, response.mutable_attributes()); !s.ok()) {
    return MalformedAnswer("DeleteItem", s);
  }
  return response;
}

ErrorOr<v1::UpdateResponse> ParseUpdateResponse(const json& body) {
  v1::UpdateResponse response;
  if (absl::Status s = ParseReturnedAttributes(body, response.mutable_attributes()); !s.ok()) {
    return MalformedAnswer("UpdateItem", s);
  }
  return response;
}

}  // namespace altgw::model
