#include "routing/query_plan.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "routing/endpoint.h"
#include "routing/go_rand.h"

namespace altgw::routing {
namespace {

using testing::ElementsAre;
using testing::ElementsAreArray;

struct PlanRow {
  int64_t seed;
  std::vector<int> labels;  // node labels: "node<label>.example.com"
};

// vectors/query-plan-sorted.tsv: http://node1.example.com:8043 ... node10, put into canonical order (node10
// sorts between node1 and node2), then planned; the complete pick order as node labels.
class SortedPlanVectorTest : public testing::TestWithParam<PlanRow> {};

TEST_P(SortedPlanVectorTest, MatchesOfficialVector) {
  std::vector<std::string> endpoints;
  for (int label = 1; label <= 10; ++label)
    endpoints.push_back(absl::StrCat("http://node", label, ".example.com:8043"));
  absl::StatusOr<std::vector<OrderedEndpoint>> candidates = CanonicalOrder(endpoints);
  ASSERT_TRUE(candidates.ok()) << candidates.status();

  std::vector<std::string> planned;
  for (size_t index : AffinityOrder(GetParam().seed, candidates->size())) {
    planned.push_back((*candidates)[index].representative);
  }
  std::vector<std::string> expected;
  for (int label : GetParam().labels)
    expected.push_back(absl::StrCat("http://node", label, ".example.com:8043"));
  EXPECT_THAT(planned, ElementsAreArray(expected));
}

INSTANTIATE_TEST_SUITE_P(Vectors, SortedPlanVectorTest,
                         testing::Values(PlanRow{42, {5, 8, 4, 10, 6, 1, 9, 2, 7, 3}},
                                         PlanRow{123, {5, 1, 3, 2, 9, 4, 7, 10, 6, 8}},
                                         PlanRow{999, {4, 9, 3, 1, 10, 2, 5, 8, 7, 6}},
                                         PlanRow{0, {4, 1, 10, 9, 5, 7, 3, 2, 8, 6}},
                                         PlanRow{-1, {10, 4, 1, 2, 5, 9, 3, 6, 8, 7}},
                                         PlanRow{12345, {3, 4, 1, 6, 5, 7, 2, 8, 10, 9}},
                                         PlanRow{9223372036854775807, {10, 6, 7, 1, 9, 3, 5, 2, 8, 4}}));

// vectors/query-plan-raw.tsv: candidates node1 ... node10 in raw (unsorted) order, so index i is node i+1;
// the first six picks.
class RawPlanVectorTest : public testing::TestWithParam<PlanRow> {};

TEST_P(RawPlanVectorTest, MatchesOfficialVector) {
  AffinityPlan plan(GetParam().seed, 10);
  std::vector<int> labels;
  for (int i = 0; i < 6; ++i) labels.push_back(static_cast<int>(*plan.Next()) + 1);
  EXPECT_THAT(labels, ElementsAreArray(GetParam().labels));
}

INSTANTIATE_TEST_SUITE_P(Vectors, RawPlanVectorTest,
                         testing::Values(PlanRow{42, {6, 9, 5, 2, 7, 1}}, PlanRow{123, {6, 1, 4, 3, 10, 5}},
                                         PlanRow{999, {5, 10, 4, 1, 2, 3}}, PlanRow{0, {5, 1, 2, 10, 6, 8}},
                                         PlanRow{-1, {2, 5, 1, 3, 6, 10}}, PlanRow{12345, {4, 5, 1, 7, 6, 8}},
                                         PlanRow{9223372036854775807, {2, 7, 8, 1, 10, 4}}));

TEST(AffinityPlanTest, SixRawCandidatesSeed42MatchesOfficialVector) {
  std::vector<int> labels;
  for (size_t index : AffinityOrder(42, 6)) labels.push_back(static_cast<int>(index) + 1);
  EXPECT_THAT(labels, ElementsAre(6, 3, 1, 4, 2, 5));
}

TEST(AffinityPlanTest, IncrementalPlanEqualsFullOrder) {
  for (int64_t seed :
       {int64_t{42}, int64_t{-1}, std::numeric_limits<int64_t>::min(), int64_t{8815023923555918238}}) {
    for (size_t n : {1u, 2u, 3u, 10u, 31u, 32u, 33u, 100u}) {
      AffinityPlan plan(seed, n);
      std::vector<size_t> incremental;
      while (std::optional<size_t> next = plan.Next()) {
        incremental.push_back(*next);
        EXPECT_EQ(plan.remaining(), n - incremental.size());
      }
      EXPECT_EQ(incremental, AffinityOrder(seed, n)) << "seed " << seed << " n " << n;
      EXPECT_EQ(plan.Next(), std::nullopt);
    }
  }
}

TEST(AffinityPlanTest, FirstNodeIsTheGeneratorsFirstIntn) {
  for (int64_t seed = -50; seed < 50; ++seed) {
    EXPECT_EQ(*AffinityPlan(seed, 7).Next(), static_cast<size_t>(GoRand(seed).Intn(7)));
  }
}

TEST(AffinityPlanTest, NoCandidates) {
  AffinityPlan plan(42, 0);
  EXPECT_EQ(plan.remaining(), 0u);
  EXPECT_EQ(plan.Next(), std::nullopt);
  EXPECT_TRUE(AffinityOrder(42, 0).empty());
}

TEST(AffinityPlanTest, OneCandidate) {
  for (int64_t seed : {int64_t{0}, int64_t{42}, std::numeric_limits<int64_t>::max()}) {
    EXPECT_THAT(AffinityOrder(seed, 1), ElementsAre(0u));
  }
}

TEST(AffinityPlanTest, LargePlansArePermutations) {
  for (size_t n : {1000u, 65537u}) {
    std::vector<size_t> order = AffinityOrder(-4025731529809423594, n);
    ASSERT_EQ(order.size(), n);
    std::vector<size_t> sorted = order;
    std::sort(sorted.begin(), sorted.end());
    std::vector<size_t> identity(n);
    std::iota(identity.begin(), identity.end(), size_t{0});
    EXPECT_EQ(sorted, identity);
    EXPECT_NE(order, identity);  // it did shuffle
  }
}

TEST(AffinityPlanTest, DifferentKeysSpreadOverNodes) {
  std::vector<int> firsts(10, 0);
  for (int64_t seed = 0; seed < 10000; ++seed) ++firsts[*AffinityPlan(seed * 7919, 10).Next()];
  for (int count : firsts) {
    EXPECT_GT(count, 800);
    EXPECT_LT(count, 1200);
  }
}

TEST(BatchVoteTest, OrdersByVotesThenCanonicalOrderThenTheRest) {
  const std::vector<size_t> preferred = {2, 2, 1, 0, 2, 1, 4};
  EXPECT_THAT(BatchVote(preferred, 6), ElementsAre(2, 1, 0, 4, 3, 5));
}

TEST(BatchVoteTest, TiesGoToTheCanonicallyFirstNode) {
  const std::vector<size_t> preferred = {3, 1, 3, 1};
  EXPECT_THAT(BatchVote(preferred, 4), ElementsAre(1, 3, 0, 2));
}

TEST(BatchVoteTest, NoVotesGivesCanonicalOrder) {
  EXPECT_THAT(BatchVote({}, 3), ElementsAre(0, 1, 2));
  EXPECT_TRUE(BatchVote({}, 0).empty());
}

TEST(BatchVoteTest, OutOfRangeVotesAreIgnored) {
  const std::vector<size_t> preferred = {5, 5, 5, 2};
  EXPECT_THAT(BatchVote(preferred, 3), ElementsAre(2, 0, 1));
}

}  // namespace
}  // namespace altgw::routing
