#include "engine/generator.h"

#include <cmath>

#include "kernels/philox.h"

namespace cudagrad {

uint64_t Generator::next_u64() {
  Philox4 r = philox4x32_10(seed_, counter_++);
  return (static_cast<uint64_t>(r.v[0]) << 32) | r.v[1];
}

float Generator::uniform() {
  return static_cast<float>(next_u64() >> 40) * (1.0f / 16777216.0f);  // 24 bits
}

float Generator::uniform(float low, float high) { return low + (high - low) * uniform(); }

float Generator::normal() {
  // Box-Muller on two uniforms; u1 in (0, 1] keeps the log finite. The second
  // normal of the pair is discarded so that every number costs exactly two
  // counters, which keeps the stream simple to reason about and to restore.
  double u1 = (static_cast<double>(next_u64() >> 11) + 1.0) / 9007199254740992.0;
  double u2 = static_cast<double>(next_u64() >> 11) / 9007199254740992.0;
  return static_cast<float>(std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2));
}

}  // namespace cudagrad
