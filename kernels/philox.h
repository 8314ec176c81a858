// Philox-4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3",
// SC'11): a counter-based generator. The random number for element i is a
// pure function of (seed, counter i), so a CPU loop and a GPU kernel that
// visits elements in any order draw identical numbers.
#pragma once
#include <cstdint>

#if defined(__CUDACC__)
#define CG_HOST_DEVICE __host__ __device__
#else
#define CG_HOST_DEVICE
#endif

namespace cudagrad {

struct Philox4 {
  uint32_t v[4];
};

CG_HOST_DEVICE inline Philox4 philox4x32_10(uint64_t seed, uint64_t counter) {
  const uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;    // round multipliers
  const uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;  // key schedule increments
  uint32_t c0 = static_cast<uint32_t>(counter), c1 = static_cast<uint32_t>(counter >> 32);
  uint32_t c2 = 0, c3 = 0;
  uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  for (int round = 0; round < 10; ++round) {
    uint64_t p0 = static_cast<uint64_t>(kMul0) * c0;
    uint64_t p1 = static_cast<uint64_t>(kMul1) * c2;
    uint32_t hi0 = static_cast<uint32_t>(p0 >> 32), lo0 = static_cast<uint32_t>(p0);
    uint32_t hi1 = static_cast<uint32_t>(p1 >> 32), lo1 = static_cast<uint32_t>(p1);
    uint32_t n0 = hi1 ^ c1 ^ k0, n1 = lo1, n2 = hi0 ^ c3 ^ k1, n3 = lo0;
    c0 = n0; c1 = n1; c2 = n2; c3 = n3;
    k0 += kWeyl0;
    k1 += kWeyl1;
  }
  return Philox4{{c0, c1, c2, c3}};
}

// A float in [0, 1) with 24 random bits, from the first word of the block.
CG_HOST_DEVICE inline float philox_uniform(uint64_t seed, uint64_t counter) {
  return static_cast<float>(philox4x32_10(seed, counter).v[0] >> 8) * (1.0f / 16777216.0f);
}

}  // namespace cudagrad
