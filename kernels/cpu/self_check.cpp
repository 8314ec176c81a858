// The vector helpers of simd.h checked lane by lane, in this target's own
// instructions and lane count (tests/test_cpu_backend.cpp calls it for every
// target the CPU runs). Returns the number of lanes that came out wrong.
#include <vector>

#include "kernels/cpu/kernels.h"
#include "kernels/cpu/simd.h"

namespace cudagrad {
namespace cpu {
namespace CUDAGRAD_CPU_TARGET {

int self_check() {
  int wrong = 0;

  // transpose_block: element (r, c) moves to (c, r).
  Vec rows[kLanes];
  for (int r = 0; r < kLanes; ++r)
    for (int c = 0; c < kLanes; ++c) rows[r][c] = static_cast<float>(100 * r + c);
  transpose_block(rows);
  for (int r = 0; r < kLanes; ++r)
    for (int c = 0; c < kLanes; ++c) wrong += rows[r][c] != static_cast<float>(100 * c + r);

  // add_to_even_lanes: even lanes gain the vector, odd lanes keep their
  // value, nothing past 2 kLanes changes.
  std::vector<float> p(2 * kLanes + 1);
  for (size_t i = 0; i < p.size(); ++i) p[i] = static_cast<float>(i);
  Vec v;
  for (int i = 0; i < kLanes; ++i) v[i] = 1000.f * (i + 1);
  add_to_even_lanes(p.data(), v);
  for (int i = 0; i < 2 * kLanes + 1; ++i) {
    const float want = i < 2 * kLanes && i % 2 == 0 ? i + 1000.f * (i / 2 + 1) : i;
    wrong += p[i] != want;
  }

  // load_strided: strides 1, 2 (the shuffle) and 3 (the gather).
  std::vector<float> q(3 * kLanes);
  for (size_t i = 0; i < q.size(); ++i) q[i] = static_cast<float>(i);
  for (int stride = 1; stride <= 3; ++stride) {
    const Vec loaded = load_strided(q.data(), stride);
    for (int i = 0; i < kLanes; ++i) wrong += loaded[i] != static_cast<float>(stride * i);
  }

  // sum_lanes and store_first.
  Vec ones = Vec{} + 1.f;
  wrong += sum_lanes(ones) != static_cast<float>(kLanes);
  std::vector<float> out(kLanes, -1.f);
  store_first(out.data(), ones, kLanes - 1);
  for (int i = 0; i < kLanes; ++i) wrong += out[i] != (i < kLanes - 1 ? 1.f : -1.f);
  return wrong;
}

}  // namespace CUDAGRAD_CPU_TARGET
}  // namespace cpu
}  // namespace cudagrad
