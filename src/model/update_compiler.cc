#include "model/update_compiler.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "model/condition_compiler.h"
#include "model/key_codec.h"
#include "model/limits.h"

namespace altgw::model {
namespace {

using nlohmann::json;

bool IsSet(const v1::Value& value) {
  return value.kind_case() == v1::Value::kStringSet || value.kind_case() == v1::Value::kNumberSet ||
         value.kind_case() == v1::Value::kBytesSet;
}

class UpdateBuilder {
 public:
  UpdateBuilder(const TableSchema& schema, ExpressionContext& context, ValueEncoder& encoder)
      : schema_(schema), context_(context), encoder_(encoder) {}

  void Add(const v1::UpdateAction& action, const FieldRef& field) {
    switch (action.kind_case()) {
      case v1::UpdateAction::kSet: {
        const FieldRef sub = field.Child("set");
        std::string* clause = Begin(set_, action.set().path(), sub.Child("path"), false);
        if (clause == nullptr) return;
        clause->append(" = ");
        const FieldRef value_field = sub.Child("value");
        Value(clause, action.set().value(), value_field);
        // An index key attribute set as a whole needs a valid key value. (set_if_not_exists is left to the
        // database: whether its value is used depends on the item.)
        if (const v1::ScalarType type = IndexKeyType(paths_.back()); type != v1::SCALAR_TYPE_UNSPECIFIED) {
          const std::string& name = paths_.back().front().name;
          CheckKeyValue(action.set().value(), type, MaxIndexKeyBytes(schema_, name), name, value_field,
                        violations());
        }
        return;
      }
      case v1::UpdateAction::kSetIfNotExists: {
        const FieldRef sub = field.Child("set_if_not_exists");
        std::string* clause = Begin(set_, action.set_if_not_exists().path(), sub.Child("path"), false);
        if (clause == nullptr) return;
        reads_item_ = true;
        clause->append(" = if_not_exists(");
        context_.AppendPath(clause, paths_.back());
        clause->append(", ");
        Value(clause, action.set_if_not_exists().value(), sub.Child("value"));
        clause->push_back(')');
        return;
      }
      case v1::UpdateAction::kRemove:
        Begin(remove_, action.remove(), field.Child("remove"), false);
        return;
      case v1::UpdateAction::kAdd: {
        const FieldRef sub = field.Child("add");
        const v1::Value& value = action.add().value();
        if (value.kind_case() != v1::Value::kNumberValue && !IsSet(value)) {
          encoder_.violations().Add(sub.Child("value"), "ADD takes a number or a set");
        }
        std::string* clause = Begin(add_, action.add().path(), sub.Child("path"), true);
        if (clause == nullptr) return;
        reads_item_ = true;
        if (const v1::ScalarType type = IndexKeyType(paths_.back());
            type != v1::SCALAR_TYPE_UNSPECIFIED &&
            (type != v1::SCALAR_TYPE_NUMBER || value.kind_case() != v1::Value::kNumberValue)) {
          violations().Add(sub.Child("value"), absl::StrCat("'", paths_.back().front().name,
                                                            "' is an index key of type ", ScalarTypeName(type),
                                                            ": ADD can only add a number to a number key"));
        }
        clause->push_back(' ');
        Value(clause, value, sub.Child("value"));
        return;
      }
      case v1::UpdateAction::kDeleteFromSet: {
        const FieldRef sub = field.Child("delete_from_set");
        const v1::Value& value = action.delete_from_set().value();
        if (!IsSet(value)) encoder_.violations().Add(sub.Child("value"), "DELETE takes a set of elements to remove");
        const FieldRef path_field = sub.Child("path");
        std::string* clause = Begin(delete_, action.delete_from_set().path(), path_field, true);
        if (clause == nullptr) return;
        reads_item_ = true;
        if (IndexKeyType(paths_.back()) != v1::SCALAR_TYPE_UNSPECIFIED) {
          violations().Add(path_field, absl::StrCat("'", paths_.back().front().name,
                                                    "' is an index key attribute, a scalar, not a set"));
        }
        clause->push_back(' ');
        Value(clause, value, sub.Child("value"));
        return;
      }
      case v1::UpdateAction::kIncrement: {
        const FieldRef sub = field.Child("increment");
        const FieldRef path_field = sub.Child("path");
        std::string* clause = Begin(set_, action.increment().path(), path_field, false);
        if (clause == nullptr) return;
        reads_item_ = true;
        if (const v1::ScalarType type = IndexKeyType(paths_.back());
            type != v1::SCALAR_TYPE_UNSPECIFIED && type != v1::SCALAR_TYPE_NUMBER) {
          violations().Add(path_field, absl::StrCat("'", paths_.back().front().name, "' is an index key of type ",
                                                    ScalarTypeName(type), "; increment makes it a number"));
        }
        std::optional<Decimal> delta;
        if (action.increment().has_delta()) {
          delta = encoder_.EncodeNumber(action.increment().delta(), sub.Child("delta"));
        } else {
          encoder_.violations().Add(sub.Child("delta"), "delta must be set");
        }
        // A missing attribute counts as 0, as with ADD, but this also works on nested paths.
        clause->append(" = if_not_exists(");
        context_.AppendPath(clause, paths_.back());
        clause->append(", ");
        context_.AppendValue(clause, json{{"N", "0"}});
        clause->append(") + ");
        context_.AppendValue(clause, json{{"N", delta ? delta->canonical() : "0"}});
        return;
      }
      case v1::UpdateAction::kAppendToList:
      case v1::UpdateAction::kPrependToList: {
        const bool append = action.kind_case() == v1::UpdateAction::kAppendToList;
        const v1::ListValues& list = append ? action.append_to_list() : action.prepend_to_list();
        const FieldRef sub = field.Child(append ? "append_to_list" : "prepend_to_list");
        if (list.values().empty()) encoder_.violations().Add(sub.Child("values"), "needs at least one value");
        const FieldRef path_field = sub.Child("path");
        std::string* clause = Begin(set_, list.path(), path_field, false);
        if (clause == nullptr) return;
        reads_item_ = true;
        if (IndexKeyType(paths_.back()) != v1::SCALAR_TYPE_UNSPECIFIED) {
          violations().Add(path_field, absl::StrCat("'", paths_.back().front().name,
                                                    "' is an index key attribute, a scalar, not a list"));
        }
        // The values become one DynamoDB list, whose elements sit one level below the path.
        const FieldRef values_field = sub.Child("values");
        const int level = static_cast<int>(paths_.back().size()) + 1;
        json elements = json::array();
        size_t ignored_size = 0;
        for (int i = 0; i < list.values_size(); ++i) {
          elements.push_back(encoder_.Encode(list.values(i), values_field.Index(i), &ignored_size, level));
        }
        json values = json{{"L", std::move(elements)}};
        std::string existing;
        existing.append("if_not_exists(");
        context_.AppendPath(&existing, paths_.back());
        existing.append(", ");
        context_.AppendValue(&existing, json{{"L", json::array()}});
        existing.push_back(')');
        clause->append(" = list_append(");
        if (append) {
          clause->append(existing);
          clause->append(", ");
          context_.AppendValue(clause, std::move(values));
        } else {
          context_.AppendValue(clause, std::move(values));
          clause->append(", ");
          clause->append(existing);
        }
        clause->push_back(')');
        return;
      }
      case v1::UpdateAction::KIND_NOT_SET:
        break;
    }
    encoder_.violations().Add(field, "update action has no kind set");
  }

  // A SET item rendered by the caller (the version bump), placed after the actions' SET items.
  void AddRawSet(std::string item) { set_.push_back(std::move(item)); }

  CompiledUpdate Finish() {
    CompiledUpdate out;
    out.reads_item = reads_item_;
    AppendClause(&out.expression, "SET", set_);
    AppendClause(&out.expression, "REMOVE", remove_);
    AppendClause(&out.expression, "ADD", add_);
    AppendClause(&out.expression, "DELETE", delete_);
    return out;
  }

 private:
  Violations& violations() { return encoder_.violations(); }

  // Parses and checks the action's path, starts a new clause item in `section` with the path placeholder
  // and returns it; nullptr when the path is invalid.
  std::string* Begin(std::vector<std::string>& section, const std::string& text, const FieldRef& field,
                     bool top_level_only) {
    std::optional<DocumentPath> path = ParseDocumentPath(text, field, violations());
    if (!path) return nullptr;
    const std::string& top = path->front().name;
    if (schema_.IsTableKeyAttribute(top)) {
      violations().Add(field, absl::StrCat("'", top, "' is a key attribute; key attributes cannot be updated"));
      return nullptr;
    }
    if (!schema_.version_attribute.empty() && top == schema_.version_attribute) {
      violations().Add(field, absl::StrCat("'", top, "' is the table's version attribute: the gateway maintains it "
                                                     "(use expected_version to check it)"));
      return nullptr;
    }
    if (path->size() > 1 && schema_.attribute_types.contains(top)) {
      violations().Add(field, absl::StrCat("'", top, "' is an index key attribute, a scalar: it can only be set or "
                                                     "removed as a whole"));
      return nullptr;
    }
    if (top_level_only && path->size() > 1) {
      violations().Add(field, "ADD and DELETE work on top-level attributes only; use increment or set for "
                              "nested paths");
      return nullptr;
    }
    if (path->size() > 1) reads_item_ = true;  // nested updates read the item on Alternator
    for (size_t i = 0; i < paths_.size(); ++i) {
      if (PathsOverlap(paths_[i], *path)) {
        violations().Add(field, absl::StrCat("path '", FormatDocumentPath(*path), "' overlaps path '",
                                             FormatDocumentPath(paths_[i]),
                                             "' of another action; one update can change each part of an "
                                             "item only once"));
        return nullptr;
      }
      if (PathsConflict(paths_[i], *path)) {
        violations().Add(field, absl::StrCat("path '", FormatDocumentPath(*path), "' conflicts with path '",
                                             FormatDocumentPath(paths_[i]),
                                             "' of another action: one uses their parent as a list, the other "
                                             "as a map"));
        return nullptr;
      }
    }
    paths_.push_back(*std::move(path));
    std::string& clause = section.emplace_back();
    context_.AppendPath(&clause, paths_.back());
    return &clause;
  }

  // The declared type of the index key attribute that `path` addresses as a whole, or UNSPECIFIED when
  // `path` is not one (table key attributes never get here).
  v1::ScalarType IndexKeyType(const DocumentPath& path) const {
    if (path.size() != 1) return v1::SCALAR_TYPE_UNSPECIFIED;
    auto it = schema_.attribute_types.find(path.front().name);
    return it == schema_.attribute_types.end() ? v1::SCALAR_TYPE_UNSPECIFIED : it->second;
  }

  // Encodes the value of the latest action; it sits at the nesting level of that action's path.
  void Value(std::string* out, const v1::Value& value, const FieldRef& field) {
    size_t ignored_size = 0;
    const int level = static_cast<int>(paths_.back().size());
    context_.AppendValue(out, encoder_.Encode(value, field, &ignored_size, level));
  }

  static void AppendClause(std::string* out, const char* keyword, const std::vector<std::string>& items) {
    if (items.empty()) return;
    if (!out->empty()) out->push_back(' ');
    out->append(keyword);
    for (size_t i = 0; i < items.size(); ++i) {
      out->append(i == 0 ? " " : ", ");
      out->append(items[i]);
    }
  }

  const TableSchema& schema_;
  ExpressionContext& context_;
  ValueEncoder& encoder_;
  std::vector<DocumentPath> paths_;
  std::vector<std::string> set_, remove_, add_, delete_;
  bool reads_item_ = false;
};

}  // namespace

CompiledUpdate CompileUpdate(const google::protobuf::RepeatedPtrField<v1::UpdateAction>& actions,
                             const TableSchema& schema, const FieldRef& field, ExpressionContext& context,
                             ValueEncoder& encoder, std::string extra_set) {
  UpdateBuilder builder(schema, context, encoder);
  for (int i = 0; i < actions.size(); ++i) builder.Add(actions.Get(i), field.Index(i));
  if (!extra_set.empty()) builder.AddRawSet(std::move(extra_set));
  CompiledUpdate update = builder.Finish();
  CheckExpressionLength(update.expression, field, encoder.violations());
  return update;
}

}  // namespace altgw::model
