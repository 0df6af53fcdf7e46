#include "service/serving_tls.h"

#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace altgw::service {
namespace {

absl::StatusOr<std::string> ReadFile(const char* setting, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return absl::InvalidArgumentError(absl::StrCat(setting, ": cannot read '", path, "': ", std::strerror(errno)));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};
struct KeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};

std::unique_ptr<BIO, BioDeleter> MemoryBio(const std::string& text) {
  return std::unique_ptr<BIO, BioDeleter>(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

// The first certificate of a PEM text, or null.
std::unique_ptr<X509, X509Deleter> FirstCertificate(const std::string& pem) {
  auto bio = MemoryBio(pem);
  return std::unique_ptr<X509, X509Deleter>(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

}  // namespace

absl::Status ValidateServingTls(const ServingTls& tls) {
  if (!tls.enabled()) {
    if (!tls.client_ca_file.empty()) {
      return absl::InvalidArgumentError("--tls-client-ca: needs --tls-cert and --tls-key (mTLS is served over TLS)");
    }
    return absl::OkStatus();
  }
  if (tls.cert_file.empty()) return absl::InvalidArgumentError("--tls-cert: must be set when --tls-key is");
  if (tls.key_file.empty()) return absl::InvalidArgumentError("--tls-key: must be set when --tls-cert is");
  if (tls.reload_interval < absl::Seconds(1)) {
    return absl::InvalidArgumentError("--tls-reload-interval: must be at least 1s");
  }
  auto cert_pem = ReadFile("--tls-cert", tls.cert_file);
  if (!cert_pem.ok()) return cert_pem.status();
  auto cert = FirstCertificate(*cert_pem);
  if (cert == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("--tls-cert: '", tls.cert_file, "' holds no PEM certificate"));
  }
  auto key_pem = ReadFile("--tls-key", tls.key_file);
  if (!key_pem.ok()) return key_pem.status();
  auto key_bio = MemoryBio(*key_pem);
  std::unique_ptr<EVP_PKEY, KeyDeleter> key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (key == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tls-key: '", tls.key_file, "' holds no PEM private key (or it is encrypted)"));
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        absl::StrCat("--tls-key: '", tls.key_file, "' is not the private key of the certificate in --tls-cert"));
  }
  if (!tls.client_ca_file.empty()) {
    auto ca_pem = ReadFile("--tls-client-ca", tls.client_ca_file);
    if (!ca_pem.ok()) return ca_pem.status();
    if (FirstCertificate(*ca_pem) == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("--tls-client-ca: '", tls.client_ca_file, "' holds no PEM certificate"));
    }
  }
  ERR_clear_error();
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentialsFor(const ServingTls& tls) {
  if (absl::Status valid = ValidateServingTls(tls); !valid.ok()) return valid;
  if (!tls.enabled()) return grpc::InsecureServerCredentials();
  // gRPC's file watcher re-reads the files every interval and hands changed ones to new handshakes.
  const auto interval = static_cast<unsigned int>(absl::ToInt64Seconds(tls.reload_interval));
  auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(tls.key_file, tls.cert_file,
                                                                                       tls.client_ca_file, interval);
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  if (tls.client_ca_file.empty()) {
    options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  } else {
    options.watch_root_certs();
    options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  }
  return grpc::experimental::TlsServerCredentials(options);
}

}  // namespace altgw::service
