// A tiled SGEMM whose operands are read through small accessor objects, so
// the same kernel multiplies plain matrices (linear layers) and matrices that
// exist only implicitly (convolution as an implicit GEMM: the im2col matrix
// is gathered from the image on the fly and never stored).
//
//   C (M x N) = A (M x K) * B (K x N),  for each of gridDim.z independent
//   problems (the groups of a grouped convolution), numbered g.
//
// An operand is any type with
//   static constexpr bool k_contiguous;        // is A(m, k+1) next to A(m, k)?
//   __device__ float operator()(int g, int row, int col) const;   // A(m, k) or B(k, n)
// and the output any type with
//   __device__ void operator()(int g, int m, int n, float value) const;
// Accessors are called only inside the matrix bounds; the kernel pads the
// tiles with zeros itself.
//
// Launch: blocks of 256 threads, grid (ceil(N / 64), ceil(M / 64), groups).
// Each block computes one 64 x 64 tile of C, walking K in steps of 16:
//   1. the block copies a 64 x 16 tile of A and a 16 x 64 tile of B into
//      shared memory (4 + 4 values per thread), then waits at a barrier;
//   2. each thread multiplies its 4 x 4 outputs from the shared tiles, then
//      waits again so nobody overwrites tiles still being read.
// Why tiled this way:
//   * shared tiles: each value of A loaded from global memory is used by 64
//     columns of C, each value of B by 64 rows, instead of once;
//   * register blocking (4 x 4 per thread): per step of k a thread reads 4 + 4
//     values from shared memory and does 16 multiply-adds, so shared-memory
//     bandwidth stops being the limit;
//   * a thread's outputs are interleaved (rows ty, ty + 16, ...; columns
//     tx, tx + 16, ...), so the 16 threads of a half-warp read 16 consecutive
//     shared floats (no bank conflicts) and store 16 consecutive floats of C;
//   * the tile loads put consecutive threads on consecutive addresses of
//     whichever dimension is contiguous in memory (k_contiguous), so global
//     loads are coalesced for both row-major and transposed operands.
// Not done here, to keep it readable: vectorized float4 loads (operands are
// general accessors), double-buffered tiles that overlap loads with math, and
// splitting a long K over several blocks.
#pragma once
#include "kernels/cuda/common.cuh"

namespace cudagrad {
namespace CUDAGRAD_CUDA_NAMESPACE {

constexpr int kGemmTileM = 64, kGemmTileN = 64, kGemmTileK = 16;
constexpr int kGemmThreadM = 4, kGemmThreadN = 4;  // outputs per thread
constexpr int kGemmThreadsM = kGemmTileM / kGemmThreadM;  // 16 threads down the tile
constexpr int kGemmThreadsN = kGemmTileN / kGemmThreadN;  // 16 threads across
constexpr int kGemmThreads = kGemmThreadsM * kGemmThreadsN;  // 256

template <class LoadA, class LoadB, class Store>
__global__ void __launch_bounds__(kGemmThreads)
    gemm_kernel(int M, int N, int K, LoadA a, LoadB b, Store store) {
  // Tiles in shared memory, both with k first: As[k][m], Bs[k][n].
  __shared__ float As[kGemmTileK][kGemmTileM];
  __shared__ float Bs[kGemmTileK][kGemmTileN];

  const int g = blockIdx.z;
  const int tile_m = blockIdx.y * kGemmTileM, tile_n = blockIdx.x * kGemmTileN;
  const int t = threadIdx.x;
  const int tx = t % kGemmThreadsN, ty = t / kGemmThreadsN;

  float acc[kGemmThreadM][kGemmThreadN] = {};
  for (int k0 = 0; k0 < K; k0 += kGemmTileK) {
    // 1. Load the tiles: element e of a tile goes to thread e % 256.
    for (int e = t; e < kGemmTileM * kGemmTileK; e += kGemmThreads) {
      const int m = LoadA::k_contiguous ? e / kGemmTileK : e % kGemmTileM;
      const int k = LoadA::k_contiguous ? e % kGemmTileK : e / kGemmTileM;
      const bool inside = tile_m + m < M && k0 + k < K;
      As[k][m] = inside ? a(g, tile_m + m, k0 + k) : 0.0f;
    }
    for (int e = t; e < kGemmTileK * kGemmTileN; e += kGemmThreads) {
      const int n = LoadB::k_contiguous ? e / kGemmTileK : e % kGemmTileN;
      const int k = LoadB::k_contiguous ? e % kGemmTileK : e / kGemmTileN;
      const bool inside = k0 + k < K && tile_n + n < N;
      Bs[k][n] = inside ? b(g, k0 + k, tile_n + n) : 0.0f;
    }
    __syncthreads();

    // 2. Multiply: a 4 x 4 outer product per step of k, from registers.
#pragma unroll
    for (int k = 0; k < kGemmTileK; ++k) {
      float a_reg[kGemmThreadM], b_reg[kGemmThreadN];
#pragma unroll
      for (int i = 0; i < kGemmThreadM; ++i) a_reg[i] = As[k][ty + i * kGemmThreadsM];
#pragma unroll
      for (int j = 0; j < kGemmThreadN; ++j) b_reg[j] = Bs[k][tx + j * kGemmThreadsN];
#pragma unroll
      for (int i = 0; i < kGemmThreadM; ++i) {
#pragma unroll
        for (int j = 0; j < kGemmThreadN; ++j) acc[i][j] += a_reg[i] * b_reg[j];
      }
    }
    __syncthreads();
  }

#pragma unroll
  for (int i = 0; i < kGemmThreadM; ++i) {
    const int m = tile_m + ty + i * kGemmThreadsM;
#pragma unroll
    for (int j = 0; j < kGemmThreadN; ++j) {
      const int n = tile_n + tx + j * kGemmThreadsN;
      if (m < M && n < N) store(g, m, n, acc[i][j]);
    }
  }
}

// Launches gemm_kernel for `groups` independent M x N x K products.
template <class LoadA, class LoadB, class Store>
void gemm(int M, int N, int K, int groups, LoadA a, LoadB b, Store store) {
  if (M <= 0 || N <= 0 || groups <= 0) return;
  const dim3 grid((N + kGemmTileN - 1) / kGemmTileN, (M + kGemmTileM - 1) / kGemmTileM, groups);
  auto kernel = gemm_kernel<LoadA, LoadB, Store>;
  CG_LAUNCH(kernel, grid, kGemmThreads, 0, M, N, K, a, b, store);
}

}  // namespace CUDAGRAD_CUDA_NAMESPACE
}  // namespace cudagrad
