// HttpNodeClient: the router's NodeClient over the HttpTransport (GET /localnodes and GET /).
#ifndef ALTGW_ALTERNATOR_HTTP_NODE_CLIENT_H_
#define ALTGW_ALTERNATOR_HTTP_NODE_CLIENT_H_

#include "alternator/http_transport.h"
#include "routing/node_client.h"

namespace altgw::alternator {

class HttpNodeClient final : public routing::NodeClient {
 public:
  explicit HttpNodeClient(HttpTransport& transport) : transport_(transport) {}

  void ListLocalNodes(const std::string& base_url, const std::string& dc, const std::string& rack,
                      absl::Duration timeout, absl::AnyInvocable<void(routing::LocalNodesAnswer) &&> done) override;
  void Ping(const std::string& base_url, absl::Duration timeout,
            absl::AnyInvocable<void(bool answered) &&> done) override;

  // The /localnodes URL for a base URL and optional filters (percent-encoded).
  static std::string LocalNodesUrl(const std::string& base_url, const std::string& dc, const std::string& rack);
  // Parses a /localnodes answer: a JSON array of strings.
  static routing::LocalNodesAnswer ParseLocalNodes(const HttpResponse& response);

 private:
  HttpTransport& transport_;
};

}  // namespace altgw::alternator

#endif  // ALTGW_ALTERNATOR_HTTP_NODE_CLIENT_H_
