// Translation of DataService.Scan (a server stream) into successive DynamoDB Scan pages, with signed
// resume tokens bound to the scan that made them.
#ifndef ALTGW_MODEL_SCAN_REQUESTS_H_
#define ALTGW_MODEL_SCAN_REQUESTS_H_

#include <cstdint>
#include <optional>
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

// Everything needed to request the pages of one Scan stream.
class ScanPlan {
 public:
  // The DynamoDB Scan for the next page: after `start_key` (none: from the beginning), examining at most
  // `limit` items.
  BackendCall PageCall(const nlohmann::json* start_key, uint32_t limit) const;

  // The start key carried by the request's resume token (nullopt: from the beginning).
  const std::optional<nlohmann::json>& resume_key() const { return resume_key_; }
  // Items to examine per page.
  uint32_t page_size() const { return page_size_; }
  // Items to deliver in all (0: no limit).
  uint64_t limit() const { return limit_; }
  // The resume token for a page boundary.
  std::string ResumeToken(const PageTokenCodec& tokens, const nlohmann::json& last_key, absl::Time now) const;

 private:
  friend ErrorOr<ScanPlan> TranslateScan(const v1::ScanRequest&, const TableSchema&, const PageTokenCodec&,
                                         absl::Time);
  nlohmann::json base_;  // the request without ExclusiveStartKey and Limit
  std::string binding_;
  std::string table_;
  std::optional<nlohmann::json> resume_key_;
  uint32_t page_size_ = 0;
  uint64_t limit_ = 0;
};

ErrorOr<ScanPlan> TranslateScan(const v1::ScanRequest& request, const TableSchema& schema,
                                const PageTokenCodec& tokens, absl::Time now);

struct ScanPage {
  // The page's items are appended to the response message.
  uint32_t scanned_count = 0;
  // LastEvaluatedKey: where the next page starts; nullopt at the end of the table (or segment).
  std::optional<nlohmann::json> last_key;
};

// Parses one Scan answer, appending its items to `out->items` (versions filled for versioned tables).
ErrorOr<ScanPage> ParseScanPage(const Answer& answer, const TableSchema& schema, v1::ScanResponse* out);

}  // namespace altgw::model

#endif  // ALTGW_MODEL_SCAN_REQUESTS_H_
