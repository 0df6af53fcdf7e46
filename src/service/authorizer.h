// Authorizer: per-call authentication with bearer tokens and per-table authorization.
//
// When principals are configured, every DataService, TableService and RoutingService call must carry
// `authorization: Bearer <token>` metadata. The token's SHA-256 (hex) identifies a principal; only hashes are
// configured, so a leaked configuration does not leak tokens. Each handler asks Check() for the permission
// it needs on every table it touches BEFORE it looks a table up, so a caller without rights cannot learn
// whether a table exists. Health and reflection are separate gRPC services and never reach the Authorizer.
//
// Permissions are independent: `write` does not imply `read`, `admin` (TableService, RoutingService) implies
// neither. A principal's table "*" grants its permissions on every table, and is what calls about all
// tables (ListTables, ListNodes) need.
#ifndef ALTGW_SERVICE_AUTHORIZER_H_
#define ALTGW_SERVICE_AUTHORIZER_H_

#include <grpcpp/grpcpp.h>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/gateway_error.h"

namespace altgw::service {

enum class Permission { kRead, kWrite, kAdmin };

// "read", "write", "admin".
absl::string_view PermissionName(Permission permission);
std::optional<Permission> ParsePermission(absl::string_view text);

struct Principal {
  std::string name;
  // SHA-256 of each accepted token, as 64 lowercase hex digits (several: token rotation).
  std::vector<std::string> token_sha256;
  // Table name (or "*": every table) -> the permissions granted on it.
  std::map<std::string, std::set<Permission>> tables;
};

// The lowercase hex SHA-256 of `token` (what configuration files hold; see --hash-token).
std::string TokenSha256Hex(absl::string_view token);

// What a call needs: `permission` on each of `tables` ("*" for all tables).
struct Access {
  Permission permission;
  std::string table;
};

// `permission` on each of `tables`.
std::vector<Access> NeedOnEach(Permission permission, const std::vector<std::string>& tables);

class Authorizer {
 public:
  // No principals: authentication is off and every call is allowed (mesh mode, where the mesh authorizes).
  explicit Authorizer(std::vector<Principal> principals = {});

  bool enabled() const { return !principals_.empty(); }

  // Authenticates the call from its metadata and checks every access; the first failure is returned
  // (UNAUTHENTICATED, or PERMISSION_DENIED naming the table and permission). nullopt: allowed. An empty
  // table name needs nothing: no table has it, and the request's validation reports it as a bad field.
  std::optional<GatewayError> Check(const grpc::ServerContextBase& context, const std::vector<Access>& needed) const;

  // The same from the raw `authorization` metadata value (nullopt: absent). For tests and Check().
  std::optional<GatewayError> CheckHeader(std::optional<absl::string_view> authorization,
                                          const std::vector<Access>& needed) const;

 private:
  // The principal whose token hash equals `hash`, comparing against every configured hash in constant time.
  const Principal* FindByHash(const std::string& hash) const;

  std::vector<Principal> principals_;
};

}  // namespace altgw::service

#endif  // ALTGW_SERVICE_AUTHORIZER_H_
