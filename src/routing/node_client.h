// NodeClient: what the router asks of the network, kept abstract so routing stays free of HTTP code (the
// alternator layer implements it on the HttpTransport) and testable with scripted answers.
#ifndef ALTGW_ROUTING_NODE_CLIENT_H_
#define ALTGW_ROUTING_NODE_CLIENT_H_

#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"

namespace altgw::routing {

// One /localnodes answer. An error (no answer, a status other than 200, a body that is not a JSON array of
// strings) is never confused with an empty list.
struct LocalNodesAnswer {
  bool ok = false;
  std::vector<std::string> addresses;  // as returned: bare IPs or host names, not yet validated
  std::string error;
};

class NodeClient {
 public:
  virtual ~NodeClient() = default;

  // GET <base_url>/localnodes, with ?dc=<dc> when dc is set and &rack=<rack> (or ?rack=) when rack is set
  // (both percent-encoded). `done` runs exactly once, on another thread.
  virtual void ListLocalNodes(const std::string& base_url, const std::string& dc, const std::string& rack,
                              absl::Duration timeout, absl::AnyInvocable<void(LocalNodesAnswer) &&> done) = 0;

  // GET <base_url>/: true when any final HTTP answer arrives (the listener is up). For backends without
  // /localnodes.
  virtual void Ping(const std::string& base_url, absl::Duration timeout,
                    absl::AnyInvocable<void(bool answered) &&> done) = 0;
};

}  // namespace altgw::routing

#endif  // ALTGW_ROUTING_NODE_CLIENT_H_
