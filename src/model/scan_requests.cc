#include "model/scan_requests.h"

#include "absl/strings/str_cat.h"
#include "model/answer_items.h"
#include "model/condition_compiler.h"
#include "model/expression_context.h"
#include "model/item_requests.h"
#include "model/query_requests.h"
#include "model/table_names.h"
#include "model/value_codec.h"
#include "model/versioning.h"

namespace altgw::model {
namespace {

using nlohmann::json;

constexpr uint32_t kDefaultScanPageSize = 1000;
constexpr uint32_t kMaxScanPageSize = 1000;
constexpr uint32_t kMaxTotalSegments = 1'000'000;

}  // namespace

BackendCall ScanPlan::PageCall(const json* start_key, uint32_t limit) const {
  json body = base_;
  if (start_key != nullptr) body["ExclusiveStartKey"] = *start_key;
  body["Limit"] = limit;
  BackendCall call;
  call.operation = "Scan";
  call.access = AccessKind::kRead;
  call.table = table_;
  call.body = body.dump();
  return call;
}

std::string ScanPlan::ResumeToken(const PageTokenCodec& tokens, const json& last_key, absl::Time now) const {
  return tokens.Encode(binding_, last_key.dump(), now);
}

ErrorOr<ScanPlan> TranslateScan(const v1::ScanRequest& request, const TableSchema& schema,
                                const PageTokenCodec& tokens, absl::Time now) {
  Violations violations;
  ValueEncoder encoder(violations);
  ExpressionContext context;
  ScanPlan plan;
  json& body = plan.base_;
  body = json::object();

  CheckTableName(request.table(), FieldRef("table"), violations);
  body["TableName"] = request.table();
  if (!request.index().empty()) {
    const IndexSchema* index = schema.FindIndex(request.index());
    if (index == nullptr) return GatewayError::IndexNotFound(request.table(), request.index());
    body["IndexName"] = request.index();
    if (index->global && request.consistent_read()) {
      violations.Add(FieldRef("consistent_read"), "consistent reads are not available on global secondary indexes");
    }
  }
  if (request.total_segments() > 0) {
    if (request.total_segments() > kMaxTotalSegments) {
      violations.Add(FieldRef("total_segments"), absl::StrCat("at most ", kMaxTotalSegments));
    } else if (request.segment() >= request.total_segments()) {
      violations.Add(FieldRef("segment"), "must be below total_segments");
    }
    body["Segment"] = request.segment();
    body["TotalSegments"] = request.total_segments();
  } else if (request.segment() != 0) {
    violations.Add(FieldRef("segment"), "needs total_segments");
  }
  if (request.has_filter()) {
    body["FilterExpression"] = CompileCondition(request.filter(), FieldRef("filter"), context, encoder);
  }
  if (!request.projection().empty()) {
    body["ProjectionExpression"] = CompileProjection(request.projection(), FieldRef("projection"), context, violations);
  }
  if (request.consistent_read()) body["ConsistentRead"] = true;
  if (request.page_size() > kMaxScanPageSize) {
    violations.Add(FieldRef("page_size"), absl::StrCat("at most ", kMaxScanPageSize));
  }
  if (!violations.empty()) return violations.ToError();
  std::move(context).WriteTo(body);

  plan.binding_ = absl::StrCat("Scan", body.dump());
  plan.table_ = request.table();
  plan.page_size_ = request.page_size() == 0 ? kDefaultScanPageSize : request.page_size();
  plan.limit_ = request.limit();
  if (!request.resume_token().empty()) {
    ErrorOr<json> start = DecodeStartKey(tokens, request.resume_token(), plan.binding_, now, "resume_token");
    if (!start.ok()) return std::move(start).error();
    plan.resume_key_ = *std::move(start);
  }
  return plan;
}

ErrorOr<ScanPage> ParseScanPage(const Answer& answer, const TableSchema& schema, v1::ScanResponse* out) {
  ErrorOr<ItemsPage> items = ParseItemsPage(answer, "Scan", schema, out->mutable_items());
  if (!items.ok()) return std::move(items).error();
  ScanPage page;
  page.scanned_count = items->scanned_count;
  if (items->last_key) page.last_key = json::parse(*items->last_key);
  return page;
}

}  // namespace altgw::model
