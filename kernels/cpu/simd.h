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
typedef int Index16 __attribute__((vector_size(kLanes * sizeof(int))));  // lane numbers

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

// Two-source shuffle: lane i of the result is lane index[i] of (a, b), b's
// lanes counted from 16.
inline Vec16 shuffle16(Vec16 a, Vec16 b, Index16 index) {
#if defined(__clang__)
  // clang's builtin wants constant lane numbers; a lane loop keeps it portable.
  Vec16 r;
  for (int i = 0; i < kLanes; ++i) r[i] = index[i] < kLanes ? a[index[i]] : b[index[i] - kLanes];
  return r;
#else
  return __builtin_shuffle(a, b, index);
#endif
}

// Elements p[0], p[s], ..., p[15 s]. Stride 2 (a strided convolution) reads
// 32 floats and keeps the even ones with one shuffle; other strides gather.
inline Vec16 load16_strided(const float* p, int stride) {
  if (stride == 1) return load16(p);
  if (stride == 2)
    return shuffle16(load16(p), load16(p + kLanes),
                     Index16{0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30});
  Vec16 v;
  for (int i = 0; i < kLanes; ++i) v[i] = p[i * stride];
  return v;
}

// Transposes a 16x16 block held as 16 row vectors, in registers. One round
// interleaves row i with row i + 8 into rows 2i (low halves) and 2i + 1 (high
// halves): element (r, c), written as the 8 bits r3 r2 r1 r0 c3 c2 c1 c0,
// moves to r2 r1 r0 c3 c2 c1 c0 r3, a rotation of its bits by one. Four
// rounds rotate by four, which swaps r and c: 64 shuffles instead of 256
// scalar moves.
inline void transpose16x16(Vec16 (&rows)[kLanes]) {
  const Index16 low = {0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23};
  const Index16 high = low + 8;
  for (int round = 0; round < 4; ++round) {
    Vec16 next[kLanes];
    for (int i = 0; i < kLanes / 2; ++i) {
      next[2 * i] = shuffle16(rows[i], rows[i + kLanes / 2], low);
      next[2 * i + 1] = shuffle16(rows[i], rows[i + kLanes / 2], high);
    }
    for (int i = 0; i < kLanes; ++i) rows[i] = next[i];
  }
}

// p[2i] += v[i] for i < 16: the scatter of a stride-2 load, as two
// read-modify-write vector steps over p[0..31] (odd lanes get zeros).
inline void add16_to_even_lanes(float* p, Vec16 v) {
  const Vec16 zero = {};
  const Index16 low = {0, 16, 1, 16, 2, 16, 3, 16, 4, 16, 5, 16, 6, 16, 7, 16};
  const Index16 high = low + Index16{8, 0, 8, 0, 8, 0, 8, 0, 8, 0, 8, 0, 8, 0, 8, 0};
  store16(p, load16(p) + shuffle16(v, zero, low));
  store16(p + kLanes, load16(p + kLanes) + shuffle16(v, zero, high));
}

inline float sum16(Vec16 v) {
  float s = 0.f;
  for (int i = 0; i < kLanes; ++i) s += v[i];
  return s;
}

}  // namespace cpu
}  // namespace cudagrad
