#include "config/flag_checks.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace altgw::config {

CLI::Validator IntBetween(int low, int high) {
  return CLI::Validator(
      [low, high](std::string& text) -> std::string {
        int value = 0;
        if (!absl::SimpleAtoi(text, &value) || value < low || value > high) {
          return absl::StrCat("must be between ", low, " and ", high, ", got '", text, "'");
        }
        return "";
      },
      absl::StrCat("INT in [", low, ", ", high, "]"));
}

CLI::Validator PositiveDuration() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        absl::Duration parsed;
        if (!absl::ParseDuration(text, &parsed) || parsed <= absl::ZeroDuration()) {
          return absl::StrCat("must be a positive duration such as 500ms, 10s or 24h, got '", text, "'");
        }
        return "";
      },
      "DURATION");
}

absl::Duration DurationOf(const std::string& text) {
  absl::Duration parsed = absl::ZeroDuration();
  (void)absl::ParseDuration(text, &parsed);
  return parsed;
}

}  // namespace altgw::config
