// MurmurHash3 x64_128 and the key-affinity hash built on it (router.md §4, steps 1-2).
//
// The affinity hash must equal what ScyllaDB's Go, Java and C++ load-balancing clients compute, so it
// is the reference MurmurHash3 with unsigned tail bytes, not the Cassandra/Scylla token variant (which
// sign-extends tail bytes and would map some keys to different coordinators).

#ifndef ALTGW_ROUTING_MURMUR3_H_
#define ALTGW_ROUTING_MURMUR3_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace altgw::routing {

struct Hash128 {
  uint64_t h1 = 0;
  uint64_t h2 = 0;

  friend bool operator==(const Hash128&, const Hash128&) = default;
};

// Austin Appleby's reference MurmurHash3_x64_128 of `data`: both halves start at `seed`, blocks are
// read little-endian. `h1` and `h2` are the first and second 64-bit words the reference writes out.
Hash128 Murmur3X64_128(absl::string_view data, uint32_t seed = 0);

// The DynamoDB scalar type of a partition key; each has its own prefix byte so that equal bytes of
// different types (the string "1" and the number 1) hash differently.
enum class KeyKind : uint8_t {
  kString = 0x01,  // payload: the UTF-8 text
  kNumber = 0x02,  // payload: the canonical number text sent to Alternator
  kBinary = 0x03,  // payload: the raw bytes (not base64)
};

// h1 of MurmurHash3 x64_128 (seed 0) over the prefix byte followed by `payload`, as a signed int64:
// the seed of the key's Go generator (go_rand.h). Allocates nothing.
int64_t AffinityHash(KeyKind kind, absl::string_view payload);

}  // namespace altgw::routing

#endif  // ALTGW_ROUTING_MURMUR3_H_
