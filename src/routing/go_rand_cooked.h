// The seeding constants of Go's classic math/rand source (see go_rand_cooked.cc for their origin and
// licence). Internal to go_rand.cc and its test.

#ifndef ALTGW_ROUTING_GO_RAND_COOKED_H_
#define ALTGW_ROUTING_GO_RAND_COOKED_H_

#include <array>
#include <cstdint>

namespace altgw::routing::internal {

// Words in the generator's additive lagged Fibonacci register.
inline constexpr int kGoRandLength = 607;

// Go's rngCooked: XORed into each seeded state word.
extern const std::array<int64_t, kGoRandLength> kGoRandCooked;

}  // namespace altgw::routing::internal

#endif  // ALTGW_ROUTING_GO_RAND_COOKED_H_
