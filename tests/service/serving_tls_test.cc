// Serving TLS and mTLS through a real gateway: certificates made by openssl in the test. A trusted server
// certificate handshakes; an untrusted CA, a missing or foreign client certificate do not; a certificate
// replaced on disk is served to new connections without a restart. Startup checks of the files.
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "support/gateway_harness.h"

namespace altgw::testing {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A directory of test certificates, made with the openssl command line.
class Pki {
 public:
  Pki() {
    char dir[] = "/tmp/altgw_tls_XXXXXX";
    dir_ = mkdtemp(dir);
  }
  ~Pki() { std::system(("rm -rf '" + dir_ + "'").c_str()); }

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  // A self-signed CA: <name>.pem / <name>.key.
  void MakeCa(const std::string& name) {
    Run(
        absl::StrCat("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "
                     "'/CN=",
                     name, "' -keyout ", Path(name + ".key"), " -out ", Path(name + ".pem")));
  }

  // A leaf certificate signed by `ca`: <name>.pem / <name>.key, for localhost and 127.0.0.1.
  void MakeLeaf(const std::string& name, const std::string& ca, const std::string& usage) {
    std::ofstream(Path(name + ".ext")) << "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
                                       << "basicConstraints=CA:FALSE\nextendedKeyUsage=" << usage << "\n";
    Run(absl::StrCat("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj '/CN=", name,
                     "' -keyout ", Path(name + ".key"), " -out ", Path(name + ".csr")));
    Run(absl::StrCat("openssl x509 -req -days 2 -in ", Path(name + ".csr"), " -CA ", Path(ca + ".pem"), " -CAkey ",
                     Path(ca + ".key"), " -CAcreateserial -extfile ", Path(name + ".ext"), " -out ",
                     Path(name + ".pem")));
  }

  // Replaces <to>.pem/.key with <from>'s, each by an atomic rename (what the file watcher expects).
  void Install(const std::string& from, const std::string& to) {
    for (const char* ext : {".key", ".pem"}) {
      Run(absl::StrCat("cp ", Path(from + ext), " ", Path(to + ext + ".new"), " && mv ", Path(to + ext + ".new"), " ",
                       Path(to + ext)));
    }
  }

 private:
  static void Run(const std::string& command) {
    const int status = std::system((command + " >/dev/null 2>&1").c_str());
    ASSERT_EQ(status, 0) << command;
  }

  std::string dir_;
};

// A TLS client of `gateway` trusting `ca_file`, with a client certificate when `client` is set. Its own
// subchannel pool, so every channel makes its own connection and handshake.
std::shared_ptr<grpc::Channel> TlsChannel(GatewayHarness& gateway, const Pki& pki, const std::string& ca,
                                          const std::string& client = "") {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = ReadAll(pki.Path(ca + ".pem"));
  if (!client.empty()) {
    options.pem_private_key = ReadAll(pki.Path(client + ".key"));
    options.pem_cert_chain = ReadAll(pki.Path(client + ".pem"));
  }
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetSslTargetNameOverride("localhost");
  return grpc::CreateCustomChannel(gateway.address(), grpc::SslCredentials(options), args);
}

// A call that needs a working connection (and the backend): OK only after a successful handshake.
grpc::Status ListTables(const std::shared_ptr<grpc::Channel>& channel) {
  auto stub = v1::TableService::NewStub(channel);
  v1::ListTablesResponse response;
  return stub->ListTables(Context(absl::Seconds(5)).get(), v1::ListTablesRequest(), &response);
}

class ServingTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pki_ = std::make_unique<Pki>();
    pki_->MakeCa("ca");
    pki_->MakeCa("other_ca");
    pki_->MakeLeaf("server", "ca", "serverAuth");
    pki_->MakeLeaf("client", "ca", "clientAuth");
    pki_->MakeLeaf("foreign_client", "other_ca", "clientAuth");
    pki_->MakeLeaf("server2", "other_ca", "serverAuth");
  }
  static void TearDownTestSuite() { pki_.reset(); }

  static GatewayHarness::Customize Tls(bool mutual) {
    return [mutual](service::GatewayConfig& config) {
      config.tls.cert_file = pki_->Path("server.pem");
      config.tls.key_file = pki_->Path("server.key");
      if (mutual) config.tls.client_ca_file = pki_->Path("ca.pem");
    };
  }

  inline static std::unique_ptr<Pki> pki_;
};

TEST_F(ServingTlsTest, TrustedServerCertificateHandshakes) {
  GatewayHarness gateway(Tls(/*mutual=*/false));
  grpc::Status status = ListTables(TlsChannel(gateway, *pki_, "ca"));
  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST_F(ServingTlsTest, WrongCaFailsTheHandshake) {
  GatewayHarness gateway(Tls(/*mutual=*/false));
  EXPECT_EQ(ListTables(TlsChannel(gateway, *pki_, "other_ca")).error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(ServingTlsTest, PlaintextClientCannotTalkToTlsServer) {
  GatewayHarness gateway(Tls(/*mutual=*/false));
  EXPECT_NE(ListTables(gateway.channel()).error_code(), grpc::StatusCode::OK);  // the harness' h2c channel
}

TEST_F(ServingTlsTest, MutualTlsAcceptsClientCertificateFromItsCa) {
  GatewayHarness gateway(Tls(/*mutual=*/true));
  grpc::Status status = ListTables(TlsChannel(gateway, *pki_, "ca", "client"));
  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST_F(ServingTlsTest, MutualTlsWithoutClientCertificateFails) {
  GatewayHarness gateway(Tls(/*mutual=*/true));
  EXPECT_EQ(ListTables(TlsChannel(gateway, *pki_, "ca")).error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(ServingTlsTest, MutualTlsRejectsClientCertificateFromAnotherCa) {
  GatewayHarness gateway(Tls(/*mutual=*/true));
  EXPECT_EQ(ListTables(TlsChannel(gateway, *pki_, "ca", "foreign_client")).error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(ServingTlsTest, PlaintextWhenNoCertificateIsConfigured) {
  GatewayHarness gateway;  // h2c, the mesh mode
  grpc::Status status = ListTables(gateway.channel());
  EXPECT_TRUE(status.ok()) << status.error_message();
}

// The certificate files are replaced while the gateway runs: new connections get the new certificate
// (signed by another CA) within the reload interval, without a restart.
TEST_F(ServingTlsTest, ReplacedCertificateIsServedToNewConnections) {
  pki_->Install("server", "live");
  GatewayHarness gateway([](service::GatewayConfig& config) {
    config.tls.cert_file = pki_->Path("live.pem");
    config.tls.key_file = pki_->Path("live.key");
    config.tls.reload_interval = absl::Seconds(1);
  });
  ASSERT_TRUE(ListTables(TlsChannel(gateway, *pki_, "ca")).ok());
  EXPECT_EQ(ListTables(TlsChannel(gateway, *pki_, "other_ca")).error_code(), grpc::StatusCode::UNAVAILABLE);

  pki_->Install("server2", "live");
  const absl::Time give_up = absl::Now() + absl::Seconds(15);
  bool reloaded = false;
  while (!reloaded && absl::Now() < give_up) {
    reloaded = ListTables(TlsChannel(gateway, *pki_, "other_ca")).ok();
    if (!reloaded) absl::SleepFor(absl::Milliseconds(250));
  }
  EXPECT_TRUE(reloaded) << "the new certificate was not served within 15 s";
  // And the old CA no longer verifies the server.
  EXPECT_EQ(ListTables(TlsChannel(gateway, *pki_, "ca")).error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(ServingTlsTest, StartupRejectsBadFiles) {
  service::ServingTls tls;
  tls.cert_file = pki_->Path("server.pem");
  tls.key_file = pki_->Path("client.key");
  absl::Status mismatch = service::ValidateServingTls(tls);
  EXPECT_EQ(mismatch.message(),
            "--tls-key: '" + pki_->Path("client.key") + "' is not the private key of the certificate in --tls-cert");
  tls.key_file = pki_->Path("server.ext");
  EXPECT_EQ(service::ValidateServingTls(tls).message(),
            "--tls-key: '" + pki_->Path("server.ext") + "' holds no PEM private key (or it is encrypted)");
  tls.key_file = pki_->Path("server.key");
  tls.client_ca_file = pki_->Path("missing.pem");
  EXPECT_EQ(service::ValidateServingTls(tls).message(),
            "--tls-client-ca: cannot read '" + pki_->Path("missing.pem") + "': No such file or directory");
  tls.client_ca_file = pki_->Path("ca.pem");
  EXPECT_TRUE(service::ValidateServingTls(tls).ok());
  // GatewayServer::Start refuses too (before touching the backend).
  service::GatewayConfig config;
  config.listen_address = "127.0.0.1:0";
  config.tls.cert_file = pki_->Path("server.pem");
  config.tls.key_file = pki_->Path("client.key");
  auto server = service::GatewayServer::Start(config);
  ASSERT_FALSE(server.ok());
  EXPECT_TRUE(absl::StrContains(server.status().message(), "--tls-key")) << server.status();
}

}  // namespace
}  // namespace altgw::testing
