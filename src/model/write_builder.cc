#include "model/write_builder.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "model/condition_compiler.h"
#include "model/key_codec.h"
#include "model/limits.h"
#include "model/update_compiler.h"

namespace altgw::model {

using nlohmann::json;

PartitionKeyBytes PartitionKeyOf(const KeySchema& key, const json& attributes) {
  PartitionKeyBytes out;
  auto it = attributes.find(key.partition.name);
  if (it == attributes.end() || !it->is_object()) return out;
  const char* tag = ScalarTypeCode(key.partition.type);
  auto value = it->find(tag);
  if (*tag == '\0' || value == it->end() || !value->is_string()) return out;
  if (key.partition.type == v1::SCALAR_TYPE_BINARY) {
    if (!absl::Base64Unescape(value->get_ref<const std::string&>(), &out.bytes)) return out;
  } else {
    out.bytes = value->get<std::string>();
  }
  out.type = key.partition.type;
  return out;
}

WriteBuilder::WriteBuilder(WriteKind kind, const std::string& table, const TableSchema& schema, const FieldRef& field,
                           Violations& violations)
    : kind_(kind), table_(table), schema_(schema), field_(field), violations_(violations), encoder_(violations) {
  operation_["TableName"] = table;
}

void WriteBuilder::RememberKey(const json& attributes) {
  for (const KeyAttributeSchema* attribute : {&schema_.key.partition, &schema_.key.sort}) {
    if (attribute->name.empty()) continue;
    auto it = attributes.find(attribute->name);
    if (it != attributes.end()) encoded_key_[attribute->name] = *it;
  }
  partition_key_ = PartitionKeyOf(schema_.key, attributes);
}

void WriteBuilder::Item(const AttributeMap& item) {
  const FieldRef item_field = field_.Child("item");
  CheckItemKeyAttributes(schema_, item, item_field, violations_);
  if (versioned() && item.contains(schema_.version_attribute)) {
    violations_.Add(item_field.Key(schema_.version_attribute),
                    "is the table's version attribute: the gateway sets it (use expected_version to check it)");
  }
  size_t size = 0;
  json encoded = encoder_.EncodeAttributes(item, item_field, &size);
  if (versioned()) {
    // The version the gateway adds: at most 20 digits.
    size += schema_.version_attribute.size() + NumberStorageSize(Decimal::FromInt64(INT64_MAX));
  }
  if (size > kMaxItemBytes) {
    violations_.Add(item_field, absl::StrCat("the item is ", size, " bytes as DynamoDB counts them",
                                             versioned() ? " (with its version)" : "", "; at most ", kMaxItemBytes,
                                             " are allowed"));
  }
  RememberKey(encoded);
  operation_["Item"] = std::move(encoded);
}

void WriteBuilder::Key(const AttributeMap& key) {
  json encoded = EncodeKey(schema_.key, key, field_.Child("key"), encoder_);
  RememberKey(encoded);
  operation_["Key"] = std::move(encoded);
}

void WriteBuilder::Actions(const google::protobuf::RepeatedPtrField<v1::UpdateAction>& actions) { actions_ = &actions; }

void WriteBuilder::Condition(const v1::Condition* condition) {
  if (condition == nullptr) return;
  user_condition_ = CompileCondition(*condition, field_.Child("condition"), context_, encoder_);
}

void WriteBuilder::Version(std::optional<uint64_t> expected, std::optional<VersionExpectation> observed) {
  if (!versioned()) {
    if (expected) {
      violations_.Add(field_.Child("expected_version"),
                      absl::StrCat("table '", table_, "' has no version attribute configured in the gateway"));
    }
    return;
  }
  if (expected) {
    expectation_ = VersionExpectation::Expected(*expected);
  } else if (observed) {
    expectation_ = observed;
  }
}

void WriteBuilder::AddCheck(const v1::Condition* condition, std::optional<uint64_t> expected, const FieldRef& field) {
  if (condition != nullptr) {
    extra_conditions_.push_back(CompileCondition(*condition, field.Child("condition"), context_, encoder_));
  }
  if (expected) {
    if (!versioned()) {
      violations_.Add(field.Child("expected_version"),
                      absl::StrCat("table '", table_, "' has no version attribute configured in the gateway"));
      return;
    }
    extra_conditions_.push_back(VersionCondition(VersionExpectation::Expected(*expected)));
  }
}

void WriteBuilder::ReturnItemOnConditionFailure(bool wanted) { return_item_ = wanted; }

bool WriteBuilder::NeedsVersionRead(bool must_know_version) const {
  if (!versioned() || expectation_) return false;
  return kind_ == WriteKind::kPut || (kind_ == WriteKind::kUpdate && must_know_version);
}

std::string WriteBuilder::VersionCondition(const VersionExpectation& expectation) {
  std::string out;
  switch (expectation.kind) {
    case VersionExpectation::Kind::kMustNotExist:
      out = "attribute_not_exists(";
      context_.AppendName(&out, schema_.key.partition.name);
      out.push_back(')');
      break;
    case VersionExpectation::Kind::kEquals:
      context_.AppendName(&out, schema_.version_attribute);
      out.append(" = ");
      context_.AppendValue(&out, json{{"N", absl::StrCat(expectation.version)}});
      break;
    case VersionExpectation::Kind::kExistsWithoutVersion:
      out = "attribute_exists(";
      context_.AppendName(&out, schema_.key.partition.name);
      out.append(") AND attribute_not_exists(");
      context_.AppendName(&out, schema_.version_attribute);
      out.push_back(')');
      break;
  }
  return out;
}

json WriteBuilder::Finish() {
  const bool writes = kind_ == WriteKind::kPut || kind_ == WriteKind::kUpdate;
  // The version bump, in the same request as the write.
  std::string version_set;
  if (versioned() && writes) {
    if (expectation_) {
      known_new_version_ = expectation_->Next();
      if (kind_ == WriteKind::kPut) {
        operation_["Item"][schema_.version_attribute] = json{{"N", absl::StrCat(*known_new_version_)}};
      } else {
        context_.AppendName(&version_set, schema_.version_attribute);
        version_set.append(" = ");
        context_.AppendValue(&version_set, json{{"N", absl::StrCat(*known_new_version_)}});
      }
    } else if (kind_ == WriteKind::kUpdate) {
      // No expectation: increment atomically; a missing version counts as 0.
      context_.AppendName(&version_set, schema_.version_attribute);
      version_set.append(" = if_not_exists(");
      context_.AppendName(&version_set, schema_.version_attribute);
      version_set.append(", ");
      context_.AppendValue(&version_set, json{{"N", "0"}});
      version_set.append(") + ");
      context_.AppendValue(&version_set, json{{"N", "1"}});
    } else {
      violations_.Add(field_, "internal: a versioned put needs the item's current version first");
    }
  }
  if (kind_ == WriteKind::kUpdate) {
    static const google::protobuf::RepeatedPtrField<v1::UpdateAction> kNoActions;
    CompiledUpdate update = CompileUpdate(actions_ ? *actions_ : kNoActions, schema_, field_.Child("actions"),
                                          context_, encoder_, std::move(version_set));
    if (!update.expression.empty()) {
      operation_["UpdateExpression"] = std::move(update.expression);
      read_modify_write_ = true;  // router.md: any update action makes an Update qualify
    }
  }

  std::vector<std::string> parts;
  if (expectation_) parts.push_back(VersionCondition(*expectation_));
  if (!user_condition_.empty()) parts.push_back(user_condition_);
  parts.insert(parts.end(), extra_conditions_.begin(), extra_conditions_.end());
  std::string condition;
  if (parts.size() == 1) {
    condition = std::move(parts.front());
  } else {
    for (const std::string& part : parts) {
      absl::StrAppend(&condition, condition.empty() ? "(" : " AND (", part, ")");
    }
  }
  if (kind_ == WriteKind::kConditionCheck && condition.empty()) {
    violations_.Add(field_, "a condition check needs a condition or an expected_version");
  }
  if (!condition.empty()) {
    CheckExpressionLength(condition, field_.Child("condition"), violations_);
    operation_["ConditionExpression"] = std::move(condition);
    conditional_ = true;
    read_modify_write_ = true;
    const bool item_requested = return_item_ || expectation_.has_value() || always_request_item_;
    if (item_requested) operation_["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD";
    condition_check_ = ConditionCheckInfo{table_, schema_.version_attribute, expectation_, return_item_, item_requested};
  }
  std::move(context_).WriteTo(operation_);
  return std::move(operation_);
}

}  // namespace altgw::model
