// Alternator endpoints: parsing, validation and the canonical order the affinity plan indexes into
// (router.md §4, step 4).
//
// Every client that shares the cluster must number the nodes identically for the same key to pick the
// same coordinator, so node lists are put into a canonical order: each endpoint is reduced to
// scheme://host[:port] (lower-case, default port dropped, IPv6 bracketed, userinfo/path/query/fragment
// dropped), sorted bytewise and de-duplicated.

#ifndef ALTGW_ROUTING_ENDPOINT_H_
#define ALTGW_ROUTING_ENDPOINT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace altgw::routing {

struct Endpoint {
  std::string scheme;  // "http" or "https"
  std::string host;    // lower-case; an IPv6 address is held without brackets
  uint16_t port = 0;   // the effective port: the scheme's default when the URL names none

  // scheme://host[:port], with the port only when it differs from the scheme's default.
  std::string Canonical() const;
};

// Parses an absolute http or https URL (scheme and host case-insensitive). Userinfo, path, query and
// fragment are accepted and dropped. The host must satisfy IsValidNodeAddress (IPv6 in brackets); a
// port, when present, must be 1-65535. InvalidArgument, naming the problem, for anything else.
absl::StatusOr<Endpoint> ParseEndpoint(absl::string_view url);

struct OrderedEndpoint {
  std::string canonical;       // the sort and de-duplication key
  std::string representative;  // the first spelling given for it: what the gateway dials
};

// The endpoints in canonical order, de-duplicated: the index of an entry is the candidate index the
// affinity plan (query_plan.h) refers to. InvalidArgument if any endpoint does not parse.
absl::StatusOr<std::vector<OrderedEndpoint>> CanonicalOrder(absl::Span<const std::string> endpoints);

// The canonical URL of a bare address returned by /localnodes, given the configured scheme and port
// (e.g. "http", "::1", 8000 -> "http://[::1]:8000"). InvalidArgument for an unknown scheme, port 0 or
// an address that fails IsValidNodeAddress.
absl::StatusOr<std::string> NodeUrl(absl::string_view scheme, absl::string_view address, uint16_t port);

// True for a dotted-quad IPv4 address, an IPv6 address (without brackets or zone) or a DNS host name
// (letters, digits, '-' and '_' in labels of 1-63 characters, at most 253 characters in all, no
// trailing dot, and a last label that is not all digits, so a malformed IPv4 address is not taken for
// a name). False for anything with a port, a scheme, brackets, spaces or other stray characters.
bool IsValidNodeAddress(absl::string_view address);

}  // namespace altgw::routing

#endif  // ALTGW_ROUTING_ENDPOINT_H_
