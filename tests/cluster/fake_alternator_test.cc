// Tests of the test harness itself: FakeAlternatorCluster (tests/support/fake_alternator.h) and the
// fake-alternator tool, against the real DynamoDB Local this binary starts.
#include "support/fake_alternator.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "nlohmann/json.hpp"
#include "support/dynamodb_local.h"

namespace altgw::testing {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using Fault = FakeAlternatorNode::Fault;
using LocalnodesFault = FakeAlternatorNode::LocalnodesFault;
using Listing = FakeAlternatorNode::Listing;
using DelayPoint = FakeAlternatorNode::DelayPoint;
using Headers = std::vector<std::pair<std::string, std::string>>;

milliseconds Since(Clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - start);
}

// Awaits a condition that some other thread or process makes true (checked every 5 ms).
bool WaitUntil(const std::function<bool()>& condition, milliseconds deadline = milliseconds(10000)) {
  const auto give_up = Clock::now() + deadline;
  while (!condition()) {
    if (Clock::now() > give_up) return false;
    std::this_thread::sleep_for(milliseconds(5));
  }
  return true;
}

// ---------------------------------------------------------------------------------------------------------
// A small libcurl client: one easy handle, so successive calls reuse the connection (keep-alive).

struct HttpResult {
  CURLcode code = CURLE_OK;
  long status = 0;
  std::string body;                            // as received (not decoded)
  std::map<std::string, std::string> headers;  // names lower-cased
  milliseconds elapsed{0};

  std::optional<std::string> header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::nullopt : std::optional<std::string>(it->second);
  }
  json Json() const { return json::parse(body, nullptr, /*allow_exceptions=*/false); }
  // The DynamoDB error type after '#', and its message.
  std::string ErrorType() const {
    const json parsed = Json();
    if (!parsed.is_object() || !parsed.contains("__type")) return "";
    const std::string type = parsed["__type"];
    return type.substr(type.find('#') + 1);
  }
  std::string ErrorMessage() const {
    const json parsed = Json();
    if (parsed.is_object() && parsed.contains("message")) return parsed["message"];
    if (parsed.is_object() && parsed.contains("Message")) return parsed["Message"];
    return "";
  }
};

std::ostream& operator<<(std::ostream& out, const HttpResult& result) {
  return out << "curl=" << curl_easy_strerror(result.code) << " status=" << result.status << " body=" << result.body;
}

size_t CollectBody(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

size_t CollectHeader(char* data, size_t size, size_t count, void* user) {
  auto* headers = static_cast<std::map<std::string, std::string>*>(user);
  std::string line(data, size * count);
  if (line.rfind("HTTP/", 0) == 0) headers->clear();  // a new status line (after 100 Continue)
  const size_t colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    value.erase(value.find_last_not_of("\r\n ") + 1);
    (*headers)[name] = value;
  }
  return size * count;
}

struct Upload {
  std::string data;
  size_t offset = 0;
};

size_t ReadUpload(char* buffer, size_t size, size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  const size_t n = std::min(size * count, upload->data.size() - upload->offset);
  std::memcpy(buffer, upload->data.data() + upload->offset, n);
  upload->offset += n;
  return n;
}

Headers DynamoHeaders(const std::string& operation) {
  return {{"X-Amz-Target", "DynamoDB_20120810." + operation},
          {"Content-Type", "application/x-amz-json-1.0"},
          {"X-Amz-Date", "20260101T000000Z"},
          {"Authorization",
           "AWS4-HMAC-SHA256 Credential=alternator/20260101/us-east-1/dynamodb/aws4_request, "
           "SignedHeaders=host;x-amz-date, Signature=0"}};
}

class Client {
 public:
  Client() : curl_(curl_easy_init()) {}
  ~Client() { curl_easy_cleanup(curl_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  long timeout_ms = 10000;
  long expect_100_timeout_ms = 1000;

  // body == nullptr: no body. chunked: the body goes as a chunked upload (no Content-Length).
  HttpResult Request(const std::string& method, const std::string& url, const std::string* body,
                     const Headers& headers, bool chunked = false) {
    HttpResult result;
    curl_easy_reset(curl_);  // keeps the connection cache
    curl_slist* list = nullptr;
    bool has_expect = false;
    for (const auto& [name, value] : headers) {
      list = curl_slist_append(list, (name + ": " + value).c_str());
      if (strcasecmp(name.c_str(), "Expect") == 0) has_expect = true;
    }
    if (!has_expect) list = curl_slist_append(list, "Expect:");
    Upload upload;
    curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
    if (method == "GET") {
      curl_easy_setopt(curl_, CURLOPT_HTTPGET, 1L);
    } else if (method == "POST" && body != nullptr && chunked) {
      upload.data = *body;
      curl_easy_setopt(curl_, CURLOPT_POST, 1L);
      curl_easy_setopt(curl_, CURLOPT_READFUNCTION, &ReadUpload);
      curl_easy_setopt(curl_, CURLOPT_READDATA, &upload);
    } else if (method == "POST") {
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, body != nullptr ? body->data() : "");
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(body != nullptr ? body->size() : 0));
    } else {
      curl_easy_setopt(curl_, CURLOPT_CUSTOMREQUEST, method.c_str());
    }
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &CollectBody);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &result.body);
    curl_easy_setopt(curl_, CURLOPT_HEADERFUNCTION, &CollectHeader);
    curl_easy_setopt(curl_, CURLOPT_HEADERDATA, &result.headers);
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(curl_, CURLOPT_EXPECT_100_TIMEOUT_MS, expect_100_timeout_ms);
    curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
    const auto start = Clock::now();
    result.code = curl_easy_perform(curl_);
    result.elapsed = Since(start);
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &result.status);
    curl_slist_free_all(list);
    return result;
  }

  HttpResult Get(const std::string& url, const Headers& headers = {}) {
    return Request("GET", url, nullptr, headers);
  }
  HttpResult Post(const std::string& url, const std::string& body, const Headers& headers) {
    return Request("POST", url, &body, headers);
  }
  HttpResult Dynamo(const std::string& endpoint, const std::string& operation, const json& body,
                    const Headers& extra = {}) {
    Headers headers = DynamoHeaders(operation);
    headers.insert(headers.end(), extra.begin(), extra.end());
    return Post(endpoint + "/", body.dump(), headers);
  }
  // GET /localnodes<query>, parsed; nullopt unless 200 with a JSON array.
  std::optional<std::vector<std::string>> LocalNodes(const std::string& endpoint, const std::string& query = "") {
    const HttpResult result = Get(endpoint + "/localnodes" + query);
    const json parsed = result.Json();
    if (result.code != CURLE_OK || result.status != 200 || !parsed.is_array()) return std::nullopt;
    return parsed.get<std::vector<std::string>>();
  }

 private:
  CURL* curl_;
};

// ---------------------------------------------------------------------------------------------------------
// DynamoDB bodies and direct checks on DynamoDB Local.

std::string UniqueTable(const std::string& prefix) {
  static std::atomic<int> sequence{0};
  return "fake_" + prefix + "_" + std::to_string(getpid()) + "_" + std::to_string(++sequence);
}

json CreateTableBody(const std::string& table) {
  return {{"TableName", table},
          {"KeySchema", json::array({{{"AttributeName", "pk"}, {"KeyType", "HASH"}}})},
          {"AttributeDefinitions", json::array({{{"AttributeName", "pk"}, {"AttributeType", "S"}}})},
          {"BillingMode", "PAY_PER_REQUEST"}};
}

json PutBody(const std::string& table, const std::string& pk, const std::string& value) {
  return {{"TableName", table}, {"Item", {{"pk", {{"S", pk}}}, {"v", {{"S", value}}}}}};
}

json KeyBody(const std::string& table, const std::string& pk) {
  return {{"TableName", table}, {"Key", {{"pk", {{"S", pk}}}}}, {"ConsistentRead", true}};
}

json TransactPutBody(const std::string& table, const std::string& pk, const std::string& value) {
  return {{"TransactItems", json::array({{{"Put", PutBody(table, pk, value)}}})}};
}

DynamoDbLocal& Ddb() { return DynamoDbLocal::Shared(); }

// Creates a table directly on DynamoDB Local (not through a node, so node counters stay clean).
std::string CreateTableDirectly(const std::string& prefix) {
  const std::string table = UniqueTable(prefix);
  const DynamoDbLocal::Answer answer = Ddb().Call("CreateTable", CreateTableBody(table));
  EXPECT_EQ(answer.status, 200) << answer.body.dump();
  return table;
}

// The item's "v" as DynamoDB Local holds it, or nullopt when absent.
std::optional<std::string> StoredValue(const std::string& table, const std::string& pk) {
  const DynamoDbLocal::Answer answer = Ddb().Call("GetItem", KeyBody(table, pk));
  EXPECT_EQ(answer.status, 200) << answer.body.dump();
  if (!answer.body.contains("Item")) return std::nullopt;
  return answer.body["Item"]["v"]["S"].get<std::string>();
}

FakeNodeSpec Node(const std::string& ip, const std::string& dc = "dc1", const std::string& rack = "r1",
                  bool listed = true, bool live = true) {
  FakeNodeSpec spec;
  spec.ip = ip;
  spec.dc = dc;
  spec.rack = rack;
  spec.listed = listed;
  spec.live = live;
  return spec;
}

std::unique_ptr<FakeAlternatorCluster> MakeCluster(std::vector<FakeNodeSpec> topology,
                                                   const std::function<void(FakeClusterOptions&)>& customize = {}) {
  FakeClusterOptions options;
  options.dynamodb_endpoint = Ddb().endpoint();
  if (customize) customize(options);
  return std::make_unique<FakeAlternatorCluster>(std::move(topology), options);
}

std::unique_ptr<FakeAlternatorCluster> ThreeNodes(const std::function<void(FakeClusterOptions&)>& customize = {}) {
  return MakeCluster({Node("127.0.0.2"), Node("127.0.0.3"), Node("127.0.0.4")}, customize);
}

// A raw TCP connection: connect() result, and the fd when connected.
int RawConnect(const std::string& ip, int port, int* error) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, ip.c_str(), &address.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    *error = errno;
    close(fd);
    return -1;
  }
  *error = 0;
  return fd;
}

// Reads from fd until `done(buffer)` or EOF/error/deadline; returns what was read.
std::string RawReadUntil(int fd, const std::function<bool(const std::string&)>& done, milliseconds deadline) {
  std::string buffer;
  const auto give_up = Clock::now() + deadline;
  while (!done(buffer)) {
    const auto left = std::chrono::duration_cast<milliseconds>(give_up - Clock::now()).count();
    if (left <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left)) <= 0) break;
    char chunk[4096];
    const ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
    if (n <= 0) break;
    buffer.append(chunk, static_cast<size_t>(n));
  }
  return buffer;
}

// ---------------------------------------------------------------------------------------------------------
// Forwarding

TEST(FakeAlternatorForwarding, AllNodesShareOneDynamoDbLocal) {
  auto cluster = ThreeNodes();
  const auto endpoints = cluster->endpoints();
  ASSERT_EQ(endpoints.size(), 3u);
  Client client;
  const std::string table = UniqueTable("forward");

  HttpResult created = client.Dynamo(endpoints[0], "CreateTable", CreateTableBody(table));
  ASSERT_EQ(created.status, 200) << created;
  EXPECT_EQ(created.header("content-type"), "application/x-amz-json-1.0");
  EXPECT_FALSE(created.header("x-amzn-requestid").has_value()) << "Alternator sends no request id";
  ASSERT_EQ(client.Dynamo(endpoints[0], "PutItem", PutBody(table, "k", "written via A")).status, 200);

  HttpResult read = client.Dynamo(endpoints[1], "GetItem", KeyBody(table, "k"));
  ASSERT_EQ(read.status, 200) << read;
  EXPECT_EQ(read.Json()["Item"]["v"]["S"], "written via A");
  EXPECT_EQ(StoredValue(table, "k"), "written via A");

  ASSERT_EQ(client.Dynamo(endpoints[2], "DeleteItem", KeyBody(table, "k")).status, 200);
  read = client.Dynamo(endpoints[1], "GetItem", KeyBody(table, "k"));
  ASSERT_EQ(read.status, 200) << read;
  EXPECT_FALSE(read.Json().contains("Item"));

  const FakeNodeCounters a = cluster->node(0).counters();
  EXPECT_EQ(a.operation("CreateTable"), 1);
  EXPECT_EQ(a.operation("PutItem"), 1);
  EXPECT_EQ(a.forwarded, 2);
  EXPECT_EQ(cluster->node(1).counters().operation("GetItem"), 2);
  EXPECT_EQ(cluster->node(2).counters().operation("DeleteItem"), 1);
  EXPECT_EQ(cluster->TotalCounters().forwarded, 5);
}

TEST(FakeAlternatorForwarding, RelaysDynamoDbErrorsWithTheirStatus) {
  auto cluster = MakeCluster({Node("127.0.0.2")});
  Client client;
  const HttpResult missing =
      client.Dynamo(cluster->node(0).endpoint(), "GetItem", KeyBody(UniqueTable("missing"), "k"));
  EXPECT_EQ(missing.status, 400) << missing;
  EXPECT_EQ(missing.ErrorType(), "ResourceNotFoundException") << missing;
  EXPECT_EQ(cluster->node(0).counters().forwarded, 1);
}

TEST(FakeAlternatorForwarding, HealthAndUnknownPaths) {
  auto cluster = MakeCluster({Node("127.0.0.2")});
  FakeAlternatorNode& node = cluster->node(0);
  Client client;
  const HttpResult health = client.Get(node.endpoint() + "/");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "healthy: " + node.address());
  EXPECT_EQ(client.Get(node.endpoint() + "/nope").status, 404);
  EXPECT_EQ(client.Post(node.endpoint() + "/localnodes", "", {}).status, 404);
  EXPECT_EQ(client.Request("PUT", node.endpoint() + "/", nullptr, {}).status, 404);
  const FakeNodeCounters counters = node.counters();
  EXPECT_EQ(counters.health_requests, 1);
  EXPECT_EQ(counters.other_requests, 3);
  EXPECT_EQ(counters.dynamodb_requests, 0);
}

TEST(FakeAlternatorForwarding, LargeAnswersComeChunkedWithoutContentLength) {
  auto cluster = MakeCluster({Node("127.0.0.2")});
  const std::string table = CreateTableDirectly("chunked");
  const std::string big(200 * 1024, 'x');
  Client client;
  const std::string endpoint = cluster->node(0).endpoint();
  ASSERT_EQ(client.Dynamo(endpoint, "PutItem", PutBody(table, "big", big)).status, 200);
  ASSERT_EQ(client.Dynamo(endpoint, "PutItem", PutBody(table, "small", "s")).status, 200);

  const HttpResult large = client.Dynamo(endpoint, "GetItem", KeyBody(table, "big"));
  ASSERT_EQ(large.status, 200) << large.code;
  EXPECT_EQ(large.header("transfer-encoding"), "chunked");
  EXPECT_FALSE(large.header("content-length").has_value());
  EXPECT_EQ(large.Json()["Item"]["v"]["S"], big);

  const HttpResult small = client.Dynamo(endpoint, "GetItem", KeyBody(table, "small"));
  ASSERT_EQ(small.status, 200);
  EXPECT_FALSE(small.header("transfer-encoding").has_value());
  EXPECT_EQ(small.header("content-length"), std::to_string(small.body.size()));
}

TEST(FakeAlternatorForwarding, ChunkedUploadWithExpectContinue) {
  auto cluster = MakeCluster({Node("127.0.0.2")});
  const std::string table = CreateTableDirectly("upload");
  Client client;
  client.expect_100_timeout_ms = 20000;  // without "100 Continue" from the node, curl would wait 20 s
  Headers headers = DynamoHeaders("PutItem");
  headers.emplace_back("Expect", "100-continue");
  headers.emplace_back("Transfer-Encoding", "chunked");
  const std::string body = PutBody(table, "k", std::string(5000, 'u')).dump();
  const HttpResult put = client.Request("POST", cluster->node(0).endpoint() + "/", &body, headers, true);
  ASSERT_EQ(put.status, 200) << put;
  EXPECT_LT(put.elapsed, milliseconds(10000));
  EXPECT_EQ(StoredValue(table, "k"), std::string(5000, 'u'));
  const auto recent = cluster->node(0).RecentRequests();
  ASSERT_EQ(recent.size(), 1u);
  EXPECT_EQ(recent[0].header("transfer-encoding"), "chunked");
  EXPECT_EQ(recent[0].header("expect"), "100-continue");
  EXPECT_FALSE(recent[0].header("content-length").has_value());
  EXPECT_EQ(recent[0].body, body);
}

TEST(FakeAlternatorForwarding, BodiesOverSixteenMegabytesAreRefused) {
  auto cluster = MakeCluster({Node("127.0.0.2")});
  int error = 0;
  const int fd = RawConnect("127.0.0.2", cluster->port(), &error);
  ASSERT_GE(fd, 0) << std::strerror(error);
  const std::string request =
      "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: DynamoDB_20120810.PutItem\r\n"
      "Content-Length: 16777217\r\nExpect: 100-continue\r\n\r\n";
  ASSERT_EQ(send(fd, request.data(), request.size(), MSG_NOSIGNAL), static_cast<ssize_t>(request.size()));
  const std::string answer = RawReadUntil(
      fd, [](const std::string& read) { return read.find("PayloadTooLarge") != std::string::npos; },
      milliseconds(10000));
  close(fd);
  EXPECT_EQ(answer.rfind("HTTP/1.1 413 ", 0), 0u) << answer;
  EXPECT_NE(answer.find("PayloadTooLarge"), std::string::npos) << answer;
  EXPECT_EQ(cluster->node(0).counters().forwarded, 0);
}

// ---------------------------------------------------------------------------------------------------------
// /localnodes

TEST(FakeAlternatorLocalnodes, FiltersByDcRackAndLiveness) {
  auto cluster = MakeCluster({
      Node("127.0.0.2", "dc1", "r1"),
      Node("127.0.0.3", "dc1", "r2"),
      Node("127.0.0.4", "dc1", "r2", /*listed=*/false),
      Node("127.0.0.5", "dc2", "r1"),
      Node("127.0.0.6", "dc2", "r1", /*listed=*/true, /*live=*/false),
      Node("127.0.0.7", "dc 3", "rack/1"),
  });
  Client client;
  const std::string a = cluster->node("127.0.0.2").endpoint();
  using List = std::vector<std::string>;
  EXPECT_EQ(client.LocalNodes(a), (List{"127.0.0.2", "127.0.0.3"})) << "own DC; unlisted .4 left out";
  EXPECT_EQ(client.LocalNodes(a, "?dc=dc2"), (List{"127.0.0.5", "127.0.0.6"})) << "listed but not listening";
  EXPECT_EQ(client.LocalNodes(a, "?dc=dc1&rack=r2"), (List{"127.0.0.3"}));
  EXPECT_EQ(client.LocalNodes(a, "?rack=r1"), (List{"127.0.0.2"})) << "rack of the own DC";
  EXPECT_EQ(client.LocalNodes(a, "?dc=dc%203&rack=rack%2F1"), (List{"127.0.0.7"})) << "percent-decoded";
  EXPECT_EQ(client.LocalNodes(a, "?dc=nowhere"), List{});
  EXPECT_EQ(client.LocalNodes(a, "?dc=dc1&rack=nowhere"), List{});
  EXPECT_EQ(client.LocalNodes(a, "?dc="), (List{"127.0.0.2", "127.0.0.3"})) << "empty dc: own DC";
  EXPECT_EQ(client.LocalNodes(cluster->node("127.0.0.5").endpoint()), (List{"127.0.0.5", "127.0.0.6"}));
  EXPECT_EQ(client.LocalNodes(cluster->node("127.0.0.4").endpoint()), (List{"127.0.0.2", "127.0.0.3"}))
      << "an unlisted node answers, without itself";
  EXPECT_EQ(cluster->LocalNodes("dc1"), (List{"127.0.0.2", "127.0.0.3"}));

  const HttpResult raw = client.Get(a + "/localnodes");
  EXPECT_EQ(raw.body, R"(["127.0.0.2","127.0.0.3"])");

  // A stopped node leaves the list at once; back when restarted.
  cluster->node("127.0.0.3").Stop();
  EXPECT_EQ(client.LocalNodes(a), (List{"127.0.0.2"}));
  cluster->node("127.0.0.3").Start();
  EXPECT_EQ(client.LocalNodes(a), (List{"127.0.0.2", "127.0.0.3"}));
  // Listing::kAlways keeps a stopped node listed (a crash gossip has not noticed yet); kNever drops it.
  cluster->node("127.0.0.3").SetListing(Listing::kAlways);
  cluster->node("127.0.0.3").Stop();
  EXPECT_EQ(client.LocalNodes(a), (List{"127.0.0.2", "127.0.0.3"}));
  cluster->node("127.0.0.2").SetListing(Listing::kNever);
  EXPECT_EQ(client.LocalNodes(a), (List{"127.0.0.3"}));
  EXPECT_EQ(cluster->node("127.0.0.2").counters().localnodes_requests, 13);
}

TEST(FakeAlternatorLocalnodes, OldServersIgnoreRackOrDc) {
  auto cluster = MakeCluster({Node("127.0.0.2", "dc1", "r1"), Node("127.0.0.3", "dc1", "r2"),
                              Node("127.0.0.4", "dc2", "r1")},
                             [](FakeClusterOptions& options) { options.localnodes_rack_param = false; });
  Client client;
  const std::string a = cluster->node(0).endpoint();
  using List = std::vector<std::string>;
  // The detection the router uses: a random rack answers the same non-empty list as no rack.
  EXPECT_EQ(client.LocalNodes(a, "?rack=no-such-rack-81723"), (List{"127.0.0.2", "127.0.0.3"}));
  EXPECT_EQ(client.LocalNodes(a, "?dc=dc2&rack=no-such-rack"), (List{"127.0.0.4"})) << "dc still honoured";
  cluster->SetLocalnodesParams(/*honour_dc=*/false, /*honour_rack=*/false);
  EXPECT_EQ(client.LocalNodes(a, "?dc=dc2"), (List{"127.0.0.2", "127.0.0.3"}));
  cluster->SetLocalnodesParams(true, true);
  EXPECT_EQ(client.LocalNodes(a, "?rack=no-such-rack-81723"), List{});
}

TEST(FakeAlternatorLocalnodes, Faults) {
  auto cluster = MakeCluster({Node("127.0.0.2"), Node("127.0.0.3")});
  FakeAlternatorNode& a = cluster->node(0);
  const std::string b = cluster->node(1).endpoint();
  Client client;

  a.SetLocalnodesFault(LocalnodesFault::kInternalError);
  EXPECT_EQ(client.Get(a.endpoint() + "/localnodes").status, 500);
  EXPECT_TRUE(client.LocalNodes(b).has_value()) << "only the faulty node";

  a.SetLocalnodesFault(LocalnodesFault::kGarbage);
  const HttpResult garbage = client.Get(a.endpoint() + "/localnodes");
  EXPECT_EQ(garbage.status, 200);
  EXPECT_TRUE(garbage.Json().is_discarded()) << garbage.body;

  a.SetLocalnodesFault(LocalnodesFault::kCloseConnection);
  Client fresh;  // on a reused connection libcurl would retry once, and this node would count two requests
  EXPECT_EQ(fresh.Get(a.endpoint() + "/localnodes").code, CURLE_GOT_NOTHING);

  a.SetLocalnodesAnswer(200, R"(["not an ip","127.0.0.9","127.0.0.9"])");
  EXPECT_EQ(client.Get(a.endpoint() + "/localnodes").body, R"(["not an ip","127.0.0.9","127.0.0.9"])");

  a.SetLocalnodesFault(LocalnodesFault::kNone);
  EXPECT_EQ(client.LocalNodes(a.endpoint()), (std::vector<std::string>{"127.0.0.2", "127.0.0.3"}));
  EXPECT_EQ(a.counters().localnodes_requests, 5);
}

// ---------------------------------------------------------------------------------------------------------
// Transactions

TEST(FakeAlternatorTransactions, RefusedLikeAlternatorWithoutTouchingDynamoDb) {
  auto cluster = MakeCluster({Node("127.0.0.2")});
  ASSERT_FALSE(cluster->supports_transactions());
  const std::string table = CreateTableDirectly("notx");
  const std::string endpoint = cluster->node(0).endpoint();
  Client client;

  const HttpResult write = client.Dynamo(endpoint, "TransactWriteItems", TransactPutBody(table, "k", "tx"));
  EXPECT_EQ(write.status, 400);
  EXPECT_EQ(write.Json()["__type"], "com.amazonaws.dynamodb.v20120810#UnknownOperationException") << write;
  EXPECT_EQ(write.Json()["message"], "Unsupported operation TransactWriteItems");
  EXPECT_EQ(StoredValue(table, "k"), std::nullopt);

  const json get = {{"TransactItems", json::array({{{"Get", KeyBody(table, "k")}}})}};
  const HttpResult read = client.Dynamo(endpoint, "TransactGetItems", get);
  EXPECT_EQ(read.status, 400);
  EXPECT_EQ(read.ErrorType(), "UnknownOperationException");
  EXPECT_EQ(read.ErrorMessage(), "Unsupported operation TransactGetItems");

  // The detection probe: an invalid TransactGetItems still gets UnknownOperationException.
  EXPECT_EQ(client.Dynamo(endpoint, "TransactGetItems", json::object()).ErrorType(), "UnknownOperationException");
  EXPECT_EQ(client.Dynamo(endpoint, "ExecuteStatement", {{"Statement", "SELECT * FROM t"}}).ErrorType(),
            "UnknownOperationException");

  const FakeNodeCounters counters = cluster->node(0).counters();
  EXPECT_EQ(counters.forwarded, 0);
  EXPECT_EQ(counters.operation("TransactWriteItems"), 1);
  EXPECT_EQ(counters.operation("TransactGetItems"), 2);
}

TEST(FakeAlternatorTransactions, ForwardedWhenTheClusterSupportsThem) {
  auto cluster = MakeCluster({Node("127.0.0.2")},
                             [](FakeClusterOptions& options) { options.supports_transactions = true; });
  const std::string table = CreateTableDirectly("tx");
  const std::string endpoint = cluster->node(0).endpoint();
  Client client;

  const HttpResult write = client.Dynamo(endpoint, "TransactWriteItems", TransactPutBody(table, "k", "tx"));
  EXPECT_EQ(write.status, 200) << write;
  EXPECT_EQ(StoredValue(table, "k"), "tx");
  const json get = {{"TransactItems", json::array({{{"Get", KeyBody(table, "k")}}})}};
  const HttpResult read = client.Dynamo(endpoint, "TransactGetItems", get);
  ASSERT_EQ(read.status, 200) << read;
  EXPECT_EQ(read.Json()["Responses"][0]["Item"]["v"]["S"], "tx");
  EXPECT_EQ(client.Dynamo(endpoint, "TransactGetItems", json::object()).ErrorType(), "ValidationException");
  EXPECT_EQ(cluster->node(0).counters().forwarded, 3);

  cluster->SetSupportsTransactions(false);
  EXPECT_EQ(client.Dynamo(endpoint, "TransactWriteItems", TransactPutBody(table, "k2", "tx")).ErrorType(),
            "UnknownOperationException");
  EXPECT_EQ(StoredValue(table, "k2"), std::nullopt);
}

// ---------------------------------------------------------------------------------------------------------
// DynamoDB faults

TEST(FakeAlternatorFaults, InternalErrorWithoutForwardingLeavesTheTableUnchanged) {
  auto cluster = MakeCluster({Node("127.0.0.2")});
  FakeAlternatorNode& node = cluster->node(0);
  const std::string table = CreateTableDirectly("ise");
  Client client;
  node.InjectFault(Fault::kInternalError);
  EXPECT_EQ(node.pending_faults(), 1);

  const HttpResult failed = client.Dynamo(node.endpoint(), "PutItem", PutBody(table, "k", "v1"));
  EXPECT_EQ(failed.status, 500);
  EXPECT_EQ(failed.ErrorType(), "InternalServerError") << failed;
  EXPECT_EQ(StoredValue(table, "k"), std::nullopt);
  EXPECT_EQ(node.pending_faults(), 0);
  EXPECT_EQ(node.counters().forwarded, 0);

  EXPECT_EQ(client.Dynamo(node.endpoint(), "PutItem", PutBody(table, "k", "v2")).status, 200);
  EXPECT_EQ(StoredValue(table, "k"), "v2");
}

TEST(FakeAlternatorFaults, InternalErrorAfterForwardingAppliesTheWrite) {
  auto cluster = MakeCluster({Node("127.0.0.2")});
  FakeAlternatorNode& node = cluster->node(0);
  const std::string table = CreateTableDirectly("ambiguous");
  Client client;
  node.InjectFault(Fault::kInternalErrorAfterForward);
  const HttpResult failed = client.Dynamo(node.endpoint(), "PutItem", PutBody(table, "k", "applied"));
  EXPECT_EQ(failed.status, 500);
  EXPECT_EQ(failed.ErrorType(), "InternalServerError") << failed;
  EXPECT_EQ(StoredValue(table, "k"), "applied");
  EXPECT_EQ(node.counters().forwarded, 1);
}

TEST(FakeAlternatorFaults, RequestLimitExceededForTheNextN) {
  auto cluster = MakeCluster({Node("127.0.0.2")});
  FakeAlternatorNode& node = cluster->node(0);
  const std::string table = CreateTableDirectly("rle");
  Client client;
  node.InjectFault(Fault::kRequestLimitExceeded, 2);
  for (const std::string key : {"k1", "k2"}) {
    const HttpResult limited = client.Dynamo(node.endpoint(), "PutItem", PutBody(table, key, "v"));
    EXPECT_EQ(limited.status, 400);
    EXPECT_EQ(limited.ErrorType(), "RequestLimitExceeded") << limited;
  }
  EXPECT_EQ(client.Dynamo(node.endpoint(), "PutItem", PutBody(table, "k3", "v")).status, 200);
  EXPECT_EQ(StoredValue(table, "k1"), std::nullopt);
  EXPECT_EQ(StoredValue(table, "k2"), std::nullopt);
  EXPECT_EQ(StoredValue(table, "k3"), "v");
}

TEST(FakeAlternatorFaults, QueuedInOrderPerOperationAndForeverUntilCleared) {
  auto cluster = MakeCluster({Node("127.0.0.2"), Node("127.0.0.3")});
  FakeAlternatorNode& node = cluster->node(0);
  const std::string table = CreateTableDirectly("queue");
  Client client;
  node.InjectFault(Fault::kRequestLimitExceeded, 1);
  node.InjectFault(Fault::kInternalError, 1);
  EXPECT_EQ(client.Dynamo(node.endpoint(), "ListTables", json::object()).ErrorType(), "RequestLimitExceeded");
  EXPECT_EQ(client.Dynamo(node.endpoint(), "ListTables", json::object()).ErrorType(), "InternalServerError");
  EXPECT_EQ(client.Dynamo(node.endpoint(), "ListTables", json::object()).status, 200);

  node.InjectFault(Fault::kInternalError, FakeAlternatorNode::kEvery, "PutItem");
  EXPECT_EQ(node.pending_faults(), 0);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(client.Dynamo(node.endpoint(), "PutItem", PutBody(table, "k", "v")).status, 500);
  }
  EXPECT_EQ(client.Dynamo(node.endpoint(), "GetItem", KeyBody(table, "k")).status, 200) << "other operations";
  EXPECT_EQ(client.Dynamo(cluster->node(1).endpoint(), "PutItem", PutBody(table, "other", "v")).status, 200)
      << "other nodes";
  node.ClearFaults();
  EXPECT_EQ(client.Dynamo(node.endpoint(), "PutItem", PutBody(table, "k", "v")).status, 200);
  EXPECT_EQ(StoredValue(table, "k"), "v");
}

TEST(FakeAlternatorFaults, ClosingTheConnectionBeforeOrAfterForwarding) {
  auto cluster = MakeCluster({Node("127.0.0.2")});
  FakeAlternatorNode& node = cluster->node(0);
  const std::string table = CreateTableDirectly("close");
  Client client;
  node.InjectFault(Fault::kCloseConnection);
  EXPECT_EQ(client.Dynamo(node.endpoint(), "PutItem", PutBody(table, "before", "v")).code, CURLE_GOT_NOTHING);
  EXPECT_EQ(StoredValue(table, "before"), std::nullopt);
  node.InjectFault(Fault::kCloseConnectionAfterForward);
  EXPECT_EQ(client.Dynamo(node.endpoint(), "PutItem", PutBody(table, "after", "v")).code, CURLE_GOT_NOTHING);
  EXPECT_EQ(StoredValue(table, "after"), "v");
  EXPECT_EQ(client.Dynamo(node.endpoint(), "PutItem", PutBody(table, "fine", "v")).status, 200);

  // Worth knowing when testing a libcurl client: when a REUSED connection closes before any answer byte,
  // libcurl resends the request once on a new connection by itself, a POST included, so a single
  // close-after-forward fault applies the write and the caller still sees success.
  node.ResetCounters();
  node.InjectFault(Fault::kCloseConnectionAfterForward);
  const HttpResult retried = client.Dynamo(node.endpoint(), "PutItem", PutBody(table, "twice", "v"));
  EXPECT_EQ(retried.status, 200) << retried;
  EXPECT_EQ(node.counters().operation("PutItem"), 2);
  EXPECT_EQ(node.counters().forwarded, 2);
  EXPECT_EQ(node.counters().connections_accepted, 1);
}

// ---------------------------------------------------------------------------------------------------------
// Slow nodes

TEST(FakeAlternatorSlow, DelaysEveryAnswerOfThatNode) {
  auto cluster = MakeCluster({Node("127.0.0.2"), Node("127.0.0.3")});
  FakeAlternatorNode& slow = cluster->node(0);
  const std::string table = CreateTableDirectly("slow");
  Client client;
  constexpr milliseconds kDelay(700);
  slow.SetDelay(kDelay);
  const HttpResult health = client.Get(slow.endpoint() + "/");
  EXPECT_EQ(health.status, 200);
  EXPECT_GE(health.elapsed, kDelay);
  const HttpResult put = client.Dynamo(slow.endpoint(), "PutItem", PutBody(table, "k", "v"));
  EXPECT_EQ(put.status, 200);
  EXPECT_GE(put.elapsed, kDelay);
  EXPECT_GE(client.Get(slow.endpoint() + "/localnodes").elapsed, kDelay);

  const HttpResult other = client.Get(cluster->node(1).endpoint() + "/");
  EXPECT_LT(other.elapsed, kDelay) << "only the slow node";
  slow.SetDelay(milliseconds(0));
  EXPECT_LT(client.Get(slow.endpoint() + "/").elapsed, kDelay);
}

TEST(FakeAlternatorSlow, DelayBeforeAnswerAppliesTheWriteButAnswersLate) {
  auto cluster = MakeCluster({Node("127.0.0.2")});
  FakeAlternatorNode& node = cluster->node(0);
  const std::string table = CreateTableDirectly("late");
  node.SetDelay(milliseconds(60000), DelayPoint::kBeforeAnswer);
  Client client;
  client.timeout_ms = 500;
  const HttpResult timed_out = client.Dynamo(node.endpoint(), "PutItem", PutBody(table, "k", "v"));
  EXPECT_EQ(timed_out.code, CURLE_OPERATION_TIMEDOUT);
  EXPECT_TRUE(WaitUntil([&] { return StoredValue(table, "k").has_value(); })) << "applied although unanswered";
  const auto start = Clock::now();
  node.Stop();  // interrupts the delayed answer
  EXPECT_LT(Since(start), milliseconds(10000));
}

TEST(FakeAlternatorSlow, DelayBeforeProcessingAppliesNothingWhenTheNodeStops) {
  auto cluster = MakeCluster({Node("127.0.0.2")});
  FakeAlternatorNode& node = cluster->node(0);
  const std::string table = CreateTableDirectly("early");
  node.SetDelay(milliseconds(60000), DelayPoint::kBeforeProcessing);
  HttpResult result;
  std::thread request([&] {
    Client client;
    result = client.Dynamo(node.endpoint(), "PutItem", PutBody(table, "k", "v"));
  });
  ASSERT_TRUE(WaitUntil([&] { return node.counters().connections_accepted == 1; }));
  node.Stop();
  request.join();
  EXPECT_NE(result.code, CURLE_OK) << "dropped without an answer";
  EXPECT_LT(result.elapsed, milliseconds(30000));
  EXPECT_EQ(StoredValue(table, "k"), std::nullopt);
  EXPECT_EQ(node.counters().dynamodb_requests, 0) << "never processed";
}

// ---------------------------------------------------------------------------------------------------------
// Stop, restart, listed but not listening

TEST(FakeAlternatorLifecycle, StopRefusesNewConnectionsAndDropsOpenOnes) {
  auto cluster = MakeCluster({Node("127.0.0.2"), Node("127.0.0.3")});
  FakeAlternatorNode& node = cluster->node(0);
  const int port = cluster->port();

  // An idle keep-alive connection...
  int error = 0;
  const int idle = RawConnect(node.ip(), port, &error);
  ASSERT_GE(idle, 0) << std::strerror(error);
  const std::string request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(send(idle, request.data(), request.size(), MSG_NOSIGNAL), static_cast<ssize_t>(request.size()));
  const std::string first = RawReadUntil(
      idle, [](const std::string& read) { return read.find("healthy: x") != std::string::npos; },
      milliseconds(10000));
  ASSERT_NE(first.find("healthy: x"), std::string::npos) << first;

  // ... and a request in progress on the slow node.
  FakeAlternatorNode& slow = cluster->node(1);
  slow.SetDelay(milliseconds(60000));
  HttpResult in_flight;
  std::thread waiting([&] {
    Client client;
    in_flight = client.Get(slow.endpoint() + "/");
  });
  ASSERT_TRUE(WaitUntil([&] { return slow.counters().health_requests == 1; }));

  const auto start = Clock::now();
  node.Stop();
  slow.Stop();
  EXPECT_LT(Since(start), milliseconds(10000));
  waiting.join();
  EXPECT_NE(in_flight.code, CURLE_OK) << in_flight;
  EXPECT_LT(in_flight.elapsed, milliseconds(30000));

  // The idle connection sees EOF (or a reset) right away.
  pollfd p{idle, POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 10000), 1);
  char byte;
  EXPECT_LE(recv(idle, &byte, 1, 0), 0);
  close(idle);

  EXPECT_FALSE(node.running());
  EXPECT_FALSE(node.listed());
  EXPECT_EQ(RawConnect(node.ip(), port, &error), -1);
  EXPECT_EQ(error, ECONNREFUSED);
  Client client;
  EXPECT_EQ(client.Get(node.endpoint() + "/").code, CURLE_COULDNT_CONNECT);
  node.Stop();  // no-op
}

TEST(FakeAlternatorLifecycle, RestartOnTheSameAddress) {
  auto cluster = MakeCluster({Node("127.0.0.2")});
  FakeAlternatorNode& node = cluster->node(0);
  const std::string table = CreateTableDirectly("restart");
  Client client;  // keeps its connection across the restart
  ASSERT_EQ(client.Dynamo(node.endpoint(), "PutItem", PutBody(table, "k", "v1")).status, 200);
  for (int round = 0; round < 3; ++round) {
    node.Stop();
    EXPECT_EQ(client.Dynamo(node.endpoint(), "GetItem", KeyBody(table, "k")).code, CURLE_COULDNT_CONNECT);
    node.Start();
    node.Start();  // no-op
    EXPECT_TRUE(node.running());
    const HttpResult read = client.Dynamo(node.endpoint(), "GetItem", KeyBody(table, "k"));
    ASSERT_EQ(read.status, 200) << read;
    EXPECT_EQ(read.Json()["Item"]["v"]["S"], "v1");
  }
  EXPECT_EQ(node.counters().connections_accepted, 4);
  EXPECT_EQ(node.endpoint(), "http://127.0.0.2:" + std::to_string(cluster->port()));
}

TEST(FakeAlternatorLifecycle, ListedButNotListening) {
  auto cluster =
      MakeCluster({Node("127.0.0.2"), Node("127.0.0.3", "dc1", "r1", /*listed=*/true, /*live=*/false)});
  FakeAlternatorNode& joining = cluster->node(1);
  EXPECT_FALSE(joining.running());
  EXPECT_TRUE(joining.listed());
  EXPECT_EQ(joining.listing(), Listing::kAlways);
  Client client;
  using List = std::vector<std::string>;
  EXPECT_EQ(client.LocalNodes(cluster->node(0).endpoint()), (List{"127.0.0.2", "127.0.0.3"}));
  int error = 0;
  EXPECT_EQ(RawConnect(joining.ip(), cluster->port(), &error), -1);
  EXPECT_EQ(error, ECONNREFUSED);
  EXPECT_EQ(client.Get(joining.endpoint() + "/").code, CURLE_COULDNT_CONNECT);

  joining.Start();
  EXPECT_EQ(client.Get(joining.endpoint() + "/").status, 200);
  EXPECT_EQ(client.Dynamo(joining.endpoint(), "ListTables", json::object()).status, 200);

  // The same at run time.
  FakeAlternatorNode& added = cluster->AddNode(Node("127.0.0.4", "dc1", "r2", true, false));
  EXPECT_EQ(client.LocalNodes(cluster->node(0).endpoint()), (List{"127.0.0.2", "127.0.0.3", "127.0.0.4"}));
  EXPECT_EQ(client.Get(added.endpoint() + "/").code, CURLE_COULDNT_CONNECT);
  added.Start();
  EXPECT_EQ(client.Get(added.endpoint() + "/").status, 200);
}

TEST(FakeAlternatorLifecycle, AddNodeAtRunTime) {
  auto cluster = MakeCluster({Node("127.0.0.2")});
  FakeAlternatorNode& added = cluster->AddNode(Node("127.0.0.3", "dc1", "r2"));
  EXPECT_EQ(cluster->size(), 2u);
  EXPECT_EQ(&cluster->node(1), &added);
  EXPECT_EQ(&cluster->node("127.0.0.3"), &added);
  EXPECT_EQ(added.port(), cluster->port());
  const std::string port = std::to_string(cluster->port());
  EXPECT_EQ(cluster->endpoints(), (std::vector<std::string>{"http://127.0.0.2:" + port, "http://127.0.0.3:" + port}));
  EXPECT_EQ(cluster->ips(), (std::vector<std::string>{"127.0.0.2", "127.0.0.3"}));
  Client client;
  EXPECT_EQ(client.LocalNodes(cluster->node(0).endpoint()), (std::vector<std::string>{"127.0.0.2", "127.0.0.3"}));
  EXPECT_EQ(client.Dynamo(added.endpoint(), "ListTables", json::object()).status, 200);
  EXPECT_THROW(cluster->AddNode(Node("127.0.0.3")), std::invalid_argument);
  EXPECT_THROW(cluster->node(7), std::out_of_range);
  EXPECT_THROW(cluster->node("127.0.0.99"), std::out_of_range);
}

TEST(FakeAlternatorLifecycle, ClustersPickDistinctFreePortsAndRefuseTakenAddresses) {
  auto one = MakeCluster({Node("127.0.0.2"), Node("127.0.0.3")});
  auto two = MakeCluster({Node("127.0.0.2"), Node("127.0.0.3")});
  EXPECT_NE(one->port(), two->port());
  EXPECT_GT(one->port(), 0);
  // An explicit port: other addresses on it are free, taken ones are an error.
  auto three = MakeCluster({Node("127.0.0.9")}, [&](FakeClusterOptions& options) { options.port = one->port(); });
  EXPECT_EQ(three->port(), one->port());
  Client client;
  EXPECT_EQ(client.Get(three->node(0).endpoint() + "/").status, 200);
  EXPECT_THROW(MakeCluster({Node("127.0.0.3")}, [&](FakeClusterOptions& options) { options.port = one->port(); }),
               std::runtime_error);
  one->node(0).Stop();
  one->node(0).Start();
  EXPECT_EQ(client.Get(one->node(0).endpoint() + "/").status, 200);
}

// ---------------------------------------------------------------------------------------------------------
// Counters and recorded requests

TEST(FakeAlternatorCounters, CountRequestsConnectionsAndKeepRecentHeaders) {
  auto cluster = MakeCluster({Node("127.0.0.2"), Node("127.0.0.3")},
                             [](FakeClusterOptions& options) { options.node_defaults.record_last = 4; });
  FakeAlternatorNode& a = cluster->node(0);
  FakeAlternatorNode& b = cluster->node(1);
  const std::string table = CreateTableDirectly("counters");
  Client first;
  Client second;
  EXPECT_EQ(first.Dynamo(a.endpoint(), "ListTables", json::object()).status, 200);
  EXPECT_EQ(first.Dynamo(a.endpoint(), "ListTables", json::object()).status, 200);
  EXPECT_EQ(first.Dynamo(a.endpoint(), "DescribeTable", {{"TableName", table}}).status, 200);
  EXPECT_EQ(second.Dynamo(a.endpoint(), "GetItem", KeyBody(table, "k")).status, 200);
  EXPECT_TRUE(first.LocalNodes(a.endpoint()).has_value());
  EXPECT_TRUE(first.LocalNodes(a.endpoint()).has_value());
  EXPECT_EQ(second.Dynamo(b.endpoint(), "GetItem", KeyBody(table, "k")).status, 200);

  FakeNodeCounters counters = a.counters();
  EXPECT_EQ(counters.operation("ListTables"), 2);
  EXPECT_EQ(counters.operation("DescribeTable"), 1);
  EXPECT_EQ(counters.operation("GetItem"), 1);
  EXPECT_EQ(counters.operation("PutItem"), 0);
  EXPECT_EQ(counters.dynamodb_requests, 4);
  EXPECT_EQ(counters.forwarded, 4);
  EXPECT_EQ(counters.localnodes_requests, 2);
  EXPECT_EQ(counters.connections_accepted, 2) << "one per client: keep-alive";

  const FakeNodeCounters total = cluster->TotalCounters();
  EXPECT_EQ(total.operation("GetItem"), 2);
  EXPECT_EQ(total.dynamodb_requests, 5);
  EXPECT_EQ(total.connections_accepted, 3);
  const std::vector<FakeNodeCounters> per_node = cluster->CountersPerNode();
  ASSERT_EQ(per_node.size(), 2u);
  EXPECT_EQ(per_node[1].operation("GetItem"), 1);

  // The last 4 requests of node a: DescribeTable, GetItem, then the two /localnodes.
  const std::vector<FakeRequestRecord> recent = a.RecentRequests();
  ASSERT_EQ(recent.size(), 4u);
  EXPECT_EQ(recent[0].operation, "DescribeTable");
  EXPECT_EQ(recent[0].connection, 1u);
  EXPECT_EQ(recent[1].operation, "GetItem");
  EXPECT_EQ(recent[1].connection, 2u);
  EXPECT_EQ(recent[1].method, "POST");
  EXPECT_EQ(recent[1].target, "/");
  EXPECT_EQ(recent[1].header("x-amz-target"), "DynamoDB_20120810.GetItem");
  EXPECT_EQ(recent[1].header("AUTHORIZATION")->rfind("AWS4-HMAC-SHA256 Credential=alternator/", 0), 0u);
  EXPECT_EQ(json::parse(recent[1].body), KeyBody(table, "k"));
  EXPECT_EQ(recent[1].wire_body_bytes, recent[1].body.size());
  const std::vector<std::string> names = recent[1].HeaderNames();
  for (const char* expected : {"authorization", "content-length", "content-type", "host", "x-amz-date",
                               "x-amz-target"}) {
    EXPECT_TRUE(std::find(names.begin(), names.end(), expected) != names.end()) << expected;
  }
  EXPECT_EQ(recent[3].method, "GET");
  EXPECT_EQ(recent[3].target, "/localnodes");

  cluster->ResetCounters();
  counters = a.counters();
  EXPECT_EQ(counters.dynamodb_requests, 0);
  EXPECT_EQ(counters.connections_accepted, 0);
  EXPECT_TRUE(counters.operations.empty());
  EXPECT_TRUE(a.RecentRequests().empty());
  EXPECT_EQ(first.Dynamo(a.endpoint(), "ListTables", json::object()).status, 200);
  EXPECT_EQ(a.counters().dynamodb_requests, 1);
  EXPECT_EQ(a.counters().connections_accepted, 0) << "the connection was open before the reset";
}

TEST(FakeAlternatorCounters, ConcurrentRequestsWhileFaultsChange) {
  auto cluster = ThreeNodes();
  const std::string table = CreateTableDirectly("concurrent");
  const std::vector<std::string> endpoints = cluster->endpoints();
  constexpr int kThreads = 6;
  constexpr int kPerThread = 30;
  std::atomic<int> ok{0};
  std::atomic<int> failed{0};
  std::atomic<int> other{0};
  std::atomic<int> finished{0};
  cluster->node(1).InjectFault(Fault::kInternalError, 10);  // at least 10 failures: node 1 gets 60 puts
  FakeAlternatorNode& flaky = cluster->node(0);  // toggled below
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Client client;
      for (int i = 0; i < kPerThread; ++i) {
        const std::string key = "t" + std::to_string(t) + "_" + std::to_string(i);
        const HttpResult put = client.Dynamo(endpoints[(t + i) % 3], "PutItem", PutBody(table, key, "v"));
        if (put.code == CURLE_OK && put.status == 200) {
          ++ok;
        } else if (put.code == CURLE_OK && put.status == 500) {
          ++failed;
        } else {
          ++other;
        }
      }
      ++finished;
    });
  }
  bool faulty = false;
  while (finished < kThreads) {
    faulty = !faulty;
    if (faulty) {
      flaky.InjectFault(Fault::kInternalError, FakeAlternatorNode::kEvery);
      flaky.SetDelay(milliseconds(2));
    } else {
      flaky.ClearFaults();
      flaky.SetDelay(milliseconds(0));
    }
    (void)flaky.counters();
    (void)flaky.RecentRequests();
    std::this_thread::sleep_for(milliseconds(3));  // pacing of the toggling, not a wait for an event
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(other, 0);
  EXPECT_GE(failed, 10);
  EXPECT_EQ(cluster->node(1).pending_faults(), 0);
  EXPECT_EQ(ok + failed, kThreads * kPerThread);
  EXPECT_EQ(cluster->TotalCounters().operation("PutItem"), kThreads * kPerThread);
  EXPECT_EQ(cluster->TotalCounters().forwarded, ok.load());
  const DynamoDbLocal::Answer count = Ddb().Call("Scan", {{"TableName", table}, {"Select", "COUNT"}});
  ASSERT_EQ(count.status, 200);
  EXPECT_EQ(count.body["Count"], ok.load());
  EXPECT_EQ(cluster->TotalCounters().connections_accepted, 3 * kThreads);
}

// ---------------------------------------------------------------------------------------------------------
// Compression

TEST(FakeAlternatorCompression, GzipAndDeflateRequestBodiesAreDecompressed) {
  auto cluster = MakeCluster({Node("127.0.0.2"), Node("127.0.0.3")});
  FakeAlternatorNode& a = cluster->node(0);
  const std::string table = CreateTableDirectly("gzip");
  const std::string value(8000, 'z');
  Client client;
  for (const bool deflate : {false, true}) {
    const std::string key = deflate ? "deflate" : "gzip";
    const std::string plain = PutBody(table, key, value).dump();
    const std::string compressed = fake_alternator::Compress(plain, deflate);
    ASSERT_LT(compressed.size(), plain.size() / 4);
    Headers headers = DynamoHeaders("PutItem");
    headers.emplace_back("Content-Encoding", key);
    const HttpResult put = client.Post(a.endpoint() + "/", compressed, headers);
    ASSERT_EQ(put.status, 200) << put;
    const HttpResult read = client.Dynamo(cluster->node(1).endpoint(), "GetItem", KeyBody(table, key));
    EXPECT_EQ(read.Json()["Item"]["v"]["S"], value);
    const FakeRequestRecord record = a.RecentRequests().back();
    EXPECT_EQ(record.header("content-encoding"), key);
    EXPECT_EQ(record.wire_body_bytes, compressed.size());
    EXPECT_EQ(record.body, plain);
  }

  Headers headers = DynamoHeaders("PutItem");
  headers.emplace_back("Content-Encoding", "gzip");
  const HttpResult corrupt = client.Post(a.endpoint() + "/", "certainly not gzip", headers);
  EXPECT_EQ(corrupt.status, 400);
  EXPECT_EQ(corrupt.ErrorType(), "ValidationException") << corrupt;
  EXPECT_EQ(a.counters().forwarded, 2);

  // Servers before ScyllaDB 2026.1 fail compressed requests with 500.
  a.SetAcceptCompressedRequests(false);
  const HttpResult old = client.Post(
      a.endpoint() + "/", fake_alternator::Compress(PutBody(table, "old", value).dump()), headers);
  EXPECT_EQ(old.status, 500);
  EXPECT_EQ(StoredValue(table, "old"), std::nullopt);
  EXPECT_EQ(a.counters().forwarded, 2);
}

TEST(FakeAlternatorCompression, ResponsesCompressedOnlyWhenEnabledAndAccepted) {
  auto cluster = MakeCluster({Node("127.0.0.2")});
  FakeAlternatorNode& node = cluster->node(0);
  const std::string table = CreateTableDirectly("gzipanswer");
  Client client;
  ASSERT_EQ(client.Dynamo(node.endpoint(), "PutItem", PutBody(table, "k", std::string(3000, 'a'))).status, 200);
  const json expected = client.Dynamo(node.endpoint(), "GetItem", KeyBody(table, "k")).Json();
  ASSERT_TRUE(expected.contains("Item"));

  const Headers gzip = {{"Accept-Encoding", "gzip, deflate"}};
  EXPECT_FALSE(client.Dynamo(node.endpoint(), "GetItem", KeyBody(table, "k"), gzip)
                   .header("content-encoding")
                   .has_value())
      << "off by default";

  node.SetCompressResponses(true);
  const HttpResult compressed = client.Dynamo(node.endpoint(), "GetItem", KeyBody(table, "k"), gzip);
  ASSERT_EQ(compressed.status, 200);
  EXPECT_EQ(compressed.header("content-encoding"), "gzip");
  EXPECT_LT(compressed.body.size(), 1000u);
  const std::optional<std::string> decoded = fake_alternator::Decompress(compressed.body, "gzip");
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(json::parse(*decoded), expected);

  const HttpResult deflated =
      client.Dynamo(node.endpoint(), "GetItem", KeyBody(table, "k"), {{"Accept-Encoding", "deflate"}});
  EXPECT_EQ(deflated.header("content-encoding"), "deflate");
  EXPECT_EQ(json::parse(fake_alternator::Decompress(deflated.body, "deflate").value_or("null")), expected);

  const HttpResult plain = client.Dynamo(node.endpoint(), "GetItem", KeyBody(table, "k"));
  EXPECT_FALSE(plain.header("content-encoding").has_value());
  EXPECT_EQ(plain.Json(), expected);
  const HttpResult refused =
      client.Dynamo(node.endpoint(), "GetItem", KeyBody(table, "k"), {{"Accept-Encoding", "gzip;q=0"}});
  EXPECT_FALSE(refused.header("content-encoding").has_value());
  EXPECT_EQ(refused.Json(), expected);
}

// ---------------------------------------------------------------------------------------------------------
// The fake-alternator tool

class ChildProcess {
 public:
  explicit ChildProcess(const std::vector<std::string>& args) {
    int in[2];
    int out[2];
    EXPECT_EQ(pipe2(in, O_CLOEXEC), 0);
    EXPECT_EQ(pipe2(out, O_CLOEXEC), 0);
    const pid_t parent = getpid();
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(1);
      dup2(in[0], 0);
      dup2(out[1], 1);
      std::vector<char*> argv;
      for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    stdin_ = in[1];
    stdout_ = out[0];
  }
  ~ChildProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    close(stdin_);
    close(stdout_);
  }

  // The next line of its stdout ("" on EOF or after the deadline).
  std::string ReadLine(milliseconds deadline = milliseconds(30000)) {
    const auto give_up = Clock::now() + deadline;
    size_t end;
    while ((end = buffer_.find('\n')) == std::string::npos) {
      const auto left = std::chrono::duration_cast<milliseconds>(give_up - Clock::now()).count();
      pollfd p{stdout_, POLLIN, 0};
      if (left <= 0 || poll(&p, 1, static_cast<int>(left)) <= 0) return "";
      char chunk[4096];
      const ssize_t n = read(stdout_, chunk, sizeof(chunk));
      if (n <= 0) return "";
      buffer_.append(chunk, static_cast<size_t>(n));
    }
    std::string line = buffer_.substr(0, end);
    buffer_.erase(0, end + 1);
    return line;
  }

  json Command(const std::string& command) {
    const std::string line = command + "\n";
    EXPECT_EQ(write(stdin_, line.data(), line.size()), static_cast<ssize_t>(line.size()));
    return json::parse(ReadLine(), nullptr, false);
  }

  // Sends `signal` and awaits the exit; the exit status, or -1 when it did not exit in time.
  int Terminate(int signal, milliseconds deadline = milliseconds(10000)) {
    kill(pid_, signal);
    return WaitExit(deadline);
  }
  int WaitExit(milliseconds deadline = milliseconds(10000)) {
    int status = 0;
    const bool exited = WaitUntil([&] { return waitpid(pid_, &status, WNOHANG) == pid_; }, deadline);
    if (!exited) return -1;
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  pid_t pid_ = -1;
  int stdin_ = -1;
  int stdout_ = -1;
  std::string buffer_;
};

TEST(FakeAlternatorTool, RunsAClusterFromFlagsUntilSigterm) {
  ChildProcess tool({FAKE_ALTERNATOR_BINARY, "--dynamodb", Ddb().endpoint(), "--node", "127.0.0.2:dc1:r1",
                     "--node", "127.0.0.3:dc1:r2", "--node", "127.0.0.4:dc2:r1:down", "--port", "0",
                     "--transactions=false", "--control"});
  const json ready = json::parse(tool.ReadLine(), nullptr, false);
  ASSERT_TRUE(ready.is_object()) << "no ready line";
  EXPECT_EQ(ready["ready"], true);
  EXPECT_GT(ready["pid"].get<int>(), 0);
  const int port = ready["port"];
  ASSERT_GT(port, 0);
  const std::string suffix = ":" + std::to_string(port);
  EXPECT_EQ(ready["endpoints"], json({"http://127.0.0.2" + suffix, "http://127.0.0.3" + suffix,
                                      "http://127.0.0.4" + suffix}));
  EXPECT_EQ(ready["nodes"][2]["dc"], "dc2");
  EXPECT_EQ(ready["nodes"][2]["listed"], true);
  EXPECT_EQ(ready["nodes"][2]["live"], false);
  EXPECT_EQ(ready["dynamodb"], Ddb().endpoint());

  const std::string a = "http://127.0.0.2" + suffix;
  const std::string b = "http://127.0.0.3" + suffix;
  Client client;
  EXPECT_EQ(client.Get(a + "/").body, "healthy: 127.0.0.2" + suffix);
  EXPECT_EQ(client.LocalNodes(a), (std::vector<std::string>{"127.0.0.2", "127.0.0.3"}));
  EXPECT_EQ(client.LocalNodes(a, "?dc=dc2"), (std::vector<std::string>{"127.0.0.4"}));
  EXPECT_EQ(client.Dynamo(b, "ListTables", json::object()).status, 200);
  EXPECT_EQ(client.Dynamo(b, "TransactWriteItems", json::object()).ErrorType(), "UnknownOperationException");

  EXPECT_EQ(tool.Command("stop 1")["ok"], true);
  EXPECT_EQ(client.Get(b + "/").code, CURLE_COULDNT_CONNECT);
  EXPECT_EQ(tool.Command("start 127.0.0.3")["ok"], true);
  EXPECT_EQ(client.Get(b + "/").status, 200);
  EXPECT_EQ(tool.Command("fault 0 internal-error 1 ListTables")["ok"], true);
  EXPECT_EQ(client.Dynamo(a, "ListTables", json::object()).status, 500);
  EXPECT_EQ(client.Dynamo(a, "ListTables", json::object()).status, 200);
  const json counters = tool.Command("counters 0");
  EXPECT_EQ(counters["counters"]["operations"]["ListTables"], 2) << counters.dump();
  EXPECT_EQ(counters["counters"]["forwarded"], 1) << counters.dump();
  EXPECT_EQ(tool.Command("transactions true")["ok"], true);
  EXPECT_EQ(client.Dynamo(b, "TransactGetItems", json::object()).ErrorType(), "ValidationException");
  const json bad = tool.Command("explode 0");
  EXPECT_EQ(bad["ok"], false);
  EXPECT_TRUE(bad.contains("error"));
  EXPECT_EQ(tool.Command("stop 9")["ok"], false);

  EXPECT_EQ(tool.Terminate(SIGTERM), 0);
  EXPECT_EQ(client.Get(a + "/").code, CURLE_COULDNT_CONNECT);
}

TEST(FakeAlternatorTool, DiesWithItsParentWhenAsked) {
  int out[2];
  ASSERT_EQ(pipe2(out, O_CLOEXEC), 0);
  const std::string dynamodb = Ddb().endpoint();
  const pid_t parent = fork();  // a parent for the tool, killed below
  ASSERT_GE(parent, 0);
  if (parent == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (fork() == 0) {
      dup2(out[1], 1);
      execl(FAKE_ALTERNATOR_BINARY, FAKE_ALTERNATOR_BINARY, "--dynamodb", dynamodb.c_str(), "--node", "127.0.0.2",
            "--die-with-parent", static_cast<char*>(nullptr));
      _exit(127);
    }
    pause();
    _exit(0);
  }
  close(out[1]);
  std::string line;
  char c;
  while (read(out[0], &c, 1) == 1 && c != '\n') line.push_back(c);
  const json ready = json::parse(line, nullptr, false);
  ASSERT_TRUE(ready.is_object()) << line;
  EXPECT_GT(ready["pid"].get<int>(), 0);
  const std::string endpoint = ready["endpoints"][0];
  Client client;
  EXPECT_EQ(client.Get(endpoint + "/").status, 200);

  kill(parent, SIGKILL);
  waitpid(parent, nullptr, 0);
  // The tool exits: its stdout closes and its node refuses connections.
  pollfd p{out[0], POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 10000), 1);
  EXPECT_EQ(read(out[0], &c, 1), 0);
  close(out[0]);
  EXPECT_TRUE(WaitUntil([&] { return Client().Get(endpoint + "/").code == CURLE_COULDNT_CONNECT; }));
}

TEST(FakeAlternatorTool, RejectsBadArguments) {
  ChildProcess no_dynamodb({FAKE_ALTERNATOR_BINARY, "--node", "127.0.0.2"});
  EXPECT_EQ(no_dynamodb.WaitExit(), 2);
  ChildProcess bad_flag({FAKE_ALTERNATOR_BINARY, "--dynamodb", Ddb().endpoint(), "--node", "127.0.0.2:d:r:bogus"});
  EXPECT_EQ(bad_flag.WaitExit(), 2);
  ChildProcess not_ipv4({FAKE_ALTERNATOR_BINARY, "--dynamodb", Ddb().endpoint(), "--node", "localhost"});
  EXPECT_EQ(not_ipv4.WaitExit(), 1);
}

}  // namespace
}  // namespace altgw::testing
