#include "admin/admin_server.h"

#include <httplib.h>

#include "gtest/gtest.h"

namespace altgw::admin {
namespace {

TEST(AdminServer, ServesRegisteredPathsWithTheirStatusAndContentType) {
  AdminServer server;
  int calls = 0;
  server.Handle("/readyz", [&] {
    ++calls;
    return AdminResponse{503, "application/json", R"({"status":"NOT_SERVING"})"};
  });
  ASSERT_TRUE(server.Start("127.0.0.1:0").ok());
  ASSERT_GT(server.port(), 0);
  httplib::Client client("127.0.0.1", server.port());
  auto answer = client.Get("/readyz");
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 503);
  EXPECT_EQ(answer->body, R"({"status":"NOT_SERVING"})");
  EXPECT_EQ(answer->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(calls, 1);
  auto missing = client.Get("/nope");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  server.Stop();
  EXPECT_FALSE(client.Get("/readyz"));
}

TEST(AdminServer, ReportsAnAddressItCannotUse) {
  AdminServer first;
  ASSERT_TRUE(first.Start("127.0.0.1:0").ok());
  AdminServer second;
  const absl::Status taken = second.Start("127.0.0.1:" + std::to_string(first.port()));
  EXPECT_FALSE(taken.ok());
  EXPECT_NE(taken.message().find("127.0.0.1:"), std::string::npos);
  AdminServer bad;
  EXPECT_EQ(bad.Start("no-port").code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace altgw::admin
