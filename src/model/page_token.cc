#include "model/page_token.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"

namespace altgw::model {
namespace {

// Bump when the layout changes; older gateways then see newer tokens as malformed, not as forged.
constexpr uint8_t kVersion = 1;
constexpr size_t kExpirySize = 8;
constexpr size_t kHeaderSize = 1 + kExpirySize + PageTokenCodec::kBindingDigestSize;
constexpr size_t kMinTokenSize = kHeaderSize + PageTokenCodec::kMacSize;
constexpr size_t kRandomKeySize = 32;

// OpenSSL fails to hash or to draw random bytes only when it is broken or misconfigured; carrying on
// would issue tokens that no gateway can verify, or sign them with a predictable key.
[[noreturn]] void OpenSslFailure(const char* what) {
  std::fprintf(stderr, "altgw: OpenSSL %s failed\n", what);
  std::abort();
}

void AppendBindingDigest(absl::string_view binding, std::string& out) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  if (SHA256(reinterpret_cast<const unsigned char*>(binding.data()), binding.size(), digest) == nullptr) {
    OpenSslFailure("SHA256");
  }
  out.append(reinterpret_cast<const char*>(digest), PageTokenCodec::kBindingDigestSize);
}

// HMAC-SHA-256 of `data` under `key`, truncated to kMacSize bytes, into `mac`.
void ComputeMac(absl::string_view key, absl::string_view data,
                unsigned char (&mac)[PageTokenCodec::kMacSize]) {
  unsigned char full[EVP_MAX_MD_SIZE];
  unsigned int full_size = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), full, &full_size) == nullptr ||
      full_size < PageTokenCodec::kMacSize) {
    OpenSslFailure("HMAC-SHA-256");
  }
  std::memcpy(mac, full, PageTokenCodec::kMacSize);
}

}  // namespace

absl::string_view PageTokenProblemName(PageTokenProblem problem) {
  switch (problem) {
    case PageTokenProblem::kNone:
      return "none";
    case PageTokenProblem::kMalformed:
      return "malformed";
    case PageTokenProblem::kForged:
      return "forged";
    case PageTokenProblem::kMismatch:
      return "mismatch";
    case PageTokenProblem::kExpired:
      return "expired";
  }
  return "unknown";
}

absl::StatusOr<PageTokenCodec> PageTokenCodec::Create(std::vector<std::string> keys,
                                                      absl::Duration lifetime) {
  if (keys.empty()) return absl::InvalidArgumentError("page tokens need at least one key");
  for (const std::string& key : keys) {
    if (key.empty()) return absl::InvalidArgumentError("page token keys must not be empty");
  }
  if (lifetime <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("the page token lifetime must be positive");
  }
  return PageTokenCodec(std::move(keys), lifetime);
}

std::string PageTokenCodec::RandomKey() {
  std::string key(kRandomKeySize, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), static_cast<int>(key.size())) != 1) {
    OpenSslFailure("RAND_bytes");
  }
  return key;
}

std::string PageTokenCodec::Encode(absl::string_view binding, absl::string_view payload,
                                   absl::Time now) const {
  std::string raw;
  raw.reserve(kMinTokenSize + payload.size());
  raw.push_back(static_cast<char>(kVersion));
  // ToUnixMicros saturates, so an infinite lifetime yields a token that never expires.
  const uint64_t expiry = static_cast<uint64_t>(absl::ToUnixMicros(now + lifetime_));
  for (int shift = 56; shift >= 0; shift -= 8) raw.push_back(static_cast<char>((expiry >> shift) & 0xff));
  AppendBindingDigest(binding, raw);
  raw.append(payload.data(), payload.size());
  unsigned char mac[kMacSize];
  ComputeMac(keys_.front(), raw, mac);
  raw.append(reinterpret_cast<const char*>(mac), kMacSize);
  return absl::WebSafeBase64Escape(raw);
}

DecodedPageToken PageTokenCodec::Decode(absl::string_view token, absl::string_view binding,
                                        absl::Time now) const {
  DecodedPageToken result;
  std::string raw;
  // Only the exact text Encode produces is accepted: re-encoding rejects padding, whitespace and the
  // unused low bits of the last character, so no two texts decode to the same token.
  if (!absl::WebSafeBase64Unescape(token, &raw) || raw.size() < kMinTokenSize ||
      absl::WebSafeBase64Escape(raw) != token || static_cast<uint8_t>(raw[0]) != kVersion) {
    result.problem = PageTokenProblem::kMalformed;
    return result;
  }

  const absl::string_view signed_part = absl::string_view(raw).substr(0, raw.size() - kMacSize);
  const unsigned char* const carried_mac =
      reinterpret_cast<const unsigned char*>(raw.data()) + signed_part.size();
  bool genuine = false;
  for (const std::string& key : keys_) {
    unsigned char mac[kMacSize];
    ComputeMac(key, signed_part, mac);
    // Constant time, so response timing reveals nothing about how much of a forged MAC was right.
    if (CRYPTO_memcmp(mac, carried_mac, kMacSize) == 0) {
      genuine = true;
      break;
    }
  }
  if (!genuine) {
    result.problem = PageTokenProblem::kForged;
    return result;
  }

  std::string expected_digest;
  AppendBindingDigest(binding, expected_digest);
  if (signed_part.substr(1 + kExpirySize, kBindingDigestSize) != expected_digest) {
    result.problem = PageTokenProblem::kMismatch;
    return result;
  }

  uint64_t expiry = 0;
  for (size_t i = 1; i <= kExpirySize; ++i) expiry = (expiry << 8) | static_cast<uint8_t>(raw[i]);
  if (absl::ToUnixMicros(now) > static_cast<int64_t>(expiry)) {
    result.problem = PageTokenProblem::kExpired;
    return result;
  }

  result.problem = PageTokenProblem::kNone;
  result.payload = std::string(signed_part.substr(kHeaderSize));
  return result;
}

}  // namespace altgw::model
