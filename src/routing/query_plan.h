// The key-affinity query plan (router.md §4, steps 4, 6 and 7): the order in which a logical request
// tries the nodes of the canonical candidate list (endpoint.h), identical to the order ScyllaDB's
// load-balancing clients derive for the same key.
//
// The plan is a Go-generator-driven pick-and-remove over candidate indices: while candidates remain,
// i = Intn(remaining), emit the candidate in slot i, move the last slot's candidate into slot i and drop
// the last slot. The first emitted index is the key's preferred coordinator; the rest is the retry order.

#ifndef ALTGW_ROUTING_QUERY_PLAN_H_
#define ALTGW_ROUTING_QUERY_PLAN_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/types/span.h"
#include "routing/go_rand.h"

namespace altgw::routing {

// A plan computed one node at a time: a request usually needs only the first node, or two, and the rest
// only on retry. Keep one per logical request and reuse it across retries (never rebuild it per attempt).
class AffinityPlan {
 public:
  // `seed` is the key's AffinityHash (murmur3.h); `candidate_count` the size of the canonical list.
  AffinityPlan(int64_t seed, size_t candidate_count);

  // The next candidate index, or nullopt once all candidates have been emitted.
  std::optional<size_t> Next();

  // Candidates not emitted yet.
  size_t remaining() const { return slots_.size(); }

 private:
  // Slots for the usual cluster sizes live inline, so a plan allocates nothing.
  static constexpr size_t kInlineSlots = 32;

  GoRand rand_;
  absl::InlinedVector<size_t, kInlineSlots> slots_;  // slots_[i]: the candidate index in slot i
};

// The whole plan: every candidate index once, in plan order.
std::vector<size_t> AffinityOrder(int64_t seed, size_t candidate_count);

// Batch-write routing by voting (ANY_WRITE mode): `preferred` holds, for each put/delete entry with an
// affinity key, the index of that key's preferred node in the canonical list. Returns every candidate
// index: voted nodes by votes descending, ties in canonical order (lower index first), then the nodes
// without votes in canonical order. Indices >= candidate_count name no node and are ignored.
std::vector<size_t> BatchVote(absl::Span<const size_t> preferred, size_t candidate_count);

}  // namespace altgw::routing

#endif  // ALTGW_ROUTING_QUERY_PLAN_H_
