#include "routing/endpoint.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace altgw::routing {
namespace {

using testing::ElementsAreArray;
using testing::HasSubstr;

// vectors/endpoint-order.tsv: input endpoints, then the canonical order and the representatives.
struct OrderRow {
  std::string name;
  std::vector<std::string> input;
  std::vector<std::string> canonical;
  std::vector<std::string> representatives;
};

class EndpointOrderVectorTest : public testing::TestWithParam<OrderRow> {};

TEST_P(EndpointOrderVectorTest, MatchesOfficialVector) {
  const OrderRow& row = GetParam();
  absl::StatusOr<std::vector<OrderedEndpoint>> ordered = CanonicalOrder(row.input);
  ASSERT_TRUE(ordered.ok()) << ordered.status();
  std::vector<std::string> canonical;
  std::vector<std::string> representatives;
  for (const OrderedEndpoint& e : *ordered) {
    canonical.push_back(e.canonical);
    representatives.push_back(e.representative);
  }
  EXPECT_THAT(canonical, ElementsAreArray(row.canonical));
  EXPECT_THAT(representatives, ElementsAreArray(row.representatives));
}

INSTANTIATE_TEST_SUITE_P(Vectors, EndpointOrderVectorTest,
                         testing::Values(OrderRow{"HttpDefaultPortImplicitFirst",
                                                  {"http://A", "http://a:80", "http://a.example"},
                                                  {"http://a", "http://a.example"},
                                                  {"http://A", "http://a.example"}},
                                         OrderRow{"HttpDefaultPortExplicitFirst",
                                                  {"http://A:80", "http://a", "http://a.example"},
                                                  {"http://a", "http://a.example"},
                                                  {"http://A:80", "http://a.example"}},
                                         OrderRow{"HttpsDefaultPort",
                                                  {"https://B:443", "https://a"},
                                                  {"https://a", "https://b"},
                                                  {"https://a", "https://B:443"}},
                                         OrderRow{"SchemeAndHostCase",
                                                  {"HTTP://B:80", "http://a"},
                                                  {"http://a", "http://b"},
                                                  {"http://a", "HTTP://B:80"}},
                                         OrderRow{"NonEndpointComponents",
                                                  {"http://user@b:80/path?x=y#fragment", "http://a"},
                                                  {"http://a", "http://b"},
                                                  {"http://a", "http://user@b:80/path?x=y#fragment"}},
                                         OrderRow{
                                             "NonDefaultPort",
                                             {"http://a:8080", "http://a.example:80", "http://a.example"},
                                             {"http://a.example", "http://a:8080"},
                                             {"http://a.example:80", "http://a:8080"}},
                                         OrderRow{"Ipv6Host",
                                                  {"HTTP://[2001:DB8::1]:80/path", "http://a"},
                                                  {"http://[2001:db8::1]", "http://a"},
                                                  {"HTTP://[2001:DB8::1]:80/path", "http://a"}}),
                         [](const testing::TestParamInfo<OrderRow>& info) { return info.param.name; });

TEST(ParseEndpointTest, SplitsSchemeHostAndEffectivePort) {
  absl::StatusOr<Endpoint> e = ParseEndpoint("HTTPS://Node1.Example.COM:8043/x");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->scheme, "https");
  EXPECT_EQ(e->host, "node1.example.com");
  EXPECT_EQ(e->port, 8043);
  EXPECT_EQ(e->Canonical(), "https://node1.example.com:8043");
}

TEST(ParseEndpointTest, DefaultPortsAreEffectivePorts) {
  EXPECT_EQ(ParseEndpoint("http://a")->port, 80);
  EXPECT_EQ(ParseEndpoint("https://a")->port, 443);
  EXPECT_EQ(ParseEndpoint("https://a:80")->Canonical(), "https://a:80");  // 80 is not https's default
  EXPECT_EQ(ParseEndpoint("http://a:443")->Canonical(), "http://a:443");
}

TEST(ParseEndpointTest, Ipv6HostIsHeldWithoutBrackets) {
  absl::StatusOr<Endpoint> e = ParseEndpoint("http://[::1]:8000");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->host, "::1");
  EXPECT_EQ(e->port, 8000);
  EXPECT_EQ(e->Canonical(), "http://[::1]:8000");
  EXPECT_EQ(ParseEndpoint("http://[::ffff:10.0.0.1]")->Canonical(), "http://[::ffff:10.0.0.1]");
}

TEST(ParseEndpointTest, DropsUserinfoPathQueryAndFragment) {
  EXPECT_EQ(ParseEndpoint("http://u:p@a@b:81")->Canonical(), "http://b:81");
  EXPECT_EQ(ParseEndpoint("http://a?q=1")->Canonical(), "http://a");
  EXPECT_EQ(ParseEndpoint("http://a#f")->Canonical(), "http://a");
  EXPECT_EQ(ParseEndpoint("http://a/p:q@r")->Canonical(), "http://a");  // '@' and ':' in the path
  EXPECT_EQ(ParseEndpoint("http://10.0.0.1:8000/")->Canonical(), "http://10.0.0.1:8000");
}

TEST(ParseEndpointTest, RejectsHostileAndMalformedEndpoints) {
  for (const char* bad : {
           "",
           "a",
           "a:8000",
           "//a",
           "ftp://a",
           "http:/a",
           "http://",
           "http:///path",
           "http://:80",
           "http://user@",
           "http://a:",
           "http://a:0",
           "http://a:65536",
           "http://a:99999999999999999999",
           "http://a:+80",
           "http://a:-1",
           "http://a:8o",
           "http://a:80:81",
           "http://::1",
           "http://2001:db8::1",
           "http://[::1",
           "http://[::1]x",
           "http://[::1]:",
           "http://[not-ipv6]",
           "http://[10.0.0.1]",
           "http://[]",
           "http://a b",
           " http://a",
           "http://a\t",
           "http://a\n.example",
           "http://a\r\nHost: evil",
           "http://-a",
           "http://a..b",
           "http://.a",
           "http://a.",
           "http://a%2eb",
           "http://10.0.0.256",
           "http://1.2.3",
           "http://999",
           "http://caf\xc3\xa9.example",
           "http://\x7f",
       }) {
    absl::StatusOr<Endpoint> e = ParseEndpoint(bad);
    EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument) << "accepted: " << bad;
  }
  EXPECT_EQ(ParseEndpoint(std::string("http://a\0b", 10)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ParseEndpointTest, ErrorsSayWhatIsWrong) {
  EXPECT_THAT(ParseEndpoint("ftp://a").status().message(), HasSubstr("http or https"));
  EXPECT_THAT(ParseEndpoint("http://a:0").status().message(), HasSubstr("1 to 65535"));
  EXPECT_THAT(ParseEndpoint("http://::1").status().message(), HasSubstr("brackets"));
  EXPECT_THAT(ParseEndpoint("a:8000").status().message(), HasSubstr("\"a:8000\""));
  // Control characters are escaped so an error message cannot forge log lines.
  EXPECT_THAT(ParseEndpoint("http://a\nb").status().message(), HasSubstr("a\\nb"));
}

// Bytewise on the whole canonical string, not on host names or numbers: '0' (0x30) sorts before ':' (0x3a)
// but after '.' (0x2e), so node10 comes first when a port follows the host and second when a domain does.
TEST(CanonicalOrderTest, SortsBytewiseOnTheWholeCanonicalString) {
  absl::StatusOr<std::vector<OrderedEndpoint>> with_port =
      CanonicalOrder({"http://node2:8043", "http://node10:8043", "http://node1:8043"});
  ASSERT_TRUE(with_port.ok());
  ASSERT_EQ(with_port->size(), 3u);
  EXPECT_EQ((*with_port)[0].canonical, "http://node10:8043");
  EXPECT_EQ((*with_port)[1].canonical, "http://node1:8043");
  EXPECT_EQ((*with_port)[2].canonical, "http://node2:8043");

  absl::StatusOr<std::vector<OrderedEndpoint>> with_domain =
      CanonicalOrder({"http://node2.x", "http://node10.x", "http://node1.x"});
  ASSERT_TRUE(with_domain.ok());
  ASSERT_EQ(with_domain->size(), 3u);
  EXPECT_EQ((*with_domain)[0].canonical, "http://node1.x");
  EXPECT_EQ((*with_domain)[1].canonical, "http://node10.x");
  EXPECT_EQ((*with_domain)[2].canonical, "http://node2.x");
}

TEST(CanonicalOrderTest, HttpAndHttpsOfOneHostAreDistinct) {
  absl::StatusOr<std::vector<OrderedEndpoint>> ordered = CanonicalOrder({"https://a", "http://a"});
  ASSERT_TRUE(ordered.ok());
  ASSERT_EQ(ordered->size(), 2u);
  EXPECT_EQ((*ordered)[0].canonical, "http://a");
  EXPECT_EQ((*ordered)[1].canonical, "https://a");
}

TEST(CanonicalOrderTest, EmptyListIsEmpty) {
  absl::StatusOr<std::vector<OrderedEndpoint>> ordered = CanonicalOrder({});
  ASSERT_TRUE(ordered.ok());
  EXPECT_TRUE(ordered->empty());
}

TEST(CanonicalOrderTest, OneBadEndpointFailsTheWholeList) {
  absl::StatusOr<std::vector<OrderedEndpoint>> ordered = CanonicalOrder({"http://a", "http://b:0"});
  EXPECT_EQ(ordered.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(ordered.status().message(), HasSubstr("http://b:0"));
}

TEST(NodeUrlTest, BuildsCanonicalUrlsForLocalnodesAddresses) {
  EXPECT_EQ(*NodeUrl("http", "10.0.0.1", 8000), "http://10.0.0.1:8000");
  EXPECT_EQ(*NodeUrl("https", "2001:DB8::1", 8043), "https://[2001:db8::1]:8043");
  EXPECT_EQ(*NodeUrl("HTTP", "Node-1.Example", 80), "http://node-1.example");
  EXPECT_EQ(*NodeUrl("https", "::1", 443), "https://[::1]");
  // Round trip: the URL parses back to the same canonical form.
  EXPECT_EQ(ParseEndpoint(*NodeUrl("http", "fe80::1:2", 8000))->Canonical(), "http://[fe80::1:2]:8000");
}

TEST(NodeUrlTest, RejectsBadInputs) {
  EXPECT_EQ(NodeUrl("ftp", "10.0.0.1", 21).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(NodeUrl("http", "10.0.0.1", 0).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(NodeUrl("http", "[::1]", 80).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(NodeUrl("http", "10.0.0.1:8000", 8000).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(NodeUrl("http", "", 8000).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(IsValidNodeAddressTest, AcceptsIpv4Ipv6AndHostNames) {
  for (const char* good :
       {"10.0.0.1", "0.0.0.0", "255.255.255.255", "::1", "::", "2001:db8::1", "2001:DB8:0:0:0:0:0:1",
        "::ffff:192.0.2.1", "fe80::1", "localhost", "node1", "scylla-1.dc1.example.com", "scylla_node_1", "a",
        "1a", "x.1a", "xn--caf-dma.example"}) {
    EXPECT_TRUE(IsValidNodeAddress(good)) << good;
  }
  EXPECT_TRUE(IsValidNodeAddress(std::string(63, 'a') + ".example"));
  std::string longest;  // 253 characters: 3 labels of 63 and one of 61
  for (int i = 0; i < 3; ++i) longest += std::string(63, 'a') + ".";
  longest += std::string(61, 'b');
  ASSERT_EQ(longest.size(), 253u);
  EXPECT_TRUE(IsValidNodeAddress(longest));
}

TEST(IsValidNodeAddressTest, RejectsEverythingElse) {
  for (const char* bad : {"",
                          " ",
                          "10.0.0.1 ",
                          " 10.0.0.1",
                          "10.0.0.1:8000",
                          "http://10.0.0.1",
                          "[::1]",
                          "::1%eth0",
                          "fe80::1%1",
                          "10.0.0",
                          "10.0.0.256",
                          "010.0.0.1",
                          "1.2.3.4.5",
                          "12345",
                          "-node",
                          "node-",
                          "a..b",
                          ".a",
                          "a.",
                          "a/b",
                          "a@b",
                          "a:b",
                          "a b",
                          "a\tb",
                          "caf\xc3\xa9",
                          "*.example",
                          "a*",
                          "1::2::3",
                          "gggg::1",
                          "\"a\""}) {
    EXPECT_FALSE(IsValidNodeAddress(bad)) << bad;
  }
  EXPECT_FALSE(IsValidNodeAddress(std::string(64, 'a') + ".example"));  // label over 63
  std::string too_long;
  for (int i = 0; i < 4; ++i) too_long += std::string(63, 'a') + ".";
  too_long.pop_back();  // 255 characters
  EXPECT_FALSE(IsValidNodeAddress(too_long));
  EXPECT_FALSE(IsValidNodeAddress(std::string("10.0.0.1\0", 9)));
  EXPECT_FALSE(IsValidNodeAddress(std::string("a\0b", 3)));
}

}  // namespace
}  // namespace altgw::routing
