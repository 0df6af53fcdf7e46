#include "routing/murmur3.h"

#include <cstdint>
#include <cstring>
#include <string>

#include "gtest/gtest.h"

namespace altgw::routing {
namespace {

using std::string_literals::operator""s;

// router.md §4 vectors/affinity-hash.tsv, row by row: (kind, payload bytes, signed h1).
struct AffinityRow {
  KeyKind kind;
  std::string payload;
  int64_t expected;
};

class AffinityHashVectorTest : public testing::TestWithParam<AffinityRow> {};

TEST_P(AffinityHashVectorTest, MatchesOfficialVector) {
  const AffinityRow& row = GetParam();
  EXPECT_EQ(AffinityHash(row.kind, row.payload), row.expected);
}

INSTANTIATE_TEST_SUITE_P(
    Vectors, AffinityHashVectorTest,
    testing::Values(AffinityRow{KeyKind::kString, "hello", 8815023923555918238},
                    AffinityRow{KeyKind::kString, "", 8849112093580131862},
                    AffinityRow{KeyKind::kString, "user_123", -4025731529809423594},
                    // こんにちは: 15 UTF-8 bytes, so prefix + payload is exactly one block.
                    AffinityRow{KeyKind::kString,
                                "\xe3\x81\x93\xe3\x82\x93\xe3\x81\xab\xe3\x81\xa1\xe3\x81\xaf",
                                -8746014667889746860},
                    AffinityRow{KeyKind::kNumber, "42", -5061732451827723051},
                    AffinityRow{KeyKind::kNumber, "-12345", 2496798676881075539},
                    AffinityRow{KeyKind::kNumber, "3.14159", 2139945193071104172},
                    AffinityRow{KeyKind::kNumber, "1.23E10", -8571981415737439826},
                    AffinityRow{KeyKind::kBinary, "\x01\x02\x03", 5026299041734804437},
                    AffinityRow{KeyKind::kBinary, "", 8244620721157455449},
                    // 0xff and 0x80 have the top bit set: a signed-tail variant gets this one wrong.
                    AffinityRow{KeyKind::kBinary, "\xff\x00\x80"s, 14533934253577680}));

// SMHasher's verification of MurmurHash3_x64_128: hash {}, {0}, {0,1}, ... {0..254} with seeds 256, 255,
// ..., 1, hash the 256 concatenated 16-byte digests with seed 0, and read the first four bytes
// little-endian. This covers every tail length, multi-block input and non-zero seeds.
TEST(Murmur3Test, SmhasherVerificationValue) {
  unsigned char key[256];
  std::string digests;
  for (int i = 0; i < 256; ++i) {
    key[i] = static_cast<unsigned char>(i);
    const Hash128 h = Murmur3X64_128(absl::string_view(reinterpret_cast<const char*>(key), i), 256 - i);
    for (uint64_t word : {h.h1, h.h2}) {
      for (int b = 0; b < 8; ++b) digests.push_back(static_cast<char>(word >> (8 * b)));
    }
  }
  const Hash128 final_hash = Murmur3X64_128(digests, 0);
  EXPECT_EQ(static_cast<uint32_t>(final_hash.h1), 0x6384BA69u);
}

TEST(Murmur3Test, EmptyInputWithSeedZeroIsZero) { EXPECT_EQ(Murmur3X64_128(""), (Hash128{0, 0})); }

TEST(Murmur3Test, SeedChangesTheHash) { EXPECT_NE(Murmur3X64_128("hello", 0), Murmur3X64_128("hello", 1)); }

// AffinityHash reads prefix and payload as two pieces; it must equal hashing the concatenation for
// every length, including payloads whose blocks straddle the prefix byte and long multi-block ones.
TEST(AffinityHashTest, EqualsHashOfPrefixedBytesForEveryLength) {
  std::string payload;
  for (int len = 0; len <= 100; ++len) {
    for (KeyKind kind : {KeyKind::kString, KeyKind::kNumber, KeyKind::kBinary}) {
      const std::string prefixed = std::string(1, static_cast<char>(kind)) + payload;
      EXPECT_EQ(AffinityHash(kind, payload), static_cast<int64_t>(Murmur3X64_128(prefixed).h1))
          << "length " << len;
    }
    payload.push_back(static_cast<char>(0x80 + len * 7));
  }
}

TEST(AffinityHashTest, TypePrefixSeparatesEqualBytes) {
  EXPECT_NE(AffinityHash(KeyKind::kString, "42"), AffinityHash(KeyKind::kNumber, "42"));
  EXPECT_NE(AffinityHash(KeyKind::kNumber, "42"), AffinityHash(KeyKind::kBinary, "42"));
  EXPECT_NE(AffinityHash(KeyKind::kString, ""), AffinityHash(KeyKind::kBinary, ""));
}

TEST(AffinityHashTest, EmbeddedNulBytesCount) {
  EXPECT_NE(AffinityHash(KeyKind::kBinary, "\x00"s), AffinityHash(KeyKind::kBinary, ""));
  EXPECT_NE(AffinityHash(KeyKind::kBinary, "\x00\x01"s), AffinityHash(KeyKind::kBinary, "\x01"));
}

TEST(AffinityHashTest, LargePayload) {
  const std::string big(1 << 20, 'x');
  const std::string prefixed = "\x01" + big;
  EXPECT_EQ(AffinityHash(KeyKind::kString, big), static_cast<int64_t>(Murmur3X64_128(prefixed).h1));
}

}  // namespace
}  // namespace altgw::routing
