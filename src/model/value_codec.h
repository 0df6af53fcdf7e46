// Translation of typed values between the gateway's Protobuf `Value` and DynamoDB JSON (AttributeValue).
//
// Encoding validates as it goes (kinds set, numbers in range and canonical, sets non-empty and free of
// duplicates, nesting depth) and measures the value as DynamoDB does, so the item-size limit is enforced
// before anything is sent. Decoding turns backend answers into canonical typed values.
#ifndef ALTGW_MODEL_VALUE_CODEC_H_
#define ALTGW_MODEL_VALUE_CODEC_H_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "alternator/gateway/v1/value.pb.h"
#include "common/violations.h"
#include "google/protobuf/map.h"
#include "model/decimal.h"
#include "nlohmann/json.hpp"

namespace altgw::model {

namespace v1 = ::alternator::gateway::v1;
using AttributeMap = google::protobuf::Map<std::string, v1::Value>;

class ValueEncoder {
 public:
  explicit ValueEncoder(Violations& violations) : violations_(violations) {}

  // The DynamoDB JSON of `value`; adds its DynamoDB size to *size. `level` is the nesting level of the
  // value (a top-level attribute is at level 1: DynamoDB counts the item itself as a level).
  nlohmann::json Encode(const v1::Value& value, const FieldRef& field, size_t* size, int level = 1);

  // An attribute map (item or key): validates names, adds names + values to *size.
  nlohmann::json EncodeAttributes(const AttributeMap& attributes, const FieldRef& field, size_t* size);

  // A number in canonical form, or nullopt after recording a violation.
  std::optional<Decimal> EncodeNumber(const v1::Number& number, const FieldRef& field);

  Violations& violations() { return violations_; }

 private:
  Violations& violations_;
};

// Checks an attribute name (non-empty, at most 64 KB); records a violation otherwise.
bool CheckAttributeName(absl::string_view name, const FieldRef& field, Violations& violations);

// DynamoDB's size of a number: one byte per pair of decimal digits (pairs aligned on even powers of ten,
// spanning the first to the last significant digit), plus one, plus one more when negative. Measured on
// DynamoDB Local.
size_t NumberStorageSize(const Decimal& number);

// The typed value of a DynamoDB AttributeValue from a backend answer. Numbers are canonicalised: integers
// that fit in int64 come back as `integer`, everything else as the canonical `decimal` string. The parsers
// of item-carrying answers decode the answer's simdjson document with the same rules (answer_items.h).
absl::Status DecodeValue(const nlohmann::json& json, v1::Value* out);
// A DynamoDB item/key object into an attribute map.
absl::Status DecodeAttributes(const nlohmann::json& json, AttributeMap* out);
// The typed form of a canonical number string from the backend.
absl::Status DecodeNumber(absl::string_view text, v1::Number* out);

}  // namespace altgw::model

#endif  // ALTGW_MODEL_VALUE_CODEC_H_
