// WriteBuilder: one write (put, update, delete) or condition check, as a DynamoDB operation object, shared by
// the single-item calls (PutItem, UpdateItem, DeleteItem) and the operations of a transaction
// (TransactWriteItems elements), so both validate, version and condition items identically.
//
// It combines the caller's condition with the version check of versioned tables, bumps the version in the
// same request as the write, and records what the layers below need: the partition key for routing, whether
// the write is read-modify-write, how to explain a failed condition.
#ifndef ALTGW_MODEL_WRITE_BUILDER_H_
#define ALTGW_MODEL_WRITE_BUILDER_H_

#include <optional>
#include <string>

#include "alternator/gateway/v1/expression.pb.h"
#include "common/violations.h"
#include "model/backend_call.h"
#include "model/expression_context.h"
#include "model/table_schema.h"
#include "model/value_codec.h"
#include "model/versioning.h"
#include "nlohmann/json.hpp"

namespace altgw::model {

enum class WriteKind { kPut, kUpdate, kDelete, kConditionCheck };

class WriteBuilder {
 public:
  // `field`: where the operation's fields are in the request ("" for a single-item request,
  // "operations[2].put" in a transaction). Problems go to `violations`.
  WriteBuilder(WriteKind kind, const std::string& table, const TableSchema& schema, const FieldRef& field,
               Violations& violations);

  // kPut: the whole item (key attributes included).
  void Item(const AttributeMap& item);
  // kUpdate, kDelete, kConditionCheck: the key.
  void Key(const AttributeMap& key);
  // kUpdate: the actions.
  void Actions(const google::protobuf::RepeatedPtrField<v1::UpdateAction>& actions);
  // The caller's condition (may be null). Required for kConditionCheck unless an expected version is given.
  void Condition(const v1::Condition* condition);
  // The caller's expected_version (must be unset on tables that are not versioned), or, for writes that
  // bump a version without one, the version a read just observed (`observed`).
  void Version(std::optional<uint64_t> expected, std::optional<VersionExpectation> observed);
  // One more condition and/or expected version on the same item, ANDed with the rest: a condition check
  // folded into this write (single-item transactions on backends without transactions).
  void AddCheck(const v1::Condition* condition, std::optional<uint64_t> expected, const FieldRef& field);
  void ReturnItemOnConditionFailure(bool wanted);
  // Always ask the database for the current item when the condition fails (to explain the failure).
  void AlwaysRequestItemOnFailure() { always_request_item_ = true; }

  // Finishes the operation: the object with TableName, Item or Key, ConditionExpression, UpdateExpression
  // and the placeholders, plus ReturnValuesOnConditionCheckFailure when needed. Call once, after the rest.
  nlohmann::json Finish();

  // After Finish():
  const PartitionKeyBytes& partition_key() const { return partition_key_; }
  bool conditional() const { return conditional_; }
  bool read_modify_write() const { return read_modify_write_; }
  const std::optional<ConditionCheckInfo>& condition_check() const { return condition_check_; }
  // The item's version after the write when it is known before sending (versioned puts, and updates with an
  // expectation).
  std::optional<uint64_t> known_new_version() const { return known_new_version_; }
  bool versioned() const { return !schema_.version_attribute.empty(); }
  // A versioned put (or update, when `must_know_version`) with neither expected_version nor an observed
  // version: it needs a read of the current version first.
  bool NeedsVersionRead(bool must_know_version) const;
  // The encoded key attributes (from the key or the item), for reads and identity.
  const nlohmann::json& encoded_key() const { return encoded_key_; }
  ExpressionContext& context() { return context_; }
  ValueEncoder& encoder() { return encoder_; }

 private:
  void RememberKey(const nlohmann::json& attributes);
  std::string VersionCondition(const VersionExpectation& expectation);

  const WriteKind kind_;
  const std::string& table_;
  const TableSchema& schema_;
  const FieldRef& field_;
  Violations& violations_;
  ValueEncoder encoder_;
  ExpressionContext context_;
  nlohmann::json operation_ = nlohmann::json::object();

  const google::protobuf::RepeatedPtrField<v1::UpdateAction>* actions_ = nullptr;
  std::string user_condition_;
  std::vector<std::string> extra_conditions_;  // folded checks, already compiled
  std::optional<VersionExpectation> expectation_;
  bool return_item_ = false;
  bool always_request_item_ = false;

  PartitionKeyBytes partition_key_;
  nlohmann::json encoded_key_ = nlohmann::json::object();
  bool conditional_ = false;
  bool read_modify_write_ = false;
  std::optional<ConditionCheckInfo> condition_check_;
  std::optional<uint64_t> known_new_version_;
};

// The partition key of encoded attributes (an item or a key), for key affinity.
PartitionKeyBytes PartitionKeyOf(const KeySchema& key, const nlohmann::json& attributes);

}  // namespace altgw::model

#endif  // ALTGW_MODEL_WRITE_BUILDER_H_
