// A seeded random generator built on Philox, so the same seed gives the same
// numbers on every platform and standard library (std::normal_distribution
// is implementation-defined, this is not).
#pragma once
#include <cstdint>

namespace cudagrad {

class Generator {
 public:
  explicit Generator(uint64_t seed = 0) : seed_(seed) {}
  float uniform();                      // [0, 1)
  float uniform(float low, float high);  // [low, high)
  float normal();                       // mean 0, stddev 1 (Box-Muller)
  uint64_t next_u64();
  uint64_t seed() const { return seed_; }
  uint64_t counter() const { return counter_; }
  // The whole state, so a checkpoint can restore the stream exactly.
  void set_state(uint64_t seed, uint64_t counter) { seed_ = seed; counter_ = counter; }

 private:
  uint64_t seed_;
  uint64_t counter_ = 0;
};

}  // namespace cudagrad
