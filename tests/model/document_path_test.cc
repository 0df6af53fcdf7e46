// Document paths: the grammar of expression.proto (bare and backtick-quoted names, `` inside quotes,
// [index] elements), its errors (each reported on the request field), the 32-level limit,
// FormatDocumentPath round trips and PathsOverlap.
#include "model/document_path.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/limits.h"

namespace altgw::model {
namespace {

using ::testing::HasSubstr;

PathElement Name(std::string name) { return PathElement{std::move(name), std::nullopt}; }
PathElement Idx(uint32_t index) { return PathElement{std::string(), index}; }

std::optional<DocumentPath> Parse(const std::string& text, std::vector<FieldViolation>* violations = nullptr) {
  Violations v;
  const FieldRef field("path");
  std::optional<DocumentPath> path = ParseDocumentPath(text, field, v);
  EXPECT_EQ(path.has_value(), v.empty()) << text;
  if (violations != nullptr) *violations = v.list();
  return path;
}

TEST(DocumentPathTest, ParsesValidPaths) {
  struct Case {
    std::string text;
    DocumentPath path;
  };
  const Case cases[] = {
      {"count", {Name("count")}},
      {"address.city", {Name("address"), Name("city")}},
      {"tags[2]", {Name("tags"), Idx(2)}},
      {"a.b[2].c", {Name("a"), Name("b"), Idx(2), Name("c")}},
      {"m[0][1][22]", {Name("m"), Idx(0), Idx(1), Idx(22)}},
      {"a[007]", {Name("a"), Idx(7)}},
      {"a[999999999]", {Name("a"), Idx(999999999)}},
      // Bare names take everything but . [ ] ` literally: spaces, #, :, quotes, unicode, operators.
      {"my attr", {Name("my attr")}},
      {" padded ", {Name(" padded ")}},
      {"#n0", {Name("#n0")}},
      {":v0", {Name(":v0")}},
      {"a = b OR c", {Name("a = b OR c")}},
      {"x)\"'\n\t", {Name("x)\"'\n\t")}},
      {"\xC3\xA9t\xC3\xA9.\xF0\x9F\x98\x80", {Name("\xC3\xA9t\xC3\xA9"), Name("\xF0\x9F\x98\x80")}},
      // Backticks quote one segment that may contain . [ ] and (doubled) backticks.
      {"`my.dotted.name`", {Name("my.dotted.name")}},
      {"`a.b`.c", {Name("a.b"), Name("c")}},
      {"a.`b[0]`[1]", {Name("a"), Name("b[0]"), Idx(1)}},
      {"`tick``tock`", {Name("tick`tock")}},
      {"````", {Name("`")}},
      {"``````", {Name("``")}},
      {"`a``.``b`", {Name("a`.`b")}},
      {"`plain`", {Name("plain")}},
      {"` `", {Name(" ")}},
      {"`]`.`[`", {Name("]"), Name("[")}},
  };
  for (const Case& c : cases) {
    std::optional<DocumentPath> path = Parse(c.text);
    ASSERT_TRUE(path.has_value()) << c.text;
    EXPECT_EQ(*path, c.path) << c.text;
  }
}

TEST(DocumentPathTest, RejectsInvalidPathsOnTheField) {
  const char* const invalid[] = {
      "",          // empty
      ".",         // empty names
      "a.",        // trailing dot
      ".a",        // leading dot
      "a..b",      // empty middle name
      "a[",        // unterminated index
      "a[1",       // missing ]
      "a[]",       // no digits
      "a[x]",      // not digits
      "a[-1]",     // no sign
      "a[1.5]",    // no fraction
      "a[ 1]",     // no spaces
      "[0]",       // index first
      "[0].a",     // index first
      "a]",        // stray ]
      "a[0]b",     // name glued to an index
      "a[0].",     // trailing dot after index
      "`unterminated",
      "`a``",      // the doubled backtick does not close
      "``",        // empty quoted name
      "`a`b",      // text after a quoted name
      "a`b`",      // backtick inside a bare name
      "a[1000000000]",                 // index above the bound
      "a[99999999999999999999999]",    // huge index does not overflow
  };
  for (const char* text : invalid) {
    std::vector<FieldViolation> violations;
    EXPECT_FALSE(Parse(text, &violations).has_value()) << text;
    ASSERT_EQ(violations.size(), 1u) << text;
    EXPECT_EQ(violations[0].field, "path") << text;
    EXPECT_THAT(violations[0].description, HasSubstr("invalid path")) << text;
  }
}

TEST(DocumentPathTest, ErrorsSayWhatIsWrong) {
  std::vector<FieldViolation> v;
  Parse("", &v);
  EXPECT_THAT(v[0].description, HasSubstr("empty"));
  Parse("a..b", &v);
  EXPECT_THAT(v[0].description, HasSubstr("offset 2"));
  Parse("a[x]", &v);
  EXPECT_THAT(v[0].description, HasSubstr("list index"));
  Parse("`abc", &v);
  EXPECT_THAT(v[0].description, HasSubstr("unterminated"));
}

// expression.proto: paths nest at most 32 levels.
TEST(DocumentPathTest, AtMost32Levels) {
  std::string path = "a";
  for (int i = 1; i < kMaxNestingDepth; ++i) path += ".a";
  ASSERT_EQ(Parse(path)->size(), 32u);
  EXPECT_FALSE(Parse(path + ".a").has_value());
  EXPECT_FALSE(Parse(path + "[0]").has_value());

  std::string indexes = "a";
  for (int i = 1; i < kMaxNestingDepth; ++i) indexes += "[0]";
  EXPECT_TRUE(Parse(indexes).has_value());
  std::vector<FieldViolation> v;
  EXPECT_FALSE(Parse(indexes + "[0]", &v).has_value());
  EXPECT_THAT(v[0].description, HasSubstr("32"));
}

TEST(DocumentPathTest, NamesAreLimitedTo64K) {
  EXPECT_TRUE(Parse(std::string(kMaxAttributeNameBytes, 'n')).has_value());
  EXPECT_FALSE(Parse(std::string(kMaxAttributeNameBytes + 1, 'n')).has_value());
  EXPECT_FALSE(Parse("`" + std::string(kMaxAttributeNameBytes + 1, 'n') + "`").has_value());
  EXPECT_FALSE(Parse("a." + std::string(kMaxAttributeNameBytes + 1, 'n')).has_value());
}

TEST(DocumentPathTest, FormatQuotesOnlyWhenNeeded) {
  EXPECT_EQ(FormatDocumentPath({Name("a"), Name("b"), Idx(2), Name("c")}), "a.b[2].c");
  EXPECT_EQ(FormatDocumentPath({Name("my attr"), Name("#x")}), "my attr.#x");
  EXPECT_EQ(FormatDocumentPath({Name("a.b")}), "`a.b`");
  EXPECT_EQ(FormatDocumentPath({Name("x[0]"), Idx(1)}), "`x[0]`[1]");
  EXPECT_EQ(FormatDocumentPath({Name("tick`tock")}), "`tick``tock`");
  EXPECT_EQ(FormatDocumentPath({Name("`")}), "````");
  EXPECT_EQ(FormatDocumentPath({}), "");
}

// Format(Parse(text)) parses back to the same path, for every valid text (canonical or not).
TEST(DocumentPathTest, FormatRoundTrips) {
  const char* const texts[] = {"a", "a.b[2].c", "`a.b`.c", "a[007]", "`plain`.x", "`t``t`[3]", "````.`.`",
                               "sp ace.#n0.:v0", "\xE2\x82\xAC[0][1]", "`]`.`[`"};
  for (const char* text : texts) {
    const std::optional<DocumentPath> path = Parse(text);
    ASSERT_TRUE(path.has_value()) << text;
    const std::string formatted = FormatDocumentPath(*path);
    const std::optional<DocumentPath> again = Parse(formatted);
    ASSERT_TRUE(again.has_value()) << formatted;
    EXPECT_EQ(*again, *path) << text << " -> " << formatted;
    // The formatted form is a fixed point.
    EXPECT_EQ(FormatDocumentPath(*again), formatted);
  }
  // Every printable ASCII character as a name survives.
  for (int c = 0x20; c < 0x7f; ++c) {
    const DocumentPath path = {Name(std::string(1, static_cast<char>(c))), Name("x")};
    const std::optional<DocumentPath> again = Parse(FormatDocumentPath(path));
    ASSERT_TRUE(again.has_value()) << c;
    EXPECT_EQ(*again, path) << c;
  }
}

TEST(DocumentPathTest, PathsOverlapWhenOneIsAPrefixOfTheOther) {
  auto overlap = [](const std::string& a, const std::string& b) {
    return PathsOverlap(*Parse(a), *Parse(b));
  };
  EXPECT_TRUE(overlap("a", "a"));
  EXPECT_TRUE(overlap("a", "a.b"));
  EXPECT_TRUE(overlap("a.b", "a"));
  EXPECT_TRUE(overlap("a[1]", "a[1].c"));
  EXPECT_TRUE(overlap("a", "a[0]"));
  EXPECT_TRUE(overlap("`a.b`", "`a.b`.c"));
  EXPECT_FALSE(overlap("a", "b"));
  EXPECT_FALSE(overlap("a.b", "a.c"));
  EXPECT_FALSE(overlap("a[0]", "a[1]"));
  EXPECT_FALSE(overlap("a", "ab"));
  EXPECT_FALSE(overlap("a.b", "`a.b`"));  // a nested field vs a top-level dotted name
  EXPECT_FALSE(overlap("a[0]", "a.`0`"));  // an index vs a name
}

}  // namespace
}  // namespace altgw::model
