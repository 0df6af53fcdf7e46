// Translation of the TableService calls to DynamoDB requests and of their answers back.
#ifndef ALTGW_MODEL_TABLE_REQUESTS_H_
#define ALTGW_MODEL_TABLE_REQUESTS_H_

#include "absl/time/time.h"
#include "alternator/gateway/v1/table_service.pb.h"
#include "common/error_or.h"
#include "model/backend_call.h"
#include "model/page_token.h"
#include "nlohmann/json.hpp"

namespace altgw::model {

ErrorOr<BackendCall> TranslateCreateTable(const v1::CreateTableRequest& request);
ErrorOr<BackendCall> TranslateDescribeTable(const v1::DescribeTableRequest& request);
ErrorOr<BackendCall> TranslateDeleteTable(const v1::DeleteTableRequest& request);
ErrorOr<BackendCall> TranslateListTables(const v1::ListTablesRequest& request, const PageTokenCodec& tokens,
                                         absl::Time now);
// DescribeTable for the gateway's own use (schema discovery).
BackendCall DescribeTableCall(const std::string& table);

ErrorOr<v1::CreateTableResponse> ParseCreateTableResponse(const nlohmann::json& body);
ErrorOr<v1::DescribeTableResponse> ParseDescribeTableResponse(const nlohmann::json& body);
ErrorOr<v1::ListTablesResponse> ParseListTablesResponse(const nlohmann::json& body, const PageTokenCodec& tokens,
                                                        absl::Time now);

}  // namespace altgw::model

#endif  // ALTGW_MODEL_TABLE_REQUESTS_H_
