#include "routing/router.h"

#include "absl/strings/str_cat.h"

namespace altgw::routing {

std::string HostHeaderFor(absl::string_view scheme, absl::string_view host, uint16_t port) {
  const bool ipv6 = host.find(':') != absl::string_view::npos;
  std::string out = ipv6 ? absl::StrCat("[", host, "]") : std::string(host);
  const uint16_t default_port = scheme == "https" ? 443 : 80;
  if (port != default_port) absl::StrAppend(&out, ":", port);
  return out;
}

}  // namespace altgw::routing
