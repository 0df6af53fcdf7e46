// FakeAlternatorCluster: a multi-node ScyllaDB Alternator stand-in for integration tests.
//
// Every node listens on its own loopback address (127.x.y.z) and one port shared by the whole cluster, the
// way Alternator nodes do, and answers like Alternator:
//   POST /            DynamoDB API, forwarded to ONE shared DynamoDB Local (so every node sees the same data);
//                     gzip/deflate request bodies are decompressed first; answers may be gzip-compressed;
//                     TransactWriteItems / TransactGetItems (and PartiQL) are refused with
//                     UnknownOperationException unless the cluster supports transactions.
//   GET /             200 "healthy: <Host>"
//   GET /localnodes   200 JSON array of the IPs of the listed nodes of a DC (own DC, ?dc=, ?dc=&rack=)
//   anything else     404
// Faults can be injected per node at any time, from any thread, while requests run: stop / restart the
// listener (stop drops every open connection; new connections are refused), delays, 500 before or after
// forwarding, RequestLimitExceeded, closing the connection without an answer, bad /localnodes answers, and
// nodes that are listed in /localnodes but not listening. Each node counts what it receives and keeps its
// last requests (headers and decoded bodies).
//
// The HTTP server is written on raw sockets, one thread per connection (HTTP/1.1 keep-alive, pipelining,
// chunked uploads, Expect: 100-continue): with Debian's cpp-httplib 0.11 (a compiled library, not
// header-only), Server::stop() lets a request in progress finish and answer (and waits for it), there is no
// hook to count or drop accepted connections, and it decodes/encodes bodies by itself. Forwarding uses one
// libcurl easy handle per client connection (keep-alive to DynamoDB Local).
#ifndef ALTGW_TESTS_SUPPORT_FAKE_ALTERNATOR_H_
#define ALTGW_TESTS_SUPPORT_FAKE_ALTERNATOR_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace altgw::testing {

// One node of the topology.
struct FakeNodeSpec {
  std::string ip;                   // an IPv4 address in 127.0.0.0/8
  std::string dc = "datacenter1";   // Scylla's default names
  std::string rack = "rack1";
  // listed: the node appears in /localnodes while it runs. live: its listener is started at once.
  // listed && !live is a node that is "listed but not listening" (Listing::kAlways, not running): it appears
  // in /localnodes but refuses connections until Start(), as Alternator lists nodes ~13 s before they serve.
  bool listed = true;
  bool live = true;
};

struct FakeNodeOptions {
  bool compress_responses = false;         // gzip (or deflate) DynamoDB answers when Accept-Encoding allows it
  size_t compress_min_bytes = 0;           // ... and the answer has at least this many bytes
  bool accept_compressed_requests = true;  // ScyllaDB 2026.1+; false: Content-Encoding bodies get 500, as before
  size_t chunked_over_bytes = 100 * 1024;  // DynamoDB answers above this go chunked, no Content-Length (0: never)
  size_t record_last = 64;                 // how many requests RecentRequests() keeps
  std::chrono::milliseconds forward_timeout{30000};
};

struct FakeClusterOptions {
  std::string dynamodb_endpoint;       // required, e.g. "http://127.0.0.1:8000"
  int port = 0;                        // 0: pick a free one
  bool supports_transactions = false;  // real Alternator: false
  bool localnodes_dc_param = true;     // false: /localnodes ignores ?dc= (very old servers)
  bool localnodes_rack_param = true;   // false: /localnodes ignores ?rack= (servers before rack support)
  FakeNodeOptions node_defaults;
};

struct FakeNodeCounters {
  std::map<std::string, int64_t> operations;  // DynamoDB requests by X-Amz-Target suffix ("PutItem")
  int64_t dynamodb_requests = 0;              // every POST /
  int64_t forwarded = 0;                      // POST / sent on to DynamoDB Local
  int64_t localnodes_requests = 0;            // GET /localnodes
  int64_t health_requests = 0;                // GET /
  int64_t other_requests = 0;                 // answered 404
  int64_t connections_accepted = 0;

  int64_t operation(std::string_view name) const;  // 0 when never seen
  FakeNodeCounters& operator+=(const FakeNodeCounters& other);
};

struct FakeRequestRecord {
  std::string method;
  std::string target;     // as sent: "/", "/localnodes?dc=dc1"
  std::string operation;  // X-Amz-Target suffix, for POST /
  std::vector<std::pair<std::string, std::string>> headers;  // in the order received, names as sent
  size_t wire_body_bytes = 0;  // body bytes as received (compressed if compressed)
  std::string body;            // the decoded body (decompressed), at most its first 1 MiB
  uint64_t connection = 0;     // 1-based sequence number of the connection on this node

  std::optional<std::string> header(std::string_view name) const;  // first value, name case-insensitive
  std::vector<std::string> HeaderNames() const;                    // lower-cased, sorted
};

class FakeAlternatorCluster;

class FakeAlternatorNode {
 public:
  // When the node appears in /localnodes (of any node of the cluster).
  enum class Listing {
    kWhenRunning,  // while its listener runs (the normal case)
    kAlways,       // even when not listening (joining node; a crashed node gossip has not noticed yet)
    kNever,        // never (not joined, decommissioned)
  };
  // DynamoDB answers replaced by a fault.
  enum class Fault {
    kInternalError,               // 500 InternalServerError, nothing forwarded
    kInternalErrorAfterForward,   // forwarded (the write is applied), then 500: the ambiguous case
    kRequestLimitExceeded,        // 400 RequestLimitExceeded, nothing forwarded
    kCloseConnection,             // the connection is closed without an answer, nothing forwarded
    kCloseConnectionAfterForward  // forwarded, then closed without an answer
  };
  // Note for tests of libcurl clients: when a REUSED connection closes before any byte of the answer,
  // libcurl resends the request once on a new connection by itself (POST included), so one kClose* fault
  // on a warm connection is invisible to the caller (and kCloseConnectionAfterForward applies it twice).
  enum class LocalnodesFault { kNone, kInternalError, kGarbage, kCloseConnection };
  enum class DelayPoint {
    kBeforeAnswer,     // the request is processed (a write is applied), the answer comes late
    kBeforeProcessing  // nothing happens until the delay is over
  };
  static constexpr int kEvery = -1;  // a fault count: every matching request until ClearFaults()

  ~FakeAlternatorNode();
  FakeAlternatorNode(const FakeAlternatorNode&) = delete;
  FakeAlternatorNode& operator=(const FakeAlternatorNode&) = delete;

  const std::string& ip() const;
  const std::string& dc() const;
  const std::string& rack() const;
  int port() const;
  std::string address() const;   // "127.0.0.2:PORT"
  std::string endpoint() const;  // "http://127.0.0.2:PORT"

  // Starts listening on ip:port (no-op when running). Throws std::runtime_error if the address is taken.
  void Start();
  // Closes the listener (new connections are refused) and drops every open connection, answering nothing
  // more, including requests in progress; returns when no thread of this node runs (a request being
  // forwarded to DynamoDB Local finishes first). No-op when stopped. While stopped the address stays bound,
  // not listening, so the kernel does not hand the port to someone else.
  void Stop();
  bool running() const;
  void SetListing(Listing listing);
  Listing listing() const;
  bool listed() const;  // whether /localnodes lists the node right now

  // Delays every answer (all paths) by `delay`; zero removes the delay. Applies to requests already waiting.
  void SetDelay(std::chrono::milliseconds delay, DelayPoint where = DelayPoint::kBeforeAnswer);
  // Queues a fault for the next `count` DynamoDB requests (kEvery: all of them until ClearFaults) whose
  // operation is `operation` (empty: any). Queued faults are consumed in order, first matching entry first.
  void InjectFault(Fault fault, int count = 1, std::string operation = {});
  void ClearFaults();
  int pending_faults() const;  // what is left of the finite counts
  void SetLocalnodesFault(LocalnodesFault fault);  // kNone also removes a SetLocalnodesAnswer()
  void SetLocalnodesAnswer(int status, std::string body);  // any raw answer to /localnodes

  void SetCompressResponses(bool on);
  void SetAcceptCompressedRequests(bool on);

  FakeNodeCounters counters() const;
  std::vector<FakeRequestRecord> RecentRequests() const;  // oldest first
  void ResetCounters();  // counters and recent requests

 private:
  friend class FakeAlternatorCluster;
  struct Impl;
  FakeAlternatorNode(FakeAlternatorCluster* cluster, FakeNodeSpec spec, int port, FakeNodeOptions options);

  std::unique_ptr<Impl> impl_;
};

class FakeAlternatorCluster {
 public:
  // Builds and starts the nodes (the live ones). Throws std::runtime_error when an address cannot be bound.
  FakeAlternatorCluster(std::vector<FakeNodeSpec> topology, FakeClusterOptions options);
  ~FakeAlternatorCluster();  // stops every node
  FakeAlternatorCluster(const FakeAlternatorCluster&) = delete;
  FakeAlternatorCluster& operator=(const FakeAlternatorCluster&) = delete;

  int port() const { return port_; }
  const std::string& dynamodb_endpoint() const { return options_.dynamodb_endpoint; }
  size_t size() const;
  FakeAlternatorNode& node(size_t index);        // throws std::out_of_range
  FakeAlternatorNode& node(std::string_view ip);  // throws std::out_of_range
  std::vector<std::string> endpoints() const;     // "http://ip:port" of every node, in order
  std::vector<std::string> ips() const;

  // Adds a node at run time, on the cluster's port; started when spec.live.
  FakeAlternatorNode& AddNode(FakeNodeSpec spec);

  void SetSupportsTransactions(bool on);
  bool supports_transactions() const;
  void SetLocalnodesParams(bool honour_dc, bool honour_rack);
  bool localnodes_dc_param() const;
  bool localnodes_rack_param() const;

  // What /localnodes answers for `dc` (required) and `rack` (empty: the whole DC).
  std::vector<std::string> LocalNodes(std::string_view dc, std::string_view rack = {}) const;

  FakeNodeCounters TotalCounters() const;
  std::vector<FakeNodeCounters> CountersPerNode() const;
  void ResetCounters();

 private:
  std::vector<FakeAlternatorNode*> Nodes() const;

  FakeClusterOptions options_;
  int port_ = 0;
  int reservation_fd_ = -1;  // 127.0.0.1:port held (not listening) so nobody else is given the port
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<FakeAlternatorNode>> nodes_;  // guarded by mutex_ (the vector, not the nodes)
};

namespace fake_alternator {
// gzip (RFC 1952) of `data`; deflate=true gives the zlib format (Content-Encoding: deflate).
std::string Compress(std::string_view data, bool deflate = false);
// Decodes a body in Content-Encoding `encoding` (gzip, x-gzip, deflate; identity or empty: as is);
// nullopt when corrupt, unknown, or larger than `max_bytes` once decoded.
std::optional<std::string> Decompress(std::string_view data, std::string_view encoding,
                                      size_t max_bytes = 64 * 1024 * 1024);
}  // namespace fake_alternator

}  // namespace altgw::testing

#endif  // ALTGW_TESTS_SUPPORT_FAKE_ALTERNATOR_H_
