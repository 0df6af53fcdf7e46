#include "alternator/backend_error.h"

#include <cstdint>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "model/value_codec.h"
#include "model/versioning.h"

namespace altgw::alternator {
namespace {

using nlohmann::json;
namespace v1 = ::alternator::gateway::v1;

// Backoff hint for throttling errors; the router's own retries use their own jittered schedule.
constexpr absl::Duration kThrottleRetryAfter = absl::Milliseconds(100);

// Bytes of the non-JSON error text kept as the message.
constexpr size_t kMaxTextMessageBytes = 200;

// The length of the valid UTF-8 sequence that starts `text` (non-empty), or 0 when it is not one (bad lead
// or continuation byte, truncated, overlong, surrogate, above U+10FFFF).
size_t Utf8SequenceLength(absl::string_view text) {
  const unsigned char lead = static_cast<unsigned char>(text[0]);
  if (lead < 0x80) return 1;
  size_t length;
  uint32_t min;
  if ((lead & 0xE0) == 0xC0) {
    length = 2;
    min = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3;
    min = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4;
    min = 0x10000;
  } else {
    return 0;
  }
  if (text.size() < length) return 0;
  uint32_t code_point = lead & (0x7F >> length);
  for (size_t i = 1; i < length; ++i) {
    const unsigned char next = static_cast<unsigned char>(text[i]);
    if ((next & 0xC0) != 0x80) return 0;
    code_point = (code_point << 6) | (next & 0x3F);
  }
  if (code_point < min || code_point > 0x10FFFF || (code_point >= 0xD800 && code_point <= 0xDFFF)) return 0;
  return length;
}

// At most `max_bytes` of `text` as valid UTF-8: invalid bytes become U+FFFD and the text is cut on a character
// boundary. The message ends up in google.rpc.Status, whose proto3 strings must be valid UTF-8 (clients in
// most languages refuse to parse the details otherwise), and non-JSON bodies (proxies, HTML error pages) may
// be in any encoding.
std::string Utf8Prefix(absl::string_view text, size_t max_bytes) {
  static constexpr absl::string_view kReplacement = "\xEF\xBF\xBD";
  std::string out;
  while (!text.empty()) {
    const size_t length = Utf8SequenceLength(text);
    const absl::string_view piece = length == 0 ? kReplacement : text.substr(0, length);
    if (out.size() + piece.size() > max_bytes) break;
    out.append(piece.data(), piece.size());
    text.remove_prefix(length == 0 ? 1 : length);
  }
  return out;
}

GatewayError ConditionFailed(const BackendErrorBody& error, const model::BackendCall& call) {
  if (!call.condition_check) return GatewayError::ConditionFailed(call.table, std::nullopt);
  auto item = error.body.find("Item");
  return model::ConditionFailureError(*call.condition_check,
                                      item != error.body.end() && item->is_object() ? &*item : nullptr);
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
    out.message = Utf8Prefix(body, kMaxTextMessageBytes);
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
  if (type == "TransactionCanceledException") {
    if (call.cancellation_error) return {call.cancellation_error(error.body)};
    return {GatewayError::BackendError(type, error.message)};
  }
  if (type == "TransactionConflictException") return {GatewayError::TransactionConflict(error.message)};
  if (type == "TransactionInProgressException") return {GatewayError::TransactionInProgress(error.message)};
  if (type == "IdempotentParameterMismatchException") return {GatewayError::IdempotencyKeyReused(error.message)};
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
