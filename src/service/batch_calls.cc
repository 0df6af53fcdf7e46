#include "service/batch_calls.h"
#include "service/methods.h"

#include <deque>
#include <random>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "model/batch_requests.h"

namespace altgw::service {
namespace {

namespace v1 = ::alternator::gateway::v1;
using nlohmann::json;

// Chunks in flight at once per batch call: enough to hide round trips, few enough not to flood a node.
constexpr int kMaxConcurrentChunks = 8;
constexpr absl::Duration kBackoffBase = absl::Milliseconds(20);
constexpr absl::Duration kBackoffCap = absl::Seconds(1);

absl::Duration Backoff(int retry) {
  thread_local std::minstd_rand engine(std::random_device{}());
  const absl::Duration base = std::min(kBackoffCap, kBackoffBase * (1 << std::min(retry, 10)));
  return base * std::uniform_real_distribution<double>(0.5, 1.5)(engine);
}

// ---------------------------------------------------------------- BatchGet

class BatchGetRun : public std::enable_shared_from_this<BatchGetRun> {
 public:
  BatchGetRun(Gateway& gateway, std::shared_ptr<UnaryCall> call, v1::BatchGetResponse* out, SchemaMap schemas,
              model::BatchGetPlan plan)
      : gateway_(gateway), call_(std::move(call)), out_(out), schemas_(std::move(schemas)), plan_(std::move(plan)) {
    for (size_t i = 0; i < plan_.tables.size(); ++i) table_index_[plan_.tables[i]] = i;
    items_.resize(plan_.tables.size());
  }

  void Begin() {
    {
      absl::MutexLock lock(&mu_);
      for (json& chunk : plan_.chunks) queue_.push_back(Work{std::move(chunk), 0});
    }
    Pump();
  }

 private:
  struct Work {
    json request_items;
    int retry;
  };

  // Starts queued work while fewer than kMaxConcurrentChunks run; responds when nothing is left.
  void Pump() {
    std::vector<Work> to_start;
    bool respond = false;
    {
      absl::MutexLock lock(&mu_);
      if (failed_) return;
      while (running_ < kMaxConcurrentChunks && !queue_.empty()) {
        to_start.push_back(std::move(queue_.front()));
        queue_.pop_front();
        ++running_;
      }
      respond = running_ == 0 && waiting_ == 0 && queue_.empty() && !responded_;
      if (respond) responded_ = true;
    }
    for (Work& work : to_start) Run(std::move(work));
    if (respond) Respond();
  }

  void Run(Work work) {
    auto self = shared_from_this();
    const int retry = work.retry;
    gateway_.backend.Execute(model::BatchGetCall(work.request_items), call_->deadline(),
                             [self, retry](ErrorOr<model::Answer> answer, const alternator::CallStats& stats) {
                               self->call_->RecordBackend(stats);
                               self->OnAnswer(retry, std::move(answer));
                             });
  }

  void OnAnswer(int retry, ErrorOr<model::Answer> answer) {
    if (!answer.ok()) {
      Fail(answer.error());
      return;
    }
    ErrorOr<model::BatchGetAnswer> parsed = model::ParseBatchGetAnswer(*answer, LookupIn(schemas_));
    if (!parsed.ok()) {
      Fail(parsed.error());
      return;
    }
    // Throttled keys: retry after a backoff if that still fits in the deadline.
    const bool retry_unprocessed = !parsed->unprocessed.empty();
    const absl::Duration delay = retry_unprocessed ? Backoff(retry) : absl::ZeroDuration();
    const bool too_late = retry_unprocessed && absl::Now() + delay >= call_->deadline();
    {
      absl::MutexLock lock(&mu_);
      for (auto& [table, item] : parsed->items) {
        auto it = table_index_.find(table);
        if (it != table_index_.end()) items_[it->second].push_back(std::move(item));
      }
      --running_;
      // The pending retry must be counted in the same critical section that stops counting this chunk as
      // running: otherwise another chunk's Pump() in between sees nothing running or waiting and responds
      // without the retried keys (and the retry then writes items_ while the response is being built).
      if (retry_unprocessed && !too_late) ++waiting_;
    }
    if (too_late) {
      Fail(GatewayError::BackendThrottled("UnprocessedKeys", delay));
      return;
    }
    if (retry_unprocessed) {
      auto self = shared_from_this();
      gateway_.scheduler.RunAfter(delay, [self, retry, keys = std::move(parsed->unprocessed)]() mutable {
        {
          absl::MutexLock lock(&self->mu_);
          --self->waiting_;
          self->queue_.push_back(Work{std::move(keys), retry + 1});
        }
        self->Pump();
      });
    }
    Pump();
  }

  void Fail(const GatewayError& error) {
    {
      absl::MutexLock lock(&mu_);
      if (failed_ || responded_) return;
      failed_ = true;
    }
    call_->Fail(error);
  }

  void Respond() {
    call_->Succeed([&] {
      for (size_t i = 0; i < plan_.tables.size(); ++i) {
        v1::TableItems* table = out_->add_tables();
        table->set_table(plan_.tables[i]);
        for (v1::Item& item : items_[i]) *table->add_items() = std::move(item);
      }
    });
  }

  Gateway& gateway_;
  std::shared_ptr<UnaryCall> call_;
  v1::BatchGetResponse* out_;
  SchemaMap schemas_;
  model::BatchGetPlan plan_;
  absl::flat_hash_map<std::string, size_t> table_index_;

  absl::Mutex mu_;
  std::deque<Work> queue_ ABSL_GUARDED_BY(mu_);
  std::vector<std::vector<v1::Item>> items_ ABSL_GUARDED_BY(mu_);
  int running_ ABSL_GUARDED_BY(mu_) = 0;
  int waiting_ ABSL_GUARDED_BY(mu_) = 0;  // retries sleeping in the scheduler
  bool failed_ ABSL_GUARDED_BY(mu_) = false;
  bool responded_ ABSL_GUARDED_BY(mu_) = false;
};

// ---------------------------------------------------------------- BatchWrite

class BatchWriteRun : public std::enable_shared_from_this<BatchWriteRun> {
 public:
  BatchWriteRun(Gateway& gateway, std::shared_ptr<UnaryCall> call, v1::BatchWriteResponse* out, SchemaMap schemas,
                model::BatchWritePlan plan)
      : gateway_(gateway), call_(std::move(call)), out_(out), schemas_(std::move(schemas)), plan_(std::move(plan)),
        statuses_(plan_.entry_ids.size()) {}

  void Begin() {
    {
      absl::MutexLock lock(&mu_);
      for (model::BatchWriteChunk& chunk : plan_.chunks) {
        queue_.push_back(Work{std::move(chunk.request_items), std::move(chunk.partition_keys),
                              std::move(chunk.entries), 0});
      }
    }
    Pump();
  }

 private:
  struct Work {
    json request_items;
    std::vector<model::PartitionKeyBytes> partition_keys;
    std::vector<size_t> entries;
    int retry;
  };

  void Pump() {
    std::vector<Work> to_start;
    bool respond = false;
    {
      absl::MutexLock lock(&mu_);
      while (running_ < kMaxConcurrentChunks && !queue_.empty()) {
        to_start.push_back(std::move(queue_.front()));
        queue_.pop_front();
        ++running_;
      }
      respond = running_ == 0 && waiting_ == 0 && queue_.empty() && !responded_;
      if (respond) responded_ = true;
    }
    for (Work& work : to_start) Run(std::move(work));
    if (respond) Respond();
  }

  void Run(Work work) {
    auto self = shared_from_this();
    auto shared_work = std::make_shared<Work>(std::move(work));
    // Attached so a cancellation or a drain abort stops it, and a drain abort knows a write was sent.
    call_->Attach(gateway_.backend.Execute(model::BatchWriteCall(shared_work->request_items, shared_work->partition_keys),
                             call_->deadline(),
                             [self, shared_work](ErrorOr<model::Answer> answer, const alternator::CallStats& stats) {
                               self->call_->RecordBackend(stats);
                               self->OnAnswer(std::move(*shared_work), std::move(answer));
                             }));
  }

  void OnAnswer(Work work, ErrorOr<model::Answer> answer) {
    if (!answer.ok()) {
      // The whole chunk failed: each of its entries gets the error (WRITE_OUTCOME_UNKNOWN when it may have
      // been applied; otherwise it was not).
      {
        absl::MutexLock lock(&mu_);
        for (size_t entry : work.entries) statuses_[entry] = answer.error().ToRpcStatus();
        --running_;
      }
      Pump();
      return;
    }
    json unprocessed = json::object();
    const json& body = answer->json();
    if (auto it = body.find("UnprocessedItems"); it != body.end() && it->is_object()) unprocessed = *it;
    ErrorOr<std::vector<std::string>> ids = model::UnprocessedEntryIds(unprocessed, LookupIn(schemas_));
    absl::flat_hash_set<std::string> pending;
    if (ids.ok()) pending.insert(ids->begin(), ids->end());
    Work retry_work{std::move(unprocessed), {}, {}, work.retry + 1};
    const absl::Duration delay = Backoff(work.retry);
    {
      absl::MutexLock lock(&mu_);
      for (size_t k = 0; k < work.entries.size(); ++k) {
        const size_t entry = work.entries[k];
        if (!ids.ok()) {
          statuses_[entry] = ids.error().ToRpcStatus();  // cannot tell which were applied
        } else if (pending.contains(plan_.entry_ids[entry])) {
          retry_work.entries.push_back(entry);
          if (k < work.partition_keys.size()) retry_work.partition_keys.push_back(work.partition_keys[k]);
        } else {
          statuses_[entry] = google::rpc::Status();  // OK: applied
        }
      }
      --running_;
      if (!retry_work.entries.empty()) {
        if (absl::Now() + delay >= call_->deadline()) {
          // Unprocessed items were not applied: the caller may retry exactly these.
          const google::rpc::Status throttled =
              GatewayError::BackendThrottled("UnprocessedItems", delay).ToRpcStatus();
          for (size_t entry : retry_work.entries) statuses_[entry] = throttled;
          retry_work.entries.clear();
        } else {
          // Counted as waiting in the same critical section that stops counting the chunk as running, so
          // that no Pump() in between responds before the retry (see BatchGetRun::OnAnswer).
          ++waiting_;
        }
      }
    }
    if (!retry_work.entries.empty()) {
      auto self = shared_from_this();
      gateway_.scheduler.RunAfter(delay, [self, retry_work = std::move(retry_work)]() mutable {
        {
          absl::MutexLock lock(&self->mu_);
          --self->waiting_;
          self->queue_.push_back(std::move(retry_work));
        }
        self->Pump();
      });
    }
    Pump();
  }

  void Respond() {
    call_->Succeed([&] {
      absl::MutexLock lock(&mu_);
      for (google::rpc::Status& status : statuses_) *out_->add_statuses() = std::move(status);
    });
  }

  Gateway& gateway_;
  std::shared_ptr<UnaryCall> call_;
  v1::BatchWriteResponse* out_;
  SchemaMap schemas_;
  model::BatchWritePlan plan_;

  absl::Mutex mu_;
  std::vector<google::rpc::Status> statuses_ ABSL_GUARDED_BY(mu_);
  std::deque<Work> queue_ ABSL_GUARDED_BY(mu_);
  int running_ ABSL_GUARDED_BY(mu_) = 0;
  int waiting_ ABSL_GUARDED_BY(mu_) = 0;
  bool responded_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

void RunBatchGet(Gateway& gateway, const std::shared_ptr<UnaryCall>& call, const v1::BatchGetRequest* request,
                 v1::BatchGetResponse* response) {
  // The request lives as long as the call (UnaryCall holds it): this pointer shares the call's ownership.
  auto owned = std::shared_ptr<const v1::BatchGetRequest>(call, request);
  std::vector<std::string> tables;
  for (const v1::TableKeys& entry : owned->tables()) tables.push_back(entry.table());
  if (!Authorize(gateway, *call, NeedOnEach(Permission::kRead, tables))) return;
  WithSchemas(gateway, call, std::move(tables),
              [&gateway, call, request = std::move(owned), response](SchemaMap schemas) {
                ErrorOr<model::BatchGetPlan> plan = model::TranslateBatchGet(*request, LookupIn(schemas));
                if (!plan.ok()) {
                  call->Fail(plan.error());
                  return;
                }
                std::make_shared<BatchGetRun>(gateway, call, response, std::move(schemas), std::move(plan).value())
                    ->Begin();
              });
}

void RunBatchWrite(Gateway& gateway, const std::shared_ptr<UnaryCall>& call, const v1::BatchWriteRequest* request,
                   v1::BatchWriteResponse* response) {
  // As in RunBatchGet: the request, owned with the call.
  auto owned = std::shared_ptr<const v1::BatchWriteRequest>(call, request);
  std::vector<std::string> tables;
  for (const v1::WriteEntry& entry : owned->entries()) tables.push_back(entry.table());
  if (!Authorize(gateway, *call, NeedOnEach(Permission::kWrite, tables))) return;
  WithSchemas(gateway, call, std::move(tables),
              [&gateway, call, request = std::move(owned), response](SchemaMap schemas) {
                ErrorOr<model::BatchWritePlan> plan = model::TranslateBatchWrite(*request, LookupIn(schemas));
                if (!plan.ok()) {
                  call->Fail(plan.error());
                  return;
                }
                std::make_shared<BatchWriteRun>(gateway, call, response, std::move(schemas),
                                                std::move(plan).value())
                    ->Begin();
              });
}

}  // namespace altgw::service
