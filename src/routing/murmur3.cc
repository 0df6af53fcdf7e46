#include "routing/murmur3.h"

#include <bit>
#include <cstddef>
#include <cstring>

namespace altgw::routing {
namespace {

constexpr uint64_t kC1 = 0x87c37b91114253d5ULL;
constexpr uint64_t kC2 = 0x4cf5ad432745937fULL;
constexpr size_t kBlock = 16;

uint64_t LoadLittleEndian64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  return v;
}

uint64_t MixK1(uint64_t k1) { return std::rotl(k1 * kC1, 31) * kC2; }
uint64_t MixK2(uint64_t k2) { return std::rotl(k2 * kC2, 33) * kC1; }

uint64_t FinalMix(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  k ^= k >> 33;
  return k;
}

// The byte string head + tail, read without concatenating it: the affinity hash prepends a type byte
// to a payload that can be large, and copying it just to hash it would cost an allocation per request.
class SplitInput {
 public:
  SplitInput(absl::string_view head, absl::string_view tail) : head_(head), tail_(tail) {}

  size_t size() const { return head_.size() + tail_.size(); }

  // The `count` bytes starting at `pos`: a pointer into the input when they lie within one piece,
  // otherwise gathered into `scratch` (which must hold `count` bytes).
  const char* Read(size_t pos, size_t count, char* scratch) const {
    if (pos + count <= head_.size()) return head_.data() + pos;
    if (pos >= head_.size()) return tail_.data() + (pos - head_.size());
    const size_t from_head = head_.size() - pos;
    std::memcpy(scratch, head_.data() + pos, from_head);
    std::memcpy(scratch + from_head, tail_.data(), count - from_head);
    return scratch;
  }

 private:
  absl::string_view head_;
  absl::string_view tail_;
};

Hash128 Hash(const SplitInput& input, uint32_t seed) {
  const size_t len = input.size();
  const size_t body_len = len - len % kBlock;
  uint64_t h1 = seed;
  uint64_t h2 = seed;
  char scratch[kBlock];

  for (size_t pos = 0; pos < body_len; pos += kBlock) {
    const char* block = input.Read(pos, kBlock, scratch);
    h1 ^= MixK1(LoadLittleEndian64(block));
    h1 = std::rotl(h1, 27) + h2;
    h1 = h1 * 5 + 0x52dce729;
    h2 ^= MixK2(LoadLittleEndian64(block + 8));
    h2 = std::rotl(h2, 31) + h1;
    h2 = h2 * 5 + 0x38495ab5;
  }

  // The reference folds the last len % 16 bytes in as unsigned values, little-endian; zero-padding
  // them to a full block and loading two words gives the same k1 and k2.
  const size_t tail_len = len - body_len;
  if (tail_len > 0) {
    char padded[kBlock] = {};
    std::memcpy(padded, input.Read(body_len, tail_len, scratch), tail_len);
    if (tail_len > 8) h2 ^= MixK2(LoadLittleEndian64(padded + 8));
    h1 ^= MixK1(LoadLittleEndian64(padded));
  }

  h1 ^= len;
  h2 ^= len;
  h1 += h2;
  h2 += h1;
  h1 = FinalMix(h1);
  h2 = FinalMix(h2);
  h1 += h2;
  h2 += h1;
  return {h1, h2};
}

}  // namespace

Hash128 Murmur3X64_128(absl::string_view data, uint32_t seed) {
  return Hash(SplitInput(absl::string_view(), data), seed);
}

int64_t AffinityHash(KeyKind kind, absl::string_view payload) {
  const char prefix = static_cast<char>(kind);
  return static_cast<int64_t>(Hash(SplitInput(absl::string_view(&prefix, 1), payload), 0).h1);
}

}  // namespace altgw::routing
