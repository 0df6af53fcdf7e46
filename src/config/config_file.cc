#include "config/config_file.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/violations.h"
#include "model/table_names.h"
#include "routing/endpoint.h"

namespace altgw::config {
namespace {

// A problem found while reading the file; becomes "<source>: <path>: <problem>".
struct Problem {
  std::string path;
  std::string message;
};

std::string Quoted(const std::string& text) { return absl::StrCat("\"", text, "\""); }

std::string KeyPath(const std::string& parent, const std::string& key) {
  return absl::StrCat(parent, "[", Quoted(key), "]");
}

std::string FieldPath(const std::string& parent, const std::string& field) {
  return parent.empty() ? field : absl::StrCat(parent, ".", field);
}

const char* TypeName(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
      return "nothing";
    case YAML::NodeType::Scalar:
      return "a single value";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    default:
      return "nothing";
  }
}

class Reader {
 public:
  std::optional<Problem> problem;

  bool Fail(std::string path, std::string message) {
    if (!problem) problem = Problem{std::move(path), std::move(message)};
    return false;
  }

  bool ExpectMap(const YAML::Node& node, const std::string& path) {
    if (node.IsMap()) return true;
    return Fail(path, absl::StrCat("must be a mapping, got ", TypeName(node)));
  }

  // Rejects keys not in `known` (typos must not be silently ignored).
  bool OnlyKeys(const YAML::Node& map, const std::string& path, const std::set<std::string>& known) {
    for (const auto& entry : map) {
      std::string key = entry.first.Scalar();
      if (!entry.first.IsScalar() || known.count(key) == 0) {
        return Fail(path, absl::StrCat("unknown setting ", Quoted(key), " (known: ", absl::StrJoin(known, ", "), ")"));
      }
    }
    return true;
  }

  bool String(const YAML::Node& node, const std::string& path, std::string& out) {
    if (!node.IsScalar()) return Fail(path, absl::StrCat("must be a string, got ", TypeName(node)));
    out = node.Scalar();
    if (out.empty()) return Fail(path, "must not be empty");
    return true;
  }

  // A list of strings; a single string counts as a list of one.
  bool Strings(const YAML::Node& node, const std::string& path, std::vector<std::string>& out) {
    if (node.IsScalar()) {
      std::string one;
      if (!String(node, path, one)) return false;
      out = {one};
      return true;
    }
    if (!node.IsSequence()) return Fail(path, absl::StrCat("must be a list of strings, got ", TypeName(node)));
    out.clear();
    for (size_t i = 0; i < node.size(); ++i) {
      std::string value;
      if (!String(node[i], absl::StrCat(path, "[", i, "]"), value)) return false;
      out.push_back(std::move(value));
    }
    if (out.empty()) return Fail(path, "must not be empty");
    return true;
  }

  bool TableName(const std::string& table, const std::string& path, bool allow_wildcard) {
    if (allow_wildcard && table == "*") return true;
    Violations violations;
    if (!model::CheckTableName(table, FieldRef("table"), violations)) {
      return Fail(path,
                  absl::StrCat("invalid table name ", Quoted(table), " (3 to 255 characters from a-z A-Z 0-9 _ - .",
                               allow_wildcard ? ", or \"*\" for every table)" : ")"));
    }
    return true;
  }

  bool Endpoints(const YAML::Node& node, const std::string& path, std::vector<std::string>& out) {
    if (!Strings(node, path, out)) return false;
    for (size_t i = 0; i < out.size(); ++i) {
      auto endpoint = routing::ParseEndpoint(out[i]);
      if (!endpoint.ok()) {
        return Fail(absl::StrCat(path, "[", i, "]"), std::string(endpoint.status().message()));
      }
    }
    return true;
  }

  bool Scopes(const YAML::Node& node, const std::string& path, std::vector<routing::RoutingScope>& out) {
    std::vector<std::string> texts;
    if (!Strings(node, path, texts)) return false;
    for (size_t i = 0; i < texts.size(); ++i) {
      auto scope = routing::ParseRoutingScope(texts[i]);
      if (!scope.ok()) return Fail(absl::StrCat(path, "[", i, "]"), std::string(scope.status().message()));
      out.push_back(*scope);
    }
    return true;
  }

  bool Tables(const YAML::Node& node, std::map<std::string, TableSettings>& out) {
    const std::string path = "tables";
    if (!ExpectMap(node, path)) return false;
    for (const auto& entry : node) {
      const std::string table = entry.first.Scalar();
      const std::string table_path = KeyPath(path, table);
      if (!TableName(table, table_path, /*allow_wildcard=*/false)) return false;
      if (!ExpectMap(entry.second, table_path)) return false;
      if (!OnlyKeys(entry.second, table_path, {"key_affinity", "partition_key", "version_attribute"})) return false;
      TableSettings settings;
      if (const YAML::Node affinity = entry.second["key_affinity"]) {
        std::string text;
        if (!String(affinity, FieldPath(table_path, "key_affinity"), text)) return false;
        auto mode = routing::ParseAffinityMode(text);
        if (!mode.ok()) {
          return Fail(FieldPath(table_path, "key_affinity"),
                      absl::StrCat("unknown mode ", Quoted(text), " (none, rmw or any_write)"));
        }
        settings.key_affinity = *mode;
      }
      if (const YAML::Node partition_key = entry.second["partition_key"]) {
        std::string name;
        if (!String(partition_key, FieldPath(table_path, "partition_key"), name)) return false;
        settings.partition_key = name;
      }
      if (const YAML::Node version = entry.second["version_attribute"]) {
        std::string attribute;
        if (!String(version, FieldPath(table_path, "version_attribute"), attribute)) return false;
        settings.version_attribute = attribute;
      }
      out[table] = std::move(settings);
    }
    return true;
  }

  bool Principals(const YAML::Node& node, std::vector<service::Principal>& out) {
    if (!node.IsSequence()) return Fail("principals", absl::StrCat("must be a list, got ", TypeName(node)));
    std::set<std::string> names;
    std::map<std::string, std::string> hash_owner;
    for (size_t i = 0; i < node.size(); ++i) {
      const std::string path = absl::StrCat("principals[", i, "]");
      const YAML::Node& item = node[i];
      if (!ExpectMap(item, path)) return false;
      if (!OnlyKeys(item, path, {"name", "token_sha256", "tables"})) return false;
      service::Principal principal;
      if (!item["name"]) return Fail(FieldPath(path, "name"), "is required");
      if (!String(item["name"], FieldPath(path, "name"), principal.name)) return false;
      if (!names.insert(principal.name).second) {
        return Fail(FieldPath(path, "name"), absl::StrCat(Quoted(principal.name), " is used by another principal"));
      }
      if (!item["token_sha256"]) {
        return Fail(FieldPath(path, "token_sha256"), "is required (alternator-gateway --hash-token makes one)");
      }
      if (!Strings(item["token_sha256"], FieldPath(path, "token_sha256"), principal.token_sha256)) return false;
      for (size_t t = 0; t < principal.token_sha256.size(); ++t) {
        std::string& hash = principal.token_sha256[t];
        const std::string hash_path = absl::StrCat(FieldPath(path, "token_sha256"), "[", t, "]");
        hash = absl::AsciiStrToLower(hash);
        if (hash.size() != 64 || hash.find_first_not_of("0123456789abcdef") != std::string::npos) {
          return Fail(hash_path,
                      "must be a SHA-256 as 64 hex digits, not the token itself (alternator-gateway --hash-token)");
        }
        auto [owner, inserted] = hash_owner.emplace(hash, principal.name);
        if (!inserted) {
          return Fail(hash_path,
                      absl::StrCat("the same token hash is already given to principal ", Quoted(owner->second)));
        }
      }
      if (!item["tables"]) return Fail(FieldPath(path, "tables"), "is required (table name or \"*\" -> permissions)");
      const std::string tables_path = FieldPath(path, "tables");
      if (!ExpectMap(item["tables"], tables_path)) return false;
      for (const auto& entry : item["tables"]) {
        const std::string table = entry.first.Scalar();
        const std::string table_path = KeyPath(tables_path, table);
        if (!TableName(table, table_path, /*allow_wildcard=*/true)) return false;
        std::vector<std::string> permissions;
        if (!Strings(entry.second, table_path, permissions)) return false;
        for (const std::string& text : permissions) {
          std::optional<service::Permission> permission = service::ParsePermission(text);
          if (!permission) {
            return Fail(table_path, absl::StrCat("unknown permission ", Quoted(text), " (read, write or admin)"));
          }
          principal.tables[table].insert(*permission);
        }
      }
      out.push_back(std::move(principal));
    }
    return true;
  }
};

}  // namespace

absl::StatusOr<ConfigFile> ParseConfigFile(const std::string& text, const std::string& source) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ":", e.mark.line + 1, ":", e.mark.column + 1, ": not valid YAML: ", e.msg));
  }
  ConfigFile config;
  if (root.IsNull()) return config;  // an empty file sets nothing
  Reader reader;
  try {
    if (reader.ExpectMap(root, "(top level)") &&
        reader.OnlyKeys(root, "", {"backend_endpoints", "routing_scopes", "tables", "principals"})) {
      if (const YAML::Node node = root["backend_endpoints"]) {
        std::vector<std::string> endpoints;
        if (reader.Endpoints(node, "backend_endpoints", endpoints)) config.backend_endpoints = endpoints;
      }
      if (const YAML::Node node = root["routing_scopes"]; node && !reader.problem) {
        std::vector<routing::RoutingScope> scopes;
        if (reader.Scopes(node, "routing_scopes", scopes)) config.routing_scopes = scopes;
      }
      if (const YAML::Node node = root["tables"]; node && !reader.problem) reader.Tables(node, config.tables);
      if (const YAML::Node node = root["principals"]; node && !reader.problem) {
        reader.Principals(node, config.principals);
      }
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(source, ":", e.mark.line + 1, ": ", e.msg));
  }
  if (reader.problem) {
    const std::string& path = reader.problem->path;
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": ", path.empty() ? "" : absl::StrCat(path, ": "), reader.problem->message));
  }
  return config;
}

absl::StatusOr<ConfigFile> LoadConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return absl::InvalidArgumentError(absl::StrCat("--config: cannot read '", path, "': ", std::strerror(errno)));
  std::ostringstream text;
  text << in.rdbuf();
  return ParseConfigFile(text.str(), path);
}

}  // namespace altgw::config
