// Evaluates a typed Condition against an item in memory, with DynamoDB's semantics.
//
// Used when a backend without transactions (Alternator) runs a single-item Transaction as one conditional
// write whose condition is the AND of several operations' conditions: when that write fails and returns the
// current item, evaluating each operation's condition on it tells which operation's condition failed.
//
// Semantics (each doubtful case measured on DynamoDB Local; see tests/model/condition_evaluator_test.cc):
//   - A path into nested maps and lists that does not lead to a value (missing name, index out of range, a
//     name on a non-map, an index on a non-list) is absent. When the item does not exist, every path is.
//   - A comparison with an absent operand is false for =, <, <=, >, >=, BETWEEN and IN, but TRUE for <>
//     (also when both sides are absent); NOT of a false comparison is true.
//   - = and <> compare values of any type: numbers by value, sets as sets (order-independent), lists in
//     order, maps by their fields; values of different types are unequal.
//   - <, <=, >, >= and BETWEEN order numbers by value, strings by UTF-8 bytes and binaries by unsigned
//     bytes; they are false for different types and for any other type.
//   - begins_with: string prefix of a string, or byte prefix of a binary; false otherwise.
//   - contains: substring of a string, byte substring of a binary, element of a set (numbers by value), or
//     an element of a list equal to the operand; false otherwise.
//   - size: bytes of a string or binary, elements of a list, map or set; a number, bool or null has no size,
//     so a size comparison on it (or on an absent path) behaves as a comparison with an absent operand.
#ifndef ALTGW_MODEL_CONDITION_EVALUATOR_H_
#define ALTGW_MODEL_CONDITION_EVALUATOR_H_

#include "absl/status/statusor.h"
#include "alternator/gateway/v1/expression.pb.h"
#include "model/value_codec.h"

namespace altgw::model {

// Whether `condition` holds for `item` (the current item; an empty map when the item does not exist).
// InvalidArgument only for a condition the gateway would have rejected: an invalid path, an unset kind,
// comparator or attribute type, an empty all_of / any_of / is_in, an operand with an unset kind or an
// invalid number, a begins_with prefix that is neither a string nor bytes, or nesting deeper than 64.
// Malformed values inside the item (from the database, so not expected) are simply unequal to anything.
absl::StatusOr<bool> EvaluateCondition(const v1::Condition& condition, const AttributeMap& item);

}  // namespace altgw::model

#endif  // ALTGW_MODEL_CONDITION_EVALUATOR_H_
