// From flags (and their environment variables) plus the optional config file to a validated GatewayConfig.
//
// Precedence: a flag (or its ALTGW_* environment variable) > the config file > the built-in default.
//   - backend endpoints and routing scopes: a flag replaces the file's whole list;
//   - per-table settings: --versioned-table / --table-key-affinity entries replace the file's setting for
//     the same table, and leave its other tables alone;
//   - principals exist only in the file.
// Every error names the setting (the flag, or the file and the setting's path) and the problem.
#ifndef ALTGW_CONFIG_SETTINGS_H_
#define ALTGW_CONFIG_SETTINGS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "service/gateway_server.h"

namespace altgw::config {

// The structured settings as the command line gave them; unset optionals were not given.
struct CommandLine {
  std::string config_file;                                    // --config
  std::optional<std::vector<std::string>> backend_endpoints;  // --backend-endpoints
  std::optional<std::vector<std::string>> routing_scopes;     // --routing-scope
  std::vector<std::string> versioned_tables;                  // --versioned-table TABLE=ATTRIBUTE
  std::vector<std::string> table_key_affinity;                // --table-key-affinity TABLE=MODE
};

// Loads the config file (if any), merges it under the flags into `config`, and validates the result.
absl::Status Resolve(const CommandLine& flags, service::GatewayConfig& config);

}  // namespace altgw::config

#endif  // ALTGW_CONFIG_SETTINGS_H_
