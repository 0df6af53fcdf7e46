#include "alternator/fake_http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"

namespace altgw::testing {
namespace {

constexpr size_t kMaxHeaderBytes = 64 * 1024;

const char* ReasonPhrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 413: return "Payload Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

bool SetNonBlocking(int fd) {
  const int flags = fcntl(fd, F_GETFL, 0);
  return flags >= 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

bool FillAddress(const std::string& address, uint16_t port, sockaddr_in* out) {
  std::memset(out, 0, sizeof(*out));
  out->sin_family = AF_INET;
  out->sin_port = htons(port);
  return inet_pton(AF_INET, address.c_str(), &out->sin_addr) == 1;
}

bool HasHeader(const std::vector<std::pair<std::string, std::string>>& headers, absl::string_view name) {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& header) { return absl::EqualsIgnoreCase(header.first, name); });
}

}  // namespace

std::optional<std::string> RecordedRequest::Header(absl::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) return value;
  }
  return std::nullopt;
}

std::vector<std::string> RecordedRequest::HeaderNames() const {
  std::vector<std::string> names;
  for (const auto& header : headers) names.push_back(absl::AsciiStrToLower(header.first));
  std::sort(names.begin(), names.end());
  return names;
}

Reply Reply::Status(int status, std::string body) {
  Reply reply;
  reply.status = status;
  reply.body = std::move(body);
  return reply;
}

Reply Reply::Chunked(int status, std::string body, size_t chunk_size) {
  Reply reply = Status(status, std::move(body));
  reply.action = Action::kRespondChunked;
  reply.chunk_size = std::max<size_t>(1, chunk_size);
  return reply;
}

Reply Reply::Close() {
  Reply reply;
  reply.action = Action::kClose;
  return reply;
}

struct FakeHttpServer::Connection {
  int fd = -1;
  int id = 0;
  std::string in;
  std::string out;
  bool awaiting = false;  // a request was read and its answer is not queued yet
  std::optional<absl::Time> reply_at;
  Reply pending;
  bool closed = false;

  void Close() {
    if (fd >= 0) ::close(fd);
    fd = -1;
    closed = true;
  }
};

FakeHttpServer::FakeHttpServer(std::string address, uint16_t port) : address_(std::move(address)) {
  sockaddr_in addr;
  if (!FillAddress(address_, port, &addr)) {
    error_ = "bad address " + address_;
    return;
  }
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error_ = std::strerror(errno);
    return;
  }
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || ::listen(fd, 512) != 0 ||
      !SetNonBlocking(fd)) {
    error_ = absl::StrCat("bind/listen ", address_, ":", port, ": ", std::strerror(errno));
    ::close(fd);
    return;
  }
  socklen_t length = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length);
  port_ = ntohs(addr.sin_port);
  if (::pipe2(wake_pipe_, O_CLOEXEC | O_NONBLOCK) != 0) {
    error_ = std::strerror(errno);
    ::close(fd);
    return;
  }
  listen_fd_ = fd;
  thread_ = std::thread([this] { Run(); });
}

FakeHttpServer::~FakeHttpServer() {
  if (thread_.joinable()) {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    const char byte = 1;
    (void)!::write(wake_pipe_[1], &byte, 1);
    thread_.join();
  }
  for (auto& connection : connections_) connection->Close();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  for (int fd : wake_pipe_) {
    if (fd >= 0) ::close(fd);
  }
}

std::string FakeHttpServer::url() const { return absl::StrCat("http://", address_, ":", port_); }

void FakeHttpServer::Enqueue(Reply reply) {
  absl::MutexLock lock(&mu_);
  script_.push_back(std::move(reply));
}

void FakeHttpServer::SetHandler(Handler handler) {
  absl::MutexLock lock(&mu_);
  handler_ = std::move(handler);
}

void FakeHttpServer::StopListening() {
  if (std::this_thread::get_id() == thread_.get_id()) {
    CloseListener();
    return;
  }
  {
    absl::MutexLock lock(&mu_);
    stop_listening_ = true;
  }
  const char byte = 1;
  (void)!::write(wake_pipe_[1], &byte, 1);
}

int FakeHttpServer::CloseIdleConnections() {
  uint64_t ticket;
  {
    absl::MutexLock lock(&mu_);
    ticket = ++close_idle_requested_;
  }
  const char byte = 1;
  (void)!::write(wake_pipe_[1], &byte, 1);
  absl::MutexLock lock(&mu_);
  auto done = [this, ticket]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return close_idle_done_ >= ticket || stopping_; };
  mu_.Await(absl::Condition(&done));
  return close_idle_count_;
}

void FakeHttpServer::CloseListener() {
  if (listen_fd_ >= 0) ::close(listen_fd_);
  listen_fd_ = -1;
}

std::vector<RecordedRequest> FakeHttpServer::requests() const {
  absl::MutexLock lock(&mu_);
  return requests_;
}

size_t FakeHttpServer::request_count() const {
  absl::MutexLock lock(&mu_);
  return requests_.size();
}

int FakeHttpServer::connections_accepted() const {
  absl::MutexLock lock(&mu_);
  return accepted_;
}

int FakeHttpServer::connections_closed_by_client() const {
  absl::MutexLock lock(&mu_);
  return closed_by_client_;
}

int FakeHttpServer::connections_dropped_by_client() const {
  absl::MutexLock lock(&mu_);
  return dropped_;
}

bool FakeHttpServer::WaitForRequests(size_t count, absl::Duration timeout) const {
  auto reached = [this, count]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return requests_.size() >= count; };
  const bool ok = mu_.LockWhenWithTimeout(absl::Condition(&reached), timeout);
  mu_.Unlock();
  return ok;
}

bool FakeHttpServer::WaitForClientDrops(int count, absl::Duration timeout) const {
  auto reached = [this, count]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return dropped_ >= count; };
  const bool ok = mu_.LockWhenWithTimeout(absl::Condition(&reached), timeout);
  mu_.Unlock();
  return ok;
}

Reply FakeHttpServer::NextReply(const RecordedRequest& request) {
  Handler handler;
  {
    absl::MutexLock lock(&mu_);
    if (!script_.empty()) {
      Reply reply = std::move(script_.front());
      script_.pop_front();
      return reply;
    }
    handler = handler_;
  }
  // The handler runs without the lock, so it may call the server's accessors.
  return handler ? handler(request) : Reply::Ok("{}");
}

void FakeHttpServer::Run() {
  std::vector<pollfd> fds;
  std::vector<Connection*> polled;
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      if (stop_listening_) CloseListener();
      if (close_idle_done_ < close_idle_requested_) {
        close_idle_count_ = 0;
        for (auto& connection : connections_) {
          if (!connection->closed && !connection->awaiting && connection->out.empty() && !connection->reply_at &&
              connection->in.empty()) {
            connection->Close();
            ++close_idle_count_;
          }
        }
        close_idle_done_ = close_idle_requested_;
      }
    }
    connections_.erase(std::remove_if(connections_.begin(), connections_.end(),
                                      [](const auto& connection) { return connection->closed; }),
                       connections_.end());
    fds.clear();
    polled.clear();
    fds.push_back({wake_pipe_[0], POLLIN, 0});
    fds.push_back({listen_fd_, POLLIN, 0});  // ignored by poll() once closed (-1)
    std::optional<absl::Time> next_reply;
    for (auto& connection : connections_) {
      short events = POLLIN;  // also while an answer is pending: that is how a dropped client shows
      if (!connection->out.empty()) events |= POLLOUT;
      fds.push_back({connection->fd, events, 0});
      polled.push_back(connection.get());
      if (connection->reply_at && (!next_reply || *connection->reply_at < *next_reply)) {
        next_reply = connection->reply_at;
      }
    }
    int timeout_ms = 1000;
    if (next_reply) {
      timeout_ms = static_cast<int>(std::clamp<int64_t>(
          absl::ToInt64Milliseconds(absl::Ceil(*next_reply - absl::Now(), absl::Milliseconds(1))), 0, 1000));
    }
    if (::poll(fds.data(), fds.size(), timeout_ms) < 0 && errno != EINTR) return;

    if (fds[0].revents != 0) {
      char buffer[64];
      while (::read(wake_pipe_[0], buffer, sizeof(buffer)) > 0) {
      }
    }
    if (listen_fd_ >= 0 && (fds[1].revents & POLLIN)) {
      for (;;) {
        const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) break;
        const int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        auto connection = std::make_unique<Connection>();
        connection->fd = fd;
        {
          absl::MutexLock lock(&mu_);
          connection->id = ++accepted_;
        }
        connections_.push_back(std::move(connection));
      }
    }
    for (size_t i = 0; i < polled.size(); ++i) {
      Connection& connection = *polled[i];
      const short revents = fds[i + 2].revents;
      if (!connection.closed && (revents & (POLLIN | POLLHUP | POLLERR))) OnReadable(connection);
      if (!connection.closed && (revents & POLLOUT)) Flush(connection);
    }
    const absl::Time now = absl::Now();
    for (Connection* connection : polled) {
      if (!connection->closed && connection->reply_at && *connection->reply_at <= now) {
        connection->reply_at.reset();
        StartReply(*connection, std::move(connection->pending));
      }
    }
    connections_.erase(std::remove_if(connections_.begin(), connections_.end(),
                                      [](const auto& connection) { return connection->closed; }),
                       connections_.end());
  }
}

void FakeHttpServer::OnReadable(Connection& connection) {
  char buffer[65536];
  for (;;) {
    const ssize_t got = ::recv(connection.fd, buffer, sizeof(buffer), 0);
    if (got > 0) {
      connection.in.append(buffer, static_cast<size_t>(got));
      continue;
    }
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (got < 0 && errno == EINTR) continue;
    // End of stream or reset: the client went away.
    {
      absl::MutexLock lock(&mu_);
      ++closed_by_client_;
      if (connection.awaiting || !connection.out.empty()) ++dropped_;
    }
    connection.Close();
    return;
  }
  Serve(connection);
}

void FakeHttpServer::Serve(Connection& connection) {
  while (!connection.closed && !connection.awaiting) {
    const size_t header_end = connection.in.find("\r\n\r\n");
    if (header_end == std::string::npos) {
      if (connection.in.size() > kMaxHeaderBytes) connection.Close();
      return;
    }
    RecordedRequest request;
    std::vector<absl::string_view> lines =
        absl::StrSplit(absl::string_view(connection.in).substr(0, header_end), "\r\n");
    std::vector<absl::string_view> request_line = absl::StrSplit(lines[0], ' ');
    if (request_line.size() != 3) {
      connection.Close();
      return;
    }
    request.method = std::string(request_line[0]);
    request.target = std::string(request_line[1]);
    size_t content_length = 0;
    for (size_t i = 1; i < lines.size(); ++i) {
      const size_t colon = lines[i].find(':');
      if (colon == absl::string_view::npos) continue;
      std::string name(lines[i].substr(0, colon));
      std::string value(absl::StripAsciiWhitespace(lines[i].substr(colon + 1)));
      if (absl::EqualsIgnoreCase(name, "Content-Length") && !absl::SimpleAtoi(value, &content_length)) {
        connection.Close();
        return;
      }
      request.headers.emplace_back(std::move(name), std::move(value));
    }
    const size_t body_start = header_end + 4;
    if (connection.in.size() < body_start + content_length) return;  // the body is still coming
    request.body = connection.in.substr(body_start, content_length);
    connection.in.erase(0, body_start + content_length);
    request.connection = connection.id;
    request.received = absl::Now();
    {
      absl::MutexLock lock(&mu_);
      requests_.push_back(request);
    }
    Reply reply = NextReply(request);
    connection.awaiting = true;
    if (reply.delay > absl::ZeroDuration()) {
      connection.reply_at = absl::Now() + reply.delay;
      connection.pending = std::move(reply);
      return;
    }
    StartReply(connection, std::move(reply));
  }
}

void FakeHttpServer::StartReply(Connection& connection, Reply reply) {
  if (reply.action == Reply::Action::kClose) {
    connection.Close();
    return;
  }
  std::string& out = connection.out;
  absl::StrAppend(&out, "HTTP/1.1 ", reply.status, " ", ReasonPhrase(reply.status), "\r\n");
  if (!HasHeader(reply.headers, "Content-Type")) out += "Content-Type: application/x-amz-json-1.0\r\n";
  for (const auto& [name, value] : reply.headers) absl::StrAppend(&out, name, ": ", value, "\r\n");
  if (reply.action == Reply::Action::kRespondChunked) {
    out += "Transfer-Encoding: chunked\r\n\r\n";
    for (size_t at = 0; at < reply.body.size(); at += reply.chunk_size) {
      const absl::string_view chunk = absl::string_view(reply.body).substr(at, reply.chunk_size);
      absl::StrAppend(&out, absl::Hex(chunk.size()), "\r\n", chunk, "\r\n");
    }
    out += "0\r\n\r\n";
  } else {
    absl::StrAppend(&out, "Content-Length: ", reply.body.size(), "\r\n\r\n", reply.body);
  }
  connection.awaiting = false;
  Flush(connection);
  Serve(connection);  // a request that arrived meanwhile (pipelining)
}

void FakeHttpServer::Flush(Connection& connection) {
  while (!connection.out.empty()) {
    const ssize_t sent = ::send(connection.fd, connection.out.data(), connection.out.size(), MSG_NOSIGNAL);
    if (sent > 0) {
      connection.out.erase(0, static_cast<size_t>(sent));
      continue;
    }
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (sent < 0 && errno == EINTR) continue;
    {
      absl::MutexLock lock(&mu_);
      ++dropped_;
    }
    connection.Close();
    return;
  }
}

RefusingPort::RefusingPort(const std::string& address) : address_(address) {
  sockaddr_in addr;
  if (!FillAddress(address, 0, &addr)) return;
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return;
  }
  socklen_t length = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length);
  port_ = ntohs(addr.sin_port);
  fd_ = fd;
}

RefusingPort::~RefusingPort() {
  if (fd_ >= 0) ::close(fd_);
}

std::string RefusingPort::url() const { return absl::StrCat("http://", address_, ":", port_); }

std::vector<std::unique_ptr<FakeHttpServer>> MakeServersOnSharedPort(int count) {
  for (int tries = 0; tries < 20; ++tries) {
    std::vector<std::unique_ptr<FakeHttpServer>> servers;
    servers.push_back(std::make_unique<FakeHttpServer>("127.0.0.1", 0));
    if (!servers.back()->ok()) continue;
    const uint16_t port = servers.back()->port();
    for (int i = 1; i < count; ++i) {
      servers.push_back(std::make_unique<FakeHttpServer>(absl::StrCat("127.0.0.", i + 1), port));
      if (!servers.back()->ok()) break;
    }
    if (servers.back()->ok()) return servers;
  }
  return {};
}

}  // namespace altgw::testing
