// GatewayError: the one error value of the gateway.
//
// Every failure a caller can see is built here through a named constructor, so the mapping from "what went
// wrong" to gRPC code + ErrorInfo reason + details lives in one place and every reason is used consistently.
// It converts to a google.rpc.Status (service-conventions: ErrorInfo always, BadRequest / ResourceInfo /
// RetryInfo / PreconditionFailure where they apply).
#ifndef ALTGW_COMMON_GATEWAY_ERROR_H_
#define ALTGW_COMMON_GATEWAY_ERROR_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "alternator/gateway/v1/errors.pb.h"
#include "google/protobuf/any.pb.h"
#include "google/rpc/status.pb.h"

namespace altgw {

// The ErrorInfo domain of every error the gateway raises.
inline constexpr char kErrorDomain[] = "alternator-gateway";

struct FieldViolation {
  std::string field;
  std::string description;
};

class GatewayError {
 public:
  using Reason = ::alternator::gateway::v1::ErrorReason;

  // --- Caller input (INVALID_ARGUMENT); nothing was sent. ---
  static GatewayError InvalidRequest(std::vector<FieldViolation> violations);
  static GatewayError InvalidField(std::string field, std::string description);
  static GatewayError InvalidPageToken(std::string field, std::string description);
  static GatewayError PageTokenExpired(std::string field);
  // The backend rejected the request for a reason the gateway could not check in advance.
  static GatewayError BackendValidation(std::string backend_message);
  static GatewayError RequestTooLarge(std::string backend_message);

  // --- Resources. ---
  static GatewayError TableNotFound(std::string table);
  static GatewayError IndexNotFound(std::string table, std::string index);
  static GatewayError TableAlreadyExists(std::string table);
  static GatewayError TableInUse(std::string table, std::string backend_message);

  // --- Preconditions. ---
  // `current_item` is the ConditionFailure detail, present when the caller asked for the item.
  static GatewayError ConditionFailed(std::string table,
                                      std::optional<::alternator::gateway::v1::ConditionFailure> current_item);
  static GatewayError ItemCollectionTooLarge(std::string backend_message);
  // The backend cannot run this transaction (no multi-item transactions on Alternator); nothing written.
  static GatewayError TransactionsUnsupported(std::string description);

  // --- Concurrency (ABORTED: re-read and retry the read-modify-write). ---
  // `current_version` is unset when the item does not exist.
  static GatewayError VersionMismatch(std::string table, std::optional<uint64_t> current_version);
  static GatewayError TransactionConflict(std::string backend_message);
  static GatewayError TransactionInProgress(std::string backend_message);
  static GatewayError IdempotencyKeyReused(std::string backend_message);
  // A cancelled transaction: the code and reason summarise it, `failure` says operation by operation.
  static GatewayError TransactionCancelled(absl::StatusCode code, Reason reason, std::string message,
                                           ::alternator::gateway::v1::TransactionFailure failure);

  // --- Overload. ---
  static GatewayError BackendThrottled(std::string backend_type, absl::Duration retry_after);
  static GatewayError BackendLimitExceeded(std::string backend_message);
  // The gateway shed the call: `max_in_flight` calls were already running. Nothing was done.
  static GatewayError Overloaded(int64_t max_in_flight, absl::Duration retry_after);

  // --- Availability and ambiguity. ---
  // Nothing was applied; the same call may be retried.
  static GatewayError BackendUnavailable(std::string description, absl::Duration retry_after);
  // A read failed inside the backend (500) or timed out; retrying is safe.
  static GatewayError BackendReadFailed(std::string description);
  // A write reached the backend and then failed ambiguously: it may or may not have been applied.
  static GatewayError WriteOutcomeUnknown(std::string description);
  static GatewayError DeadlineExceeded(std::string description);
  static GatewayError Cancelled();
  // The drain deadline of a shutdown passed first; the call was not applied (or is a read): retry.
  static GatewayError ShuttingDown();

  // --- Backend capability, credentials, protocol. ---
  static GatewayError UnsupportedByBackend(std::string operation, std::string backend_message);
  static GatewayError BackendAccessDenied(std::string backend_message);
  static GatewayError BackendAuthenticationFailed(std::string backend_type, std::string backend_message);
  static GatewayError BackendError(std::string backend_type, std::string backend_message);
  static GatewayError Internal(std::string description);

  // --- Caller authentication and authorization (nothing was read or written). ---
  // `problem`: "missing", "malformed" or "unknown" (the token itself is never part of the error).
  static GatewayError Unauthenticated(std::string problem, std::string description);
  // `table` is "*" for calls about all tables; `permission` is "read", "write" or "admin".
  static GatewayError PermissionDenied(std::string principal, std::string table, std::string permission);

  // Adds a fact to ErrorInfo.metadata (lowerCamelCase key). Returns *this for chaining.
  GatewayError& WithMetadata(std::string key, std::string value) &;
  GatewayError&& WithMetadata(std::string key, std::string value) &&;

  absl::StatusCode code() const { return code_; }
  Reason reason() const { return reason_; }
  // The reason as it appears in ErrorInfo (the ErrorReason value's name).
  const std::string& reason_name() const;
  const std::string& message() const { return message_; }
  const std::vector<FieldViolation>& field_violations() const { return violations_; }
  const std::vector<std::pair<std::string, std::string>>& metadata() const { return metadata_; }
  // The gateway's own detail messages (ConditionFailure, TransactionFailure), packed.
  const std::vector<google::protobuf::Any>& extra_details() const { return extra_details_; }
  std::optional<absl::Duration> retry_delay() const { return retry_delay_; }

  // The full error model: code, message and typed details.
  google::rpc::Status ToRpcStatus() const;

 private:
  GatewayError(absl::StatusCode code, Reason reason, std::string message)
      : code_(code), reason_(reason), message_(std::move(message)) {}

  struct Resource {
    std::string type;
    std::string name;
  };
  struct Precondition {
    std::string type;
    std::string subject;
    std::string description;
  };

  absl::StatusCode code_;
  Reason reason_;
  std::string message_;
  std::vector<std::pair<std::string, std::string>> metadata_;
  std::vector<FieldViolation> violations_;
  std::optional<Resource> resource_;
  std::optional<Precondition> precondition_;
  std::optional<absl::Duration> retry_delay_;
  std::vector<google::protobuf::Any> extra_details_;
};

}  // namespace altgw

#endif  // ALTGW_COMMON_GATEWAY_ERROR_H_
