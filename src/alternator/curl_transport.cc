#include "alternator/curl_transport.h"

#include <curl/curl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "alternator/exchange_completion.h"

namespace altgw::alternator {
namespace {

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

bool NeverSent(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
      return true;
    default:
      return false;
  }
}

}  // namespace

// One exchange: owned by its loop while running (the loop's map holds a shared_ptr), and by callers who
// may still Cancel() it.
class Exchange final : public HttpExchange,
                       public ExchangeCompletion,
                       public std::enable_shared_from_this<Exchange> {
 public:
  Exchange(CurlTransport::EventLoop* loop, HttpRequest request, HttpCallback done)
      : ExchangeCompletion(std::move(done)), loop_(loop), request_(std::move(request)) {}

  void Cancel() override;

  CurlTransport::EventLoop* loop_;
  HttpRequest request_;
  CURL* easy_ = nullptr;
  curl_slist* headers_ = nullptr;
  // How many times libcurl was about to send the request on a connection (loop thread only).
  int sends_ = 0;
  char error_buffer_[CURL_ERROR_SIZE] = {0};
};

class CurlTransport::EventLoop {
 public:
  explicit EventLoop(const CurlTransportOptions& options) : options_(options) {
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    wake_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    epoll_event wake_event{};
    wake_event.events = EPOLLIN;
    wake_event.data.fd = wake_;
    epoll_ctl(epoll_, EPOLL_CTL_ADD, wake_, &wake_event);
    multi_ = curl_multi_init();
    curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, options_.max_cached_connections);
    // The multi_socket interface: libcurl says which sockets to watch and acts on the one that is ready,
    // where curl_multi_perform() would visit every running transfer on each wake-up (quadratic under load:
    // it was a third of the gateway's instructions per call at 16 streams).
    curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &EventLoop::OnSocket);
    curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &EventLoop::OnTimer);
    curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
    share_ = curl_share_init();
    // The loop is the only thread using the share, so it needs no lock callbacks.
    curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    thread_ = std::thread([this] { Run(); });
  }

  ~EventLoop() {
    Stop();
    for (CURL* easy : idle_handles_) curl_easy_cleanup(easy);
    curl_multi_cleanup(multi_);
    curl_share_cleanup(share_);
    close(wake_);
    close(epoll_);
  }

  // Cancels what is running and joins the thread. Idempotent; not concurrent with itself.
  void Stop() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    Wake();
    if (thread_.joinable()) thread_.join();
  }

  void Submit(std::shared_ptr<Exchange> exchange) {
    bool stopping;
    {
      absl::MutexLock lock(&mu_);
      stopping = stopping_;
      if (!stopping) incoming_.push_back(std::move(exchange));
    }
    if (stopping) {
      ExchangeCompletion::RefuseLater(std::move(exchange));
      return;
    }
    Wake();
  }

  void RequestCancel(std::shared_ptr<Exchange> exchange) {
    {
      absl::MutexLock lock(&mu_);
      cancels_.push_back(std::move(exchange));
    }
    Wake();
  }

 private:
  // libcurl calls this each time it is about to send the request on a connection (after connecting and
  // any TLS handshake). A second call means libcurl is re-sending the request by itself: it does so when
  // a reused keep-alive connection dies before any answer byte. The first copy may well have reached the
  // server and been executed (a write applied twice), so the resend is refused and the exchange ends as
  // kConnectionLost with request_sent; only the caller knows whether sending again is safe.
  static int OnPrereq(void* user, char*, char*, int, int) {
    auto* exchange = static_cast<Exchange*>(user);
    return ++exchange->sends_ > 1 ? CURL_PREREQFUNC_ABORT : CURL_PREREQFUNC_OK;
  }

  static size_t OnBody(char* data, size_t size, size_t count, void* user) {
    auto* exchange = static_cast<Exchange*>(user);
    const size_t bytes = size * count;
    const size_t limit = exchange->loop_->options_.max_response_bytes;
    if (exchange->response_.body.size() + bytes > limit) {
      exchange->response_.error = absl::StrCat("answer larger than ", limit, " bytes");
      return 0;  // makes curl fail the transfer with CURLE_WRITE_ERROR
    }
    exchange->response_.body.append(data, bytes);
    return bytes;
  }

  // Which sockets to watch for what (libcurl calls this inside curl_multi_socket_action, on the loop thread).
  static int OnSocket(CURL*, curl_socket_t socket, int what, void* user, void*) {
    auto* loop = static_cast<EventLoop*>(user);
    if (what == CURL_POLL_REMOVE) {
      epoll_ctl(loop->epoll_, EPOLL_CTL_DEL, socket, nullptr);
      return 0;
    }
    epoll_event event{};
    event.events = ((what & CURL_POLL_IN) != 0 ? EPOLLIN : 0u) | ((what & CURL_POLL_OUT) != 0 ? EPOLLOUT : 0u);
    event.data.fd = socket;
    if (epoll_ctl(loop->epoll_, EPOLL_CTL_MOD, socket, &event) != 0 && errno == ENOENT) {
      epoll_ctl(loop->epoll_, EPOLL_CTL_ADD, socket, &event);
    }
    return 0;
  }

  // When libcurl next needs CURL_SOCKET_TIMEOUT (connect and transfer timeouts, new transfers); -1: never.
  static int OnTimer(CURLM*, long timeout_ms, void* user) {
    auto* loop = static_cast<EventLoop*>(user);
    loop->timer_deadline_ = timeout_ms < 0 ? absl::InfiniteFuture() : absl::Now() + absl::Milliseconds(timeout_ms);
    return 0;
  }

  void Wake() {
    const uint64_t one = 1;
    [[maybe_unused]] const ssize_t written = write(wake_, &one, sizeof one);
  }

  // Lets libcurl act on one socket (or on its timer), then completes the transfers that ended.
  void Act(curl_socket_t socket, int events) {
    // The timer is one-shot: acting on it consumes it, and libcurl reports the next one (it does not always
    // report "none" afterwards, so a stale deadline would make the loop spin).
    if (socket == CURL_SOCKET_TIMEOUT) timer_deadline_ = absl::InfiniteFuture();
    int running = 0;
    curl_multi_socket_action(multi_, socket, events, &running);
    int queued = 0;
    while (CURLMsg* message = curl_multi_info_read(multi_, &queued)) {
      if (message->msg != CURLMSG_DONE) continue;
      Exchange* exchange = nullptr;
      curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &exchange);
      Complete(exchange, message->data.result);
    }
  }

  void Run() {
    constexpr int kMaxEvents = 64;
    epoll_event events[kMaxEvents];
    for (;;) {
      bool stopping;
      {
        // Scoped so that these references (and the request bodies they hold) are dropped before the
        // loop goes to sleep.
        std::vector<std::shared_ptr<Exchange>> incoming, cancels;
        {
          absl::MutexLock lock(&mu_);
          incoming.swap(incoming_);
          cancels.swap(cancels_);
          stopping = stopping_;
        }
        for (auto& exchange : incoming) Begin(std::move(exchange));
        for (auto& exchange : cancels) {
          if (exchange->completed() || exchange->easy_ == nullptr) continue;
          exchange->response_.outcome = HttpResponse::Outcome::kCancelled;
          // It may have reached the server once libcurl started sending; the caller decides what that means.
          exchange->response_.request_sent = exchange->sends_ > 0;
          exchange->response_.error = "cancelled";
          Finish(exchange.get());
        }
      }
      if (stopping) break;
      // New transfers set a timer that is due at once: acting on it sends them now.
      if (absl::Now() >= timer_deadline_) Act(CURL_SOCKET_TIMEOUT, 0);

      // At most a second asleep: a safety net, since everything that needs the loop sooner wakes it.
      const absl::Duration wait = std::min(timer_deadline_ - absl::Now(), absl::Seconds(1));
      const int wait_ms = static_cast<int>(
          std::max<int64_t>(0, absl::ToInt64Milliseconds(absl::Ceil(wait, absl::Milliseconds(1)))));
      const int count = epoll_wait(epoll_, events, kMaxEvents, wait_ms);
      for (int i = 0; i < count; ++i) {
        if (events[i].data.fd == wake_) {
          uint64_t value = 0;
          [[maybe_unused]] const ssize_t got = read(wake_, &value, sizeof value);
          continue;
        }
        const uint32_t what = events[i].events;
        Act(events[i].data.fd, ((what & EPOLLIN) != 0 ? CURL_CSELECT_IN : 0) |
                                   ((what & EPOLLOUT) != 0 ? CURL_CSELECT_OUT : 0) |
                                   ((what & (EPOLLERR | EPOLLHUP)) != 0 ? CURL_CSELECT_ERR : 0));
      }
      if (absl::Now() >= timer_deadline_) Act(CURL_SOCKET_TIMEOUT, 0);
    }
    // Shutting down: whatever is still running is cancelled.
    std::vector<Exchange*> remaining;
    for (auto& [easy, exchange] : active_) remaining.push_back(exchange.get());
    for (Exchange* exchange : remaining) {
      exchange->response_.outcome = HttpResponse::Outcome::kCancelled;
      exchange->response_.request_sent = exchange->sends_ > 0;
      exchange->response_.error = "transport is shutting down";
      Finish(exchange);
    }
    // Exchanges queued after the last swap. `done` runs without the lock: it may call Start() or
    // Cancel(), which take it (absl::Mutex is not reentrant).
    std::vector<std::shared_ptr<Exchange>> late;
    {
      absl::MutexLock lock(&mu_);
      late.swap(incoming_);
      cancels_.clear();
    }
    for (auto& exchange : late) {
      exchange->response_.outcome = HttpResponse::Outcome::kCancelled;
      exchange->response_.error = "transport is shutting down";
      exchange->Deliver();
    }
  }

  // Handles are reused without curl_easy_reset(): the options that never change are set once, when the
  // handle is made, and Begin() sets every per-request option each time (resetting and setting all options
  // again cost more libcurl instructions per call than the HTTP exchange itself).
  CURL* AcquireHandle() {
    if (!idle_handles_.empty()) {
      CURL* easy = idle_handles_.back();
      idle_handles_.pop_back();
      return easy;
    }
    CURL* easy = curl_easy_init();
    if (easy == nullptr) return nullptr;
    curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(easy, CURLOPT_SHARE, share_);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &EventLoop::OnBody);
    curl_easy_setopt(easy, CURLOPT_PREREQFUNCTION, &EventLoop::OnPrereq);
    curl_easy_setopt(easy, CURLOPT_MAXAGE_CONN,
                     static_cast<long>(absl::ToInt64Seconds(options_.max_idle_connection_age)));
    ApplyTls(easy);
    return easy;
  }

  void Begin(std::shared_ptr<Exchange> exchange) {
    CURL* easy = AcquireHandle();
    if (easy == nullptr) {
      exchange->response_.outcome = HttpResponse::Outcome::kFailed;
      exchange->response_.error = "curl_easy_init failed";
      exchange->Deliver();
      return;
    }
    exchange->easy_ = easy;
    const HttpRequest& request = exchange->request_;
    // Every option a request may change is set here, each time (the handle is reused as it was left).
    curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(easy, CURLOPT_PRIVATE, exchange.get());
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, exchange->error_buffer_);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, exchange.get());
    curl_easy_setopt(easy, CURLOPT_PREREQDATA, exchange.get());
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(std::max<int64_t>(
                                                   1, absl::ToInt64Milliseconds(request.timeout))));
    curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, request.accept_compressed ? "gzip, deflate" : nullptr);

    // Header minimisation: no Accept, no Expect: 100-continue (an extra round trip for large bodies).
    // A POST that names no Content-Type would get "application/x-www-form-urlencoded" from libcurl.
    curl_slist* headers = curl_slist_append(nullptr, "Accept:");
    headers = curl_slist_append(headers, "Expect:");
    bool has_content_type = false;
    for (const std::string& header : request.headers) {
      has_content_type = has_content_type || absl::StartsWithIgnoreCase(header, "Content-Type:");
      headers = curl_slist_append(headers, header.c_str());
    }
    if (request.has_body && !has_content_type) headers = curl_slist_append(headers, "Content-Type:");
    exchange->headers_ = headers;
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
    if (request.has_body) {
      curl_easy_setopt(easy, CURLOPT_POST, 1L);
      curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request.body.data());
      curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    } else {
      curl_easy_setopt(easy, CURLOPT_POSTFIELDS, nullptr);  // no pointer left to an earlier request's body
      curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
    }
    Exchange* raw = exchange.get();
    active_.emplace(easy, std::move(exchange));
    if (const CURLMcode code = curl_multi_add_handle(multi_, easy); code != CURLM_OK) {
      raw->response_.outcome = HttpResponse::Outcome::kFailed;
      raw->response_.error = absl::StrCat("curl_multi_add_handle: ", curl_multi_strerror(code));
      Finish(raw);
    }
  }

  void ApplyTls(CURL* easy) {
    const TlsOptions& tls = options_.tls;
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, tls.verify_peer ? 1L : 0L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, tls.verify_host ? 2L : 0L);
    if (!tls.ca_file.empty()) curl_easy_setopt(easy, CURLOPT_CAINFO, tls.ca_file.c_str());
    if (!tls.use_system_cas) {
      if (tls.ca_file.empty()) curl_easy_setopt(easy, CURLOPT_CAINFO, nullptr);
      curl_easy_setopt(easy, CURLOPT_CAPATH, nullptr);
    }
    if (!tls.client_cert_file.empty()) curl_easy_setopt(easy, CURLOPT_SSLCERT, tls.client_cert_file.c_str());
    if (!tls.client_key_file.empty()) curl_easy_setopt(easy, CURLOPT_SSLKEY, tls.client_key_file.c_str());
  }

  void Complete(Exchange* exchange, CURLcode code) {
    HttpResponse& response = exchange->response_;
    // Whether libcurl got as far as sending on a connection (CURLINFO_REQUEST_SIZE is no guide: it only
    // counts what went out completely, and not what an earlier connection carried before a resend).
    response.request_sent = exchange->sends_ > 0;
    const bool resend_refused = exchange->sends_ > 1;
    if (code == CURLE_OK) {
      long status = 0;
      curl_easy_getinfo(exchange->easy_, CURLINFO_RESPONSE_CODE, &status);
      response.outcome = HttpResponse::Outcome::kResponse;
      response.status = static_cast<int>(status);
      response.request_sent = true;
    } else {
      if (resend_refused) {
        response.error = "the connection was lost before an answer (the request was sent)";
      } else if (response.error.empty()) {
        response.error = exchange->error_buffer_[0] != '\0' ? exchange->error_buffer_ : curl_easy_strerror(code);
      }
      if (code == CURLE_OPERATION_TIMEDOUT) {
        response.outcome = HttpResponse::Outcome::kTimedOut;
      } else if (!response.request_sent) {
        response.outcome = HttpResponse::Outcome::kNotSent;
      } else if (resend_refused || NeverSent(code) || code == CURLE_SEND_ERROR || code == CURLE_RECV_ERROR ||
                 code == CURLE_GOT_NOTHING || code == CURLE_PARTIAL_FILE) {
        // NeverSent codes after a send: libcurl's own resend (on a fresh connection) failed to connect.
        response.outcome = HttpResponse::Outcome::kConnectionLost;
      } else {
        response.outcome = HttpResponse::Outcome::kFailed;
      }
      response.body.clear();
    }
    Finish(exchange);
  }

  // Detaches the exchange from curl, recycles the handle and runs `done`.
  void Finish(Exchange* exchange) {
    CURL* easy = exchange->easy_;
    curl_multi_remove_handle(multi_, easy);
    curl_slist_free_all(exchange->headers_);
    exchange->headers_ = nullptr;
    exchange->easy_ = nullptr;
    idle_handles_.push_back(easy);
    auto node = active_.extract(easy);
    exchange->Deliver();
    // `node` (the loop's reference) drops here, after `done` ran.
  }

  const CurlTransportOptions& options_;
  int epoll_ = -1;
  int wake_ = -1;  // eventfd: wakes the loop out of epoll_wait
  CURLM* multi_ = nullptr;
  CURLSH* share_ = nullptr;
  std::thread thread_;

  absl::Mutex mu_;
  std::vector<std::shared_ptr<Exchange>> incoming_ ABSL_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<Exchange>> cancels_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;

  // Loop thread only.
  absl::flat_hash_map<CURL*, std::shared_ptr<Exchange>> active_;
  std::vector<CURL*> idle_handles_;
  absl::Time timer_deadline_ = absl::InfiniteFuture();  // libcurl's timer
};

void Exchange::Cancel() {
  if (completed()) return;
  loop_->RequestCancel(shared_from_this());
}

CurlTransport::CurlTransport(CurlTransportOptions options) {
  GlobalInitOnce();
  // Options live in the transport and outlive the loops, which keep a reference.
  options_holder_ = std::make_unique<CurlTransportOptions>(std::move(options));
  const int count = std::max(1, options_holder_->event_loops);
  for (int i = 0; i < count; ++i) loops_.push_back(std::make_unique<EventLoop>(*options_holder_));
}

CurlTransport::~CurlTransport() {
  // Stop every loop before destroying any: a `done` that runs during the shutdown may call Start(), which
  // must still find loops_ intact (it gets kCancelled from a stopped loop).
  for (auto& loop : loops_) loop->Stop();
  loops_.clear();
}

std::shared_ptr<HttpExchange> CurlTransport::Start(HttpRequest request, HttpCallback done) {
  EventLoop* loop = loops_[next_loop_.fetch_add(1, std::memory_order_relaxed) % loops_.size()].get();
  auto exchange = std::make_shared<Exchange>(loop, std::move(request), std::move(done));
  loop->Submit(exchange);
  return exchange;
}

}  // namespace altgw::alternator
