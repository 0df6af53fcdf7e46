// CurlTransport over TLS, against a real TLS server on loopback: `openssl s_server -www` (the OpenSSL CLI,
// a Debian package the project already needs), with certificates made by the same CLI for each run: a test
// CA, a server certificate for 127.0.0.1, one for another host name, a client certificate, and a second,
// unrelated CA. s_server's -www page reports, per connection, whether the TLS session was new or resumed
// and which client certificate was presented, which is what these tests check.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "alternator/curl_transport.h"
#include "gtest/gtest.h"

namespace altgw::alternator {
namespace {

using Outcome = HttpResponse::Outcome;

// Certificates for one test binary run, in a fresh temporary directory.
class TestPki {
 public:
  TestPki() {
    char pattern[] = "/tmp/altgw-tls-XXXXXX";
    const char* made = mkdtemp(pattern);
    if (made == nullptr) return;
    dir_ = made;
    ok_ = Run("openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=altgw-test-ca") &&
          Run("openssl req -x509 -newkey rsa:2048 -nodes -keyout other-ca.key -out other-ca.pem -days 2 "
              "-subj /CN=altgw-other-ca") &&
          Issue("server", "/CN=127.0.0.1", "subjectAltName=IP:127.0.0.1") &&
          Issue("elsewhere", "/CN=elsewhere.example", "subjectAltName=DNS:elsewhere.example") &&
          Issue("client", "/CN=altgw-client", "extendedKeyUsage=clientAuth");
  }
  ~TestPki() {
    if (!dir_.empty()) std::system(absl::StrCat("rm -rf '", dir_, "'").c_str());
  }
  bool ok() const { return ok_; }
  std::string Path(const std::string& name) const { return absl::StrCat(dir_, "/", name); }

 private:
  bool Run(const std::string& command) {
    return std::system(absl::StrCat("cd '", dir_, "' && ", command, " >/dev/null 2>&1").c_str()) == 0;
  }
  bool Issue(const std::string& name, const std::string& subject, const std::string& extension) {
    return Run(absl::StrCat("printf '%s\\n' '", extension, "' > ", name, ".ext")) &&
           Run(absl::StrCat("openssl req -newkey rsa:2048 -nodes -keyout ", name, ".key -out ", name,
                            ".csr -subj ", subject)) &&
           Run(absl::StrCat("openssl x509 -req -in ", name, ".csr -CA ca.pem -CAkey ca.key -CAcreateserial -out ",
                            name, ".pem -days 2 -extfile ", name, ".ext"));
  }

  std::string dir_;
  bool ok_ = false;
};

uint16_t FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

bool Connectable(uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  close(fd);
  return ok;
}

// `openssl s_server -www` on 127.0.0.1: answers every GET with a page describing the TLS connection, then
// closes it (so each request is a new connection, and a resumed session shows as "Reused").
class TlsServer {
 public:
  TlsServer(const TestPki& pki, const std::string& cert, bool require_client_cert = false) : port_(FreePort()) {
    std::vector<std::string> args = {"openssl", "s_server", "-quiet", "-www",
                                     "-accept", absl::StrCat("127.0.0.1:", port_),
                                     "-cert",   pki.Path(cert + ".pem"),
                                     "-key",    pki.Path(cert + ".key")};
    if (require_client_cert) {
      for (const std::string& arg : {std::string("-Verify"), std::string("1"), std::string("-CAfile"), pki.Path("ca.pem")}) {
        args.push_back(arg);
      }
    }
    // Built before fork(): the child of a threaded process may only make async-signal-safe calls.
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      execvp("openssl", argv.data());
      _exit(127);
    }
    const absl::Time give_up = absl::Now() + absl::Seconds(10);
    while (!Connectable(port_) && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(10));
    ready_ = Connectable(port_);
  }
  ~TlsServer() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }
  bool ready() const { return ready_; }
  std::string Url() const { return absl::StrCat("https://127.0.0.1:", port_, "/"); }

 private:
  uint16_t port_;
  pid_t pid_ = -1;
  bool ready_ = false;
};

HttpResponse Fetch(HttpTransport& transport, const std::string& url) {
  HttpRequest request;
  request.url = url;
  request.timeout = absl::Seconds(5);
  absl::Notification done;
  HttpResponse out;
  transport.Start(std::move(request), [&](HttpResponse response) {
    out = std::move(response);
    done.Notify();
  });
  done.WaitForNotification();
  return out;
}

class TlsTransportTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { pki_ = new TestPki(); }
  static void TearDownTestSuite() {
    delete pki_;
    pki_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(pki_->ok()) << "the openssl CLI could not make the test certificates"; }

  static CurlTransportOptions TrustingTestCa() {
    CurlTransportOptions options;
    options.tls.ca_file = pki_->Path("ca.pem");
    options.tls.use_system_cas = false;
    return options;
  }

  static TestPki* pki_;
};
TestPki* TlsTransportTest::pki_ = nullptr;

TEST_F(TlsTransportTest, ServerSignedByTheConfiguredCaIsTrusted) {
  TlsServer server(*pki_, "server");
  ASSERT_TRUE(server.ready());
  CurlTransport transport(TrustingTestCa());
  HttpResponse response = Fetch(transport, server.Url());
  ASSERT_EQ(response.outcome, Outcome::kResponse) << response.error;
  EXPECT_EQ(response.status, 200);
  EXPECT_TRUE(absl::StrContains(response.body, "New, TLSv1")) << response.body;
}

TEST_F(TlsTransportTest, ServerOfAnotherCaFailsAsNeverSent) {
  TlsServer server(*pki_, "server");
  ASSERT_TRUE(server.ready());
  CurlTransportOptions options = TrustingTestCa();
  options.tls.ca_file = pki_->Path("other-ca.pem");
  CurlTransport transport(options);
  HttpResponse response = Fetch(transport, server.Url());
  EXPECT_EQ(response.outcome, Outcome::kNotSent) << response.error;
  EXPECT_FALSE(response.request_sent);
  // And the system store alone does not know the test CA either.
  CurlTransportOptions system_only;
  system_only.tls.use_system_cas = true;
  CurlTransport system_transport(system_only);
  HttpResponse system_response = Fetch(system_transport, server.Url());
  EXPECT_EQ(system_response.outcome, Outcome::kNotSent) << system_response.error;
}

TEST_F(TlsTransportTest, HostnameVerificationCanBeTurnedOff) {
  TlsServer server(*pki_, "elsewhere");  // a valid certificate, for another name
  ASSERT_TRUE(server.ready());
  {
    CurlTransport transport(TrustingTestCa());
    HttpResponse response = Fetch(transport, server.Url());
    EXPECT_EQ(response.outcome, Outcome::kNotSent) << response.error;
  }
  CurlTransportOptions options = TrustingTestCa();
  options.tls.verify_host = false;
  CurlTransport transport(options);
  HttpResponse response = Fetch(transport, server.Url());
  ASSERT_EQ(response.outcome, Outcome::kResponse) << response.error;
  EXPECT_EQ(response.status, 200);
}

TEST_F(TlsTransportTest, ClientCertificateIsPresentedForMutualTls) {
  TlsServer server(*pki_, "server", /*require_client_cert=*/true);
  ASSERT_TRUE(server.ready());
  {
    CurlTransport transport(TrustingTestCa());
    HttpResponse response = Fetch(transport, server.Url());
    EXPECT_NE(response.outcome, Outcome::kResponse) << "served without a client certificate: " << response.body;
  }
  CurlTransportOptions options = TrustingTestCa();
  options.tls.client_cert_file = pki_->Path("client.pem");
  options.tls.client_key_file = pki_->Path("client.key");
  CurlTransport transport(options);
  HttpResponse response = Fetch(transport, server.Url());
  ASSERT_EQ(response.outcome, Outcome::kResponse) << response.error;
  EXPECT_FALSE(absl::StrContains(response.body, "no client certificate available")) << response.body;
  EXPECT_TRUE(absl::StrContains(response.body, "altgw-client")) << response.body;
}

TEST_F(TlsTransportTest, SessionsAreResumedOnNewConnections) {
  TlsServer server(*pki_, "server");
  ASSERT_TRUE(server.ready());
  CurlTransport transport(TrustingTestCa());
  HttpResponse first = Fetch(transport, server.Url());
  ASSERT_EQ(first.outcome, Outcome::kResponse) << first.error;
  EXPECT_TRUE(absl::StrContains(first.body, "New, TLSv1")) << first.body;
  // s_server closed that connection: the next request makes a new one, resuming the session.
  HttpResponse second = Fetch(transport, server.Url());
  ASSERT_EQ(second.outcome, Outcome::kResponse) << second.error;
  EXPECT_TRUE(absl::StrContains(second.body, "Reused, TLSv1")) << second.body;
}

}  // namespace
}  // namespace altgw::alternator
