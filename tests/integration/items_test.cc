// Put / Get / Delete: ReturnValues ALL_OLD, projections (nested, matching nothing), consistent reads.
#include <string>
#include <vector>

#include "integration_util.h"

namespace altgw::testing {
namespace {

class ItemsTest : public GatewaySuite {
 protected:
  static void SetUpTestSuite() {
    GatewaySuite::SetUpTestSuite();
    table_ = UniqueTableName("items");
    CreateTable(gateway(), table_, "pk", v1::SCALAR_TYPE_STRING);
  }

  inline static std::string table_;
};

TEST_F(ItemsTest, PutReturnsOldItem) {
  v1::PutRequest put = PutOf(table_, Item({{"pk", S("put-old")}, {"v", I(1)}, {"s", SS({"a"})}}));
  put.set_return_values(v1::RETURN_VALUES_ALL_OLD);
  v1::PutResponse response;
  ASSERT_TRUE(Ok(Call(gateway(), put, &response)));
  EXPECT_TRUE(response.attributes().empty()) << "no item existed before";

  *put.mutable_item() = Item({{"pk", S("put-old")}, {"w", S("replaced")}});
  ASSERT_TRUE(Ok(Call(gateway(), put, &response)));
  EXPECT_TRUE(SameItem(Item({{"pk", S("put-old")}, {"v", I(1)}, {"s", SS({"a"})}}), response.attributes()));
  // Put replaces the whole item.
  EXPECT_EQ(DirectItem(table_, SKey("pk", "put-old")), json({{"pk", {{"S", "put-old"}}}, {"w", {{"S", "replaced"}}}}));

  // Without ReturnValues, nothing is returned.
  put.clear_return_values();
  ASSERT_TRUE(Ok(Call(gateway(), put, &response)));
  EXPECT_TRUE(response.attributes().empty());
}

TEST_F(ItemsTest, DeleteReturnsOldItem) {
  ASSERT_TRUE(Ok(Call(gateway(), PutOf(table_, Item({{"pk", S("del-old")}, {"v", N("1.5")}})))));
  v1::DeleteRequest del = DeleteOf(table_, Item({{"pk", S("del-old")}}));
  del.set_return_values(v1::RETURN_VALUES_ALL_OLD);
  v1::DeleteResponse response;
  ASSERT_TRUE(Ok(Call(gateway(), del, &response)));
  EXPECT_TRUE(SameItem(Item({{"pk", S("del-old")}, {"v", N("1.5")}}), response.attributes()));
  EXPECT_TRUE(DirectItem(table_, SKey("pk", "del-old")).is_null());

  // Deleting a missing item succeeds and returns nothing.
  ASSERT_TRUE(Ok(Call(gateway(), del, &response)));
  EXPECT_TRUE(response.attributes().empty());
}

TEST_F(ItemsTest, GetMissingItem) {
  v1::GetResponse got;
  ASSERT_TRUE(Ok(Call(gateway(), GetOf(table_, Item({{"pk", S("nobody")}})), &got)));
  EXPECT_FALSE(got.found());
  EXPECT_TRUE(got.item().empty());
}

TEST_F(ItemsTest, GetWithProjection) {
  const Attributes item = Item({{"pk", S("proj")},
                                {"a", I(1)},
                                {"b", S("bee")},
                                {"m", M({{"x", I(1)}, {"y", M({{"z", S("deep")}, {"w", I(0)}})}})},
                                {"l", L({S("l0"), M({{"k", S("l1")}, {"j", I(2)}}), S("l2")})}});
  ASSERT_TRUE(Ok(Call(gateway(), PutOf(table_, item))));

  struct Case {
    std::vector<std::string> projection;
    Attributes expected;
  };
  const std::vector<Case> cases = {
      {{"a"}, Item({{"a", I(1)}})},
      {{"a", "b", "pk"}, Item({{"pk", S("proj")}, {"a", I(1)}, {"b", S("bee")}})},
      {{"m.y.z"}, Item({{"m", M({{"y", M({{"z", S("deep")}})}})}})},
      {{"m.x", "m.y.w"}, Item({{"m", M({{"x", I(1)}, {"y", M({{"w", I(0)}})}})}})},
      {{"l[1].k"}, Item({{"l", L({M({{"k", S("l1")}})})}})},
      {{"l[2]", "l[0]"}, Item({{"l", L({S("l0"), S("l2")})}})},
      {{"`a`", "missing"}, Item({{"a", I(1)}})},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.projection[0]);
    v1::GetRequest get = GetOf(table_, Item({{"pk", S("proj")}}));
    for (const auto& p : c.projection) get.add_projection(p);
    v1::GetResponse got;
    ASSERT_TRUE(Ok(Call(gateway(), get, &got)));
    EXPECT_TRUE(got.found());
    EXPECT_TRUE(SameItem(c.expected, got.item()));
  }

  // A projection that matches nothing: the item exists (found), with no attribute.
  v1::GetRequest get = GetOf(table_, Item({{"pk", S("proj")}}));
  get.add_projection("missing");
  get.add_projection("m.nope");
  get.add_projection("l[9]");
  v1::GetResponse got;
  ASSERT_TRUE(Ok(Call(gateway(), get, &got)));
  EXPECT_TRUE(got.found());
  EXPECT_TRUE(got.item().empty());

  // ...while a missing item is not found, projection or not.
  *get.mutable_key() = Item({{"pk", S("proj-missing")}});
  ASSERT_TRUE(Ok(Call(gateway(), get, &got)));
  EXPECT_FALSE(got.found());
}

// A consistent read sees the write that was acknowledged just before it.
TEST_F(ItemsTest, ConsistentReadSeesLatestWrite) {
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(Ok(Call(gateway(), PutOf(table_, Item({{"pk", S("consistent")}, {"v", I(i)}})))));
    v1::GetRequest get = GetOf(table_, Item({{"pk", S("consistent")}}));
    get.set_consistent_read(true);
    v1::GetResponse got;
    ASSERT_TRUE(Ok(Call(gateway(), get, &got)));
    ASSERT_TRUE(got.found());
    EXPECT_EQ(got.item().at("v").number_value().integer(), i);
  }
}

// Only ALL_OLD (or NONE) is accepted for Put and Delete.
TEST_F(ItemsTest, PutAndDeleteRejectOtherReturnValues) {
  for (v1::ReturnValues mode : {v1::RETURN_VALUES_ALL_NEW, v1::RETURN_VALUES_UPDATED_OLD, v1::RETURN_VALUES_UPDATED_NEW}) {
    SCOPED_TRACE(v1::ReturnValues_Name(mode));
    v1::PutRequest put = PutOf(table_, Item({{"pk", S("rv-reject")}}));
    put.set_return_values(mode);
    EXPECT_TRUE(IsInvalid(Call(gateway(), put), "return_values"));
    v1::DeleteRequest del = DeleteOf(table_, Item({{"pk", S("rv-reject")}}));
    del.set_return_values(mode);
    EXPECT_TRUE(IsInvalid(Call(gateway(), del), "return_values"));
  }
  EXPECT_TRUE(DirectItem(table_, SKey("pk", "rv-reject")).is_null());
}

}  // namespace
}  // namespace altgw::testing
