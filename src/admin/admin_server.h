// AdminServer: a small HTTP server for orchestrators and scrapers (the admin port: /healthz, /readyz,
// /metrics). Handlers are registered by path before Start(); each runs on one of the server's own threads,
// never on a gRPC thread, and must be quick (they only read state).
#ifndef ALTGW_ADMIN_ADMIN_SERVER_H_
#define ALTGW_ADMIN_ADMIN_SERVER_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"

namespace httplib {
class Server;
}

namespace altgw::admin {

struct AdminResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

using AdminHandler = std::function<AdminResponse()>;

class AdminServer {
 public:
  AdminServer();
  ~AdminServer();  // Stop()s

  // Serves GET `path` with `handler`. Only before Start().
  void Handle(const std::string& path, AdminHandler handler);

  // Binds `listen` ("host:port", "[v6]:port"; port 0 picks a free one) and serves on a thread of its own.
  // The error names the address.
  absl::Status Start(const std::string& listen);
  int port() const { return port_; }

  // Stops serving and joins the thread. Idempotent.
  void Stop();

 private:
  std::unique_ptr<httplib::Server> server_;
  std::map<std::string, AdminHandler> handlers_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace altgw::admin

#endif  // ALTGW_ADMIN_ADMIN_SERVER_H_
