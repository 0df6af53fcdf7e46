#include "alternator/curl_transport.h"
#include "alternator/gateway_transport.h"
#include "alternator/socket_transport.h"

#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "alternator/compression.h"
#include "alternator/fake_http_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace altgw::alternator {
namespace {

using ::altgw::testing::FakeHttpServer;
using ::altgw::testing::RecordedRequest;
using ::altgw::testing::RefusingPort;
using ::altgw::testing::Reply;
using ::testing::ElementsAre;
using ::testing::Optional;
using Outcome = HttpResponse::Outcome;

// Set on the test thread while it is inside Start(): a callback that sees it set ran inside Start().
thread_local bool inside_start = false;

// Where one exchange's `done` lands: how often it ran, on which thread, and with what.
class Slot {
 public:
  HttpCallback Callback() {
    return [this](HttpResponse response) {
      absl::MutexLock lock(&mu_);
      ++calls_;
      ran_inside_start_ = ran_inside_start_ || inside_start;
      thread_ = std::this_thread::get_id();
      response_ = std::move(response);
    };
  }

  // Waits for the first call and returns its response; on timeout the test fails and the response returned
  // carries the error "<done never ran>".
  HttpResponse Await(absl::Duration timeout = absl::Seconds(5)) {
    auto called = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return calls_ > 0; };
    if (!mu_.LockWhenWithTimeout(absl::Condition(&called), timeout)) {
      mu_.Unlock();
      ADD_FAILURE() << "done did not run within " << timeout;
      HttpResponse none;
      none.error = "<done never ran>";
      return none;
    }
    HttpResponse response = response_;
    mu_.Unlock();
    return response;
  }

  int calls() {
    absl::MutexLock lock(&mu_);
    return calls_;
  }
  bool ran_inside_start() {
    absl::MutexLock lock(&mu_);
    return ran_inside_start_;
  }
  std::thread::id thread() {
    absl::MutexLock lock(&mu_);
    return thread_;
  }

 private:
  absl::Mutex mu_;
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
  bool ran_inside_start_ ABSL_GUARDED_BY(mu_) = false;
  std::thread::id thread_ ABSL_GUARDED_BY(mu_);
  HttpResponse response_ ABSL_GUARDED_BY(mu_);
};

std::shared_ptr<HttpExchange> StartOn(HttpTransport& transport, HttpRequest request, Slot& slot) {
  inside_start = true;
  auto exchange = transport.Start(std::move(request), slot.Callback());
  inside_start = false;
  return exchange;
}

HttpRequest Post(const std::string& url, std::string body, std::vector<std::string> headers = {}) {
  HttpRequest request;
  request.url = url;
  request.has_body = true;
  request.body = std::move(body);
  request.headers = std::move(headers);
  request.timeout = absl::Seconds(5);
  return request;
}

HttpRequest Get(const std::string& url) {
  HttpRequest request;
  request.url = url;
  request.timeout = absl::Seconds(5);
  return request;
}

// The options both transports share; each test says what it changes.
struct TransportOptions {
  int event_loops = 1;
  absl::Duration max_idle_connection_age = absl::Seconds(60);
  size_t max_response_bytes = 64u << 20;
};

TransportOptions TwoLoops() {
  TransportOptions options;
  options.event_loops = 2;
  return options;
}

std::unique_ptr<HttpTransport> MakeTransport(CurlTransport*, const TransportOptions& options) {
  CurlTransportOptions curl;
  curl.event_loops = options.event_loops;
  curl.max_idle_connection_age = options.max_idle_connection_age;
  curl.max_response_bytes = options.max_response_bytes;
  return std::make_unique<CurlTransport>(curl);
}

std::unique_ptr<HttpTransport> MakeTransport(SocketTransport*, const TransportOptions& options) {
  SocketTransportOptions socket;
  socket.event_loops = options.event_loops;
  socket.max_idle_connection_age = options.max_idle_connection_age;
  socket.max_response_bytes = options.max_response_bytes;
  return std::make_unique<SocketTransport>(socket);
}

// Every test runs against both implementations of the contract in http_transport.h: libcurl's, and the
// built-in client the gateway uses for plain HTTP to numeric addresses.
template <typename Transport>
class HttpTransportTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.ok()) << server_.error(); }

  std::string Url(absl::string_view path = "/") const { return absl::StrCat(server_.url(), path); }
  std::unique_ptr<HttpTransport> Make(const TransportOptions& options = {}) {
    return MakeTransport(static_cast<Transport*>(nullptr), options);
  }

  FakeHttpServer server_;
};

using Implementations = ::testing::Types<CurlTransport, SocketTransport>;
class ImplementationNames {
 public:
  template <typename T>
  static std::string GetName(int) {
    return std::is_same_v<T, CurlTransport> ? "Curl" : "Socket";
  }
};
TYPED_TEST_SUITE(HttpTransportTest, Implementations, ImplementationNames);

TYPED_TEST(HttpTransportTest, PostRoundTrip) {
  auto owned = this->Make();
  HttpTransport& transport = *owned;
  this->server_.Enqueue(Reply::Ok(R"({"Item":{}})"));
  Slot slot;
  StartOn(transport, Post(this->Url(), R"({"TableName":"t"})", {"Content-Type: application/x-amz-json-1.0"}), slot);
  const HttpResponse response = slot.Await();
  EXPECT_EQ(response.outcome, Outcome::kResponse) << response.error;
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, R"({"Item":{}})");
  EXPECT_TRUE(response.request_sent);
  EXPECT_GT(response.elapsed, absl::ZeroDuration());
  EXPECT_EQ(slot.calls(), 1);
  EXPECT_FALSE(slot.ran_inside_start());
  EXPECT_NE(slot.thread(), std::this_thread::get_id());

  const std::vector<RecordedRequest> requests = this->server_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/");
  EXPECT_EQ(requests[0].body, R"({"TableName":"t"})");
  EXPECT_THAT(requests[0].Header("Content-Length"), Optional(std::string("17")));
}

TYPED_TEST(HttpTransportTest, GetRoundTripSendsNoBody) {
  auto owned = this->Make();
  HttpTransport& transport = *owned;
  this->server_.Enqueue(Reply::Ok(R"(["127.0.0.1"])"));
  Slot slot;
  StartOn(transport, Get(this->Url("/localnodes?dc=dc1")), slot);
  const HttpResponse response = slot.Await();
  EXPECT_EQ(response.outcome, Outcome::kResponse) << response.error;
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, R"(["127.0.0.1"])");

  const std::vector<RecordedRequest> requests = this->server_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].target, "/localnodes?dc=dc1");
  EXPECT_EQ(requests[0].body, "");
  EXPECT_THAT(requests[0].HeaderNames(), ElementsAre("host"));
}

TYPED_TEST(HttpTransportTest, NonSuccessStatusIsAResponse) {
  auto owned = this->Make();
  HttpTransport& transport = *owned;
  this->server_.Enqueue(Reply::Status(500, R"({"__type":"x#InternalServerError"})"));
  Slot slot;
  StartOn(transport, Post(this->Url(), "{}"), slot);
  const HttpResponse response = slot.Await();
  EXPECT_EQ(response.outcome, Outcome::kResponse);
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(response.body, R"({"__type":"x#InternalServerError"})");
}

TYPED_TEST(HttpTransportTest, SendsExactlyTheGivenHeadersPlusHostAndContentLength) {
  auto owned = this->Make();
  HttpTransport& transport = *owned;
  Slot slot;
  StartOn(transport,
          Post(this->Url(), "{}",
               {"X-Amz-Target: DynamoDB_20120810.GetItem", "Content-Type: application/x-amz-json-1.0",
                "X-Amz-Date: 20240101T000000Z"}),
          slot);
  ASSERT_EQ(slot.Await().outcome, Outcome::kResponse);
  const std::vector<RecordedRequest> requests = this->server_.requests();
  ASSERT_EQ(requests.size(), 1u);
  const RecordedRequest& request = requests[0];
  EXPECT_THAT(request.HeaderNames(),
              ElementsAre("content-length", "content-type", "host", "x-amz-date", "x-amz-target"));
  EXPECT_THAT(request.Header("Host"), Optional(absl::StrCat("127.0.0.1:", this->server_.port())));
  EXPECT_THAT(request.Header("Content-Type"), Optional(std::string("application/x-amz-json-1.0")));
  EXPECT_THAT(request.Header("X-Amz-Target"), Optional(std::string("DynamoDB_20120810.GetItem")));
  EXPECT_THAT(request.Header("X-Amz-Date"), Optional(std::string("20240101T000000Z")));
}

TYPED_TEST(HttpTransportTest, PostWithoutHeadersGetsNoDefaultContentType) {
  // libcurl adds "Content-Type: application/x-www-form-urlencoded" to a POST that names none.
  auto owned = this->Make();
  HttpTransport& transport = *owned;
  Slot slot;
  StartOn(transport, Post(this->Url(), "{}"), slot);
  ASSERT_EQ(slot.Await().outcome, Outcome::kResponse);
  const std::vector<RecordedRequest> requests = this->server_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_THAT(requests[0].HeaderNames(), ElementsAre("content-length", "host"));
}

TYPED_TEST(HttpTransportTest, AcceptEncodingOnlyWhenAskedFor) {
  auto owned = this->Make();
  HttpTransport& transport = *owned;
  Slot plain, compressed;
  StartOn(transport, Post(this->Url(), "{}", {"Content-Type: application/x-amz-json-1.0"}), plain);
  ASSERT_EQ(plain.Await().outcome, Outcome::kResponse);
  HttpRequest request = Post(this->Url(), "{}", {"Content-Type: application/x-amz-json-1.0"});
  request.accept_compressed = true;
  StartOn(transport, std::move(request), compressed);
  ASSERT_EQ(compressed.Await().outcome, Outcome::kResponse);

  const std::vector<RecordedRequest> requests = this->server_.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_THAT(requests[0].HeaderNames(), ElementsAre("content-length", "content-type", "host"));
  EXPECT_THAT(requests[1].HeaderNames(), ElementsAre("accept-encoding", "content-length", "content-type", "host"));
  EXPECT_THAT(requests[1].Header("Accept-Encoding"), Optional(std::string("gzip, deflate")));
}

TYPED_TEST(HttpTransportTest, OneMegabyteBodyWithoutExpectContinue) {
  auto owned = this->Make();
  HttpTransport& transport = *owned;
  std::string body(1 << 20, '\0');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>('a' + (i * 7919) % 26);
  this->server_.SetHandler([](const RecordedRequest& request) { return Reply::Ok(std::to_string(request.body.size())); });
  Slot slot;
  StartOn(transport, Post(this->Url(), body, {"Content-Type: application/x-amz-json-1.0"}), slot);
  const HttpResponse response = slot.Await();
  ASSERT_EQ(response.outcome, Outcome::kResponse) << response.error;
  EXPECT_EQ(response.body, std::to_string(1 << 20));
  const std::vector<RecordedRequest> requests = this->server_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_TRUE(requests[0].body == body);
  EXPECT_EQ(requests[0].Header("Expect"), std::nullopt);
  EXPECT_THAT(requests[0].HeaderNames(), ElementsAre("content-length", "content-type", "host"));
}

TYPED_TEST(HttpTransportTest, ChunkedAnswerWithoutContentLength) {
  auto owned = this->Make();
  HttpTransport& transport = *owned;
  std::string body;
  while (body.size() < 300 * 1024) absl::StrAppend(&body, R"({"pk":{"S":"key)", body.size(), R"("}},)");
  this->server_.Enqueue(Reply::Chunked(200, body, 7001));
  Slot slot;
  StartOn(transport, Post(this->Url(), "{}"), slot);
  const HttpResponse response = slot.Await();
  ASSERT_EQ(response.outcome, Outcome::kResponse) << response.error;
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body.size(), body.size());
  EXPECT_TRUE(response.body == body);
}

TYPED_TEST(HttpTransportTest, GzipAnswerIsDecodedWhenAccepted) {
  auto owned = this->Make();
  HttpTransport& transport = *owned;
  std::string body;
  for (int i = 0; i < 500; ++i) absl::StrAppend(&body, R"({"attr":{"S":"value number )", i, R"("}})");
  std::optional<std::string> gzipped = GzipIfSmaller(body, 1);
  ASSERT_TRUE(gzipped.has_value());
  this->server_.Enqueue(Reply::Ok(*gzipped).WithHeader("Content-Encoding", "gzip"));
  HttpRequest request = Post(this->Url(), "{}");
  request.accept_compressed = true;
  Slot slot;
  StartOn(transport, std::move(request), slot);
  const HttpResponse response = slot.Await();
  ASSERT_EQ(response.outcome, Outcome::kResponse) << response.error;
  EXPECT_TRUE(response.body == body) << "got " << response.body.size() << " bytes";
}

TYPED_TEST(HttpTransportTest, SequentialRequestsReuseOneConnection) {
  auto owned = this->Make();
  HttpTransport& transport = *owned;
  for (int i = 0; i < 100; ++i) {
    Slot slot;
    StartOn(transport, Post(this->Url(), absl::StrCat("{\"n\":", i, "}")), slot);
    const HttpResponse response = slot.Await();
    ASSERT_EQ(response.outcome, Outcome::kResponse) << i << ": " << response.error;
  }
  EXPECT_EQ(this->server_.request_count(), 100u);
  EXPECT_EQ(this->server_.connections_accepted(), 1);
  for (const RecordedRequest& request : this->server_.requests()) EXPECT_EQ(request.connection, 1);
}

TYPED_TEST(HttpTransportTest, IdleConnectionsAreClosedWithinSeventyFiveSeconds) {
  // Alternator never closes idle connections: the gateway must, and by default well before the usual
  // 75-second idle limits of load balancers and NAT tables on the path.
  for (absl::Duration age : {CurlTransportOptions().max_idle_connection_age,
                             SocketTransportOptions().max_idle_connection_age}) {
    EXPECT_GT(age, absl::ZeroDuration());
    EXPECT_LE(age, absl::Seconds(75));
  }

  TransportOptions options;
  options.max_idle_connection_age = absl::Seconds(1);
  auto owned = this->Make(options);
  HttpTransport& transport = *owned;
  for (int i = 0; i < 3; ++i) {  // back to back: one connection
    Slot slot;
    StartOn(transport, Post(this->Url(), "{}"), slot);
    ASSERT_EQ(slot.Await().outcome, Outcome::kResponse);
  }
  EXPECT_EQ(this->server_.connections_accepted(), 1);
  absl::SleepFor(absl::Milliseconds(2200));
  // Idle longer than the limit: not reused; the client closes it and dials a new one.
  Slot slot;
  StartOn(transport, Post(this->Url(), "{}"), slot);
  ASSERT_EQ(slot.Await().outcome, Outcome::kResponse);
  EXPECT_EQ(this->server_.connections_accepted(), 2);
  EXPECT_EQ(this->server_.requests().back().connection, 2);
  const absl::Time give_up = absl::Now() + absl::Seconds(2);
  while (this->server_.connections_closed_by_client() < 1 && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(5));
  EXPECT_EQ(this->server_.connections_closed_by_client(), 1);
}

TYPED_TEST(HttpTransportTest, ManyConcurrentRequestsFromSeveralThreadsEachCompleteOnce) {
  auto transport = this->Make(TwoLoops());
  this->server_.SetHandler([](const RecordedRequest& request) { return Reply::Ok(request.body); });
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50;
  std::vector<std::unique_ptr<Slot>> slots(kThreads * kPerThread);
  for (auto& slot : slots) slot = std::make_unique<Slot>();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const int n = t * kPerThread + i;
        StartOn(*transport, Post(this->Url(), absl::StrCat("request ", n)), *slots[n]);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (size_t n = 0; n < slots.size(); ++n) {
    const HttpResponse response = slots[n]->Await();
    ASSERT_EQ(response.outcome, Outcome::kResponse) << n << ": " << response.error;
    EXPECT_EQ(response.body, absl::StrCat("request ", n));
  }
  transport.reset();  // joins the loops: a late second call would have happened by now
  for (auto& slot : slots) EXPECT_EQ(slot->calls(), 1);
  EXPECT_EQ(this->server_.request_count(), slots.size());
}

TYPED_TEST(HttpTransportTest, ConnectionRefusedIsNotSent) {
  RefusingPort refusing;
  ASSERT_TRUE(refusing.ok());
  auto owned = this->Make();
  HttpTransport& transport = *owned;
  Slot slot;
  StartOn(transport, Post(refusing.url() + "/", "{}"), slot);
  const HttpResponse response = slot.Await();
  EXPECT_EQ(response.outcome, Outcome::kNotSent) << response.error;
  EXPECT_FALSE(response.request_sent);
  EXPECT_FALSE(response.error.empty());
  EXPECT_EQ(slot.calls(), 1);
  EXPECT_FALSE(slot.ran_inside_start());
  EXPECT_NE(slot.thread(), std::this_thread::get_id());
}

TYPED_TEST(HttpTransportTest, TimeoutWhileTheServerDelaysIsTimedOutAfterSending) {
  auto owned = this->Make();
  HttpTransport& transport = *owned;
  this->server_.Enqueue(Reply::Ok("{}").After(absl::Seconds(3)));
  HttpRequest request = Post(this->Url(), "{}");
  request.timeout = absl::Milliseconds(200);
  Slot slot;
  const absl::Time start = absl::Now();
  StartOn(transport, std::move(request), slot);
  const HttpResponse response = slot.Await();
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(response.outcome, Outcome::kTimedOut) << response.error;
  EXPECT_TRUE(response.request_sent);
  EXPECT_GE(took, absl::Milliseconds(190));
  EXPECT_LT(took, absl::Milliseconds(1500));
  EXPECT_EQ(this->server_.request_count(), 1u);
}

TYPED_TEST(HttpTransportTest, ServerClosingWithoutAnswerIsConnectionLost) {
  auto owned = this->Make();
  HttpTransport& transport = *owned;
  this->server_.Enqueue(Reply::Close());
  Slot slot;
  StartOn(transport, Post(this->Url(), "{}"), slot);
  const HttpResponse response = slot.Await();
  EXPECT_EQ(response.outcome, Outcome::kConnectionLost) << response.error;
  EXPECT_TRUE(response.request_sent);
  EXPECT_EQ(this->server_.request_count(), 1u);
}

// libcurl silently sends a request again on a fresh connection when a reused connection dies before any
// answer byte: for a write that may already be applied, that is a second execution. The transport must
// report the loss instead and leave the decision to its caller.
TYPED_TEST(HttpTransportTest, ServerClosingAReusedConnectionIsNotResentSilently) {
  auto owned = this->Make();
  HttpTransport& transport = *owned;
  Slot first;
  StartOn(transport, Post(this->Url(), "{\"n\":1}"), first);
  ASSERT_EQ(first.Await().outcome, Outcome::kResponse);
  this->server_.Enqueue(Reply::Close());
  Slot second;
  StartOn(transport, Post(this->Url(), "{\"n\":2}"), second);
  const HttpResponse response = second.Await();
  EXPECT_EQ(response.outcome, Outcome::kConnectionLost) << response.error;
  EXPECT_TRUE(response.request_sent);
  EXPECT_EQ(this->server_.request_count(), 2u) << "the second request was sent twice";

  // The transport still works afterwards (on a new connection).
  Slot third;
  StartOn(transport, Post(this->Url(), "{\"n\":3}"), third);
  EXPECT_EQ(third.Await().outcome, Outcome::kResponse);
  EXPECT_EQ(this->server_.request_count(), 3u);
}

// Same when the node then refuses new connections (it died): the request did reach the node on the old
// connection, so "not sent" would be a lie that lets the caller send a write to another node.
TYPED_TEST(HttpTransportTest, ReusedConnectionDyingThenRefusedIsNotReportedAsNotSent) {
  auto owned = this->Make();
  HttpTransport& transport = *owned;
  Slot first;
  StartOn(transport, Post(this->Url(), "{}"), first);
  ASSERT_EQ(first.Await().outcome, Outcome::kResponse);
  this->server_.SetHandler([this](const RecordedRequest&) {
    this->server_.StopListening();  // before the connection closes, so a second dial is refused
    return Reply::Close();
  });
  Slot second;
  StartOn(transport, Post(this->Url(), "{\"write\":1}"), second);
  const HttpResponse response = second.Await();
  EXPECT_EQ(response.outcome, Outcome::kConnectionLost) << response.error;
  EXPECT_TRUE(response.request_sent);
  EXPECT_EQ(this->server_.request_count(), 2u);
}

TYPED_TEST(HttpTransportTest, CancelOfASlowRequestIsPrompt) {
  auto owned = this->Make();
  HttpTransport& transport = *owned;
  this->server_.Enqueue(Reply::Ok("{}").After(absl::Seconds(5)));
  Slot slot;
  auto exchange = StartOn(transport, Post(this->Url(), "{}"), slot);
  ASSERT_TRUE(this->server_.WaitForRequests(1, absl::Seconds(2)));
  const absl::Time cancelled_at = absl::Now();
  exchange->Cancel();
  const HttpResponse response = slot.Await(absl::Seconds(2));
  EXPECT_LT(absl::Now() - cancelled_at, absl::Milliseconds(200));
  EXPECT_EQ(response.outcome, Outcome::kCancelled);
  EXPECT_TRUE(response.request_sent);
  EXPECT_TRUE(this->server_.WaitForClientDrops(1, absl::Seconds(2))) << "the connection was not closed";
  exchange->Cancel();  // again: harmless
  EXPECT_EQ(slot.calls(), 1);
}

TYPED_TEST(HttpTransportTest, CancelAfterCompletionIsHarmless) {
  auto owned = this->Make();
  HttpTransport& transport = *owned;
  Slot slot;
  auto exchange = StartOn(transport, Post(this->Url(), "{}"), slot);
  ASSERT_EQ(slot.Await().outcome, Outcome::kResponse);
  exchange->Cancel();
  exchange->Cancel();
  // The loop processed those cancels before it starts the next exchange, which must still work.
  Slot next;
  StartOn(transport, Post(this->Url(), "{}"), next);
  EXPECT_EQ(next.Await().outcome, Outcome::kResponse);
  EXPECT_EQ(slot.calls(), 1);
  EXPECT_EQ(slot.Await().outcome, Outcome::kResponse);
}

// What `done` captured is released as soon as it ran, even while the caller still holds the exchange (a
// callback that captures the holder would otherwise keep both alive).
TYPED_TEST(HttpTransportTest, CallbackIsReleasedRightAfterItRuns) {
  auto owned = this->Make();
  HttpTransport& transport = *owned;
  for (bool cancel : {false, true}) {
    absl::Notification released;
    std::shared_ptr<void> token(nullptr, [&released](void*) { released.Notify(); });
    Slot slot;
    if (cancel) this->server_.Enqueue(Reply::Ok("{}").After(absl::Seconds(5)));
    auto exchange = transport.Start(Post(this->Url(), "{}"), [token = std::move(token), callback = slot.Callback()](
                                                           HttpResponse response) mutable {
      std::move(callback)(std::move(response));
    });
    if (cancel) {
      ASSERT_TRUE(this->server_.WaitForRequests(2, absl::Seconds(2)));
      exchange->Cancel();
    }
    EXPECT_EQ(slot.Await().outcome, cancel ? Outcome::kCancelled : Outcome::kResponse);
    EXPECT_TRUE(released.WaitForNotificationWithTimeout(absl::Milliseconds(500))) << "cancel=" << cancel;
  }
}

TYPED_TEST(HttpTransportTest, CancelAfterTheTransportIsGoneIsHarmless) {
  std::shared_ptr<HttpExchange> exchange;
  Slot slot;
  {
    auto owned = this->Make();
  HttpTransport& transport = *owned;
    exchange = StartOn(transport, Post(this->Url(), "{}"), slot);
    ASSERT_EQ(slot.Await().outcome, Outcome::kResponse);
  }
  exchange->Cancel();  // must not touch the destroyed loop
  EXPECT_EQ(slot.calls(), 1);
}

TYPED_TEST(HttpTransportTest, CancelRacingCompletionCallsDoneOnce) {
  auto transport = this->Make(TwoLoops());
  constexpr int kRequests = 300;
  std::vector<std::unique_ptr<Slot>> slots(kRequests);
  std::vector<std::shared_ptr<HttpExchange>> exchanges(kRequests);
  std::thread canceller;
  for (int i = 0; i < kRequests; ++i) {
    slots[i] = std::make_unique<Slot>();
    exchanges[i] = StartOn(*transport, Post(this->Url(), "{}"), *slots[i]);
  }
  // Cancel two in three from another thread while the loops complete them.
  canceller = std::thread([&] {
    for (int i = 0; i < kRequests; ++i) {
      if (i % 3 != 0) exchanges[i]->Cancel();
    }
  });
  int cancelled = 0;
  for (int i = 0; i < kRequests; ++i) {
    const HttpResponse response = slots[i]->Await();
    if (i % 3 == 0) {
      EXPECT_EQ(response.outcome, Outcome::kResponse) << i;
    } else {
      EXPECT_TRUE(response.outcome == Outcome::kResponse || response.outcome == Outcome::kCancelled) << i;
      cancelled += response.outcome == Outcome::kCancelled;
    }
  }
  canceller.join();
  for (auto& exchange : exchanges) exchange->Cancel();  // all complete by now: harmless
  transport.reset();
  for (int i = 0; i < kRequests; ++i) EXPECT_EQ(slots[i]->calls(), 1) << i;
  this->RecordProperty("cancelled", cancelled);
}

TYPED_TEST(HttpTransportTest, AnswerLargerThanTheLimitFails) {
  TransportOptions options;
  options.max_response_bytes = 1000;
  auto owned = this->Make(options);
  HttpTransport& transport = *owned;
  this->server_.Enqueue(Reply::Ok(std::string(1000, 'x')));
  this->server_.Enqueue(Reply::Ok(std::string(5000, 'x')));
  this->server_.Enqueue(Reply::Chunked(200, std::string(5000, 'y'), 100));
  Slot at_limit, over, over_chunked;
  StartOn(transport, Post(this->Url(), "{}"), at_limit);
  EXPECT_EQ(at_limit.Await().outcome, Outcome::kResponse);
  EXPECT_EQ(at_limit.Await().body.size(), 1000u);
  StartOn(transport, Post(this->Url(), "{}"), over);
  const HttpResponse response = over.Await();
  EXPECT_EQ(response.outcome, Outcome::kFailed);
  EXPECT_TRUE(response.request_sent);
  EXPECT_THAT(response.error, ::testing::HasSubstr("1000"));
  EXPECT_TRUE(response.body.empty());
  StartOn(transport, Post(this->Url(), "{}"), over_chunked);
  EXPECT_EQ(over_chunked.Await().outcome, Outcome::kFailed);
}

TYPED_TEST(HttpTransportTest, DestroyingTheTransportCancelsInFlightExchangesOnce) {
  auto transport = this->Make(TwoLoops());
  this->server_.SetHandler([](const RecordedRequest&) { return Reply::Ok("{}").After(absl::Seconds(10)); });
  constexpr int kRequests = 10;
  std::vector<std::unique_ptr<Slot>> slots(kRequests);
  for (auto& slot : slots) {
    slot = std::make_unique<Slot>();
    StartOn(*transport, Post(this->Url(), "{}"), *slot);
  }
  ASSERT_TRUE(this->server_.WaitForRequests(kRequests, absl::Seconds(2)));
  const absl::Time start = absl::Now();
  transport.reset();
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(500));
  for (auto& slot : slots) {
    EXPECT_EQ(slot->calls(), 1);
    EXPECT_EQ(slot->Await().outcome, Outcome::kCancelled);
  }
}

TYPED_TEST(HttpTransportTest, DoneMayStartAnotherExchange) {
  auto owned = this->Make();
  HttpTransport& transport = *owned;
  Slot last;
  std::atomic<int> hops{0};
  std::function<void(HttpResponse)> hop = [&](HttpResponse response) {
    if (response.outcome != Outcome::kResponse || ++hops == 5) {
      transport.Start(Post(this->Url(), "{}"), last.Callback());
      return;
    }
    transport.Start(Post(this->Url(), "{}"), [&hop](HttpResponse next) { hop(std::move(next)); });
  };
  transport.Start(Post(this->Url(), "{}"), [&hop](HttpResponse response) { hop(std::move(response)); });
  EXPECT_EQ(last.Await().outcome, Outcome::kResponse);
  EXPECT_EQ(hops.load(), 5);
  EXPECT_EQ(this->server_.request_count(), 6u);
}

// A `done` that starts another exchange while the transport shuts down must neither deadlock nor lose
// the second exchange: it completes with kCancelled.
TYPED_TEST(HttpTransportTest, DoneStartingAnExchangeDuringShutdownGetsCancelled) {
  auto transport = this->Make();
  this->server_.SetHandler([](const RecordedRequest&) { return Reply::Ok("{}").After(absl::Seconds(10)); });
  Slot second;
  HttpTransport* raw = transport.get();
  raw->Start(Post(this->Url(), "{}"), [raw, &second, this](HttpResponse response) {
    raw->Start(Post(this->Url(), "{}"), second.Callback());
  });
  ASSERT_TRUE(this->server_.WaitForRequests(1, absl::Seconds(2)));
  transport.reset();
  EXPECT_EQ(second.Await().outcome, Outcome::kCancelled);
  EXPECT_EQ(second.calls(), 1);
}

TYPED_TEST(HttpTransportTest, UnreachableUrlIsNotSent) {
  auto owned = this->Make();
  HttpTransport& transport = *owned;
  Slot slot;
  StartOn(transport, Post("htp://127.0.0.1:1/", "{}"), slot);
  const HttpResponse response = slot.Await();
  EXPECT_EQ(response.outcome, Outcome::kNotSent);
  EXPECT_FALSE(response.request_sent);
}

TYPED_TEST(HttpTransportTest, AnswerSayingConnectionCloseIsNotReused) {
  auto owned = this->Make();
  HttpTransport& transport = *owned;
  this->server_.Enqueue(Reply::Ok("{}").WithHeader("Connection", "close"));
  for (int i = 0; i < 2; ++i) {
    Slot slot;
    StartOn(transport, Post(this->Url(), "{}"), slot);
    ASSERT_EQ(slot.Await().outcome, Outcome::kResponse) << i;
  }
  EXPECT_EQ(this->server_.connections_accepted(), 2);
  EXPECT_EQ(this->server_.requests().back().connection, 2);
}

// A body far larger than a socket's send buffer: the first write stops short and the rest goes out as
// the server reads it.
TYPED_TEST(HttpTransportTest, EightMegabyteBodyIsWrittenWhole) {
  auto owned = this->Make();
  HttpTransport& transport = *owned;
  std::string body(8 << 20, '\0');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>('a' + (i * 131) % 26);
  this->server_.SetHandler([](const RecordedRequest& request) { return Reply::Ok(std::to_string(request.body.size())); });
  Slot slot;
  StartOn(transport, Post(this->Url(), body), slot);
  const HttpResponse response = slot.Await(absl::Seconds(10));
  ASSERT_EQ(response.outcome, Outcome::kResponse) << response.error;
  EXPECT_EQ(response.body, std::to_string(8 << 20));
  ASSERT_EQ(this->server_.request_count(), 1u);
  EXPECT_TRUE(this->server_.requests()[0].body == body);
}

TYPED_TEST(HttpTransportTest, ServerErrorAnswerWithoutBodyIsAResponse) {
  auto owned = this->Make();
  HttpTransport& transport = *owned;
  this->server_.Enqueue(Reply::Status(503, ""));
  Slot slot;
  StartOn(transport, Post(this->Url(), "{}"), slot);
  const HttpResponse response = slot.Await();
  EXPECT_EQ(response.outcome, Outcome::kResponse) << response.error;
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(response.body, "");
}

// Cancels racing the write of the request, from another thread: an exchange that reports nothing sent
// must never have reached the server (the caller may send that write again elsewhere), and one that got
// an answer must have.
TYPED_TEST(HttpTransportTest, CancelRacingTheWriteNeverReportsASentRequestAsNotSent) {
  auto transport = this->Make(TwoLoops());
  constexpr int kRequests = 300;
  std::vector<std::unique_ptr<Slot>> slots(kRequests);
  std::vector<std::shared_ptr<HttpExchange>> exchanges(kRequests);
  std::atomic<int> started{0};
  std::thread canceller([&] {
    for (int i = 0; i < kRequests; ++i) {
      while (started.load(std::memory_order_acquire) <= i) std::this_thread::yield();
      exchanges[i]->Cancel();
    }
  });
  for (int i = 0; i < kRequests; ++i) {
    slots[i] = std::make_unique<Slot>();
    exchanges[i] = StartOn(*transport, Post(this->Url(), absl::StrCat("{\"n\":", i, "}")), *slots[i]);
    started.store(i + 1, std::memory_order_release);
  }
  canceller.join();
  std::vector<HttpResponse> responses;
  for (auto& slot : slots) responses.push_back(slot->Await());
  // Let requests already on the wire arrive before reading what the server saw.
  size_t seen_count = 0;
  do {
    seen_count = this->server_.request_count();
    absl::SleepFor(absl::Milliseconds(200));
  } while (this->server_.request_count() != seen_count);
  std::set<std::string> seen;
  for (const RecordedRequest& request : this->server_.requests()) seen.insert(request.body);
  int not_sent = 0;
  for (int i = 0; i < kRequests; ++i) {
    const std::string body = absl::StrCat("{\"n\":", i, "}");
    if (!responses[i].request_sent) {
      ++not_sent;
      EXPECT_EQ(seen.count(body), 0u) << i << " was reported not sent but reached the server";
    }
    if (responses[i].outcome == Outcome::kResponse) {
      EXPECT_EQ(seen.count(body), 1u) << i;
    }
  }
  this->RecordProperty("not_sent", not_sent);
  transport.reset();
  for (auto& slot : slots) EXPECT_EQ(slot->calls(), 1);
}

// A server (or a proxy) closes idle keep-alive connections without a word. The next request must not be
// written on such a connection: its loss would be ambiguous (a write reported WRITE_OUTCOME_UNKNOWN, a
// read failed) although the server never saw it. It goes on a new connection and succeeds.
TYPED_TEST(HttpTransportTest, IdleConnectionClosedByTheServerIsNotUsedAgain) {
  auto owned = this->Make();
  HttpTransport& transport = *owned;
  for (int round = 0; round < 20; ++round) {
    Slot slot;
    StartOn(transport, Post(this->Url(), absl::StrCat("{\"round\":", round, "}")), slot);
    const HttpResponse response = slot.Await();
    ASSERT_EQ(response.outcome, Outcome::kResponse) << round << ": " << response.error;
    ASSERT_EQ(this->server_.CloseIdleConnections(), 1) << round;
  }
  EXPECT_EQ(this->server_.request_count(), 20u);
  EXPECT_EQ(this->server_.connections_accepted(), 20);
}

TEST(SocketTransportServes, PlainHttpToNumericAddressesOnly) {
  EXPECT_TRUE(SocketTransport::Serves("http://127.0.0.1:8000/"));
  EXPECT_TRUE(SocketTransport::Serves("http://127.0.0.1:8000"));
  EXPECT_TRUE(SocketTransport::Serves("http://10.1.2.3/localnodes?dc=dc1"));
  EXPECT_TRUE(SocketTransport::Serves("http://[::1]:8000/"));
  EXPECT_TRUE(SocketTransport::Serves("http://[fd00::12]/"));
  EXPECT_FALSE(SocketTransport::Serves("https://127.0.0.1:8043/"));       // TLS: libcurl
  EXPECT_FALSE(SocketTransport::Serves("http://localhost:8000/"));        // a name to resolve: libcurl
  EXPECT_FALSE(SocketTransport::Serves("http://scylla-0.scylla:8000/"));
  EXPECT_FALSE(SocketTransport::Serves("http://127.1:8000/"));            // not dotted-quad
  EXPECT_FALSE(SocketTransport::Serves("http://127.0.0.1:0/"));
  EXPECT_FALSE(SocketTransport::Serves("http://127.0.0.1:65536/"));
  EXPECT_FALSE(SocketTransport::Serves("http://127.0.0.1:80x/"));
  EXPECT_FALSE(SocketTransport::Serves("http://user@127.0.0.1/"));
  EXPECT_FALSE(SocketTransport::Serves("http://[::1/"));
  EXPECT_FALSE(SocketTransport::Serves("http:///"));
  EXPECT_FALSE(SocketTransport::Serves("htp://127.0.0.1/"));
}

TEST(SocketTransportWire, SendsTheTargetWithItsQueryAndTheHostAsWritten) {
  FakeHttpServer server;
  ASSERT_TRUE(server.ok());
  SocketTransport transport;
  Slot slot;
  StartOn(transport, Get(absl::StrCat("http://127.0.0.1:", server.port(), "?dc=x")), slot);
  ASSERT_EQ(slot.Await().outcome, Outcome::kResponse);
  ASSERT_EQ(server.request_count(), 1u);
  EXPECT_EQ(server.requests()[0].target, "/?dc=x");
  EXPECT_THAT(server.requests()[0].Header("Host"), Optional(absl::StrCat("127.0.0.1:", server.port())));
}

// Post(): the gateway runs call handlers on the event loop while its gRPC thread is busy.
TEST(SocketTransportPost, TasksRunOnTheLoopThreadInOrderAndMayStartExchanges) {
  FakeHttpServer server;
  ASSERT_TRUE(server.ok());
  SocketTransport transport;
  absl::Mutex mu;
  std::vector<int> order;
  std::set<std::thread::id> threads;
  Slot slot;
  for (int i = 0; i < 20; ++i) {
    absl::AnyInvocable<void() &&> task = [&, i] {
      absl::MutexLock lock(&mu);
      order.push_back(i);
      threads.insert(std::this_thread::get_id());
    };
    ASSERT_TRUE(transport.Post(task));
  }
  // An exchange started by a task is written by the loop's thread, and answered.
  absl::AnyInvocable<void() &&> start = [&] { StartOn(transport, Post(absl::StrCat("http://127.0.0.1:", server.port(), "/"), "{}"), slot); };
  ASSERT_TRUE(transport.Post(start));
  const HttpResponse response = slot.Await();
  EXPECT_EQ(response.outcome, Outcome::kResponse) << response.error;
  absl::MutexLock lock(&mu);
  std::vector<int> expected(20);
  for (int i = 0; i < 20; ++i) expected[i] = i;
  EXPECT_EQ(order, expected);
  ASSERT_EQ(threads.size(), 1u);
  EXPECT_NE(*threads.begin(), std::this_thread::get_id());
  EXPECT_EQ(*threads.begin(), slot.thread()) << "the task ran on the thread that delivers answers";
}

TEST(SocketTransportPost, EveryTaskPostedBeforeTheTransportStopsRuns) {
  std::atomic<int> ran{0};
  {
    SocketTransport transport;
    for (int i = 0; i < 100; ++i) {
      absl::AnyInvocable<void() &&> task = [&] {
        absl::SleepFor(absl::Microseconds(100));
        ++ran;
      };
      ASSERT_TRUE(transport.Post(task));
    }
  }
  EXPECT_EQ(ran.load(), 100);
}

TEST(GatewayTransportPost, RunsOnTheBuiltInClientOnlyAndLeavesTheTaskOtherwise) {
  absl::Notification ran;
  GatewayTransport with_builtin(CurlTransportOptions{}, true);
  absl::AnyInvocable<void() &&> task = [&] { ran.Notify(); };
  ASSERT_TRUE(with_builtin.Post(task));
  EXPECT_TRUE(ran.WaitForNotificationWithTimeout(absl::Seconds(5)));

  GatewayTransport curl_only(CurlTransportOptions{}, false);
  bool kept_ran = false;
  absl::AnyInvocable<void() &&> kept = [&] { kept_ran = true; };
  EXPECT_FALSE(curl_only.Post(kept));
  ASSERT_TRUE(kept != nullptr) << "a refused task stays with the caller";
  std::move(kept)();
  EXPECT_TRUE(kept_ran);
}

// The gateway's transport: numeric plain-HTTP URLs through the built-in client, names through libcurl
// (the built-in client alone refuses them), and everything through libcurl when the built-in is off.
TEST(GatewayTransport, ServesNumericAddressesAndHostNames) {
  FakeHttpServer server;
  ASSERT_TRUE(server.ok());
  const std::string numeric = absl::StrCat("http://127.0.0.1:", server.port(), "/");
  const std::string named = absl::StrCat("http://localhost:", server.port(), "/");
  {
    SocketTransport alone;
    Slot slot;
    StartOn(alone, Post(named, "{}"), slot);
    EXPECT_EQ(slot.Await().outcome, Outcome::kNotSent);
  }
  for (bool builtin : {true, false}) {
    GatewayTransport transport(CurlTransportOptions{}, builtin);
    for (const std::string& url : {numeric, named}) {
      Slot slot;
      StartOn(transport, Post(url, "{}"), slot);
      const HttpResponse response = slot.Await();
      EXPECT_EQ(response.outcome, Outcome::kResponse) << url << " builtin=" << builtin << ": " << response.error;
    }
  }
  EXPECT_EQ(server.request_count(), 4u);
}

}  // namespace
}  // namespace altgw::alternator
