#include "model/query_requests.h"

#include "absl/strings/str_cat.h"
#include "model/answer_items.h"
#include "model/condition_compiler.h"
#include "model/expression_context.h"
#include "model/item_requests.h"
#include "model/key_codec.h"
#include "model/limits.h"
#include "model/table_names.h"
#include "model/value_codec.h"
#include "model/versioning.h"

namespace altgw::model {
namespace {

using nlohmann::json;

const char* SortOperatorText(v1::SortKeyOperator op) {
  switch (op) {
    case v1::SORT_KEY_OPERATOR_EQUAL:
      return " = ";
    case v1::SORT_KEY_OPERATOR_LESS:
      return " < ";
    case v1::SORT_KEY_OPERATOR_LESS_OR_EQUAL:
      return " <= ";
    case v1::SORT_KEY_OPERATOR_GREATER:
      return " > ";
    case v1::SORT_KEY_OPERATOR_GREATER_OR_EQUAL:
      return " >= ";
    default:
      return nullptr;
  }
}

// Orders two valid key values of one scalar type as DynamoDB orders keys. Numbers compare by value (their
// encoded canonical form); strings by their UTF-8 bytes and binary values by their raw bytes, both unsigned
// (std::char_traits<char> compares as unsigned char). Binary values are compared on the typed values: their
// base64 form does not preserve byte order.
int CompareKeyValues(const v1::Value& a_value, const json& a, const v1::Value& b_value, const json& b,
                     v1::ScalarType type) {
  int c = 0;
  if (type == v1::SCALAR_TYPE_NUMBER) {
    c = CompareCanonicalDecimals(a["N"].get_ref<const std::string&>(), b["N"].get_ref<const std::string&>());
  } else if (type == v1::SCALAR_TYPE_BINARY) {
    c = a_value.bytes_value().compare(b_value.bytes_value());
  } else {
    c = a_value.string_value().compare(b_value.string_value());
  }
  return (c > 0) - (c < 0);
}

// The key condition: `#pk = :v` and, optionally, the sort-key comparison.
std::string CompileKeyCondition(const v1::QueryRequest& request, const KeySchema& key, ExpressionContext& context,
                                ValueEncoder& encoder) {
  Violations& violations = encoder.violations();
  std::string expression;
  size_t ignored_size = 0;

  const FieldRef pk_field("partition_key");
  if (CheckKeyValue(request.partition_key(), key.partition.type, kMaxPartitionKeyBytes, key.partition.name,
                    pk_field, violations)) {
    context.AppendName(&expression, key.partition.name);
    expression.append(" = ");
    context.AppendValue(&expression, encoder.Encode(request.partition_key(), pk_field, &ignored_size));
  }

  if (!request.has_sort_key()) return expression;
  const v1::SortKeyCondition& sort = request.sort_key();
  const FieldRef sort_field("sort_key");
  if (!key.has_sort_key()) {
    violations.Add(sort_field, "the table (or index) has no sort key");
    return expression;
  }
  const bool value_ok = CheckKeyValue(sort.value(), key.sort.type, kMaxSortKeyBytes, key.sort.name,
                                      sort_field.Child("value"), violations);
  if (sort.operator_() != v1::SORT_KEY_OPERATOR_BETWEEN && sort.has_upper()) {
    violations.Add(sort_field.Child("upper"), "upper is only used with SORT_KEY_OPERATOR_BETWEEN");
  }
  expression.append(" AND ");
  switch (sort.operator_()) {
    case v1::SORT_KEY_OPERATOR_BETWEEN: {
      const bool upper_ok = CheckKeyValue(sort.upper(), key.sort.type, kMaxSortKeyBytes, key.sort.name,
                                          sort_field.Child("upper"), violations);
      json lower = encoder.Encode(sort.value(), sort_field.Child("value"), &ignored_size);
      json upper = encoder.Encode(sort.upper(), sort_field.Child("upper"), &ignored_size);
      if (value_ok && upper_ok && violations.empty() &&
          CompareKeyValues(sort.value(), lower, sort.upper(), upper, key.sort.type) > 0) {
        violations.Add(sort_field, "BETWEEN needs value <= upper");
      }
      context.AppendName(&expression, key.sort.name);
      expression.append(" BETWEEN ");
      context.AppendValue(&expression, std::move(lower));
      expression.append(" AND ");
      context.AppendValue(&expression, std::move(upper));
      break;
    }
    case v1::SORT_KEY_OPERATOR_BEGINS_WITH:
      if (key.sort.type == v1::SCALAR_TYPE_NUMBER) {
        violations.Add(sort_field.Child("operator"), "BEGINS_WITH needs a string or bytes sort key");
      }
      expression.append("begins_with(");
      context.AppendName(&expression, key.sort.name);
      expression.append(", ");
      context.AppendValue(&expression, encoder.Encode(sort.value(), sort_field.Child("value"), &ignored_size));
      expression.push_back(')');
      break;
    default: {
      const char* op = SortOperatorText(sort.operator_());
      if (op == nullptr) {
        violations.Add(sort_field.Child("operator"), "operator must be set");
        break;
      }
      context.AppendName(&expression, key.sort.name);
      expression.append(op);
      context.AppendValue(&expression, encoder.Encode(sort.value(), sort_field.Child("value"), &ignored_size));
    }
  }
  return expression;
}

}  // namespace

int CompareCanonicalDecimals(absl::string_view a, absl::string_view b) {
  const bool a_negative = !a.empty() && a.front() == '-';
  const bool b_negative = !b.empty() && b.front() == '-';
  if (a_negative != b_negative) return a_negative ? -1 : 1;
  if (a_negative) {
    a.remove_prefix(1);
    b.remove_prefix(1);
  }
  // Compare magnitudes: a longer integer part is larger (canonical form has no leading zeros), then digits.
  const size_t a_int = std::min(a.find('.'), a.size());
  const size_t b_int = std::min(b.find('.'), b.size());
  int magnitude;
  if (a_int != b_int) {
    magnitude = a_int < b_int ? -1 : 1;
  } else {
    const int c = a.compare(b);  // same integer length: digit-by-digit; '.' sorts below digits
    magnitude = c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  return a_negative ? -magnitude : magnitude;
}

ErrorOr<json> DecodeStartKey(const PageTokenCodec& tokens, const std::string& token, const std::string& binding,
                             absl::Time now, const char* field) {
  DecodedPageToken decoded = tokens.Decode(token, binding, now);
  switch (decoded.problem) {
    case PageTokenProblem::kNone:
      break;
    case PageTokenProblem::kExpired:
      return GatewayError::PageTokenExpired(field);
    case PageTokenProblem::kMismatch:
      return GatewayError::InvalidPageToken(
          field, "the page token belongs to a different request (table, index, key condition, filter, "
                 "projection, order and consistency must stay the same between pages)");
    case PageTokenProblem::kMalformed:
    case PageTokenProblem::kForged:
      return GatewayError::InvalidPageToken(field, "not a page token issued by this gateway");
  }
  json start_key = json::parse(decoded.payload, nullptr, /*allow_exceptions=*/false);
  if (!start_key.is_object()) return GatewayError::Internal("a signed page token holds no valid start key");
  return start_key;
}

ErrorOr<QueryCall> TranslateQuery(const v1::QueryRequest& request, const TableSchema& schema,
                                  const PageTokenCodec& tokens, absl::Time now) {
  Violations violations;
  ValueEncoder encoder(violations);
  ExpressionContext context;
  json body = json::object();

  CheckTableName(request.table(), FieldRef("table"), violations);
  body["TableName"] = request.table();
  const KeySchema* key = &schema.key;
  if (!request.index().empty()) {
    const IndexSchema* index = schema.FindIndex(request.index());
    if (index == nullptr) return GatewayError::IndexNotFound(request.table(), request.index());
    key = &index->key;
    body["IndexName"] = request.index();
    if (index->global && request.consistent_read()) {
      violations.Add(FieldRef("consistent_read"), "consistent reads are not available on global secondary indexes");
    }
  }

  body["KeyConditionExpression"] = CompileKeyCondition(request, *key, context, encoder);
  if (request.has_filter()) {
    body["FilterExpression"] = CompileCondition(request.filter(), FieldRef("filter"), context, encoder);
  }
  if (!request.projection().empty()) {
    body["ProjectionExpression"] = CompileProjection(request.projection(), FieldRef("projection"), context, violations);
  }
  if (request.consistent_read()) body["ConsistentRead"] = true;
  if (request.descending()) body["ScanIndexForward"] = false;
  if (request.page_size() > kMaxPageSize) {
    violations.Add(FieldRef("page_size"), absl::StrCat("at most ", kMaxPageSize));
  }
  if (!violations.empty()) return violations.ToError();
  std::move(context).WriteTo(body);

  QueryCall out;
  out.binding = body.dump();
  if (!request.page_token().empty()) {
    ErrorOr<json> start = DecodeStartKey(tokens, request.page_token(), out.binding, now, "page_token");
    if (!start.ok()) return std::move(start).error();
    body["ExclusiveStartKey"] = *std::move(start);
  }
  body["Limit"] = request.page_size() == 0 ? kDefaultPageSize : request.page_size();

  out.call.operation = "Query";
  out.call.table = request.table();
  out.call.access = AccessKind::kRead;
  out.call.body = body.dump();
  return out;
}

ErrorOr<v1::QueryResponse> ParseQueryResponse(const Answer& answer, const std::string& binding,
                                              const PageTokenCodec& tokens, absl::Time now,
                                              const TableSchema& schema) {
  v1::QueryResponse response;
  ErrorOr<ItemsPage> page = ParseItemsPage(answer, "Query", schema, response.mutable_items());
  if (!page.ok()) return std::move(page).error();
  response.set_scanned_count(page->scanned_count);
  if (page->last_key) response.set_next_page_token(tokens.Encode(binding, *page->last_key, now));
  return response;
}

}  // namespace altgw::model
