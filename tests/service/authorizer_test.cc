#include "service/authorizer.h"

#include "gtest/gtest.h"

namespace altgw::service {
namespace {

Authorizer Make() {
  Principal reader{"reader", {TokenSha256Hex("reader-token")}, {{"orders", {Permission::kRead}}}};
  // Hashes in configuration may be uppercase.
  std::string upper = TokenSha256Hex("ops-token");
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  Principal ops{"ops", {upper, TokenSha256Hex("ops-token-2")}, {{"*", {Permission::kAdmin, Permission::kWrite}}}};
  return Authorizer({reader, ops});
}

std::string ReasonOf(const std::optional<GatewayError>& error) { return error ? error->reason_name() : "allowed"; }

std::string Metadata(const GatewayError& error, const std::string& key) {
  for (const auto& [k, v] : error.metadata()) {
    if (k == key) return v;
  }
  return "";
}

TEST(AuthorizerTest, NoPrincipalsAllowsEverything) {
  Authorizer open;
  EXPECT_FALSE(open.enabled());
  EXPECT_EQ(ReasonOf(open.CheckHeader(std::nullopt, {{Permission::kAdmin, "*"}})), "allowed");
}

TEST(AuthorizerTest, MissingMalformedAndUnknownTokens) {
  Authorizer auth = Make();
  auto missing = auth.CheckHeader(std::nullopt, {{Permission::kRead, "orders"}});
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(missing->reason_name(), "UNAUTHENTICATED");
  EXPECT_EQ(Metadata(*missing, "problem"), "missing");
  auto malformed = auth.CheckHeader("Basic cmVhZGVyLXRva2Vu", {{Permission::kRead, "orders"}});
  ASSERT_TRUE(malformed);
  EXPECT_EQ(Metadata(*malformed, "problem"), "malformed");
  EXPECT_EQ(Metadata(*auth.CheckHeader("Bearer ", {}), "problem"), "malformed");
  auto unknown = auth.CheckHeader("Bearer reader-token-x", {{Permission::kRead, "orders"}});
  ASSERT_TRUE(unknown);
  EXPECT_EQ(Metadata(*unknown, "problem"), "unknown");
  // The token never appears in the error.
  EXPECT_EQ(unknown->message().find("reader-token-x"), std::string::npos);
}

TEST(AuthorizerTest, PermissionsPerTableAndWildcard) {
  Authorizer auth = Make();
  EXPECT_EQ(ReasonOf(auth.CheckHeader("Bearer reader-token", {{Permission::kRead, "orders"}})), "allowed");
  // The scheme is case-insensitive; surrounding spaces do not matter.
  EXPECT_EQ(ReasonOf(auth.CheckHeader("  bearer   reader-token ", {{Permission::kRead, "orders"}})), "allowed");
  auto denied =
      auth.CheckHeader("Bearer reader-token", {{Permission::kRead, "orders"}, {Permission::kWrite, "orders"}});
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(denied->reason_name(), "PERMISSION_DENIED");
  EXPECT_EQ(Metadata(*denied, "principal"), "reader");
  EXPECT_EQ(Metadata(*denied, "table"), "orders");
  EXPECT_EQ(Metadata(*denied, "permission"), "write");
  EXPECT_EQ(denied->message(), "principal 'reader' lacks the 'write' permission on table 'orders'");
  EXPECT_EQ(Metadata(*auth.CheckHeader("Bearer reader-token", {{Permission::kRead, "events"}}), "table"), "events");
  // "*" grants on every table, and calls about all tables need it.
  EXPECT_EQ(
      ReasonOf(auth.CheckHeader("Bearer ops-token", {{Permission::kAdmin, "anything"}, {Permission::kAdmin, "*"}})),
      "allowed");
  EXPECT_EQ(ReasonOf(auth.CheckHeader("Bearer ops-token-2", {{Permission::kWrite, "orders"}})), "allowed");
  EXPECT_EQ(auth.CheckHeader("Bearer reader-token", {{Permission::kRead, "*"}})->message(),
            "principal 'reader' lacks the 'read' permission on all tables ('*')");
  // Permissions are independent: admin and write do not imply read.
  EXPECT_EQ(ReasonOf(auth.CheckHeader("Bearer ops-token", {{Permission::kRead, "orders"}})), "PERMISSION_DENIED");
  // An empty table name is left to request validation.
  EXPECT_EQ(ReasonOf(auth.CheckHeader("Bearer reader-token", {{Permission::kWrite, ""}})), "allowed");
}

TEST(AuthorizerTest, TokenHashIsSha256Hex) {
  EXPECT_EQ(TokenSha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(TokenSha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace altgw::service
