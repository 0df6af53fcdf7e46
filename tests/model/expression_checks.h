// Checks on compiled DynamoDB expressions: that they consist only of placeholders, keywords, function names
// and punctuation (so no text from a request was spliced in), and hostile attribute names for tests.
#ifndef ALTGW_TESTS_MODEL_EXPRESSION_CHECKS_H_
#define ALTGW_TESTS_MODEL_EXPRESSION_CHECKS_H_

#include <regex>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace altgw::model::testing {

// Returns "" when `expression` is made only of the tokens the compilers may emit, otherwise the first
// offending rest of the text.
inline std::string FirstForeignToken(const std::string& expression) {
  static const std::regex kToken(
      R"(^(\s+|#n[0-9]+|:v[0-9]+|\[[0-9]+\]|<>|<=|>=|[=<>+(),.]|)"
      R"(AND\b|OR\b|NOT\b|BETWEEN\b|IN\b|SET\b|REMOVE\b|ADD\b|DELETE\b|)"
      R"(attribute_exists\b|attribute_not_exists\b|attribute_type\b|begins_with\b|contains\b|size\b|)"
      R"(if_not_exists\b|list_append\b))");
  std::string rest = expression;
  while (!rest.empty()) {
    std::smatch match;
    if (!std::regex_search(rest, match, kToken) || match.length(0) == 0) return rest;
    rest = match.suffix();
  }
  return "";
}

#define EXPECT_ONLY_PLACEHOLDERS(expression)                                                      \
  EXPECT_EQ(::altgw::model::testing::FirstForeignToken(expression), "") << "in: " << (expression)

// Attribute names that would break or subvert an expression if they were spliced into it.
inline std::vector<std::string> HostileNames() {
  return {
      "#",
      "#n0",
      "#n1",
      ":v0",
      ":",
      "a b",
      " ",
      "x)",
      "a) OR (b",
      " OR ",
      "x = :v0",
      "=",
      "<>",
      "\"quoted\"",
      "'single'",
      "new\nline",
      "tab\t",
      "\xC3\xA9t\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80",
      "a.b",
      "x[0]",
      "back`tick",
      "]",
      "attribute_exists(a)",
      "size",
      "AND",
      "SET",
      "REMOVE a",
      "#n0.#n1",
      "\\",
      ",",
      std::string(1000, 'L'),
  };
}

}  // namespace altgw::model::testing

#endif  // ALTGW_TESTS_MODEL_EXPRESSION_CHECKS_H_
