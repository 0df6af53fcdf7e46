#include "admin/admin_server.h"

#include <httplib.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace altgw::admin {

AdminServer::AdminServer() : server_(std::make_unique<httplib::Server>()) {
  // cpp-httplib's default also sets SO_REUSEPORT, which lets a second process bind the same port and
  // silently take half of the probes and scrapes: only SO_REUSEADDR (quick restarts) here.
  server_->set_socket_options([](int sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
}

AdminServer::~AdminServer() { Stop(); }

void AdminServer::Handle(const std::string& path, AdminHandler handler) { handlers_[path] = std::move(handler); }

absl::Status AdminServer::Start(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  int port = -1;
  if (colon == std::string::npos || !absl::SimpleAtoi(listen.substr(colon + 1), &port) || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("'", listen, "' is not host:port"));
  }
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "0.0.0.0";

  for (const auto& [path, handler] : handlers_) {
    server_->Get(path, [handler = handler](const httplib::Request&, httplib::Response& response) {
      AdminResponse answer = handler();
      response.status = answer.status;
      response.set_content(answer.body, answer.content_type.c_str());
    });
  }
  if (port == 0) {
    port_ = server_->bind_to_any_port(host);
    if (port_ <= 0) return absl::UnavailableError(absl::StrCat("cannot listen on ", listen));
  } else {
    if (!server_->bind_to_port(host, port)) return absl::UnavailableError(absl::StrCat("cannot listen on ", listen));
    port_ = port;
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // cpp-httplib's stop() does nothing until the accept loop runs (and that loop would then never end):
  // return only once it runs, so Stop() right after Start() cannot hang.
  while (!server_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return absl::OkStatus();
}

void AdminServer::Stop() {
  if (!thread_.joinable()) return;
  server_->stop();
  thread_.join();
}

}  // namespace altgw::admin
