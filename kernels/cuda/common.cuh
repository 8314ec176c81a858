// Device helpers shared by the kernel files: grid-stride indexing, and sums
// and maxima over a warp or a block with shuffles.
#pragma once
#include <cstdint>

#include "kernels/cuda/cuda_compat.h"

namespace cudagrad {
namespace CUDAGRAD_CUDA_NAMESPACE {

constexpr int kWarp = 32;
constexpr unsigned kFullMask = 0xffffffffu;

// Blocks for a one-thread-per-element launch of n elements: enough to cover
// n, capped (at 4096, 31 per SM of an H100: plenty to fill it) so a huge n is
// covered by grid-stride loops instead.
inline unsigned blocks_for(int64_t n, int threads_per_block) {
  const int64_t blocks = (n + threads_per_block - 1) / threads_per_block;
  const int64_t cap = grid_stride_block_cap();
  return static_cast<unsigned>(blocks < cap ? blocks : cap);
}

// Threads for a block that reduces n values: whole warps (block_sum needs
// them), enough for one value per thread, at most max_threads. A small
// reduction then leaves no warp idle.
inline int reduction_threads(int64_t n, int max_threads = 256) {
  int64_t warps = (n + kWarp - 1) / kWarp;
  if (warps < 1) warps = 1;
  if (warps > max_threads / kWarp) warps = max_threads / kWarp;
  return static_cast<int>(warps) * kWarp;
}

// The grid-stride loop: for (i = first_index(); i < n; i += grid_stride()).
__device__ __forceinline__ int64_t first_index() {
  return static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
}
__device__ __forceinline__ int64_t grid_stride() {
  return static_cast<int64_t>(gridDim.x) * blockDim.x;
}

// Whether p may be read as float4 (16-byte aligned).
__host__ __device__ __forceinline__ bool is_aligned16(const float* p) {
  return reinterpret_cast<uintptr_t>(p) % 16 == 0;
}

// Butterfly reductions: after log2(32) = 5 exchanges every lane holds the
// result for the whole warp. All 32 lanes must take part.
__device__ __forceinline__ float warp_sum(float v) {
  for (int offset = kWarp / 2; offset > 0; offset /= 2) v += __shfl_xor_sync(kFullMask, v, offset);
  return v;
}
__device__ __forceinline__ float warp_max(float v) {
  for (int offset = kWarp / 2; offset > 0; offset /= 2)
    v = fmaxf(v, __shfl_xor_sync(kFullMask, v, offset));
  return v;
}

// The sum of v over a one-dimensional block whose size is a multiple of 32;
// every thread gets it. Each warp reduces with shuffles, warp leaders meet in
// `scratch` (32 floats of shared memory), then every warp reduces those.
// The first barrier lets a previous call finish reading scratch.
__device__ __forceinline__ float block_sum(float v, float* scratch) {
  const int lane = threadIdx.x % kWarp, warp = threadIdx.x / kWarp;
  const int warps = blockDim.x / kWarp;
  v = warp_sum(v);
  __syncthreads();
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  return warp_sum(lane < warps ? scratch[lane] : 0.0f);
}

}  // namespace CUDAGRAD_CUDA_NAMESPACE
}  // namespace cudagrad
