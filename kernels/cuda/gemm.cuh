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
//   static constexpr bool has_load4;           // does it offer the float4 load below?
//   static constexpr bool has_parts;           // is it gathered through parts (below)?
//   __device__ float operator()(int g, int row, int col) const;   // A(m, k) or B(k, n)
// and the output any type with
//   __device__ void operator()(int g, int m, int n, float value) const;
// Accessors are called only inside the matrix bounds; the kernel pads the
// tiles with zeros itself.
//
// An operand stored as plain rows offers vectorized loads (has_load4 = true):
//   __device__ bool aligned4() const;    // base 16-byte aligned, rows a multiple of 4 long
//   __device__ float4 load4(int g, int row, int col) const;
// load4 returns 4 consecutive values along the contiguous index (k when
// k_contiguous, else m for A or n for B), starting at a multiple of 4; the
// kernel asks only for groups that lie wholly inside the matrix.
//
// A gathered operand (the implicit GEMM's image patches) offers its index
// arithmetic in two parts instead of operator() (has_parts = true), so
// that the divisions that take a flat index apart are not repeated for
// every element:
//   struct XPart; __device__ XPart x_part(int g, int x) const;  // x: m of A, n of B
//   struct KPart; __device__ KPart k_part(int g, int k) const;
//   __device__ KPart next_k(KPart) const;                       // the part of k + 1
//   __device__ float at(const XPart&, const KPart&) const;      // the element
// A thread's x indices stay the same through the whole K loop, so the
// kernel takes their parts once; per tile it takes one k part per thread
// and reaches the next ones with next_k, which only adds and wraps (for a
// convolution's (ci, kh, kw): kw + 1, carrying into kh and ci).
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
//   * shared tiles have rows of 65 floats (kGemmTileRow, below), so that the
//     loads that transpose (along k) do not all hit one bank;
//   * the tile loads put consecutive threads on consecutive addresses of
//     whichever dimension is contiguous in memory (k_contiguous), so global
//     loads are coalesced for both row-major and transposed operands.
//   * where an operand offers load4 and is aligned, each thread fetches its
//     share of a tile as one 16-byte float4 instead of 4 separate floats:
//     a quarter of the load instructions for the same bytes.
//
// Split-K. A weight gradient is a GEMM with a small output and a huge K (the
// batch's pixels): ResNet-18's first convolution has dW (64 x 147) =
// dY (64 x 401408) * X_col^T, 3 output tiles, so 3 blocks would do all the
// work on a GPU of 132 multiprocessors. When the tiles are fewer than
// kGemmTargetBlocks and K is long, the launch splits K into S slices of
// k_per_split (a multiple of the tile's 16):
//   1. gemm_kernel, grid (tiles_n, tiles_m, groups * S): block z = g*S + s
//      multiplies its tile over slice s only and writes the partial tile to
//      partial[s][g][m][n] (a scratch buffer);
//   2. gemm_split_sum_kernel, one thread per output element (grid-stride):
//      sums the S partials in a fixed order and stores the result.
// No atomics, so the result does not depend on the order blocks run in. The
// partials cost S * M * N * 8 bytes of traffic against 2 * M * N * K FLOPs:
// at least 256 of K per slice keeps that small (64 FLOPs per byte).
//
// Not done here, to keep it readable: double-buffered tiles that overlap
// loads with math.
#pragma once
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/scratch.cuh"

namespace cudagrad {
namespace CUDAGRAD_CUDA_NAMESPACE {

constexpr int kGemmTileM = 64, kGemmTileN = 64, kGemmTileK = 16;
constexpr int kGemmThreadM = 4, kGemmThreadN = 4;  // outputs per thread
constexpr int kGemmThreadsM = kGemmTileM / kGemmThreadM;  // 16 threads down the tile
constexpr int kGemmThreadsN = kGemmTileN / kGemmThreadN;  // 16 threads across
constexpr int kGemmThreads = kGemmThreadsM * kGemmThreadsN;  // 256
static_assert(kGemmTileM == kGemmTileN, "load_tile copies both operands' tiles the same way");
// A shared tile's row: 64 values and one of padding. A load along k (an
// operand contiguous in k) has the 16 threads of a half-warp write one
// column of the tile, 16 rows apart: with rows of 64 floats (a multiple of
// the 32 banks) all 16 stores hit one bank and run one after the other;
// with rows of 65 they fall in 16 different banks.
constexpr int kGemmTileRow = kGemmTileM + 1;
static_assert(kGemmTileK * kGemmTileM == 4 * kGemmThreads, "one float4 per thread per tile");

// Element (x, k) of an operand's tile: x is m for A, read a(g, m, k); n for B, read b(g, k, n).
template <bool is_a, class Load>
__device__ __forceinline__ float operand_at(const Load& op, int g, int x, int k) {
  if constexpr (is_a) {
    return op(g, x, k);
  } else {
    return op(g, k, x);
  }
}
template <bool is_a, class Load>
__device__ __forceinline__ float4 operand_at4(const Load& op, int g, int x, int k) {
  if constexpr (is_a) {
    return op.load4(g, x, k);
  } else {
    return op.load4(g, k, x);
  }
}

// load_tile for an operand read element by element (operator()), or as
// float4 groups where it offers them.
template <bool is_a, class Load>
__device__ __forceinline__ void load_tile_elements(const Load& op, int g, int x0, int X, int k0,
                                                   int K, float (&tile)[kGemmTileK][kGemmTileRow],
                                                   int t) {
  constexpr bool along_k = Load::k_contiguous;
  if constexpr (Load::has_load4) {
    if (op.aligned4()) {
      // Thread t owns the 4 values starting at (x, k) along the contiguous index.
      const int x = along_k ? t / (kGemmTileK / 4) : t % (kGemmTileM / 4) * 4;
      const int k = along_k ? t % (kGemmTileK / 4) * 4 : t / (kGemmTileM / 4);
      const int dx = along_k ? 0 : 1, dk = along_k ? 1 : 0;
      const bool whole = x0 + x + 3 * dx < X && k0 + k + 3 * dk < K;
      if (whole) {
        const float4 v = operand_at4<is_a>(op, g, x0 + x, k0 + k);
        tile[k][x] = v.x;
        tile[k + dk][x + dx] = v.y;
        tile[k + 2 * dk][x + 2 * dx] = v.z;
        tile[k + 3 * dk][x + 3 * dx] = v.w;
      } else {  // the matrix's edge cuts this group: one value at a time
        for (int i = 0; i < 4; ++i) {
          const int xi = x + i * dx, ki = k + i * dk;
          const bool inside = x0 + xi < X && k0 + ki < K;
          tile[ki][xi] = inside ? operand_at<is_a>(op, g, x0 + xi, k0 + ki) : 0.0f;
        }
      }
      return;
    }
  }
  // Element e of the tile goes to thread e % 256.
  for (int e = t; e < kGemmTileM * kGemmTileK; e += kGemmThreads) {
    const int x = along_k ? e / kGemmTileK : e % kGemmTileM;
    const int k = along_k ? e % kGemmTileK : e / kGemmTileM;
    const bool inside = x0 + x < X && k0 + k < K;
    tile[k][x] = inside ? operand_at<is_a>(op, g, x0 + x, k0 + k) : 0.0f;
  }
}

// The parts of the x indices that thread t loads in every tile (see
// load_tile): one, t % 64, when the operand is not contiguous along k; else
// four, t / 16 + 16 i. An operand without parts gets an empty placeholder.
template <class Load, bool = Load::has_parts>
struct XParts {
  struct Part {};
  Part part[1];
};
template <class Load>
struct XParts<Load, true> {
  static constexpr int count = Load::k_contiguous ? kGemmTileM * kGemmTileK / kGemmThreads : 1;
  typename Load::XPart part[count];
};
template <class Load>
__device__ __forceinline__ XParts<Load> prepare_x_parts(const Load& op, int g, int x0, int X,
                                                        int t) {
  XParts<Load> parts{};
  if constexpr (Load::has_parts) {
    for (int i = 0; i < XParts<Load>::count; ++i) {
      const int x = Load::k_contiguous ? t / kGemmTileK + i * (kGemmThreads / kGemmTileK)
                                       : t % kGemmTileM;
      if (x0 + x < X) parts.part[i] = op.x_part(g, x0 + x);
    }
  }
  return parts;
}

// Copies the operand's tile of rows x0.. (of X) and k0.. (of K) into
// tile[k][x], zero outside the matrix. Consecutive threads take consecutive
// addresses along the operand's contiguous index, so the loads coalesce.
template <bool is_a, class Load>
__device__ __forceinline__ void load_tile(const Load& op, const XParts<Load>& xs, int g, int x0,
                                          int X, int k0, int K,
                                          float (&tile)[kGemmTileK][kGemmTileRow], int t) {
  static_assert(!(Load::has_parts && Load::has_load4), "a gathered operand has no float4 rows");
  constexpr bool along_k = Load::k_contiguous;
  if constexpr (Load::has_parts) {
    if constexpr (along_k) {
      // Thread t: one k (t % 16), so one k part per tile, and four x's (parts from xs).
      const int k = t % kGemmTileK;
      const bool k_inside = k0 + k < K;
      typename Load::KPart kp{};
      if (k_inside) kp = op.k_part(g, k0 + k);
      for (int i = 0; i < XParts<Load>::count; ++i) {
        const int x = t / kGemmTileK + i * (kGemmThreads / kGemmTileK);
        tile[k][x] = k_inside && x0 + x < X ? op.at(xs.part[i], kp) : 0.0f;
      }
    } else {
      // Thread t: one x (t % 64) and four consecutive k's, the first taken
      // apart once, the others reached with next_k.
      const int x = t % kGemmTileM, k = t / kGemmTileM * 4;
      const bool x_inside = x0 + x < X;
      typename Load::KPart kp{};
      if (k0 + k < K) kp = op.k_part(g, k0 + k);
      for (int i = 0; i < 4; ++i) {
        tile[k + i][x] = x_inside && k0 + k + i < K ? op.at(xs.part[0], kp) : 0.0f;
        kp = op.next_k(kp);
      }
    }
  } else {
    load_tile_elements<is_a>(op, g, x0, X, k0, K, tile, t);
  }
}

// Enough blocks for two per SM of an H100 (132 SMs); a slice of K at least this long.
constexpr int kGemmTargetBlocks = 264;
constexpr int kGemmMinSplitK = 256;

// Block z covers group z / splits and the slice [k_begin, k_end) of K with
// k_begin = (z % splits) * k_per_split; splits == 1 is the whole of K.
template <class LoadA, class LoadB, class Store>
__global__ void __launch_bounds__(kGemmThreads)
    gemm_kernel(int M, int N, int K, int splits, int k_per_split, LoadA a, LoadB b,
                Store store) {
  // Tiles in shared memory, both with k first: As[k][m], Bs[k][n].
  __shared__ float As[kGemmTileK][kGemmTileRow];
  __shared__ float Bs[kGemmTileK][kGemmTileRow];

  const int g = blockIdx.z / splits;
  const int k_begin = blockIdx.z % splits * k_per_split;
  const int k_end = min(K, k_begin + k_per_split);
  const int tile_m = blockIdx.y * kGemmTileM, tile_n = blockIdx.x * kGemmTileN;
  const int t = threadIdx.x;
  const int tx = t % kGemmThreadsN, ty = t / kGemmThreadsN;

  // The parts of this thread's rows of A and columns of B, taken apart once.
  const XParts<LoadA> a_rows = prepare_x_parts(a, g, tile_m, M, t);
  const XParts<LoadB> b_columns = prepare_x_parts(b, g, tile_n, N, t);

  float acc[kGemmThreadM][kGemmThreadN] = {};
  for (int k0 = k_begin; k0 < k_end; k0 += kGemmTileK) {
    // 1. Load the tiles (zero past the slice's end).
    load_tile<true>(a, a_rows, g, tile_m, M, k0, k_end, As, t);
    load_tile<false>(b, b_columns, g, tile_n, N, k0, k_end, Bs, t);
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

// The store of a split-K slice: partial[s][g][m][n], s = blockIdx.z % splits.
struct PartialStore {
  float* partial;  // (splits, groups, M, N)
  int M, N, groups, splits;
  __device__ void operator()(int g, int m, int n, float value) const {
    const int s = blockIdx.z % splits;
    partial[((static_cast<int64_t>(s) * groups + g) * M + m) * N + n] = value;
  }
};

//   C[g, m, n] = sum over s of partial[s][g][m][n], then stored
// partial (splits, groups, M, N)
template <class Store>
__global__ void gemm_split_sum_kernel(int M, int N, int groups, int splits, const float* partial,
                                      Store store) {
  const int64_t total = static_cast<int64_t>(groups) * M * N;
  for (int64_t i = first_index(); i < total; i += grid_stride()) {
    float sum = 0.0f;
    for (int s = 0; s < splits; ++s) sum += partial[s * total + i];
    const int n = static_cast<int>(i % N);
    const int64_t gm = i / N;
    store(static_cast<int>(gm / M), static_cast<int>(gm % M), n, sum);
  }
}

// How many slices to cut K into: enough for kGemmTargetBlocks blocks, but
// none shorter than kGemmMinSplitK. 1 when the tiles alone fill the GPU.
inline int gemm_splits(int64_t tiles, int K) {
  if (tiles >= kGemmTargetBlocks) return 1;
  const int64_t wanted = (kGemmTargetBlocks + tiles - 1) / tiles;
  const int64_t most = K / kGemmMinSplitK;
  return static_cast<int>(wanted < most ? wanted : (most > 1 ? most : 1));
}

// Launches gemm_kernel for `groups` independent M x N x K products; split
// over K (with the sum launch after it) when the output has too few tiles.
template <class LoadA, class LoadB, class Store>
void gemm(int M, int N, int K, int groups, LoadA a, LoadB b, Store store) {
  if (M <= 0 || N <= 0 || groups <= 0) return;
  const int tiles_n = (N + kGemmTileN - 1) / kGemmTileN;
  const int tiles_m = (M + kGemmTileM - 1) / kGemmTileM;
  const double flops = 2.0 * M * N * K * groups;
  const int splits = gemm_splits(int64_t{tiles_n} * tiles_m * groups, K);
  if (splits == 1) {
    auto gemm_tiled = gemm_kernel<LoadA, LoadB, Store>;
    note_next_launch_flops(flops);
    CG_LAUNCH(gemm_tiled, dim3(tiles_n, tiles_m, groups), kGemmThreads, 0, M, N, K, 1, K, a, b,
              store);
    return;
  }
  // Slices of a whole number of k-tiles, so float4 loads stay aligned.
  int k_per_split = (K + splits - 1) / splits;
  k_per_split = (k_per_split + kGemmTileK - 1) / kGemmTileK * kGemmTileK;
  const int used_splits = (K + k_per_split - 1) / k_per_split;  // none left empty
  Scratch partial(static_cast<size_t>(used_splits) * groups * M * N);
  auto gemm_split_k = gemm_kernel<LoadA, LoadB, PartialStore>;
  note_next_launch_flops(flops);
  CG_LAUNCH(gemm_split_k, dim3(tiles_n, tiles_m, groups * used_splits), kGemmThreads, 0, M, N, K,
            used_splits, k_per_split, a, b,
            PartialStore{partial.data(), M, N, groups, used_splits});
  const int64_t outputs = static_cast<int64_t>(groups) * M * N;
  auto gemm_split_sum = gemm_split_sum_kernel<Store>;
  CG_LAUNCH(gemm_split_sum, blocks_for(outputs, kGemmThreads), kGemmThreads, 0, M, N, groups,
            used_splits, partial.data(), store);
}

}  // namespace CUDAGRAD_CUDA_NAMESPACE
}  // namespace cudagrad
