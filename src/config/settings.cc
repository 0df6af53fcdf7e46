#include "config/settings.h"

#include "absl/strings/str_cat.h"
#include "common/violations.h"
#include "config/config_file.h"
#include "model/table_names.h"
#include "routing/endpoint.h"

namespace altgw::config {
namespace {

absl::Status Invalid(absl::string_view setting, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(setting, ": ", problem));
}

// "TABLE=VALUE" with a valid table name and a non-empty value.
absl::Status SplitTableEntry(absl::string_view setting, const std::string& entry, absl::string_view value_name,
                             std::string& table, std::string& value) {
  const size_t equals = entry.find('=');
  if (equals == std::string::npos || equals == 0 || equals + 1 == entry.size()) {
    return Invalid(setting, absl::StrCat("'", entry, "' is not TABLE=", value_name));
  }
  table = entry.substr(0, equals);
  value = entry.substr(equals + 1);
  Violations violations;
  if (!model::CheckTableName(table, FieldRef("table"), violations)) {
    return Invalid(setting, absl::StrCat("'", table,
                                         "' is not a valid table name (3 to 255 characters from "
                                         "a-z A-Z 0-9 _ - .)"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status Resolve(const CommandLine& flags, service::GatewayConfig& config) {
  ConfigFile file;
  if (!flags.config_file.empty()) {
    auto loaded = LoadConfigFile(flags.config_file);
    if (!loaded.ok()) return loaded.status();
    file = *std::move(loaded);
  }

  // Backend endpoints.
  if (flags.backend_endpoints) {
    config.backend_endpoints = *flags.backend_endpoints;
  } else if (file.backend_endpoints) {
    config.backend_endpoints = *file.backend_endpoints;
  }
  if (config.backend_endpoints.empty()) return Invalid("--backend-endpoints", "at least one endpoint is needed");
  for (const std::string& url : config.backend_endpoints) {
    if (auto endpoint = routing::ParseEndpoint(url); !endpoint.ok()) {
      return Invalid("--backend-endpoints", absl::StrCat("'", url, "': ", endpoint.status().message()));
    }
  }

  // Routing scopes.
  if (flags.routing_scopes) {
    config.routing.scopes.clear();
    for (const std::string& text : *flags.routing_scopes) {
      auto scope = routing::ParseRoutingScope(text);
      if (!scope.ok()) return Invalid("--routing-scope", absl::StrCat("'", text, "': ", scope.status().message()));
      config.routing.scopes.push_back(*scope);
    }
    if (config.routing.scopes.empty()) return Invalid("--routing-scope", "at least one scope is needed");
  } else if (file.routing_scopes) {
    config.routing.scopes = *file.routing_scopes;
  }

  // Per-table settings: the file's first, then the flags' on top.
  for (const auto& [table, settings] : file.tables) {
    if (settings.key_affinity) config.routing.table_affinity[table] = *settings.key_affinity;
    if (settings.version_attribute) config.version_attributes[table] = *settings.version_attribute;
    if (settings.partition_key) config.partition_keys[table] = *settings.partition_key;
  }
  for (const std::string& entry : flags.versioned_tables) {
    std::string table, attribute;
    if (auto status = SplitTableEntry("--versioned-table", entry, "ATTRIBUTE", table, attribute); !status.ok()) {
      return status;
    }
    config.version_attributes[table] = attribute;
  }
  for (const std::string& entry : flags.table_key_affinity) {
    std::string table, mode_text;
    if (auto status = SplitTableEntry("--table-key-affinity", entry, "MODE", table, mode_text); !status.ok()) {
      return status;
    }
    auto mode = routing::ParseAffinityMode(mode_text);
    if (!mode.ok()) {
      return Invalid("--table-key-affinity",
                     absl::StrCat("'", entry, "': unknown mode '", mode_text, "' (none, rmw or any_write)"));
    }
    config.routing.table_affinity[table] = *mode;
  }

  config.principals = std::move(file.principals);

  // Serving TLS: the files are checked now, so a mistake stops startup with the flag's name.
  if (absl::Status tls = service::ValidateServingTls(config.tls); !tls.ok()) return tls;
  return absl::OkStatus();
}

}  // namespace altgw::config
