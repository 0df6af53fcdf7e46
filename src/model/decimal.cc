#include "model/decimal.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <system_error>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace altgw::model {
namespace {

// Inputs echoed in error messages are cut to this many bytes: the text comes from clients and may be
// arbitrarily long.
constexpr size_t kMaxQuotedLength = 64;

// Exponent digits stop accumulating once the value reaches this cap. Any exponent that large is out of
// range whatever the mantissa (whose length is bounded by the request size, far below 1e12), and the
// cap keeps the arithmetic well inside int64 so "1e99999999999999999999" is a range error, not UB.
constexpr int64_t kExponentCap = 1'000'000'000'000;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

std::string Quote(absl::string_view text) {
  if (text.size() <= kMaxQuotedLength) return absl::StrCat("\"", absl::CHexEscape(text), "\"");
  return absl::StrCat("\"", absl::CHexEscape(text.substr(0, kMaxQuotedLength)), "...\"");
}

absl::Status NotADecimal(absl::string_view text) {
  return absl::InvalidArgumentError(absl::StrCat("number ", Quote(text), " is not a decimal number"));
}

}  // namespace

absl::StatusOr<Decimal> Decimal::Parse(absl::string_view text) {
  // One pass over the text checks the syntax and records where the mantissa's digits are and which of
  // them are the first and last non-zero ones; the digits between those two are the significant digits.
  // Mantissa digits are numbered 0, 1, ... across the '.', so digit k has weight
  // 10^(int_digits - 1 - k + exponent).
  const char* p = text.data();
  const char* const end = p + text.size();

  bool negative = false;
  if (p != end && (*p == '+' || *p == '-')) {
    negative = *p == '-';
    ++p;
  }

  // Mantissa digit k lives at int_begin[k] or, past the integer part, at frac_begin[k - int_digits].
  int64_t k = 0;
  int64_t first = -1;
  int64_t last = -1;
  auto scan_digits = [&] {
    for (; p != end && IsDigit(*p); ++p, ++k) {
      if (*p != '0') {
        if (first < 0) first = k;
        last = k;
      }
    }
  };
  const char* const int_begin = p;
  scan_digits();
  const int64_t int_digits = k;
  const char* frac_begin = p;
  if (p != end && *p == '.') {
    frac_begin = ++p;
    scan_digits();
  }
  if (k == 0) return NotADecimal(text);

  int64_t exponent = 0;
  if (p != end && (*p == 'e' || *p == 'E')) {
    ++p;
    bool negative_exponent = false;
    if (p != end && (*p == '+' || *p == '-')) {
      negative_exponent = *p == '-';
      ++p;
    }
    if (p == end || !IsDigit(*p)) return NotADecimal(text);
    for (; p != end && IsDigit(*p); ++p) {
      if (exponent < kExponentCap) exponent = exponent * 10 + (*p - '0');
    }
    if (negative_exponent) exponent = -exponent;
  }
  if (p != end) return NotADecimal(text);

  if (first < 0) return Decimal();  // any zero, whatever its sign or exponent

  const int64_t significant = last - first + 1;
  if (significant > static_cast<int64_t>(kMaxSignificantDigits)) {
    return absl::InvalidArgumentError(absl::StrCat("number ", Quote(text), " has ", significant,
                                                   " significant digits; at most ", kMaxSignificantDigits,
                                                   " are allowed"));
  }
  // Exponents of the leading and trailing significant digits.
  const int64_t lead_exp = int_digits - 1 - first + exponent;
  const int64_t trail_exp = lead_exp - (significant - 1);
  if (lead_exp > kMaxExponent) {
    return absl::InvalidArgumentError(
        absl::StrCat("number ", Quote(text),
                     ": magnitude is larger than the maximum 9.9999999999999999999999999999999999999E+125"));
  }
  if (lead_exp < kMinExponent) {
    return absl::InvalidArgumentError(
        absl::StrCat("number ", Quote(text), ": magnitude is smaller than the minimum 1E-130"));
  }

  // Now every quantity is small (|exponents| <= 130, at most 38 digits): size the result exactly and
  // fill it in, so the canonical string is the only allocation.
  //   lead_exp >= 0, trail_exp >= 0:  digits, then trail_exp zeros        ("1000")
  //   lead_exp >= 0, trail_exp <  0:  digits with '.' after lead_exp + 1  ("12.5")
  //   lead_exp <  0:                  "0.", -lead_exp - 1 zeros, digits   ("0.00125")
  size_t length = negative ? 1 : 0;
  if (trail_exp >= 0) {
    length += static_cast<size_t>(lead_exp + 1);
  } else if (lead_exp >= 0) {
    length += static_cast<size_t>(significant + 1);
  } else {
    length += static_cast<size_t>(2 + (-lead_exp - 1) + significant);
  }
  std::string out(length, '0');
  char* o = out.data();
  if (negative) *o++ = '-';
  if (lead_exp < 0) {
    o[1] = '.';
    o += 2 + (-lead_exp - 1);
  }
  for (int64_t i = first; i <= last; ++i) {
    if (lead_exp >= 0 && i - first == lead_exp + 1) *o++ = '.';
    *o++ = i < int_digits ? int_begin[i] : frac_begin[i - int_digits];
  }
  // Whatever follows (an integer's trail_exp zeros) is already '0'.
  return Decimal(std::move(out), static_cast<size_t>(significant));
}

Decimal Decimal::FromInt64(int64_t value) {
  char buffer[24];  // "-9223372036854775808" is 20 characters
  const std::to_chars_result result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  std::string text(buffer, result.ptr);
  // Significant digits: skip the sign, then drop the trailing zeros, which are not significant.
  size_t digits_end = text.size();
  while (digits_end > 0 && text[digits_end - 1] == '0') --digits_end;
  const size_t digits_begin = value < 0 ? 1 : 0;
  const size_t significant = digits_end > digits_begin ? digits_end - digits_begin : 0;
  return Decimal(std::move(text), significant);
}

absl::StatusOr<Decimal> Decimal::FromDouble(double value) {
  if (!std::isfinite(value)) {
    return absl::InvalidArgumentError(
        absl::StrCat("number ", value, " is not finite; NaN and infinities are not decimal numbers"));
  }
  // With no precision argument, to_chars produces the shortest digits that read back as the same double
  // (at most 17), e.g. "1e-01", "1e+300", "-0e+00", "5e-324"; Parse then range-checks them. Scientific
  // format is requested explicitly: the general format may pick fixed notation for large integral
  // doubles, which spells out the binary value's exact digits (123456789012345678848 rather than the
  // shortest 1.2345678901234568e+20).
  char buffer[32];
  const std::to_chars_result result =
      std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::scientific);
  if (result.ec != std::errc()) {
    return absl::InternalError("cannot format a double");  // cannot happen: 32 bytes always suffice
  }
  return Parse(absl::string_view(buffer, static_cast<size_t>(result.ptr - buffer)));
}

std::optional<int64_t> Decimal::ToInt64() const {
  // Canonical integers have no '.', and from_chars reports out-of-range values precisely, including
  // the asymmetric edge "-9223372036854775808".
  const char* const begin = canonical_.data();
  const char* const end = begin + canonical_.size();
  int64_t value = 0;
  const std::from_chars_result result = std::from_chars(begin, end, value);
  if (result.ec != std::errc() || result.ptr != end) return std::nullopt;
  return value;
}

}  // namespace altgw::model
