#include "model/decimal.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>

#include "absl/hash/hash_testing.h"
#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace altgw::model {
namespace {

using ::testing::HasSubstr;

// The canonical form of `text`, or a failure naming the status.
std::string Canon(absl::string_view text) {
  absl::StatusOr<Decimal> d = Decimal::Parse(text);
  if (!d.ok()) return "ERROR: " + d.status().ToString();
  return d->canonical();
}

std::string Zeros(size_t n) { return std::string(n, '0'); }

void ExpectRejected(absl::string_view text, absl::string_view message_part) {
  absl::StatusOr<Decimal> d = Decimal::Parse(text);
  ASSERT_FALSE(d.ok()) << "accepted \"" << text << "\" as " << d->canonical();
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument) << text;
  EXPECT_THAT(d.status().message(), HasSubstr(message_part)) << text;
}

TEST(DecimalParseTest, AcceptsDynamoDbForms) {
  EXPECT_EQ(Canon("+5"), "5");
  EXPECT_EQ(Canon(".5"), "0.5");
  EXPECT_EQ(Canon("5."), "5");
  EXPECT_EQ(Canon("-0"), "0");
  EXPECT_EQ(Canon("1e3"), "1000");
  EXPECT_EQ(Canon("1E+100"), "1" + Zeros(100));
  EXPECT_EQ(Canon("0.00012300"), "0.000123");
  EXPECT_EQ(Canon("1000.000"), "1000");
  EXPECT_EQ(Canon("-1e-130"), "-0." + Zeros(129) + "1");
}

TEST(DecimalParseTest, CanonicalFormIsPlainWithoutRedundantZeros) {
  EXPECT_EQ(Canon("0"), "0");
  EXPECT_EQ(Canon("000"), "0");
  EXPECT_EQ(Canon("0.000"), "0");
  EXPECT_EQ(Canon("+0.0e-5"), "0");
  EXPECT_EQ(Canon("007"), "7");
  EXPECT_EQ(Canon("-007.500"), "-7.5");
  EXPECT_EQ(Canon("12.5"), "12.5");
  EXPECT_EQ(Canon("1.25E-7"), "0.000000125");
  EXPECT_EQ(Canon("1.25e1"), "12.5");
  EXPECT_EQ(Canon("1.25e2"), "125");
  EXPECT_EQ(Canon("1.25e3"), "1250");
  EXPECT_EQ(Canon("12345e-2"), "123.45");
  EXPECT_EQ(Canon("12345e-5"), "0.12345");
  EXPECT_EQ(Canon("12345e-6"), "0.012345");
  EXPECT_EQ(Canon("0.0012345e4"), "12.345");
  EXPECT_EQ(Canon("100e-2"), "1");
  EXPECT_EQ(Canon("100e-3"), "0.1");
  EXPECT_EQ(Canon("-.5e1"), "-5");
  EXPECT_EQ(Canon("+.5"), "0.5");
  EXPECT_EQ(Canon("5.e2"), "500");
  EXPECT_EQ(Canon("1e0"), "1");
  EXPECT_EQ(Canon("1e-0"), "1");
  EXPECT_EQ(Canon("1e+0"), "1");
  EXPECT_EQ(Canon("1e007"), "10000000");
  EXPECT_EQ(Canon("-1"), "-1");
  EXPECT_EQ(Canon("-0.001"), "-0.001");
  EXPECT_EQ(Canon("10.01"), "10.01");
}

TEST(DecimalParseTest, EquivalentSpellingsAreEqual) {
  const Decimal thousand = Decimal::FromInt64(1000);
  for (absl::string_view text :
       {"1e3", "1000.0", "1000", "+1000", "1E+3", "0.001e6", "10000e-1", "001000.000"}) {
    absl::StatusOr<Decimal> d = Decimal::Parse(text);
    ASSERT_TRUE(d.ok()) << text;
    EXPECT_EQ(*d, thousand) << text;
  }
  EXPECT_FALSE(*Decimal::Parse("1000.5") == thousand);
  EXPECT_FALSE(*Decimal::Parse("-1000") == thousand);
}

TEST(DecimalParseTest, ZeroWithAnyExponentIsZero) {
  EXPECT_EQ(Canon("0e999999"), "0");
  EXPECT_EQ(Canon("0e-999999"), "0");
  EXPECT_EQ(Canon("-0.000e99999999999999999999999"), "0");
  EXPECT_EQ(Canon("0E-99999999999999999999999"), "0");
  EXPECT_EQ(Canon(Zeros(500)), "0");
  const Decimal zero = *Decimal::Parse("-0.0");
  EXPECT_TRUE(zero.is_zero());
  EXPECT_FALSE(zero.is_negative());
  EXPECT_EQ(zero.significant_digits(), 0u);
  EXPECT_EQ(zero, Decimal());
}

TEST(DecimalParseTest, RejectsNonDecimalText) {
  for (absl::string_view text :
       {"",          " ",   "+",     "-",   ".",     "+.",    "-.",   "e5",   ".e5",   "E5",    "+e5",
        "1e",        "1e+", "1e-",   "1E",  "1e5.5", "1.2.3", "1..2", "--1",  "+-1",   "-+1",   "++1",
        " 1",        "1 ",  "1 000", "\t1", "1\n",   "0x10",  "0X1A", "1f",   "NaN",   "nan",   "Infinity",
        "-Infinity", "inf", "1e5e5", "1,5", "1_000", "e",     "ee",   "1ee5", "1e++5", "1e--5", "٣"}) {
    ExpectRejected(text, "is not a decimal number");
  }
  // Embedded NUL bytes are not digits either.
  ExpectRejected(absl::string_view("1\0", 2), "is not a decimal number");
}

TEST(DecimalParseTest, ErrorMessageQuotesAndTruncatesInput) {
  absl::StatusOr<Decimal> d = Decimal::Parse("abc");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().message(), "number \"abc\" is not a decimal number");

  const std::string long_text = std::string(1000, '1') + "x";
  d = Decimal::Parse(long_text);
  ASSERT_FALSE(d.ok());
  EXPECT_LT(d.status().message().size(), 200u);
  EXPECT_THAT(d.status().message(), HasSubstr("...\" is not a decimal number"));

  d = Decimal::Parse("\x01\xff");
  ASSERT_FALSE(d.ok());
  EXPECT_THAT(d.status().message(), HasSubstr("\"\\x01\\xff\""));  // escaped, not raw bytes
}

TEST(DecimalParseTest, SignificantDigitLimit) {
  const std::string digits38 = "12345678901234567890123456789012345678";
  const std::string digits39 = "123456789012345678901234567890123456789";
  EXPECT_EQ(Canon(digits38), digits38);
  EXPECT_EQ(Canon("-" + digits38), "-" + digits38);
  EXPECT_EQ(Decimal::Parse(digits38)->significant_digits(), 38u);
  ExpectRejected(digits39, "has 39 significant digits; at most 38 are allowed");
  ExpectRejected("-" + digits39, "has 39 significant digits; at most 38 are allowed");

  // Leading zeros, before or after the point, are not significant.
  EXPECT_EQ(Canon("0.000" + digits38), "0.000" + digits38);
  EXPECT_EQ(Canon("000" + digits38), digits38);
  ExpectRejected("0.000" + digits39, "has 39 significant digits");

  // Trailing zeros are not significant, in the integer part or in the fraction.
  EXPECT_EQ(Canon("1" + Zeros(125)), "1" + Zeros(125));
  EXPECT_EQ(Decimal::Parse("1" + Zeros(125))->significant_digits(), 1u);
  EXPECT_EQ(Canon(digits38 + "000"), digits38 + "000");
  EXPECT_EQ(Canon("1." + digits38.substr(1) + "000000"), "1." + digits38.substr(1));

  // Zeros between non-zero digits are significant: 1, 37 zeros, 1 is 39 digits.
  ExpectRejected("1" + Zeros(37) + "1", "has 39 significant digits");
  ExpectRejected("1." + Zeros(37) + "1", "has 39 significant digits");
  EXPECT_EQ(Canon("1" + Zeros(36) + "1"), "1" + Zeros(36) + "1");

  // The limit is on digits, not on the text's length or the point's position.
  EXPECT_EQ(Canon("1234567890123456789.0123456789012345678"), "1234567890123456789.0123456789012345678");
  ExpectRejected("1234567890123456789.01234567890123456789", "has 39 significant digits");
  ExpectRejected(digits39 + "e-50", "has 39 significant digits");
}

TEST(DecimalParseTest, UpperBoundary) {
  const std::string nines38(38, '9');
  EXPECT_EQ(Canon("1e125"), "1" + Zeros(125));
  EXPECT_EQ(Canon("9.9999999999999999999999999999999999999e125"), nines38 + Zeros(88));
  EXPECT_EQ(Canon("-9.9999999999999999999999999999999999999E+125"), "-" + nines38 + Zeros(88));
  EXPECT_EQ(Canon("0.1e126"), "1" + Zeros(125));
  EXPECT_EQ(Canon("9" + Zeros(125)), "9" + Zeros(125));

  constexpr absl::string_view kTooLarge =
      "magnitude is larger than the maximum 9.9999999999999999999999999999999999999E+125";
  ExpectRejected("1e126", kTooLarge);
  ExpectRejected("-1e126", kTooLarge);
  ExpectRejected("10e125", kTooLarge);
  ExpectRejected("1" + Zeros(126), kTooLarge);
  ExpectRejected("1e99999999999999999999", kTooLarge);
  ExpectRejected("1e" + std::string(5000, '9'), kTooLarge);
  ExpectRejected("0.001e9223372036854775807", kTooLarge);
  ExpectRejected("1e9223372036854775808", kTooLarge);
}

TEST(DecimalParseTest, LowerBoundary) {
  EXPECT_EQ(Canon("1e-130"), "0." + Zeros(129) + "1");
  EXPECT_EQ(Canon("1.5e-130"), "0." + Zeros(129) + "15");
  EXPECT_EQ(Canon("10e-131"), "0." + Zeros(129) + "1");
  const std::string digits38 = "12345678901234567890123456789012345678";
  EXPECT_EQ(Canon("1." + digits38.substr(1) + "e-130"), "0." + Zeros(129) + digits38);

  constexpr absl::string_view kTooSmall = "magnitude is smaller than the minimum 1E-130";
  ExpectRejected("0.9e-130", kTooSmall);
  ExpectRejected("9e-131", kTooSmall);
  ExpectRejected("1e-131", kTooSmall);
  ExpectRejected("-1e-131", kTooSmall);
  ExpectRejected("0." + Zeros(130) + "1", kTooSmall);
  ExpectRejected("1e-99999999999999999999", kTooSmall);
  ExpectRejected("1000e-9223372036854775808", kTooSmall);
}

TEST(DecimalParseTest, LongInputsWithFewSignificantDigits) {
  // Leading and trailing zeros may be many; only the value's digits and range matter.
  EXPECT_EQ(Canon(Zeros(10000) + "1." + Zeros(10000)), "1");
  EXPECT_EQ(Canon("1" + Zeros(10000) + "e-10000"), "1");
  EXPECT_EQ(Canon("0." + Zeros(10000) + "1e10001"), "1");
}

// A deliberately naive model of the same rules, to compare Parse against on random inputs: the value is
// `digits` × 10^-scale; the canonical form is built by padding and cutting strings.
struct Expected {
  std::string canonical;  // empty when the value is rejected
  std::string error;      // the message part expected when rejected
  size_t significant = 0;
};

Expected NaiveModel(bool negative, std::string digits, int64_t scale) {
  digits.erase(0, std::min(digits.find_first_not_of('0'), digits.size()));
  if (digits.empty()) return {"0", "", 0};
  while (digits.back() == '0') {
    digits.pop_back();
    --scale;
  }
  const int64_t lead_exp = static_cast<int64_t>(digits.size()) - 1 - scale;
  if (digits.size() > 38) return {"", "significant digits; at most 38 are allowed", 0};
  if (lead_exp > 125) return {"", "magnitude is larger than the maximum", 0};
  if (lead_exp < -130) return {"", "magnitude is smaller than the minimum", 0};
  const size_t significant = digits.size();
  if (scale <= 0) {
    digits.append(static_cast<size_t>(-scale), '0');
  } else {
    if (static_cast<int64_t>(digits.size()) <= scale)
      digits.insert(0, static_cast<size_t>(scale) - digits.size() + 1, '0');
    digits.insert(digits.size() - static_cast<size_t>(scale), ".");
  }
  return {(negative ? "-" : "") + digits, "", significant};
}

TEST(DecimalParseTest, MatchesNaiveModelOnRandomInputs) {
  std::mt19937_64 rng(7);
  auto uniform = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  // Digits with many zeros, so leading, trailing and inner zeros all get exercised.
  auto random_digits = [&](int n) {
    std::string out;
    for (int i = 0; i < n; ++i)
      out.push_back(uniform(0, 2) == 0 ? static_cast<char>('0' + uniform(0, 9)) : '0');
    if (n > 0 && uniform(0, 1)) out[static_cast<size_t>(uniform(0, n - 1))] = '7';
    return out;
  };
  int accepted = 0;
  int rejected = 0;
  for (int i = 0; i < 20000; ++i) {
    const int sign = uniform(0, 2);
    const std::string int_part = random_digits(uniform(0, 45));
    const bool point = uniform(0, 1);
    const std::string frac_part = point ? random_digits(uniform(0, 45)) : "";
    if (int_part.empty() && frac_part.empty()) continue;
    const bool has_exponent = uniform(0, 1);
    const int exponent = has_exponent ? uniform(-180, 180) : 0;

    std::string text = sign == 0 ? "" : sign == 1 ? "+" : "-";
    text += int_part;
    if (point) text += "." + frac_part;
    if (has_exponent) text += (uniform(0, 1) ? "e" : "E") + std::to_string(exponent);

    const Expected expected =
        NaiveModel(sign == 2, int_part + frac_part, static_cast<int64_t>(frac_part.size()) - exponent);
    const absl::StatusOr<Decimal> d = Decimal::Parse(text);
    if (expected.canonical.empty()) {
      ASSERT_FALSE(d.ok()) << text << " -> " << d->canonical();
      EXPECT_THAT(d.status().message(), HasSubstr(expected.error)) << text;
      ++rejected;
    } else {
      ASSERT_TRUE(d.ok()) << text << ": " << d.status();
      EXPECT_EQ(d->canonical(), expected.canonical) << text;
      EXPECT_EQ(d->significant_digits(), expected.significant) << text;
      ++accepted;
    }
  }
  // Both outcomes must be well represented for the comparison to mean anything.
  EXPECT_GT(accepted, 5000);
  EXPECT_GT(rejected, 2000);
}

TEST(DecimalTest, SignificantDigits) {
  struct Case {
    const char* text;
    size_t digits;
  };
  for (const Case& c : {Case{"0", 0}, Case{"7", 1}, Case{"-7", 1}, Case{"10", 1},
                        Case{"12", 2}, Case{"123", 3}, Case{"1e100", 1}, Case{"100.5", 4},
                        Case{"0.00012300", 3}, Case{"12345678901234567890123456789012345678", 38},
                        Case{"1234567890123456789012345678901234567", 37}}) {
    const Decimal d = *Decimal::Parse(c.text);
    EXPECT_EQ(d.significant_digits(), c.digits) << c.text;
  }
}

TEST(DecimalTest, FromInt64) {
  EXPECT_EQ(Decimal::FromInt64(0).canonical(), "0");
  EXPECT_EQ(Decimal::FromInt64(0).significant_digits(), 0u);
  EXPECT_EQ(Decimal::FromInt64(-1).canonical(), "-1");
  EXPECT_EQ(Decimal::FromInt64(1000).canonical(), "1000");
  EXPECT_EQ(Decimal::FromInt64(1000).significant_digits(), 1u);
  EXPECT_EQ(Decimal::FromInt64(-120).significant_digits(), 2u);
  EXPECT_EQ(Decimal::FromInt64(std::numeric_limits<int64_t>::max()).canonical(), "9223372036854775807");
  EXPECT_EQ(Decimal::FromInt64(std::numeric_limits<int64_t>::min()).canonical(), "-9223372036854775808");
  EXPECT_EQ(Decimal::FromInt64(std::numeric_limits<int64_t>::min()).significant_digits(), 19u);
  EXPECT_FALSE(Decimal::FromInt64(-5).is_zero());
  EXPECT_TRUE(Decimal::FromInt64(-5).is_negative());
  EXPECT_FALSE(Decimal::FromInt64(5).is_negative());

  // Agrees with Parse, canonical text and digit count alike, across magnitudes and signs.
  std::mt19937_64 rng(42);
  for (int i = 0; i < 5000; ++i) {
    // An arithmetic shift spreads the values over all magnitudes, keeping the sign.
    int64_t v = static_cast<int64_t>(rng()) >> (rng() % 64);
    constexpr int64_t kScalable = std::numeric_limits<int64_t>::max() / 1000;
    if (i % 3 == 0 && v > -kScalable && v < kScalable) v *= 1000;  // exercise trailing zeros
    const Decimal a = Decimal::FromInt64(v);
    const Decimal b = *Decimal::Parse(std::to_string(v));
    EXPECT_EQ(a, b) << v;
    EXPECT_EQ(a.significant_digits(), b.significant_digits()) << v;
    EXPECT_EQ(a.ToInt64(), v);
  }
}

TEST(DecimalTest, ToInt64) {
  EXPECT_EQ(Decimal::Parse("0")->ToInt64(), 0);
  EXPECT_EQ(Decimal::Parse("-0")->ToInt64(), 0);
  EXPECT_EQ(Decimal::Parse("1e3")->ToInt64(), 1000);
  EXPECT_EQ(Decimal::Parse("-12.0")->ToInt64(), -12);
  EXPECT_EQ(Decimal::Parse("9223372036854775807")->ToInt64(), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(Decimal::Parse("-9223372036854775808")->ToInt64(), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(Decimal::Parse("9.223372036854775807e18")->ToInt64(), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(Decimal::Parse("9223372036854775808")->ToInt64(), std::nullopt);
  EXPECT_EQ(Decimal::Parse("-9223372036854775809")->ToInt64(), std::nullopt);
  EXPECT_EQ(Decimal::Parse("1e19")->ToInt64(), std::nullopt);
  EXPECT_EQ(Decimal::Parse("1e125")->ToInt64(), std::nullopt);
  EXPECT_EQ(Decimal::Parse("0.5")->ToInt64(), std::nullopt);
  EXPECT_EQ(Decimal::Parse("-1.5")->ToInt64(), std::nullopt);
  EXPECT_EQ(Decimal::Parse("1e-130")->ToInt64(), std::nullopt);
  EXPECT_EQ(Decimal::Parse("100000000000000000000.5")->ToInt64(), std::nullopt);
}

TEST(DecimalTest, FromDoubleUsesShortestRoundTripForm) {
  EXPECT_EQ(Decimal::FromDouble(0.1)->canonical(), "0.1");
  EXPECT_EQ(Decimal::FromDouble(0.1 + 0.2)->canonical(), "0.30000000000000004");
  EXPECT_EQ(Decimal::FromDouble(1.0)->canonical(), "1");
  EXPECT_EQ(Decimal::FromDouble(1000.0)->canonical(), "1000");
  EXPECT_EQ(Decimal::FromDouble(-2.5)->canonical(), "-2.5");
  EXPECT_EQ(Decimal::FromDouble(1e20)->canonical(), "100000000000000000000");
  EXPECT_EQ(Decimal::FromDouble(1e-7)->canonical(), "0.0000001");
  EXPECT_EQ(Decimal::FromDouble(1e125)->canonical(), "1" + Zeros(125));
  EXPECT_EQ(Decimal::FromDouble(1e-130)->canonical(), "0." + Zeros(129) + "1");
  EXPECT_EQ(Decimal::FromDouble(-0.0)->canonical(), "0");
  EXPECT_EQ(Decimal::FromDouble(0.0)->canonical(), "0");
  EXPECT_EQ(Decimal::FromDouble(9007199254740993.0)->canonical(), "9007199254740992");  // 2^53 + 1 rounds
  // Large doubles give their shortest digits, not their exact binary value (123456789012345678848).
  EXPECT_EQ(Decimal::FromDouble(123456789012345678901.0)->canonical(), "123456789012345680000");
  EXPECT_EQ(Decimal::FromDouble(1e23)->canonical(), "1" + Zeros(23));
  EXPECT_EQ(Decimal::FromDouble(-1.2345678901234566e125)->canonical(), "-12345678901234566" + Zeros(109));
  // The doubles next to the range's ends (shortest forms as printed by Python's repr).
  EXPECT_EQ(Decimal::FromDouble(std::nextafter(1e126, 0.0))->canonical(), "9999999999999998" + Zeros(110));
  EXPECT_EQ(Decimal::FromDouble(std::nextafter(1e-130, 1.0))->canonical(),
            "0." + Zeros(129) + "10000000000000003");
  EXPECT_EQ(Decimal::FromDouble(std::numeric_limits<double>::max()).ok(), false);
}

TEST(DecimalTest, FromDoubleRejectsNonFiniteAndOutOfRange) {
  for (double d : {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
                   -std::numeric_limits<double>::infinity()}) {
    absl::StatusOr<Decimal> r = Decimal::FromDouble(d);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(r.status().message(), HasSubstr("not finite"));
  }
  EXPECT_THAT(Decimal::FromDouble(1e300).status().message(),
              HasSubstr("magnitude is larger than the maximum"));
  EXPECT_THAT(Decimal::FromDouble(-1e126).status().message(),
              HasSubstr("magnitude is larger than the maximum"));
  EXPECT_THAT(Decimal::FromDouble(5e-324).status().message(),
              HasSubstr("magnitude is smaller than the minimum"));
  EXPECT_THAT(Decimal::FromDouble(-1e-131).status().message(),
              HasSubstr("magnitude is smaller than the minimum"));
  // 9.999999999999999e125 is the same double as 1e126, whose shortest form is out of range.
  EXPECT_THAT(Decimal::FromDouble(9.999999999999999e125).status().message(),
              HasSubstr("magnitude is larger than the maximum"));
  EXPECT_THAT(Decimal::FromDouble(std::nextafter(1e-130, 0.0)).status().message(),
              HasSubstr("magnitude is smaller than the minimum"));
}

TEST(DecimalTest, FromDoubleRoundTripsRandomDoubles) {
  // Random bit patterns cover every exponent; those in DynamoDB's range must read back exactly.
  std::mt19937_64 rng(20240601);
  int checked = 0;
  for (int i = 0; i < 200000 && checked < 5000; ++i) {
    uint64_t bits = rng();
    double d;
    std::memcpy(&d, &bits, sizeof(d));
    const double magnitude = std::abs(d);
    if (!std::isfinite(d) || magnitude < 1e-130 || magnitude >= 1e126) continue;
    absl::StatusOr<Decimal> r = Decimal::FromDouble(d);
    ASSERT_TRUE(r.ok()) << d << ": " << r.status();
    EXPECT_LE(r->significant_digits(), 17u);
    EXPECT_EQ(std::strtod(r->canonical().c_str(), nullptr), d) << r->canonical();
    ++checked;
  }
  EXPECT_EQ(checked, 5000);
  // Values spread uniformly over the whole range, and small integers, as well.
  std::uniform_real_distribution<double> exponent(-130, 126);
  for (int i = 0; i < 3000; ++i) {
    const double d = (i % 2 ? -1 : 1) * std::pow(10.0, exponent(rng));
    if (std::abs(d) < 1e-130 || std::abs(d) >= 1e126) continue;
    absl::StatusOr<Decimal> r = Decimal::FromDouble(d);
    ASSERT_TRUE(r.ok()) << d << ": " << r.status();
    EXPECT_EQ(std::strtod(r->canonical().c_str(), nullptr), d) << r->canonical();
  }
  for (int64_t n = -1000; n <= 1000; ++n) {
    EXPECT_EQ(*Decimal::FromDouble(static_cast<double>(n)), Decimal::FromInt64(n)) << n;
  }
}

TEST(DecimalTest, CanonicalFormIsAFixedPoint) {
  for (absl::string_view text : {"0", "-1e-130", "9.9999999999999999999999999999999999999e125", "0.00012300",
                                 "-123.456e7", "1E+100", ".5", "-0.000001e-5"}) {
    const Decimal once = *Decimal::Parse(text);
    const absl::StatusOr<Decimal> twice = Decimal::Parse(once.canonical());
    ASSERT_TRUE(twice.ok()) << once.canonical();
    EXPECT_EQ(twice->canonical(), once.canonical());
    EXPECT_EQ(twice->significant_digits(), once.significant_digits());
  }
}

TEST(DecimalTest, HashAgreesWithEquality) {
  EXPECT_TRUE(absl::VerifyTypeImplementsAbslHashCorrectly({
      Decimal(),
      *Decimal::Parse("1e3"),
      *Decimal::Parse("1000.000"),
      Decimal::FromInt64(1000),
      *Decimal::Parse("-1000"),
      *Decimal::Parse("0.5"),
      *Decimal::Parse("-0"),
  }));
}

}  // namespace
}  // namespace altgw::model
