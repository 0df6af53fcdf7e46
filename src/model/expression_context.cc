#include "model/expression_context.h"

#include "absl/strings/str_cat.h"

namespace altgw::model {

void ExpressionContext::AppendName(std::string* out, absl::string_view name) {
  auto [it, inserted] = placeholder_of_name_.try_emplace(name);
  if (inserted) {
    it->second = absl::StrCat("#n", placeholder_of_name_.size() - 1);
    names_[it->second] = std::string(name);
  }
  out->append(it->second);
}

void ExpressionContext::AppendPath(std::string* out, const DocumentPath& path) {
  for (size_t i = 0; i < path.size(); ++i) {
    const PathElement& element = path[i];
    if (element.index) {
      absl::StrAppend(out, "[", *element.index, "]");
    } else {
      if (i > 0) out->push_back('.');
      AppendName(out, element.name);
    }
  }
}

void ExpressionContext::AppendValue(std::string* out, nlohmann::json value) {
  std::string placeholder = absl::StrCat(":v", next_value_++);
  out->append(placeholder);
  values_[std::move(placeholder)] = std::move(value);
}

void ExpressionContext::WriteTo(nlohmann::json& body) && {
  if (!names_.empty()) body["ExpressionAttributeNames"] = std::move(names_);
  if (!values_.empty()) body["ExpressionAttributeValues"] = std::move(values_);
}

}  // namespace altgw::model
