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
// The first `count` lanes; a whole vector is one move, not a byte loop.
inline void store_first(float* p, Vec16 v, int count) {
  if (count == kLanes) {
    store16(p, v);
  } else {
    for (int i = 0; i < count; ++i) p[i] = v[i];
  }
}

// Elements p[0], p[s], ..., p[15 s]. Stride 2 (a strided convolution) reads
// 32 floats and keeps the even ones with one shuffle; other strides gather.
inline Vec16 load16_strided(const float* p, int stride) {
  if (stride == 1) return load16(p);
  if (stride == 2) {
    const Vec16 a = load16(p), b = load16(p + kLanes);
#if defined(__clang__)
    return __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
#else
    typedef int Index16 __attribute__((vector_size(kLanes * sizeof(int))));
    return __builtin_shuffle(a, b,
                             Index16{0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30});
#endif
  }
  Vec16 v;
  for (int i = 0; i < kLanes; ++i) v[i] = p[i * stride];
  return v;
}

inline float sum16(Vec16 v) {
  float s = 0.f;
  for (int i = 0; i < kLanes; ++i) s += v[i];
  return s;
}

}  // namespace cpu
}  // namespace cudagrad
