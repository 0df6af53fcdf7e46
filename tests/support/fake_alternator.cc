#include "support/fake_alternator.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <list>
#include <thread>

#include "nlohmann/json.hpp"

namespace altgw::testing {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr size_t kMaxHeaderBytes = 64 * 1024;
constexpr size_t kMaxBodyBytes = 16 * 1024 * 1024;  // Alternator's request size cap
constexpr size_t kRecordedBodyBytes = 1024 * 1024;
constexpr char kErrorPrefix[] = "com.amazonaws.dynamodb.v20120810#";

// A bind() failure: the cluster retries with another port when it picked the port itself.
class BindError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) text.remove_suffix(1);
  return text;
}

std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

std::optional<std::string> FindHeader(const Headers& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) return value;
  }
  return std::nullopt;
}

bool HeaderHasToken(const Headers& headers, std::string_view name, std::string_view token) {
  for (const auto& [key, value] : headers) {
    if (!EqualsIgnoreCase(key, name)) continue;
    for (std::string_view part : Split(value, ',')) {
      if (EqualsIgnoreCase(Trim(part), token)) return true;
    }
  }
  return false;
}

std::string PercentDecode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

std::map<std::string, std::string> ParseQuery(std::string_view query) {
  std::map<std::string, std::string> params;
  if (query.empty()) return params;
  for (std::string_view pair : Split(query, '&')) {
    const size_t equals = pair.find('=');
    std::string key = PercentDecode(pair.substr(0, equals));
    std::string value = equals == std::string_view::npos ? "" : PercentDecode(pair.substr(equals + 1));
    params.emplace(std::move(key), std::move(value));
  }
  return params;
}

const char* ReasonPhrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 413: return "Payload Too Large";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

std::string ErrorBody(std::string_view type, std::string_view message) {
  return nlohmann::json{{"__type", std::string(kErrorPrefix) + std::string(type)}, {"message", std::string(message)}}.dump();
}

bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t sent = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent <= 0) return false;
    data.remove_prefix(static_cast<size_t>(sent));
  }
  return true;
}

sockaddr_in Address(const std::string& ip, int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, ip.c_str(), &address.sin_addr) != 1) {
    throw std::invalid_argument("fake Alternator: not an IPv4 address: " + ip);
  }
  return address;
}

// A TCP socket bound to ip:port with SO_REUSEADDR (so a listener and a placeholder can take turns on the
// address); listening when `listen_backlog` > 0. Throws BindError.
int BoundSocket(const std::string& ip, int port, int listen_backlog) {
  const sockaddr_in address = Address(ip, port);
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (listen_backlog > 0 ? SOCK_NONBLOCK : 0), 0);
  if (fd < 0) throw BindError(std::string("socket: ") + std::strerror(errno));
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0 ||
      (listen_backlog > 0 && listen(fd, listen_backlog) != 0)) {
    const int error = errno;
    close(fd);
    throw BindError("fake Alternator: cannot " + std::string(listen_backlog > 0 ? "listen on " : "bind ") + ip +
                    ":" + std::to_string(port) + ": " + std::strerror(error));
  }
  return fd;
}

// ---------------------------------------------------------------------------------------------------------
// HTTP/1.1 on a blocking socket.

struct HttpRequest {
  std::string method;
  std::string target;
  std::string version;
  Headers headers;
  std::string body;
  bool keep_alive = true;
};

struct HttpResponse {
  int status = 200;
  std::string content_type;
  std::string body;
  std::string content_encoding;  // set when the body is compressed
  bool chunked = false;
  bool close = false;  // Connection: close after this answer
};

enum class ReadStatus { kOk, kClosed, kBadRequest, kHeadersTooLarge, kTooLarge };

class Connection {
 public:
  explicit Connection(int fd) : fd_(fd) {}

  ReadStatus Read(HttpRequest& request) {
    request = HttpRequest();
    size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (buffer_.size() > kMaxHeaderBytes) return ReadStatus::kHeadersTooLarge;
      if (!Receive()) return ReadStatus::kClosed;
    }
    if (end > kMaxHeaderBytes) return ReadStatus::kHeadersTooLarge;
    const std::string head = buffer_.substr(0, end);
    buffer_.erase(0, end + 4);

    const std::vector<std::string_view> lines = Split(head, '\n');
    const std::vector<std::string_view> words = Split(Trim(lines[0]), ' ');
    if (words.size() != 3) return ReadStatus::kBadRequest;
    request.method = std::string(words[0]);
    request.target = std::string(words[1]);
    request.version = std::string(words[2]);
    for (size_t i = 1; i < lines.size(); ++i) {
      const std::string_view line = Trim(lines[i]);
      if (line.empty()) continue;
      const size_t colon = line.find(':');
      if (colon == std::string_view::npos || colon == 0) return ReadStatus::kBadRequest;
      request.headers.emplace_back(std::string(line.substr(0, colon)), std::string(Trim(line.substr(colon + 1))));
    }
    if (request.version == "HTTP/1.0") {
      request.keep_alive = HeaderHasToken(request.headers, "Connection", "keep-alive");
    } else {
      request.keep_alive = !HeaderHasToken(request.headers, "Connection", "close");
    }

    const bool expect_continue = HeaderHasToken(request.headers, "Expect", "100-continue");
    if (HeaderHasToken(request.headers, "Transfer-Encoding", "chunked")) {
      if (expect_continue && buffer_.empty() && !SendAll(fd_, "HTTP/1.1 100 Continue\r\n\r\n")) {
        return ReadStatus::kClosed;
      }
      return ReadChunked(request.body);
    }
    size_t length = 0;
    if (auto value = FindHeader(request.headers, "Content-Length")) {
      try {
        size_t used = 0;
        length = std::stoull(*value, &used);
        if (used != value->size()) return ReadStatus::kBadRequest;
      } catch (const std::exception&) {
        return ReadStatus::kBadRequest;
      }
    }
    if (length > kMaxBodyBytes) return ReadStatus::kTooLarge;
    if (expect_continue && length > buffer_.size() && !SendAll(fd_, "HTTP/1.1 100 Continue\r\n\r\n")) {
      return ReadStatus::kClosed;
    }
    while (buffer_.size() < length) {
      if (!Receive()) return ReadStatus::kClosed;
    }
    request.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return ReadStatus::kOk;
  }

  bool Write(const HttpResponse& response) {
    std::string head = "HTTP/1.1 " + std::to_string(response.status) + " " + ReasonPhrase(response.status) +
                       "\r\nServer: Seastar httpd\r\n";
    if (!response.content_type.empty()) head += "Content-Type: " + response.content_type + "\r\n";
    if (!response.content_encoding.empty()) head += "Content-Encoding: " + response.content_encoding + "\r\n";
    if (response.close) head += "Connection: close\r\n";
    if (!response.chunked) {
      head += "Content-Length: " + std::to_string(response.body.size()) + "\r\n\r\n";
      if (response.body.size() < 64 * 1024) return SendAll(fd_, head + response.body);
      return SendAll(fd_, head) && SendAll(fd_, response.body);
    }
    head += "Transfer-Encoding: chunked\r\n\r\n";
    if (!SendAll(fd_, head)) return false;
    constexpr size_t kChunk = 16 * 1024;
    for (size_t offset = 0; offset < response.body.size(); offset += kChunk) {
      const std::string_view piece = std::string_view(response.body).substr(offset, kChunk);
      char size_line[32];
      std::snprintf(size_line, sizeof(size_line), "%zx\r\n", piece.size());
      if (!SendAll(fd_, size_line) || !SendAll(fd_, piece) || !SendAll(fd_, "\r\n")) return false;
    }
    return SendAll(fd_, "0\r\n\r\n");
  }

 private:
  bool Receive() {
    char chunk[64 * 1024];
    while (true) {
      const ssize_t received = recv(fd_, chunk, sizeof(chunk), 0);
      if (received < 0 && errno == EINTR) continue;
      if (received <= 0) return false;
      buffer_.append(chunk, static_cast<size_t>(received));
      return true;
    }
  }

  bool ReadLine(std::string& line) {
    size_t end;
    while ((end = buffer_.find("\r\n")) == std::string::npos) {
      if (buffer_.size() > kMaxHeaderBytes || !Receive()) return false;
    }
    line = buffer_.substr(0, end);
    buffer_.erase(0, end + 2);
    return true;
  }

  ReadStatus ReadChunked(std::string& body) {
    std::string line;
    while (true) {
      if (!ReadLine(line)) return ReadStatus::kClosed;
      size_t size = 0;
      try {
        size = std::stoull(std::string(Trim(std::string_view(line).substr(0, line.find(';')))), nullptr, 16);
      } catch (const std::exception&) {
        return ReadStatus::kBadRequest;
      }
      if (size == 0) break;
      if (body.size() + size > kMaxBodyBytes) return ReadStatus::kTooLarge;
      while (buffer_.size() < size + 2) {
        if (!Receive()) return ReadStatus::kClosed;
      }
      body.append(buffer_, 0, size);
      buffer_.erase(0, size + 2);
    }
    do {  // trailers, up to the empty line
      if (!ReadLine(line)) return ReadStatus::kClosed;
    } while (!line.empty());
    return ReadStatus::kOk;
  }

  int fd_;
  std::string buffer_;
};

// ---------------------------------------------------------------------------------------------------------
// Forwarding to DynamoDB Local.

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
using CurlHandle = std::unique_ptr<CURL, CurlDeleter>;

size_t AppendToString(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

struct Forwarded {
  bool ok = false;
  std::string error;
  long status = 0;
  std::string content_type;
  std::string body;
};

Forwarded Forward(CurlHandle& curl, const std::string& endpoint, const HttpRequest& request,
                  const std::string& body, std::chrono::milliseconds timeout) {
  if (!curl) curl.reset(curl_easy_init());
  Forwarded result;
  curl_slist* headers = nullptr;
  for (const char* name : {"X-Amz-Target", "Content-Type", "Authorization", "X-Amz-Date", "X-Amz-Security-Token"}) {
    const std::optional<std::string> value = FindHeader(request.headers, name);
    // "Name:" removes a header curl would add by itself (Content-Type for a POST).
    headers = curl_slist_append(headers, (std::string(name) + ":" + (value ? " " + *value : "")).c_str());
  }
  headers = curl_slist_append(headers, "Expect:");
  headers = curl_slist_append(headers, "Accept:");
  CURL* handle = curl.get();
  const std::string url = endpoint + "/";
  curl_easy_setopt(handle, CURLOPT_URL, url.c_str());
  curl_easy_setopt(handle, CURLOPT_POST, 1L);
  curl_easy_setopt(handle, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, &AppendToString);
  curl_easy_setopt(handle, CURLOPT_WRITEDATA, &result.body);
  curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
  const CURLcode code = curl_easy_perform(handle);
  if (code == CURLE_OK) {
    result.ok = true;
    curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &result.status);
    char* content_type = nullptr;
    curl_easy_getinfo(handle, CURLINFO_CONTENT_TYPE, &content_type);
    result.content_type = content_type != nullptr ? content_type : "application/x-amz-json-1.0";
  } else {
    result.error = curl_easy_strerror(code);
  }
  curl_easy_setopt(handle, CURLOPT_HTTPHEADER, nullptr);
  curl_slist_free_all(headers);
  return result;
}

// The encoding to answer in, from Accept-Encoding: "gzip", "deflate" or "" (identity).
std::string ChooseEncoding(const Headers& headers) {
  bool gzip = false;
  bool deflate = false;
  for (const auto& [key, value] : headers) {
    if (!EqualsIgnoreCase(key, "Accept-Encoding")) continue;
    for (std::string_view item : Split(value, ',')) {
      const std::vector<std::string_view> parts = Split(item, ';');
      const std::string coding = Lower(Trim(parts[0]));
      bool refused = false;
      for (size_t i = 1; i < parts.size(); ++i) {
        const std::string_view parameter = Trim(parts[i]);
        if (parameter.size() > 2 && (parameter[0] == 'q' || parameter[0] == 'Q') && parameter[1] == '=') {
          refused = std::strtod(std::string(parameter.substr(2)).c_str(), nullptr) <= 0.0;
        }
      }
      if (refused) continue;
      if (coding == "gzip" || coding == "x-gzip" || coding == "*") gzip = true;
      if (coding == "deflate") deflate = true;
    }
  }
  return gzip ? "gzip" : deflate ? "deflate" : "";
}

bool IsUnsupportedOperation(const std::string& operation, bool supports_transactions) {
  if (operation == "TransactWriteItems" || operation == "TransactGetItems") return !supports_transactions;
  return operation == "ExecuteStatement" || operation == "BatchExecuteStatement" ||
         operation == "ExecuteTransaction";  // PartiQL
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------

int64_t FakeNodeCounters::operation(std::string_view name) const {
  const auto it = operations.find(std::string(name));
  return it == operations.end() ? 0 : it->second;
}

FakeNodeCounters& FakeNodeCounters::operator+=(const FakeNodeCounters& other) {
  for (const auto& [name, count] : other.operations) operations[name] += count;
  dynamodb_requests += other.dynamodb_requests;
  forwarded += other.forwarded;
  localnodes_requests += other.localnodes_requests;
  health_requests += other.health_requests;
  other_requests += other.other_requests;
  connections_accepted += other.connections_accepted;
  return *this;
}

std::optional<std::string> FakeRequestRecord::header(std::string_view name) const {
  return FindHeader(headers, name);
}

std::vector<std::string> FakeRequestRecord::HeaderNames() const {
  std::vector<std::string> names;
  for (const auto& header : headers) names.push_back(Lower(header.first));
  std::sort(names.begin(), names.end());
  return names;
}

namespace fake_alternator {

std::string Compress(std::string_view data, bool zlib_format) {
  z_stream stream{};
  if (deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, zlib_format ? 15 : 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    throw std::runtime_error("deflateInit2 failed");
  }
  std::string out(deflateBound(&stream, data.size()) + 32, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const int result = ::deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  if (result != Z_STREAM_END) throw std::runtime_error("deflate failed");
  return out;
}

namespace {
std::optional<std::string> Inflate(std::string_view data, int window_bits, size_t max_bytes) {
  z_stream stream{};
  if (inflateInit2(&stream, window_bits) != Z_OK) return std::nullopt;
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char chunk[64 * 1024];
  bool ok = false;
  while (true) {
    stream.next_out = reinterpret_cast<Bytef*>(chunk);
    stream.avail_out = sizeof(chunk);
    const int result = inflate(&stream, Z_NO_FLUSH);
    out.append(chunk, sizeof(chunk) - stream.avail_out);
    if (out.size() > max_bytes) break;
    if (result == Z_STREAM_END) {
      if (stream.avail_in == 0) {
        ok = true;
        break;
      }
      if (inflateReset(&stream) != Z_OK) break;  // another gzip member follows
      continue;
    }
    if (result != Z_OK || (stream.avail_in == 0 && stream.avail_out != 0)) break;  // corrupt or truncated
  }
  inflateEnd(&stream);
  if (!ok) return std::nullopt;
  return out;
}
}  // namespace

std::optional<std::string> Decompress(std::string_view data, std::string_view encoding, size_t max_bytes) {
  const std::string coding = Lower(Trim(encoding));
  if (coding.empty() || coding == "identity") return std::string(data);
  if (coding == "gzip" || coding == "x-gzip") return Inflate(data, 15 + 16, max_bytes);
  if (coding == "deflate") {
    if (auto zlib = Inflate(data, 15, max_bytes)) return zlib;
    return Inflate(data, -15, max_bytes);  // raw deflate, as some clients send it
  }
  return std::nullopt;
}

}  // namespace fake_alternator

// ---------------------------------------------------------------------------------------------------------

struct FakeAlternatorNode::Impl {
  struct FaultEntry {
    Fault fault;
    int remaining;  // kEvery: unlimited
    std::string operation;
  };
  struct ClientConnection {
    int fd = -1;  // guarded by conn_mutex; -1 once closed
    std::thread thread;
    bool done = false;  // guarded by conn_mutex
  };
  // What handling a request ends with.
  struct Outcome {
    bool answer = true;  // false: close the connection without answering
    HttpResponse response;
  };

  FakeAlternatorCluster* cluster;
  const FakeNodeSpec spec;
  const int port;
  std::atomic<Listing> listing_state;
  std::atomic<bool> is_running{false};

  std::mutex lifecycle_mutex;  // serialises Start/Stop
  int listen_fd = -1;          // lifecycle_mutex
  int placeholder_fd = -1;     // lifecycle_mutex: bound, not listening, while stopped
  int wake_fd = -1;
  std::thread accept_thread;

  std::mutex conn_mutex;
  std::condition_variable stop_cv;  // wakes delays when the node stops
  bool stopping = false;            // conn_mutex
  std::list<std::unique_ptr<ClientConnection>> connections;  // conn_mutex

  mutable std::mutex state_mutex;
  std::chrono::milliseconds delay{0};         // state_mutex
  DelayPoint delay_point = DelayPoint::kBeforeAnswer;
  std::deque<FaultEntry> faults;              // state_mutex
  LocalnodesFault localnodes_fault = LocalnodesFault::kNone;
  std::optional<std::pair<int, std::string>> localnodes_answer;
  FakeNodeOptions options;
  FakeNodeCounters counters;
  std::deque<FakeRequestRecord> recent;
  uint64_t connection_sequence = 0;

  Impl(FakeAlternatorCluster* owner, FakeNodeSpec node_spec, int node_port, FakeNodeOptions node_options)
      : cluster(owner), spec(std::move(node_spec)), port(node_port), options(std::move(node_options)) {
    Address(spec.ip, port);  // validates the address
    listing_state = !spec.listed ? Listing::kNever : spec.live ? Listing::kWhenRunning : Listing::kAlways;
    wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_fd < 0) throw std::runtime_error(std::string("eventfd: ") + std::strerror(errno));
  }

  ~Impl() {
    Stop();
    if (placeholder_fd >= 0) close(placeholder_fd);
    close(wake_fd);
  }

  void HoldAddress() {  // lifecycle_mutex held
    if (placeholder_fd < 0) placeholder_fd = BoundSocket(spec.ip, port, 0);
  }

  void Start() {
    std::lock_guard<std::mutex> lifecycle(lifecycle_mutex);
    if (is_running) return;
    int fd;
    try {
      fd = BoundSocket(spec.ip, port, 1024);
    } catch (const BindError&) {
      if (placeholder_fd < 0) throw;
      close(placeholder_fd);  // in case the kernel will not share the address with our own placeholder
      placeholder_fd = -1;
      try {
        fd = BoundSocket(spec.ip, port, 1024);
      } catch (const BindError&) {
        try {
          HoldAddress();
        } catch (const BindError&) {
        }
        throw;
      }
    }
    if (placeholder_fd >= 0) {
      close(placeholder_fd);
      placeholder_fd = -1;
    }
    listen_fd = fd;
    uint64_t drained;
    while (read(wake_fd, &drained, sizeof(drained)) > 0) {
    }
    {
      std::lock_guard<std::mutex> lock(conn_mutex);
      stopping = false;
    }
    is_running = true;
    accept_thread = std::thread([this] { AcceptLoop(); });
  }

  void Stop() {
    std::lock_guard<std::mutex> lifecycle(lifecycle_mutex);
    if (!is_running) return;
    is_running = false;
    {
      std::lock_guard<std::mutex> lock(conn_mutex);
      stopping = true;
    }
    stop_cv.notify_all();
    const uint64_t one = 1;
    (void)!write(wake_fd, &one, sizeof(one));
    accept_thread.join();
    close(listen_fd);  // refuses new connections; resets those not yet accepted
    listen_fd = -1;
    try {
      HoldAddress();
    } catch (const BindError&) {
    }
    std::list<std::unique_ptr<ClientConnection>> dropped;
    {
      std::lock_guard<std::mutex> lock(conn_mutex);
      for (auto& connection : connections) {
        if (connection->fd >= 0) shutdown(connection->fd, SHUT_RDWR);  // wakes its thread, sends FIN
      }
      dropped.swap(connections);
    }
    for (auto& connection : dropped) connection->thread.join();
  }

  bool listed() const {
    const Listing listing = listing_state;
    return listing == Listing::kAlways || (listing == Listing::kWhenRunning && is_running);
  }

  void AcceptLoop() {
    while (true) {
      pollfd fds[2] = {{listen_fd, POLLIN, 0}, {wake_fd, POLLIN, 0}};
      if (poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        return;
      }
      if (fds[1].revents != 0) return;
      if (fds[0].revents == 0) continue;
      const int fd = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EMFILE || errno == ENFILE) std::this_thread::sleep_for(std::chrono::milliseconds(10));
        continue;
      }
      const int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      uint64_t sequence;
      {
        std::lock_guard<std::mutex> lock(state_mutex);
        ++counters.connections_accepted;
        sequence = ++connection_sequence;
      }
      std::lock_guard<std::mutex> lock(conn_mutex);
      for (auto it = connections.begin(); it != connections.end();) {  // reap finished connections
        if ((*it)->done) {
          (*it)->thread.join();
          it = connections.erase(it);
        } else {
          ++it;
        }
      }
      auto connection = std::make_unique<ClientConnection>();
      connection->fd = fd;
      ClientConnection* raw = connection.get();
      connections.push_back(std::move(connection));
      raw->thread = std::thread([this, raw, fd, sequence] { Serve(raw, fd, sequence); });
    }
  }

  // Waits `duration` unless the node stops first; false when it stopped.
  bool Wait(std::chrono::milliseconds duration) {
    if (duration.count() <= 0) return true;
    std::unique_lock<std::mutex> lock(conn_mutex);
    return !stop_cv.wait_for(lock, duration, [this] { return stopping; });
  }

  std::chrono::milliseconds DelayAt(DelayPoint point) {
    std::lock_guard<std::mutex> lock(state_mutex);
    return delay_point == point ? delay : std::chrono::milliseconds(0);
  }

  void Serve(ClientConnection* self, int fd, uint64_t sequence) {
    Connection connection(fd);
    CurlHandle curl;
    HttpRequest request;
    while (true) {
      const ReadStatus status = connection.Read(request);
      if (status == ReadStatus::kClosed) break;
      if (status != ReadStatus::kOk) {
        HttpResponse response;
        response.close = true;
        response.content_type = "application/x-amz-json-1.0";
        response.status = status == ReadStatus::kTooLarge ? 413 : status == ReadStatus::kHeadersTooLarge ? 431 : 400;
        response.body = status == ReadStatus::kTooLarge
                            ? ErrorBody("PayloadTooLarge", "Request content length limit of 16777216 bytes exceeded")
                            : ErrorBody("ValidationException", "malformed HTTP request");
        connection.Write(response);
        break;
      }
      if (!Wait(DelayAt(DelayPoint::kBeforeProcessing))) break;
      Outcome outcome = Handle(request, sequence, curl);
      if (!outcome.answer) break;
      if (!Wait(DelayAt(DelayPoint::kBeforeAnswer))) break;
      {
        // A node stopped while this request was processed answers nothing (Stop() drops the connection).
        std::lock_guard<std::mutex> lock(conn_mutex);
        if (stopping) break;
      }
      if (!request.keep_alive) outcome.response.close = true;
      if (!connection.Write(outcome.response) || outcome.response.close) break;
    }
    std::lock_guard<std::mutex> lock(conn_mutex);
    close(fd);
    self->fd = -1;
    self->done = true;
  }

  void Record(const HttpRequest& request, std::string operation, const std::string* decoded, uint64_t sequence) {
    std::lock_guard<std::mutex> lock(state_mutex);
    if (options.record_last == 0) return;
    FakeRequestRecord record;
    record.method = request.method;
    record.target = request.target;
    record.operation = std::move(operation);
    record.headers = request.headers;
    record.wire_body_bytes = request.body.size();
    const std::string& body = decoded != nullptr ? *decoded : request.body;
    record.body = body.substr(0, kRecordedBodyBytes);
    record.connection = sequence;
    recent.push_back(std::move(record));
    while (recent.size() > options.record_last) recent.pop_front();
  }

  Outcome Handle(const HttpRequest& request, uint64_t sequence, CurlHandle& curl) {
    const size_t question = request.target.find('?');
    const std::string path = request.target.substr(0, question);
    const std::string query = question == std::string::npos ? "" : request.target.substr(question + 1);
    if (request.method == "POST" && path == "/") return HandleDynamoDb(request, sequence, curl);
    Outcome outcome;
    HttpResponse& response = outcome.response;
    if (request.method == "GET" && path == "/") {
      Record(request, "", nullptr, sequence);
      {
        std::lock_guard<std::mutex> lock(state_mutex);
        ++counters.health_requests;
      }
      response.content_type = "text/plain";
      response.body = "healthy: " + FindHeader(request.headers, "Host").value_or("");
      return outcome;
    }
    if (request.method == "GET" && path == "/localnodes") {
      Record(request, "", nullptr, sequence);
      LocalnodesFault fault;
      std::optional<std::pair<int, std::string>> custom;
      {
        std::lock_guard<std::mutex> lock(state_mutex);
        ++counters.localnodes_requests;
        fault = localnodes_fault;
        custom = localnodes_answer;
      }
      response.content_type = "application/json";
      if (custom) {
        response.status = custom->first;
        response.body = custom->second;
        return outcome;
      }
      switch (fault) {
        case LocalnodesFault::kInternalError:
          response.status = 500;
          response.content_type = "text/plain";
          response.body = "Internal server error: injected /localnodes fault";
          return outcome;
        case LocalnodesFault::kGarbage:
          response.body = "<html>this is not a node list[";
          return outcome;
        case LocalnodesFault::kCloseConnection:
          outcome.answer = false;
          return outcome;
        case LocalnodesFault::kNone:
          break;
      }
      const std::map<std::string, std::string> params = ParseQuery(query);
      std::string dc = spec.dc;
      std::string rack;
      if (auto it = params.find("dc"); it != params.end() && !it->second.empty() && cluster->localnodes_dc_param()) {
        dc = it->second;
      }
      if (auto it = params.find("rack"); it != params.end() && cluster->localnodes_rack_param()) rack = it->second;
      response.body = nlohmann::json(cluster->LocalNodes(dc, rack)).dump();
      return outcome;
    }
    Record(request, "", nullptr, sequence);
    {
      std::lock_guard<std::mutex> lock(state_mutex);
      ++counters.other_requests;
    }
    response.status = 404;
    response.content_type = "text/plain";
    response.body = "Not found: " + request.method + " " + path;
    return outcome;
  }

  Outcome HandleDynamoDb(const HttpRequest& request, uint64_t sequence, CurlHandle& curl) {
    Outcome outcome;
    HttpResponse& response = outcome.response;
    response.content_type = "application/x-amz-json-1.0";
    const std::string target = FindHeader(request.headers, "X-Amz-Target").value_or("");
    const std::string operation = target.substr(target.find('.') == std::string::npos ? 0 : target.rfind('.') + 1);

    FakeNodeOptions node_options;
    {
      std::lock_guard<std::mutex> lock(state_mutex);
      ++counters.dynamodb_requests;
      ++counters.operations[operation];
      node_options = options;
    }

    // Decode a compressed body.
    const std::string encoding = FindHeader(request.headers, "Content-Encoding").value_or("");
    std::optional<std::string> decoded;
    if (!encoding.empty() && !EqualsIgnoreCase(encoding, "identity")) {
      if (!node_options.accept_compressed_requests) {
        Record(request, operation, nullptr, sequence);
        response.status = 500;
        response.body = ErrorBody("InternalServerError", "Internal server error: std::runtime_error "
                                                         "(JSON parse error on a compressed body)");
        return outcome;
      }
      decoded = fake_alternator::Decompress(request.body, encoding, kMaxBodyBytes + 1);
      if (!decoded) {
        Record(request, operation, nullptr, sequence);
        response.status = 400;
        response.body = ErrorBody("ValidationException", "Failed to decompress the request body (Content-Encoding: " +
                                                              encoding + ")");
        return outcome;
      }
      if (decoded->size() > kMaxBodyBytes) {
        Record(request, operation, nullptr, sequence);
        response.status = 413;
        response.body = ErrorBody("PayloadTooLarge", "Request content length limit of 16777216 bytes exceeded");
        response.close = true;
        return outcome;
      }
    }
    const std::string& body = decoded ? *decoded : request.body;
    Record(request, operation, &body, sequence);

    std::optional<Fault> fault = TakeFault(operation);
    if (fault == Fault::kInternalError) {
      response.status = 500;
      response.body = ErrorBody("InternalServerError", "Internal server error: injected fault (nothing applied)");
      return outcome;
    }
    if (fault == Fault::kRequestLimitExceeded) {
      response.status = 400;
      response.body = ErrorBody("RequestLimitExceeded",
                                "too many in-flight requests (configured via max_concurrent_requests_per_shard)");
      return outcome;
    }
    if (fault == Fault::kCloseConnection) {
      outcome.answer = false;
      return outcome;
    }

    if (IsUnsupportedOperation(operation, cluster->supports_transactions())) {
      response.status = 400;
      response.body = ErrorBody("UnknownOperationException", "Unsupported operation " + operation);
    } else {
      {
        std::lock_guard<std::mutex> lock(state_mutex);
        ++counters.forwarded;
      }
      Forwarded forwarded =
          Forward(curl, cluster->dynamodb_endpoint(), request, body, node_options.forward_timeout);
      if (forwarded.ok) {
        response.status = static_cast<int>(forwarded.status);
        response.content_type = forwarded.content_type;
        response.body = std::move(forwarded.body);
      } else {
        response.status = 500;
        response.body = ErrorBody("InternalServerError", "Internal server error: DynamoDB Local unreachable: " +
                                                             forwarded.error);
      }
    }

    if (fault == Fault::kInternalErrorAfterForward) {
      response.status = 500;
      response.content_type = "application/x-amz-json-1.0";
      response.body = ErrorBody("InternalServerError",
                                "Internal server error: exceptions::mutation_write_timeout_exception (injected "
                                "after the request was applied)");
    } else if (fault == Fault::kCloseConnectionAfterForward) {
      outcome.answer = false;
      return outcome;
    }

    if (node_options.compress_responses && response.body.size() >= node_options.compress_min_bytes) {
      const std::string coding = ChooseEncoding(request.headers);
      if (!coding.empty()) {
        response.body = fake_alternator::Compress(response.body, coding == "deflate");
        response.content_encoding = coding;
      }
    }
    response.chunked = node_options.chunked_over_bytes > 0 && response.body.size() > node_options.chunked_over_bytes;
    return outcome;
  }

  std::optional<Fault> TakeFault(const std::string& operation) {
    std::lock_guard<std::mutex> lock(state_mutex);
    for (auto it = faults.begin(); it != faults.end(); ++it) {
      if (!it->operation.empty() && it->operation != operation) continue;
      const Fault fault = it->fault;
      if (it->remaining != kEvery && --it->remaining <= 0) faults.erase(it);
      return fault;
    }
    return std::nullopt;
  }
};

FakeAlternatorNode::FakeAlternatorNode(FakeAlternatorCluster* cluster, FakeNodeSpec spec, int port,
                                       FakeNodeOptions options)
    : impl_(std::make_unique<Impl>(cluster, std::move(spec), port, std::move(options))) {}

FakeAlternatorNode::~FakeAlternatorNode() = default;

const std::string& FakeAlternatorNode::ip() const { return impl_->spec.ip; }
const std::string& FakeAlternatorNode::dc() const { return impl_->spec.dc; }
const std::string& FakeAlternatorNode::rack() const { return impl_->spec.rack; }
int FakeAlternatorNode::port() const { return impl_->port; }
std::string FakeAlternatorNode::address() const { return impl_->spec.ip + ":" + std::to_string(impl_->port); }
std::string FakeAlternatorNode::endpoint() const { return "http://" + address(); }

void FakeAlternatorNode::Start() { impl_->Start(); }
void FakeAlternatorNode::Stop() { impl_->Stop(); }
bool FakeAlternatorNode::running() const { return impl_->is_running; }
void FakeAlternatorNode::SetListing(Listing listing) { impl_->listing_state = listing; }
FakeAlternatorNode::Listing FakeAlternatorNode::listing() const { return impl_->listing_state; }
bool FakeAlternatorNode::listed() const { return impl_->listed(); }

void FakeAlternatorNode::SetDelay(std::chrono::milliseconds delay, DelayPoint where) {
  std::lock_guard<std::mutex> lock(impl_->state_mutex);
  impl_->delay = delay;
  impl_->delay_point = where;
}

void FakeAlternatorNode::InjectFault(Fault fault, int count, std::string operation) {
  if (count == 0 || count < kEvery) return;
  std::lock_guard<std::mutex> lock(impl_->state_mutex);
  impl_->faults.push_back({fault, count, std::move(operation)});
}

void FakeAlternatorNode::ClearFaults() {
  std::lock_guard<std::mutex> lock(impl_->state_mutex);
  impl_->faults.clear();
}

int FakeAlternatorNode::pending_faults() const {
  std::lock_guard<std::mutex> lock(impl_->state_mutex);
  int total = 0;
  for (const auto& entry : impl_->faults) {
    if (entry.remaining != kEvery) total += entry.remaining;
  }
  return total;
}

void FakeAlternatorNode::SetLocalnodesFault(LocalnodesFault fault) {
  std::lock_guard<std::mutex> lock(impl_->state_mutex);
  impl_->localnodes_fault = fault;
  if (fault == LocalnodesFault::kNone) impl_->localnodes_answer.reset();
}

void FakeAlternatorNode::SetLocalnodesAnswer(int status, std::string body) {
  std::lock_guard<std::mutex> lock(impl_->state_mutex);
  impl_->localnodes_answer.emplace(status, std::move(body));
}

void FakeAlternatorNode::SetCompressResponses(bool on) {
  std::lock_guard<std::mutex> lock(impl_->state_mutex);
  impl_->options.compress_responses = on;
}

void FakeAlternatorNode::SetAcceptCompressedRequests(bool on) {
  std::lock_guard<std::mutex> lock(impl_->state_mutex);
  impl_->options.accept_compressed_requests = on;
}

FakeNodeCounters FakeAlternatorNode::counters() const {
  std::lock_guard<std::mutex> lock(impl_->state_mutex);
  return impl_->counters;
}

std::vector<FakeRequestRecord> FakeAlternatorNode::RecentRequests() const {
  std::lock_guard<std::mutex> lock(impl_->state_mutex);
  return {impl_->recent.begin(), impl_->recent.end()};
}

void FakeAlternatorNode::ResetCounters() {
  std::lock_guard<std::mutex> lock(impl_->state_mutex);
  impl_->counters = FakeNodeCounters();
  impl_->recent.clear();
}

// ---------------------------------------------------------------------------------------------------------

namespace {

// A free port: bound on 127.0.0.1:0 without SO_REUSEADDR and kept bound (not listening) in *reservation so
// the kernel hands it to nobody else while the cluster lives.
int ReservePort(int* reservation) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address = Address("127.0.0.1", 0);
  socklen_t length = sizeof(address);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    if (fd >= 0) close(fd);
    throw std::runtime_error(std::string("fake Alternator: cannot find a free port: ") + std::strerror(errno));
  }
  *reservation = fd;
  return ntohs(address.sin_port);
}

void GlobalCurlInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

FakeAlternatorCluster::FakeAlternatorCluster(std::vector<FakeNodeSpec> topology, FakeClusterOptions options)
    : options_(std::move(options)) {
  GlobalCurlInit();
  if (options_.dynamodb_endpoint.empty()) {
    throw std::invalid_argument("FakeAlternatorCluster: dynamodb_endpoint is required");
  }
  const bool uses_127_0_0_1 =
      std::any_of(topology.begin(), topology.end(), [](const FakeNodeSpec& spec) { return spec.ip == "127.0.0.1"; });
  constexpr int kAttempts = 20;
  for (int attempt = 1;; ++attempt) {
    port_ = options_.port;
    if (port_ == 0) {
      port_ = ReservePort(&reservation_fd_);
      if (uses_127_0_0_1) {
        close(reservation_fd_);
        reservation_fd_ = -1;
      }
    }
    try {
      for (const FakeNodeSpec& spec : topology) {
        auto node = std::unique_ptr<FakeAlternatorNode>(
            new FakeAlternatorNode(this, spec, port_, options_.node_defaults));
        if (spec.live) {
          node->Start();
        } else {
          std::lock_guard<std::mutex> lifecycle(node->impl_->lifecycle_mutex);
          node->impl_->HoldAddress();
        }
        std::lock_guard<std::mutex> lock(mutex_);
        nodes_.push_back(std::move(node));
      }
      return;
    } catch (const std::exception& error) {
      for (FakeAlternatorNode* node : Nodes()) node->Stop();
      {
        std::lock_guard<std::mutex> lock(mutex_);
        nodes_.clear();
      }
      if (reservation_fd_ >= 0) close(reservation_fd_);
      reservation_fd_ = -1;
      // Another process may have taken the port on some address: pick another one, if it is ours to pick.
      if (dynamic_cast<const BindError*>(&error) == nullptr || options_.port != 0 || attempt == kAttempts) throw;
    }
  }
}

FakeAlternatorCluster::~FakeAlternatorCluster() {
  // Stop every node before destroying any: a running node may be answering /localnodes from the list.
  for (FakeAlternatorNode* node : Nodes()) node->Stop();
  std::vector<std::unique_ptr<FakeAlternatorNode>> nodes;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    nodes.swap(nodes_);
  }
  nodes.clear();
  if (reservation_fd_ >= 0) close(reservation_fd_);
}

std::vector<FakeAlternatorNode*> FakeAlternatorCluster::Nodes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<FakeAlternatorNode*> nodes;
  for (const auto& node : nodes_) nodes.push_back(node.get());
  return nodes;
}

size_t FakeAlternatorCluster::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return nodes_.size();
}

FakeAlternatorNode& FakeAlternatorCluster::node(size_t index) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (index >= nodes_.size()) {
    throw std::out_of_range("FakeAlternatorCluster: no node " + std::to_string(index));
  }
  return *nodes_[index];
}

FakeAlternatorNode& FakeAlternatorCluster::node(std::string_view ip) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& node : nodes_) {
    if (node->ip() == ip) return *node;
  }
  throw std::out_of_range("FakeAlternatorCluster: no node " + std::string(ip));
}

std::vector<std::string> FakeAlternatorCluster::endpoints() const {
  std::vector<std::string> endpoints;
  for (FakeAlternatorNode* node : Nodes()) endpoints.push_back(node->endpoint());
  return endpoints;
}

std::vector<std::string> FakeAlternatorCluster::ips() const {
  std::vector<std::string> ips;
  for (FakeAlternatorNode* node : Nodes()) ips.push_back(node->ip());
  return ips;
}

FakeAlternatorNode& FakeAlternatorCluster::AddNode(FakeNodeSpec spec) {
  for (FakeAlternatorNode* node : Nodes()) {
    if (node->ip() == spec.ip) throw std::invalid_argument("FakeAlternatorCluster: duplicate node " + spec.ip);
  }
  if (spec.ip == "127.0.0.1" && reservation_fd_ >= 0) {
    std::lock_guard<std::mutex> lock(mutex_);
    close(reservation_fd_);
    reservation_fd_ = -1;
  }
  const bool live = spec.live;
  auto node = std::unique_ptr<FakeAlternatorNode>(new FakeAlternatorNode(this, std::move(spec), port_,
                                                                         options_.node_defaults));
  if (live) {
    node->Start();
  } else {
    std::lock_guard<std::mutex> lifecycle(node->impl_->lifecycle_mutex);
    node->impl_->HoldAddress();
  }
  std::lock_guard<std::mutex> lock(mutex_);
  nodes_.push_back(std::move(node));
  return *nodes_.back();
}

void FakeAlternatorCluster::SetSupportsTransactions(bool on) {
  std::lock_guard<std::mutex> lock(mutex_);
  options_.supports_transactions = on;
}

bool FakeAlternatorCluster::supports_transactions() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return options_.supports_transactions;
}

void FakeAlternatorCluster::SetLocalnodesParams(bool honour_dc, bool honour_rack) {
  std::lock_guard<std::mutex> lock(mutex_);
  options_.localnodes_dc_param = honour_dc;
  options_.localnodes_rack_param = honour_rack;
}

bool FakeAlternatorCluster::localnodes_dc_param() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return options_.localnodes_dc_param;
}

bool FakeAlternatorCluster::localnodes_rack_param() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return options_.localnodes_rack_param;
}

std::vector<std::string> FakeAlternatorCluster::LocalNodes(std::string_view dc, std::string_view rack) const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::string> ips;
  for (const auto& node : nodes_) {
    if (node->dc() == dc && (rack.empty() || node->rack() == rack) && node->listed()) ips.push_back(node->ip());
  }
  return ips;
}

FakeNodeCounters FakeAlternatorCluster::TotalCounters() const {
  FakeNodeCounters total;
  for (FakeAlternatorNode* node : Nodes()) total += node->counters();
  return total;
}

std::vector<FakeNodeCounters> FakeAlternatorCluster::CountersPerNode() const {
  std::vector<FakeNodeCounters> counters;
  for (FakeAlternatorNode* node : Nodes()) counters.push_back(node->counters());
  return counters;
}

void FakeAlternatorCluster::ResetCounters() {
  for (FakeAlternatorNode* node : Nodes()) node->ResetCounters();
}

}  // namespace altgw::testing
