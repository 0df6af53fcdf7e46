#include "altgw_client/error.h"

#include "absl/strings/str_cat.h"
#include "google/rpc/error_details.pb.h"

namespace altgw::client {
namespace {

constexpr const char* kCodeNames[] = {
    "OK",       "CANCELLED",         "UNKNOWN",           "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
    "NOT_FOUND", "ALREADY_EXISTS",   "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED",  "OUT_OF_RANGE",      "UNIMPLEMENTED",     "INTERNAL",         "UNAVAILABLE",
    "DATA_LOSS", "UNAUTHENTICATED"};

}  // namespace

Error Error::FromStatus(const grpc::Status& status) {
  Error error;
  error.code_ = status.error_code();
  error.message_ = status.error_message();
  if (status.error_details().empty() || !error.status_.ParseFromString(status.error_details())) {
    error.status_.Clear();
    return error;
  }
  for (const google::protobuf::Any& detail : error.status_.details()) {
    if (google::rpc::ErrorInfo info; detail.UnpackTo(&info)) {
      error.reason_ = info.reason();
      error.domain_ = info.domain();
      error.metadata_.insert(info.metadata().begin(), info.metadata().end());
    } else if (google::rpc::BadRequest bad; detail.UnpackTo(&bad)) {
      for (const auto& v : bad.field_violations()) {
        error.field_violations_.push_back({v.field(), v.description()});
      }
    } else if (google::rpc::RetryInfo retry; detail.UnpackTo(&retry)) {
      error.retry_delay_ = absl::Seconds(retry.retry_delay().seconds()) +
                           absl::Nanoseconds(retry.retry_delay().nanos());
    } else if (google::rpc::ResourceInfo resource; detail.UnpackTo(&resource)) {
      error.resource_ = Resource{resource.resource_type(), resource.resource_name()};
    } else if (google::rpc::PreconditionFailure failure; detail.UnpackTo(&failure)) {
      for (const auto& v : failure.violations()) {
        error.precondition_violations_.push_back({v.type(), v.subject(), v.description()});
      }
    } else if (::alternator::gateway::v1::ConditionFailure condition; detail.UnpackTo(&condition)) {
      error.condition_failure_ = std::move(condition);
    } else if (::alternator::gateway::v1::TransactionFailure transaction; detail.UnpackTo(&transaction)) {
      error.transaction_failure_ = std::move(transaction);
    }
  }
  return error;
}

Error Error::Local(grpc::StatusCode code, std::string reason, std::string message) {
  Error error;
  error.code_ = code;
  error.reason_ = std::move(reason);
  error.domain_ = kClientErrorDomain;
  error.message_ = std::move(message);
  return error;
}

std::string Error::code_name() const {
  const int index = static_cast<int>(code_);
  if (index >= 0 && index < static_cast<int>(std::size(kCodeNames))) return kCodeNames[index];
  return absl::StrCat("CODE_", index);
}

std::string Error::ToString() const {
  std::string out = code_name();
  if (!reason_.empty()) absl::StrAppend(&out, " ", reason_);
  absl::StrAppend(&out, ": ", message_);
  if (!field_violations_.empty()) {
    out += " (";
    for (size_t i = 0; i < field_violations_.size(); ++i) {
      if (i > 0) out += "; ";
      absl::StrAppend(&out, field_violations_[i].field, ": ", field_violations_[i].description);
    }
    out += ")";
  }
  if (attempts_ > 1) absl::StrAppend(&out, " [after ", attempts_, " attempts]");
  return out;
}

}  // namespace altgw::client
