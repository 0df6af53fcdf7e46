// SchemaCache: table schemas from DescribeTable, fetched asynchronously, once per table at a time
// (single-flight: concurrent requests for a cold table share one DescribeTable), and refreshed after a
// time-to-live so a table re-created with another schema is noticed.
#ifndef ALTGW_SERVICE_SCHEMA_CACHE_H_
#define ALTGW_SERVICE_SCHEMA_CACHE_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "alternator/backend_client.h"
#include "common/error_or.h"
#include "model/table_schema.h"

namespace altgw::service {

using SchemaPtr = std::shared_ptr<const model::TableSchema>;

class SchemaCache {
 public:
  using Callback = absl::AnyInvocable<void(ErrorOr<SchemaPtr>) &&>;

  // `version_attributes`: the gateway's versioned tables (table -> version attribute), added to their schemas.
  SchemaCache(alternator::BackendClient& backend, absl::Duration time_to_live,
              std::map<std::string, std::string> version_attributes = {})
      : backend_(backend), time_to_live_(time_to_live), version_attributes_(std::move(version_attributes)) {}

  // Calls `done` with the table's schema: at once (on this thread) when it is cached and fresh, otherwise
  // when DescribeTable answers (on a transport thread). A missing table is TABLE_NOT_FOUND.
  void Get(const std::string& table, Callback done);

  // Records a schema learned another way (a CreateTable answer).
  void Put(SchemaPtr schema);
  // Forgets a table (deleted, or the backend said it does not exist).
  void Invalidate(const std::string& table);

  // The partition key configuration says each table has (table -> attribute name). A table whose schema
  // disagrees (the wrong table, or one re-created differently) is refused: every call on it fails with
  // INTERNAL_ERROR naming both names, instead of translating requests against an unexpected key. Set
  // before serving.
  void ExpectPartitionKeys(std::map<std::string, std::string> partition_keys) {
    partition_keys_ = std::move(partition_keys);
  }

 private:
  struct Entry {
    SchemaPtr schema;
    absl::Time fetched;
    bool fetching = false;
    std::vector<Callback> waiters;
  };

  void Fetch(const std::string& table);
  void Complete(const std::string& table, ErrorOr<SchemaPtr> result);

  // An error when the table's partition key is not the configured one.
  std::optional<GatewayError> CheckPartitionKey(const model::TableSchema& schema) const;
  // Adds the gateway's own configuration of the table to a schema read from the database.
  SchemaPtr WithOptions(model::TableSchema schema) const;

  alternator::BackendClient& backend_;
  const absl::Duration time_to_live_;
  const std::map<std::string, std::string> version_attributes_;
  std::map<std::string, std::string> partition_keys_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace altgw::service

#endif  // ALTGW_SERVICE_SCHEMA_CACHE_H_
