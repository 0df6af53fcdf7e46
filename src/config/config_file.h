// The gateway's optional YAML configuration file (--config): the structured settings that do not fit a flag.
//
//   backend_endpoints: [http://10.0.0.1:8000, http://10.0.0.2:8000]
//   routing_scopes: [rack:dc1/r1, dc:dc1, cluster]
//   tables:
//     orders:
//       partition_key: order_id      # expected; a table with another partition key is refused (INTERNAL)
//       key_affinity: rmw            # none | rmw | any_write
//       version_attribute: version   # keep an item version in this attribute
//   principals:
//     - name: orders-service
//       token_sha256: [<64 hex digits>, ...]    # alternator-gateway --hash-token < token-file
//       tables:
//         orders: [read, write]
//         "*": [read]                            # every table
//
// Every key is checked: an unknown key, a wrong type or a bad value is an error naming the file and the
// setting's path (`config.yaml: principals[1].tables["orders"]: unknown permission "wrte"`).
#ifndef ALTGW_CONFIG_CONFIG_FILE_H_
#define ALTGW_CONFIG_CONFIG_FILE_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "routing/routing_config.h"
#include "service/authorizer.h"

namespace altgw::config {

// A table's settings in the file.
struct TableSettings {
  std::optional<std::string> partition_key;  // expected: calls on a table with another one fail
  std::optional<routing::AffinityMode> key_affinity;
  std::optional<std::string> version_attribute;
};

struct ConfigFile {
  std::optional<std::vector<std::string>> backend_endpoints;
  std::optional<std::vector<routing::RoutingScope>> routing_scopes;
  std::map<std::string, TableSettings> tables;
  std::vector<service::Principal> principals;
};

// Parses YAML text; `source` names it in error messages (the file's path).
absl::StatusOr<ConfigFile> ParseConfigFile(const std::string& text, const std::string& source);

// Reads and parses a file.
absl::StatusOr<ConfigFile> LoadConfigFile(const std::string& path);

}  // namespace altgw::config

#endif  // ALTGW_CONFIG_CONFIG_FILE_H_
