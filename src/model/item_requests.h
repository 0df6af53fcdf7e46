// Translation of the single-item DataService calls (Put, Get, Delete, Update) to DynamoDB requests and of
// the answers back. Pure: validation against the table's schema, canonical values, placeholders only.
#ifndef ALTGW_MODEL_ITEM_REQUESTS_H_
#define ALTGW_MODEL_ITEM_REQUESTS_H_

#include "alternator/gateway/v1/data_service.pb.h"
#include "common/error_or.h"
#include "model/backend_call.h"
#include "model/table_schema.h"
#include "model/value_codec.h"
#include "nlohmann/json.hpp"

namespace altgw::model {

ErrorOr<BackendCall> TranslatePut(const v1::PutRequest& request, const TableSchema& schema);
ErrorOr<BackendCall> TranslateGet(const v1::GetRequest& request, const TableSchema& schema);
ErrorOr<BackendCall> TranslateDelete(const v1::DeleteRequest& request, const TableSchema& schema);
ErrorOr<BackendCall> TranslateUpdate(const v1::UpdateRequest& request, const TableSchema& schema);

// Answers. A malformed answer is a BACKEND_ERROR.
ErrorOr<v1::PutResponse> ParsePutResponse(const nlohmann::json& body);
ErrorOr<v1::GetResponse> ParseGetResponse(const nlohmann::json& body);
ErrorOr<v1::DeleteResponse> ParseDeleteResponse(const nlohmann::json& body);
ErrorOr<v1::UpdateResponse> ParseUpdateResponse(const nlohmann::json& body);

// The `Attributes` of a write answer into `out` (absent means none).
absl::Status ParseReturnedAttributes(const nlohmann::json& body, AttributeMap* out);

// The GatewayError for a backend answer that does not parse.
GatewayError MalformedAnswer(absl::string_view operation, const absl::Status& status);

}  // namespace altgw::model

#endif  // ALTGW_MODEL_ITEM_REQUESTS_H_
