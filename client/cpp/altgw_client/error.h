// Error: a failed call, decoded from gRPC's status and the gateway's google.rpc.Status details
// (grpc-status-details-bin): ErrorInfo (reason, domain, metadata), BadRequest field violations, RetryInfo,
// ResourceInfo, PreconditionFailure, and the gateway's ConditionFailure / TransactionFailure.
//
// Branch on code() and reason(), never on message(): the reason is one of the names of
// alternator.gateway.v1.ErrorReason (errors.proto says what each means and what to do).
//
// The client library raises a few errors of its own (a value of the wrong kind, an unreadable CA file);
// they have domain() == kClientErrorDomain and their own reasons (kReasonWrongValueKind, ...).
#ifndef ALTGW_CLIENT_ERROR_H_
#define ALTGW_CLIENT_ERROR_H_

#include <grpcpp/grpcpp.h>

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "alternator/gateway/v1/errors.pb.h"
#include "google/rpc/status.pb.h"

namespace altgw::client {

// ErrorInfo.domain of errors raised by the gateway.
inline constexpr char kGatewayErrorDomain[] = "alternator-gateway";
// Domain of errors raised by this library, before or after a call.
inline constexpr char kClientErrorDomain[] = "alternator-gateway-client";
// Client-side reasons.
inline constexpr char kReasonWrongValueKind[] = "WRONG_VALUE_KIND";
inline constexpr char kReasonNumberOutOfRange[] = "NUMBER_OUT_OF_RANGE";
inline constexpr char kReasonMissingAttribute[] = "MISSING_ATTRIBUTE";
inline constexpr char kReasonBadOptions[] = "BAD_CLIENT_OPTIONS";

class Error {
 public:
  struct FieldViolation {
    std::string field;
    std::string description;
  };
  struct PreconditionViolation {
    std::string type;
    std::string subject;
    std::string description;
  };
  struct Resource {
    std::string type;
    std::string name;
  };

  Error() = default;
  // Decodes a failed call. Details that do not parse are ignored (the code and message remain).
  static Error FromStatus(const grpc::Status& status);
  // An error raised by this library (domain kClientErrorDomain).
  static Error Local(grpc::StatusCode code, std::string reason, std::string message);

  grpc::StatusCode code() const { return code_; }
  // The code's canonical name, e.g. "FAILED_PRECONDITION".
  std::string code_name() const;
  const std::string& message() const { return message_; }
  // ErrorInfo.reason ("" when the server sent no ErrorInfo, e.g. a transport failure).
  const std::string& reason() const { return reason_; }
  const std::string& domain() const { return domain_; }
  // ErrorInfo.metadata, e.g. {"table": "..."}, {"currentVersion": "7"}.
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const std::vector<FieldViolation>& field_violations() const { return field_violations_; }
  const std::vector<PreconditionViolation>& precondition_violations() const {
    return precondition_violations_;
  }
  const std::optional<Resource>& resource() const { return resource_; }
  // RetryInfo.retry_delay: how long to wait before retrying.
  const std::optional<absl::Duration>& retry_delay() const { return retry_delay_; }
  // CONDITION_FAILED with return_item_on_condition_failure: the item as it is now.
  const std::optional<::alternator::gateway::v1::ConditionFailure>& condition_failure() const {
    return condition_failure_;
  }
  // A failed Transaction: which operations failed and why.
  const std::optional<::alternator::gateway::v1::TransactionFailure>& transaction_failure() const {
    return transaction_failure_;
  }
  // The whole decoded google.rpc.Status (empty when the call carried none).
  const google::rpc::Status& status() const { return status_; }
  // How many attempts the call made (more than 1 only after retries of UNAVAILABLE).
  int attempts() const { return attempts_; }
  void set_attempts(int attempts) { attempts_ = attempts; }

  // One line: "FAILED_PRECONDITION CONDITION_FAILED: <message> (field: why; ...)".
  std::string ToString() const;

 private:
  grpc::StatusCode code_ = grpc::StatusCode::UNKNOWN;
  std::string message_;
  std::string reason_;
  std::string domain_;
  std::map<std::string, std::string> metadata_;
  std::vector<FieldViolation> field_violations_;
  std::vector<PreconditionViolation> precondition_violations_;
  std::optional<Resource> resource_;
  std::optional<absl::Duration> retry_delay_;
  std::optional<::alternator::gateway::v1::ConditionFailure> condition_failure_;
  std::optional<::alternator::gateway::v1::TransactionFailure> transaction_failure_;
  google::rpc::Status status_;
  int attempts_ = 1;
};

// Thrown by Result<T>::value() on a failed result.
class ErrorException : public std::runtime_error {
 public:
  explicit ErrorException(Error error) : std::runtime_error(error.ToString()), error_(std::move(error)) {}
  const Error& error() const { return error_; }

 private:
  Error error_;
};

}  // namespace altgw::client

#endif  // ALTGW_CLIENT_ERROR_H_
