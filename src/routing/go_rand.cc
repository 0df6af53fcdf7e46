#include "routing/go_rand.h"

#include <cstdint>
#include <limits>

#include "absl/base/macros.h"

namespace altgw::routing {
namespace {

using internal::kGoRandCooked;
using internal::kGoRandLength;

constexpr uint32_t kModulus = 0x7fffffff;  // 2^31-1, prime
constexpr uint32_t kMultiplier = 48271;
constexpr int kTap = 273;
constexpr int64_t kZeroSeedReplacement = 89482311;  // Go's choice, since 0 is a fixed point

// a * b mod 2^31-1 for a, b < 2^31, folding with 2^31 ≡ 1. Go computes the same residue with Schrage's
// method in 32-bit arithmetic.
constexpr uint32_t MulMod(uint64_t a, uint64_t b) {
  uint64_t p = a * b;              // < 2^62
  p = (p & kModulus) + (p >> 31);  // < 2^32
  p = (p & kModulus) + (p >> 31);  // <= 2^31
  return static_cast<uint32_t>(p >= kModulus ? p - kModulus : p);
}

// Go's seeding draws 20 warm-up values from x <- 48271 x, then three per state word, so word i is built
// from the values numbered 21+3i, 22+3i and 23+3i, the first being seed * 48271^(21+3i). This table holds
// those powers so a word can be computed without running the sequence up to it.
constexpr std::array<uint32_t, kGoRandLength> kFirstPowers = [] {
  std::array<uint32_t, kGoRandLength> powers{};
  uint32_t x = 1;
  for (int k = 0; k < 21; ++k) x = MulMod(x, kMultiplier);
  for (int i = 0; i < kGoRandLength; ++i) {
    powers[i] = x;
    x = MulMod(MulMod(MulMod(x, kMultiplier), kMultiplier), kMultiplier);
  }
  return powers;
}();

// Go's initial vec[i] for a reduced seed.
uint64_t SeededWord(uint32_t seed, int i) {
  const uint32_t x1 = MulMod(seed, kFirstPowers[i]);
  const uint32_t x2 = MulMod(x1, kMultiplier);
  const uint32_t x3 = MulMod(x2, kMultiplier);
  return (uint64_t{x1} << 40) ^ (uint64_t{x2} << 20) ^ uint64_t { x3 } ^
         static_cast<uint64_t>(kGoRandCooked[i]);
}

}  // namespace

void GoRand::Seed(int64_t seed) {
  seed %= kModulus;
  if (seed < 0) seed += kModulus;
  if (seed == 0) seed = kZeroSeedReplacement;
  seed_ = static_cast<int32_t>(seed);
  tap_ = 0;
  feed_ = kLength - kTap;
  ready_.fill(0);
}

uint64_t& GoRand::Word(int i) {
  uint64_t& mask = ready_[i / kWordsPerMask];
  const uint64_t bit = uint64_t{1} << (i % kWordsPerMask);
  if ((mask & bit) == 0) {
    vec_[i] = SeededWord(static_cast<uint32_t>(seed_), i);
    mask |= bit;
  }
  return vec_[i];
}

int64_t GoRand::Int63() {
  if (--tap_ < 0) tap_ += kLength;
  if (--feed_ < 0) feed_ += kLength;
  // Go adds int64s with wrap-around; unsigned arithmetic gives the same bits without overflow.
  const uint64_t tap_word = Word(tap_);
  uint64_t& feed_word = Word(feed_);
  feed_word += tap_word;
  return static_cast<int64_t>(feed_word & (std::numeric_limits<uint64_t>::max() >> 1));
}

int32_t GoRand::Int31n(int32_t n) {
  ABSL_HARDENING_ASSERT(n > 0);
  if ((n & (n - 1)) == 0) return Int31() & (n - 1);
  const uint32_t two31 = uint32_t{1} << 31;
  const int32_t max = static_cast<int32_t>(two31 - 1 - two31 % static_cast<uint32_t>(n));
  int32_t v = Int31();
  while (v > max) v = Int31();
  return v % n;
}

int64_t GoRand::Int63n(int64_t n) {
  ABSL_HARDENING_ASSERT(n > 0);
  if ((n & (n - 1)) == 0) return Int63() & (n - 1);
  const uint64_t two63 = uint64_t{1} << 63;
  const int64_t max = static_cast<int64_t>(two63 - 1 - two63 % static_cast<uint64_t>(n));
  int64_t v = Int63();
  while (v > max) v = Int63();
  return v % n;
}

int64_t GoRand::Intn(int64_t n) {
  if (n <= std::numeric_limits<int32_t>::max()) return Int31n(static_cast<int32_t>(n));
  return Int63n(n);
}

}  // namespace altgw::routing
