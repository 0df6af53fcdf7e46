#include "common/violations.h"

#include "absl/strings/str_format.h"

namespace altgw {

std::string FieldRef::ToString() const {
  std::string out;
  AppendTo(&out);
  return out;
}

void FieldRef::AppendTo(std::string* out) const {
  if (parent_ != nullptr) parent_->AppendTo(out);
  switch (kind_) {
    case Kind::kRoot:
      out->append(name_.data(), name_.size());
      return;
    case Kind::kChild:
      if (!out->empty()) out->push_back('.');
      out->append(name_.data(), name_.size());
      return;
    case Kind::kIndex:
      absl::StrAppendFormat(out, "[%d]", index_);
      return;
    case Kind::kKey:
      out->append("[\"");
      for (unsigned char c : name_) {
        if (c == '"' || c == '\\') {
          out->push_back('\\');
          out->push_back(static_cast<char>(c));
        } else if (c < 0x20 || c == 0x7f) {
          absl::StrAppendFormat(out, "\\u%04x", c);
        } else {
          out->push_back(static_cast<char>(c));
        }
      }
      out->append("\"]");
      return;
  }
}

}  // namespace altgw
