#include "service/authorizer.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"

namespace altgw::service {

absl::string_view PermissionName(Permission permission) {
  switch (permission) {
    case Permission::kRead:
      return "read";
    case Permission::kWrite:
      return "write";
    case Permission::kAdmin:
      return "admin";
  }
  return "?";
}

std::optional<Permission> ParsePermission(absl::string_view text) {
  if (text == "read") return Permission::kRead;
  if (text == "write") return Permission::kWrite;
  if (text == "admin") return Permission::kAdmin;
  return std::nullopt;
}

std::string TokenSha256Hex(absl::string_view token) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), digest);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

std::vector<Access> NeedOnEach(Permission permission, const std::vector<std::string>& tables) {
  std::vector<Access> needed;
  needed.reserve(tables.size());
  for (const std::string& table : tables) needed.push_back({permission, table});
  return needed;
}

Authorizer::Authorizer(std::vector<Principal> principals) : principals_(std::move(principals)) {
  for (Principal& principal : principals_) {
    for (std::string& hash : principal.token_sha256) hash = absl::AsciiStrToLower(hash);
  }
}

const Principal* Authorizer::FindByHash(const std::string& hash) const {
  // Every configured hash is compared, in constant time, whatever matched: the time taken says nothing
  // about how close a guess came.
  const Principal* found = nullptr;
  for (const Principal& principal : principals_) {
    for (const std::string& candidate : principal.token_sha256) {
      if (candidate.size() == hash.size() && CRYPTO_memcmp(candidate.data(), hash.data(), hash.size()) == 0) {
        found = &principal;
      }
    }
  }
  return found;
}

std::optional<GatewayError> Authorizer::Check(const grpc::ServerContextBase& context,
                                              const std::vector<Access>& needed) const {
  if (!enabled()) return std::nullopt;
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) return CheckHeader(std::nullopt, needed);
  return CheckHeader(absl::string_view(it->second.data(), it->second.size()), needed);
}

std::optional<GatewayError> Authorizer::CheckHeader(std::optional<absl::string_view> authorization,
                                                    const std::vector<Access>& needed) const {
  if (!enabled()) return std::nullopt;
  if (!authorization.has_value()) {
    return GatewayError::Unauthenticated("missing", "this gateway requires 'authorization: Bearer <token>' metadata");
  }
  // The scheme is case-insensitive (RFC 7235); the token is what follows, without surrounding spaces.
  absl::string_view value = absl::StripAsciiWhitespace(*authorization);
  constexpr absl::string_view kScheme = "bearer ";
  if (value.size() <= kScheme.size() || !absl::StartsWithIgnoreCase(value, kScheme)) {
    return GatewayError::Unauthenticated("malformed", "the 'authorization' metadata is not 'Bearer <token>'");
  }
  absl::string_view token = absl::StripLeadingAsciiWhitespace(value.substr(kScheme.size()));
  const Principal* principal = FindByHash(TokenSha256Hex(token));
  if (principal == nullptr) {
    return GatewayError::Unauthenticated("unknown", "the bearer token is not valid for this gateway");
  }
  for (const Access& access : needed) {
    if (access.table.empty()) continue;
    auto grants = [&](const std::string& table) {
      auto entry = principal->tables.find(table);
      return entry != principal->tables.end() && entry->second.count(access.permission) > 0;
    };
    if (!grants(access.table) && !grants("*")) {
      return GatewayError::PermissionDenied(principal->name, access.table,
                                            std::string(PermissionName(access.permission)));
    }
  }
  return std::nullopt;
}

}  // namespace altgw::service
