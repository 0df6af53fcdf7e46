#include "model/table_names.h"

#include "absl/strings/str_cat.h"
#include "model/limits.h"

namespace altgw::model {

bool CheckTableName(absl::string_view name, const FieldRef& field, Violations& violations) {
  if (name.size() < kMinTableNameLength || name.size() > kMaxTableNameLength) {
    violations.Add(field, absl::StrCat("must be ", kMinTableNameLength, " to ", kMaxTableNameLength,
                                       " characters long (is ", name.size(), ")"));
    return false;
  }
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '-' || c == '.';
    if (!ok) {
      violations.Add(field, "may contain only a-z, A-Z, 0-9, '_', '-' and '.'");
      return false;
    }
  }
  return true;
}

}  // namespace altgw::model
