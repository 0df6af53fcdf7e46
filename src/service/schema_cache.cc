#include "service/schema_cache.h"

#include "absl/strings/str_cat.h"
#include "model/item_requests.h"
#include "model/table_requests.h"

namespace altgw::service {

// DescribeTable for the cache has its own deadline: it serves every request waiting on the table.
constexpr absl::Duration kFetchTimeout = absl::Seconds(10);

void SchemaCache::Get(const std::string& table, Callback done) {
  SchemaPtr cached;
  bool start_fetch = false;
  {
    absl::MutexLock lock(&mu_);
    Entry& entry = entries_[table];
    const bool fresh = entry.schema && absl::Now() - entry.fetched < time_to_live_;
    if (entry.schema) cached = entry.schema;
    if (!fresh && !entry.fetching) {
      entry.fetching = true;
      start_fetch = true;
    }
    // A stale schema is still served while it is being refreshed: schemas change rarely, and a request
    // that relies on an outdated one is still checked by the database.
    if (!cached) entry.waiters.push_back(std::move(done));
  }
  if (start_fetch) Fetch(table);
  if (cached) std::move(done)(std::move(cached));
}

SchemaPtr SchemaCache::WithOptions(model::TableSchema schema) const {
  auto it = version_attributes_.find(schema.table);
  if (it != version_attributes_.end()) schema.version_attribute = it->second;
  return std::make_shared<const model::TableSchema>(std::move(schema));
}

std::optional<GatewayError> SchemaCache::CheckPartitionKey(const model::TableSchema& schema) const {
  auto it = partition_keys_.find(schema.table);
  if (it == partition_keys_.end() || it->second == schema.key.partition.name) return std::nullopt;
  return GatewayError::Internal(absl::StrCat("table '", schema.table, "' has the partition key '",
                                             schema.key.partition.name, "' but the gateway's configuration says '",
                                             it->second, "' (tables[\"", schema.table, "\"].partition_key)"))
      .WithMetadata("table", schema.table);
}

void SchemaCache::Put(SchemaPtr schema) {
  if (CheckPartitionKey(*schema)) return;  // not cached: the next lookup fetches it and reports the mismatch
  schema = WithOptions(*schema);
  absl::MutexLock lock(&mu_);
  Entry& entry = entries_[schema->table];
  entry.schema = std::move(schema);
  entry.fetched = absl::Now();
}

void SchemaCache::Invalidate(const std::string& table) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(table);
  if (it == entries_.end()) return;
  if (it->second.fetching) {
    it->second.schema.reset();  // the fetch in flight will fill it again
  } else {
    entries_.erase(it);
  }
}

void SchemaCache::Fetch(const std::string& table) {
  backend_.Execute(model::DescribeTableCall(table), absl::Now() + kFetchTimeout,
                   [this, table](ErrorOr<model::Answer> answer, const alternator::CallStats&) {
                     if (!answer.ok()) {
                       Complete(table, std::move(answer).error());
                       return;
                     }
                     const nlohmann::json& body = answer->json();
                     auto it = body.find("Table");
                     if (it == body.end()) {
                       Complete(table, model::MalformedAnswer("DescribeTable", absl::InternalError("no Table")));
                       return;
                     }
                     auto schema = model::ParseTableSchema(*it);
                     if (!schema.ok()) {
                       Complete(table, model::MalformedAnswer("DescribeTable", schema.status()));
                       return;
                     }
                     if (std::optional<GatewayError> wrong = CheckPartitionKey(*schema); wrong) {
                       Complete(table, *std::move(wrong));
                       return;
                     }
                     Complete(table, WithOptions(*std::move(schema)));
                   });
}

void SchemaCache::Complete(const std::string& table, ErrorOr<SchemaPtr> result) {
  std::vector<Callback> waiters;
  {
    absl::MutexLock lock(&mu_);
    Entry& entry = entries_[table];
    entry.fetching = false;
    waiters.swap(entry.waiters);
    if (result.ok()) {
      entry.schema = *result;
      entry.fetched = absl::Now();
    } else if (!entry.schema || result.error().reason() == ::alternator::gateway::v1::TABLE_NOT_FOUND) {
      entries_.erase(table);  // failures are not cached: the next request asks again
    }
  }
  for (Callback& waiter : waiters) {
    if (result.ok()) {
      std::move(waiter)(*result);
    } else {
      std::move(waiter)(result.error());
    }
  }
}

}  // namespace altgw::service
