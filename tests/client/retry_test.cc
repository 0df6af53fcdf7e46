// Retries, deadlines, bearer tokens and TLS of the client library, against a tiny fake gateway served
// in process (a real gRPC server on loopback whose answers each test scripts).
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <mutex>
#include <thread>

#include "altgw_client/client.h"
#include "cli/commands.h"
#include "common/gateway_error.h"
#include "gtest/gtest.h"

namespace altgw::client {
namespace {

namespace v1 = ::alternator::gateway::v1;

grpc::Status AsGrpc(const GatewayError& error) {
  const google::rpc::Status status = error.ToRpcStatus();
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), status.message(), status.SerializeAsString());
}

grpc::Status GatewayUnavailable() {
  return AsGrpc(GatewayError::BackendUnavailable("no node answered", absl::ZeroDuration()));
}

// Answers Put with `failures` copies of `failure` before succeeding; serves a scripted Scan.
class FakeDataService final : public v1::DataService::Service {
 public:
  std::atomic<int> failures{0};
  grpc::Status failure = GatewayUnavailable();
  std::atomic<int> calls{0};
  std::mutex mu;
  std::vector<std::string> authorizations;
  std::vector<std::string> scan_tokens;

  grpc::Status Put(grpc::ServerContext* context, const v1::PutRequest*, v1::PutResponse*) override {
    ++calls;
    {
      std::lock_guard<std::mutex> lock(mu);
      const auto& md = context->client_metadata();
      const auto it = md.find("authorization");
      authorizations.push_back(it == md.end() ? "" : std::string(it->second.data(), it->second.size()));
    }
    if (failures.load() > 0) {
      --failures;
      return failure;
    }
    return grpc::Status::OK;
  }

  // First stream: items a, b (tokens t1, t2) then UNAVAILABLE; resumed from t2: item c and the end.
  grpc::Status Scan(grpc::ServerContext*, const v1::ScanRequest* request,
                    grpc::ServerWriter<v1::ScanResponse>* writer) override {
    {
      std::lock_guard<std::mutex> lock(mu);
      scan_tokens.push_back(request->resume_token());
    }
    auto send = [&](const std::string& id, const std::string& token, bool end) {
      v1::ScanResponse message;
      (*message.add_items()->mutable_attributes())["id"].set_string_value(id);
      message.set_resume_token(token);
      message.set_scanned_count(1);
      if (end) message.mutable_end()->set_complete(true);
      writer->Write(message);
    };
    if (request->resume_token().empty()) {
      send("a", "t1", false);
      send("b", "t2", false);
      return GatewayUnavailable();
    }
    if (request->resume_token() == "t2") {
      send("c", "t3", true);
      return grpc::Status::OK;
    }
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "unexpected token " + request->resume_token());
  }
};

struct FakeServer {
  explicit FakeServer(std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials()) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", credentials, &port);
    builder.RegisterService(&service);
    server = builder.BuildAndStart();
  }
  ~FakeServer() { server->Shutdown(std::chrono::system_clock::now()); }
  std::string address() const { return "127.0.0.1:" + std::to_string(port); }

  FakeDataService service;
  int port = 0;
  std::unique_ptr<grpc::Server> server;
};

Client Connect(const FakeServer& server, RetryPolicy policy = {}) {
  ClientOptions options;
  options.address = server.address();
  options.retry = policy;
  options.retry.initial_backoff = absl::Milliseconds(5);
  return Client::Connect(options).value();
}

v1::PutRequest SomePut() {
  v1::PutRequest request;
  request.set_table("t");
  (*request.mutable_item())["id"].set_string_value("a");
  return request;
}

TEST(ClientRetryTest, UnavailableIsRetriedUntilItSucceeds) {
  FakeServer server;
  server.service.failures = 3;
  const Client client = Connect(server);
  const Result<v1::PutResponse> result = client.Put(SomePut());
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  EXPECT_EQ(server.service.calls.load(), 4);
}

TEST(ClientRetryTest, RetriesStopAtMaxAttempts) {
  FakeServer server;
  server.service.failures = 100;
  RetryPolicy policy;
  policy.max_attempts = 4;
  const Client client = Connect(server, policy);
  const Result<v1::PutResponse> result = client.Put(SomePut());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(result.error().reason(), "BACKEND_UNAVAILABLE");
  EXPECT_EQ(result.error().attempts(), 4);
  EXPECT_EQ(server.service.calls.load(), 4);
}

TEST(ClientRetryTest, RetriesAreBoundedByTheDeadline) {
  FakeServer server;
  server.service.failures = 1000;
  RetryPolicy policy;
  policy.max_attempts = 1000;
  const Client client = Connect(server, policy);
  CallOptions call;
  call.timeout = absl::Milliseconds(400);
  RetryPolicy slow = policy;
  slow.initial_backoff = absl::Milliseconds(100);
  slow.max_backoff = absl::Milliseconds(100);
  call.retry = slow;
  const absl::Time start = absl::Now();
  const Result<v1::PutResponse> result = client.Put(SomePut(), call);
  const absl::Duration took = absl::Now() - start;
  ASSERT_FALSE(result.ok());
  // The last UNAVAILABLE is returned, not a DEADLINE_EXCEEDED of a retry that had no time left.
  EXPECT_EQ(result.error().code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_LT(took, absl::Milliseconds(400) + absl::Milliseconds(150));
  // Pauses of 50..100 ms in 400 ms: between 4 and 9 attempts.
  EXPECT_GE(server.service.calls.load(), 4);
  EXPECT_LE(server.service.calls.load(), 9);
}

class NotRetriedTest : public ::testing::TestWithParam<grpc::StatusCode> {};

// A write that may have been applied (UNKNOWN), lost a race (ABORTED) or ran out of time is never retried
// by the library: only the caller knows whether repeating it is right.
TEST_P(NotRetriedTest, OtherCodesAreReturnedAfterOneAttempt) {
  FakeServer server;
  server.service.failures = 5;
  switch (GetParam()) {
    case grpc::StatusCode::UNKNOWN:
      server.service.failure = AsGrpc(GatewayError::WriteOutcomeUnknown("timeout after sending"));
      break;
    case grpc::StatusCode::ABORTED:
      server.service.failure = AsGrpc(GatewayError::TransactionConflict("conflict"));
      break;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      server.service.failure = AsGrpc(GatewayError::DeadlineExceeded("deadline"));
      break;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      server.service.failure = AsGrpc(GatewayError::BackendThrottled("Throttling", absl::Milliseconds(10)));
      break;
    default:
      server.service.failure = grpc::Status(GetParam(), "scripted failure");
  }
  const Client client = Connect(server);
  const Result<v1::PutResponse> result = client.Put(SomePut());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code(), GetParam());
  EXPECT_EQ(result.error().attempts(), 1);
  EXPECT_EQ(server.service.calls.load(), 1);
}

INSTANTIATE_TEST_SUITE_P(Codes, NotRetriedTest,
                         ::testing::Values(grpc::StatusCode::UNKNOWN, grpc::StatusCode::ABORTED,
                                           grpc::StatusCode::DEADLINE_EXCEEDED,
                                           grpc::StatusCode::RESOURCE_EXHAUSTED, grpc::StatusCode::INTERNAL,
                                           grpc::StatusCode::FAILED_PRECONDITION,
                                           grpc::StatusCode::INVALID_ARGUMENT));

TEST(ClientRetryTest, TransportUnavailableIsRetriedUnlessDisabled) {
  FakeServer server;
  server.service.failure = grpc::Status(grpc::StatusCode::UNAVAILABLE, "connection reset");  // no ErrorInfo
  server.service.failures = 2;
  EXPECT_TRUE(Connect(server).Put(SomePut()).ok());
  EXPECT_EQ(server.service.calls.load(), 3);

  server.service.calls = 0;
  server.service.failures = 2;
  RetryPolicy strict;
  strict.retry_transport_failures = false;
  const Result<v1::PutResponse> result = Connect(server, strict).Put(SomePut());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(server.service.calls.load(), 1);
}

TEST(ClientRetryTest, ConnectionRefusedIsRetriedThenReported) {
  int port = 0;
  {
    FakeServer closed;  // bound and released: nothing listens there afterwards
    port = closed.port;
  }
  ClientOptions options;
  options.address = "127.0.0.1:" + std::to_string(port);
  options.retry.max_attempts = 3;
  options.retry.initial_backoff = absl::Milliseconds(5);
  const Result<v1::PutResponse> result = Client::Connect(options).value().Put(SomePut());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(result.error().attempts(), 3);
}

TEST(ClientRetryTest, BackoffGrowsWithJitterUpToTheCap) {
  RetryPolicy policy;
  policy.initial_backoff = absl::Milliseconds(100);
  policy.max_backoff = absl::Milliseconds(1000);
  policy.multiplier = 2;
  bool varied = false;
  absl::Duration first_seen = Backoff(policy, 1, std::nullopt);
  for (int i = 0; i < 200; ++i) {
    const absl::Duration first = Backoff(policy, 1, std::nullopt);
    EXPECT_GE(first, absl::Milliseconds(50));
    EXPECT_LE(first, absl::Milliseconds(100));
    if (first != first_seen) varied = true;
    const absl::Duration third = Backoff(policy, 3, std::nullopt);
    EXPECT_GE(third, absl::Milliseconds(200));
    EXPECT_LE(third, absl::Milliseconds(400));
    const absl::Duration capped = Backoff(policy, 20, std::nullopt);
    EXPECT_GE(capped, absl::Milliseconds(500));
    EXPECT_LE(capped, absl::Milliseconds(1000));
  }
  EXPECT_TRUE(varied) << "no jitter";
  // The server's RetryInfo is a lower bound.
  EXPECT_EQ(Backoff(policy, 1, absl::Seconds(3)), absl::Seconds(3));
}

TEST(ClientRetryTest, ScanResumesFromTheLastTokenAfterUnavailable) {
  FakeServer server;
  const Client client = Connect(server);
  std::vector<std::string> ids;
  v1::ScanRequest request;
  request.set_table("t");
  const Result<v1::ScanEnd> end = client.Scan(request, [&](const v1::ScanResponse& message) {
    for (const auto& item : message.items()) ids.push_back(item.attributes().at("id").string_value());
    return true;
  });
  ASSERT_TRUE(end.ok()) << end.error().ToString();
  EXPECT_TRUE(end->complete());
  EXPECT_EQ(ids, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(server.service.scan_tokens, (std::vector<std::string>{"", "t2"}));
}

TEST(ClientRetryTest, ScanStoppedByTheCallbackIsIncomplete) {
  FakeServer server;
  const Client client = Connect(server);
  v1::ScanRequest request;
  request.set_table("t");
  int messages = 0;
  const Result<v1::ScanEnd> end = client.Scan(request, [&](const v1::ScanResponse&) { return ++messages < 1; });
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(end->complete());
  EXPECT_EQ(messages, 1);
}

TEST(ClientAuthTest, BearerTokenIsSentAsMetadataOverPlaintext) {
  FakeServer server;
  ClientOptions options;
  options.address = server.address();
  options.bearer_token = "s3cret";
  ASSERT_TRUE(Client::Connect(options).value().Put(SomePut()).ok());
  options.bearer_token.clear();
  ASSERT_TRUE(Client::Connect(options).value().Put(SomePut()).ok());
  EXPECT_EQ(server.service.authorizations, (std::vector<std::string>{"Bearer s3cret", ""}));
}

// A self-signed certificate for "localhost" and 127.0.0.1, made in memory.
struct SelfSigned {
  std::string cert_pem;
  std::string key_pem;
};

std::string BioText(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(size));
  BIO_free(bio);
  return out;
}

SelfSigned MakeCertificate() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), static_cast<long>(absl::ToUnixMicros(absl::Now()) & 0x7fffffff));
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  for (const auto& [nid, value] : {std::pair{NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1"},
                                   std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_sign(cert, key, EVP_sha256());
  BIO* cert_bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(cert_bio, cert);
  BIO* key_bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(key_bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  X509_free(cert);
  EVP_PKEY_free(key);
  return {BioText(cert_bio), BioText(key_bio)};
}

std::shared_ptr<grpc::ServerCredentials> TlsServer(const SelfSigned& cert) {
  grpc::SslServerCredentialsOptions options;
  options.pem_key_cert_pairs.push_back({cert.key_pem, cert.cert_pem});
  return grpc::SslServerCredentials(options);
}

TEST(ClientAuthTest, TlsWithCaAndBearerTokenCallCredentials) {
  const SelfSigned cert = MakeCertificate();
  FakeServer server(TlsServer(cert));
  ClientOptions options;
  options.address = server.address();
  options.tls = true;
  options.tls_ca_pem = cert.cert_pem;
  options.tls_server_name = "localhost";
  options.bearer_token = "tls-token";
  const Result<v1::PutResponse> result = Client::Connect(options).value().Put(SomePut());
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  EXPECT_EQ(server.service.authorizations, (std::vector<std::string>{"Bearer tls-token"}));
}

TEST(ClientAuthTest, TlsWithTheWrongCaFails) {
  const SelfSigned cert = MakeCertificate();
  const SelfSigned other = MakeCertificate();
  FakeServer server(TlsServer(cert));
  ClientOptions options;
  options.address = server.address();
  options.tls = true;
  options.tls_ca_pem = other.cert_pem;
  options.tls_server_name = "localhost";
  options.retry.max_attempts = 1;
  const Result<v1::PutResponse> result = Client::Connect(options).value().Put(SomePut());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(server.service.calls.load(), 0);
}

TEST(ClientAuthTest, UnreadableCaFileIsABadOption) {
  ClientOptions options;
  options.tls = true;
  options.tls_ca_file = "/nonexistent/ca.pem";
  const Result<Client> client = Client::Connect(options);
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.error().reason(), kReasonBadOptions);
  EXPECT_NE(client.error().message().find("/nonexistent/ca.pem"), std::string::npos);
}

// A server that requires a client certificate signed by `client_ca`.
std::shared_ptr<grpc::ServerCredentials> MutualTlsServer(const SelfSigned& cert, const SelfSigned& client_ca) {
  grpc::SslServerCredentialsOptions options(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_key_cert_pairs.push_back({cert.key_pem, cert.cert_pem});
  options.pem_root_certs = client_ca.cert_pem;
  return grpc::SslServerCredentials(options);
}

TEST(ClientAuthTest, MutualTlsSendsTheClientCertificate) {
  const SelfSigned server_cert = MakeCertificate();
  const SelfSigned client_cert = MakeCertificate();
  FakeServer server(MutualTlsServer(server_cert, client_cert));
  ClientOptions options;
  options.address = server.address();
  options.tls = true;
  options.tls_ca_pem = server_cert.cert_pem;
  options.tls_server_name = "localhost";
  options.retry.max_attempts = 1;

  // Without a certificate the handshake fails and nothing reaches the service.
  const Result<v1::PutResponse> refused = Client::Connect(options).value().Put(SomePut());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(server.service.calls.load(), 0);

  // With it, from files as a deployment mounts them.
  const std::string cert_path = ::testing::TempDir() + "/altgw_client_cert.pem";
  const std::string key_path = ::testing::TempDir() + "/altgw_client_key.pem";
  std::ofstream(cert_path) << client_cert.cert_pem;
  std::ofstream(key_path) << client_cert.key_pem;
  options.tls_client_cert_file = cert_path;
  options.tls_client_key_file = key_path;
  const Result<v1::PutResponse> accepted = Client::Connect(options).value().Put(SomePut());
  ASSERT_TRUE(accepted.ok()) << accepted.error().ToString();
  EXPECT_EQ(server.service.calls.load(), 1);
}

TEST(ClientAuthTest, ClientCertificateWithoutKeyOrUnreadableIsABadOption) {
  const SelfSigned cert = MakeCertificate();
  ClientOptions options;
  options.tls = true;
  options.tls_client_cert_pem = cert.cert_pem;
  const Result<Client> no_key = Client::Connect(options);
  ASSERT_FALSE(no_key.ok());
  EXPECT_EQ(no_key.error().reason(), kReasonBadOptions);
  EXPECT_NE(no_key.error().message().find("needs its private key"), std::string::npos) << no_key.error().message();

  options.tls_client_key_file = "/nonexistent/client.key";
  const Result<Client> unreadable = Client::Connect(options);
  ASSERT_FALSE(unreadable.ok());
  EXPECT_NE(unreadable.error().message().find("cannot read the TLS client key file /nonexistent/client.key"),
            std::string::npos)
      << unreadable.error().message();
}

// The CLI's --token, --tls-ca and --tls-server-name reach the channel (run in process against the fake).
int RunCli(std::vector<std::string> args, std::string* out, std::string* err) {
  args.insert(args.begin(), "altgw");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  std::ostringstream out_stream, err_stream;
  const int code = cli::Run(static_cast<int>(argv.size()), argv.data(), out_stream, err_stream);
  *out = out_stream.str();
  *err = err_stream.str();
  return code;
}

TEST(CliConnectionFlagsTest, TokenAndTlsCaFlags) {
  const SelfSigned cert = MakeCertificate();
  const std::string ca_path = ::testing::TempDir() + "/altgw_cli_ca.pem";
  std::ofstream(ca_path) << cert.cert_pem;
  FakeServer server(TlsServer(cert));
  std::string out, err;
  const int code = RunCli({"--address", server.address(), "--tls-ca", ca_path, "--tls-server-name", "localhost",
                           "--token", "cli-token", "put", "t", "--item", R"({"id": "a"})"},
                          &out, &err);
  EXPECT_EQ(code, 0) << err;
  EXPECT_EQ(out, "{}\n");
  EXPECT_EQ(server.service.authorizations, (std::vector<std::string>{"Bearer cli-token"}));

  // Without the CA the gateway's certificate is not trusted: the call fails, nothing reaches the server.
  const int untrusted = RunCli({"--address", server.address(), "--tls", "--tls-server-name", "localhost",
                                "--timeout", "2", "put", "t", "--item", R"({"id": "a"})"},
                               &out, &err);
  EXPECT_EQ(untrusted, 1);
  EXPECT_NE(err.find("altgw put: UNAVAILABLE"), std::string::npos) << err;
  EXPECT_EQ(server.service.calls.load(), 1);

  const int missing_ca = RunCli({"--tls-ca", "/nonexistent/ca.pem", "put", "t", "--item", "{}"}, &out, &err);
  EXPECT_EQ(missing_ca, 2);
  EXPECT_NE(err.find("cannot read the TLS CA file /nonexistent/ca.pem"), std::string::npos) << err;
}

TEST(CliConnectionFlagsTest, ClientCertificateFlagsForMutualTls) {
  const SelfSigned server_cert = MakeCertificate();
  const SelfSigned client_cert = MakeCertificate();
  const std::string dir = ::testing::TempDir();
  std::ofstream(dir + "/altgw_cli_mtls_ca.pem") << server_cert.cert_pem;
  std::ofstream(dir + "/altgw_cli_mtls_cert.pem") << client_cert.cert_pem;
  std::ofstream(dir + "/altgw_cli_mtls_key.pem") << client_cert.key_pem;
  FakeServer server(MutualTlsServer(server_cert, client_cert));
  std::string out, err;
  const int code = RunCli({"--address", server.address(), "--tls-ca", dir + "/altgw_cli_mtls_ca.pem",
                           "--tls-server-name", "localhost", "--tls-cert", dir + "/altgw_cli_mtls_cert.pem",
                           "--tls-key", dir + "/altgw_cli_mtls_key.pem", "put", "t", "--item", R"({"id": "a"})"},
                          &out, &err);
  EXPECT_EQ(code, 0) << err;
  EXPECT_EQ(server.service.calls.load(), 1);

  const int no_key = RunCli({"--address", server.address(), "--tls-cert", dir + "/altgw_cli_mtls_cert.pem", "put",
                             "t", "--item", R"({"id": "a"})"},
                            &out, &err);
  EXPECT_EQ(no_key, 2);
  EXPECT_NE(err.find("needs its private key"), std::string::npos) << err;
  EXPECT_EQ(server.service.calls.load(), 1);
}

}  // namespace
}  // namespace altgw::client
