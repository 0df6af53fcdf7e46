// DynamoDB's limits, enforced by the gateway on every backend before anything is sent, so that a request
// behaves the same on Alternator (which enforces few of them) as on DynamoDB.
#ifndef ALTGW_MODEL_LIMITS_H_
#define ALTGW_MODEL_LIMITS_H_

#include <cstddef>

namespace altgw::model {

inline constexpr size_t kMaxItemBytes = 400 * 1024;
inline constexpr size_t kMaxPartitionKeyBytes = 2048;
inline constexpr size_t kMaxSortKeyBytes = 1024;
// Lists and maps inside an attribute value nest at most this deep.
inline constexpr int kMaxNestingDepth = 32;
inline constexpr size_t kMaxAttributeNameBytes = 65535;
inline constexpr size_t kMaxKeyAttributeNameBytes = 255;
// Each of ConditionExpression, UpdateExpression, KeyConditionExpression, FilterExpression and
// ProjectionExpression.
inline constexpr size_t kMaxExpressionBytes = 4096;
inline constexpr size_t kMaxInOperands = 100;
// Operators and functions in one expression (AND, OR, NOT, comparisons, functions, ...).
inline constexpr size_t kMaxExpressionOperators = 300;
inline constexpr size_t kMinTableNameLength = 3;
inline constexpr size_t kMaxTableNameLength = 255;

// Query pages.
inline constexpr unsigned kDefaultPageSize = 100;
inline constexpr unsigned kMaxPageSize = 1000;
// ListTables pages (DynamoDB's own maximum).
inline constexpr unsigned kDefaultListTablesPageSize = 100;
inline constexpr unsigned kMaxListTablesPageSize = 100;

}  // namespace altgw::model

#endif  // ALTGW_MODEL_LIMITS_H_
