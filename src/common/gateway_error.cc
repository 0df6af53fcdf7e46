#include "common/gateway_error.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/duration.pb.h"
#include "google/rpc/error_details.pb.h"

namespace altgw {
namespace {

using ::alternator::gateway::v1::ErrorReason;
using ::alternator::gateway::v1::ErrorReason_Name;

// A field violation list is summarised in the message so that clients that only print the message still
// see which fields were wrong.
std::string SummariseViolations(const std::vector<FieldViolation>& violations) {
  if (violations.empty()) return "invalid request";
  const FieldViolation& first = violations.front();
  std::string text = absl::StrCat(first.field.empty() ? "request" : first.field, ": ", first.description);
  if (violations.size() > 1) absl::StrAppend(&text, " (and ", violations.size() - 1, " more)");
  return text;
}

// Clients refuse trailers above a few KiB (8 KiB by default in most gRPC libraries), and the status travels
// base64-encoded beside other metadata: 4 KiB of serialized Status leaves room for both.
constexpr size_t kMaxStatusBytes = 4096;
constexpr size_t kMaxTextBytes = 512;

std::string Shorten(std::string text, size_t limit) {
  if (text.size() <= limit) return text;
  size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // keep UTF-8 whole
  text.resize(cut);
  text += "...";
  return text;
}

// Leaves items out of ConditionFailure and TransactionFailure details; they are what usually overflows.
void OmitItems(google::rpc::Status& status) {
  for (google::protobuf::Any& any : *status.mutable_details()) {
    ::alternator::gateway::v1::ConditionFailure condition;
    ::alternator::gateway::v1::TransactionFailure transaction;
    if (any.UnpackTo(&condition)) {
      if (condition.item().empty()) continue;
      condition.clear_item();
      condition.set_item_omitted(true);
      any.PackFrom(condition);
    } else if (any.UnpackTo(&transaction)) {
      for (auto& operation : *transaction.mutable_operations()) {
        if (operation.item().empty()) continue;
        operation.clear_item();
        operation.set_item_omitted(true);
      }
      any.PackFrom(transaction);
    }
  }
}

// Cuts texts and the violation list until the status fits; the first violations are the ones kept.
void ShortenTexts(google::rpc::Status& status) {
  status.set_message(Shorten(status.message(), kMaxTextBytes));
  int omitted_violations = 0;
  for (google::protobuf::Any& any : *status.mutable_details()) {
    google::rpc::BadRequest bad_request;
    ::alternator::gateway::v1::TransactionFailure transaction;
    if (any.UnpackTo(&bad_request)) {
      google::rpc::BadRequest kept;
      size_t budget = kMaxStatusBytes / 2;
      for (const auto& violation : bad_request.field_violations()) {
        google::rpc::BadRequest::FieldViolation shortened;
        shortened.set_field(Shorten(violation.field(), kMaxTextBytes / 2));
        shortened.set_description(Shorten(violation.description(), kMaxTextBytes / 2));
        const size_t size = shortened.ByteSizeLong() + 4;  // + tag and length
        if (size > budget) {
          ++omitted_violations;
          continue;
        }
        budget -= size;
        *kept.add_field_violations() = std::move(shortened);
      }
      any.PackFrom(kept);
    } else if (any.UnpackTo(&transaction)) {
      for (auto& operation : *transaction.mutable_operations()) {
        operation.set_message(Shorten(operation.message(), kMaxTextBytes / 8));
      }
      any.PackFrom(transaction);
    }
  }
  for (google::protobuf::Any& any : *status.mutable_details()) {
    google::rpc::ErrorInfo info;
    if (!any.UnpackTo(&info)) continue;
    for (auto& [key, value] : *info.mutable_metadata()) value = Shorten(value, kMaxTextBytes);
    if (omitted_violations > 0) (*info.mutable_metadata())["violations_omitted"] = absl::StrCat(omitted_violations);
    any.PackFrom(info);
    break;
  }
}

// Last resort for a transaction of many failed operations: each keeps its reason, not its message.
void DropOperationMessages(google::rpc::Status& status) {
  for (google::protobuf::Any& any : *status.mutable_details()) {
    ::alternator::gateway::v1::TransactionFailure transaction;
    if (!any.UnpackTo(&transaction)) continue;
    for (auto& operation : *transaction.mutable_operations()) operation.clear_message();
    any.PackFrom(transaction);
  }
}

}  // namespace

GatewayError GatewayError::InvalidRequest(std::vector<FieldViolation> violations) {
  GatewayError e(absl::StatusCode::kInvalidArgument, ::alternator::gateway::v1::INVALID_REQUEST,
                 SummariseViolations(violations));
  e.violations_ = std::move(violations);
  return e;
}

GatewayError GatewayError::InvalidField(std::string field, std::string description) {
  return InvalidRequest({FieldViolation{std::move(field), std::move(description)}});
}

GatewayError GatewayError::InvalidPageToken(std::string field, std::string description) {
  GatewayError e(absl::StatusCode::kInvalidArgument, ::alternator::gateway::v1::INVALID_PAGE_TOKEN,
                 absl::StrCat(field, ": ", description));
  e.violations_.push_back({std::move(field), std::move(description)});
  return e;
}

GatewayError GatewayError::PageTokenExpired(std::string field) {
  GatewayError e(absl::StatusCode::kInvalidArgument, ::alternator::gateway::v1::PAGE_TOKEN_EXPIRED,
                 absl::StrCat(field, ": the page token has expired; start again from the first page"));
  e.violations_.push_back({std::move(field), "the page token has expired"});
  return e;
}

GatewayError GatewayError::BackendValidation(std::string backend_message) {
  GatewayError e(absl::StatusCode::kInvalidArgument, ::alternator::gateway::v1::BACKEND_VALIDATION_ERROR,
                 absl::StrCat("the database rejected the request: ", backend_message));
  e.metadata_.emplace_back("backendMessage", std::move(backend_message));
  return e;
}

GatewayError GatewayError::RequestTooLarge(std::string backend_message) {
  GatewayError e(absl::StatusCode::kInvalidArgument, ::alternator::gateway::v1::REQUEST_TOO_LARGE,
                 absl::StrCat("the request is larger than the database accepts: ", backend_message));
  return e;
}

GatewayError GatewayError::TableNotFound(std::string table) {
  GatewayError e(absl::StatusCode::kNotFound, ::alternator::gateway::v1::TABLE_NOT_FOUND,
                 absl::StrCat("table '", table, "' does not exist"));
  e.metadata_.emplace_back("table", table);
  e.resource_ = Resource{"table", std::move(table)};
  return e;
}

GatewayError GatewayError::IndexNotFound(std::string table, std::string index) {
  GatewayError e(absl::StatusCode::kNotFound, ::alternator::gateway::v1::INDEX_NOT_FOUND,
                 absl::StrCat("table '", table, "' has no index '", index, "'"));
  e.metadata_.emplace_back("table", table);
  e.metadata_.emplace_back("index", index);
  e.resource_ = Resource{"index", absl::StrCat(table, "/", index)};
  return e;
}

GatewayError GatewayError::TableAlreadyExists(std::string table) {
  GatewayError e(absl::StatusCode::kAlreadyExists, ::alternator::gateway::v1::TABLE_ALREADY_EXISTS,
                 absl::StrCat("table '", table, "' already exists"));
  e.metadata_.emplace_back("table", table);
  e.resource_ = Resource{"table", std::move(table)};
  return e;
}

GatewayError GatewayError::TableInUse(std::string table, std::string backend_message) {
  GatewayError e(absl::StatusCode::kFailedPrecondition, ::alternator::gateway::v1::TABLE_IN_USE,
                 absl::StrCat("table '", table, "' is busy: ", backend_message));
  e.metadata_.emplace_back("table", table);
  e.resource_ = Resource{"table", table};
  e.precondition_ = Precondition{"TABLE_STATE", std::move(table), std::move(backend_message)};
  return e;
}

GatewayError GatewayError::ConditionFailed(
    std::string table, std::optional<::alternator::gateway::v1::ConditionFailure> current_item) {
  GatewayError e(absl::StatusCode::kFailedPrecondition, ::alternator::gateway::v1::CONDITION_FAILED,
                 "the condition of the write is false; nothing was written");
  e.metadata_.emplace_back("table", table);
  e.precondition_ = Precondition{"CONDITION", std::move(table), "the request's condition evaluated to false"};
  if (current_item) {
    e.extra_details_.emplace_back().PackFrom(*current_item);
  }
  return e;
}

GatewayError GatewayError::ItemCollectionTooLarge(std::string backend_message) {
  GatewayError e(absl::StatusCode::kFailedPrecondition, ::alternator::gateway::v1::ITEM_COLLECTION_TOO_LARGE,
                 absl::StrCat("item collection size limit reached: ", backend_message));
  return e;
}

GatewayError GatewayError::TransactionsUnsupported(std::string description) {
  GatewayError e(absl::StatusCode::kFailedPrecondition, ::alternator::gateway::v1::TRANSACTIONS_UNSUPPORTED_BY_BACKEND,
                 absl::StrCat("the database has no multi-item transactions: ", description,
                              "; nothing was written"));
  e.precondition_ = Precondition{"TRANSACTION", "backend", description};
  return e;
}

GatewayError GatewayError::VersionMismatch(std::string table, std::optional<uint64_t> current_version) {
  GatewayError e(absl::StatusCode::kAborted, ::alternator::gateway::v1::VERSION_MISMATCH,
                 current_version ? absl::StrCat("the item's version is ", *current_version,
                                                ", not the expected one; re-read it and retry")
                                 : std::string("the item does not exist (or has no version); re-read it and retry"));
  e.metadata_.emplace_back("table", std::move(table));
  if (current_version) e.metadata_.emplace_back("currentVersion", absl::StrCat(*current_version));
  return e;
}

GatewayError GatewayError::TransactionConflict(std::string backend_message) {
  return GatewayError(absl::StatusCode::kAborted, ::alternator::gateway::v1::TRANSACTION_CONFLICT,
                      absl::StrCat("another transaction was changing the same items; nothing was written; retry: ",
                                   backend_message));
}

GatewayError GatewayError::TransactionInProgress(std::string backend_message) {
  return GatewayError(absl::StatusCode::kAborted, ::alternator::gateway::v1::TRANSACTION_IN_PROGRESS,
                      absl::StrCat("a transaction with the same request_id is still running; retry later: ",
                                   backend_message));
}

GatewayError GatewayError::IdempotencyKeyReused(std::string backend_message) {
  GatewayError e(absl::StatusCode::kInvalidArgument, ::alternator::gateway::v1::IDEMPOTENCY_KEY_REUSED,
                 absl::StrCat("request_id was already used for a different transaction: ", backend_message));
  e.violations_.push_back({"request_id", "already used for a different transaction"});
  return e;
}

GatewayError GatewayError::TransactionCancelled(absl::StatusCode code, Reason reason, std::string message,
                                                ::alternator::gateway::v1::TransactionFailure failure) {
  GatewayError e(code, reason, std::move(message));
  e.extra_details_.emplace_back().PackFrom(failure);
  return e;
}

GatewayError GatewayError::BackendThrottled(std::string backend_type, absl::Duration retry_after) {
  GatewayError e(absl::StatusCode::kResourceExhausted, ::alternator::gateway::v1::BACKEND_THROTTLED,
                 "the database is overloaded; retry after the delay in RetryInfo");
  e.metadata_.emplace_back("backendErrorType", std::move(backend_type));
  e.retry_delay_ = retry_after;
  return e;
}

GatewayError GatewayError::BackendLimitExceeded(std::string backend_message) {
  GatewayError e(absl::StatusCode::kResourceExhausted, ::alternator::gateway::v1::BACKEND_LIMIT_EXCEEDED,
                 absl::StrCat("a database limit was reached: ", backend_message));
  e.retry_delay_ = absl::Seconds(1);
  return e;
}

GatewayError GatewayError::Overloaded(int64_t max_in_flight, absl::Duration retry_after) {
  GatewayError e(absl::StatusCode::kResourceExhausted, ::alternator::gateway::v1::OVERLOADED,
                 "the gateway is at its bound of concurrent calls and shed this one (nothing was done); retry "
                 "after the delay in RetryInfo");
  e.metadata_.emplace_back("maxInFlight", absl::StrCat(max_in_flight));
  e.retry_delay_ = retry_after;
  return e;
}

GatewayError GatewayError::BackendUnavailable(std::string description, absl::Duration retry_after) {
  GatewayError e(absl::StatusCode::kUnavailable, ::alternator::gateway::v1::BACKEND_UNAVAILABLE,
                 absl::StrCat("no database node could be reached (nothing was applied): ", description));
  e.retry_delay_ = retry_after;
  return e;
}

GatewayError GatewayError::BackendReadFailed(std::string description) {
  GatewayError e(absl::StatusCode::kUnavailable, ::alternator::gateway::v1::BACKEND_READ_FAILED,
                 absl::StrCat("the read failed in the database; retrying is safe: ", description));
  e.retry_delay_ = absl::Milliseconds(50);
  return e;
}

GatewayError GatewayError::WriteOutcomeUnknown(std::string description) {
  GatewayError e(absl::StatusCode::kUnknown, ::alternator::gateway::v1::WRITE_OUTCOME_UNKNOWN,
                 absl::StrCat("the write reached the database but its outcome is unknown (it may or may not "
                              "be applied): ",
                              description));
  return e;
}

GatewayError GatewayError::DeadlineExceeded(std::string description) {
  return GatewayError(absl::StatusCode::kDeadlineExceeded, ::alternator::gateway::v1::DEADLINE_EXCEEDED,
                      std::move(description));
}

GatewayError GatewayError::Cancelled() {
  return GatewayError(absl::StatusCode::kCancelled, ::alternator::gateway::v1::CANCELLED,
                      "the call was cancelled");
}

GatewayError GatewayError::ShuttingDown() {
  GatewayError e(absl::StatusCode::kUnavailable, ::alternator::gateway::v1::SHUTTING_DOWN,
                 "the gateway is shutting down and the call did not finish before its drain deadline; nothing "
                 "was applied, retrying is safe");
  e.retry_delay_ = absl::ZeroDuration();
  return e;
}

GatewayError GatewayError::UnsupportedByBackend(std::string operation, std::string backend_message) {
  GatewayError e(absl::StatusCode::kUnimplemented, ::alternator::gateway::v1::UNSUPPORTED_BY_BACKEND,
                 absl::StrCat("the database does not support ", operation, ": ", backend_message));
  e.metadata_.emplace_back("operation", std::move(operation));
  return e;
}

GatewayError GatewayError::BackendAccessDenied(std::string backend_message) {
  return GatewayError(absl::StatusCode::kPermissionDenied, ::alternator::gateway::v1::BACKEND_ACCESS_DENIED,
                      absl::StrCat("the database denied the gateway's role: ", backend_message));
}

GatewayError GatewayError::BackendAuthenticationFailed(std::string backend_type, std::string backend_message) {
  GatewayError e(absl::StatusCode::kInternal, ::alternator::gateway::v1::BACKEND_AUTHENTICATION_FAILED,
                 absl::StrCat("the database rejected the gateway's credentials: ", backend_message));
  e.metadata_.emplace_back("backendErrorType", std::move(backend_type));
  return e;
}

GatewayError GatewayError::BackendError(std::string backend_type, std::string backend_message) {
  GatewayError e(absl::StatusCode::kInternal, ::alternator::gateway::v1::BACKEND_ERROR,
                 absl::StrCat("unexpected database error ", backend_type, ": ", backend_message));
  e.metadata_.emplace_back("backendErrorType", std::move(backend_type));
  return e;
}

GatewayError GatewayError::Internal(std::string description) {
  return GatewayError(absl::StatusCode::kInternal, ::alternator::gateway::v1::INTERNAL_ERROR,
                      std::move(description));
}

GatewayError GatewayError::Unauthenticated(std::string problem, std::string description) {
  GatewayError e(absl::StatusCode::kUnauthenticated, ::alternator::gateway::v1::UNAUTHENTICATED,
                 std::move(description));
  e.metadata_.emplace_back("problem", std::move(problem));
  return e;
}

GatewayError GatewayError::PermissionDenied(std::string principal, std::string table, std::string permission) {
  GatewayError e(absl::StatusCode::kPermissionDenied, ::alternator::gateway::v1::PERMISSION_DENIED,
                 absl::StrCat("principal '", principal, "' lacks the '", permission, "' permission on ",
                              table == "*" ? std::string("all tables ('*')") : absl::StrCat("table '", table, "'")));
  e.metadata_.emplace_back("principal", std::move(principal));
  e.metadata_.emplace_back("table", std::move(table));
  e.metadata_.emplace_back("permission", std::move(permission));
  return e;
}

GatewayError& GatewayError::WithMetadata(std::string key, std::string value) & {
  metadata_.emplace_back(std::move(key), std::move(value));
  return *this;
}

GatewayError&& GatewayError::WithMetadata(std::string key, std::string value) && {
  metadata_.emplace_back(std::move(key), std::move(value));
  return std::move(*this);
}

const std::string& GatewayError::reason_name() const { return ErrorReason_Name(reason_); }

google::rpc::Status GatewayError::ToRpcStatus() const {
  google::rpc::Status status;
  status.set_code(static_cast<int>(code_));
  status.set_message(message_);

  google::rpc::ErrorInfo info;
  info.set_reason(reason_name());
  info.set_domain(kErrorDomain);
  for (const auto& [key, value] : metadata_) (*info.mutable_metadata())[key] = value;
  status.add_details()->PackFrom(info);

  if (!violations_.empty()) {
    google::rpc::BadRequest bad_request;
    for (const FieldViolation& v : violations_) {
      auto* out = bad_request.add_field_violations();
      out->set_field(v.field);
      out->set_description(v.description);
    }
    status.add_details()->PackFrom(bad_request);
  }
  if (resource_) {
    google::rpc::ResourceInfo resource;
    resource.set_resource_type(resource_->type);
    resource.set_resource_name(resource_->name);
    status.add_details()->PackFrom(resource);
  }
  if (precondition_) {
    google::rpc::PreconditionFailure failure;
    auto* v = failure.add_violations();
    v->set_type(precondition_->type);
    v->set_subject(precondition_->subject);
    v->set_description(precondition_->description);
    status.add_details()->PackFrom(failure);
  }
  if (retry_delay_) {
    google::rpc::RetryInfo retry;
    const int64_t nanos = absl::ToInt64Nanoseconds(*retry_delay_);
    retry.mutable_retry_delay()->set_seconds(nanos / 1'000'000'000);
    retry.mutable_retry_delay()->set_nanos(static_cast<int32_t>(nanos % 1'000'000'000));
    status.add_details()->PackFrom(retry);
  }
  for (const auto& any : extra_details_) *status.add_details() = any;
  if (status.ByteSizeLong() > kMaxStatusBytes) OmitItems(status);
  if (status.ByteSizeLong() > kMaxStatusBytes) ShortenTexts(status);
  if (status.ByteSizeLong() > kMaxStatusBytes) DropOperationMessages(status);
  return status;
}

}  // namespace altgw
