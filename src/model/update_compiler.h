// Compiles typed UpdateActions into a DynamoDB update expression (SET / REMOVE / ADD / DELETE clauses) with
// placeholders only, rejecting what DynamoDB would reject: overlapping or conflicting paths, table key
// attributes, index key attributes given invalid values, ADD/DELETE on nested paths or on values of the wrong
// kind.
#ifndef ALTGW_MODEL_UPDATE_COMPILER_H_
#define ALTGW_MODEL_UPDATE_COMPILER_H_

#include <string>

#include "alternator/gateway/v1/expression.pb.h"
#include "common/violations.h"
#include "model/expression_context.h"
#include "model/table_schema.h"
#include "model/value_codec.h"

namespace altgw::model {

struct CompiledUpdate {
  std::string expression;  // empty when there are no actions
  // Whether an action reads the current item (if_not_exists, +, list_append, ADD, DELETE, nested paths):
  // such updates are read-modify-write on Alternator (an LWT under `only_rmw_uses_lwt`).
  bool reads_item = false;
};

// `schema` supplies the table's key attributes (which no action may touch), its index key attributes
// (which may only be set as a whole to a valid key value, or removed) and its version attribute (which the
// gateway maintains). `extra_set`, when not empty, is one more SET item already rendered with `context`
// placeholders (the version bump).
CompiledUpdate CompileUpdate(const google::protobuf::RepeatedPtrField<v1::UpdateAction>& actions,
                             const TableSchema& schema, const FieldRef& field, ExpressionContext& context,
                             ValueEncoder& encoder, std::string extra_set = {});

}  // namespace altgw::model

#endif  // ALTGW_MODEL_UPDATE_COMPILER_H_
