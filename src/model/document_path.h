// Document paths: the `a.b[2].c` syntax of request fields named `path` (grammar in expression.proto).
//
// A parsed path is a list of elements, each an attribute name or a list index. Names are never put in an
// expression as text: ExpressionContext turns each into a #placeholder.
#ifndef ALTGW_MODEL_DOCUMENT_PATH_H_
#define ALTGW_MODEL_DOCUMENT_PATH_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/violations.h"

namespace altgw::model {

struct PathElement {
  // Set for a name element.
  std::string name;
  // Set for an index element (`[n]`).
  std::optional<uint32_t> index;

  bool operator==(const PathElement&) const = default;
};

using DocumentPath = std::vector<PathElement>;

// Parses `text`; on error records a violation on `field` and returns nullopt.
std::optional<DocumentPath> ParseDocumentPath(absl::string_view text, const FieldRef& field,
                                              Violations& violations);

// True when one path is a prefix of the other (they address overlapping parts of an item).
bool PathsOverlap(const DocumentPath& a, const DocumentPath& b);

// True when, where the paths first differ, one has a list index and the other a name: they treat the same
// parent as a list (`a[0]`) and as a map (`a.b`). DynamoDB rejects such a pair in one update or projection
// ("Two document paths conflict with each other"), as it rejects overlapping paths.
bool PathsConflict(const DocumentPath& a, const DocumentPath& b);

// The path in the request syntax (names quoted with backticks only when needed), for messages.
std::string FormatDocumentPath(const DocumentPath& path);

}  // namespace altgw::model

#endif  // ALTGW_MODEL_DOCUMENT_PATH_H_
