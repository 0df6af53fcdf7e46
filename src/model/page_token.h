// Opaque, tamper-proof, expiring page tokens for Query, Scan and ListTables pagination (AIP-158).
//
// A token is the URL-safe base64 (no padding) of
//   version (1 byte) | expiry (8 bytes, big-endian Unix microseconds) | SHA-256(binding)[0:16] |
//   payload (any length) | HMAC-SHA-256(key, everything before)[0:16]
// The binding identifies the request the token belongs to (table, index, conditions, ...); only its
// digest is carried, so a token reused with a different request is detected without embedding the
// request. The payload (e.g. DynamoDB's LastEvaluatedKey) is signed, not encrypted: clients can read it
// but cannot alter it.

#ifndef ALTGW_MODEL_PAGE_TOKEN_H_
#define ALTGW_MODEL_PAGE_TOKEN_H_

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace altgw::model {

enum class PageTokenProblem {
  kNone,       // valid: the payload is usable
  kMalformed,  // not base64url, too short, or an unknown format version
  kForged,     // the MAC verifies under none of the keys (altered, or issued with another key)
  kMismatch,   // genuine, but issued for a different request
  kExpired,    // genuine and matching, but past its expiry
};

// "none", "malformed", "forged", "mismatch" or "expired", for logs and error messages.
absl::string_view PageTokenProblemName(PageTokenProblem problem);

struct DecodedPageToken {
  PageTokenProblem problem = PageTokenProblem::kMalformed;
  std::string payload;  // set only when problem == kNone

  bool ok() const { return problem == PageTokenProblem::kNone; }
};

class PageTokenCodec {
 public:
  // Bytes of MAC and of binding digest carried in a token. 128 bits keep forgery and accidental binding
  // collisions out of reach while keeping tokens short.
  static constexpr size_t kMacSize = 16;
  static constexpr size_t kBindingDigestSize = 16;

  // `keys[0]` signs new tokens; every key verifies, so operators rotate keys by putting the new key first
  // and keeping the old one second until the tokens it signed have expired. InvalidArgument when `keys`
  // is empty, a key is empty, or `lifetime` is not positive.
  static absl::StatusOr<PageTokenCodec> Create(std::vector<std::string> keys, absl::Duration lifetime);

  // 32 bytes from OpenSSL's CSPRNG, for a gateway with no configured key (its tokens then do not survive
  // a restart and are not accepted by its peers).
  static std::string RandomKey();

  // A token carrying `payload`, valid until `now + lifetime` for requests with the same `binding`.
  std::string Encode(absl::string_view binding, absl::string_view payload, absl::Time now) const;

  // The payload of `token` if it was issued by a holder of one of the keys, for `binding`, and has not
  // expired at `now` (a token is still valid at exactly its expiry instant, at microsecond precision).
  DecodedPageToken Decode(absl::string_view token, absl::string_view binding, absl::Time now) const;

  absl::Duration lifetime() const { return lifetime_; }

 private:
  PageTokenCodec(std::vector<std::string> keys, absl::Duration lifetime)
      : keys_(std::move(keys)), lifetime_(lifetime) {}

  std::vector<std::string> keys_;
  absl::Duration lifetime_;
};

}  // namespace altgw::model

#endif  // ALTGW_MODEL_PAGE_TOKEN_H_
