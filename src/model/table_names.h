// DynamoDB's rule for table and index names, enforced by the gateway on every backend.
#ifndef ALTGW_MODEL_TABLE_NAMES_H_
#define ALTGW_MODEL_TABLE_NAMES_H_

#include "absl/strings/string_view.h"
#include "common/violations.h"

namespace altgw::model {

// 3 to 255 characters from a-z A-Z 0-9 _ - . ; records a violation otherwise.
bool CheckTableName(absl::string_view name, const FieldRef& field, Violations& violations);

}  // namespace altgw::model

#endif  // ALTGW_MODEL_TABLE_NAMES_H_
