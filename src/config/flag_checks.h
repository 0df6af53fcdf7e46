// CLI11 validators whose failures read "<flag>: must be ..., got <value>" (CLI11 prefixes the flag's name).
#ifndef ALTGW_CONFIG_FLAG_CHECKS_H_
#define ALTGW_CONFIG_FLAG_CHECKS_H_

#include <string>

#include "CLI/CLI.hpp"
#include "absl/time/time.h"

namespace altgw::config {

// An integer in [low, high].
CLI::Validator IntBetween(int low, int high);

// A positive absl duration ("500ms", "10s", "24h").
CLI::Validator PositiveDuration();

// The duration of a text PositiveDuration() accepted.
absl::Duration DurationOf(const std::string& text);

}  // namespace altgw::config

#endif  // ALTGW_CONFIG_FLAG_CHECKS_H_
