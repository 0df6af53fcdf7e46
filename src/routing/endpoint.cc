#include "routing/endpoint.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace altgw::routing {
namespace {

constexpr size_t kMaxHostNameLength = 253;
constexpr size_t kMaxLabelLength = 63;

// inet_pton needs a NUL-terminated string, so text with a NUL of its own (which inet_pton would stop at)
// is refused first; so is anything longer than the longest textual IPv6 address (45 characters).
bool ParsesAs(int family, absl::string_view text) {
  char buffer[INET6_ADDRSTRLEN + 1];
  if (text.size() >= sizeof(buffer) || absl::StrContains(text, '\0')) return false;
  std::memcpy(buffer, text.data(), text.size());
  buffer[text.size()] = '\0';
  unsigned char address[sizeof(in6_addr)];
  return inet_pton(family, buffer, address) == 1;
}

bool IsHostNameLabel(absl::string_view label) {
  if (label.empty() || label.size() > kMaxLabelLength) return false;
  if (label.front() == '-' || label.back() == '-') return false;
  return std::all_of(label.begin(), label.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

bool IsHostName(absl::string_view name) {
  if (name.empty() || name.size() > kMaxHostNameLength) return false;
  absl::string_view rest = name;
  absl::string_view label;
  while (true) {
    const size_t dot = rest.find('.');
    label = rest.substr(0, dot);
    if (!IsHostNameLabel(label)) return false;
    if (dot == absl::string_view::npos) break;
    rest.remove_prefix(dot + 1);
  }
  // "10.0.0.256" and "1.2.3" are broken IPv4 addresses, not names (RFC 3696 §2: no all-numeric TLD).
  return !std::all_of(label.begin(), label.end(),
                      [](char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); });
}

std::optional<uint16_t> DefaultPort(absl::string_view lower_scheme) {
  if (lower_scheme == "http") return 80;
  if (lower_scheme == "https") return 443;
  return std::nullopt;
}

absl::Status Invalid(absl::string_view url, absl::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid endpoint \"", absl::CHexEscape(url), "\": ", problem));
}

}  // namespace

std::string Endpoint::Canonical() const {
  const bool ipv6 = absl::StrContains(host, ':');
  std::string out = absl::StrCat(scheme, "://", ipv6 ? "[" : "", host, ipv6 ? "]" : "");
  if (port != DefaultPort(scheme)) absl::StrAppend(&out, ":", port);
  return out;
}

absl::StatusOr<Endpoint> ParseEndpoint(absl::string_view url) {
  if (std::any_of(url.begin(), url.end(),
                  [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; })) {
    return Invalid(url, "contains whitespace or control characters");
  }
  const size_t scheme_end = url.find("://");
  if (scheme_end == absl::string_view::npos) {
    return Invalid(url, "expected http://host[:port] or https://host[:port]");
  }

  Endpoint endpoint;
  endpoint.scheme = absl::AsciiStrToLower(url.substr(0, scheme_end));
  const std::optional<uint16_t> default_port = DefaultPort(endpoint.scheme);
  if (!default_port) return Invalid(url, "the scheme must be http or https");

  absl::string_view authority = url.substr(scheme_end + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  if (const size_t at = authority.rfind('@'); at != absl::string_view::npos) authority.remove_prefix(at + 1);

  absl::string_view host;
  absl::string_view port_part;  // what follows the host: empty or ":digits"
  if (absl::StartsWith(authority, "[")) {
    const size_t close = authority.find(']');
    if (close == absl::string_view::npos) return Invalid(url, "unterminated '[' in the host");
    host = authority.substr(1, close - 1);
    if (!ParsesAs(AF_INET6, host)) return Invalid(url, "the bracketed host is not an IPv6 address");
    port_part = authority.substr(close + 1);
  } else {
    const size_t colon = authority.find(':');
    if (colon != absl::string_view::npos && authority.find(':', colon + 1) != absl::string_view::npos) {
      return Invalid(url, "too many ':' (an IPv6 host must be written in brackets)");
    }
    host = authority.substr(0, colon);
    if (colon != absl::string_view::npos) port_part = authority.substr(colon);
    if (host.empty()) return Invalid(url, "no host");
    if (!IsValidNodeAddress(host)) return Invalid(url, "the host is not an IPv4 address or a DNS name");
  }

  endpoint.port = *default_port;
  if (!port_part.empty()) {
    if (port_part.front() != ':') return Invalid(url, "unexpected characters after the host");
    const absl::string_view digits = port_part.substr(1);
    uint32_t port = 0;
    // SimpleAtoi would accept a sign or surrounding spaces; a URL port is plain digits.
    if (digits.empty() || digits.size() > 5 ||
        !std::all_of(digits.begin(), digits.end(),
                     [](char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); }) ||
        !absl::SimpleAtoi(digits, &port) || port == 0 || port > 65535) {
      return Invalid(url, "the port must be a number from 1 to 65535");
    }
    endpoint.port = static_cast<uint16_t>(port);
  }
  endpoint.host = absl::AsciiStrToLower(host);
  return endpoint;
}

absl::StatusOr<std::vector<OrderedEndpoint>> CanonicalOrder(absl::Span<const std::string> endpoints) {
  std::vector<OrderedEndpoint> ordered;
  ordered.reserve(endpoints.size());
  for (const std::string& url : endpoints) {
    absl::StatusOr<Endpoint> endpoint = ParseEndpoint(url);
    if (!endpoint.ok()) return endpoint.status();
    ordered.push_back({endpoint->Canonical(), url});
  }
  // Stable, so among equal canonical forms the first spelling given comes first and is the one kept.
  std::stable_sort(ordered.begin(), ordered.end(), [](const OrderedEndpoint& a, const OrderedEndpoint& b) {
    return a.canonical < b.canonical;
  });
  ordered.erase(std::unique(ordered.begin(), ordered.end(),
                            [](const OrderedEndpoint& a, const OrderedEndpoint& b) {
                              return a.canonical == b.canonical;
                            }),
                ordered.end());
  return ordered;
}

absl::StatusOr<std::string> NodeUrl(absl::string_view scheme, absl::string_view address, uint16_t port) {
  Endpoint endpoint;
  endpoint.scheme = absl::AsciiStrToLower(scheme);
  if (!DefaultPort(endpoint.scheme)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid scheme \"", absl::CHexEscape(scheme), "\": must be http or https"));
  }
  if (port == 0) return absl::InvalidArgumentError("invalid port 0 for Alternator nodes");
  if (!IsValidNodeAddress(address)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid node address \"", absl::CHexEscape(address),
                                                   "\": not an IPv4, IPv6 or DNS name"));
  }
  endpoint.host = absl::AsciiStrToLower(address);
  endpoint.port = port;
  return endpoint.Canonical();
}

bool IsValidNodeAddress(absl::string_view address) {
  return ParsesAs(AF_INET, address) || ParsesAs(AF_INET6, address) || IsHostName(address);
}

}  // namespace altgw::routing
