// A port of Go's classic math/rand generator (the source behind rand.New(rand.NewSource(seed)), unchanged
// since Go 1), bit-exact with Go for every seed and any number of draws (router.md §4, step 3). ScyllaDB's
// load-balancing clients seed it with a key's affinity hash and draw the coordinator order from it, so the
// gateway must produce the very same numbers.
//
// Go's source is a 607-word additive lagged Fibonacci register (tap 273) whose words are filled from a
// 48271 multiplicative congruential generator modulo 2^31-1. Filling all of them eagerly costs ~1,850
// modular multiplications, far more than the gateway's per-request budget, while a request draws only
// about as many numbers as there are nodes. Each state word depends only on the seed and its own
// position in the congruential sequence, so this port computes a word the first time a draw reads it,
// jumping ahead with precomputed powers of 48271. Draws then cost a few multiplications each.

#ifndef ALTGW_ROUTING_GO_RAND_H_
#define ALTGW_ROUTING_GO_RAND_H_

#include <array>
#include <cstdint>

#include "routing/go_rand_cooked.h"

namespace altgw::routing {

class GoRand {
 public:
  // Same as Go's rand.New(rand.NewSource(seed)).
  explicit GoRand(int64_t seed) { Seed(seed); }

  // Restarts the sequence as Go's Seed does: the seed is reduced modulo 2^31-1 (negative results get the
  // modulus added; 0 becomes 89482311), so seeds congruent modulo 2^31-1 give the same sequence.
  void Seed(int64_t seed);

  // A non-negative 63-bit number: Go's Int63.
  int64_t Int63();

  // A non-negative 31-bit number, the top 31 bits of Int63: Go's Int31.
  int32_t Int31() { return static_cast<int32_t>(Int63() >> 32); }

  // Uniform in [0, n) for n > 0, exactly as Go's Int31n: masking when n is a power of two (n = 1 still
  // consumes a draw), otherwise rejection of the values above the largest multiple of n.
  int32_t Int31n(int32_t n);

  // Uniform in [0, n) for n > 0, exactly as Go's Int63n (same scheme on 63-bit values).
  int64_t Int63n(int64_t n);

  // Uniform in [0, n) for n > 0, exactly as Go's Intn on a 64-bit platform: Int31n when n fits in 31
  // bits, Int63n otherwise.
  int64_t Intn(int64_t n);

 private:
  static constexpr int kLength = internal::kGoRandLength;
  static constexpr int kWordsPerMask = 64;

  // Go's vec[i]: the seeded value until a draw first reads it, then whatever draws stored there.
  uint64_t& Word(int i);

  int32_t seed_ = 0;  // the reduced seed, in [1, 2^31-2]
  int tap_ = 0;
  int feed_ = 0;
  // Bit i set: vec_[i] holds Go's current vec[i]. Clear bits mark words not computed yet, so Seed()
  // clears ten words instead of writing 607.
  std::array<uint64_t, (kLength + kWordsPerMask - 1) / kWordsPerMask> ready_;
  std::array<uint64_t, kLength> vec_;  // deliberately left uninitialised; see ready_
};

}  // namespace altgw::routing

#endif  // ALTGW_ROUTING_GO_RAND_H_
