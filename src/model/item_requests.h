// Translation of the single-item DataService calls (Put, Get, Delete, Update) to DynamoDB requests and of
// the answers back. Pure: validation against the table's schema, canonical values, placeholders only.
#ifndef ALTGW_MODEL_ITEM_REQUESTS_H_
#define ALTGW_MODEL_ITEM_REQUESTS_H_

#include "alternator/gateway/v1/data_service.pb.h"
#include "common/error_or.h"
#include "model/answer.h"
#include "model/backend_call.h"
#include "model/table_schema.h"
#include "model/value_codec.h"
#include "model/versioning.h"
#include "nlohmann/json.hpp"

namespace altgw::model {

// `observed`: for a Put without expected_version on a versioned table, the version a read just observed
// (PutNeedsVersionRead says when one is needed).
ErrorOr<BackendCall> TranslatePut(const v1::PutRequest& request, const TableSchema& schema,
                                  std::optional<VersionExpectation> observed = std::nullopt);
ErrorOr<BackendCall> TranslateGet(const v1::GetRequest& request, const TableSchema& schema);
ErrorOr<BackendCall> TranslateDelete(const v1::DeleteRequest& request, const TableSchema& schema);
ErrorOr<BackendCall> TranslateUpdate(const v1::UpdateRequest& request, const TableSchema& schema);

// A Put replaces the whole item and cannot compute the next version itself: on a versioned table, without
// expected_version, the gateway first reads the current version (VersionRead) and makes the put
// conditional on it (retrying if another write got in between).
bool PutNeedsVersionRead(const v1::PutRequest& request, const TableSchema& schema);
// A consistent GetItem of the key attributes and version of the item holding `attributes`' key.
BackendCall VersionReadCall(const TableSchema& schema, const nlohmann::json& encoded_key);
// The key of a Put's item, encoded (after TranslatePut validated it).
nlohmann::json EncodedKeyOfItem(const TableSchema& schema, const v1::PutRequest& request);
// The version state found by VersionReadCall.
ErrorOr<VersionExpectation> ParseVersionRead(const nlohmann::json& body, const TableSchema& schema);

// Answers. A malformed answer is a BACKEND_ERROR.
ErrorOr<v1::PutResponse> ParsePutResponse(const nlohmann::json& body, const WriteAnswer& answer);
ErrorOr<v1::GetResponse> ParseGetResponse(const Answer& answer, const TableSchema& schema);
ErrorOr<v1::DeleteResponse> ParseDeleteResponse(const nlohmann::json& body);
ErrorOr<v1::UpdateResponse> ParseUpdateResponse(const nlohmann::json& body, const WriteAnswer& answer);

// The `Attributes` of a write answer into `out` (absent means none).
absl::Status ParseReturnedAttributes(const nlohmann::json& body, AttributeMap* out);

// The GatewayError for a backend answer that does not parse.
GatewayError MalformedAnswer(absl::string_view operation, const absl::Status& status);

}  // namespace altgw::model

#endif  // ALTGW_MODEL_ITEM_REQUESTS_H_
