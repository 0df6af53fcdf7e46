// Versioned items (optimistic concurrency).
//
// A table may be configured with a version attribute. Every write through the gateway then sets it to
// the previous version + 1 in the same request as the write, and a write may require the current version
// (expected_version; 0 = the item must not exist). Reads report the version in typed fields.
#ifndef ALTGW_MODEL_VERSIONING_H_
#define ALTGW_MODEL_VERSIONING_H_

#include <cstdint>
#include <optional>
#include <string>

#include "common/gateway_error.h"
#include "model/table_schema.h"
#include "model/value_codec.h"
#include "nlohmann/json.hpp"

namespace altgw::model {

// The item's version: its version attribute when the table is versioned and the attribute holds a
// non-negative integer; nullopt otherwise.
std::optional<uint64_t> ItemVersion(const TableSchema& schema, const AttributeMap& item);
// The same by attribute name (empty: not versioned), for a typed item and for an item in DynamoDB JSON.
std::optional<uint64_t> ItemVersion(const std::string& version_attribute, const AttributeMap& item);
std::optional<uint64_t> ItemVersion(const std::string& version_attribute, const nlohmann::json& item);

// Sets Item.version (and the like) from the attributes of a read item.
template <typename Message>
void FillVersion(const TableSchema& schema, const AttributeMap& item, Message* out) {
  if (std::optional<uint64_t> version = ItemVersion(schema, item)) out->set_version(*version);
}

// What a write requires of the item's current version: given by the caller (expected_version), or
// observed by a read just before the write (for writes without expected_version that must still bump
// the version atomically).
struct VersionExpectation {
  enum class Kind {
    kMustNotExist,          // expected_version 0, or a read found no item
    kEquals,                // the item exists with this version
    kExistsWithoutVersion,  // a read found an item with no version attribute (written by someone else)
  };
  Kind kind = Kind::kMustNotExist;
  uint64_t version = 0;

  static VersionExpectation Expected(uint64_t expected_version);
  static VersionExpectation Observed(bool exists, std::optional<uint64_t> version);
  // The version the item has after the write.
  uint64_t Next() const { return kind == Kind::kEquals ? version + 1 : 1; }
  // Whether an item in this state meets the expectation.
  bool MetBy(bool exists, std::optional<uint64_t> version) const;
};

// What is needed to explain a failed condition of one write (or transaction operation).
struct ConditionCheckInfo {
  std::string table;
  std::string version_attribute;  // empty: the table is not versioned
  std::optional<VersionExpectation> expectation;
  // The caller asked for the current item (return_item_on_condition_failure).
  bool return_item = false;
  // The request asked the database for the current item (ReturnValuesOnConditionCheckFailure), so a
  // missing item in the answer means the item does not exist.
  bool item_requested = false;
};

// How a single-item write's answer is reported to the caller.
struct WriteAnswer {
  // The gateway asked for ReturnValues the caller did not (to learn the new version): drop Attributes.
  bool strip_attributes = false;
  std::string version_attribute;
  enum class Version {
    kNone,     // not versioned
    kKnown,    // known before sending (`known`)
    kFromNew,  // the answer's Attributes hold the new version (ALL_NEW, UPDATED_NEW)
    kFromOld,  // the answer's Attributes hold the old version, if any (ALL_OLD, UPDATED_OLD): old + 1, or 1
  };
  Version version = Version::kNone;
  uint64_t known = 0;

  // The item's version after the write, from the answer body; nullopt when not versioned or unknown.
  std::optional<uint64_t> NewVersion(const nlohmann::json& body) const;
};

// The error for a condition that failed on `item` (DynamoDB JSON; nullptr when none was returned):
// VERSION_MISMATCH when the version expectation is not met, CONDITION_FAILED otherwise.
GatewayError ConditionFailureError(const ConditionCheckInfo& info, const nlohmann::json* item);

}  // namespace altgw::model

#endif  // ALTGW_MODEL_VERSIONING_H_
