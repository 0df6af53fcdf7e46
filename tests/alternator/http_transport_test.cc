#include "alternator/curl_transport.h"

#include <atomic>
#include <memory>
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

  // Waits for the first call and returns the response (a kFailed placeholder on timeout).
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

CurlTransportOptions TwoLoops() {
  CurlTransportOptions options;
  options.event_loops = 2;
  return options;
}

class CurlTransportTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.ok()) << server_.error(); }

  std::string Url(absl::string_view path = "/") const { return absl::StrCat(server_.url(), path); }

  FakeHttpServer server_;
};

TEST_F(CurlTransportTest, PostRoundTrip) {
  CurlTransport transport;
  server_.Enqueue(Reply::Ok(R"({"Item":{}})"));
  Slot slot;
  StartOn(transport, Post(Url(), R"({"TableName":"t"})", {"Content-Type: application/x-amz-json-1.0"}), slot);
  const HttpResponse response = slot.Await();
  EXPECT_EQ(response.outcome, Outcome::kResponse) << response.error;
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, R"({"Item":{}})");
  EXPECT_TRUE(response.request_sent);
  EXPECT_GT(response.elapsed, absl::ZeroDuration());
  EXPECT_EQ(slot.calls(), 1);
  EXPECT_FALSE(slot.ran_inside_start());
  EXPECT_NE(slot.thread(), std::this_thread::get_id());

  const std::vector<RecordedRequest> requests = server_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/");
  EXPECT_EQ(requests[0].body, R"({"TableName":"t"})");
  EXPECT_THAT(requests[0].Header("Content-Length"), Optional(std::string("17")));
}

TEST_F(CurlTransportTest, GetRoundTripSendsNoBody) {
  CurlTransport transport;
  server_.Enqueue(Reply::Ok(R"(["127.0.0.1"])"));
  Slot slot;
  StartOn(transport, Get(Url("/localnodes?dc=dc1")), slot);
  const HttpResponse response = slot.Await();
  EXPECT_EQ(response.outcome, Outcome::kResponse) << response.error;
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, R"(["127.0.0.1"])");

  const std::vector<RecordedRequest> requests = server_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].target, "/localnodes?dc=dc1");
  EXPECT_EQ(requests[0].body, "");
  EXPECT_THAT(requests[0].HeaderNames(), ElementsAre("host"));
}

TEST_F(CurlTransportTest, NonSuccessStatusIsAResponse) {
  CurlTransport transport;
  server_.Enqueue(Reply::Status(500, R"({"__type":"x#InternalServerError"})"));
  Slot slot;
  StartOn(transport, Post(Url(), "{}"), slot);
  const HttpResponse response = slot.Await();
  EXPECT_EQ(response.outcome, Outcome::kResponse);
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(response.body, R"({"__type":"x#InternalServerError"})");
}

TEST_F(CurlTransportTest, SendsExactlyTheGivenHeadersPlusHostAndContentLength) {
  CurlTransport transport;
  Slot slot;
  StartOn(transport,
          Post(Url(), "{}",
               {"X-Amz-Target: DynamoDB_20120810.GetItem", "Content-Type: application/x-amz-json-1.0",
                "X-Amz-Date: 20240101T000000Z"}),
          slot);
  ASSERT_EQ(slot.Await().outcome, Outcome::kResponse);
  const std::vector<RecordedRequest> requests = server_.requests();
  ASSERT_EQ(requests.size(), 1u);
  const RecordedRequest& request = requests[0];
  EXPECT_THAT(request.HeaderNames(),
              ElementsAre("content-length", "content-type", "host", "x-amz-date", "x-amz-target"));
  EXPECT_THAT(request.Header("Host"), Optional(absl::StrCat("127.0.0.1:", server_.port())));
  EXPECT_THAT(request.Header("Content-Type"), Optional(std::string("application/x-amz-json-1.0")));
  EXPECT_THAT(request.Header("X-Amz-Target"), Optional(std::string("DynamoDB_20120810.GetItem")));
  EXPECT_THAT(request.Header("X-Amz-Date"), Optional(std::string("20240101T000000Z")));
}

TEST_F(CurlTransportTest, PostWithoutHeadersGetsNoDefaultContentType) {
  // libcurl adds "Content-Type: application/x-www-form-urlencoded" to a POST that names none.
  CurlTransport transport;
  Slot slot;
  StartOn(transport, Post(Url(), "{}"), slot);
  ASSERT_EQ(slot.Await().outcome, Outcome::kResponse);
  const std::vector<RecordedRequest> requests = server_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_THAT(requests[0].HeaderNames(), ElementsAre("content-length", "host"));
}

TEST_F(CurlTransportTest, AcceptEncodingOnlyWhenAskedFor) {
  CurlTransport transport;
  Slot plain, compressed;
  StartOn(transport, Post(Url(), "{}", {"Content-Type: application/x-amz-json-1.0"}), plain);
  ASSERT_EQ(plain.Await().outcome, Outcome::kResponse);
  HttpRequest request = Post(Url(), "{}", {"Content-Type: application/x-amz-json-1.0"});
  request.accept_compressed = true;
  StartOn(transport, std::move(request), compressed);
  ASSERT_EQ(compressed.Await().outcome, Outcome::kResponse);

  const std::vector<RecordedRequest> requests = server_.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_THAT(requests[0].HeaderNames(), ElementsAre("content-length", "content-type", "host"));
  EXPECT_THAT(requests[1].HeaderNames(), ElementsAre("accept-encoding", "content-length", "content-type", "host"));
  EXPECT_THAT(requests[1].Header("Accept-Encoding"), Optional(std::string("gzip, deflate")));
}

TEST_F(CurlTransportTest, OneMegabyteBodyWithoutExpectContinue) {
  CurlTransport transport;
  std::string body(1 << 20, '\0');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>('a' + (i * 7919) % 26);
  server_.SetHandler([](const RecordedRequest& request) { return Reply::Ok(std::to_string(request.body.size())); });
  Slot slot;
  StartOn(transport, Post(Url(), body, {"Content-Type: application/x-amz-json-1.0"}), slot);
  const HttpResponse response = slot.Await();
  ASSERT_EQ(response.outcome, Outcome::kResponse) << response.error;
  EXPECT_EQ(response.body, std::to_string(1 << 20));
  const std::vector<RecordedRequest> requests = server_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_TRUE(requests[0].body == body);
  EXPECT_EQ(requests[0].Header("Expect"), std::nullopt);
  EXPECT_THAT(requests[0].HeaderNames(), ElementsAre("content-length", "content-type", "host"));
}

TEST_F(CurlTransportTest, ChunkedAnswerWithoutContentLength) {
  CurlTransport transport;
  std::string body;
  while (body.size() < 300 * 1024) absl::StrAppend(&body, R"({"pk":{"S":"key)", body.size(), R"("}},)");
  server_.Enqueue(Reply::Chunked(200, body, 7001));
  Slot slot;
  StartOn(transport, Post(Url(), "{}"), slot);
  const HttpResponse response = slot.Await();
  ASSERT_EQ(response.outcome, Outcome::kResponse) << response.error;
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body.size(), body.size());
  EXPECT_TRUE(response.body == body);
}

TEST_F(CurlTransportTest, GzipAnswerIsDecodedWhenAccepted) {
  CurlTransport transport;
  std::string body;
  for (int i = 0; i < 500; ++i) absl::StrAppend(&body, R"({"attr":{"S":"value number )", i, R"("}})");
  std::optional<std::string> gzipped = GzipIfSmaller(body, 1);
  ASSERT_TRUE(gzipped.has_value());
  server_.Enqueue(Reply::Ok(*gzipped).WithHeader("Content-Encoding", "gzip"));
  HttpRequest request = Post(Url(), "{}");
  request.accept_compressed = true;
  Slot slot;
  StartOn(transport, std::move(request), slot);
  const HttpResponse response = slot.Await();
  ASSERT_EQ(response.outcome, Outcome::kResponse) << response.error;
  EXPECT_TRUE(response.body == body) << "got " << response.body.size() << " bytes";
}

TEST_F(CurlTransportTest, SequentialRequestsReuseOneConnection) {
  CurlTransport transport;
  for (int i = 0; i < 100; ++i) {
    Slot slot;
    StartOn(transport, Post(Url(), absl::StrCat("{\"n\":", i, "}")), slot);
    const HttpResponse response = slot.Await();
    ASSERT_EQ(response.outcome, Outcome::kResponse) << i << ": " << response.error;
  }
  EXPECT_EQ(server_.request_count(), 100u);
  EXPECT_EQ(server_.connections_accepted(), 1);
  for (const RecordedRequest& request : server_.requests()) EXPECT_EQ(request.connection, 1);
}

TEST_F(CurlTransportTest, IdleConnectionsAreClosedWithinSeventyFiveSeconds) {
  // Alternator never closes idle connections: the gateway must, and by default well before the usual
  // 75-second idle limits of load balancers and NAT tables on the path.
  EXPECT_GT(CurlTransportOptions().max_idle_connection_age, absl::ZeroDuration());
  EXPECT_LE(CurlTransportOptions().max_idle_connection_age, absl::Seconds(75));

  CurlTransportOptions options;
  options.max_idle_connection_age = absl::Seconds(1);
  CurlTransport transport(options);
  for (int i = 0; i < 3; ++i) {  // back to back: one connection
    Slot slot;
    StartOn(transport, Post(Url(), "{}"), slot);
    ASSERT_EQ(slot.Await().outcome, Outcome::kResponse);
  }
  EXPECT_EQ(server_.connections_accepted(), 1);
  absl::SleepFor(absl::Milliseconds(2200));
  // Idle longer than the limit: not reused; the client closes it and dials a new one.
  Slot slot;
  StartOn(transport, Post(Url(), "{}"), slot);
  ASSERT_EQ(slot.Await().outcome, Outcome::kResponse);
  EXPECT_EQ(server_.connections_accepted(), 2);
  EXPECT_EQ(server_.requests().back().connection, 2);
  const absl::Time give_up = absl::Now() + absl::Seconds(2);
  while (server_.connections_closed_by_client() < 1 && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(5));
  EXPECT_EQ(server_.connections_closed_by_client(), 1);
}

TEST_F(CurlTransportTest, ManyConcurrentRequestsFromSeveralThreadsEachCompleteOnce) {
  auto transport = std::make_unique<CurlTransport>(TwoLoops());
  server_.SetHandler([](const RecordedRequest& request) { return Reply::Ok(request.body); });
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50;
  std::vector<std::unique_ptr<Slot>> slots(kThreads * kPerThread);
  for (auto& slot : slots) slot = std::make_unique<Slot>();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const int n = t * kPerThread + i;
        StartOn(*transport, Post(Url(), absl::StrCat("request ", n)), *slots[n]);
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
  EXPECT_EQ(server_.request_count(), slots.size());
}

TEST_F(CurlTransportTest, ConnectionRefusedIsNotSent) {
  RefusingPort refusing;
  ASSERT_TRUE(refusing.ok());
  CurlTransport transport;
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

TEST_F(CurlTransportTest, TimeoutWhileTheServerDelaysIsTimedOutAfterSending) {
  CurlTransport transport;
  server_.Enqueue(Reply::Ok("{}").After(absl::Seconds(3)));
  HttpRequest request = Post(Url(), "{}");
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
  EXPECT_EQ(server_.request_count(), 1u);
}

TEST_F(CurlTransportTest, ServerClosingWithoutAnswerIsConnectionLost) {
  CurlTransport transport;
  server_.Enqueue(Reply::Close());
  Slot slot;
  StartOn(transport, Post(Url(), "{}"), slot);
  const HttpResponse response = slot.Await();
  EXPECT_EQ(response.outcome, Outcome::kConnectionLost) << response.error;
  EXPECT_TRUE(response.request_sent);
  EXPECT_EQ(server_.request_count(), 1u);
}

// libcurl silently sends a request again on a fresh connection when a reused connection dies before any
// answer byte: for a write that may already be applied, that is a second execution. The transport must
// report the loss instead and leave the decision to its caller.
TEST_F(CurlTransportTest, ServerClosingAReusedConnectionIsNotResentSilently) {
  CurlTransport transport;
  Slot first;
  StartOn(transport, Post(Url(), "{\"n\":1}"), first);
  ASSERT_EQ(first.Await().outcome, Outcome::kResponse);
  server_.Enqueue(Reply::Close());
  Slot second;
  StartOn(transport, Post(Url(), "{\"n\":2}"), second);
  const HttpResponse response = second.Await();
  EXPECT_EQ(response.outcome, Outcome::kConnectionLost) << response.error;
  EXPECT_TRUE(response.request_sent);
  EXPECT_EQ(server_.request_count(), 2u) << "the second request was sent twice";

  // The transport still works afterwards (on a new connection).
  Slot third;
  StartOn(transport, Post(Url(), "{\"n\":3}"), third);
  EXPECT_EQ(third.Await().outcome, Outcome::kResponse);
  EXPECT_EQ(server_.request_count(), 3u);
}

// Same when the node then refuses new connections (it died): the request did reach the node on the old
// connection, so "not sent" would be a lie that lets the caller send a write to another node.
TEST_F(CurlTransportTest, ReusedConnectionDyingThenRefusedIsNotReportedAsNotSent) {
  CurlTransport transport;
  Slot first;
  StartOn(transport, Post(Url(), "{}"), first);
  ASSERT_EQ(first.Await().outcome, Outcome::kResponse);
  server_.SetHandler([this](const RecordedRequest&) {
    server_.StopListening();  // before the connection closes, so a second dial is refused
    return Reply::Close();
  });
  Slot second;
  StartOn(transport, Post(Url(), "{\"write\":1}"), second);
  const HttpResponse response = second.Await();
  EXPECT_EQ(response.outcome, Outcome::kConnectionLost) << response.error;
  EXPECT_TRUE(response.request_sent);
  EXPECT_EQ(server_.request_count(), 2u);
}

TEST_F(CurlTransportTest, CancelOfASlowRequestIsPrompt) {
  CurlTransport transport;
  server_.Enqueue(Reply::Ok("{}").After(absl::Seconds(5)));
  Slot slot;
  auto exchange = StartOn(transport, Post(Url(), "{}"), slot);
  ASSERT_TRUE(server_.WaitForRequests(1, absl::Seconds(2)));
  const absl::Time cancelled_at = absl::Now();
  exchange->Cancel();
  const HttpResponse response = slot.Await(absl::Seconds(2));
  EXPECT_LT(absl::Now() - cancelled_at, absl::Milliseconds(200));
  EXPECT_EQ(response.outcome, Outcome::kCancelled);
  EXPECT_TRUE(response.request_sent);
  EXPECT_TRUE(server_.WaitForClientDrops(1, absl::Seconds(2))) << "the connection was not closed";
  exchange->Cancel();  // again: harmless
  EXPECT_EQ(slot.calls(), 1);
}

TEST_F(CurlTransportTest, CancelAfterCompletionIsHarmless) {
  CurlTransport transport;
  Slot slot;
  auto exchange = StartOn(transport, Post(Url(), "{}"), slot);
  ASSERT_EQ(slot.Await().outcome, Outcome::kResponse);
  exchange->Cancel();
  exchange->Cancel();
  // The loop processed those cancels before it starts the next exchange, which must still work.
  Slot next;
  StartOn(transport, Post(Url(), "{}"), next);
  EXPECT_EQ(next.Await().outcome, Outcome::kResponse);
  EXPECT_EQ(slot.calls(), 1);
  EXPECT_EQ(slot.Await().outcome, Outcome::kResponse);
}

// What `done` captured is released as soon as it ran, even while the caller still holds the exchange (a
// callback that captures the holder would otherwise keep both alive).
TEST_F(CurlTransportTest, CallbackIsReleasedRightAfterItRuns) {
  CurlTransport transport;
  for (bool cancel : {false, true}) {
    absl::Notification released;
    std::shared_ptr<void> token(nullptr, [&released](void*) { released.Notify(); });
    Slot slot;
    if (cancel) server_.Enqueue(Reply::Ok("{}").After(absl::Seconds(5)));
    auto exchange = transport.Start(Post(Url(), "{}"), [token = std::move(token), callback = slot.Callback()](
                                                           HttpResponse response) mutable {
      std::move(callback)(std::move(response));
    });
    if (cancel) {
      ASSERT_TRUE(server_.WaitForRequests(2, absl::Seconds(2)));
      exchange->Cancel();
    }
    EXPECT_EQ(slot.Await().outcome, cancel ? Outcome::kCancelled : Outcome::kResponse);
    EXPECT_TRUE(released.WaitForNotificationWithTimeout(absl::Milliseconds(500))) << "cancel=" << cancel;
  }
}

TEST_F(CurlTransportTest, CancelAfterTheTransportIsGoneIsHarmless) {
  std::shared_ptr<HttpExchange> exchange;
  Slot slot;
  {
    CurlTransport transport;
    exchange = StartOn(transport, Post(Url(), "{}"), slot);
    ASSERT_EQ(slot.Await().outcome, Outcome::kResponse);
  }
  exchange->Cancel();  // must not touch the destroyed loop
  EXPECT_EQ(slot.calls(), 1);
}

TEST_F(CurlTransportTest, CancelRacingCompletionCallsDoneOnce) {
  auto transport = std::make_unique<CurlTransport>(TwoLoops());
  constexpr int kRequests = 300;
  std::vector<std::unique_ptr<Slot>> slots(kRequests);
  std::vector<std::shared_ptr<HttpExchange>> exchanges(kRequests);
  std::thread canceller;
  for (int i = 0; i < kRequests; ++i) {
    slots[i] = std::make_unique<Slot>();
    exchanges[i] = StartOn(*transport, Post(Url(), "{}"), *slots[i]);
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
  RecordProperty("cancelled", cancelled);
}

TEST_F(CurlTransportTest, AnswerLargerThanTheLimitFails) {
  CurlTransportOptions options;
  options.max_response_bytes = 1000;
  CurlTransport transport(options);
  server_.Enqueue(Reply::Ok(std::string(1000, 'x')));
  server_.Enqueue(Reply::Ok(std::string(5000, 'x')));
  server_.Enqueue(Reply::Chunked(200, std::string(5000, 'y'), 100));
  Slot at_limit, over, over_chunked;
  StartOn(transport, Post(Url(), "{}"), at_limit);
  EXPECT_EQ(at_limit.Await().outcome, Outcome::kResponse);
  EXPECT_EQ(at_limit.Await().body.size(), 1000u);
  StartOn(transport, Post(Url(), "{}"), over);
  const HttpResponse response = over.Await();
  EXPECT_EQ(response.outcome, Outcome::kFailed);
  EXPECT_TRUE(response.request_sent);
  EXPECT_THAT(response.error, ::testing::HasSubstr("1000"));
  EXPECT_TRUE(response.body.empty());
  StartOn(transport, Post(Url(), "{}"), over_chunked);
  EXPECT_EQ(over_chunked.Await().outcome, Outcome::kFailed);
}

TEST_F(CurlTransportTest, DestroyingTheTransportCancelsInFlightExchangesOnce) {
  auto transport = std::make_unique<CurlTransport>(TwoLoops());
  server_.SetHandler([](const RecordedRequest&) { return Reply::Ok("{}").After(absl::Seconds(10)); });
  constexpr int kRequests = 10;
  std::vector<std::unique_ptr<Slot>> slots(kRequests);
  for (auto& slot : slots) {
    slot = std::make_unique<Slot>();
    StartOn(*transport, Post(Url(), "{}"), *slot);
  }
  ASSERT_TRUE(server_.WaitForRequests(kRequests, absl::Seconds(2)));
  const absl::Time start = absl::Now();
  transport.reset();
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(500));
  for (auto& slot : slots) {
    EXPECT_EQ(slot->calls(), 1);
    EXPECT_EQ(slot->Await().outcome, Outcome::kCancelled);
  }
}

TEST_F(CurlTransportTest, DoneMayStartAnotherExchange) {
  CurlTransport transport;
  Slot last;
  std::atomic<int> hops{0};
  std::function<void(HttpResponse)> hop = [&](HttpResponse response) {
    if (response.outcome != Outcome::kResponse || ++hops == 5) {
      transport.Start(Post(Url(), "{}"), last.Callback());
      return;
    }
    transport.Start(Post(Url(), "{}"), [&hop](HttpResponse next) { hop(std::move(next)); });
  };
  transport.Start(Post(Url(), "{}"), [&hop](HttpResponse response) { hop(std::move(response)); });
  EXPECT_EQ(last.Await().outcome, Outcome::kResponse);
  EXPECT_EQ(hops.load(), 5);
  EXPECT_EQ(server_.request_count(), 6u);
}

// A `done` that starts another exchange while the transport shuts down must neither deadlock nor lose
// the second exchange: it completes with kCancelled.
TEST_F(CurlTransportTest, DoneStartingAnExchangeDuringShutdownGetsCancelled) {
  auto transport = std::make_unique<CurlTransport>();
  server_.SetHandler([](const RecordedRequest&) { return Reply::Ok("{}").After(absl::Seconds(10)); });
  Slot second;
  CurlTransport* raw = transport.get();
  raw->Start(Post(Url(), "{}"), [raw, &second, this](HttpResponse response) {
    raw->Start(Post(Url(), "{}"), second.Callback());
  });
  ASSERT_TRUE(server_.WaitForRequests(1, absl::Seconds(2)));
  transport.reset();
  EXPECT_EQ(second.Await().outcome, Outcome::kCancelled);
  EXPECT_EQ(second.calls(), 1);
}

TEST_F(CurlTransportTest, UnreachableUrlIsNotSent) {
  CurlTransport transport;
  Slot slot;
  StartOn(transport, Post("htp://127.0.0.1:1/", "{}"), slot);
  const HttpResponse response = slot.Await();
  EXPECT_EQ(response.outcome, Outcome::kNotSent);
  EXPECT_FALSE(response.request_sent);
}

}  // namespace
}  // namespace altgw::alternator
