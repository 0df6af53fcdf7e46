// Every Condition kind, true and false, on Put, Update and Delete: a false condition is FAILED_PRECONDITION /
// CONDITION_FAILED, leaves the item exactly as it was (checked in the database), and returns the current
// item in a ConditionFailure detail when asked.
#include <string>
#include <vector>

#include "integration_util.h"

namespace altgw::testing {
namespace {

class ConditionsTest : public GatewaySuite {
 protected:
  static void SetUpTestSuite() {
    GatewaySuite::SetUpTestSuite();
    table_ = UniqueTableName("conditions");
    CreateTable(gateway(), table_, "pk", v1::SCALAR_TYPE_STRING);
  }

  inline static std::string table_;
};

// The item every case starts from, in the form the gateway returns it.
Attributes BaseItem(const std::string& key) {
  return Item({
      {"pk", S(key)},
      {"s", S("hello world")},
      {"b", B("\x01\x02\x03")},
      {"n", I(10)},
      {"n2", I(20)},
      {"d", N("2.5")},
      {"ss", SS({"a", "b"})},
      {"ns", NumberSet({I(1), I(2)})},
      {"bs", BS({"\x01", "\x02"})},
      {"l", L({S("x"), I(1), M({{"deep", S("y")}})})},
      {"m", M({{"k", S("v")}, {"num", I(5)}})},
      {"t", Bool(true)},
      {"z", Null()},
      {"e", S("")},
  });
}

struct Case {
  std::string name;
  v1::Condition condition;
  bool holds;
};

std::vector<Case> Cases() {
  std::vector<Case> cases = {
      // Comparisons with a value.
      {"n = 10", Eq("n", I(10)), true},
      {"n = 11", Eq("n", I(11)), false},
      {"n = 10.0 (decimal)", Eq("n", N("10.0")), true},
      {"n <> 11", Compare("n", v1::COMPARATOR_NOT_EQUAL, I(11)), true},
      {"n <> 10", Compare("n", v1::COMPARATOR_NOT_EQUAL, I(10)), false},
      {"n < 11", Compare("n", v1::COMPARATOR_LESS, I(11)), true},
      {"n < 10", Compare("n", v1::COMPARATOR_LESS, I(10)), false},
      {"n <= 10", Compare("n", v1::COMPARATOR_LESS_OR_EQUAL, I(10)), true},
      {"n <= 9.99", Compare("n", v1::COMPARATOR_LESS_OR_EQUAL, N("9.99")), false},
      {"n > 9", Compare("n", v1::COMPARATOR_GREATER, I(9)), true},
      {"n > 10", Compare("n", v1::COMPARATOR_GREATER, I(10)), false},
      {"n >= 10", Compare("n", v1::COMPARATOR_GREATER_OR_EQUAL, I(10)), true},
      {"n >= 10.5", Compare("n", v1::COMPARATOR_GREATER_OR_EQUAL, F(10.5)), false},
      {"d = 2.5 (float64)", Eq("d", F(2.5)), true},
      {"s = hello world", Eq("s", S("hello world")), true},
      {"s = Hello world", Eq("s", S("Hello world")), false},
      {"s > hello", Compare("s", v1::COMPARATOR_GREATER, S("hello")), true},
      {"s < hello", Compare("s", v1::COMPARATOR_LESS, S("hello")), false},
      {"e = empty", Eq("e", S("")), true},
      {"b = bytes", Eq("b", B("\x01\x02\x03")), true},
      {"b = other bytes", Eq("b", B("\x01\x02")), false},
      {"t = true", Eq("t", Bool(true)), true},
      {"t = false", Eq("t", Bool(false)), false},
      {"z = null", Eq("z", Null()), true},
      {"ss = set", Eq("ss", SS({"b", "a"})), true},
      {"ns = other set", Eq("ns", NS({"1"})), false},
      {"l = list", Eq("l", L({S("x"), I(1), M({{"deep", S("y")}})})), true},
      {"m = other map", Eq("m", M({{"k", S("v")}})), false},
      {"missing = 1", Eq("missing", I(1)), false},
      {"n = string 10 (type mismatch)", Eq("n", S("10")), false},
      // Nested paths.
      {"m.k = v", Eq("m.k", S("v")), true},
      {"m.num > 4", Compare("m.num", v1::COMPARATOR_GREATER, I(4)), true},
      {"l[0] = x", Eq("l[0]", S("x")), true},
      {"l[1] = 2", Eq("l[1]", I(2)), false},
      {"l[2].deep = y", Eq("l[2].deep", S("y")), true},
      {"l[7] = x (out of range)", Eq("l[7]", S("x")), false},
      // Comparisons with another attribute.
      {"n < n2", ComparePaths("n", v1::COMPARATOR_LESS, "n2"), true},
      {"n > n2", ComparePaths("n", v1::COMPARATOR_GREATER, "n2"), false},
      {"n = n2", ComparePaths("n", v1::COMPARATOR_EQUAL, "n2"), false},
      {"n <> n2", ComparePaths("n", v1::COMPARATOR_NOT_EQUAL, "n2"), true},
      {"n2 >= m.num", ComparePaths("n2", v1::COMPARATOR_GREATER_OR_EQUAL, "m.num"), true},
      {"m.num = l[1]", ComparePaths("m.num", v1::COMPARATOR_EQUAL, "l[1]"), false},
      // attribute_exists / attribute_not_exists.
      {"exists(s)", Exists("s"), true},
      {"exists(z) (a NULL value exists)", Exists("z"), true},
      {"exists(missing)", Exists("missing"), false},
      {"exists(m.k)", Exists("m.k"), true},
      {"exists(m.nope)", Exists("m.nope"), false},
      {"exists(l[2])", Exists("l[2]"), true},
      {"exists(l[3])", Exists("l[3]"), false},
      {"exists(pk)", Exists("pk"), true},
      {"not_exists(missing)", NotExists("missing"), true},
      {"not_exists(s)", NotExists("s"), false},
      {"not_exists(pk)", NotExists("pk"), false},
      // begins_with on strings and bytes.
      {"begins_with(s, hello)", BeginsWith("s", S("hello")), true},
      {"begins_with(s, world)", BeginsWith("s", S("world")), false},
      {"begins_with(s, empty)", BeginsWith("s", S("")), true},
      {"begins_with(b, 01 02)", BeginsWith("b", B("\x01\x02")), true},
      {"begins_with(b, 02)", BeginsWith("b", B("\x02")), false},
      {"begins_with(n, 1) (not a string)", BeginsWith("n", S("1")), false},
      // contains on strings, sets and lists.
      {"contains(s, lo wo)", Contains("s", S("lo wo")), true},
      {"contains(s, xyz)", Contains("s", S("xyz")), false},
      {"contains(ss, a)", Contains("ss", S("a")), true},
      {"contains(ss, c)", Contains("ss", S("c")), false},
      {"contains(ns, 2)", Contains("ns", I(2)), true},
      {"contains(ns, 2.0)", Contains("ns", N("2.0")), true},
      {"contains(ns, 3)", Contains("ns", I(3)), false},
      {"contains(bs, 02)", Contains("bs", B("\x02")), true},
      {"contains(bs, 03)", Contains("bs", B("\x03")), false},
      {"contains(l, x)", Contains("l", S("x")), true},
      {"contains(l, 1)", Contains("l", I(1)), true},
      {"contains(l, y)", Contains("l", S("y")), false},
      {"contains(missing, a)", Contains("missing", S("a")), false},
      // between.
      {"n between 5 and 10", Between("n", I(5), I(10)), true},
      {"n between 10 and 10", Between("n", I(10), N("1e1")), true},
      {"n between 11 and 20", Between("n", I(11), I(20)), false},
      {"d between 2.4 and 2.6", Between("d", F(2.4), N("2.6")), true},
      {"s between a and i", Between("s", S("a"), S("i")), true},
      {"s between i and z", Between("s", S("i"), S("z")), false},
      {"b between 01 and 02", Between("b", B("\x01"), B("\x02")), true},
      // is_in.
      {"n in (1, 10, 100)", In("n", {I(1), I(10), I(100)}), true},
      {"n in (1, 2)", In("n", {I(1), I(2)}), false},
      {"s in (x, hello world)", In("s", {S("x"), S("hello world")}), true},
      {"s in (10)", In("s", {I(10)}), false},
      {"m.k in (v)", In("m.k", {S("v")}), true},
      // attribute_type for every type.
      {"type(s) = S", TypeIs("s", v1::ATTRIBUTE_TYPE_STRING), true},
      {"type(e) = S", TypeIs("e", v1::ATTRIBUTE_TYPE_STRING), true},
      {"type(n) = N", TypeIs("n", v1::ATTRIBUTE_TYPE_NUMBER), true},
      {"type(b) = B", TypeIs("b", v1::ATTRIBUTE_TYPE_BINARY), true},
      {"type(t) = BOOL", TypeIs("t", v1::ATTRIBUTE_TYPE_BOOL), true},
      {"type(z) = NULL", TypeIs("z", v1::ATTRIBUTE_TYPE_NULL), true},
      {"type(l) = L", TypeIs("l", v1::ATTRIBUTE_TYPE_LIST), true},
      {"type(m) = M", TypeIs("m", v1::ATTRIBUTE_TYPE_MAP), true},
      {"type(ss) = SS", TypeIs("ss", v1::ATTRIBUTE_TYPE_STRING_SET), true},
      {"type(ns) = NS", TypeIs("ns", v1::ATTRIBUTE_TYPE_NUMBER_SET), true},
      {"type(bs) = BS", TypeIs("bs", v1::ATTRIBUTE_TYPE_BINARY_SET), true},
      {"type(l[2]) = M", TypeIs("l[2]", v1::ATTRIBUTE_TYPE_MAP), true},
      {"type(s) = N", TypeIs("s", v1::ATTRIBUTE_TYPE_NUMBER), false},
      {"type(n) = S", TypeIs("n", v1::ATTRIBUTE_TYPE_STRING), false},
      {"type(ss) = L", TypeIs("ss", v1::ATTRIBUTE_TYPE_LIST), false},
      {"type(l) = SS", TypeIs("l", v1::ATTRIBUTE_TYPE_STRING_SET), false},
      {"type(z) = BOOL", TypeIs("z", v1::ATTRIBUTE_TYPE_BOOL), false},
      {"type(missing) = S", TypeIs("missing", v1::ATTRIBUTE_TYPE_STRING), false},
      // size.
      {"size(s) = 11", SizeIs("s", v1::COMPARATOR_EQUAL, 11), true},
      {"size(s) > 11", SizeIs("s", v1::COMPARATOR_GREATER, 11), false},
      {"size(b) = 3", SizeIs("b", v1::COMPARATOR_EQUAL, 3), true},
      {"size(l) = 3", SizeIs("l", v1::COMPARATOR_EQUAL, 3), true},
      {"size(l) < 3", SizeIs("l", v1::COMPARATOR_LESS, 3), false},
      {"size(m) = 2", SizeIs("m", v1::COMPARATOR_EQUAL, 2), true},
      {"size(ss) >= 2", SizeIs("ss", v1::COMPARATOR_GREATER_OR_EQUAL, 2), true},
      {"size(ns) <= 1", SizeIs("ns", v1::COMPARATOR_LESS_OR_EQUAL, 1), false},
      {"size(e) = 0", SizeIs("e", v1::COMPARATOR_EQUAL, 0), true},
      {"size(e) <> 0", SizeIs("e", v1::COMPARATOR_NOT_EQUAL, 0), false},
      // all_of / any_of / negation, nested.
      {"all_of(true, true)", AllOf({Eq("n", I(10)), Exists("s")}), true},
      {"all_of(true, false)", AllOf({Eq("n", I(10)), Exists("missing")}), false},
      {"all_of(true)", AllOf({Eq("n", I(10))}), true},
      {"any_of(false, true)", AnyOf({Eq("n", I(11)), Exists("s")}), true},
      {"any_of(false, false)", AnyOf({Eq("n", I(11)), Exists("missing")}), false},
      {"not(false)", Not(Eq("n", I(11))), true},
      {"not(true)", Not(Eq("n", I(10))), false},
      {"not(not(true))", Not(Not(Eq("n", I(10)))), true},
      {"not(exists(missing))", Not(Exists("missing")), true},
      {"nested true",
       AllOf({AnyOf({Eq("n", I(11)), Not(Exists("missing"))}), Not(AnyOf({Eq("s", S("x")), Eq("t", Bool(false))})),
              AnyOf({AllOf({Contains("ss", S("a")), SizeIs("l", v1::COMPARATOR_EQUAL, 3)}), Eq("n", I(0))})}),
       true},
      {"nested false",
       AnyOf({AllOf({Eq("n", I(10)), Not(Exists("s"))}), Not(AnyOf({Exists("m.k"), Exists("missing")})),
              AllOf({Between("n", I(0), I(100)), In("s", {S("a"), S("b")})})}),
       false},
  };
  return cases;
}

enum class Op { kPut, kUpdate, kDelete };

const char* OpName(Op op) {
  switch (op) {
    case Op::kPut:
      return "Put";
    case Op::kUpdate:
      return "Update";
    case Op::kDelete:
      return "Delete";
  }
  return "";
}

// Runs `condition` with `op` on a fresh copy of the base item and checks the outcome in the database.
void RunCase(GatewayHarness& gateway, const std::string& table, const std::string& key, Op op,
             const v1::Condition& condition, bool holds, bool return_item = true) {
  const Attributes base = BaseItem(key);
  ASSERT_TRUE(Ok(Call(gateway, PutOf(table, base))));
  const json before = DirectItem(table, SKey("pk", key));
  ASSERT_TRUE(before.is_object());

  grpc::Status status;
  switch (op) {
    case Op::kPut: {
      Attributes replacement = base;
      replacement["marker"] = S("put");
      v1::PutRequest put = PutOf(table, replacement);
      *put.mutable_condition() = condition;
      put.set_return_item_on_condition_failure(return_item);
      status = Call(gateway, put);
      break;
    }
    case Op::kUpdate: {
      v1::UpdateRequest update = UpdateOf(table, Item({{"pk", S(key)}}), {SetAction("marker", S("update"))});
      *update.mutable_condition() = condition;
      update.set_return_item_on_condition_failure(return_item);
      status = Call(gateway, update);
      break;
    }
    case Op::kDelete: {
      v1::DeleteRequest del = DeleteOf(table, Item({{"pk", S(key)}}));
      *del.mutable_condition() = condition;
      del.set_return_item_on_condition_failure(return_item);
      status = Call(gateway, del);
      break;
    }
  }

  const json after = DirectItem(table, SKey("pk", key));
  if (holds) {
    ASSERT_TRUE(Ok(status));
    if (op == Op::kDelete) {
      EXPECT_TRUE(after.is_null()) << after.dump();
    } else {
      ASSERT_TRUE(after.is_object());
      EXPECT_EQ(after["marker"]["S"], op == Op::kPut ? "put" : "update");
    }
    return;
  }
  ASSERT_TRUE(IsError(status, grpc::StatusCode::FAILED_PRECONDITION, "CONDITION_FAILED"));
  EXPECT_EQ(after, before) << "a failed condition changed the item";
  const RpcError error = DecodeError(status);
  if (return_item) {
    ASSERT_TRUE(error.condition_failure.has_value()) << "no ConditionFailure detail";
    EXPECT_TRUE(error.condition_failure->item_exists());
    EXPECT_TRUE(SameItem(base, error.condition_failure->item()));
  } else {
    EXPECT_FALSE(error.condition_failure.has_value()) << "ConditionFailure detail not asked for";
  }
}

TEST_F(ConditionsTest, EveryConditionKindTrueAndFalseOnPut) {
  const std::vector<Case> cases = Cases();
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(cases[i].name);
    RunCase(gateway(), table_, "put-" + std::to_string(i), Op::kPut, cases[i].condition, cases[i].holds);
  }
}

TEST_F(ConditionsTest, EveryConditionKindTrueAndFalseOnUpdate) {
  const std::vector<Case> cases = Cases();
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(cases[i].name);
    RunCase(gateway(), table_, "update-" + std::to_string(i), Op::kUpdate, cases[i].condition, cases[i].holds);
  }
}

TEST_F(ConditionsTest, EveryConditionKindTrueAndFalseOnDelete) {
  const std::vector<Case> cases = Cases();
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(cases[i].name);
    RunCase(gateway(), table_, "delete-" + std::to_string(i), Op::kDelete, cases[i].condition, cases[i].holds);
  }
}

TEST_F(ConditionsTest, NoConditionFailureDetailUnlessAsked) {
  for (Op op : {Op::kPut, Op::kUpdate, Op::kDelete}) {
    SCOPED_TRACE(OpName(op));
    RunCase(gateway(), table_, std::string("unasked-") + OpName(op), op, Eq("n", I(11)), false,
            /*return_item=*/false);
  }
}

// On a missing item every path is absent: attribute_exists is false and the ConditionFailure says the
// item does not exist; nothing is created.
TEST_F(ConditionsTest, FalseConditionOnMissingItemReportsItemDoesNotExist) {
  for (Op op : {Op::kPut, Op::kUpdate, Op::kDelete}) {
    SCOPED_TRACE(OpName(op));
    const std::string key = std::string("missing-") + OpName(op);
    grpc::Status status;
    if (op == Op::kPut) {
      v1::PutRequest put = PutOf(table_, Item({{"pk", S(key)}, {"a", I(1)}}));
      *put.mutable_condition() = Exists("pk");
      put.set_return_item_on_condition_failure(true);
      status = Call(gateway(), put);
    } else if (op == Op::kUpdate) {
      v1::UpdateRequest update = UpdateOf(table_, Item({{"pk", S(key)}}), {SetAction("a", I(1))});
      *update.mutable_condition() = Eq("a", I(0));
      update.set_return_item_on_condition_failure(true);
      status = Call(gateway(), update);
    } else {
      v1::DeleteRequest del = DeleteOf(table_, Item({{"pk", S(key)}}));
      *del.mutable_condition() = Exists("a");
      del.set_return_item_on_condition_failure(true);
      status = Call(gateway(), del);
    }
    ASSERT_TRUE(IsError(status, grpc::StatusCode::FAILED_PRECONDITION, "CONDITION_FAILED"));
    const RpcError error = DecodeError(status);
    ASSERT_TRUE(error.condition_failure.has_value());
    EXPECT_FALSE(error.condition_failure->item_exists());
    EXPECT_TRUE(error.condition_failure->item().empty());
    EXPECT_TRUE(DirectItem(table_, SKey("pk", key)).is_null()) << "the failed write created the item";
  }
}

// A 300 KB item cannot travel in an error trailer (clients refuse trailers above ~8 KiB): the client still
// gets a clean CONDITION_FAILED saying the item exists but was left out, never a transport error.
TEST_F(ConditionsTest, LargeCurrentItemIsOmittedFromTheConditionFailure) {
  const std::string key = "large-current-item";
  ASSERT_TRUE(Ok(Call(gateway(), PutOf(table_, Item({{"pk", S(key)}, {"blob", B(std::string(300'000, 'z'))}})))));
  v1::PutRequest put = PutOf(table_, Item({{"pk", S(key)}, {"a", I(1)}}));
  *put.mutable_condition() = NotExists("pk");
  put.set_return_item_on_condition_failure(true);
  const grpc::Status status = Call(gateway(), put);
  ASSERT_TRUE(IsError(status, grpc::StatusCode::FAILED_PRECONDITION, "CONDITION_FAILED")) << status.error_message();
  const RpcError error = DecodeError(status);
  ASSERT_TRUE(error.condition_failure.has_value());
  EXPECT_TRUE(error.condition_failure->item_exists());
  EXPECT_TRUE(error.condition_failure->item_omitted());
  EXPECT_TRUE(error.condition_failure->item().empty());
  EXPECT_EQ(DirectItem(table_, SKey("pk", key))["blob"]["B"].get<std::string>().size(), 400'000u)
      << "the failed write changed the item";
}

// attribute_not_exists on the key: create-only Put. Conditions that hold on a missing item let the write
// through (negations, not_exists).
TEST_F(ConditionsTest, CreateOnlyPutAndConditionsOnMissingItems) {
  v1::PutRequest put = PutOf(table_, Item({{"pk", S("create-only")}, {"v", I(1)}}));
  *put.mutable_condition() = NotExists("pk");
  put.set_return_item_on_condition_failure(true);
  ASSERT_TRUE(Ok(Call(gateway(), put)));
  EXPECT_EQ(DirectItem(table_, SKey("pk", "create-only"))["v"]["N"], "1");

  *put.mutable_item() = Item({{"pk", S("create-only")}, {"v", I(2)}});
  const grpc::Status again = Call(gateway(), put);
  ASSERT_TRUE(IsError(again, grpc::StatusCode::FAILED_PRECONDITION, "CONDITION_FAILED"));
  const RpcError error = DecodeError(again);
  ASSERT_TRUE(error.condition_failure.has_value());
  EXPECT_TRUE(error.condition_failure->item_exists());
  EXPECT_TRUE(SameItem(Item({{"pk", S("create-only")}, {"v", I(1)}}), error.condition_failure->item()));
  EXPECT_EQ(DirectItem(table_, SKey("pk", "create-only"))["v"]["N"], "1");

  // A negated comparison holds on a missing item; the Update creates it.
  v1::UpdateRequest update = UpdateOf(table_, Item({{"pk", S("negated-missing")}}), {SetAction("v", I(3))});
  *update.mutable_condition() = Not(Eq("v", I(3)));
  ASSERT_TRUE(Ok(Call(gateway(), update)));
  EXPECT_EQ(DirectItem(table_, SKey("pk", "negated-missing"))["v"]["N"], "3");
  // ...and now it no longer holds.
  const grpc::Status second = Call(gateway(), update);
  EXPECT_TRUE(IsError(second, grpc::StatusCode::FAILED_PRECONDITION, "CONDITION_FAILED"));

  // A conditional Delete of a missing item with a condition that holds succeeds (and creates nothing).
  v1::DeleteRequest del = DeleteOf(table_, Item({{"pk", S("never-there")}}));
  *del.mutable_condition() = NotExists("pk");
  ASSERT_TRUE(Ok(Call(gateway(), del)));
  EXPECT_TRUE(DirectItem(table_, SKey("pk", "never-there")).is_null());
}

// A PreconditionFailure detail accompanies CONDITION_FAILED, and the ErrorInfo is in the gateway's domain.
TEST_F(ConditionsTest, ConditionFailedCarriesPreconditionFailure) {
  ASSERT_TRUE(Ok(Call(gateway(), PutOf(table_, Item({{"pk", S("precondition")}, {"v", I(1)}})))));
  v1::PutRequest put = PutOf(table_, Item({{"pk", S("precondition")}, {"v", I(2)}}));
  *put.mutable_condition() = Eq("v", I(5));
  const grpc::Status status = Call(gateway(), put);
  ASSERT_TRUE(IsError(status, grpc::StatusCode::FAILED_PRECONDITION, "CONDITION_FAILED"));
  const RpcError error = DecodeError(status);
  ASSERT_TRUE(error.precondition.has_value());
  ASSERT_GE(error.precondition->violations_size(), 1);
  EXPECT_FALSE(error.condition_failure.has_value());
}

}  // namespace
}  // namespace altgw::testing
