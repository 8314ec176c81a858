// A 16-float vector type from the GCC/Clang vector extension. The compiler
// maps it to one AVX-512 register, two AVX2 registers, or four SSE ones, so
// kernels written with it stay portable and need no intrinsics. Arithmetic
// with a float broadcasts the float, so `acc += w * x` is one FMA per lane.
#pragma once
#include <cstring>

namespace cudagrad {
namespace cpu {

constexpr int kLanes = 16;
typedef float Vec16 __attribute__((vector_size(kLanes * sizeof(float))));

// Unaligned load and store; memcpy is how C++ spells it without undefined
// behaviour, and compilers turn it into one vector move.
inline Vec16 load16(const float* p) {
  Vec16 v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
inline void store16(float* p, Vec16 v) { std::memcpy(p, &v, sizeof(v)); }
inline void store_first(float* p, Vec16 v, int count) { std::memcpy(p, &v, count * sizeof(float)); }

inline float sum16(Vec16 v) {
  float s = 0.f;
  for (int i = 0; i < kLanes; ++i) s += v[i];
  return s;
}

}  // namespace cpu
}  // namespace cudagrad
