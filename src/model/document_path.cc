#include "model/document_path.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "model/limits.h"

namespace altgw::model {
namespace {

bool IsSpecial(char c) { return c == '.' || c == '[' || c == ']' || c == '`'; }

// Index elements are bounded so that the rendered expression stays small; DynamoDB lists are far shorter.
constexpr uint32_t kMaxListIndex = 999'999'999;

class PathParser {
 public:
  PathParser(absl::string_view text, const FieldRef& field, Violations& violations)
      : text_(text), field_(field), violations_(violations) {}

  std::optional<DocumentPath> Parse() {
    if (text_.empty()) return Fail("is empty; expected an attribute name or a path such as a.b[2].c");
    DocumentPath path;
    if (!ParseName(&path)) return std::nullopt;
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == '.') {
        ++pos_;
        if (!ParseName(&path)) return std::nullopt;
      } else if (c == '[') {
        ++pos_;
        if (!ParseIndex(&path)) return std::nullopt;
      } else {
        return Fail(absl::StrCat("unexpected '", std::string(1, c), "' at offset ", pos_));
      }
      if (path.size() > static_cast<size_t>(kMaxNestingDepth)) {
        return Fail(absl::StrCat("nests deeper than ", kMaxNestingDepth, " levels"));
      }
    }
    return path;
  }

 private:
  bool ParseName(DocumentPath* path) {
    std::string name;
    if (pos_ < text_.size() && text_[pos_] == '`') {
      ++pos_;
      for (;;) {
        if (pos_ >= text_.size()) return FailBool("has an unterminated `quoted` name");
        const char c = text_[pos_++];
        if (c != '`') {
          name.push_back(c);
          continue;
        }
        if (pos_ < text_.size() && text_[pos_] == '`') {  // `` is a literal backtick
          name.push_back('`');
          ++pos_;
          continue;
        }
        break;
      }
      if (name.empty()) return FailBool("has an empty quoted name");
    } else {
      const size_t start = pos_;
      while (pos_ < text_.size() && !IsSpecial(text_[pos_])) ++pos_;
      if (pos_ == start) {
        return FailBool(absl::StrCat("has an empty attribute name at offset ", start,
                                     " (quote names containing . [ ] ` with backticks)"));
      }
      name.assign(text_.data() + start, pos_ - start);
    }
    if (name.size() > kMaxAttributeNameBytes) {
      return FailBool(absl::StrCat("has a name longer than ", kMaxAttributeNameBytes, " bytes"));
    }
    path->push_back(PathElement{std::move(name), std::nullopt});
    return true;
  }

  bool ParseIndex(DocumentPath* path) {
    const size_t start = pos_;
    uint64_t value = 0;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      value = value * 10 + static_cast<uint64_t>(text_[pos_] - '0');
      if (value > kMaxListIndex) return FailBool(absl::StrCat("has a list index above ", kMaxListIndex));
      ++pos_;
    }
    if (pos_ == start) return FailBool(absl::StrCat("expects a list index (digits) at offset ", start));
    if (pos_ >= text_.size() || text_[pos_] != ']') {
      return FailBool(absl::StrCat("expects ']' at offset ", pos_));
    }
    ++pos_;
    path->push_back(PathElement{std::string(), static_cast<uint32_t>(value)});
    return true;
  }

  std::nullopt_t Fail(std::string why) {
    violations_.Add(field_, absl::StrCat("invalid path: ", why));
    return std::nullopt;
  }
  bool FailBool(std::string why) {
    Fail(std::move(why));
    return false;
  }

  absl::string_view text_;
  const FieldRef& field_;
  Violations& violations_;
  size_t pos_ = 0;
};

}  // namespace

std::optional<DocumentPath> ParseDocumentPath(absl::string_view text, const FieldRef& field,
                                              Violations& violations) {
  return PathParser(text, field, violations).Parse();
}

bool PathsOverlap(const DocumentPath& a, const DocumentPath& b) {
  const size_t n = std::min(a.size(), b.size());
  return std::equal(a.begin(), a.begin() + static_cast<ptrdiff_t>(n), b.begin());
}

bool PathsConflict(const DocumentPath& a, const DocumentPath& b) {
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    if (a[i] == b[i]) continue;
    return a[i].index.has_value() != b[i].index.has_value();
  }
  return false;
}

std::string FormatDocumentPath(const DocumentPath& path) {
  std::string out;
  for (const PathElement& element : path) {
    if (element.index) {
      absl::StrAppend(&out, "[", *element.index, "]");
      continue;
    }
    if (!out.empty()) out.push_back('.');
    const bool needs_quotes =
        std::any_of(element.name.begin(), element.name.end(), [](char c) { return IsSpecial(c); });
    if (!needs_quotes) {
      out.append(element.name);
      continue;
    }
    out.push_back('`');
    for (char c : element.name) {
      if (c == '`') out.push_back('`');
      out.push_back(c);
    }
    out.push_back('`');
  }
  return out;
}

}  // namespace altgw::model
