#include "model/versioning.h"

#include "absl/strings/numbers.h"

namespace altgw::model {
namespace {

std::optional<uint64_t> ParseVersion(const std::string& text) {
  uint64_t version = 0;
  if (!absl::SimpleAtoi(text, &version)) return std::nullopt;  // fractions, negatives, exponents: no version
  return version;
}

}  // namespace

std::optional<uint64_t> ItemVersion(const TableSchema& schema, const AttributeMap& item) {
  return ItemVersion(schema.version_attribute, item);
}

std::optional<uint64_t> ItemVersion(const std::string& version_attribute, const AttributeMap& item) {
  if (version_attribute.empty()) return std::nullopt;
  auto it = item.find(version_attribute);
  if (it == item.end() || !it->second.has_number_value()) return std::nullopt;
  const v1::Number& number = it->second.number_value();
  if (number.kind_case() == v1::Number::kInteger) {
    if (number.integer() < 0) return std::nullopt;
    return static_cast<uint64_t>(number.integer());
  }
  // Versions beyond int64 come back as canonical decimal strings.
  if (number.kind_case() == v1::Number::kDecimal) return ParseVersion(number.decimal());
  return std::nullopt;
}

std::optional<uint64_t> ItemVersion(const std::string& version_attribute, const nlohmann::json& item) {
  if (version_attribute.empty() || !item.is_object()) return std::nullopt;
  auto attribute = item.find(version_attribute);
  if (attribute == item.end() || !attribute->is_object()) return std::nullopt;
  auto number = attribute->find("N");
  if (number == attribute->end() || !number->is_string()) return std::nullopt;
  return ParseVersion(number->get<std::string>());
}

VersionExpectation VersionExpectation::Expected(uint64_t expected_version) {
  if (expected_version == 0) return VersionExpectation{Kind::kMustNotExist, 0};
  return VersionExpectation{Kind::kEquals, expected_version};
}

VersionExpectation VersionExpectation::Observed(bool exists, std::optional<uint64_t> version) {
  if (!exists) return VersionExpectation{Kind::kMustNotExist, 0};
  if (!version) return VersionExpectation{Kind::kExistsWithoutVersion, 0};
  return VersionExpectation{Kind::kEquals, *version};
}

bool VersionExpectation::MetBy(bool exists, std::optional<uint64_t> current) const {
  switch (kind) {
    case Kind::kMustNotExist:
      return !exists;
    case Kind::kEquals:
      return exists && current == version;
    case Kind::kExistsWithoutVersion:
      return exists && !current;
  }
  return false;
}

std::optional<uint64_t> WriteAnswer::NewVersion(const nlohmann::json& body) const {
  if (version == Version::kNone) return std::nullopt;
  if (version == Version::kKnown) return known;
  static const nlohmann::json kNoAttributes = nlohmann::json::object();
  auto attributes = body.find("Attributes");
  const nlohmann::json& returned = attributes == body.end() ? kNoAttributes : *attributes;
  std::optional<uint64_t> found = ItemVersion(version_attribute, returned);
  if (version == Version::kFromNew) return found;
  return found ? *found + 1 : 1;
}

GatewayError ConditionFailureError(const ConditionCheckInfo& info, const nlohmann::json* item) {
  const bool exists = item != nullptr && item->is_object();
  if (info.expectation && info.item_requested) {
    const std::optional<uint64_t> current = exists ? ItemVersion(info.version_attribute, *item) : std::nullopt;
    if (!info.expectation->MetBy(exists, current)) return GatewayError::VersionMismatch(info.table, current);
  }
  if (!info.return_item) return GatewayError::ConditionFailed(info.table, std::nullopt);
  v1::ConditionFailure failure;
  if (exists && DecodeAttributes(*item, failure.mutable_item()).ok()) {
    failure.set_item_exists(true);
  } else {
    failure.clear_item();  // an item that does not decode is not reported half-way
  }
  return GatewayError::ConditionFailed(info.table, std::move(failure));
}

}  // namespace altgw::model
