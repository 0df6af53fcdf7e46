#include "config/settings.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "gtest/gtest.h"

namespace altgw::config {
namespace {

// A config file in a fresh temporary directory, removed at the end of the test.
class TempConfig {
 public:
  explicit TempConfig(const std::string& yaml) {
    char dir[] = "/tmp/altgw_settings_XXXXXX";
    dir_ = mkdtemp(dir);
    path_ = dir_ + "/config.yaml";
    std::ofstream(path_) << yaml;
  }
  ~TempConfig() {
    std::remove(path_.c_str());
    rmdir(dir_.c_str());
  }
  const std::string& path() const { return path_; }

 private:
  std::string dir_;
  std::string path_;
};

const char kFile[] = R"(
backend_endpoints: [http://10.0.0.1:8000]
routing_scopes: [dc:dc1, cluster]
tables:
  orders: {key_affinity: rmw, version_attribute: ver, partition_key: id}
  events: {key_affinity: any_write}
principals:
  - name: svc
    token_sha256: [0000000000000000000000000000000000000000000000000000000000000000]
    tables: {orders: [read]}
)";

TEST(SettingsTest, FileFillsWhatFlagsLeaveUnset) {
  TempConfig file(kFile);
  CommandLine flags;
  flags.config_file = file.path();
  service::GatewayConfig config;
  ASSERT_TRUE(Resolve(flags, config).ok());
  EXPECT_EQ(config.backend_endpoints, std::vector<std::string>{"http://10.0.0.1:8000"});
  ASSERT_EQ(config.routing.scopes.size(), 2u);
  EXPECT_EQ(config.routing.scopes[0].ToString(), "dc:dc1");
  EXPECT_EQ(config.routing.table_affinity.at("orders"), routing::AffinityMode::kRmw);
  EXPECT_EQ(config.version_attributes.at("orders"), "ver");
  EXPECT_EQ(config.partition_keys.at("orders"), "id");
  ASSERT_EQ(config.principals.size(), 1u);
  EXPECT_EQ(config.principals[0].name, "svc");
}

TEST(SettingsTest, FlagsOverrideTheFile) {
  TempConfig file(kFile);
  CommandLine flags;
  flags.config_file = file.path();
  flags.backend_endpoints = std::vector<std::string>{"http://127.0.0.1:9000", "http://127.0.0.2:9000"};
  flags.routing_scopes = std::vector<std::string>{"rack:dc2/r1"};
  flags.versioned_tables = {"orders=rev"};
  flags.table_key_affinity = {"orders=none"};
  service::GatewayConfig config;
  ASSERT_TRUE(Resolve(flags, config).ok());
  EXPECT_EQ(config.backend_endpoints.size(), 2u);
  EXPECT_EQ(config.backend_endpoints[0], "http://127.0.0.1:9000");
  ASSERT_EQ(config.routing.scopes.size(), 1u);
  EXPECT_EQ(config.routing.scopes[0].ToString(), "rack:dc2/r1");
  // The flag replaces the file's setting for that table only.
  EXPECT_EQ(config.version_attributes.at("orders"), "rev");
  EXPECT_EQ(config.routing.table_affinity.at("orders"), routing::AffinityMode::kNone);
  EXPECT_EQ(config.routing.table_affinity.at("events"), routing::AffinityMode::kAnyWrite);
}

TEST(SettingsTest, WithoutFileDefaultsStay) {
  CommandLine flags;
  service::GatewayConfig config;
  ASSERT_TRUE(Resolve(flags, config).ok());
  EXPECT_EQ(config.backend_endpoints, std::vector<std::string>{"http://127.0.0.1:8000"});
  ASSERT_EQ(config.routing.scopes.size(), 1u);
  EXPECT_EQ(config.routing.scopes[0].ToString(), "cluster");
  EXPECT_TRUE(config.principals.empty());
}

std::string ErrorOf(CommandLine flags, service::GatewayConfig config = {}) {
  absl::Status status = Resolve(flags, config);
  EXPECT_FALSE(status.ok());
  return std::string(status.message());
}

TEST(SettingsTest, FlagErrorsNameTheFlag) {
  CommandLine flags;
  flags.versioned_tables = {"orders"};
  EXPECT_EQ(ErrorOf(flags), "--versioned-table: 'orders' is not TABLE=ATTRIBUTE");
  flags = {};
  flags.versioned_tables = {"o=v"};
  EXPECT_EQ(ErrorOf(flags),
            "--versioned-table: 'o' is not a valid table name (3 to 255 characters from a-z A-Z "
            "0-9 _ - .)");
  flags = {};
  flags.table_key_affinity = {"orders=often"};
  EXPECT_EQ(ErrorOf(flags), "--table-key-affinity: 'orders=often': unknown mode 'often' (none, rmw or any_write)");
  flags = {};
  flags.routing_scopes = std::vector<std::string>{"galaxy:far"};
  EXPECT_EQ(ErrorOf(flags).rfind("--routing-scope: 'galaxy:far': ", 0), 0u);
  flags = {};
  flags.backend_endpoints = std::vector<std::string>{"db:8000"};
  EXPECT_EQ(ErrorOf(flags).rfind("--backend-endpoints: 'db:8000': ", 0), 0u);
  flags = {};
  flags.backend_endpoints = std::vector<std::string>{};
  EXPECT_EQ(ErrorOf(flags), "--backend-endpoints: at least one endpoint is needed");
}

TEST(SettingsTest, TlsSettingsAreChecked) {
  service::GatewayConfig config;
  config.tls.client_ca_file = "/tmp/ca.pem";
  EXPECT_EQ(ErrorOf({}, config), "--tls-client-ca: needs --tls-cert and --tls-key (mTLS is served over TLS)");
  config = {};
  config.tls.cert_file = "/nonexistent/cert.pem";
  EXPECT_EQ(ErrorOf({}, config), "--tls-key: must be set when --tls-cert is");
  config.tls.key_file = "/nonexistent/key.pem";
  EXPECT_EQ(ErrorOf({}, config), "--tls-cert: cannot read '/nonexistent/cert.pem': No such file or directory");
}

TEST(SettingsTest, FileErrorsComeThrough) {
  TempConfig file("principals:\n  - {name: a, token_sha256: zz, tables: {orders: [read]}}\n");
  CommandLine flags;
  flags.config_file = file.path();
  EXPECT_EQ(ErrorOf(flags), file.path() +
                                ": principals[0].token_sha256[0]: must be a SHA-256 as 64 hex digits, "
                                "not the token itself (alternator-gateway --hash-token)");
}

}  // namespace
}  // namespace altgw::config
