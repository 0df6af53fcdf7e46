// Translation of DataService.Query to a DynamoDB Query and of its answer back, with signed page tokens
// bound to the request that made them.
#ifndef ALTGW_MODEL_QUERY_REQUESTS_H_
#define ALTGW_MODEL_QUERY_REQUESTS_H_

#include <string>

#include "absl/time/time.h"
#include "alternator/gateway/v1/data_service.pb.h"
#include "common/error_or.h"
#include "model/answer.h"
#include "model/backend_call.h"
#include "model/page_token.h"
#include "model/table_schema.h"
#include "nlohmann/json.hpp"

namespace altgw::model {

struct QueryCall {
  BackendCall call;
  // Identifies the request for its page tokens: the DynamoDB request without Limit and ExclusiveStartKey.
  std::string binding;
};

ErrorOr<QueryCall> TranslateQuery(const v1::QueryRequest& request, const TableSchema& schema,
                                  const PageTokenCodec& tokens, absl::Time now);

// Items of versioned tables get their `version` from `schema`.
ErrorOr<v1::QueryResponse> ParseQueryResponse(const Answer& answer, const std::string& binding,
                                              const PageTokenCodec& tokens, absl::Time now,
                                              const TableSchema& schema);

// Decodes `token` (the request field `field`) into the ExclusiveStartKey it carries, or the
// INVALID_PAGE_TOKEN / PAGE_TOKEN_EXPIRED error.
ErrorOr<nlohmann::json> DecodeStartKey(const PageTokenCodec& tokens, const std::string& token,
                                       const std::string& binding, absl::Time now, const char* field);

// -1, 0 or 1 comparing two numbers in canonical form (as Decimal produces them).
int CompareCanonicalDecimals(absl::string_view a, absl::string_view b);

}  // namespace altgw::model

#endif  // ALTGW_MODEL_QUERY_REQUESTS_H_
