// Backend errors: parsing DynamoDB/Alternator error answers and mapping every error type to the gateway's
// error model deliberately (one table, tested case by case), never copying the backend's code through.
#ifndef ALTGW_ALTERNATOR_BACKEND_ERROR_H_
#define ALTGW_ALTERNATOR_BACKEND_ERROR_H_

#include <string>

#include "absl/strings/string_view.h"
#include "common/gateway_error.h"
#include "model/backend_call.h"
#include "nlohmann/json.hpp"

namespace altgw::alternator {

// How an error answer may be retried by the gateway.
enum class Retry {
  kNever,            // final: report it
  kWithBackoff,      // overload/throttling: the request was rejected, not applied; retry after a delay
  kIfIdempotent,     // the backend failed internally (500 etc.): reads retry on another node; writes are
                     // outcome-unknown
};

struct BackendErrorBody {
  // The error type after the last '#' of "__type" (e.g. "ValidationException"); empty if none.
  std::string type;
  // "message" (Alternator) or "Message" (DynamoDB).
  std::string message;
  // The parsed body (for ConditionalCheckFailedException's Item).
  nlohmann::json body;
};

// Parses an error answer; tolerates non-JSON bodies (type stays empty, message holds a prefix of the text,
// made valid UTF-8).
BackendErrorBody ParseBackendError(absl::string_view body);

struct MappedError {
  GatewayError error;
  Retry retry = Retry::kNever;
};

// The gateway error for an HTTP error answer to `call`.
MappedError MapBackendError(int http_status, const BackendErrorBody& error, const model::BackendCall& call);

}  // namespace altgw::alternator

#endif  // ALTGW_ALTERNATOR_BACKEND_ERROR_H_
