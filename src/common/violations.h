// Violations: collects every problem found while validating one request, so that a caller sees all of its
// mistakes in one BadRequest instead of fixing them one round trip at a time.
//
// FieldRef names the request field a violation is about (`item["price"].number_value.decimal`,
// `actions[2].set.path`). It is a chain of stack frames rendered only when a violation is recorded, so
// validating a valid request builds no strings.
#ifndef ALTGW_COMMON_VIOLATIONS_H_
#define ALTGW_COMMON_VIOLATIONS_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/gateway_error.h"

namespace altgw {

class FieldRef {
 public:
  // A top-level request field ("item", "key", "condition"), or the whole request when empty.
  explicit FieldRef(absl::string_view name) : name_(name) {}

  // A FieldRef points at its parent, so it must be derived from a named (non-temporary) FieldRef: the
  // rvalue overloads are deleted to make `a.Child("x").Child("y")` (a dangling parent) a compile error.
  // Write `a.Child("x.y")` instead.

  // `.name` (may hold several dotted segments)
  FieldRef Child(absl::string_view name) const& { return FieldRef(this, Kind::kChild, name, 0); }
  // `["key"]`, with JSON-style escapes so that hostile attribute names cannot forge field paths.
  FieldRef Key(absl::string_view key) const& { return FieldRef(this, Kind::kKey, key, 0); }
  // `[index]`
  FieldRef Index(size_t index) const& { return FieldRef(this, Kind::kIndex, {}, index); }
  FieldRef Child(absl::string_view) const&& = delete;
  FieldRef Key(absl::string_view) const&& = delete;
  FieldRef Index(size_t) const&& = delete;

  std::string ToString() const;

 private:
  enum class Kind { kRoot, kChild, kKey, kIndex };
  FieldRef(const FieldRef* parent, Kind kind, absl::string_view name, size_t index)
      : parent_(parent), kind_(kind), name_(name), index_(index) {}
  void AppendTo(std::string* out) const;

  const FieldRef* parent_ = nullptr;
  Kind kind_ = Kind::kRoot;
  absl::string_view name_;
  size_t index_ = 0;
};

class Violations {
 public:
  // More violations than this are counted but not listed: the first ones are enough to act on, and a
  // hostile request must not make the error larger than the request.
  static constexpr size_t kMaxReported = 20;

  void Add(const FieldRef& field, std::string description) {
    ++count_;
    if (list_.size() < kMaxReported) list_.push_back({field.ToString(), std::move(description)});
  }

  bool empty() const { return count_ == 0; }
  size_t count() const { return count_; }
  const std::vector<FieldViolation>& list() const { return list_; }

  GatewayError ToError() const { return GatewayError::InvalidRequest(list_); }

 private:
  size_t count_ = 0;
  std::vector<FieldViolation> list_;
};

}  // namespace altgw

#endif  // ALTGW_COMMON_VIOLATIONS_H_
