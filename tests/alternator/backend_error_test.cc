// ParseBackendError (DynamoDB Local, Alternator and non-JSON bodies) and MapBackendError, case by case:
// (error type, HTTP status, access kind) -> (gRPC code, reason, retry class), plus the details each mapping
// carries (ConditionFailure item, table names, backend error types).
#include "alternator/backend_error.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "alternator/gateway/v1/errors.pb.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"

namespace altgw::alternator {
namespace {

namespace v1 = ::alternator::gateway::v1;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Pair;

model::BackendCall Call(const char* operation, model::AccessKind access, std::string table = "orders") {
  model::BackendCall call;
  call.operation = operation;
  call.access = access;
  call.table = std::move(table);
  return call;
}

std::string AlternatorBody(const std::string& type, const std::string& message) {
  return absl::StrCat(R"({"__type":"com.amazonaws.dynamodb.v20120810#)", type, R"(","message":")", message, R"("})");
}

// ---------------------------------------------------------------------------------------------------------
// Parsing

TEST(ParseBackendErrorTest, DynamoDbLocalValidationStyle) {
  const BackendErrorBody e = ParseBackendError(
      R"({"__type":"com.amazon.coral.validate#ValidationException","Message":"One or more parameter values were invalid"})");
  EXPECT_EQ(e.type, "ValidationException");
  EXPECT_EQ(e.message, "One or more parameter values were invalid");
  EXPECT_TRUE(e.body.is_object());
}

TEST(ParseBackendErrorTest, AlternatorStyleWithLowercaseMessage) {
  const BackendErrorBody e = ParseBackendError(AlternatorBody("ResourceNotFoundException", "Requested resource not found"));
  EXPECT_EQ(e.type, "ResourceNotFoundException");
  EXPECT_EQ(e.message, "Requested resource not found");
}

TEST(ParseBackendErrorTest, ConditionalCheckFailedKeepsTheItem) {
  const BackendErrorBody e = ParseBackendError(
      R"({"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","Message":"The conditional request failed","Item":{"pk":{"S":"a"}}})");
  EXPECT_EQ(e.type, "ConditionalCheckFailedException");
  EXPECT_EQ(e.body["Item"]["pk"]["S"], "a");
}

TEST(ParseBackendErrorTest, TypesWithoutNamespaceAndOddShapes) {
  EXPECT_EQ(ParseBackendError(R"({"__type":"ThrottlingException"})").type, "ThrottlingException");
  EXPECT_EQ(ParseBackendError(R"({"__type":"a#b#LimitExceededException"})").type, "LimitExceededException");
  EXPECT_EQ(ParseBackendError(R"({"__type":7,"message":"x"})").type, "");
  EXPECT_EQ(ParseBackendError(R"({"message":"only a message"})").message, "only a message");
  EXPECT_EQ(ParseBackendError(R"({"message":5,"Message":"second"})").message, "second");
  EXPECT_EQ(ParseBackendError(R"({"message":"first","Message":"second"})").message, "first");
  EXPECT_EQ(ParseBackendError(R"({})").type, "");
}

TEST(ParseBackendErrorTest, NonJsonBodiesKeepAPrefixOfTheText) {
  {
    const BackendErrorBody e = ParseBackendError("Service Unavailable");
    EXPECT_EQ(e.type, "");
    EXPECT_EQ(e.message, "Service Unavailable");
    EXPECT_TRUE(e.body.is_object());
    EXPECT_TRUE(e.body.empty());
  }
  {
    const BackendErrorBody e = ParseBackendError("");
    EXPECT_EQ(e.type, "");
    EXPECT_EQ(e.message, "");
  }
  {
    const BackendErrorBody e = ParseBackendError("[1, 2]");  // JSON, but not an object
    EXPECT_EQ(e.type, "");
    EXPECT_TRUE(e.body.is_object());
  }
  {
    const std::string html = "<html><body>" + std::string(1000, 'x') + "</body></html>";
    const BackendErrorBody e = ParseBackendError(html);
    EXPECT_EQ(e.message, html.substr(0, 200));
  }
}

// The message ends up in google.rpc.Status (proto3 strings must be valid UTF-8, or clients fail to parse the
// details): a cut through a multi-byte character, or invalid bytes, must not survive.
TEST(ParseBackendErrorTest, NonJsonMessagesAreValidUtf8) {
  std::string text(199, 'a');
  text += "\xE2\x82\xAC tail";  // the euro sign straddles the 200-byte cut
  const BackendErrorBody cut = ParseBackendError(text);
  EXPECT_EQ(cut.message, std::string(199, 'a'));

  const BackendErrorBody invalid = ParseBackendError("bad \xff\xfe bytes \xC3");
  EXPECT_EQ(invalid.message.find('\xff'), std::string::npos);
  EXPECT_EQ(invalid.message.find('\xfe'), std::string::npos);
  EXPECT_THAT(invalid.message, HasSubstr("bad "));
  EXPECT_THAT(invalid.message, HasSubstr(" bytes"));

  // Valid multi-byte text is kept as it is.
  const BackendErrorBody ok = ParseBackendError("caf\xC3\xA9 \xF0\x9F\x98\x80");
  EXPECT_EQ(ok.message, "caf\xC3\xA9 \xF0\x9F\x98\x80");

  // And the resulting status serialises and parses back.
  const MappedError mapped = MapBackendError(502, invalid, Call("GetItem", model::AccessKind::kRead));
  google::rpc::Status parsed;
  ASSERT_TRUE(parsed.ParseFromString(mapped.error.ToRpcStatus().SerializeAsString()));
}

// ---------------------------------------------------------------------------------------------------------
// Mapping, case by case

struct MappingCase {
  std::string type;
  int http_status;
  const char* operation;
  model::AccessKind access;
  absl::StatusCode code;
  v1::ErrorReason reason;
  Retry retry;
};

std::string RetryName(Retry r) {
  switch (r) {
    case Retry::kNever:
      return "kNever";
    case Retry::kWithBackoff:
      return "kWithBackoff";
    case Retry::kIfIdempotent:
      return "kIfIdempotent";
  }
  return "?";
}

TEST(MapBackendErrorTest, EveryTypeMapsDeliberately) {
  using model::AccessKind;
  constexpr AccessKind kRead = AccessKind::kRead;
  constexpr AccessKind kWrite = AccessKind::kWrite;
  constexpr AccessKind kSchema = AccessKind::kSchema;
  const MappingCase cases[] = {
      // Conditions.
      {"ConditionalCheckFailedException", 400, "PutItem", kWrite, absl::StatusCode::kFailedPrecondition,
       v1::CONDITION_FAILED, Retry::kNever},
      // Resources.
      {"ResourceNotFoundException", 400, "GetItem", kRead, absl::StatusCode::kNotFound, v1::TABLE_NOT_FOUND,
       Retry::kNever},
      {"ResourceNotFoundException", 400, "DeleteTable", kSchema, absl::StatusCode::kNotFound, v1::TABLE_NOT_FOUND,
       Retry::kNever},
      {"ResourceInUseException", 400, "CreateTable", kSchema, absl::StatusCode::kAlreadyExists,
       v1::TABLE_ALREADY_EXISTS, Retry::kNever},
      {"ResourceInUseException", 400, "DeleteTable", kSchema, absl::StatusCode::kFailedPrecondition, v1::TABLE_IN_USE,
       Retry::kNever},
      // Bad requests.
      {"ValidationException", 400, "PutItem", kWrite, absl::StatusCode::kInvalidArgument,
       v1::BACKEND_VALIDATION_ERROR, Retry::kNever},
      {"ValidationException", 400, "Query", kRead, absl::StatusCode::kInvalidArgument, v1::BACKEND_VALIDATION_ERROR,
       Retry::kNever},
      {"SerializationException", 400, "PutItem", kWrite, absl::StatusCode::kInternal, v1::BACKEND_ERROR,
       Retry::kNever},
      // Permissions and credentials.
      {"AccessDeniedException", 400, "GetItem", kRead, absl::StatusCode::kPermissionDenied, v1::BACKEND_ACCESS_DENIED,
       Retry::kNever},
      {"UnrecognizedClientException", 400, "GetItem", kRead, absl::StatusCode::kInternal,
       v1::BACKEND_AUTHENTICATION_FAILED, Retry::kNever},
      {"InvalidSignatureException", 400, "PutItem", kWrite, absl::StatusCode::kInternal,
       v1::BACKEND_AUTHENTICATION_FAILED, Retry::kNever},
      {"MissingAuthenticationTokenException", 403, "GetItem", kRead, absl::StatusCode::kInternal,
       v1::BACKEND_AUTHENTICATION_FAILED, Retry::kNever},
      {"IncompleteSignatureException", 400, "GetItem", kRead, absl::StatusCode::kInternal,
       v1::BACKEND_AUTHENTICATION_FAILED, Retry::kNever},
      // Capability.
      {"UnknownOperationException", 400, "TransactWriteItems", kWrite, absl::StatusCode::kUnimplemented,
       v1::UNSUPPORTED_BY_BACKEND, Retry::kNever},
      // Overload: rejected, not applied, retry after a delay (reads and writes alike).
      {"RequestLimitExceeded", 400, "PutItem", kWrite, absl::StatusCode::kResourceExhausted, v1::BACKEND_THROTTLED,
       Retry::kWithBackoff},
      {"RequestLimitExceeded", 400, "GetItem", kRead, absl::StatusCode::kResourceExhausted, v1::BACKEND_THROTTLED,
       Retry::kWithBackoff},
      {"ProvisionedThroughputExceededException", 400, "Query", kRead, absl::StatusCode::kResourceExhausted,
       v1::BACKEND_THROTTLED, Retry::kWithBackoff},
      {"ThrottlingException", 400, "CreateTable", kSchema, absl::StatusCode::kResourceExhausted,
       v1::BACKEND_THROTTLED, Retry::kWithBackoff},
      {"LimitExceededException", 400, "CreateTable", kSchema, absl::StatusCode::kResourceExhausted,
       v1::BACKEND_LIMIT_EXCEEDED, Retry::kNever},
      {"ItemCollectionSizeLimitExceededException", 400, "PutItem", kWrite, absl::StatusCode::kFailedPrecondition,
       v1::ITEM_COLLECTION_TOO_LARGE, Retry::kNever},
      // Size.
      {"PayloadTooLarge", 413, "PutItem", kWrite, absl::StatusCode::kInvalidArgument, v1::REQUEST_TOO_LARGE,
       Retry::kNever},
      {"", 413, "PutItem", kWrite, absl::StatusCode::kInvalidArgument, v1::REQUEST_TOO_LARGE, Retry::kNever},
      // Failures inside the backend: reads are retryable, writes have an unknown outcome.
      {"InternalServerError", 500, "GetItem", kRead, absl::StatusCode::kUnavailable, v1::BACKEND_READ_FAILED,
       Retry::kIfIdempotent},
      {"InternalServerError", 500, "Query", kRead, absl::StatusCode::kUnavailable, v1::BACKEND_READ_FAILED,
       Retry::kIfIdempotent},
      {"InternalServerError", 500, "PutItem", kWrite, absl::StatusCode::kUnknown, v1::WRITE_OUTCOME_UNKNOWN,
       Retry::kIfIdempotent},
      {"InternalServerError", 500, "UpdateItem", kWrite, absl::StatusCode::kUnknown, v1::WRITE_OUTCOME_UNKNOWN,
       Retry::kIfIdempotent},
      {"InternalServerError", 500, "CreateTable", kSchema, absl::StatusCode::kUnknown, v1::WRITE_OUTCOME_UNKNOWN,
       Retry::kIfIdempotent},
      {"InternalFailure", 500, "GetItem", kRead, absl::StatusCode::kUnavailable, v1::BACKEND_READ_FAILED,
       Retry::kIfIdempotent},
      {"ServiceUnavailable", 503, "DeleteItem", kWrite, absl::StatusCode::kUnknown, v1::WRITE_OUTCOME_UNKNOWN,
       Retry::kIfIdempotent},
      {"", 503, "GetItem", kRead, absl::StatusCode::kUnavailable, v1::BACKEND_READ_FAILED, Retry::kIfIdempotent},
      {"", 503, "PutItem", kWrite, absl::StatusCode::kUnknown, v1::WRITE_OUTCOME_UNKNOWN, Retry::kIfIdempotent},
      {"", 500, "PutItem", kWrite, absl::StatusCode::kUnknown, v1::WRITE_OUTCOME_UNKNOWN, Retry::kIfIdempotent},
      {"SomethingNew", 502, "GetItem", kRead, absl::StatusCode::kUnavailable, v1::BACKEND_READ_FAILED,
       Retry::kIfIdempotent},
      // Anything else is a protocol surprise: INTERNAL, never copied through.
      {"SomethingNew", 400, "GetItem", kRead, absl::StatusCode::kInternal, v1::BACKEND_ERROR, Retry::kNever},
      // Transactions (DynamoDB only; Alternator has none).
      {"TransactionConflictException", 400, "TransactWriteItems", kWrite, absl::StatusCode::kAborted,
       v1::TRANSACTION_CONFLICT, Retry::kNever},
      {"TransactionInProgressException", 400, "TransactWriteItems", kWrite, absl::StatusCode::kAborted,
       v1::TRANSACTION_IN_PROGRESS, Retry::kNever},
      {"IdempotentParameterMismatchException", 400, "TransactWriteItems", kWrite, absl::StatusCode::kInvalidArgument,
       v1::IDEMPOTENCY_KEY_REUSED, Retry::kNever},
      // Without the transaction's own explanation, a cancellation is a protocol surprise.
      {"TransactionCanceledException", 400, "TransactWriteItems", kWrite, absl::StatusCode::kInternal,
       v1::BACKEND_ERROR, Retry::kNever},
      {"", 400, "GetItem", kRead, absl::StatusCode::kInternal, v1::BACKEND_ERROR, Retry::kNever},
      {"", 404, "GetItem", kRead, absl::StatusCode::kInternal, v1::BACKEND_ERROR, Retry::kNever},
  };
  for (const MappingCase& c : cases) {
    SCOPED_TRACE(absl::StrCat(c.type, " / HTTP ", c.http_status, " / ", c.operation));
    BackendErrorBody body;
    if (!c.type.empty()) body = ParseBackendError(AlternatorBody(c.type, "backend says no"));
    const MappedError m = MapBackendError(c.http_status, body, Call(c.operation, c.access));
    EXPECT_EQ(m.error.code(), c.code);
    EXPECT_EQ(v1::ErrorReason_Name(m.error.reason()), v1::ErrorReason_Name(c.reason));
    EXPECT_EQ(RetryName(m.retry), RetryName(c.retry));
    // Never UNAVAILABLE (retry-safe) for a write.
    if (c.access != model::AccessKind::kRead) {
      EXPECT_NE(m.error.code(), absl::StatusCode::kUnavailable);
    }
  }
}

// The same mappings parsed from DynamoDB Local's own bodies ("Message", other namespaces).
TEST(MapBackendErrorTest, DynamoDbLocalBodies) {
  const model::BackendCall get = Call("GetItem", model::AccessKind::kRead);
  {
    const MappedError m = MapBackendError(
        400,
        ParseBackendError(R"({"__type":"com.amazon.coral.validate#ValidationException","Message":"The table does not have the specified index: nosuch"})"),
        get);
    EXPECT_EQ(m.error.reason(), v1::BACKEND_VALIDATION_ERROR);
    EXPECT_THAT(m.error.message(), HasSubstr("The table does not have the specified index"));
    EXPECT_THAT(m.error.metadata(),
                Contains(Pair("backendMessage", "The table does not have the specified index: nosuch")));
  }
  {
    const MappedError m = MapBackendError(
        400,
        ParseBackendError(R"({"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","Message":"Cannot do operations on a non-existent table"})"),
        get);
    EXPECT_EQ(m.error.reason(), v1::TABLE_NOT_FOUND);
    EXPECT_THAT(m.error.metadata(), Contains(Pair("table", "orders")));
  }
  {
    const MappedError m = MapBackendError(
        400,
        ParseBackendError(R"({"__type":"com.amazon.coral.service#UnrecognizedClientException","Message":"The security token included in the request is invalid."})"),
        get);
    EXPECT_EQ(m.error.reason(), v1::BACKEND_AUTHENTICATION_FAILED);
    EXPECT_THAT(m.error.metadata(), Contains(Pair("backendErrorType", "UnrecognizedClientException")));
  }
}

TEST(MapBackendErrorTest, ConditionFailureWithoutTheItemRequested) {
  model::BackendCall put = Call("PutItem", model::AccessKind::kWrite);
  const BackendErrorBody body = ParseBackendError(
      R"({"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","Message":"The conditional request failed","Item":{"pk":{"S":"a"}}})");
  const MappedError m = MapBackendError(400, body, put);
  EXPECT_EQ(m.error.reason(), v1::CONDITION_FAILED);
  const google::rpc::Status status = m.error.ToRpcStatus();
  for (const google::protobuf::Any& any : status.details()) {
    EXPECT_FALSE(any.Is<v1::ConditionFailure>()) << "the caller did not ask for the item";
  }
}

v1::ConditionFailure ConditionFailureOf(const GatewayError& error) {
  const google::rpc::Status status = error.ToRpcStatus();
  for (const google::protobuf::Any& any : status.details()) {
    v1::ConditionFailure failure;
    if (any.UnpackTo(&failure)) return failure;
  }
  ADD_FAILURE() << "no ConditionFailure detail";
  return {};
}

TEST(MapBackendErrorTest, ConditionFailureWithTheCurrentItem) {
  model::BackendCall put = Call("PutItem", model::AccessKind::kWrite);
  put.condition_check = model::ConditionCheckInfo{put.table, "", std::nullopt, true, true};
  const BackendErrorBody body = ParseBackendError(
      R"({"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","Message":"The conditional request failed","Item":{"pk":{"S":"a"},"n":{"N":"1e3"},"x":{"N":"0.50"}}})");
  const MappedError m = MapBackendError(400, body, put);
  EXPECT_EQ(m.error.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(m.error.reason(), v1::CONDITION_FAILED);
  EXPECT_EQ(m.retry, Retry::kNever);
  const v1::ConditionFailure failure = ConditionFailureOf(m.error);
  EXPECT_TRUE(failure.item_exists());
  ASSERT_EQ(failure.item().size(), 3u);
  EXPECT_EQ(failure.item().at("pk").string_value(), "a");
  EXPECT_EQ(failure.item().at("n").number_value().integer(), 1000);
  EXPECT_EQ(failure.item().at("x").number_value().decimal(), "0.5");
}

// With ReturnValuesOnConditionCheckFailure, DynamoDB Local answers without `Item` when the item is missing.
TEST(MapBackendErrorTest, ConditionFailureOnAMissingItem) {
  model::BackendCall del = Call("DeleteItem", model::AccessKind::kWrite);
  del.condition_check = model::ConditionCheckInfo{del.table, "", std::nullopt, true, true};
  const MappedError m = MapBackendError(
      400,
      ParseBackendError(R"({"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","Message":"The conditional request failed"})"),
      del);
  EXPECT_EQ(m.error.reason(), v1::CONDITION_FAILED);
  const v1::ConditionFailure failure = ConditionFailureOf(m.error);
  EXPECT_FALSE(failure.item_exists());
  EXPECT_TRUE(failure.item().empty());
}

// An Item that does not decode must not leak half-decoded attributes as if they were the item.
TEST(MapBackendErrorTest, ConditionFailureWithAMalformedItem) {
  model::BackendCall put = Call("PutItem", model::AccessKind::kWrite);
  put.condition_check = model::ConditionCheckInfo{put.table, "", std::nullopt, true, true};
  const MappedError m = MapBackendError(
      400,
      ParseBackendError(R"({"__type":"x#ConditionalCheckFailedException","Item":{"a":{"S":"ok"},"b":{"Q":1},"c":{"S":"ok"}}})"),
      put);
  EXPECT_EQ(m.error.reason(), v1::CONDITION_FAILED);
  const v1::ConditionFailure failure = ConditionFailureOf(m.error);
  EXPECT_FALSE(failure.item_exists());
  EXPECT_TRUE(failure.item().empty());
}

TEST(MapBackendErrorTest, DetailsAndMetadata) {
  {
    const MappedError m = MapBackendError(400, ParseBackendError(AlternatorBody("ResourceInUseException", "busy")),
                                          Call("DeleteTable", model::AccessKind::kSchema, "logs"));
    EXPECT_THAT(m.error.metadata(), Contains(Pair("table", "logs")));
    EXPECT_THAT(m.error.message(), HasSubstr("busy"));
  }
  {
    const MappedError m = MapBackendError(400, ParseBackendError(AlternatorBody("ResourceInUseException", "exists")),
                                          Call("CreateTable", model::AccessKind::kSchema, "logs"));
    EXPECT_THAT(m.error.metadata(), Contains(Pair("table", "logs")));
  }
  {
    const MappedError m = MapBackendError(400, ParseBackendError(AlternatorBody("ThrottlingException", "slow down")),
                                          Call("GetItem", model::AccessKind::kRead));
    ASSERT_TRUE(m.error.retry_delay().has_value());
    EXPECT_GT(*m.error.retry_delay(), absl::ZeroDuration());
    EXPECT_THAT(m.error.metadata(), Contains(Pair("backendErrorType", "ThrottlingException")));
  }
  {
    const MappedError m =
        MapBackendError(400, ParseBackendError(AlternatorBody("UnknownOperationException", "Unsupported operation")),
                        Call("TransactWriteItems", model::AccessKind::kWrite));
    EXPECT_THAT(m.error.metadata(), Contains(Pair("operation", "TransactWriteItems")));
  }
  {
    const MappedError m = MapBackendError(400, ParseBackendError(AlternatorBody("WeirdException", "what")),
                                          Call("GetItem", model::AccessKind::kRead));
    EXPECT_THAT(m.error.metadata(), Contains(Pair("backendErrorType", "WeirdException")));
    EXPECT_THAT(m.error.message(), HasSubstr("what"));
  }
  {
    const MappedError m = MapBackendError(404, ParseBackendError("Not Found"), Call("GetItem", model::AccessKind::kRead));
    EXPECT_THAT(m.error.metadata(), Contains(Pair("backendErrorType", "HTTP 404")));
  }
  {
    // A 500 carries the status, type and message into the description.
    const MappedError m =
        MapBackendError(500, ParseBackendError(AlternatorBody("InternalServerError", "Operation timed out")),
                        Call("PutItem", model::AccessKind::kWrite));
    EXPECT_THAT(m.error.message(), HasSubstr("HTTP 500 InternalServerError: Operation timed out"));
    EXPECT_FALSE(m.error.retry_delay().has_value());
  }
  {
    const MappedError m = MapBackendError(503, ParseBackendError(""), Call("GetItem", model::AccessKind::kRead));
    EXPECT_THAT(m.error.message(), HasSubstr("HTTP 503"));
    EXPECT_TRUE(m.error.retry_delay().has_value());
  }
}

}  // namespace
}  // namespace altgw::alternator
