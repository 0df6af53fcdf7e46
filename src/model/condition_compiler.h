// Compiles a typed Condition into a DynamoDB condition (or filter) expression with placeholders only.
#ifndef ALTGW_MODEL_CONDITION_COMPILER_H_
#define ALTGW_MODEL_CONDITION_COMPILER_H_

#include <string>

#include "alternator/gateway/v1/expression.pb.h"
#include "common/violations.h"
#include "model/expression_context.h"
#include "model/value_codec.h"

namespace altgw::model {

// The expression text for `condition`; names and values go into `context`. Problems are recorded in the
// encoder's violations (the returned text is then meaningless). Also enforces DynamoDB's limits on the
// expression's length and operator count.
std::string CompileCondition(const v1::Condition& condition, const FieldRef& field, ExpressionContext& context,
                             ValueEncoder& encoder);

// Appends "path1, path2, ..." for a projection; nothing when `paths` is empty. Overlapping or conflicting
// paths (see PathsOverlap, PathsConflict) are rejected, as DynamoDB rejects them.
std::string CompileProjection(const google::protobuf::RepeatedPtrField<std::string>& paths,
                              const FieldRef& field, ExpressionContext& context, Violations& violations);

// Records a violation when a compiled expression is longer than DynamoDB accepts.
void CheckExpressionLength(const std::string& expression, const FieldRef& field, Violations& violations);

}  // namespace altgw::model

#endif  // ALTGW_MODEL_CONDITION_COMPILER_H_
