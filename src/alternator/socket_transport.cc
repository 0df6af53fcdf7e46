#include "alternator/socket_transport.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "alternator/compression.h"
#include "alternator/exchange_completion.h"
#include "alternator/http1_response.h"

namespace altgw::alternator {
namespace {

// Where a URL points: a numeric socket address, the authority as written (Host header and the key of
// the idle-connection pool) and the request target.
struct Target {
  sockaddr_storage address{};
  socklen_t address_length = 0;
  std::string authority;
  std::string path;
};

// Whether `url` is served here; fills `target` when it is not null (Serves() passes null: no allocation).
bool ParseUrl(absl::string_view url, Target* target) {
  if (!absl::ConsumePrefix(&url, "http://")) return false;
  const size_t authority_end = url.find_first_of("/?#");
  const absl::string_view authority = url.substr(0, authority_end);
  absl::string_view path = authority_end == absl::string_view::npos ? "" : url.substr(authority_end);
  path = path.substr(0, path.find('#'));
  if (authority.empty() || authority.find('@') != absl::string_view::npos) return false;

  absl::string_view host;
  absl::string_view port_text;
  const bool ipv6 = authority.front() == '[';
  if (ipv6) {
    const size_t close = authority.find(']');
    if (close == absl::string_view::npos) return false;
    host = authority.substr(1, close - 1);
    absl::string_view rest = authority.substr(close + 1);
    if (!rest.empty() && !absl::ConsumePrefix(&rest, ":")) return false;
    port_text = rest;
  } else {
    const size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != absl::string_view::npos) port_text = authority.substr(colon + 1);
  }
  int port = 80;
  if (!port_text.empty() &&
      (!std::all_of(port_text.begin(), port_text.end(), absl::ascii_isdigit) || port_text.size() > 5 ||
       !absl::SimpleAtoi(port_text, &port) || port < 1 || port > 65535)) {
    return false;
  }
  char host_text[INET6_ADDRSTRLEN + 1];  // inet_pton wants a NUL-terminated string
  if (host.size() >= sizeof host_text) return false;
  std::memcpy(host_text, host.data(), host.size());
  host_text[host.size()] = '\0';
  sockaddr_storage address{};
  socklen_t length;
  if (ipv6) {
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET6, host_text, &v6->sin6_addr) != 1) return false;
    length = sizeof(sockaddr_in6);
  } else {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET, host_text, &v4->sin_addr) != 1) return false;
    length = sizeof(sockaddr_in);
  }
  if (target == nullptr) return true;
  target->address = address;
  target->address_length = length;
  target->authority = std::string(authority);
  target->path = path.empty() ? "/" : (path.front() == '?' ? absl::StrCat("/", path) : std::string(path));
  return true;
}

// The request head, written once on the caller's thread; the body follows it in the same sendmsg().
std::string RequestHead(const HttpRequest& request, const Target& target) {
  size_t size = 64 + target.path.size() + target.authority.size();
  for (const std::string& header : request.headers) size += header.size() + 2;
  std::string head;
  head.reserve(size);
  absl::StrAppend(&head, request.has_body ? "POST " : "GET ", target.path, " HTTP/1.1\r\nHost: ", target.authority,
                  "\r\n");
  for (const std::string& header : request.headers) absl::StrAppend(&head, header, "\r\n");
  if (request.accept_compressed) head += "Accept-Encoding: gzip, deflate\r\n";
  if (request.has_body) absl::StrAppend(&head, "Content-Length: ", request.body.size(), "\r\n");
  head += "\r\n";
  return head;
}

std::string ErrnoText(int error) { return std::strerror(error); }

// Deadlines and idle ages run on the monotonic clock, like the timerfd: a step of the wall clock neither
// fires timeouts early nor holds them back.
using Clock = std::chrono::steady_clock;

Clock::duration ToClock(absl::Duration d) {
  return std::chrono::duration_cast<Clock::duration>(absl::ToChronoNanoseconds(
      std::clamp(d, absl::ZeroDuration(), absl::Hours(24 * 365))));
}

}  // namespace

class Connection;

// One exchange. Its fields are shared between the caller's thread (which writes the request) and the
// loop thread (which ends it); each group says what guards it.
class SocketExchange final : public HttpExchange,
                             public ExchangeCompletion,
                             public std::enable_shared_from_this<SocketExchange> {
 public:
  SocketExchange(SocketTransport::Loop* loop, HttpCallback done, absl::Duration timeout, bool accept_compressed)
      : ExchangeCompletion(std::move(done)), loop_(loop), timeout_(timeout),
        deadline_(Clock::now() + ToClock(timeout)), accept_compressed_(accept_compressed) {}

  void Cancel() override;

  size_t request_size() const { return head_.size() + body_.size(); }

  SocketTransport::Loop* const loop_;
  const absl::Duration timeout_;
  const Clock::time_point deadline_;
  const bool accept_compressed_;
  // Set in Start() before the exchange is shared.
  std::string head_;
  std::string body_;

  // Guarded by the connection's write_mu (written by the caller's thread or the loop).
  size_t written_ = 0;

  // Guarded by the loop's mu_.
  std::shared_ptr<Connection> connection_;
  bool ended_ = false;  // an outcome was decided; nothing may attach it to a connection any more
  std::multimap<Clock::time_point, std::shared_ptr<SocketExchange>>::iterator deadline_entry_;
  bool has_deadline_entry_ = false;
};

class Connection {
 public:
  explicit Connection(size_t max_response_bytes) : parser(max_response_bytes) {}

  int fd = -1;
  std::string key;  // the authority it is connected to
  // Set by the loop thread under write_mu when it closes the socket; whoever holds write_mu and sees it
  // false may use fd.
  std::atomic<bool> closed{false};

  absl::Mutex write_mu;
  bool connecting ABSL_GUARDED_BY(write_mu) = false;   // connect() still in progress
  bool loop_writes ABSL_GUARDED_BY(write_mu) = false;  // EPOLLOUT is watched: the loop writes the rest

  // Guarded by the loop's mu_.
  std::shared_ptr<SocketExchange> exchange;  // the exchange it carries; null while idle
  Clock::time_point idle_since;
  bool reused = false;  // it went back to the pool once: its server may have closed it meanwhile

  // Loop thread only.
  Http1ResponseParser parser;
};

class SocketTransport::Loop {
 public:
  explicit Loop(const SocketTransportOptions& options) : options_(options) {
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    wake_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    timer_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.ptr = &wake_;
    epoll_ctl(epoll_, EPOLL_CTL_ADD, wake_, &event);
    event.data.ptr = &timer_;
    epoll_ctl(epoll_, EPOLL_CTL_ADD, timer_, &event);
    thread_ = std::thread([this] { Run(); });
  }

  ~Loop() {
    Stop();
    close(timer_);
    close(wake_);
    close(epoll_);
  }

  // Ends what is running with kCancelled, closes every connection and joins the thread. Idempotent.
  void Stop() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    Wake();
    if (thread_.joinable()) thread_.join();
  }

  // On the caller's thread: takes an idle connection to the target or dials one, and writes the request
  // as far as the socket takes it without waiting.
  void Begin(std::shared_ptr<SocketExchange> exchange, const std::optional<Target>& target) {
    std::shared_ptr<Connection> connection;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) {
        ExchangeCompletion::RefuseLater(std::move(exchange));
        return;
      }
      if (!target.has_value()) {
        exchange->ended_ = true;
        exchange->response_.outcome = HttpResponse::Outcome::kNotSent;
        exchange->response_.error = "not an http:// URL with a numeric address and optional port";
        ready_.push_back(std::move(exchange));
      } else {
        connection = AttachIdleLocked(exchange, target->authority);
        AddDeadline(exchange);
      }
    }
    if (!target.has_value()) {
      Wake();
      return;
    }
    bool reused = connection != nullptr;
    // Bounded: each round drops one stale pooled connection (or dials once and stops).
    for (;;) {
      if (connection == nullptr) {
        connection = Dial(*target, exchange);
        if (connection == nullptr) return;
        reused = false;
      }
      {
        absl::MutexLock write_lock(&connection->write_mu);
        if (connection->loop_writes) return;  // still connecting: the loop writes once connected
        if (!connection->closed.load(std::memory_order_relaxed) && (!reused || PeerStillThere(connection->fd))) {
          if (WriteLocked(*connection, *exchange) != WriteResult::kDone) WatchWritable(*connection);
          return;
        }
      }
      // Closed by the loop (the exchange ended, or the loop found the connection stale first), or the
      // server closed this idle connection (or sent bytes nobody asked for) before anything was written
      // on it. Written anyway, the request's loss would be ambiguous although the server never saw it;
      // nothing was sent, so it goes on another connection. The loop closes the stale one (its end of
      // stream keeps it readable).
      if (!MoveOffStale(exchange, target->authority, &connection)) return;  // the exchange ended meanwhile
      reused = connection != nullptr;
    }
  }

  // Whether an idle connection's peer is still there: no end of stream and no stray bytes waiting.
  static bool PeerStillThere(int fd) {
    char byte;
    const ssize_t got = recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }

  // Takes the exchange off a stale connection and onto another idle one (`*next`; null: none, dial).
  // False when the exchange ended meanwhile: nothing more to do for it.
  bool MoveOffStale(const std::shared_ptr<SocketExchange>& exchange, const std::string& key,
                    std::shared_ptr<Connection>* next) {
    absl::MutexLock lock(&mu_);
    if (exchange->ended_) return false;
    if (exchange->connection_ != nullptr) exchange->connection_->exchange = nullptr;
    exchange->connection_ = nullptr;
    *next = AttachIdleLocked(exchange, key);
    return true;
  }

  // The exchange on the most recently used idle connection to `key` that is not too old; null if none.
  std::shared_ptr<Connection> AttachIdleLocked(const std::shared_ptr<SocketExchange>& exchange,
                                               const std::string& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    std::shared_ptr<Connection> connection = TakeIdle(key);
    if (connection != nullptr) {
      connection->exchange = exchange;
      exchange->connection_ = connection;
    }
    return connection;
  }

  // Queues `task` for the loop thread (taking it); false, leaving it, once the loop is stopping.
  bool Post(absl::AnyInvocable<void() &&>& task) {
    bool was_empty;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return false;
      was_empty = tasks_.empty();
      tasks_.push_back(std::move(task));
    }
    // One wake-up per batch: while tasks wait, the loop has been woken already and not taken them yet.
    if (was_empty) Wake();
    return true;
  }

  void RequestCancel(std::shared_ptr<SocketExchange> exchange) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_ || exchange->ended_) return;  // ended, or about to be by the shutdown
      cancels_.push_back(std::move(exchange));
    }
    Wake();
  }

 private:
  enum class WriteResult { kDone, kBlocked, kBroken };

  void Wake() {
    const uint64_t one = 1;
    [[maybe_unused]] const ssize_t written = write(wake_, &one, sizeof one);
  }

  // The most recently used idle connection to `key` that is not too old. Connections are pushed in the
  // order they went idle, so when the newest is too old all are, and the reaper closes them.
  std::shared_ptr<Connection> TakeIdle(const std::string& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = idle_.find(key);
    if (it == idle_.end() || it->second.empty()) return nullptr;
    std::shared_ptr<Connection>& newest = it->second.back();
    if (newest->idle_since + ToClock(options_.max_idle_connection_age) <= Clock::now()) return nullptr;
    std::shared_ptr<Connection> connection = std::move(newest);
    it->second.pop_back();
    --idle_count_;
    return connection;
  }

  void AddDeadline(const std::shared_ptr<SocketExchange>& exchange) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    exchange->deadline_entry_ = deadlines_.emplace(exchange->deadline_, exchange);
    exchange->has_deadline_entry_ = true;
    ArmTimer(exchange->deadline_);
  }

  // Makes the timer fire by `when` (it only ever moves earlier here; the loop re-arms it when it fires).
  void ArmTimer(Clock::time_point when) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (when >= armed_) return;
    armed_ = when;
    const auto wait = std::max<Clock::duration>(when - Clock::now(), std::chrono::microseconds(1));
    itimerspec spec{};
    spec.it_value = absl::ToTimespec(absl::FromChrono(wait));
    timerfd_settime(timer_, 0, &spec, nullptr);
  }

  // On the caller's thread: a new non-blocking connection carrying `exchange`, or null when the exchange
  // has ended already (connect failed at once, or it was cancelled or timed out meanwhile).
  std::shared_ptr<Connection> Dial(const Target& target, const std::shared_ptr<SocketExchange>& exchange) {
    const int fd = socket(target.address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int error = fd < 0 ? errno : 0;
    bool connecting = false;
    if (fd >= 0) {
      const int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      if (connect(fd, reinterpret_cast<const sockaddr*>(&target.address), target.address_length) != 0) {
        if (errno == EINPROGRESS) {
          connecting = true;
        } else {
          error = errno;
        }
      }
    }
    std::shared_ptr<Connection> connection;
    bool ended;
    {
      absl::MutexLock lock(&mu_);
      ended = exchange->ended_;
      if (!ended && error != 0) {
        RecordEndLocked(*exchange, HttpResponse::Outcome::kNotSent,
                  absl::StrCat("connect to ", target.authority, ": ", ErrnoText(error)), /*request_sent=*/false);
        ready_.push_back(exchange);
      } else if (!ended) {
        connection = std::make_shared<Connection>(options_.max_response_bytes);
        connection->fd = fd;
        connection->key = target.authority;
        connections_.emplace(connection.get(), connection);
        connection->exchange = exchange;
        exchange->connection_ = connection;
      }
    }
    if (connection == nullptr) {
      if (fd >= 0) close(fd);
      if (!ended && error != 0) Wake();
      return nullptr;
    }
    absl::MutexLock write_lock(&connection->write_mu);
    connection->connecting = connecting;
    connection->loop_writes = connecting;
    // Registered under write_mu: the loop may already have ended the exchange and closed the connection
    // (then fd is not ours any more).
    if (!connection->closed.load(std::memory_order_relaxed)) {
      epoll_event event{};
      event.events = EPOLLIN | EPOLLRDHUP | (connecting ? EPOLLOUT : 0u);
      event.data.ptr = connection.get();
      epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &event);
    }
    return connection;
  }

  // Writes what is left of the request; never waits.
  WriteResult WriteLocked(Connection& connection, SocketExchange& exchange)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(connection.write_mu) {
    const size_t total = exchange.request_size();
    while (exchange.written_ < total) {
      iovec parts[2];
      int count = 0;
      const size_t head = exchange.head_.size();
      if (exchange.written_ < head) {
        parts[count++] = {exchange.head_.data() + exchange.written_, head - exchange.written_};
        if (!exchange.body_.empty()) parts[count++] = {exchange.body_.data(), exchange.body_.size()};
      } else {
        const size_t offset = exchange.written_ - head;
        parts[count++] = {exchange.body_.data() + offset, exchange.body_.size() - offset};
      }
      msghdr message{};
      message.msg_iov = parts;
      message.msg_iovlen = count;
      const ssize_t sent = sendmsg(connection.fd, &message, MSG_NOSIGNAL);
      if (sent > 0) {
        exchange.written_ += static_cast<size_t>(sent);
      } else if (sent < 0 && errno == EINTR) {
        continue;
      } else if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        return WriteResult::kBlocked;
      } else {
        return WriteResult::kBroken;
      }
    }
    return WriteResult::kDone;
  }

  // Hands the rest of the request to the loop, which writes it when the socket can take it (or sees the
  // error that stopped the write).
  void WatchWritable(Connection& connection) ABSL_EXCLUSIVE_LOCKS_REQUIRED(connection.write_mu) {
    connection.loop_writes = true;
    epoll_event event{};
    event.events = EPOLLIN | EPOLLRDHUP | EPOLLOUT;
    event.data.ptr = &connection;
    epoll_ctl(epoll_, EPOLL_CTL_MOD, connection.fd, &event);
  }

  void Run() {
    // Named, so that top, perf and gdb tell the HTTP client's loops from gRPC's threads.
    pthread_setname_np(pthread_self(), "altgw-http");
    constexpr int kMaxEvents = 64;
    epoll_event events[kMaxEvents];
    absl::Time last_reap = absl::Now();
    for (;;) {
      // At most a second asleep: idle connections are reaped on that beat.
      const int count = epoll_wait(epoll_, events, kMaxEvents, 1000);
      bool timer_fired = false;
      for (int i = 0; i < count; ++i) {
        void* const tag = events[i].data.ptr;
        if (tag == &wake_ || tag == &timer_) {
          uint64_t value = 0;
          [[maybe_unused]] const ssize_t got = read(tag == &wake_ ? wake_ : timer_, &value, sizeof value);
          timer_fired = timer_fired || tag == &timer_;
          continue;
        }
        auto* connection = static_cast<Connection*>(tag);
        const uint32_t what = events[i].events;
        // Still alive if closed during this batch: closed connections wait in graveyard_ until its end.
        if ((what & (EPOLLOUT | EPOLLERR | EPOLLHUP)) != 0) OnWritable(*connection);
        if (!connection->closed.load(std::memory_order_relaxed) &&
            (what & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) {
          OnReadable(*connection);
        }
      }
      graveyard_.clear();
      if (timer_fired) ExpireDeadlines();

      bool stopping;
      std::vector<std::shared_ptr<SocketExchange>> cancels, ready;
      std::vector<absl::AnyInvocable<void() &&>> tasks;
      {
        absl::MutexLock lock(&mu_);
        cancels.swap(cancels_);
        ready.swap(ready_);
        tasks.swap(tasks_);
        stopping = stopping_;
      }
      for (auto& task : tasks) std::move(task)();
      for (auto& exchange : ready) exchange->Deliver();
      for (auto& exchange : cancels) End(exchange, HttpResponse::Outcome::kCancelled, "cancelled");
      graveyard_.clear();
      if (stopping) break;
      if (absl::Now() - last_reap >= absl::Milliseconds(500)) {
        ReapIdle();
        last_reap = absl::Now();
      }
    }
    Shutdown();
  }

  void OnWritable(Connection& connection) {
    std::shared_ptr<SocketExchange> exchange;
    {
      absl::MutexLock lock(&mu_);
      exchange = connection.exchange;
    }
    int error = 0;
    bool connect_failed = false;
    {
      absl::MutexLock write_lock(&connection.write_mu);
      if (connection.closed.load(std::memory_order_relaxed) || !connection.loop_writes) return;
      if (exchange == nullptr) {  // the exchange ended: nothing more to write
        connection.loop_writes = false;
        return;
      }
      if (connection.connecting) {
        socklen_t length = sizeof error;
        if (getsockopt(connection.fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
        connect_failed = error != 0;
        if (error == 0) connection.connecting = false;
      }
      if (error == 0) {
        switch (WriteLocked(connection, *exchange)) {
          case WriteResult::kDone: {
            connection.loop_writes = false;
            epoll_event event{};
            event.events = EPOLLIN | EPOLLRDHUP;
            event.data.ptr = &connection;
            epoll_ctl(epoll_, EPOLL_CTL_MOD, connection.fd, &event);
            break;
          }
          case WriteResult::kBlocked:
            break;
          case WriteResult::kBroken:
            error = errno;
            break;
        }
      }
    }
    if (error == 0) return;
    if (connect_failed) {
      End(exchange, HttpResponse::Outcome::kNotSent, absl::StrCat("connect to ", connection.key, ": ", ErrnoText(error)));
    } else {
      End(exchange, HttpResponse::Outcome::kConnectionLost,
          absl::StrCat("the connection to ", connection.key, " broke while sending: ", ErrnoText(error)));
    }
  }

  void OnReadable(Connection& connection) {
    std::shared_ptr<SocketExchange> exchange;
    std::shared_ptr<Connection> idle;  // set when an idle connection got bytes or was closed by the peer
    {
      absl::MutexLock lock(&mu_);
      exchange = connection.exchange;
      if (exchange == nullptr) {
        idle = RemoveIdleLocked(connection);
        // Not pooled either: a stale connection a caller left for the loop to close.
        if (idle == nullptr) {
          auto it = connections_.find(&connection);
          if (it != connections_.end()) idle = it->second;
        }
      }
    }
    if (exchange == nullptr) {
      if (idle != nullptr) Close(idle);
      return;
    }
    Http1ResponseParser& parser = connection.parser;
    Http1ResponseParser::State state = parser.state();
    bool end = false;
    int error = 0;
    for (;;) {
      const ssize_t got = recv(connection.fd, buffer_, sizeof buffer_, 0);
      if (got > 0) {
        state = parser.Feed(absl::string_view(buffer_, static_cast<size_t>(got)));
        // A short read emptied the socket: wait for epoll rather than pay a recv() that says EAGAIN.
        if (state != Http1ResponseParser::State::kIncomplete || static_cast<size_t>(got) < sizeof buffer_) break;
      } else if (got == 0) {
        end = true;
        state = parser.FeedEnd();
        break;
      } else if (errno == EINTR) {
        continue;
      } else {
        // A reset is not the end of an answer framed by the connection's end: it is a lost connection.
        if (errno != EAGAIN && errno != EWOULDBLOCK) error = errno;
        break;
      }
    }
    if ((end || error != 0 || state != Http1ResponseParser::State::kIncomplete) &&
        DropIfStale(connection, exchange)) {
      return;
    }
    if (error != 0) {
      End(exchange, HttpResponse::Outcome::kConnectionLost,
          absl::StrCat("the connection to ", connection.key, " was lost before a whole answer: ", ErrnoText(error)));
    } else if (state == Http1ResponseParser::State::kComplete) {
      Succeed(connection, exchange, end);
    } else if (state == Http1ResponseParser::State::kError) {
      if (end) {
        End(exchange, HttpResponse::Outcome::kConnectionLost,
            absl::StrCat("the connection to ", connection.key, " was lost before a whole answer: ", parser.error()));
      } else {
        End(exchange, HttpResponse::Outcome::kFailed, parser.error());
      }
    }
  }

  // A pooled connection that ended, failed or spoke before this exchange wrote anything on it was stale
  // (its server closed it while idle): that is not the exchange's outcome. The connection is closed and
  // the exchange taken off it; Begin(), still running on the caller's thread (it returns only after
  // writing), sees the socket closed and sends the request on another connection. True when dropped.
  bool DropIfStale(Connection& connection, const std::shared_ptr<SocketExchange>& exchange) {
    {
      absl::MutexLock lock(&mu_);
      if (!connection.reused || exchange->ended_) return false;
    }
    {
      absl::MutexLock write_lock(&connection.write_mu);
      if (exchange->written_ != 0 || connection.loop_writes || connection.closed.load(std::memory_order_relaxed)) {
        return false;
      }
      CloseSocketLocked(connection);
    }
    std::shared_ptr<Connection> self;
    {
      absl::MutexLock lock(&mu_);
      if (connection.exchange == exchange) connection.exchange = nullptr;
      if (exchange->connection_.get() == &connection) exchange->connection_ = nullptr;
      auto it = connections_.find(&connection);
      if (it != connections_.end()) self = it->second;
    }
    if (self != nullptr) Forget(self);
    return true;
  }

  void Succeed(Connection& connection, const std::shared_ptr<SocketExchange>& exchange, bool connection_ended) {
    bool fully_written;
    size_t written;
    {
      absl::MutexLock write_lock(&connection.write_mu);
      written = exchange->written_;
      fully_written = !connection.loop_writes && written == exchange->request_size();
    }
    Http1ResponseParser& parser = connection.parser;
    if (written == 0) {
      // An answer to nothing this exchange sent (a server's farewell on a connection it is closing).
      End(exchange, HttpResponse::Outcome::kNotSent,
          absl::StrCat("the connection to ", connection.key, " answered before the request was sent"));
      return;
    }
    HttpResponse& response = exchange->response_;
    response.outcome = HttpResponse::Outcome::kResponse;
    response.request_sent = true;
    response.status = parser.status();
    if (exchange->accept_compressed_ && !parser.content_encoding().empty()) {
      absl::StatusOr<std::string> decoded =
          DecodeContent(parser.content_encoding(), parser.body(), options_.max_response_bytes);
      if (decoded.ok()) {
        response.body = *std::move(decoded);
      } else {
        response.outcome = HttpResponse::Outcome::kFailed;
        response.body.clear();
        response.error = absl::StrCat("cannot decode the answer (Content-Encoding: ", parser.content_encoding(),
                                      "): ", decoded.status().message());
      }
    } else {
      response.body = std::move(parser.body());
    }
    // The connection carries another request only if this one is wholly written and answered, and the
    // server did not say it is closing.
    const bool reuse = fully_written && parser.reusable() && !connection_ended;
    parser.Reset();
    std::shared_ptr<Connection> to_close = Detach(*exchange, reuse);
    if (to_close != nullptr) Close(to_close);
    exchange->Deliver();
  }

  // Ends a running exchange with `outcome` (loop thread). Its connection is closed: whatever was in flight
  // on it would otherwise be read as the next request's answer.
  //
  // The exchange is claimed first (ended_, under mu_), so that Dial() can no longer attach a connection
  // to it; then how much of the request went out is read and the socket closed in one write_mu section,
  // so that no byte can leave after request_sent was decided.
  void End(const std::shared_ptr<SocketExchange>& exchange, HttpResponse::Outcome outcome, std::string error) {
    std::shared_ptr<Connection> connection;
    {
      absl::MutexLock lock(&mu_);
      if (exchange->ended_) return;
      exchange->ended_ = true;
      connection = exchange->connection_;
    }
    size_t written = 0;
    if (connection != nullptr) {
      absl::MutexLock write_lock(&connection->write_mu);
      written = exchange->written_;
      CloseSocketLocked(*connection);
    }
    // "Not sent" only when nothing was: a connection lost before any byte left carried nothing, and one
    // that failed after some bytes left may have delivered the request.
    if (outcome == HttpResponse::Outcome::kConnectionLost && written == 0) outcome = HttpResponse::Outcome::kNotSent;
    if (outcome == HttpResponse::Outcome::kNotSent && written > 0) outcome = HttpResponse::Outcome::kConnectionLost;
    {
      absl::MutexLock lock(&mu_);
      RecordEndLocked(*exchange, outcome, std::move(error), written > 0);
      if (connection != nullptr) connection->exchange = nullptr;
    }
    if (connection != nullptr) Forget(connection);
    exchange->response_.body.clear();
    exchange->Deliver();
  }

  // Records the outcome and takes the exchange off its connection and the deadlines.
  void RecordEndLocked(SocketExchange& exchange, HttpResponse::Outcome outcome, std::string error,
                       bool request_sent) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    exchange.ended_ = true;
    exchange.response_.outcome = outcome;
    exchange.response_.request_sent = request_sent;
    exchange.response_.error = std::move(error);
    if (exchange.has_deadline_entry_) {
      exchange.has_deadline_entry_ = false;
      deadlines_.erase(exchange.deadline_entry_);  // never the last reference: the caller holds one
    }
    exchange.connection_ = nullptr;
  }

  // After a successful answer: the exchange leaves its connection, which goes back to the idle pool when
  // `reuse`; returns the connection when it must be closed instead.
  std::shared_ptr<Connection> Detach(SocketExchange& exchange, bool reuse) {
    absl::MutexLock lock(&mu_);
    std::shared_ptr<Connection> connection = exchange.connection_;
    const HttpResponse::Outcome outcome = exchange.response_.outcome;
    std::string error = exchange.response_.error;
    RecordEndLocked(exchange, outcome, std::move(error), /*request_sent=*/true);
    connection->exchange = nullptr;
    if (!reuse || stopping_ || idle_count_ >= options_.max_idle_connections) return connection;
    connection->idle_since = Clock::now();
    connection->reused = true;
    idle_[connection->key].push_back(std::move(connection));
    ++idle_count_;
    return nullptr;
  }

  std::shared_ptr<Connection> RemoveIdleLocked(Connection& connection) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = idle_.find(connection.key);
    if (it == idle_.end()) return nullptr;
    auto& pool = it->second;
    for (auto entry = pool.begin(); entry != pool.end(); ++entry) {
      if (entry->get() == &connection) {
        std::shared_ptr<Connection> found = std::move(*entry);
        pool.erase(entry);
        --idle_count_;
        return found;
      }
    }
    return nullptr;
  }

  // Loop thread. Waits for a writer on the caller's thread to finish with the socket before closing it.
  void Close(const std::shared_ptr<Connection>& connection) {
    {
      absl::MutexLock write_lock(&connection->write_mu);
      CloseSocketLocked(*connection);
    }
    Forget(connection);
  }

  // Closes the socket (once): from here on nobody writes to it or registers it.
  void CloseSocketLocked(Connection& connection) ABSL_EXCLUSIVE_LOCKS_REQUIRED(connection.write_mu) {
    if (connection.closed.load(std::memory_order_relaxed)) return;
    connection.closed.store(true, std::memory_order_relaxed);
    epoll_ctl(epoll_, EPOLL_CTL_DEL, connection.fd, nullptr);
    close(connection.fd);
  }

  // Drops the loop's reference to a closed connection (kept until the current batch of epoll events is
  // done, since the batch may still name it).
  void Forget(const std::shared_ptr<Connection>& connection) {
    std::shared_ptr<Connection> dead;
    {
      absl::MutexLock lock(&mu_);
      auto it = connections_.find(connection.get());
      if (it == connections_.end()) return;
      dead = std::move(it->second);
      connections_.erase(it);
    }
    graveyard_.push_back(std::move(dead));
  }

  void ExpireDeadlines() {
    std::vector<std::shared_ptr<SocketExchange>> expired;
    {
      absl::MutexLock lock(&mu_);
      armed_ = Clock::time_point::max();
      const Clock::time_point now = Clock::now();
      for (auto it = deadlines_.begin(); it != deadlines_.end() && it->first <= now; ++it) {
        expired.push_back(it->second);
      }
    }
    for (auto& exchange : expired) {
      End(exchange, HttpResponse::Outcome::kTimedOut,
          absl::StrCat("no answer within ", absl::FormatDuration(exchange->timeout_)));
    }
    absl::MutexLock lock(&mu_);
    if (!deadlines_.empty()) ArmTimer(deadlines_.begin()->first);
  }

  void ReapIdle() {
    std::vector<std::shared_ptr<Connection>> stale;
    {
      absl::MutexLock lock(&mu_);
      const Clock::time_point limit = Clock::now() - ToClock(options_.max_idle_connection_age);
      for (auto& [key, pool] : idle_) {
        auto keep = std::stable_partition(pool.begin(), pool.end(),
                                          [&](const std::shared_ptr<Connection>& c) { return c->idle_since <= limit; });
        for (auto it = pool.begin(); it != keep; ++it) stale.push_back(std::move(*it));
        idle_count_ -= static_cast<size_t>(keep - pool.begin());
        pool.erase(pool.begin(), keep);
      }
    }
    for (auto& connection : stale) Close(connection);
    graveyard_.clear();
  }

  // Loop thread, once stopping_ is set: every exchange still running ends with kCancelled and every
  // connection closes. Start() refuses new exchanges from now on.
  void Shutdown() {
    // Tasks posted before the stop run first; what they start now is refused (stopping_ is set).
    std::vector<absl::AnyInvocable<void() &&>> tasks;
    {
      absl::MutexLock lock(&mu_);
      tasks.swap(tasks_);
    }
    for (auto& task : tasks) std::move(task)();
    std::vector<std::shared_ptr<SocketExchange>> running;
    std::vector<std::shared_ptr<Connection>> open;
    std::vector<std::shared_ptr<SocketExchange>> ready;
    {
      absl::MutexLock lock(&mu_);
      for (auto& [time, exchange] : deadlines_) running.push_back(exchange);
      for (auto& [raw, connection] : connections_) open.push_back(connection);
      ready.swap(ready_);
      cancels_.clear();
    }
    for (auto& exchange : running) End(exchange, HttpResponse::Outcome::kCancelled, "transport is shutting down");
    for (auto& connection : open) Close(connection);
    // A Dial() that failed while the exchanges above were being ended queued its exchange after the swap;
    // every exchange is claimed by now, so nothing more can be queued after this one.
    {
      absl::MutexLock lock(&mu_);
      for (auto& exchange : ready_) ready.push_back(std::move(exchange));
      ready_.clear();
    }
    for (auto& exchange : ready) exchange->Deliver();
    graveyard_.clear();
    absl::MutexLock lock(&mu_);
    idle_.clear();
    idle_count_ = 0;
  }

  const SocketTransportOptions& options_;
  int epoll_ = -1;
  int wake_ = -1;   // eventfd: cancellations, immediate failures, stop
  int timer_ = -1;  // timerfd: the earliest deadline
  std::thread thread_;

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_map<std::string, std::vector<std::shared_ptr<Connection>>> idle_ ABSL_GUARDED_BY(mu_);
  size_t idle_count_ ABSL_GUARDED_BY(mu_) = 0;
  // Every open connection (epoll's events name them by raw pointer).
  absl::flat_hash_map<Connection*, std::shared_ptr<Connection>> connections_ ABSL_GUARDED_BY(mu_);
  // Running exchanges by deadline; the map's reference keeps each alive until it ends.
  std::multimap<Clock::time_point, std::shared_ptr<SocketExchange>> deadlines_ ABSL_GUARDED_BY(mu_);
  Clock::time_point armed_ ABSL_GUARDED_BY(mu_) = Clock::time_point::max();
  std::vector<std::shared_ptr<SocketExchange>> cancels_ ABSL_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<SocketExchange>> ready_ ABSL_GUARDED_BY(mu_);  // ended in Start(): deliver
  std::vector<absl::AnyInvocable<void() &&>> tasks_ ABSL_GUARDED_BY(mu_);  // Post()ed, not run yet
  // Loop thread only.
  // Connections closed during the current batch of epoll events, which may still name them.
  std::vector<std::shared_ptr<Connection>> graveyard_;
  char buffer_[64 * 1024];
};

void SocketExchange::Cancel() {
  if (completed()) return;
  loop_->RequestCancel(shared_from_this());
}

bool SocketTransport::Serves(absl::string_view url) { return ParseUrl(url, nullptr); }

SocketTransport::SocketTransport(SocketTransportOptions options)
    : options_(std::make_unique<SocketTransportOptions>(std::move(options))) {
  const int count = std::max(1, options_->event_loops);
  for (int i = 0; i < count; ++i) loops_.push_back(std::make_unique<Loop>(*options_));
}

SocketTransport::~SocketTransport() {
  // Every loop stops before any is destroyed: a `done` run by the shutdown may call Start().
  for (auto& loop : loops_) loop->Stop();
  loops_.clear();
}

std::shared_ptr<HttpExchange> SocketTransport::StartIfServed(HttpRequest& request, HttpCallback& done) {
  Target target;
  if (!ParseUrl(request.url, &target)) return nullptr;
  Loop* loop = loops_[next_loop_.fetch_add(1, std::memory_order_relaxed) % loops_.size()].get();
  auto exchange = std::make_shared<SocketExchange>(loop, std::move(done), request.timeout, request.accept_compressed);
  exchange->head_ = RequestHead(request, target);
  exchange->body_ = std::move(request.body);
  loop->Begin(exchange, std::move(target));
  return exchange;
}

bool SocketTransport::Post(absl::AnyInvocable<void() &&>& task) {
  return loops_[next_loop_.fetch_add(1, std::memory_order_relaxed) % loops_.size()]->Post(task);
}

std::shared_ptr<HttpExchange> SocketTransport::Start(HttpRequest request, HttpCallback done) {
  if (auto exchange = StartIfServed(request, done)) return exchange;
  // Not a URL served here: the exchange fails with kNotSent (on the loop thread, never inside Start()).
  Loop* loop = loops_[next_loop_.fetch_add(1, std::memory_order_relaxed) % loops_.size()].get();
  auto exchange = std::make_shared<SocketExchange>(loop, std::move(done), request.timeout, request.accept_compressed);
  loop->Begin(exchange, std::nullopt);
  return exchange;
}

}  // namespace altgw::alternator
