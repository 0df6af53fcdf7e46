// FakeHttpServer: a scriptable HTTP/1.1 server on a loopback address, for transport and client tests.
//
// One poll() thread serves every connection (keep-alive, several requests per connection). Each request is
// recorded (method, target, headers, body, the connection it came on) and answered by the next scripted
// Reply: a status and body (optionally after a delay), a chunked answer without Content-Length, or closing
// the connection without answering. The server also counts connections accepted (keep-alive reuse) and
// connections the client dropped while an answer was still pending (cancellation). Thread-safe; the
// destructor stops the thread and closes every socket.
//
// Only what the tests need is implemented: request bodies must come with Content-Length (no chunked
// uploads, no Expect: 100-continue).
#ifndef ALTGW_TESTS_ALTERNATOR_FAKE_HTTP_SERVER_H_
#define ALTGW_TESTS_ALTERNATOR_FAKE_HTTP_SERVER_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace altgw::testing {

struct RecordedRequest {
  std::string method;
  std::string target;  // the request target as sent, e.g. "/" or "/localnodes?dc=x"
  std::vector<std::pair<std::string, std::string>> headers;  // in the order received, names as sent
  std::string body;
  int connection = 0;  // 1-based id of the connection it came on, in accept order
  absl::Time received;

  // The first value of header `name` (case-insensitive), or nullopt.
  std::optional<std::string> Header(absl::string_view name) const;
  // Every header name, lower-cased, sorted.
  std::vector<std::string> HeaderNames() const;
};

struct Reply {
  enum class Action {
    kRespond,         // status + headers + Content-Length + body
    kRespondChunked,  // status + headers + Transfer-Encoding: chunked, body in chunks of chunk_size
    kClose,           // close the connection without answering
  };
  Action action = Action::kRespond;
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  absl::Duration delay = absl::ZeroDuration();  // before answering (or closing)
  size_t chunk_size = 16384;

  static Reply Status(int status, std::string body);
  static Reply Ok(std::string body) { return Status(200, std::move(body)); }
  static Reply Chunked(int status, std::string body, size_t chunk_size = 16384);
  static Reply Close();

  Reply&& After(absl::Duration d) && {
    delay = d;
    return std::move(*this);
  }
  Reply&& WithHeader(std::string name, std::string value) && {
    headers.emplace_back(std::move(name), std::move(value));
    return std::move(*this);
  }
};

class FakeHttpServer {
 public:
  using Handler = std::function<Reply(const RecordedRequest&)>;

  // Listens on `address` (an IPv4 loopback address) and `port` (0: any free port). Check ok().
  explicit FakeHttpServer(std::string address = "127.0.0.1", uint16_t port = 0);
  ~FakeHttpServer();

  FakeHttpServer(const FakeHttpServer&) = delete;
  FakeHttpServer& operator=(const FakeHttpServer&) = delete;

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  const std::string& address() const { return address_; }
  uint16_t port() const { return port_; }
  // "http://127.0.0.1:12345"
  std::string url() const;

  // Scripted replies, used in order, one per request. When none is queued the handler answers; without a
  // handler the answer is 200 "{}".
  void Enqueue(Reply reply);
  void SetHandler(Handler handler);

  // Closes the listening socket: new connections are refused, open ones are still served. May be called
  // from the handler (then it takes effect before the handler's reply is sent).
  void StopListening();

  // Closes every connection that has no request pending (as a server or proxy closing idle keep-alive
  // connections does, without a word) and returns once they are closed. Returns how many it closed.
  int CloseIdleConnections();

  std::vector<RecordedRequest> requests() const;
  size_t request_count() const;
  int connections_accepted() const;
  // Connections the client closed (or reset) while an answer to its request was still pending.
  int connections_dropped_by_client() const;
  // Connections the client closed (or reset), idle or not.
  int connections_closed_by_client() const;

  bool WaitForRequests(size_t count, absl::Duration timeout) const;
  bool WaitForClientDrops(int count, absl::Duration timeout) const;

 private:
  struct Connection;

  void Run();
  void OnReadable(Connection& connection);
  // Parses and answers buffered requests while no answer is pending.
  void Serve(Connection& connection);
  void StartReply(Connection& connection, Reply reply);
  void Flush(Connection& connection);
  Reply NextReply(const RecordedRequest& request);

  std::string address_;
  uint16_t port_ = 0;
  std::string error_;
  int listen_fd_ = -1;
  int wake_pipe_[2] = {-1, -1};
  std::thread thread_;

  // Server thread only.
  std::vector<std::unique_ptr<Connection>> connections_;
  void CloseListener();

  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_listening_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t close_idle_requested_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t close_idle_done_ ABSL_GUARDED_BY(mu_) = 0;
  int close_idle_count_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<Reply> script_ ABSL_GUARDED_BY(mu_);
  Handler handler_ ABSL_GUARDED_BY(mu_);
  std::vector<RecordedRequest> requests_ ABSL_GUARDED_BY(mu_);
  int accepted_ ABSL_GUARDED_BY(mu_) = 0;
  int dropped_ ABSL_GUARDED_BY(mu_) = 0;
  int closed_by_client_ ABSL_GUARDED_BY(mu_) = 0;
};

// A loopback port that refuses connections: a socket bound to it but not listening (the kernel answers a
// SYN with RST), held open so that nothing else takes the port while the test runs.
class RefusingPort {
 public:
  explicit RefusingPort(const std::string& address = "127.0.0.1");
  ~RefusingPort();
  RefusingPort(const RefusingPort&) = delete;
  RefusingPort& operator=(const RefusingPort&) = delete;

  bool ok() const { return fd_ >= 0; }
  uint16_t port() const { return port_; }
  std::string url() const;

 private:
  std::string address_;
  int fd_ = -1;
  uint16_t port_ = 0;
};

// `count` servers on 127.0.0.1, 127.0.0.2, ... all on one port (like Alternator nodes sharing the
// configured port). Empty if no common free port was found.
std::vector<std::unique_ptr<FakeHttpServer>> MakeServersOnSharedPort(int count);

}  // namespace altgw::testing

#endif  // ALTGW_TESTS_ALTERNATOR_FAKE_HTTP_SERVER_H_
