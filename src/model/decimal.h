// Exact decimal numbers with DynamoDB's limits, held in one canonical text form.
//
// DynamoDB numbers have at most 38 significant digits and a magnitude of 0 or within [1e-130, 1e126).
// DynamoDB (and DynamoDB Local) return them in plain notation with no exponent and no redundant zeros,
// and the gateway canonicalises every number it sends to that same form, so "1e3", "1000.0" and the
// integer 1000 become the same key on every backend (Alternator does not normalise numeric keys).

#ifndef ALTGW_MODEL_DECIMAL_H_
#define ALTGW_MODEL_DECIMAL_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace altgw::model {

class Decimal {
 public:
  // DynamoDB's limits. A value is either zero or has a leading-digit exponent (the E of d.ddd×10^E) in
  // [kMinExponent, kMaxExponent].
  static constexpr size_t kMaxSignificantDigits = 38;
  static constexpr int kMinExponent = -130;
  static constexpr int kMaxExponent = 125;

  // Zero.
  Decimal() : canonical_("0") {}

  // Parses [+-]digits[.digits][(e|E)[+-]digits] with at least one mantissa digit (so "+5", ".5", "5."
  // and "1E+100" are accepted). Returns InvalidArgument for anything else (empty, whitespace, hex,
  // NaN/Infinity) and for values with more than 38 significant digits or outside DynamoDB's range.
  static absl::StatusOr<Decimal> Parse(absl::string_view text);

  // Every int64 is representable (at most 19 significant digits).
  static Decimal FromInt64(int64_t value);

  // Converts a finite double through its shortest round-trip decimal form, so 0.1 becomes "0.1" rather
  // than the binary value's exact 55-digit expansion. InvalidArgument for NaN, infinities and doubles
  // outside DynamoDB's range (e.g. 1e300, 5e-324).
  static absl::StatusOr<Decimal> FromDouble(double value);

  // Plain notation: optional '-', no exponent, no leading zeros except a single "0" before '.', no
  // trailing fractional zeros, no '.' for integers, "0" for zero (never "-0").
  const std::string& canonical() const { return canonical_; }

  // The value as an int64 when it is an integer within int64's range; nullopt otherwise.
  std::optional<int64_t> ToInt64() const;

  // Digits from the first to the last non-zero digit ("1000" has 1, "100.5" has 4); 0 for zero.
  size_t significant_digits() const { return significant_digits_; }

  bool is_zero() const { return significant_digits_ == 0; }
  bool is_negative() const { return canonical_[0] == '-'; }

  // Canonical forms are unique, so textual equality is numeric equality.
  friend bool operator==(const Decimal& a, const Decimal& b) { return a.canonical_ == b.canonical_; }

  template <typename H>
  friend H AbslHashValue(H h, const Decimal& d) {
    return H::combine(std::move(h), d.canonical_);
  }

 private:
  Decimal(std::string canonical, size_t significant_digits)
      : canonical_(std::move(canonical)), significant_digits_(significant_digits) {}

  std::string canonical_;
  size_t significant_digits_ = 0;
};

}  // namespace altgw::model

#endif  // ALTGW_MODEL_DECIMAL_H_
