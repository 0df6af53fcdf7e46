#include "routing/query_plan.h"

#include <algorithm>
#include <numeric>

namespace altgw::routing {

AffinityPlan::AffinityPlan(int64_t seed, size_t candidate_count) : rand_(seed), slots_(candidate_count) {
  std::iota(slots_.begin(), slots_.end(), size_t{0});
}

std::optional<size_t> AffinityPlan::Next() {
  if (slots_.empty()) return std::nullopt;
  const size_t i = static_cast<size_t>(rand_.Intn(static_cast<int64_t>(slots_.size())));
  const size_t picked = slots_[i];
  slots_[i] = slots_.back();
  slots_.pop_back();
  return picked;
}

std::vector<size_t> AffinityOrder(int64_t seed, size_t candidate_count) {
  AffinityPlan plan(seed, candidate_count);
  std::vector<size_t> order;
  order.reserve(candidate_count);
  while (std::optional<size_t> next = plan.Next()) order.push_back(*next);
  return order;
}

std::vector<size_t> BatchVote(absl::Span<const size_t> preferred, size_t candidate_count) {
  std::vector<size_t> votes(candidate_count, 0);
  for (size_t node : preferred) {
    if (node < candidate_count) ++votes[node];
  }
  std::vector<size_t> order(candidate_count);
  std::iota(order.begin(), order.end(), size_t{0});
  // Starting from canonical order, a stable sort by votes leaves ties (including the unvoted nodes,
  // which all have zero votes and sort last) in canonical order.
  std::stable_sort(order.begin(), order.end(), [&votes](size_t a, size_t b) { return votes[a] > votes[b]; });
  return order;
}

}  // namespace altgw::routing
