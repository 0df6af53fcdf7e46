#include <grpcpp/grpcpp.h>

#include "service/call_tracker.h"

#include <vector>

namespace altgw::service {

CallTracker::CallTracker(int64_t max_in_flight, observability::Metrics* metrics, observability::Logger* logger)
    : max_in_flight_(max_in_flight), metrics_(metrics), logger_(logger) {}

bool CallTracker::Admit(const MethodInfo& method, std::weak_ptr<TrackedCall> call, uint64_t* id) {
  {
    absl::MutexLock lock(&mu_);
    if (max_in_flight_ > 0 && static_cast<int64_t>(running_.size()) >= max_in_flight_) return false;
    *id = next_id_++;
    running_.emplace(*id, std::move(call));
  }
  if (metrics_ != nullptr) metrics_->CallStarted(method.name);
  return true;
}

void CallTracker::Finished(uint64_t id, const observability::AccessRecord& record) {
  {
    absl::MutexLock lock(&mu_);
    running_.erase(id);
  }
  if (metrics_ != nullptr) metrics_->CallFinished(record.method, record.status, record.duration);
}

void CallTracker::Shed(const observability::AccessRecord& record) {
  if (metrics_ != nullptr) metrics_->CallShed(record.method);
}

void CallTracker::Log(const observability::AccessRecord& record) {
  if (logger_ != nullptr) logger_->Access(record);
}

int CallTracker::AbortAll() {
  std::vector<std::shared_ptr<TrackedCall>> calls;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [id, weak] : running_) {
      if (auto call = weak.lock()) calls.push_back(std::move(call));
    }
  }
  // Outside the lock: aborting finishes the call, which reports back through Finished().
  for (const auto& call : calls) call->AbortForShutdown();
  return static_cast<int>(calls.size());
}

int64_t CallTracker::in_flight() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int64_t>(running_.size());
}

void ReadCallerIds(const std::multimap<grpc::string_ref, grpc::string_ref>& metadata,
                   observability::AccessRecord& record) {
  absl::string_view request_id;
  if (auto it = metadata.find("x-request-id"); it != metadata.end()) {
    request_id = absl::string_view(it->second.data(), it->second.size());
  }
  record.request_id = observability::RequestIdFrom(request_id);
  if (auto it = metadata.find("traceparent"); it != metadata.end()) {
    record.trace_id = observability::TraceIdFromTraceparent(absl::string_view(it->second.data(), it->second.size()));
  }
}

}  // namespace altgw::service
