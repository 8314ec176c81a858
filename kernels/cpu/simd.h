// The vector type of the CPU kernels: the native vector of the target being
// compiled, from the GCC/Clang vector extension. The backend is compiled once
// per target (kernels.h), so the same source becomes
//   16 floats (one zmm register) for AVX-512,
//    8 floats (one ymm register) for AVX2,
//    4 floats (one xmm or NEON register) for SSE2 and ARM64,
// and kernels written against `Vec` and `kLanes` need no intrinsics.
// Arithmetic with a float broadcasts the float, so `acc += w * x` is one
// FMA per lane where the target has FMA.
//
// Why the native width and not one fixed width everywhere: a 16-float
// vector on an 8-float target is split by the compiler, and GCC splits it
// through memory (every operation a store and a reload); LeNet's direct
// convolution ran eight times slower that way on AVX2.
#pragma once
#include <cstdint>
#include <cstring>
#include <utility>

namespace cudagrad {
namespace cpu {

#if defined(__AVX512F__)
constexpr int kLanes = 16;
constexpr int kVectorRegisters = 32;
#elif defined(__AVX2__)
constexpr int kLanes = 8;
constexpr int kVectorRegisters = 16;
#elif defined(__aarch64__)
constexpr int kLanes = 4;
constexpr int kVectorRegisters = 32;
#else  // SSE2, or any other architecture (the compiler lowers what it lacks)
constexpr int kLanes = 4;
constexpr int kVectorRegisters = 16;
#endif

typedef float Vec __attribute__((vector_size(kLanes * sizeof(float))));
typedef int32_t VecInt __attribute__((vector_size(kLanes * sizeof(int32_t))));  // lanes, masks

// Unaligned load and store; memcpy is how C++ spells it without undefined
// behaviour, and compilers turn it into one vector move.
inline Vec load_vec(const float* p) {
  Vec v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
inline void store_vec(float* p, Vec v) { std::memcpy(p, &v, sizeof(v)); }
// The first `count` lanes; a whole vector is one move, not a byte loop.
inline void store_first(float* p, Vec v, int count) {
  if (count == kLanes) {
    store_vec(p, v);
  } else {
    for (int i = 0; i < count; ++i) p[i] = v[i];
  }
}

// Two-source shuffle with lane numbers fixed at compile time: lane i of the
// result is lane Map::lane(i) of (a, b), b's lanes counted from kLanes.
// Constant lane numbers let the compiler pick the target's best permute.
template <class Map, int... I>
inline Vec shuffle_by(Vec a, Vec b, std::integer_sequence<int, I...>) {
  return __builtin_shufflevector(a, b, Map::lane(I)...);
}
template <class Map>
inline Vec shuffle(Vec a, Vec b) {
  return shuffle_by<Map>(a, b, std::make_integer_sequence<int, kLanes>{});
}

// The lane maps used below.
struct EvenLanes {  // a[0], a[2], ..., then b's: the even lanes of (a, b)
  static constexpr int lane(int i) { return 2 * i; }
};
struct InterleaveLow {  // a[0], b[0], a[1], b[1], ...: the low halves interleaved
  static constexpr int lane(int i) { return i % 2 ? kLanes + i / 2 : i / 2; }
};
struct InterleaveHigh {  // the same for the high halves
  static constexpr int lane(int i) { return InterleaveLow::lane(i) + kLanes / 2; }
};
struct LowToEven {  // a's low half to the even lanes, b[0] (a zero) between
  static constexpr int lane(int i) { return i % 2 ? kLanes : i / 2; }
};
struct HighToEven {  // a's high half to the even lanes
  static constexpr int lane(int i) { return i % 2 ? kLanes : kLanes / 2 + i / 2; }
};

// Elements p[0], p[s], ..., p[(kLanes - 1) s]. Stride 2 (a strided
// convolution or pool) reads 2 kLanes floats and keeps the even ones with
// one shuffle; other strides gather.
inline Vec load_strided(const float* p, int stride) {
  if (stride == 1) return load_vec(p);
  if (stride == 2) return shuffle<EvenLanes>(load_vec(p), load_vec(p + kLanes));
  Vec v;
  for (int i = 0; i < kLanes; ++i) v[i] = p[i * stride];
  return v;
}

// Transposes a kLanes x kLanes block held as kLanes row vectors, in
// registers. One round interleaves row i with row i + kLanes/2 into rows 2i
// (low halves) and 2i + 1 (high halves): with kLanes = 2^b, element (r, c),
// written as the 2b bits of r then c, moves to the position whose bits are
// rotated left by one. b rounds rotate by b, which swaps r and c:
// b kLanes shuffles instead of kLanes^2 scalar moves.
inline void transpose_block(Vec (&rows)[kLanes]) {
  for (int width = 1; width < kLanes; width *= 2) {  // log2(kLanes) rounds
    Vec next[kLanes];
    for (int i = 0; i < kLanes / 2; ++i) {
      next[2 * i] = shuffle<InterleaveLow>(rows[i], rows[i + kLanes / 2]);
      next[2 * i + 1] = shuffle<InterleaveHigh>(rows[i], rows[i + kLanes / 2]);
    }
    for (int i = 0; i < kLanes; ++i) rows[i] = next[i];
  }
}

// p[2i] += v[i] for i < kLanes: the scatter of a stride-2 load, as two
// read-modify-write vector steps over p[0 .. 2 kLanes) (odd lanes get zeros).
inline void add_to_even_lanes(float* p, Vec v) {
  const Vec zero = {};
  store_vec(p, load_vec(p) + shuffle<LowToEven>(v, zero));
  store_vec(p + kLanes, load_vec(p + kLanes) + shuffle<HighToEven>(v, zero));
}

inline float sum_lanes(Vec v) {
  float s = 0.f;
  for (int i = 0; i < kLanes; ++i) s += v[i];
  return s;
}

}  // namespace cpu
}  // namespace cudagrad
