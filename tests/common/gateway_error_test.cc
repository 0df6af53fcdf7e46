// GatewayError: every named constructor's gRPC code, ErrorInfo reason and metadata, and exactly which typed
// details ToRpcStatus packs (unpacked and checked field by field). Also ErrorOr's two states.
#include "common/gateway_error.h"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "alternator/gateway/v1/errors.pb.h"
#include "common/error_or.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"

namespace altgw {
namespace {

namespace v1 = ::alternator::gateway::v1;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

// The details of a status, unpacked by type. Each detail type must appear at most once (AIP-193), and the
// unpacking itself must succeed.
struct Details {
  std::optional<google::rpc::ErrorInfo> error_info;
  std::optional<google::rpc::BadRequest> bad_request;
  std::optional<google::rpc::ResourceInfo> resource_info;
  std::optional<google::rpc::PreconditionFailure> precondition_failure;
  std::optional<google::rpc::RetryInfo> retry_info;
  std::optional<v1::ConditionFailure> condition_failure;
  std::vector<std::string> type_urls;
};

template <typename T>
void UnpackInto(const google::protobuf::Any& any, std::optional<T>& slot) {
  ASSERT_FALSE(slot.has_value()) << "detail " << any.type_url() << " appears twice";
  T message;
  ASSERT_TRUE(any.UnpackTo(&message)) << any.type_url();
  slot = std::move(message);
}

Details Unpack(const google::rpc::Status& status) {
  Details d;
  for (const google::protobuf::Any& any : status.details()) {
    d.type_urls.push_back(any.type_url());
    if (any.Is<google::rpc::ErrorInfo>()) {
      UnpackInto(any, d.error_info);
    } else if (any.Is<google::rpc::BadRequest>()) {
      UnpackInto(any, d.bad_request);
    } else if (any.Is<google::rpc::ResourceInfo>()) {
      UnpackInto(any, d.resource_info);
    } else if (any.Is<google::rpc::PreconditionFailure>()) {
      UnpackInto(any, d.precondition_failure);
    } else if (any.Is<google::rpc::RetryInfo>()) {
      UnpackInto(any, d.retry_info);
    } else if (any.Is<v1::ConditionFailure>()) {
      UnpackInto(any, d.condition_failure);
    } else {
      ADD_FAILURE() << "unexpected detail type " << any.type_url();
    }
  }
  return d;
}

std::map<std::string, std::string> MetadataOf(const GatewayError& e) {
  return std::map<std::string, std::string>(e.metadata().begin(), e.metadata().end());
}

std::map<std::string, std::string> InfoMetadata(const google::rpc::ErrorInfo& info) {
  return std::map<std::string, std::string>(info.metadata().begin(), info.metadata().end());
}

absl::Duration DurationOf(const google::rpc::RetryInfo& info) {
  return absl::Seconds(info.retry_delay().seconds()) + absl::Nanoseconds(info.retry_delay().nanos());
}

// Which optional details a constructor produces.
enum DetailBits : unsigned {
  kNone = 0,
  kBadRequest = 1,
  kResource = 2,
  kPrecondition = 4,
  kRetry = 8,
  kConditionFailure = 16,
};

struct ConstructorCase {
  const char* name;
  GatewayError error;
  absl::StatusCode code;
  v1::ErrorReason reason;
  std::map<std::string, std::string> metadata;
  unsigned details;
};

std::vector<ConstructorCase> AllConstructors() {
  v1::ConditionFailure current;
  current.set_item_exists(true);
  (*current.mutable_item())["pk"].set_string_value("k1");
  std::vector<ConstructorCase> cases;
  cases.push_back({"InvalidRequest", GatewayError::InvalidRequest({{"item", "bad"}, {"key", "worse"}}),
                   absl::StatusCode::kInvalidArgument, v1::INVALID_REQUEST, {}, kBadRequest});
  cases.push_back({"InvalidField", GatewayError::InvalidField("page_size", "at most 1000"),
                   absl::StatusCode::kInvalidArgument, v1::INVALID_REQUEST, {}, kBadRequest});
  cases.push_back({"InvalidPageToken", GatewayError::InvalidPageToken("page_token", "forged"),
                   absl::StatusCode::kInvalidArgument, v1::INVALID_PAGE_TOKEN, {}, kBadRequest});
  cases.push_back({"PageTokenExpired", GatewayError::PageTokenExpired("page_token"),
                   absl::StatusCode::kInvalidArgument, v1::PAGE_TOKEN_EXPIRED, {}, kBadRequest});
  cases.push_back({"BackendValidation", GatewayError::BackendValidation("Type mismatch"),
                   absl::StatusCode::kInvalidArgument, v1::BACKEND_VALIDATION_ERROR,
                   {{"backendMessage", "Type mismatch"}}, kNone});
  cases.push_back({"RequestTooLarge", GatewayError::RequestTooLarge("over 16 MB"),
                   absl::StatusCode::kInvalidArgument, v1::REQUEST_TOO_LARGE, {}, kNone});
  cases.push_back({"TableNotFound", GatewayError::TableNotFound("orders"), absl::StatusCode::kNotFound,
                   v1::TABLE_NOT_FOUND, {{"table", "orders"}}, kResource});
  cases.push_back({"IndexNotFound", GatewayError::IndexNotFound("orders", "by_date"), absl::StatusCode::kNotFound,
                   v1::INDEX_NOT_FOUND, {{"table", "orders"}, {"index", "by_date"}}, kResource});
  cases.push_back({"TableAlreadyExists", GatewayError::TableAlreadyExists("orders"),
                   absl::StatusCode::kAlreadyExists, v1::TABLE_ALREADY_EXISTS, {{"table", "orders"}}, kResource});
  cases.push_back({"TableInUse", GatewayError::TableInUse("orders", "being deleted"),
                   absl::StatusCode::kFailedPrecondition, v1::TABLE_IN_USE, {{"table", "orders"}},
                   kResource | kPrecondition});
  cases.push_back({"ConditionFailed(no item)", GatewayError::ConditionFailed("orders", std::nullopt),
                   absl::StatusCode::kFailedPrecondition, v1::CONDITION_FAILED, {{"table", "orders"}},
                   kPrecondition});
  cases.push_back({"ConditionFailed(item)", GatewayError::ConditionFailed("orders", current),
                   absl::StatusCode::kFailedPrecondition, v1::CONDITION_FAILED, {{"table", "orders"}},
                   kPrecondition | kConditionFailure});
  cases.push_back({"ItemCollectionTooLarge", GatewayError::ItemCollectionTooLarge("10 GB"),
                   absl::StatusCode::kFailedPrecondition, v1::ITEM_COLLECTION_TOO_LARGE, {}, kNone});
  cases.push_back({"BackendThrottled", GatewayError::BackendThrottled("ThrottlingException", absl::Milliseconds(250)),
                   absl::StatusCode::kResourceExhausted, v1::BACKEND_THROTTLED,
                   {{"backendErrorType", "ThrottlingException"}}, kRetry});
  cases.push_back({"BackendLimitExceeded", GatewayError::BackendLimitExceeded("too many tables"),
                   absl::StatusCode::kResourceExhausted, v1::BACKEND_LIMIT_EXCEEDED, {}, kRetry});
  cases.push_back({"BackendUnavailable", GatewayError::BackendUnavailable("connect refused", absl::Seconds(2)),
                   absl::StatusCode::kUnavailable, v1::BACKEND_UNAVAILABLE, {}, kRetry});
  cases.push_back({"BackendReadFailed", GatewayError::BackendReadFailed("HTTP 500"), absl::StatusCode::kUnavailable,
                   v1::BACKEND_READ_FAILED, {}, kRetry});
  cases.push_back({"WriteOutcomeUnknown", GatewayError::WriteOutcomeUnknown("HTTP 500"),
                   absl::StatusCode::kUnknown, v1::WRITE_OUTCOME_UNKNOWN, {}, kNone});
  cases.push_back({"DeadlineExceeded", GatewayError::DeadlineExceeded("too late"),
                   absl::StatusCode::kDeadlineExceeded, v1::DEADLINE_EXCEEDED, {}, kNone});
  cases.push_back({"Cancelled", GatewayError::Cancelled(), absl::StatusCode::kCancelled, v1::CANCELLED, {}, kNone});
  cases.push_back({"Overloaded", GatewayError::Overloaded(64, absl::Milliseconds(100)),
                   absl::StatusCode::kResourceExhausted, v1::OVERLOADED, {{"maxInFlight", "64"}}, kRetry});
  cases.push_back({"ShuttingDown", GatewayError::ShuttingDown(), absl::StatusCode::kUnavailable, v1::SHUTTING_DOWN,
                   {}, kRetry});
  cases.push_back({"UnsupportedByBackend", GatewayError::UnsupportedByBackend("TransactWriteItems", "Unsupported"),
                   absl::StatusCode::kUnimplemented, v1::UNSUPPORTED_BY_BACKEND,
                   {{"operation", "TransactWriteItems"}}, kNone});
  cases.push_back({"BackendAccessDenied", GatewayError::BackendAccessDenied("no SELECT"),
                   absl::StatusCode::kPermissionDenied, v1::BACKEND_ACCESS_DENIED, {}, kNone});
  cases.push_back({"BackendAuthenticationFailed",
                   GatewayError::BackendAuthenticationFailed("InvalidSignatureException", "bad sig"),
                   absl::StatusCode::kInternal, v1::BACKEND_AUTHENTICATION_FAILED,
                   {{"backendErrorType", "InvalidSignatureException"}}, kNone});
  cases.push_back({"BackendError", GatewayError::BackendError("WeirdException", "huh"), absl::StatusCode::kInternal,
                   v1::BACKEND_ERROR, {{"backendErrorType", "WeirdException"}}, kNone});
  cases.push_back({"Internal", GatewayError::Internal("bug"), absl::StatusCode::kInternal, v1::INTERNAL_ERROR, {},
                   kNone});
  return cases;
}

// Code, reason, metadata and the set of packed details, for every named constructor.
TEST(GatewayErrorTest, EveryConstructorHasItsCodeReasonMetadataAndDetails) {
  for (const ConstructorCase& c : AllConstructors()) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(c.error.code(), c.code);
    EXPECT_EQ(c.error.reason(), c.reason);
    EXPECT_EQ(c.error.reason_name(), v1::ErrorReason_Name(c.reason));
    EXPECT_EQ(MetadataOf(c.error), c.metadata);
    EXPECT_FALSE(c.error.message().empty());

    const google::rpc::Status status = c.error.ToRpcStatus();
    EXPECT_EQ(status.code(), static_cast<int>(c.code));
    EXPECT_EQ(status.message(), c.error.message());
    const Details d = Unpack(status);
    ASSERT_TRUE(d.error_info.has_value());
    EXPECT_EQ(d.error_info->domain(), "alternator-gateway");
    EXPECT_EQ(d.error_info->domain(), kErrorDomain);
    EXPECT_EQ(d.error_info->reason(), v1::ErrorReason_Name(c.reason));
    EXPECT_EQ(InfoMetadata(*d.error_info),
              c.metadata);
    // ErrorInfo always comes first, so clients that read only details[0] still find the reason.
    ASSERT_FALSE(status.details().empty());
    EXPECT_TRUE(status.details(0).Is<google::rpc::ErrorInfo>());

    EXPECT_EQ(d.bad_request.has_value(), (c.details & kBadRequest) != 0);
    EXPECT_EQ(d.resource_info.has_value(), (c.details & kResource) != 0);
    EXPECT_EQ(d.precondition_failure.has_value(), (c.details & kPrecondition) != 0);
    EXPECT_EQ(d.retry_info.has_value(), (c.details & kRetry) != 0);
    EXPECT_EQ(c.error.retry_delay().has_value(), (c.details & kRetry) != 0);
    EXPECT_EQ(d.condition_failure.has_value(), (c.details & kConditionFailure) != 0);
  }
}

// The status codes say what the caller should do (errors.proto): the reasons of one code never drift.
TEST(GatewayErrorTest, EachReasonComesWithItsDocumentedCode) {
  const std::map<v1::ErrorReason, absl::StatusCode> documented = {
      {v1::INVALID_REQUEST, absl::StatusCode::kInvalidArgument},
      {v1::INVALID_PAGE_TOKEN, absl::StatusCode::kInvalidArgument},
      {v1::PAGE_TOKEN_EXPIRED, absl::StatusCode::kInvalidArgument},
      {v1::BACKEND_VALIDATION_ERROR, absl::StatusCode::kInvalidArgument},
      {v1::REQUEST_TOO_LARGE, absl::StatusCode::kInvalidArgument},
      {v1::TABLE_NOT_FOUND, absl::StatusCode::kNotFound},
      {v1::INDEX_NOT_FOUND, absl::StatusCode::kNotFound},
      {v1::TABLE_ALREADY_EXISTS, absl::StatusCode::kAlreadyExists},
      {v1::TABLE_IN_USE, absl::StatusCode::kFailedPrecondition},
      {v1::CONDITION_FAILED, absl::StatusCode::kFailedPrecondition},
      {v1::ITEM_COLLECTION_TOO_LARGE, absl::StatusCode::kFailedPrecondition},
      {v1::BACKEND_THROTTLED, absl::StatusCode::kResourceExhausted},
      {v1::BACKEND_LIMIT_EXCEEDED, absl::StatusCode::kResourceExhausted},
      {v1::OVERLOADED, absl::StatusCode::kResourceExhausted},
      {v1::SHUTTING_DOWN, absl::StatusCode::kUnavailable},
      {v1::BACKEND_UNAVAILABLE, absl::StatusCode::kUnavailable},
      {v1::BACKEND_READ_FAILED, absl::StatusCode::kUnavailable},
      {v1::WRITE_OUTCOME_UNKNOWN, absl::StatusCode::kUnknown},
      {v1::DEADLINE_EXCEEDED, absl::StatusCode::kDeadlineExceeded},
      {v1::CANCELLED, absl::StatusCode::kCancelled},
      {v1::UNSUPPORTED_BY_BACKEND, absl::StatusCode::kUnimplemented},
      {v1::BACKEND_ACCESS_DENIED, absl::StatusCode::kPermissionDenied},
      {v1::BACKEND_AUTHENTICATION_FAILED, absl::StatusCode::kInternal},
      {v1::BACKEND_ERROR, absl::StatusCode::kInternal},
      {v1::INTERNAL_ERROR, absl::StatusCode::kInternal},
  };
  std::map<v1::ErrorReason, int> seen;
  for (const ConstructorCase& c : AllConstructors()) {
    ASSERT_TRUE(documented.count(c.reason)) << c.name;
    EXPECT_EQ(c.error.code(), documented.at(c.reason)) << c.name;
    ++seen[c.reason];
  }
  // Every documented reason has a constructor.
  for (const auto& [reason, code] : documented) {
    EXPECT_TRUE(seen.count(reason)) << "no constructor produces " << v1::ErrorReason_Name(reason);
  }
}

TEST(GatewayErrorTest, InvalidRequestListsEveryViolationInBadRequest) {
  const GatewayError e = GatewayError::InvalidRequest(
      {{"item[\"a\"]", "value has no kind set"}, {"condition.comparison.comparator", "comparator must be set"}});
  EXPECT_EQ(e.field_violations().size(), 2u);
  const Details d = Unpack(e.ToRpcStatus());
  ASSERT_TRUE(d.bad_request.has_value());
  ASSERT_EQ(d.bad_request->field_violations_size(), 2);
  EXPECT_EQ(d.bad_request->field_violations(0).field(), "item[\"a\"]");
  EXPECT_EQ(d.bad_request->field_violations(0).description(), "value has no kind set");
  EXPECT_EQ(d.bad_request->field_violations(1).field(), "condition.comparison.comparator");
  EXPECT_EQ(d.bad_request->field_violations(1).description(), "comparator must be set");
  // The message summarises the first violation and counts the others.
  EXPECT_THAT(e.message(), HasSubstr("item[\"a\"]: value has no kind set"));
  EXPECT_THAT(e.message(), HasSubstr("and 1 more"));
}

TEST(GatewayErrorTest, InvalidRequestMessageForOneViolationAndForTheWholeRequest) {
  EXPECT_EQ(GatewayError::InvalidField("page_size", "at most 1000").message(), "page_size: at most 1000");
  // An empty field name means the whole request.
  EXPECT_EQ(GatewayError::InvalidField("", "empty").message(), "request: empty");
  // No violation at all still yields a sensible message and no (empty) BadRequest.
  const GatewayError none = GatewayError::InvalidRequest({});
  EXPECT_EQ(none.message(), "invalid request");
  EXPECT_FALSE(Unpack(none.ToRpcStatus()).bad_request.has_value());
}

TEST(GatewayErrorTest, PageTokenErrorsNameTheTokenField) {
  const Details invalid = Unpack(GatewayError::InvalidPageToken("page_token", "forged").ToRpcStatus());
  ASSERT_TRUE(invalid.bad_request.has_value());
  ASSERT_EQ(invalid.bad_request->field_violations_size(), 1);
  EXPECT_EQ(invalid.bad_request->field_violations(0).field(), "page_token");
  EXPECT_EQ(invalid.bad_request->field_violations(0).description(), "forged");

  const GatewayError expired = GatewayError::PageTokenExpired("page_token");
  EXPECT_THAT(expired.message(), HasSubstr("expired"));
  const Details d = Unpack(expired.ToRpcStatus());
  ASSERT_TRUE(d.bad_request.has_value());
  ASSERT_EQ(d.bad_request->field_violations_size(), 1);
  EXPECT_EQ(d.bad_request->field_violations(0).field(), "page_token");
}

TEST(GatewayErrorTest, ResourceInfoNamesTheTableOrIndex) {
  {
    const Details d = Unpack(GatewayError::TableNotFound("orders").ToRpcStatus());
    ASSERT_TRUE(d.resource_info.has_value());
    EXPECT_EQ(d.resource_info->resource_type(), "table");
    EXPECT_EQ(d.resource_info->resource_name(), "orders");
  }
  {
    const Details d = Unpack(GatewayError::IndexNotFound("orders", "by_date").ToRpcStatus());
    ASSERT_TRUE(d.resource_info.has_value());
    EXPECT_EQ(d.resource_info->resource_type(), "index");
    EXPECT_EQ(d.resource_info->resource_name(), "orders/by_date");
  }
  {
    const Details d = Unpack(GatewayError::TableAlreadyExists("orders").ToRpcStatus());
    ASSERT_TRUE(d.resource_info.has_value());
    EXPECT_EQ(d.resource_info->resource_type(), "table");
    EXPECT_EQ(d.resource_info->resource_name(), "orders");
  }
  {
    const Details d = Unpack(GatewayError::TableInUse("orders", "being deleted").ToRpcStatus());
    ASSERT_TRUE(d.resource_info.has_value());
    EXPECT_EQ(d.resource_info->resource_name(), "orders");
    ASSERT_TRUE(d.precondition_failure.has_value());
    ASSERT_EQ(d.precondition_failure->violations_size(), 1);
    EXPECT_EQ(d.precondition_failure->violations(0).type(), "TABLE_STATE");
    EXPECT_EQ(d.precondition_failure->violations(0).subject(), "orders");
    EXPECT_EQ(d.precondition_failure->violations(0).description(), "being deleted");
  }
}

TEST(GatewayErrorTest, ConditionFailedWithoutItemHasOnlyPreconditionFailure) {
  const GatewayError e = GatewayError::ConditionFailed("orders", std::nullopt);
  const Details d = Unpack(e.ToRpcStatus());
  ASSERT_TRUE(d.precondition_failure.has_value());
  ASSERT_EQ(d.precondition_failure->violations_size(), 1);
  EXPECT_EQ(d.precondition_failure->violations(0).type(), "CONDITION");
  EXPECT_EQ(d.precondition_failure->violations(0).subject(), "orders");
  EXPECT_FALSE(d.condition_failure.has_value());
  EXPECT_FALSE(d.resource_info.has_value());
}

TEST(GatewayErrorTest, ConditionFailedCarriesTheCurrentItemWhenAskedFor) {
  v1::ConditionFailure current;
  current.set_item_exists(true);
  (*current.mutable_item())["pk"].set_string_value("k1");
  (*current.mutable_item())["n"].mutable_number_value()->set_integer(7);
  const Details d = Unpack(GatewayError::ConditionFailed("orders", current).ToRpcStatus());
  ASSERT_TRUE(d.condition_failure.has_value());
  EXPECT_TRUE(d.condition_failure->item_exists());
  ASSERT_EQ(d.condition_failure->item().size(), 2u);
  EXPECT_EQ(d.condition_failure->item().at("pk").string_value(), "k1");
  EXPECT_EQ(d.condition_failure->item().at("n").number_value().integer(), 7);

  // A missing item is reported as such (item_exists false, no attributes), not as "no detail".
  const Details missing = Unpack(GatewayError::ConditionFailed("orders", v1::ConditionFailure()).ToRpcStatus());
  ASSERT_TRUE(missing.condition_failure.has_value());
  EXPECT_FALSE(missing.condition_failure->item_exists());
  EXPECT_TRUE(missing.condition_failure->item().empty());
}

// Trailers above ~8 KiB are refused by gRPC clients, so the status stays under 4 KiB whatever the error.
constexpr size_t kStatusBudget = 4096;

TEST(GatewayErrorTest, LargeCurrentItemIsOmittedAndSaidSo) {
  v1::ConditionFailure current;
  current.set_item_exists(true);
  (*current.mutable_item())["pk"].set_string_value("k1");
  (*current.mutable_item())["blob"].set_bytes_value(std::string(100'000, 'x'));
  const google::rpc::Status status = GatewayError::ConditionFailed("orders", current).ToRpcStatus();
  EXPECT_LE(status.ByteSizeLong(), kStatusBudget);
  const Details d = Unpack(status);
  ASSERT_TRUE(d.condition_failure.has_value());
  EXPECT_TRUE(d.condition_failure->item_exists());
  EXPECT_TRUE(d.condition_failure->item_omitted());
  EXPECT_TRUE(d.condition_failure->item().empty());
  ASSERT_TRUE(d.error_info.has_value());
  EXPECT_EQ(d.error_info->reason(), "CONDITION_FAILED");

  // A small item is kept whole and not marked.
  v1::ConditionFailure small;
  small.set_item_exists(true);
  (*small.mutable_item())["blob"].set_bytes_value(std::string(1000, 'x'));
  const Details kept = Unpack(GatewayError::ConditionFailed("orders", small).ToRpcStatus());
  EXPECT_FALSE(kept.condition_failure->item_omitted());
  EXPECT_EQ(kept.condition_failure->item().at("blob").bytes_value().size(), 1000u);
}

TEST(GatewayErrorTest, TransactionFailureItemsAreOmittedWhenTooLarge) {
  v1::TransactionFailure failure;
  for (int i = 0; i < 100; ++i) {
    v1::OperationFailure* operation = failure.add_operations();
    operation->set_reason(i == 7 ? "CONDITION_FAILED" : "");
    operation->set_message(std::string(300, 'm'));
    operation->set_item_exists(true);
    (*operation->mutable_item())["v"].set_string_value(std::string(500, 'v'));
  }
  const google::rpc::Status status = GatewayError::TransactionCancelled(
      absl::StatusCode::kFailedPrecondition, v1::CONDITION_FAILED, "operation 7 failed", failure).ToRpcStatus();
  EXPECT_LE(status.ByteSizeLong(), kStatusBudget);
  v1::TransactionFailure sent;
  bool found = false;
  for (const auto& any : status.details()) found = found || any.UnpackTo(&sent);
  ASSERT_TRUE(found);
  ASSERT_EQ(sent.operations_size(), 100);  // every operation is still listed, in order
  EXPECT_EQ(sent.operations(7).reason(), "CONDITION_FAILED");
  EXPECT_TRUE(sent.operations(7).item_omitted());
  EXPECT_TRUE(sent.operations(7).item().empty());
}

TEST(GatewayErrorTest, ManyLongViolationsAreCutAndCounted) {
  std::vector<FieldViolation> violations;
  for (int i = 0; i < 200; ++i) {
    violations.push_back({absl::StrCat("items[", i, "].", std::string(300, 'a')), std::string(200, 'd')});
  }
  const google::rpc::Status status = GatewayError::InvalidRequest(violations).ToRpcStatus();
  EXPECT_LE(status.ByteSizeLong(), kStatusBudget);
  const Details d = Unpack(status);
  ASSERT_TRUE(d.bad_request.has_value());
  const int kept = d.bad_request->field_violations_size();
  EXPECT_GT(kept, 0);
  EXPECT_LT(kept, 200);
  // The first violations are the ones kept, shortened but still naming their field.
  EXPECT_THAT(d.bad_request->field_violations(0).field(), ::testing::StartsWith("items[0]."));
  EXPECT_EQ(InfoMetadata(*d.error_info).at("violations_omitted"), absl::StrCat(200 - kept));
}

TEST(GatewayErrorTest, RetryInfoCarriesTheExactDelay) {
  struct Case {
    GatewayError error;
    absl::Duration delay;
  };
  const std::vector<Case> cases = {
      {GatewayError::BackendThrottled("ThrottlingException", absl::Milliseconds(100)), absl::Milliseconds(100)},
      {GatewayError::BackendThrottled("RequestLimitExceeded", absl::Seconds(3) + absl::Nanoseconds(7)),
       absl::Seconds(3) + absl::Nanoseconds(7)},
      {GatewayError::BackendUnavailable("down", absl::Milliseconds(1500)), absl::Milliseconds(1500)},
      {GatewayError::BackendUnavailable("down", absl::ZeroDuration()), absl::ZeroDuration()},
      {GatewayError::BackendReadFailed("500"), absl::Milliseconds(50)},
      {GatewayError::BackendLimitExceeded("limit"), absl::Seconds(1)},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.error.reason_name());
    ASSERT_TRUE(c.error.retry_delay().has_value());
    EXPECT_EQ(*c.error.retry_delay(), c.delay);
    const Details d = Unpack(c.error.ToRpcStatus());
    ASSERT_TRUE(d.retry_info.has_value());
    EXPECT_EQ(DurationOf(*d.retry_info), c.delay);
    EXPECT_GE(d.retry_info->retry_delay().nanos(), 0);
    EXPECT_LT(d.retry_info->retry_delay().nanos(), 1'000'000'000);
  }
  // 1.5 s is {seconds: 1, nanos: 500000000}, not {0, 1500000000}.
  const Details d = Unpack(GatewayError::BackendUnavailable("x", absl::Milliseconds(1500)).ToRpcStatus());
  EXPECT_EQ(d.retry_info->retry_delay().seconds(), 1);
  EXPECT_EQ(d.retry_info->retry_delay().nanos(), 500'000'000);
}

// A write whose outcome is unknown must never look retryable (service-conventions: no UNAVAILABLE, no
// RetryInfo).
TEST(GatewayErrorTest, WriteOutcomeUnknownIsNeverRetryable) {
  const GatewayError e = GatewayError::WriteOutcomeUnknown("HTTP 500 InternalServerError");
  EXPECT_NE(e.code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(e.retry_delay().has_value());
  EXPECT_FALSE(Unpack(e.ToRpcStatus()).retry_info.has_value());
  EXPECT_THAT(e.message(), HasSubstr("HTTP 500 InternalServerError"));
  EXPECT_THAT(e.message(), HasSubstr("may or may not"));
}

TEST(GatewayErrorTest, MessagesCarryTheDynamicPartsForDevelopers) {
  EXPECT_THAT(GatewayError::TableNotFound("orders").message(), HasSubstr("'orders'"));
  EXPECT_THAT(GatewayError::IndexNotFound("orders", "by_date").message(), HasSubstr("'by_date'"));
  EXPECT_THAT(GatewayError::BackendValidation("Type mismatch").message(), HasSubstr("Type mismatch"));
  EXPECT_THAT(GatewayError::BackendError("WeirdException", "huh").message(), HasSubstr("WeirdException"));
  EXPECT_THAT(GatewayError::UnsupportedByBackend("TransactGetItems", "nope").message(),
              HasSubstr("TransactGetItems"));
  EXPECT_EQ(GatewayError::Internal("bug in X").message(), "bug in X");
  EXPECT_EQ(GatewayError::DeadlineExceeded("too late").message(), "too late");
}

TEST(GatewayErrorTest, WithMetadataAddsFactsOnLvaluesAndRvalues) {
  GatewayError e = GatewayError::Internal("x");
  e.WithMetadata("node", "10.0.0.1").WithMetadata("attempt", "2");
  EXPECT_THAT(e.metadata(), ElementsAre(Pair("node", "10.0.0.1"), Pair("attempt", "2")));

  const GatewayError r = GatewayError::TableNotFound("orders").WithMetadata("operation", "GetItem");
  EXPECT_THAT(MetadataOf(r), UnorderedElementsAre(Pair("table", "orders"), Pair("operation", "GetItem")));
  const Details d = Unpack(r.ToRpcStatus());
  EXPECT_THAT(InfoMetadata(*d.error_info),
              UnorderedElementsAre(Pair("table", "orders"), Pair("operation", "GetItem")));
}

TEST(GatewayErrorTest, StatusSurvivesSerialisation) {
  const google::rpc::Status status = GatewayError::IndexNotFound("orders", "by_date").ToRpcStatus();
  google::rpc::Status parsed;
  ASSERT_TRUE(parsed.ParseFromString(status.SerializeAsString()));
  const Details d = Unpack(parsed);
  ASSERT_TRUE(d.error_info.has_value());
  EXPECT_EQ(d.error_info->reason(), "INDEX_NOT_FOUND");
  EXPECT_EQ(parsed.code(), static_cast<int>(absl::StatusCode::kNotFound));
}

TEST(ErrorOrTest, HoldsAValueOrAnError) {
  ErrorOr<std::string> value = std::string("hello");
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(*value, "hello");
  EXPECT_EQ(value->size(), 5u);
  value.value() += "!";
  EXPECT_EQ(value.value(), "hello!");
  EXPECT_EQ(std::move(value).value(), "hello!");

  ErrorOr<std::string> error = GatewayError::TableNotFound("orders");
  ASSERT_FALSE(error.ok());
  EXPECT_EQ(error.error().reason(), v1::TABLE_NOT_FOUND);
  GatewayError moved = std::move(error).error();
  EXPECT_EQ(moved.code(), absl::StatusCode::kNotFound);
}

TEST(ErrorOrTest, ValueMayItselfBeMoveOnly) {
  ErrorOr<std::unique_ptr<int>> p = std::make_unique<int>(42);
  ASSERT_TRUE(p.ok());
  std::unique_ptr<int> taken = std::move(p).value();
  EXPECT_EQ(*taken, 42);
}

}  // namespace
}  // namespace altgw
