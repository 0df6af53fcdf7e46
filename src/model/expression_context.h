// ExpressionContext: the placeholders of one DynamoDB request.
//
// Every attribute name in every expression of a request becomes `#nK` (the same name reuses its
// placeholder) and every value becomes `:vK`, collected here into ExpressionAttributeNames and
// ExpressionAttributeValues. This is the only way the compilers put caller data into an expression, which
// is what makes hostile attribute names harmless.
#ifndef ALTGW_MODEL_EXPRESSION_CONTEXT_H_
#define ALTGW_MODEL_EXPRESSION_CONTEXT_H_

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "model/document_path.h"
#include "nlohmann/json.hpp"

namespace altgw::model {

class ExpressionContext {
 public:
  // Appends the placeholder of `name` to `out`.
  void AppendName(std::string* out, absl::string_view name);
  // Appends `#n0.#n1[2]`-style text for the path.
  void AppendPath(std::string* out, const DocumentPath& path);
  // Appends a new `:vK` placeholder bound to the (already validated, DynamoDB JSON) value.
  void AppendValue(std::string* out, nlohmann::json value);

  // Writes ExpressionAttributeNames / ExpressionAttributeValues into the request body when non-empty.
  void WriteTo(nlohmann::json& body) &&;

  bool empty() const { return names_.empty() && values_.empty(); }

 private:
  absl::flat_hash_map<std::string, std::string> placeholder_of_name_;
  nlohmann::json names_ = nlohmann::json::object();
  nlohmann::json values_ = nlohmann::json::object();
  size_t next_value_ = 0;
};

}  // namespace altgw::model

#endif  // ALTGW_MODEL_EXPRESSION_CONTEXT_H_
