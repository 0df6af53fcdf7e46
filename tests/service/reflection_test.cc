// --reflection / --no-reflection: on by default, and off really means off for that server, whatever other
// servers in the process do.
#include "gtest/gtest.h"
#include "raw_call.h"

namespace altgw::testing {
namespace {

TEST(ReflectionTest, OnByDefault) {
  EXPECT_TRUE(service::GatewayConfig().enable_reflection);
  GatewayHarness gateway;
  std::string answer;
  grpc::Status status = RawUnaryCall(gateway.channel(), kReflectionMethod, kListServicesRequest, &answer);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_NE(answer.find("alternator.gateway.v1.DataService"), std::string::npos);
  EXPECT_NE(answer.find("alternator.gateway.v1.TableService"), std::string::npos);
}

TEST(ReflectionTest, OffMeansUnimplementedEvenNextToAServerWithIt) {
  GatewayHarness with;
  GatewayHarness without([](service::GatewayConfig& config) { config.enable_reflection = false; });
  std::string answer;
  EXPECT_EQ(RawUnaryCall(without.channel(), kReflectionMethod, kListServicesRequest, &answer).error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
  // The gateway's own services are still served.
  v1::ListTablesResponse listed;
  EXPECT_TRUE(without.tables().ListTables(Context().get(), v1::ListTablesRequest(), &listed).ok());
  EXPECT_TRUE(RawUnaryCall(with.channel(), kReflectionMethod, kListServicesRequest, &answer).ok());
}

}  // namespace
}  // namespace altgw::testing
