// A small seeded generator whose output is the same on every platform and
// standard library (std::uniform_int_distribution and friends are not: their
// algorithms are left to the implementation). Splits, shuffles and
// augmentation all draw from it, so a seed names one result everywhere.
//
// splitmix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number
// generators", 2014): the state advances by a fixed odd constant and each
// output is the state passed through a 64-bit mixing function.
#pragma once
#include <cstdint>
#include <utility>
#include <vector>

namespace cudagrad {
namespace data {

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}

  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }

  // Uniform in [0, n) for n > 0. Rejects the top sliver of the 64-bit range
  // that would make small values more likely than large ones.
  uint64_t below(uint64_t n) {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do x = next();
    while (x >= limit);
    return x % n;
  }

  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }

 private:
  uint64_t state_;
};

// One seed from several numbers (seed, epoch, index): each is folded in
// through the mixing function, so nearby inputs give unrelated streams.
inline uint64_t mix_seed(uint64_t a, uint64_t b) {
  return SplitMix64(a ^ SplitMix64(b).next()).next();
}
inline uint64_t mix_seed(uint64_t a, uint64_t b, uint64_t c) { return mix_seed(mix_seed(a, b), c); }

// Fisher-Yates shuffle.
template <class T>
void shuffle(std::vector<T>& items, SplitMix64& rng) {
  for (size_t i = items.size(); i > 1; --i) std::swap(items[i - 1], items[rng.below(i)]);
}

}  // namespace data
}  // namespace cudagrad
