#include "alternator/http_node_client.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"

namespace altgw::alternator {
namespace {

// RFC 3986 unreserved characters stay; everything else is %XX.
std::string PercentEncode(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppendFormat(&out, "%%%02X", c);
    }
  }
  return out;
}

}  // namespace

std::string HttpNodeClient::LocalNodesUrl(const std::string& base_url, const std::string& dc,
                                          const std::string& rack) {
  std::string url = absl::StrCat(base_url, "/localnodes");
  char separator = '?';
  if (!dc.empty()) {
    absl::StrAppend(&url, "?dc=", PercentEncode(dc));
    separator = '&';
  }
  if (!rack.empty()) absl::StrAppend(&url, std::string(1, separator), "rack=", PercentEncode(rack));
  return url;
}

routing::LocalNodesAnswer HttpNodeClient::ParseLocalNodes(const HttpResponse& response) {
  routing::LocalNodesAnswer answer;
  if (response.outcome != HttpResponse::Outcome::kResponse) {
    answer.error = response.error.empty() ? "no answer" : response.error;
    return answer;
  }
  if (response.status != 200) {
    answer.error = absl::StrCat("HTTP ", response.status);
    return answer;
  }
  nlohmann::json body = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_array()) {
    answer.error = "the answer is not a JSON array";
    return answer;
  }
  for (const nlohmann::json& entry : body) {
    if (!entry.is_string()) {
      answer.error = "the answer holds a non-string entry";
      answer.addresses.clear();
      return answer;
    }
    answer.addresses.push_back(entry.get<std::string>());
  }
  answer.ok = true;
  return answer;
}

void HttpNodeClient::ListLocalNodes(const std::string& base_url, const std::string& dc, const std::string& rack,
                                    absl::Duration timeout,
                                    absl::AnyInvocable<void(routing::LocalNodesAnswer) &&> done) {
  HttpRequest request;
  request.url = LocalNodesUrl(base_url, dc, rack);
  request.timeout = timeout;
  transport_.Start(std::move(request), [done = std::move(done)](HttpResponse response) mutable {
    std::move(done)(ParseLocalNodes(response));
  });
}

void HttpNodeClient::Ping(const std::string& base_url, absl::Duration timeout,
                          absl::AnyInvocable<void(bool answered) &&> done) {
  HttpRequest request;
  request.url = absl::StrCat(base_url, "/");
  request.timeout = timeout;
  transport_.Start(std::move(request), [done = std::move(done)](HttpResponse response) mutable {
    std::move(done)(response.outcome == HttpResponse::Outcome::kResponse);
  });
}

}  // namespace altgw::alternator
