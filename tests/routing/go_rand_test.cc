#include "routing/go_rand.h"

#include <array>
#include <cstdint>
#include <limits>
#include <vector>

#include "gtest/gtest.h"
#include "routing/go_rand_cooked.h"

namespace altgw::routing {
namespace {

using internal::kGoRandCooked;
using internal::kGoRandLength;

constexpr int64_t kModulus = (int64_t{1} << 31) - 1;

// A straightforward eager port, written independently of the lazy one: Schrage's 32-bit step and a
// full 607-word fill at seeding time, as Go does it.
class EagerGoRand {
 public:
  explicit EagerGoRand(int64_t seed) {
    seed %= kModulus;
    if (seed < 0) seed += kModulus;
    if (seed == 0) seed = 89482311;
    int32_t x = static_cast<int32_t>(seed);
    for (int i = -20; i < kGoRandLength; ++i) {
      x = Step(x);
      if (i >= 0) {
        uint64_t u = static_cast<uint64_t>(x) << 40;
        x = Step(x);
        u ^= static_cast<uint64_t>(x) << 20;
        x = Step(x);
        u ^= static_cast<uint64_t>(x);
        vec_[i] = u ^ static_cast<uint64_t>(kGoRandCooked[i]);
      }
    }
  }

  int64_t Int63() {
    tap_ = (tap_ + kGoRandLength - 1) % kGoRandLength;
    feed_ = (feed_ + kGoRandLength - 1) % kGoRandLength;
    vec_[feed_] += vec_[tap_];
    return static_cast<int64_t>(vec_[feed_] << 1 >> 1);  // clear the sign bit
  }

  int32_t Int31n(int32_t n) {
    if ((n & (n - 1)) == 0) return static_cast<int32_t>(Int63() >> 32) & (n - 1);
    const int64_t limit = (int64_t{1} << 31) - ((int64_t{1} << 31) % n);  // values below are unbiased
    int64_t v;
    do {
      v = Int63() >> 32;
    } while (v >= limit);
    return static_cast<int32_t>(v % n);
  }

 private:
  static int32_t Step(int32_t x) {
    const int32_t hi = x / 44488;
    const int32_t lo = x % 44488;
    x = 48271 * lo - 3399 * hi;
    return x < 0 ? x + static_cast<int32_t>(kModulus) : x;
  }

  std::array<uint64_t, kGoRandLength> vec_;
  int tap_ = 0;
  int feed_ = kGoRandLength - 273;
};

TEST(GoRandCookedTest, MatchesPublishedChecksums) {
  uint64_t x = 0;
  uint64_t sum = 0;
  for (int64_t c : kGoRandCooked) {
    x ^= static_cast<uint64_t>(c);
    sum += static_cast<uint64_t>(c);
  }
  EXPECT_EQ(x, 0x3d3c2132918f7b5bULL);
  EXPECT_EQ(sum, 0x6cfdb5c15889b293ULL);
  EXPECT_EQ(kGoRandCooked.front(), -4181792142133755926);
  EXPECT_EQ(kGoRandCooked.back(), 4152330101494654406);
}

// vectors/go-rng.tsv: the first Int63 outputs for each seed.
TEST(GoRandTest, Seed42MatchesGo) {
  GoRand rand(42);
  for (int64_t expected : {3440579354231278675, 608747136543856411, 5571782338101878760, 1926012586526624009,
                           404153945743547657, 3534334367214237261, 7497468244883513247, 3545887102062614208,
                           3532963341805492868, 5961769557461764184}) {
    EXPECT_EQ(rand.Int63(), expected);
  }
}

TEST(GoRandTest, Seed1MatchesGo) {
  GoRand rand(1);
  for (int64_t expected : {5577006791947779410, 8674665223082153551, 6129484611666145821}) {
    EXPECT_EQ(rand.Int63(), expected);
  }
}

// Beyond 273 draws the tap reads words earlier draws wrote, and beyond 607 the feed does: the lazy
// state must agree with the eager one through both.
TEST(GoRandTest, LongSequencesMatchEagerReference) {
  for (int64_t seed : {int64_t{42}, int64_t{1}, int64_t{0}, int64_t{-1}, int64_t{12345}, kModulus,
                       kModulus - 1, -kModulus, int64_t{89482311}, std::numeric_limits<int64_t>::min(),
                       std::numeric_limits<int64_t>::max(), int64_t{-8746014667889746860}}) {
    GoRand lazy(seed);
    EagerGoRand eager(seed);
    for (int draw = 0; draw < 2000; ++draw) {
      ASSERT_EQ(lazy.Int63(), eager.Int63()) << "seed " << seed << " draw " << draw;
    }
  }
}

TEST(GoRandTest, IntnMatchesEagerReferenceForMixedBounds) {
  GoRand lazy(-4025731529809423594);
  EagerGoRand eager(-4025731529809423594);
  // Bounds of every kind: 1, powers of two, small and huge non-powers (2^30+1 rejects about half).
  const int32_t bounds[] = {1, 2, 3, 7, 8, 10, 30, 1000, (1 << 30) + 1, std::numeric_limits<int32_t>::max()};
  for (int round = 0; round < 300; ++round) {
    for (int32_t n : bounds) {
      ASSERT_EQ(lazy.Intn(n), eager.Int31n(n)) << "round " << round << " n " << n;
    }
  }
}

TEST(GoRandTest, SeedIsReducedModulo2To31Minus1) {
  auto first = [](int64_t seed) { return GoRand(seed).Int63(); };
  EXPECT_EQ(first(kModulus + 5), first(5));
  EXPECT_EQ(first(-1), first(kModulus - 1));
  EXPECT_EQ(first(kModulus), first(89482311));  // reduces to 0, which becomes 89482311
  EXPECT_EQ(first(0), first(89482311));
  EXPECT_NE(first(5), first(6));
}

TEST(GoRandTest, ReseedingRestartsTheSequence) {
  GoRand rand(7);
  for (int i = 0; i < 700; ++i) rand.Int63();
  rand.Seed(42);
  EXPECT_EQ(rand.Int63(), 3440579354231278675);
  EXPECT_EQ(rand.Int63(), 608747136543856411);
}

TEST(GoRandTest, Int31IsTheTop31BitsOfInt63) {
  GoRand a(99);
  GoRand b(99);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(a.Int31(), static_cast<int32_t>(b.Int63() >> 32));
}

TEST(GoRandTest, IntnOfOneStillConsumesADraw) {
  GoRand a(42);
  EXPECT_EQ(a.Intn(1), 0);
  EXPECT_EQ(a.Int63(), 608747136543856411);  // Go's second output for seed 42
}

TEST(GoRandTest, PowerOfTwoBoundsMaskTheTopBits) {
  GoRand a(42);
  GoRand b(42);
  for (int64_t n : {2, 4, 8, 1024, 1 << 30}) EXPECT_EQ(a.Intn(n), (b.Int63() >> 32) & (n - 1));
}

TEST(GoRandTest, RejectionSkipsValuesAboveTheLastFullMultiple) {
  // For n = 2^30 + 1 Go rejects Int31 values above 2^30, so some draws are discarded; Intn must return the
  // first accepted value modulo n and leave the generator just past it.
  const int32_t n = (1 << 30) + 1;
  GoRand a(42);
  GoRand b(42);
  int rejected = 0;
  for (int i = 0; i < 20; ++i) {
    int32_t v = b.Int31();
    while (v > (1 << 30)) {
      v = b.Int31();
      ++rejected;
    }
    ASSERT_EQ(a.Intn(n), v % n);
  }
  EXPECT_GT(rejected, 0);
  EXPECT_EQ(a.Int63(), b.Int63());
}

TEST(GoRandTest, BoundsBeyond31BitsUseInt63n) {
  GoRand a(5);
  GoRand b(5);
  const int64_t power = int64_t{1} << 40;
  EXPECT_EQ(a.Intn(power), b.Int63() & (power - 1));

  // 3 * 2^61: values above the largest multiple below 2^63, 2^63 - 2^61 - 1, are rejected (a quarter).
  const int64_t n = int64_t{3} << 61;
  const int64_t max = std::numeric_limits<int64_t>::max() - (int64_t{1} << 61);
  for (int i = 0; i < 20; ++i) {
    int64_t v = b.Int63();
    while (v > max) v = b.Int63();
    ASSERT_EQ(a.Intn(n), v % n);
  }
  EXPECT_EQ(a.Int63n(n), [&] {
    int64_t v = b.Int63();
    while (v > max) v = b.Int63();
    return v % n;
  }());
}

}  // namespace
}  // namespace altgw::routing
