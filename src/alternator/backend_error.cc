#include "alternator/backend_error.h"

#include <string_view>

#include "absl/strings/str_cat.h"
#include "model/value_codec.h"

namespace altgw::alternator {
namespace {

using nlohmann::json;
namespace v1 = ::alternator::gateway::v1;

// Backoff hint for throttling errors; the router's own retries use their own jittered schedule.
constexpr absl::Duration kThrottleRetryAfter = absl::Milliseconds(100);

GatewayError ConditionFailed(const BackendErrorBody& error, const model::BackendCall& call) {
  if (!call.return_item_on_condition_failure) return GatewayError::ConditionFailed(call.table, std::nullopt);
  v1::ConditionFailure failure;
  if (auto item = error.body.find("Item"); item != error.body.end() && item->is_object()) {
    if (model::DecodeAttributes(*item, failure.mutable_item()).ok()) failure.set_item_exists(true);
  }
  return GatewayError::ConditionFailed(call.table, std::move(failure));
}

// An error that says the backend failed while handling the request: whether it was applied is unknown.
MappedError ServerFailure(int http_status, const BackendErrorBody& error, const model::BackendCall& call) {
  const std::string what = absl::StrCat("HTTP ", http_status, error.type.empty() ? "" : " ", error.type,
                                        error.message.empty() ? "" : ": ", error.message);
  if (call.access == model::AccessKind::kRead) {
    return {GatewayError::BackendReadFailed(what), Retry::kIfIdempotent};
  }
  return {GatewayError::WriteOutcomeUnknown(what), Retry::kIfIdempotent};
}

}  // namespace

BackendErrorBody ParseBackendError(absl::string_view body) {
  BackendErrorBody out;
  out.body = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (!out.body.is_object()) {
    out.body = json::object();
    out.message = std::string(body.substr(0, 200));
    return out;
  }
  if (auto type = out.body.find("__type"); type != out.body.end() && type->is_string()) {
    const std::string& full = type->get_ref<const std::string&>();
    const size_t hash = full.rfind('#');
    out.type = hash == std::string::npos ? full : full.substr(hash + 1);
  }
  for (const char* key : {"message", "Message"}) {
    if (auto message = out.body.find(key); message != out.body.end() && message->is_string()) {
      out.message = message->get<std::string>();
      break;
    }
  }
  return out;
}

MappedError MapBackendError(int http_status, const BackendErrorBody& error, const model::BackendCall& call) {
  const std::string& type = error.type;
  // Every type below is a deliberate choice; the tests walk this table case by case.
  if (type == "ConditionalCheckFailedException") return {ConditionFailed(error, call)};
  if (type == "ResourceNotFoundException") return {GatewayError::TableNotFound(call.table)};
  if (type == "ResourceInUseException") {
    if (std::string_view(call.operation) == "CreateTable") return {GatewayError::TableAlreadyExists(call.table)};
    return {GatewayError::TableInUse(call.table, error.message)};
  }
  if (type == "ValidationException") return {GatewayError::BackendValidation(error.message)};
  if (type == "SerializationException") {
    // The gateway writes every body itself: a body the backend cannot read is the gateway's fault.
    return {GatewayError::BackendError(type, error.message)};
  }
  if (type == "AccessDeniedException") return {GatewayError::BackendAccessDenied(error.message)};
  if (type == "UnrecognizedClientException" || type == "InvalidSignatureException" ||
      type == "MissingAuthenticationTokenException" || type == "IncompleteSignatureException") {
    return {GatewayError::BackendAuthenticationFailed(type, error.message)};
  }
  if (type == "UnknownOperationException") {
    return {GatewayError::UnsupportedByBackend(call.operation, error.message)};
  }
  if (type == "RequestLimitExceeded" || type == "ProvisionedThroughputExceededException" ||
      type == "ThrottlingException") {
    return {GatewayError::BackendThrottled(type, kThrottleRetryAfter), Retry::kWithBackoff};
  }
  if (type == "LimitExceededException") return {GatewayError::BackendLimitExceeded(error.message)};
  if (type == "ItemCollectionSizeLimitExceededException") {
    return {GatewayError::ItemCollectionTooLarge(error.message)};
  }
  if (type == "PayloadTooLarge" || http_status == 413) return {GatewayError::RequestTooLarge(error.message)};
  if (type == "InternalServerError" || type == "InternalFailure" || type == "ServiceUnavailable" ||
      http_status >= 500) {
    return ServerFailure(http_status, error, call);
  }
  return {GatewayError::BackendError(type.empty() ? absl::StrCat("HTTP ", http_status) : type, error.message)};
}

}  // namespace altgw::alternator
