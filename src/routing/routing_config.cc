#include "routing/routing_config.h"

#include "absl/strings/ascii.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"

namespace altgw::routing {

std::string RoutingScope::ToString() const {
  switch (kind) {
    case Kind::kCluster:
      return "cluster";
    case Kind::kDatacenter:
      return absl::StrCat("dc:", dc);
    case Kind::kRack:
      return absl::StrCat("rack:", dc, "/", rack);
  }
  return "";
}

absl::StatusOr<RoutingScope> ParseRoutingScope(absl::string_view text) {
  if (text == "cluster") return RoutingScope{};
  if (absl::ConsumePrefix(&text, "dc:")) {
    if (text.empty()) return absl::InvalidArgumentError("scope dc:<datacenter> needs a datacenter name");
    return RoutingScope{RoutingScope::Kind::kDatacenter, std::string(text), ""};
  }
  if (absl::ConsumePrefix(&text, "rack:")) {
    const size_t slash = text.find('/');
    if (slash == absl::string_view::npos || slash == 0 || slash + 1 == text.size()) {
      return absl::InvalidArgumentError("scope rack:<datacenter>/<rack> needs both names");
    }
    return RoutingScope{RoutingScope::Kind::kRack, std::string(text.substr(0, slash)),
                        std::string(text.substr(slash + 1))};
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown routing scope '", text, "': use cluster, dc:<datacenter> or rack:<datacenter>/<rack>"));
}

absl::StatusOr<AffinityMode> ParseAffinityMode(absl::string_view text) {
  const std::string lower = absl::AsciiStrToLower(text);
  if (lower == "none") return AffinityMode::kNone;
  if (lower == "rmw") return AffinityMode::kRmw;
  if (lower == "any_write" || lower == "any-write") return AffinityMode::kAnyWrite;
  return absl::InvalidArgumentError(absl::StrCat("unknown key affinity mode '", text, "': use none, rmw or any_write"));
}

absl::string_view AffinityModeName(AffinityMode mode) {
  switch (mode) {
    case AffinityMode::kNone:
      return "NONE";
    case AffinityMode::kRmw:
      return "RMW";
    case AffinityMode::kAnyWrite:
      return "ANY_WRITE";
  }
  return "";
}

absl::StatusOr<DiscoveryMode> ParseDiscoveryMode(absl::string_view text) {
  if (text == "auto") return DiscoveryMode::kAuto;
  if (text == "on") return DiscoveryMode::kOn;
  if (text == "off") return DiscoveryMode::kOff;
  return absl::InvalidArgumentError(absl::StrCat("unknown discovery mode '", text, "': use auto, on or off"));
}

}  // namespace altgw::routing
