#include "routing/cluster_router.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <random>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "routing/endpoint.h"
#include "routing/murmur3.h"
#include "routing/query_plan.h"

namespace altgw::routing {
namespace {

using model::v1::ScalarType;

void LogWarning(const std::string& message) { std::fprintf(stderr, "router: %s\n", message.c_str()); }

std::optional<KeyKind> KindOf(ScalarType type) {
  switch (type) {
    case model::v1::SCALAR_TYPE_STRING:
      return KeyKind::kString;
    case model::v1::SCALAR_TYPE_NUMBER:
      return KeyKind::kNumber;
    case model::v1::SCALAR_TYPE_BINARY:
      return KeyKind::kBinary;
    default:
      return std::nullopt;
  }
}

template <typename T>
void Shuffle(std::vector<T>& values) {
  thread_local std::minstd_rand engine(std::random_device{}());
  std::shuffle(values.begin(), values.end(), engine);
}

}  // namespace

// One node the router knows (discovered, or a seed). Never deleted while the router lives, so plans and
// snapshots can point at it.
struct RouterNode {
  uint32_t id = 0;
  std::string canonical;
  std::string address;  // host, without brackets
  NodeTarget target;    // base_url / host_header filled; id and generation set per plan
  bool seed = false;

  mutable absl::Mutex mu;
  NodeHealth health ABSL_GUARDED_BY(mu);
  std::string dc ABSL_GUARDED_BY(mu);
  std::string rack ABSL_GUARDED_BY(mu);

  // Mirrors of health for lock-free reads on the request path.
  std::atomic<NodeState> state{NodeState::kActive};
  std::atomic<uint64_t> generation{0};
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> failures{0};
  std::atomic<bool> probing{false};
  // Whether the node was a routing target of some discovered topology: one that returns to /localnodes
  // after being absent is handled as newly discovered (QUARANTINED).
  bool ever_listed = false;  // written under the router's topology publication (one refresh at a time)

  RouterNode(NodeState initial, const HealthThresholds& thresholds) : health(initial, thresholds) {
    state.store(initial);
  }

  NodeTarget Target() const {
    NodeTarget out = target;
    out.generation = generation.load(std::memory_order_acquire);
    return out;
  }
};

// An immutable view of what requests are routed over; replaced wholesale when discovery changes it.
struct Topology {
  RoutingScope scope;
  bool discovered = false;
  std::vector<RouterNode*> nodes;           // routing targets, canonical order
  std::vector<RouterNode*> affinity_nodes;  // canonical order: `nodes`, or the rack's whole datacenter
};

namespace {

bool Usable(NodeState state) { return state != NodeState::kDown; }

// Round-robin from a rotating start: ACTIVE nodes first, then QUARANTINED, then (static mode only) DOWN.
class RoundRobinPlan final : public RoutePlan {
 public:
  RoundRobinPlan(std::shared_ptr<const Topology> topology, size_t start, bool down_last_resort)
      : topology_(std::move(topology)), start_(start), down_last_resort_(down_last_resort),
        tried_(topology_->nodes.size(), false) {}

  std::optional<NodeTarget> Next() override {
    const auto& nodes = topology_->nodes;
    const size_t n = nodes.size();
    for (; pass_ < 3; ++pass_, offset_ = 0) {
      if (pass_ == 2 && !down_last_resort_) break;
      for (; offset_ < n; ++offset_) {
        const size_t i = (start_ + offset_) % n;
        if (tried_[i]) continue;
        const NodeState state = nodes[i]->state.load(std::memory_order_relaxed);
        const bool take = pass_ == 0   ? state == NodeState::kActive
                          : pass_ == 1 ? Usable(state)
                                       : true;
        if (!take) continue;
        tried_[i] = true;
        ++offset_;
        return nodes[i]->Target();
      }
    }
    return std::nullopt;
  }

 private:
  std::shared_ptr<const Topology> topology_;
  size_t start_;
  bool down_last_resort_;
  std::vector<bool> tried_;
  int pass_ = 0;
  size_t offset_ = 0;
};

// Walks a candidate order (an affinity plan or a batch vote), applying health at selection: the first
// untried ACTIVE node, else the first untried QUARANTINED (router.md §4.5); never DOWN (static mode: DOWN
// last). An affinity order is drawn from its generator only as far as needed: usually the preferred node
// is ACTIVE and one draw is all a request pays for, whatever the cluster size.
class OrderedPlan final : public RoutePlan {
 public:
  OrderedPlan(std::shared_ptr<const Topology> topology, std::vector<size_t> order, bool down_last_resort)
      : topology_(std::move(topology)), order_(std::move(order)), down_last_resort_(down_last_resort),
        tried_(order_.size(), false) {}
  OrderedPlan(std::shared_ptr<const Topology> topology, int64_t affinity_seed, bool down_last_resort)
      : topology_(std::move(topology)), down_last_resort_(down_last_resort) {
    lazy_.emplace(affinity_seed, topology_->affinity_nodes.size());
  }

  std::optional<NodeTarget> Next() override {
    for (int pass = 0; pass < 3; ++pass) {
      if (pass == 2 && !down_last_resort_) break;
      for (size_t k = 0; k < order_.size() || Draw(); ++k) {
        if (tried_[k]) continue;
        RouterNode* node = topology_->affinity_nodes[order_[k]];
        const NodeState state = node->state.load(std::memory_order_relaxed);
        const bool take = pass == 0 ? state == NodeState::kActive : pass == 1 ? Usable(state) : true;
        if (!take) continue;
        tried_[k] = true;
        return node->Target();
      }
    }
    return std::nullopt;
  }

 private:
  // Appends the next node of the affinity order; false when there is none (or no generator).
  bool Draw() {
    if (!lazy_) return false;
    std::optional<size_t> next = lazy_->Next();
    if (!next) {
      lazy_.reset();
      return false;
    }
    order_.push_back(*next);
    tried_.push_back(false);
    return true;
  }

  std::shared_ptr<const Topology> topology_;
  std::vector<size_t> order_;
  bool down_last_resort_;
  std::vector<bool> tried_;
  std::optional<AffinityPlan> lazy_;
};

}  // namespace

class ClusterRouter::Impl : public std::enable_shared_from_this<ClusterRouter::Impl> {
 public:
  Impl(RouterConfig config, NodeClient& client, Scheduler& scheduler)
      : config_(std::move(config)), client_(client), scheduler_(scheduler) {}

  // ---------------------------------------------------------------- startup

  absl::Status Start(absl::Duration timeout) {
    if (config_.seeds.empty()) return absl::InvalidArgumentError("no backend endpoint configured");
    if (config_.scopes.empty()) return absl::InvalidArgumentError("the routing scope chain is empty");
    if (absl::Status s = config_.health.Validate(); !s.ok()) return s;
    auto ordered = CanonicalOrder(config_.seeds);
    if (!ordered.ok()) return ordered.status();
    auto first = ParseEndpoint((*ordered)[0].representative);
    if (!first.ok()) return first.status();
    scheme_ = first->scheme;
    port_ = first->port;
    for (const OrderedEndpoint& seed : *ordered) {
      auto endpoint = ParseEndpoint(seed.representative);
      if (!endpoint.ok()) return endpoint.status();
      if (endpoint->scheme != scheme_ || endpoint->port != port_) {
        // Discovered nodes are dialled with one scheme and port; mixed seeds would make that ambiguous.
        if (config_.discovery == DiscoveryMode::kOn) {
          return absl::InvalidArgumentError("with discovery, every endpoint must use the same scheme and port");
        }
      }
      RouterNode* node = Register(seed.canonical, endpoint->host, seed.representative, NodeState::kActive);
      node->seed = true;
      seeds_.push_back(node);
    }

    const absl::Time deadline = absl::Now() + timeout;
    if (config_.discovery != DiscoveryMode::kOff) {
      // Does any seed answer /localnodes?
      std::string errors;
      std::optional<LocalNodesAnswer> base;
      RouterNode* answering = nullptr;
      for (RouterNode* seed : seeds_) {
        LocalNodesAnswer answer = ListNow(seed, "", "", deadline);
        if (answer.ok) {
          base = std::move(answer);
          answering = seed;
          break;
        }
        absl::StrAppend(&errors, errors.empty() ? "" : "; ", seed->canonical, ": ", answer.error);
      }
      if (!base) {
        if (config_.discovery == DiscoveryMode::kOn) {
          return absl::UnavailableError(absl::StrCat("discovery: no endpoint answered /localnodes (", errors, ")"));
        }
        LogWarning(absl::StrCat("no endpoint answers /localnodes (", errors,
                                "): routing over the configured endpoints only"));
      } else {
        discovery_ = true;
        DetectFilterSupport(answering, *base, deadline);
      }
    }

    if (!discovery_) {
      auto topology = std::make_shared<Topology>();
      topology->scope = RoutingScope{};
      topology->nodes = seeds_;
      topology->affinity_nodes = seeds_;
      Publish(std::move(topology));
    } else {
      // Shared with the refresh: when the deadline passes first, the refresh still finishes later and
      // must not write into this (by then gone) stack frame.
      struct FirstRound {
        absl::Notification done;
        absl::Status result;
      };
      auto first_round = std::make_shared<FirstRound>();
      RunRefresh([first_round](absl::Status status) {
        first_round->result = std::move(status);
        first_round->done.Notify();
      });
      if (!first_round->done.WaitForNotificationWithDeadline(deadline)) {
        return absl::DeadlineExceededError("discovery: the first /localnodes round did not finish in time");
      }
      if (!first_round->result.ok()) return first_round->result;
    }
    ScheduleRefresh(config_.idle_refresh);
    ScheduleProbeTick();
    return absl::OkStatus();
  }

  void Stop() { stopping_.store(true); }

  // ---------------------------------------------------------------- planning

  std::unique_ptr<RoutePlan> Plan(const RouteRequest& request) {
    NoteActivity();
    return MakePlan(request, rr_next_.fetch_add(1, std::memory_order_relaxed), nullptr);
  }

  Explanation Explain(const RouteRequest& request) const {
    Explanation out;
    auto plan = MakePlan(request, rr_next_.load(std::memory_order_relaxed), &out);
    while (std::optional<NodeTarget> node = plan->Next()) {
      out.endpoints.push_back(static_cast<const RouterNode*>(node->router_handle)->canonical);
    }
    return out;
  }

  // ---------------------------------------------------------------- health

  void Report(const NodeTarget& target, AttemptResult result) {
    auto* node = static_cast<RouterNode*>(const_cast<void*>(target.router_handle));
    if (node == nullptr) return;
    node->requests.fetch_add(1, std::memory_order_relaxed);
    TrafficOutcome outcome = result == AttemptResult::kSuccess   ? TrafficOutcome::kSuccess
                             : result == AttemptResult::kFailure ? TrafficOutcome::kFailure
                                                                 : TrafficOutcome::kNeutral;
    if (outcome == TrafficOutcome::kFailure) node->failures.fetch_add(1, std::memory_order_relaxed);
    {
      absl::MutexLock lock(&node->mu);
      node->health.RecordTraffic(outcome, target.generation);
      Mirror(node);
    }
    // A connection failure may mean the topology changed: look again at once.
    if (outcome == TrafficOutcome::kFailure && discovery_) KickRefresh();
  }

  // ---------------------------------------------------------------- operators

  std::vector<NodeStatus> ListNodes() const {
    std::shared_ptr<const Topology> topology = Snapshot();
    absl::flat_hash_set<const RouterNode*> in_scope(topology->nodes.begin(), topology->nodes.end());
    std::vector<NodeStatus> out;
    absl::MutexLock lock(&mu_);
    for (const auto& node : nodes_) {
      NodeStatus status;
      status.endpoint = node->canonical;
      status.address = node->address;
      status.seed = node->seed;
      status.in_scope = in_scope.contains(node.get());
      status.requests = node->requests.load();
      status.failures = node->failures.load();
      absl::MutexLock node_lock(&node->mu);
      status.dc = node->dc;
      status.rack = node->rack;
      status.state = node->health.state();
      status.generation = node->health.generation();
      out.push_back(std::move(status));
    }
    return out;
  }

  Counters counters() const {
    return Counters{refreshes_.load(), discovery_failures_.load(), affinity_plans_.load(),
                    round_robin_plans_.load()};
  }

  RoutingScope active_scope() const { return Snapshot()->scope; }
  bool discovery_enabled() const { return discovery_; }
  size_t usable_nodes() const {
    std::shared_ptr<const Topology> topology = Snapshot();
    return static_cast<size_t>(std::count_if(topology->nodes.begin(), topology->nodes.end(), [](RouterNode* n) {
      return Usable(n->state.load(std::memory_order_relaxed));
    }));
  }

 private:
  // ---------------------------------------------------------------- plans

  AffinityMode ModeFor(absl::string_view table) const {
    auto it = config_.table_affinity.find(table);
    return it == config_.table_affinity.end() ? config_.affinity : it->second;
  }

  std::unique_ptr<RoutePlan> MakePlan(const RouteRequest& request, uint64_t rr, Explanation* why) const {
    std::shared_ptr<const Topology> topology = Snapshot();
    const bool down_last_resort = !topology->discovered;
    const size_t n = topology->affinity_nodes.size();
    const AffinityMode mode = ModeFor(request.table);
    std::string reason;
    bool affinity = false;
    if (request.access != model::AccessKind::kWrite) {
      reason = "round-robin: reads never use key affinity";
    } else if (mode == AffinityMode::kNone) {
      reason = absl::StrCat("round-robin: key affinity is NONE for table '", request.table, "'");
    } else if (mode == AffinityMode::kRmw && !request.read_modify_write) {
      reason = "round-robin: affinity mode RMW and this write is not read-modify-write";
    } else if (n == 0) {
      reason = "round-robin: no nodes";
    } else {
      affinity = true;
    }

    if (affinity && !request.batch_partition_keys.empty()) {
      // Batch voting (router.md §4.7): each entry votes for its key's preferred node.
      std::vector<size_t> votes;
      votes.reserve(request.batch_partition_keys.size());
      for (const model::PartitionKeyBytes& key : request.batch_partition_keys) {
        std::optional<KeyKind> kind = KindOf(key.type);
        if (!kind) continue;
        AffinityPlan plan(AffinityHash(*kind, key.bytes), n);
        votes.push_back(*plan.Next());
      }
      if (!votes.empty()) {
        if (why) {
          why->affinity = true;
          why->reason = absl::StrCat("key affinity (", AffinityModeName(mode), "): batch vote of ", votes.size(),
                                     " entries over ", n, " nodes", ScopeNote(*topology));
        }
        if (why == nullptr) affinity_plans_.fetch_add(1, std::memory_order_relaxed);
        return std::make_unique<OrderedPlan>(topology, BatchVote(votes, n), down_last_resort);
      }
      affinity = false;
      reason = "round-robin: no batch entry has a string, number or binary partition key";
    } else if (affinity) {
      std::optional<KeyKind> kind = KindOf(request.partition_key_type);
      if (!kind) {
        affinity = false;
        reason = "round-robin: the partition key is unknown or not a string, number or binary";
      } else {
        const int64_t seed = AffinityHash(*kind, request.partition_key);
        if (why) {
          why->affinity = true;
          why->reason = absl::StrCat("key affinity (", AffinityModeName(mode), "): partition key hash ", seed,
                                     " plans over ", n, " nodes", ScopeNote(*topology));
        }
        if (why == nullptr) affinity_plans_.fetch_add(1, std::memory_order_relaxed);
        return std::make_unique<OrderedPlan>(topology, seed, down_last_resort);
      }
    }
    if (why) {
      why->affinity = false;
      why->reason = absl::StrCat(reason, " over the ", topology->nodes.size(), " nodes of scope ",
                                 topology->scope.ToString());
    }
    if (why == nullptr) round_robin_plans_.fetch_add(1, std::memory_order_relaxed);
    const size_t count = std::max<size_t>(1, topology->nodes.size());
    return std::make_unique<RoundRobinPlan>(topology, static_cast<size_t>(rr % count), down_last_resort);
  }

  static std::string ScopeNote(const Topology& topology) {
    if (topology.scope.kind == RoutingScope::Kind::kRack) {
      return absl::StrCat(" of datacenter ", topology.scope.dc, " (affinity overrides the rack scope ",
                          topology.scope.ToString(), ")");
    }
    return absl::StrCat(" of scope ", topology.scope.ToString());
  }

  // ---------------------------------------------------------------- registry and snapshot

  std::shared_ptr<const Topology> Snapshot() const {
    absl::MutexLock lock(&topology_mu_);
    return topology_;
  }

  void Publish(std::shared_ptr<const Topology> topology) {
    absl::MutexLock lock(&topology_mu_);
    topology_ = std::move(topology);
  }

  RouterNode* Register(const std::string& canonical, const std::string& host, const std::string& dial,
                       NodeState initial) {
    absl::MutexLock lock(&mu_);
    auto it = by_canonical_.find(canonical);
    if (it != by_canonical_.end()) return it->second;
    auto node = std::make_unique<RouterNode>(initial, config_.health);
    node->id = static_cast<uint32_t>(nodes_.size());
    node->canonical = canonical;
    node->address = host;
    auto endpoint = ParseEndpoint(dial);
    node->target.id = node->id;
    node->target.router_handle = node.get();
    node->target.host_header = HostHeaderFor(endpoint->scheme, endpoint->host, endpoint->port);
    node->target.base_url = absl::StrCat(endpoint->scheme, "://", node->target.host_header);
    RouterNode* raw = node.get();
    by_canonical_.emplace(canonical, raw);
    nodes_.push_back(std::move(node));
    return raw;
  }

  static void Mirror(RouterNode* node) ABSL_EXCLUSIVE_LOCKS_REQUIRED(node->mu) {
    node->state.store(node->health.state(), std::memory_order_relaxed);
    node->generation.store(node->health.generation(), std::memory_order_release);
  }

  // ---------------------------------------------------------------- discovery

  // Blocking /localnodes, for startup only.
  LocalNodesAnswer ListNow(RouterNode* node, const std::string& dc, const std::string& rack, absl::Time deadline) {
    absl::Notification done;
    LocalNodesAnswer result;
    const absl::Duration timeout = std::min(config_.discovery_timeout, deadline - absl::Now());
    if (timeout <= absl::ZeroDuration()) return LocalNodesAnswer{false, {}, "startup deadline passed"};
    client_.ListLocalNodes(node->target.base_url, dc, rack, timeout, [&](LocalNodesAnswer answer) {
      result = std::move(answer);
      done.Notify();
    });
    done.WaitForNotification();
    return result;
  }

  // Old servers ignore dc and rack: a random dc or rack then returns the same non-empty list.
  void DetectFilterSupport(RouterNode* node, const LocalNodesAnswer& base, absl::Time deadline) {
    const std::string random = absl::StrCat("altgw-probe-", std::random_device{}());
    if (base.addresses.empty()) return;
    LocalNodesAnswer by_dc = ListNow(node, random, "", deadline);
    dc_supported_ = !(by_dc.ok && by_dc.addresses.size() == base.addresses.size());
    LocalNodesAnswer by_rack = ListNow(node, "", random, deadline);
    rack_supported_ = !(by_rack.ok && by_rack.addresses.size() == base.addresses.size());
    if (!dc_supported_) LogWarning("the cluster ignores /localnodes?dc=: datacenter scopes cannot be honoured");
    if (!rack_supported_) LogWarning("the cluster ignores /localnodes?rack=: rack scopes cannot be honoured");
  }

  bool AffinityAnywhere() const {
    if (config_.affinity != AffinityMode::kNone) return true;
    return std::any_of(config_.table_affinity.begin(), config_.table_affinity.end(),
                       [](const auto& entry) { return entry.second != AffinityMode::kNone; });
  }

  // Who to ask, in order: current nodes (ACTIVE, then QUARANTINED, then DOWN, each group shuffled), then
  // the seeds. At most kMaxCandidates.
  std::vector<RouterNode*> Candidates() const {
    static constexpr size_t kMaxCandidates = 8;
    std::shared_ptr<const Topology> topology = Snapshot();
    std::vector<RouterNode*> groups[3];
    if (topology->discovered) {
      for (RouterNode* node : topology->nodes) {
        const NodeState state = node->state.load(std::memory_order_relaxed);
        groups[state == NodeState::kActive ? 0 : state == NodeState::kQuarantined ? 1 : 2].push_back(node);
      }
    }
    std::vector<RouterNode*> out;
    absl::flat_hash_set<RouterNode*> seen;
    for (auto& group : groups) {
      Shuffle(group);
      for (RouterNode* node : group) {
        if (out.size() < kMaxCandidates && seen.insert(node).second) out.push_back(node);
      }
    }
    for (RouterNode* seed : seeds_) {
      if (seen.insert(seed).second) out.push_back(seed);  // seeds always get their turn
    }
    return out;
  }

  // One refresh: the scopes of the chain in order until one has nodes.
  class RefreshRun : public std::enable_shared_from_this<RefreshRun> {
   public:
    RefreshRun(std::shared_ptr<Impl> router, absl::AnyInvocable<void(absl::Status) &&> done)
        : router_(std::move(router)), done_(std::move(done)) {}

    void Begin() { TryScope(0); }

   private:
    void TryScope(size_t index) {
      const auto& scopes = router_->config_.scopes;
      if (index >= scopes.size()) {
        Finish(absl::UnavailableError(absl::StrCat("discovery: no scope of the chain has nodes (",
                                                   absl::StrJoin(empty_scopes_, ", "), " answered [])")));
        return;
      }
      scope_index_ = index;
      const RoutingScope& scope = scopes[index];
      if ((scope.kind == RoutingScope::Kind::kRack && !router_->rack_supported_) ||
          (scope.kind != RoutingScope::Kind::kCluster && !router_->dc_supported_)) {
        empty_scopes_.push_back(absl::StrCat(scope.ToString(), " (unsupported by the cluster)"));
        TryScope(index + 1);
        return;
      }
      candidates_ = router_->Candidates();
      next_candidate_ = 0;
      saw_empty_ = false;
      errors_.clear();
      covered_.clear();
      cluster_nodes_.clear();
      Ask();
    }

    void Ask() {
      if (router_->stopping_.load()) {
        Finish(absl::CancelledError("router stopping"));
        return;
      }
      const RoutingScope& scope = router_->config_.scopes[scope_index_];
      if (next_candidate_ >= candidates_.size()) {
        if (!cluster_nodes_.empty()) {
          Apply(cluster_nodes_, cluster_nodes_);
        } else if (saw_empty_) {
          empty_scopes_.push_back(scope.ToString());
          TryScope(scope_index_ + 1);
        } else {
          // Every candidate failed: an error, not an empty scope. Keep the current list.
          Finish(absl::UnavailableError(absl::StrCat("discovery: every node failed /localnodes for scope ",
                                                     scope.ToString(), " (", absl::StrJoin(errors_, "; "), ")")));
        }
        return;
      }
      RouterNode* candidate = candidates_[next_candidate_++];
      if (covered_.contains(candidate->canonical)) {
        Ask();  // its datacenter's answer is in already
        return;
      }
      const std::string dc = scope.kind == RoutingScope::Kind::kCluster ? "" : scope.dc;
      const std::string rack = scope.kind == RoutingScope::Kind::kRack ? scope.rack : "";
      auto self = shared_from_this();
      router_->client_.ListLocalNodes(
          candidate->target.base_url, dc, rack, router_->config_.discovery_timeout,
          [self, candidate](LocalNodesAnswer answer) mutable { self->OnAnswer(candidate, std::move(answer)); });
    }

    void OnAnswer(RouterNode* candidate, LocalNodesAnswer answer) {
      if (!answer.ok) {
        errors_.push_back(absl::StrCat(candidate->canonical, ": ", answer.error));
        Ask();
        return;
      }
      std::vector<std::string> valid = router_->ValidAddresses(answer.addresses);
      if (valid.empty()) {
        saw_empty_ = true;
        Ask();
        return;
      }
      const RoutingScope& scope = router_->config_.scopes[scope_index_];
      if (scope.kind == RoutingScope::Kind::kCluster) {
        // One answer covers the answering node's datacenter; keep asking candidates not covered yet (seeds
        // of other datacenters) and take the union.
        for (std::string& url : valid) {
          if (covered_.insert(url).second) cluster_nodes_.push_back(std::move(url));
        }
        Ask();
        return;
      }
      if (scope.kind == RoutingScope::Kind::kRack && router_->AffinityAnywhere()) {
        // Affinity plans over the rack's datacenter: fetch that list from the same node.
        auto self = shared_from_this();
        router_->client_.ListLocalNodes(candidate->target.base_url, scope.dc, "", router_->config_.discovery_timeout,
                                        [self, valid = std::move(valid)](LocalNodesAnswer dc_answer) mutable {
                                          std::vector<std::string> dc_nodes =
                                              dc_answer.ok ? self->router_->ValidAddresses(dc_answer.addresses)
                                                           : std::vector<std::string>();
                                          if (dc_nodes.empty()) dc_nodes = valid;
                                          self->Apply(valid, dc_nodes);
                                        });
        return;
      }
      Apply(valid, valid);
    }

    void Apply(const std::vector<std::string>& scope_nodes, const std::vector<std::string>& affinity_nodes) {
      router_->ApplyDiscovery(scope_index_, scope_nodes, affinity_nodes);
      Finish(absl::OkStatus());
    }

    void Finish(absl::Status status) {
      if (done_) std::move(done_)(std::move(status));
      done_ = nullptr;
    }

    std::shared_ptr<Impl> router_;
    absl::AnyInvocable<void(absl::Status) &&> done_;
    size_t scope_index_ = 0;
    std::vector<RouterNode*> candidates_;
    size_t next_candidate_ = 0;
    bool saw_empty_ = false;
    std::vector<std::string> errors_;
    std::vector<std::string> empty_scopes_;
    absl::flat_hash_set<std::string> covered_;  // cluster scope: nodes whose datacenter has answered
    std::vector<std::string> cluster_nodes_;
  };

  // Validated, de-duplicated canonical URLs of /localnodes entries; bad entries are dropped with a log line.
  std::vector<std::string> ValidAddresses(const std::vector<std::string>& addresses) const {
    std::vector<std::string> out;
    absl::flat_hash_set<std::string> seen;
    for (const std::string& address : addresses) {
      auto url = NodeUrl(scheme_, address, port_);
      if (!url.ok()) {
        LogWarning(absl::StrCat("ignoring /localnodes entry: ", url.status().message()));
        continue;
      }
      if (seen.insert(*url).second) out.push_back(*std::move(url));
    }
    return out;
  }

  std::vector<RouterNode*> ToNodes(const std::vector<std::string>& urls, const RoutingScope& scope,
                                   bool tag_rack, std::vector<RouterNode*>* fresh) {
    std::vector<std::string> sorted = urls;
    std::sort(sorted.begin(), sorted.end());
    std::vector<RouterNode*> out;
    for (const std::string& url : sorted) {
      auto endpoint = ParseEndpoint(url);
      if (!endpoint.ok()) continue;
      bool is_new;
      {
        absl::MutexLock lock(&mu_);
        is_new = !by_canonical_.contains(url);
      }
      RouterNode* node = Register(url, endpoint->host, url, NodeState::kQuarantined);
      if (is_new) fresh->push_back(node);
      if (scope.kind != RoutingScope::Kind::kCluster) {
        absl::MutexLock lock(&node->mu);
        node->dc = scope.dc;
        if (tag_rack) node->rack = scope.rack;
      }
      out.push_back(node);
    }
    return out;
  }

  void ApplyDiscovery(size_t scope_index, const std::vector<std::string>& scope_urls,
                      const std::vector<std::string>& affinity_urls) {
    const RoutingScope& scope = config_.scopes[scope_index];
    auto topology = std::make_shared<Topology>();
    topology->scope = scope;
    topology->discovered = true;
    std::vector<RouterNode*> fresh;
    topology->nodes = ToNodes(scope_urls, scope, scope.kind == RoutingScope::Kind::kRack, &fresh);
    topology->affinity_nodes = scope.kind == RoutingScope::Kind::kRack
                                   ? ToNodes(affinity_urls, scope, /*tag_rack=*/false, &fresh)
                                   : topology->nodes;
    std::shared_ptr<const Topology> previous = Snapshot();
    if (previous && previous->discovered && !(previous->scope == scope)) {
      LogWarning(absl::StrCat("routing scope changed from ", previous->scope.ToString(), " to ", scope.ToString()));
    }
    // Nodes back in the list after being absent (a restart the gateway did not see fail): QUARANTINED
    // again, like new ones.
    absl::flat_hash_set<RouterNode*> before;
    if (previous && previous->discovered) {
      before.insert(previous->nodes.begin(), previous->nodes.end());
      before.insert(previous->affinity_nodes.begin(), previous->affinity_nodes.end());
    }
    std::vector<RouterNode*> returning;
    for (const auto* list : {&topology->nodes, &topology->affinity_nodes}) {
      for (RouterNode* node : *list) {
        if (node->ever_listed && !before.contains(node) &&
            std::find(returning.begin(), returning.end(), node) == returning.end()) {
          returning.push_back(node);
        }
        node->ever_listed = true;
      }
    }
    for (RouterNode* node : returning) {
      absl::MutexLock lock(&node->mu);
      node->health.Rediscovered();
      Mirror(node);
    }
    Publish(std::move(topology));
    // New nodes start QUARANTINED; a probe success promotes them at once.
    for (RouterNode* node : fresh) Probe(node);
    for (RouterNode* node : returning) Probe(node);
  }

  void NoteActivity() {
    const int64_t now = absl::ToUnixNanos(absl::Now());
    last_activity_ns_.store(now, std::memory_order_relaxed);
    if (!discovery_) return;
    // An idle-scheduled refresh is too far away once requests flow again.
    if (now - last_refresh_start_ns_.load(std::memory_order_relaxed) >=
        absl::ToInt64Nanoseconds(config_.active_refresh)) {
      KickRefresh();
    }
  }

  void KickRefresh() {
    if (stopping_.load() || refreshing_.exchange(true)) return;
    auto self = shared_from_this();
    scheduler_.RunAfter(absl::ZeroDuration(), [self] {
      self->RunRefresh([self](absl::Status) { /* errors keep the current list; logged by RunRefresh */ });
    });
  }

  void RunRefresh(absl::AnyInvocable<void(absl::Status) &&> done) {
    refreshing_.store(true);
    last_refresh_start_ns_.store(absl::ToUnixNanos(absl::Now()), std::memory_order_relaxed);
    auto self = shared_from_this();
    auto run = std::make_shared<RefreshRun>(
        self, [self, done = std::move(done)](absl::Status status) mutable {
          if (!status.ok() && !absl::IsCancelled(status)) {
            self->discovery_failures_.fetch_add(1, std::memory_order_relaxed);
            LogWarning(std::string(status.message()));
          }
          self->refreshes_.fetch_add(1, std::memory_order_relaxed);
          self->refreshing_.store(false);
          std::move(done)(std::move(status));
        });
    run->Begin();
  }

  void ScheduleRefresh(absl::Duration delay) {
    if (!discovery_ || stopping_.load()) return;
    std::weak_ptr<Impl> weak = weak_from_this();
    scheduler_.RunAfter(delay, [weak] {
      auto self = weak.lock();
      if (!self || self->stopping_.load()) return;
      const bool active = absl::ToUnixNanos(absl::Now()) - self->last_activity_ns_.load() <
                          2 * absl::ToInt64Nanoseconds(self->config_.active_refresh);
      if (!self->refreshing_.exchange(true)) self->RunRefresh([](absl::Status) {});
      self->ScheduleRefresh(active ? self->config_.active_refresh : self->config_.idle_refresh);
    });
  }

  // ---------------------------------------------------------------- probes

  void ScheduleProbeTick() {
    std::weak_ptr<Impl> weak = weak_from_this();
    scheduler_.RunAfter(config_.probe_interval, [weak] {
      auto self = weak.lock();
      if (!self || self->stopping_.load()) return;
      self->ProbeUnhealthy();
      self->ScheduleProbeTick();
    });
  }

  // Probes every QUARANTINED or DOWN node that is a routing target, at most max_concurrent_probes at once.
  void ProbeUnhealthy() {
    std::shared_ptr<const Topology> topology = Snapshot();
    absl::flat_hash_set<RouterNode*> targets(topology->nodes.begin(), topology->nodes.end());
    targets.insert(topology->affinity_nodes.begin(), topology->affinity_nodes.end());
    for (RouterNode* node : targets) {
      if (node->state.load(std::memory_order_relaxed) != NodeState::kActive) Probe(node);
    }
  }

  void Probe(RouterNode* node) {
    if (stopping_.load() || node->probing.exchange(true)) return;
    {
      absl::MutexLock lock(&probe_mu_);
      if (probes_in_flight_ >= config_.max_concurrent_probes) {
        probe_queue_.push_back(node);
        return;
      }
      ++probes_in_flight_;
    }
    StartProbe(node);
  }

  void StartProbe(RouterNode* node) {
    const uint64_t generation = node->generation.load(std::memory_order_acquire);
    auto self = shared_from_this();
    auto finish = [self, node, generation](bool success) {
      {
        absl::MutexLock lock(&node->mu);
        node->health.RecordProbe(success, generation);
        Mirror(node);
      }
      node->probing.store(false);
      RouterNode* next = nullptr;
      {
        absl::MutexLock lock(&self->probe_mu_);
        if (!self->probe_queue_.empty() && !self->stopping_.load()) {
          next = self->probe_queue_.front();
          self->probe_queue_.erase(self->probe_queue_.begin());
        } else {
          --self->probes_in_flight_;
        }
      }
      if (next != nullptr) self->StartProbe(next);
    };
    if (discovery_) {
      client_.ListLocalNodes(node->target.base_url, "", "", config_.probe_timeout,
                             [finish](LocalNodesAnswer answer) mutable { finish(answer.ok); });
    } else {
      client_.Ping(node->target.base_url, config_.probe_timeout, [finish](bool answered) mutable { finish(answered); });
    }
  }

  const RouterConfig config_;
  NodeClient& client_;
  Scheduler& scheduler_;

  std::string scheme_;
  uint16_t port_ = 0;
  bool discovery_ = false;
  bool dc_supported_ = true;
  bool rack_supported_ = true;
  std::vector<RouterNode*> seeds_;

  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<RouterNode>> nodes_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, RouterNode*> by_canonical_ ABSL_GUARDED_BY(mu_);

  mutable absl::Mutex topology_mu_;
  std::shared_ptr<const Topology> topology_ ABSL_GUARDED_BY(topology_mu_) = std::make_shared<Topology>();

  absl::Mutex probe_mu_;
  int probes_in_flight_ ABSL_GUARDED_BY(probe_mu_) = 0;
  std::vector<RouterNode*> probe_queue_ ABSL_GUARDED_BY(probe_mu_);

  mutable std::atomic<uint64_t> rr_next_{0};
  std::atomic<int64_t> last_activity_ns_{0};
  std::atomic<int64_t> last_refresh_start_ns_{0};
  std::atomic<bool> refreshing_{false};
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> refreshes_{0};
  std::atomic<uint64_t> discovery_failures_{0};
  // Plans made (not explanations), by whether key affinity chose the order. Mutable: MakePlan is const.
  mutable std::atomic<uint64_t> affinity_plans_{0};
  mutable std::atomic<uint64_t> round_robin_plans_{0};
};

ClusterRouter::ClusterRouter(RouterConfig config, NodeClient& client, Scheduler& scheduler)
    : impl_(std::make_shared<Impl>(std::move(config), client, scheduler)) {}

ClusterRouter::~ClusterRouter() { impl_->Stop(); }

absl::Status ClusterRouter::Start(absl::Duration timeout) { return impl_->Start(timeout); }
std::unique_ptr<RoutePlan> ClusterRouter::Plan(const RouteRequest& request) { return impl_->Plan(request); }
void ClusterRouter::Report(const NodeTarget& node, AttemptResult result) { impl_->Report(node, result); }
std::vector<ClusterRouter::NodeStatus> ClusterRouter::ListNodes() const { return impl_->ListNodes(); }
ClusterRouter::Explanation ClusterRouter::Explain(const RouteRequest& request) const { return impl_->Explain(request); }
RoutingScope ClusterRouter::active_scope() const { return impl_->active_scope(); }
bool ClusterRouter::discovery_enabled() const { return impl_->discovery_enabled(); }
size_t ClusterRouter::usable_nodes() const { return impl_->usable_nodes(); }
ClusterRouter::Counters ClusterRouter::counters() const { return impl_->counters(); }

}  // namespace altgw::routing
