#include "service/readiness.h"

#include <atomic>
#include <string>
#include <vector>

namespace altgw::service {

std::shared_ptr<ReadinessMonitor> ReadinessMonitor::Create(routing::ClusterRouter* router, routing::NodeClient* client,
                                                           Scheduler& scheduler, ReadinessOptions options,
                                                           Listener listener) {
  return std::shared_ptr<ReadinessMonitor>(
      new ReadinessMonitor(router, client, scheduler, options, std::move(listener)));
}

ReadinessMonitor::ReadinessMonitor(routing::ClusterRouter* router, routing::NodeClient* client, Scheduler& scheduler,
                                   ReadinessOptions options, Listener listener)
    : router_(router), client_(client), scheduler_(scheduler), options_(options), listener_(std::move(listener)) {}

void ReadinessMonitor::Start() { ScheduleCheck(); }

void ReadinessMonitor::ScheduleCheck() {
  std::weak_ptr<ReadinessMonitor> weak = weak_from_this();
  scheduler_.RunAfter(options_.check_interval, [weak] {
    if (auto self = weak.lock()) {
      self->Check();
      self->ScheduleCheck();
    }
  });
}

void ReadinessMonitor::Check() {
  if (router_ == nullptr || client_ == nullptr) return;
  std::vector<std::string> candidates;
  for (const routing::ClusterRouter::NodeStatus& node : router_->ListNodes()) {
    if (!node.in_scope || node.state == routing::NodeState::kDown) continue;
    candidates.push_back(node.endpoint);
    if (static_cast<int>(candidates.size()) >= options_.max_probes) break;
  }
  if (candidates.empty()) {
    Observe(false, absl::Now());
    return;
  }
  // Any answer from any candidate means the database is reachable; the check concludes when the first
  // answer arrives or when every probe has failed.
  struct Round {
    std::atomic<int> pending;
    std::atomic<bool> concluded{false};
  };
  auto round = std::make_shared<Round>();
  round->pending.store(static_cast<int>(candidates.size()));
  auto self = shared_from_this();
  for (const std::string& url : candidates) {
    client_->Ping(url, options_.probe_timeout, [self, round](bool answered) {
      const bool last = round->pending.fetch_sub(1) == 1;
      if (answered) {
        if (!round->concluded.exchange(true)) self->Observe(true, absl::Now());
      } else if (last) {
        if (!round->concluded.exchange(true)) self->Observe(false, absl::Now());
      }
    });
  }
}

void ReadinessMonitor::Observe(bool backend_usable, absl::Time now) {
  std::optional<bool> changed;
  {
    absl::MutexLock lock(&mu_);
    if (backend_usable) {
      unusable_since_.reset();
      backend_ok_ = true;
    } else {
      if (!unusable_since_) unusable_since_ = now;
      backend_ok_ = now - *unusable_since_ < options_.damping;
    }
    changed = Recompute();
  }
  if (changed) Notify();
}

void ReadinessMonitor::SetDraining() {
  std::optional<bool> changed;
  {
    absl::MutexLock lock(&mu_);
    draining_ = true;
    changed = Recompute();
  }
  if (changed) Notify();
}

void ReadinessMonitor::Notify() {
  absl::MutexLock lock(&notify_mu_);
  const bool now_ready = ready();
  if (now_ready == told_) return;
  told_ = now_ready;
  if (listener_) listener_(now_ready);
}

std::optional<bool> ReadinessMonitor::Recompute() {
  const bool ready = backend_ok_ && !draining_;
  if (ready == ready_) return std::nullopt;
  ready_ = ready;
  return ready;
}

bool ReadinessMonitor::ready() const {
  absl::MutexLock lock(&mu_);
  return ready_;
}

bool ReadinessMonitor::draining() const {
  absl::MutexLock lock(&mu_);
  return draining_;
}

bool ReadinessMonitor::backend_usable() const {
  absl::MutexLock lock(&mu_);
  return backend_ok_;
}

}  // namespace altgw::service
