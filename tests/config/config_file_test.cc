#include "config/config_file.h"

#include "gtest/gtest.h"

namespace altgw::config {
namespace {

const std::string kHashA(64, 'a');
const std::string kHashB(64, 'b');

std::string ErrorOf(const std::string& yaml) {
  auto parsed = ParseConfigFile(yaml, "config.yaml");
  EXPECT_FALSE(parsed.ok()) << "accepted:\n" << yaml;
  return parsed.ok() ? "" : std::string(parsed.status().message());
}

TEST(ConfigFileTest, EmptyFileSetsNothing) {
  auto parsed = ParseConfigFile("", "config.yaml");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_FALSE(parsed->backend_endpoints.has_value());
  EXPECT_FALSE(parsed->routing_scopes.has_value());
  EXPECT_TRUE(parsed->tables.empty());
  EXPECT_TRUE(parsed->principals.empty());
}

TEST(ConfigFileTest, ReadsEverySetting) {
  auto parsed = ParseConfigFile(R"(
backend_endpoints: [http://10.0.0.1:8000, "https://db.example:8043"]
routing_scopes: [rack:dc1/r1, dc:dc1, cluster]
tables:
  orders:
    key_affinity: rmw
    version_attribute: version
    partition_key: order_id
  events:
    key_affinity: any_write
principals:
  - name: orders-service
    token_sha256: [)" + kHashA + R"(]
    tables:
      orders: [read, write]
      "*": read
  - name: ops
    token_sha256: )" + std::string(64, 'B') +
                                    R"(
    tables:
      "*": [admin]
)",
                                "config.yaml");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed->backend_endpoints, (std::vector<std::string>{"http://10.0.0.1:8000", "https://db.example:8043"}));
  ASSERT_EQ(parsed->routing_scopes->size(), 3u);
  EXPECT_EQ((*parsed->routing_scopes)[0].ToString(), "rack:dc1/r1");
  EXPECT_EQ((*parsed->routing_scopes)[2].ToString(), "cluster");
  EXPECT_EQ(parsed->tables.at("orders").key_affinity, routing::AffinityMode::kRmw);
  EXPECT_EQ(parsed->tables.at("orders").version_attribute, "version");
  EXPECT_EQ(parsed->tables.at("orders").partition_key, "order_id");
  EXPECT_FALSE(parsed->tables.at("events").partition_key.has_value());
  EXPECT_EQ(parsed->tables.at("events").key_affinity, routing::AffinityMode::kAnyWrite);
  EXPECT_FALSE(parsed->tables.at("events").version_attribute.has_value());
  ASSERT_EQ(parsed->principals.size(), 2u);
  const service::Principal& orders = parsed->principals[0];
  EXPECT_EQ(orders.name, "orders-service");
  EXPECT_EQ(orders.token_sha256, std::vector<std::string>{kHashA});
  EXPECT_EQ(orders.tables.at("orders"),
            (std::set<service::Permission>{service::Permission::kRead, service::Permission::kWrite}));
  EXPECT_EQ(orders.tables.at("*"), std::set<service::Permission>{service::Permission::kRead});
  // Hashes are normalised to lowercase.
  EXPECT_EQ(parsed->principals[1].token_sha256, std::vector<std::string>{kHashB});
}

// The documented messages: file, path of the setting, problem.
TEST(ConfigFileTest, UnknownPermissionNamesPrincipalAndTable) {
  EXPECT_EQ(ErrorOf("principals:\n"
                    "  - {name: a, token_sha256: " +
                    kHashA +
                    ", tables: {orders: [read]}}\n"
                    "  - {name: b, token_sha256: " +
                    kHashB + ", tables: {orders: [read, wrte]}}\n"),
            "config.yaml: principals[1].tables[\"orders\"]: unknown permission \"wrte\" (read, write or admin)");
}

TEST(ConfigFileTest, PlaintextTokenInsteadOfHashIsRejected) {
  EXPECT_EQ(ErrorOf("principals:\n  - {name: a, token_sha256: [s3cret], tables: {orders: [read]}}\n"),
            "config.yaml: principals[0].token_sha256[0]: must be a SHA-256 as 64 hex digits, not the token "
            "itself (alternator-gateway --hash-token)");
}

TEST(ConfigFileTest, PrincipalProblems) {
  EXPECT_EQ(ErrorOf("principals:\n  - {token_sha256: " + kHashA + ", tables: {t01: [read]}}\n"),
            "config.yaml: principals[0].name: is required");
  EXPECT_EQ(ErrorOf("principals:\n  - {name: a, tables: {t01: [read]}}\n"),
            "config.yaml: principals[0].token_sha256: is required (alternator-gateway --hash-token makes one)");
  EXPECT_EQ(ErrorOf("principals:\n  - {name: a, token_sha256: " + kHashA + "}\n"),
            "config.yaml: principals[0].tables: is required (table name or \"*\" -> permissions)");
  EXPECT_EQ(ErrorOf("principals:\n"
                    "  - {name: a, token_sha256: " +
                    kHashA +
                    ", tables: {t01: [read]}}\n"
                    "  - {name: a, token_sha256: " +
                    kHashB + ", tables: {t01: [read]}}\n"),
            "config.yaml: principals[1].name: \"a\" is used by another principal");
  EXPECT_EQ(ErrorOf("principals:\n"
                    "  - {name: a, token_sha256: " +
                    kHashA +
                    ", tables: {t01: [read]}}\n"
                    "  - {name: b, token_sha256: [" +
                    kHashB + ", " + kHashA + "], tables: {t01: [read]}}\n"),
            "config.yaml: principals[1].token_sha256[1]: the same token hash is already given to principal \"a\"");
  EXPECT_EQ(ErrorOf("principals:\n  - {name: a, token_sha256: " + kHashA + ", tables: {x: [read]}}\n"),
            "config.yaml: principals[0].tables[\"x\"]: invalid table name \"x\" (3 to 255 characters from a-z "
            "A-Z 0-9 _ - ., or \"*\" for every table)");
  EXPECT_EQ(ErrorOf("principals:\n  - {name: a, token_sha256: " + kHashA + ", tables: {t01: []}}\n"),
            "config.yaml: principals[0].tables[\"t01\"]: must not be empty");
  EXPECT_EQ(ErrorOf("principals:\n  - {name: a, token: x}\n"),
            "config.yaml: principals[0]: unknown setting \"token\" (known: name, tables, token_sha256)");
  EXPECT_EQ(ErrorOf("principals: {name: a}\n"), "config.yaml: principals: must be a list, got a mapping");
}

TEST(ConfigFileTest, TableProblems) {
  EXPECT_EQ(ErrorOf("tables:\n  orders: {key_affinity: sometimes}\n"),
            "config.yaml: tables[\"orders\"].key_affinity: unknown mode \"sometimes\" (none, rmw or any_write)");
  EXPECT_EQ(ErrorOf("tables:\n  orders: {versoin_attribute: v}\n"),
            "config.yaml: tables[\"orders\"]: unknown setting \"versoin_attribute\" (known: key_affinity, "
            "partition_key, version_attribute)");
  EXPECT_EQ(ErrorOf("tables:\n  orders: {version_attribute: [a, b]}\n"),
            "config.yaml: tables[\"orders\"].version_attribute: must be a string, got a list");
  EXPECT_EQ(ErrorOf("tables:\n  o: {version_attribute: v}\n"),
            "config.yaml: tables[\"o\"]: invalid table name \"o\" (3 to 255 characters from a-z A-Z 0-9 _ - .)");
}

TEST(ConfigFileTest, TopLevelProblems) {
  EXPECT_EQ(ErrorOf("backend_endpoint: [http://a:1]\n"),
            "config.yaml: unknown setting \"backend_endpoint\" (known: backend_endpoints, principals, "
            "routing_scopes, tables)");
  EXPECT_EQ(ErrorOf("- a\n- b\n"), "config.yaml: (top level): must be a mapping, got a list");
  EXPECT_EQ(ErrorOf("routing_scopes: [region:x]\n").rfind("config.yaml: routing_scopes[0]: ", 0), 0u);
  EXPECT_EQ(ErrorOf("backend_endpoints: [ftp://x]\n").rfind("config.yaml: backend_endpoints[0]: ", 0), 0u);
  EXPECT_EQ(ErrorOf("backend_endpoints: []\n"), "config.yaml: backend_endpoints: must not be empty");
  // Syntax errors carry the line and column.
  EXPECT_EQ(ErrorOf("tables: [unclosed\n").rfind("config.yaml:", 0), 0u);
  EXPECT_NE(ErrorOf("tables: [unclosed\n").find("not valid YAML"), std::string::npos);
}

TEST(ConfigFileTest, MissingFileNamesTheFlag) {
  auto parsed = LoadConfigFile("/nonexistent/altgw.yaml");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().message(), "--config: cannot read '/nonexistent/altgw.yaml': No such file or directory");
}

}  // namespace
}  // namespace altgw::config
