// AWS Signature Version 4 (AWS4-HMAC-SHA256) for the DynamoDB-style requests the gateway sends to
// Alternator: `POST /` with a JSON body. Alternator checks the signature only when the cluster sets
// `alternator_enforce_authorization`; DynamoDB Local only checks that a Credential is present. Either
// way every request carries an Authorization header, so signing runs once per HTTP attempt, after the
// node is chosen (the Host header is signed) and after compression (the payload hash covers the bytes
// actually sent).
#ifndef ALTGW_ALTERNATOR_SIGV4_H_
#define ALTGW_ALTERNATOR_SIGV4_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace altgw::alternator {

// For Alternator the access key is the CQL role name and the secret is that role's `salted_hash`
// (from system.roles).
struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // Optional (temporary credentials); empty means none.
};

// The credential the gateway uses when none is configured. It is syntactically valid, which is all
// DynamoDB Local and an Alternator without enforced authorization look at; a cluster that enforces
// authorization rejects it, which is the right outcome for an unconfigured gateway.
AwsCredentials DummyCredentials();

// Header names, spelled as sent.
inline constexpr absl::string_view kAuthorizationHeader = "Authorization";
inline constexpr absl::string_view kAmzDateHeader = "X-Amz-Date";
inline constexpr absl::string_view kAmzSecurityTokenHeader = "X-Amz-Security-Token";

// The header values Sign() produces; the caller adds them to the request unchanged.
struct SigV4Headers {
  std::string authorization;   // Authorization
  std::string amz_date;        // X-Amz-Date, e.g. "20150830T123600Z"
  std::string security_token;  // X-Amz-Security-Token; empty means: do not send the header
};

// The intermediate strings of one signature. Only for tests and debugging (they contain no secret,
// but building them costs copies the hot path does not need).
struct SigV4Trace {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;  // lower-case hex
};

using SigV4Key = std::array<unsigned char, 32>;

// The SigV4 signing key: HMAC chain over "AWS4"+secret, date (YYYYMMDD), region, service,
// "aws4_request". Exposed because AWS publishes intermediate keys that tests can check directly.
absl::StatusOr<SigV4Key> DeriveSigV4Key(absl::string_view secret_access_key, absl::string_view date,
                                        absl::string_view region, absl::string_view service);

// Signs requests for one credential, region and service. Thread-safe: Sign() may run concurrently
// from any number of threads. The derived signing key depends only on the UTC date (region and service
// are fixed per signer), so it is derived once per day and shared, which saves four of the five HMACs.
class SigV4Signer {
 public:
  SigV4Signer(AwsCredentials credentials, std::string region, std::string service = "dynamodb");
  ~SigV4Signer();  // Wipes the secret and the cached key from memory.

  SigV4Signer(const SigV4Signer&) = delete;
  SigV4Signer& operator=(const SigV4Signer&) = delete;

  // Checks what the constructor takes on trust, for configuration loading: the access key, region and
  // service end up inside the Credential field (`key/date/region/service/aws4_request`, terminated by
  // a comma), so they must be non-empty and free of '/', ',', whitespace and control characters.
  static absl::Status Validate(const AwsCredentials& credentials, absl::string_view region,
                               absl::string_view service);

  // Signs one HTTP attempt.
  //   method:  e.g. "POST".
  //   host:    the Host header value exactly as sent, "host" or "host:port".
  //   path:    the request path as sent on the wire ("/" for DynamoDB calls); it is URI-encoded once
  //            more for the canonical request, as SigV4 requires for every service except S3. Dot
  //            segments are not normalised: the gateway never sends them.
  //   query:   the query string as sent, without '?' (empty for DynamoDB calls).
  //   payload: the body bytes exactly as sent (after compression, if any).
  //   now:     the signing time; servers reject times more than 15 minutes off theirs.
  //   trace:   if not null, receives the intermediate strings.
  // Fails only on invalid input (empty method or host, control characters in them, a time outside
  // years 0000-9999) or an OpenSSL failure.
  absl::StatusOr<SigV4Headers> Sign(absl::string_view method, absl::string_view host,
                                    absl::string_view path, absl::string_view query,
                                    absl::string_view payload, absl::Time now,
                                    SigV4Trace* trace = nullptr) const;

  const std::string& access_key_id() const { return access_key_id_; }
  const std::string& region() const { return region_; }
  const std::string& service() const { return service_; }

  // How many times a signing key was derived (cache misses). For tests and metrics.
  uint64_t key_derivations() const { return key_derivations_.load(std::memory_order_relaxed); }

 private:
  // Returns the signing key for `date` (YYYYMMDD), deriving and caching it on a miss.
  absl::StatusOr<SigV4Key> KeyFor(absl::string_view date) const;

  const std::string access_key_id_;
  std::string secret_access_key_;  // Not const: wiped by the destructor.
  const std::string session_token_;
  const std::string region_;
  const std::string service_;
  const std::string scope_suffix_;  // "/region/service/aws4_request"
  const std::string signed_headers_;  // "host;x-amz-date[;x-amz-security-token]"

  // The key for one date is all that is ever needed: requests are signed with the current time, and
  // around midnight a stale date is only briefly in use, so the newest date wins the slot.
  mutable absl::Mutex mu_;
  mutable std::array<char, 8> cached_date_ ABSL_GUARDED_BY(mu_) = {};
  mutable SigV4Key cached_key_ ABSL_GUARDED_BY(mu_) = {};
  mutable bool has_cached_key_ ABSL_GUARDED_BY(mu_) = false;
  mutable std::atomic<uint64_t> key_derivations_{0};
};

}  // namespace altgw::alternator

#endif  // ALTGW_ALTERNATOR_SIGV4_H_
