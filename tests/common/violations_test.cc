// FieldRef renders request field paths (`item["price"].number_value.decimal`, `actions[2].set.path`) and
// escapes map keys so that a hostile attribute name can never forge or break a field path. Violations
// collects problems, listing at most kMaxReported of them.
#include "common/violations.h"

#include <string>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "alternator/gateway/v1/errors.pb.h"
#include "gtest/gtest.h"

namespace altgw {
namespace {

TEST(FieldRefTest, RendersChildrenKeysAndIndexes) {
  const FieldRef item("item");
  EXPECT_EQ(item.ToString(), "item");
  const FieldRef price = item.Key("price");
  EXPECT_EQ(price.ToString(), "item[\"price\"]");
  const FieldRef number = price.Child("number_value");
  EXPECT_EQ(number.Child("decimal").ToString(), "item[\"price\"].number_value.decimal");
  // A child may hold several dotted segments at once.
  EXPECT_EQ(price.Child("number_value.decimal").ToString(), "item[\"price\"].number_value.decimal");

  const FieldRef actions("actions");
  const FieldRef action = actions.Index(2);
  EXPECT_EQ(action.Child("set.path").ToString(), "actions[2].set.path");

  const FieldRef a("a");
  const FieldRef a0 = a.Index(0);
  EXPECT_EQ(a0.Index(17).ToString(), "a[0][17]");

  const FieldRef condition("condition");
  const FieldRef conditions = condition.Child("all_of.conditions");
  const FieldRef second = conditions.Index(1);
  EXPECT_EQ(second.Child("comparison").ToString(), "condition.all_of.conditions[1].comparison");

  const FieldRef x("x");
  EXPECT_EQ(x.Index(18446744073709551615ull).ToString(), "x[18446744073709551615]");
}

// Deriving from a temporary would leave a dangling parent: the rvalue overloads are deleted.
template <typename T>
concept CanDeriveFrom = requires(T&& ref) {
  std::forward<T>(ref).Child("x");
  std::forward<T>(ref).Key("x");
  std::forward<T>(ref).Index(0);
};
static_assert(CanDeriveFrom<const FieldRef&>);
static_assert(!CanDeriveFrom<FieldRef>);

TEST(FieldRefTest, EmptyRootIsTheWholeRequest) {
  const FieldRef request("");
  EXPECT_EQ(request.ToString(), "");
  // A child of the whole request has no leading dot.
  EXPECT_EQ(request.Child("table").ToString(), "table");
  EXPECT_EQ(request.Key("k").ToString(), "[\"k\"]");
  EXPECT_EQ(request.Index(3).ToString(), "[3]");
}

TEST(FieldRefTest, KeysAreEscapedLikeJsonStrings) {
  struct Case {
    std::string key;
    std::string rendered;
  };
  const Case cases[] = {
      {"plain", R"(x["plain"])"},
      {"", R"(x[""])"},
      {"with space", R"(x["with space"])"},
      {"quote\"inside", R"(x["quote\"inside"])"},
      {"back\\slash", R"(x["back\\slash"])"},
      {"\\\"", R"(x["\\\""])"},
      {"new\nline", R"(x["new\u000aline"])"},
      {"tab\there", R"(x["tab\u0009here"])"},
      {"cr\r", R"(x["cr\u000d"])"},
      {std::string("nul\0byte", 8), R"(x["nul\u0000byte"])"},
      {"\x1f\x7f", R"(x["\u001f\u007f"])"},
      {"dots.and[brackets]", R"(x["dots.and[brackets]"])"},
      {"#n0 :v0", R"(x["#n0 :v0"])"},
      // Non-ASCII UTF-8 passes through unchanged.
      {"prix \xE2\x82\xAC \xF0\x9F\x98\x80", "x[\"prix \xE2\x82\xAC \xF0\x9F\x98\x80\"]"},
  };
  const FieldRef x("x");
  for (const Case& c : cases) {
    EXPECT_EQ(x.Key(c.key).ToString(), c.rendered) << absl::CEscape(c.key);
  }
}

// A key that tries to close the bracket and continue the path must stay inside one quoted key.
TEST(FieldRefTest, HostileKeysCannotForgeAPath) {
  const std::string hostile = "a\"].number_value.decimal[\"b";
  const FieldRef item("item");
  const std::string rendered = item.Key(hostile).ToString();
  EXPECT_EQ(rendered, R"(item["a\"].number_value.decimal[\"b"])");
  const FieldRef a = item.Key("a");
  const FieldRef decimal = a.Child("number_value.decimal");
  EXPECT_NE(rendered, decimal.Key("b").ToString());

  // Two different keys never render the same.
  const std::string keys[] = {"a\\", "a\\\\", "a\"", "a\\\"", "a\n", "a\\n", "a\\u000a"};
  const FieldRef x("x");
  for (const std::string& k1 : keys) {
    for (const std::string& k2 : keys) {
      if (k1 == k2) continue;
      EXPECT_NE(x.Key(k1).ToString(), x.Key(k2).ToString())
          << absl::CEscape(k1) << " vs " << absl::CEscape(k2);
    }
  }
}

TEST(FieldRefTest, NoControlCharacterSurvivesRendering) {
  std::string all;
  for (int c = 0; c < 128; ++c) all.push_back(static_cast<char>(c));
  const FieldRef item("item");
  const std::string rendered = item.Key(all).ToString();
  for (unsigned char c : rendered) {
    EXPECT_TRUE(c >= 0x20 && c != 0x7f) << "control byte " << static_cast<int>(c) << " in " << rendered;
  }
}

TEST(ViolationsTest, StartsEmptyAndCollectsInOrder) {
  Violations v;
  EXPECT_TRUE(v.empty());
  EXPECT_EQ(v.count(), 0u);
  v.Add(FieldRef("table"), "must be 3 to 255 characters long");
  const FieldRef item("item");
  v.Add(item.Key("a"), "value has no kind set");
  EXPECT_FALSE(v.empty());
  EXPECT_EQ(v.count(), 2u);
  ASSERT_EQ(v.list().size(), 2u);
  EXPECT_EQ(v.list()[0].field, "table");
  EXPECT_EQ(v.list()[0].description, "must be 3 to 255 characters long");
  EXPECT_EQ(v.list()[1].field, "item[\"a\"]");

  const GatewayError e = v.ToError();
  EXPECT_EQ(e.reason(), ::alternator::gateway::v1::INVALID_REQUEST);
  ASSERT_EQ(e.field_violations().size(), 2u);
  EXPECT_EQ(e.field_violations()[1].description, "value has no kind set");
}

// A hostile request with thousands of mistakes gets the first 20 listed, and all of them counted.
TEST(ViolationsTest, ListIsCappedButCountIsNot) {
  Violations v;
  const FieldRef item("item");
  for (size_t i = 0; i < 1000; ++i) v.Add(item.Key(absl::StrCat("a", i)), absl::StrCat("bad ", i));
  EXPECT_EQ(v.count(), 1000u);
  ASSERT_EQ(v.list().size(), Violations::kMaxReported);
  EXPECT_EQ(Violations::kMaxReported, 20u);
  EXPECT_EQ(v.list().front().description, "bad 0");
  EXPECT_EQ(v.list().back().description, "bad 19");
  EXPECT_EQ(v.ToError().field_violations().size(), 20u);
  EXPECT_EQ(v.ToError().ToRpcStatus().details_size(), 2);  // ErrorInfo + BadRequest

  Violations exactly;
  for (size_t i = 0; i < Violations::kMaxReported; ++i) exactly.Add(FieldRef("f"), "x");
  EXPECT_EQ(exactly.list().size(), Violations::kMaxReported);
  exactly.Add(FieldRef("f"), "one more");
  EXPECT_EQ(exactly.list().size(), Violations::kMaxReported);
  EXPECT_EQ(exactly.count(), Violations::kMaxReported + 1);
}

}  // namespace
}  // namespace altgw
