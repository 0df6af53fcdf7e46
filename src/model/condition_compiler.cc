#include "model/condition_compiler.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "model/limits.h"

namespace altgw::model {
namespace {

using nlohmann::json;

const char* ComparatorText(v1::Comparator comparator) {
  switch (comparator) {
    case v1::COMPARATOR_EQUAL:
      return " = ";
    case v1::COMPARATOR_NOT_EQUAL:
      return " <> ";
    case v1::COMPARATOR_LESS:
      return " < ";
    case v1::COMPARATOR_LESS_OR_EQUAL:
      return " <= ";
    case v1::COMPARATOR_GREATER:
      return " > ";
    case v1::COMPARATOR_GREATER_OR_EQUAL:
      return " >= ";
    default:
      return nullptr;
  }
}

const char* AttributeTypeCode(v1::AttributeType type) {
  switch (type) {
    case v1::ATTRIBUTE_TYPE_STRING:
      return "S";
    case v1::ATTRIBUTE_TYPE_NUMBER:
      return "N";
    case v1::ATTRIBUTE_TYPE_BINARY:
      return "B";
    case v1::ATTRIBUTE_TYPE_BOOL:
      return "BOOL";
    case v1::ATTRIBUTE_TYPE_NULL:
      return "NULL";
    case v1::ATTRIBUTE_TYPE_LIST:
      return "L";
    case v1::ATTRIBUTE_TYPE_MAP:
      return "M";
    case v1::ATTRIBUTE_TYPE_STRING_SET:
      return "SS";
    case v1::ATTRIBUTE_TYPE_NUMBER_SET:
      return "NS";
    case v1::ATTRIBUTE_TYPE_BINARY_SET:
      return "BS";
    default:
      return nullptr;
  }
}

// Recursive compiler for one condition tree. Each comparison, function, AND, OR, NOT, BETWEEN and IN
// counts as one operator towards DynamoDB's limit of 300 per expression (a size comparison counts two).
class ConditionCompiler {
 public:
  ConditionCompiler(ExpressionContext& context, ValueEncoder& encoder) : context_(context), encoder_(encoder) {}

  void Compile(const v1::Condition& condition, const FieldRef& field, int depth) {
    if (depth > kMaxConditionDepth) {
      violations().Add(field, absl::StrCat("conditions nest deeper than ", kMaxConditionDepth, " levels"));
      return;
    }
    ++operators_;
    switch (condition.kind_case()) {
      case v1::Condition::kComparison: {
        const v1::Comparison& c = condition.comparison();
        const FieldRef sub = field.Child("comparison");
        const char* op = ComparatorText(c.comparator());
        if (op == nullptr) violations().Add(sub.Child("comparator"), "comparator must be set");
        std::optional<DocumentPath> left = Path(c.path(), sub.Child("path"));
        out_.append(op == nullptr ? " ? " : op);
        if (c.operand_case() == v1::Comparison::kValue) {
          Value(c.value(), sub.Child("value"));
        } else if (c.operand_case() == v1::Comparison::kOtherPath) {
          const FieldRef other_field = sub.Child("other_path");
          std::optional<DocumentPath> right = Path(c.other_path(), other_field);
          // DynamoDB rejects a comparison of a path with itself ("The first operand must be distinct from
          // the remaining operands"); other backends may evaluate it. Rejected here so every backend agrees.
          if (left && right && *left == *right) {
            violations().Add(other_field, "compares the path with itself; compare it with a value instead");
          }
        } else {
          violations().Add(sub, "set `value` or `other_path` as the right-hand side");
        }
        return;
      }
      case v1::Condition::kAttributeExists:
        Function("attribute_exists(", condition.attribute_exists(), field.Child("attribute_exists"));
        out_.push_back(')');
        return;
      case v1::Condition::kAttributeNotExists:
        Function("attribute_not_exists(", condition.attribute_not_exists(), field.Child("attribute_not_exists"));
        out_.push_back(')');
        return;
      case v1::Condition::kBeginsWith: {
        const FieldRef sub = field.Child("begins_with");
        const v1::Value& prefix = condition.begins_with().prefix();
        if (prefix.kind_case() != v1::Value::kStringValue && prefix.kind_case() != v1::Value::kBytesValue) {
          violations().Add(sub.Child("prefix"), "prefix must be a string_value or bytes_value");
        }
        Function("begins_with(", condition.begins_with().path(), sub.Child("path"));
        out_.append(", ");
        Value(prefix, sub.Child("prefix"));
        out_.push_back(')');
        return;
      }
      case v1::Condition::kContains: {
        const FieldRef sub = field.Child("contains");
        Function("contains(", condition.contains().path(), sub.Child("path"));
        out_.append(", ");
        Value(condition.contains().operand(), sub.Child("operand"));
        out_.push_back(')');
        return;
      }
      case v1::Condition::kBetween: {
        const FieldRef sub = field.Child("between");
        const v1::Between& b = condition.between();
        Path(b.path(), sub.Child("path"));
        out_.append(" BETWEEN ");
        Value(b.lower(), sub.Child("lower"));
        out_.append(" AND ");
        Value(b.upper(), sub.Child("upper"));
        return;
      }
      case v1::Condition::kIsIn: {
        const FieldRef sub = field.Child("is_in");
        const v1::In& in = condition.is_in();
        if (in.values().empty() || static_cast<size_t>(in.values_size()) > kMaxInOperands) {
          violations().Add(sub.Child("values"), absl::StrCat("IN takes 1 to ", kMaxInOperands, " values, not ",
                                                             in.values_size()));
        }
        Path(in.path(), sub.Child("path"));
        out_.append(" IN (");
        const FieldRef values = sub.Child("values");
        for (int i = 0; i < in.values_size(); ++i) {
          if (i > 0) out_.append(", ");
          Value(in.values(i), values.Index(i));
        }
        out_.push_back(')');
        return;
      }
      case v1::Condition::kAttributeType: {
        const FieldRef sub = field.Child("attribute_type");
        const char* code = AttributeTypeCode(condition.attribute_type().type());
        if (code == nullptr) violations().Add(sub.Child("type"), "type must be set");
        Function("attribute_type(", condition.attribute_type().path(), sub.Child("path"));
        out_.append(", ");
        json type_value = json::object();
        type_value["S"] = code == nullptr ? "" : code;
        context_.AppendValue(&out_, std::move(type_value));
        out_.push_back(')');
        return;
      }
      case v1::Condition::kSize: {
        // `size(path) <op> :v` is a function and a comparison: two operators (measured on DynamoDB Local:
        // 101 size comparisons joined by AND are 301 operators).
        ++operators_;
        const FieldRef sub = field.Child("size");
        const char* op = ComparatorText(condition.size().comparator());
        if (op == nullptr) violations().Add(sub.Child("comparator"), "comparator must be set");
        Function("size(", condition.size().path(), sub.Child("path"));
        out_.push_back(')');
        out_.append(op == nullptr ? " ? " : op);
        json size_value = json::object();
        size_value["N"] = std::to_string(condition.size().size());
        context_.AppendValue(&out_, std::move(size_value));
        return;
      }
      case v1::Condition::kAllOf:
        List(condition.all_of(), " AND ", field.Child("all_of"), depth);
        return;
      case v1::Condition::kAnyOf:
        List(condition.any_of(), " OR ", field.Child("any_of"), depth);
        return;
      case v1::Condition::kNegation:
        out_.append("(NOT ");
        Compile(condition.negation(), field.Child("negation"), depth + 1);
        out_.push_back(')');
        return;
      case v1::Condition::KIND_NOT_SET:
        break;
    }
    --operators_;
    violations().Add(field, "condition has no kind set");
  }

  std::string Take() { return std::move(out_); }
  size_t operators() const { return operators_; }

 private:
  // Deep enough for any real condition, shallow enough that recursion cannot exhaust the stack (protobuf
  // itself already caps message nesting at 100).
  static constexpr int kMaxConditionDepth = 64;

  Violations& violations() { return encoder_.violations(); }

  std::optional<DocumentPath> Path(const std::string& text, const FieldRef& field) {
    std::optional<DocumentPath> path = ParseDocumentPath(text, field, violations());
    if (path) context_.AppendPath(&out_, *path);
    return path;
  }

  void Function(const char* name, const std::string& path, const FieldRef& field) {
    out_.append(name);
    Path(path, field);
  }

  void Value(const v1::Value& value, const FieldRef& field) {
    size_t ignored_size = 0;
    context_.AppendValue(&out_, encoder_.Encode(value, field, &ignored_size));
  }

  void List(const v1::ConditionList& list, const char* joiner, const FieldRef& field, int depth) {
    const FieldRef conditions = field.Child("conditions");
    if (list.conditions().empty()) {
      violations().Add(conditions, "needs at least one condition");
      return;
    }
    out_.push_back('(');
    for (int i = 0; i < list.conditions_size(); ++i) {
      if (i > 0) out_.append(joiner);
      Compile(list.conditions(i), conditions.Index(i), depth + 1);
    }
    out_.push_back(')');
    // n conditions are joined by n - 1 operators (the list node was counted as one already).
    operators_ += static_cast<size_t>(list.conditions_size() - 1);
    --operators_;
  }

  ExpressionContext& context_;
  ValueEncoder& encoder_;
  std::string out_;
  size_t operators_ = 0;
};

}  // namespace

void CheckExpressionLength(const std::string& expression, const FieldRef& field, Violations& violations) {
  if (expression.size() > kMaxExpressionBytes) {
    violations.Add(field, absl::StrCat("compiles to an expression of ", expression.size(),
                                       " bytes; DynamoDB accepts at most ", kMaxExpressionBytes));
  }
}

std::string CompileCondition(const v1::Condition& condition, const FieldRef& field, ExpressionContext& context,
                             ValueEncoder& encoder) {
  ConditionCompiler compiler(context, encoder);
  compiler.Compile(condition, field, 0);
  if (compiler.operators() > kMaxExpressionOperators) {
    encoder.violations().Add(field, absl::StrCat("has ", compiler.operators(),
                                                 " operators and functions; DynamoDB accepts at most ",
                                                 kMaxExpressionOperators));
  }
  std::string expression = compiler.Take();
  CheckExpressionLength(expression, field, encoder.violations());
  return expression;
}

std::string CompileProjection(const google::protobuf::RepeatedPtrField<std::string>& paths,
                              const FieldRef& field, ExpressionContext& context, Violations& violations) {
  std::string out;
  // DynamoDB rejects a projection with overlapping (`a`, `a.b`, or a path twice) or conflicting (`a[0]`,
  // `a.b`) paths (measured on DynamoDB Local); rejecting them here keeps every backend alike.
  std::vector<DocumentPath> seen;
  for (int i = 0; i < paths.size(); ++i) {
    const FieldRef path_field = field.Index(i);
    std::optional<DocumentPath> path = ParseDocumentPath(paths.Get(i), path_field, violations);
    if (!path) continue;
    bool clash = false;
    for (const DocumentPath& other : seen) {
      if (PathsOverlap(other, *path) || PathsConflict(other, *path)) {
        violations.Add(path_field, absl::StrCat("path '", FormatDocumentPath(*path), "' overlaps or conflicts with '",
                                                FormatDocumentPath(other), "' earlier in the projection"));
        clash = true;
        break;
      }
    }
    if (clash) continue;
    if (!out.empty()) out.append(", ");
    context.AppendPath(&out, *path);
    seen.push_back(*std::move(path));
  }
  CheckExpressionLength(out, field, violations);
  return out;
}

}  // namespace altgw::model
