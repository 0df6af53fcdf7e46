// How the gateway serves gRPC: TLS (server certificate), mTLS (and client certificates verified against a
// CA), or plaintext HTTP/2 (h2c) when no certificate is configured — the mode for service meshes, whose
// sidecar terminates mTLS.
#ifndef ALTGW_SERVICE_SERVING_TLS_H_
#define ALTGW_SERVICE_SERVING_TLS_H_

#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace altgw::service {

struct ServingTls {
  std::string cert_file;       // PEM certificate chain (--tls-cert); empty with key_file: plaintext h2c
  std::string key_file;        // PEM private key (--tls-key)
  std::string client_ca_file;  // PEM CA bundle (--tls-client-ca): when set, clients must present a certificate
                               // it signed
  // How often the files are checked for changes (gRPC's FileWatcherCertificateProvider re-reads them; a
  // renewed certificate is used for new connections from then on). Write the files atomically (rename)
  // so a half-written pair is never read.
  absl::Duration reload_interval = absl::Seconds(60);

  bool enabled() const { return !cert_file.empty() || !key_file.empty(); }
};

// Checks the files now (readable, PEM, key matching the certificate) so that a mistake stops startup with
// a message naming the setting, instead of failing every handshake later. Plaintext when !tls.enabled().
absl::Status ValidateServingTls(const ServingTls& tls);

// The credentials to listen with (validates first).
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentialsFor(const ServingTls& tls);

}  // namespace altgw::service

#endif  // ALTGW_SERVICE_SERVING_TLS_H_
