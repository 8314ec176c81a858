// Winograd convolution F(m x m, 3 x 3) for 3x3 stride-1 convolutions
// (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks",
// CVPR 2016, arXiv:1509.09308; the transform matrices below are theirs).
//
// An m x m tile of output needs an a x a tile of input (a = m + 2). For one
// filter g (3x3) and one input tile d (a x a), Winograd's minimal filtering
// computes the output tile with a*a multiplications instead of m*m*9:
//   Y = A^T [ (G g G^T) .* (B^T d B) ] A
// Summed over input channels, the elementwise product .* becomes, for each
// of the a*a positions xi of a transformed tile, one matrix product:
//   M_xi (C_out, tiles) = U_xi (C_out, C_in) * V_xi (C_in, tiles)
// with U = G g G^T (the filters, transformed once per call) and V = B^T d B
// (the input tiles). Then Y = A^T M A per tile and output channel.
// F(4x4, 3x3) does 36 products per 16 outputs where im2col + GEMM does
// 16 * 9 = 144: a quarter of the multiply-adds, paid for with the
// transforms and with larger rounding errors (the constants reach 8 and
// 1/24; see tests/test_cpu_backend.cpp for the measured error).
//
// The gradient with respect to the input of a stride-1 convolution is itself
// a stride-1 convolution: of dy, padded by 2 - p, with each filter rotated by
// 180 degrees and the roles of C_in and C_out swapped. So one kernel serves
// both the forward pass and backward_input.
//
// Layout: the input is first moved channels-last (N, H, W, C), so that the
// kLanes channels of a pixel are one vector and every transform works on kLanes
// channels at once. Tiles are counted over the whole batch and cut into
// blocks; one thread transforms a block of tiles, does the a*a products and
// transforms back, so V and M are written and read while still in cache.
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "kernels/cpu/conv2d_winograd.h"
#include "kernels/cpu/kernels.h"
#include "kernels/cpu/parallel.h"
#include "kernels/cpu/simd.h"

namespace cudagrad {
namespace cpu {
namespace CUDAGRAD_CPU_TARGET {

namespace {

// F(4x4, 3x3) with interpolation points 0, 1, -1, 2, -2 and infinity.
constexpr int m = 4;      // output tile
constexpr int a = m + 2;  // input tile
constexpr int kXi = a * a;
constexpr float BT[a][a] = {{4, 0, -5, 0, 1, 0},  {0, -4, -4, 1, 1, 0}, {0, 4, -4, -1, 1, 0},
                            {0, -2, -1, 2, 1, 0}, {0, 2, -1, -2, 1, 0}, {0, 4, 0, -5, 0, 1}};
constexpr float G[a][3] = {{1.f / 4, 0, 0},
                           {-1.f / 6, -1.f / 6, -1.f / 6},
                           {-1.f / 6, 1.f / 6, -1.f / 6},
                           {1.f / 24, 1.f / 12, 1.f / 6},
                           {1.f / 24, -1.f / 12, 1.f / 6},
                           {0, 0, 1}};
constexpr float AT[m][a] = {
    {1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 0}, {0, 1, 1, 4, 4, 0}, {0, 1, -1, 8, -8, 1}};
// The transposes, for the weight gradient.
constexpr float A[a][m] = {{1, 0, 0, 0}, {1, 1, 1, 1}, {1, -1, 1, -1},
                           {1, 2, 4, 8}, {1, -2, 4, -8}, {0, 0, 0, 1}};
constexpr float GT[3][a] = {{1.f / 4, -1.f / 6, -1.f / 6, 1.f / 24, 1.f / 24, 0},
                            {0, -1.f / 6, 1.f / 6, 1.f / 12, -1.f / 12, 0},
                            {0, -1.f / 6, -1.f / 6, 1.f / 6, 1.f / 6, 1}};

// The shape of one Winograd convolution: a 3x3 stride-1 convolution of x
// (N, C, H, W), padded by `pad`, into y (N, K, H_out, W_out). Channels are
// handled kLanes at a time (one vector), so C and K are rounded up to C_pad, K_pad
// with zero padding.
struct Problem {
  int N, C, H, W, K, pad;
  int H_out() const { return H + 2 * pad - 2; }
  int W_out() const { return W + 2 * pad - 2; }
  int tile_rows() const { return (H_out() + m - 1) / m; }  // per image
  int tile_cols() const { return (W_out() + m - 1) / m; }
  int64_t tiles() const { return static_cast<int64_t>(N) * tile_rows() * tile_cols(); }
  int C_pad() const { return (C + kLanes - 1) / kLanes * kLanes; }
  int K_pad() const { return (K + kLanes - 1) / kLanes * kLanes; }
};

// out[r * out_stride] = sum_c T[r][c] in[c * in_stride], a small constant
// matrix times a column of vectors. The loops unroll and the zero
// coefficients drop out at compile time.
template <int R, int C>
inline void multiply(const float (&T)[R][C], const Vec* in, int in_stride, Vec* out,
                     int out_stride) {
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
    Vec acc = {};
#pragma GCC unroll 8
    for (int c = 0; c < C; ++c)
      if (T[r][c] != 0.f) acc += T[r][c] * in[c * in_stride];
    out[r * out_stride] = acc;
  }
}

// U (a*a, C_pad, K_pad) from filters (K, C, 3, 3), kLanes output channels per vector;
// with `flipped`, the filter for (k, c) is filters[c][k] rotated by 180
// degrees (filters is then (C, K, 3, 3)), which is what backward_input
// convolves with. Padding channels get zero filters.
void transform_filters(const float* filters, const Problem& P, bool flipped, float* U) {
  const int C_pad = P.C_pad(), K_pad = P.K_pad();
#pragma omp parallel for schedule(static)
  for (int c = 0; c < C_pad; ++c)
    for (int k0 = 0; k0 < K_pad; k0 += kLanes) {
      Vec g[3][3] = {}, Gg[a][3], u[a][a];
      for (int l = 0; l < kLanes && c < P.C && k0 + l < P.K; ++l) {
        const int64_t k = k0 + l;
        for (int rs = 0; rs < 9; ++rs)
          g[rs / 3][rs % 3][l] = flipped ? filters[(c * P.K + k) * 9 + 8 - rs]
                                         : filters[(k * P.C + c) * 9 + rs];
      }
      for (int s = 0; s < 3; ++s) multiply(G, &g[0][s], 3, &Gg[0][s], 3);  // G g
      for (int i = 0; i < a; ++i) multiply(G, Gg[i], 1, u[i], 1);           // (G g) G^T
      for (int xi = 0; xi < kXi; ++xi)
        store_vec(U + (static_cast<int64_t>(xi) * C_pad + c) * K_pad + k0, u[xi / a][xi % a]);
    }
}

// xt (N, H, W, C_pad) from x (N, C, H, W): channels-last, so that the kLanes
// channels of one pixel are one vector load; channels C..C_pad are zero.
// A block of kLanes channels x kLanes pixels is read as kLanes vectors,
// transposed in registers and written as kLanes vectors.
void to_channels_last(const float* x, int N, int C, int H, int W, int C_pad, float* xt) {
  const int64_t HW = static_cast<int64_t>(H) * W;
#pragma omp parallel for schedule(static)
  for (int n = 0; n < N; ++n)
    for (int64_t p0 = 0; p0 < HW; p0 += kLanes) {
      const int pixels = static_cast<int>(std::min<int64_t>(kLanes, HW - p0));
      for (int c0 = 0; c0 < C_pad; c0 += kLanes) {
        Vec block[kLanes];  // [channel][pixel], then [pixel][channel]
        for (int c = 0; c < kLanes; ++c) {
          block[c] = Vec{};
          if (c0 + c >= C) continue;
          const float* src = x + (static_cast<int64_t>(n) * C + c0 + c) * HW + p0;
          if (pixels == kLanes) {
            block[c] = load_vec(src);
          } else {
            for (int p = 0; p < pixels; ++p) block[c][p] = src[p];
          }
        }
        transpose_block(block);
        for (int p = 0; p < pixels; ++p) store_vec(xt + ((n * HW + p0 + p) * C_pad + c0), block[p]);
      }
    }
}

// Where tile `tile` (counted over the batch) sits: image n, tile row ty, tile column tx.
struct TileAt {
  int n, ty, tx;
};
TileAt locate(const Problem& P, int64_t tile) {
  const int TH = P.tile_rows(), TW = P.tile_cols();
  return {static_cast<int>(tile / (TH * TW)), static_cast<int>(tile / TW % TH),
          static_cast<int>(tile % TW)};
}

// V (a*a, T, C_pad) for tiles [t0, t0 + T): B^T d B for each tile d, kLanes channels at a time.
void transform_input(const Problem& P, const float* xt, int64_t t0, int T, float* V) {
  const int C_pad = P.C_pad();
  for (int t = 0; t < T; ++t) {
    const TileAt at = locate(P, t0 + t);
    for (int c0 = 0; c0 < C_pad; c0 += kLanes) {
      Vec d[a][a], Bd[a][a], v[a][a];
      for (int i = 0; i < a; ++i)
        for (int j = 0; j < a; ++j) {
          const int ih = m * at.ty - P.pad + i, iw = m * at.tx - P.pad + j;
          d[i][j] = ih >= 0 && ih < P.H && iw >= 0 && iw < P.W
                        ? load_vec(xt + ((static_cast<int64_t>(at.n) * P.H + ih) * P.W + iw) * C_pad + c0)
                        : Vec{};
        }
      for (int j = 0; j < a; ++j) multiply(BT, &d[0][j], a, &Bd[0][j], a);  // B^T d
      for (int i = 0; i < a; ++i) multiply(BT, Bd[i], 1, v[i], 1);         // (B^T d) B
      for (int xi = 0; xi < kXi; ++xi)
        store_vec(V + (static_cast<int64_t>(xi) * T + t) * C_pad + c0, v[xi / a][xi % a]);
    }
  }
}

// y for tiles [t0, t0 + T) from M (a*a, T, K_pad): A^T M A plus the bias,
// cropped to the output's edge and written back channels-first.
void transform_output(const Problem& P, const float* M, const float* bias, int64_t t0, int T,
                      float* y) {
  const int K_pad = P.K_pad(), H_out = P.H_out(), W_out = P.W_out();
  for (int t = 0; t < T; ++t) {
    const TileAt at = locate(P, t0 + t);
    const int rows = std::min(m, H_out - m * at.ty), cols = std::min(m, W_out - m * at.tx);
    for (int k0 = 0; k0 < K_pad; k0 += kLanes) {
      Vec mt[a][a], AM[m][a], out[m][m];
      for (int xi = 0; xi < kXi; ++xi)
        mt[xi / a][xi % a] = load_vec(M + (static_cast<int64_t>(xi) * T + t) * K_pad + k0);
      for (int j = 0; j < a; ++j) multiply(AT, &mt[0][j], a, &AM[0][j], a);  // A^T M
      for (int i = 0; i < m; ++i) multiply(AT, AM[i], 1, out[i], 1);        // (A^T M) A
      // m*m = 16 positions x kLanes channels, transposed one kLanes x kLanes
      // block at a time so that each channel's positions come out as whole
      // vectors: block b holds positions b*kLanes .. (b+1)*kLanes - 1, and
      // position 4i + j is row i, column j of the tile.
      static_assert(m * m % kLanes == 0, "a tile is a whole number of vectors");
      constexpr int kBlocks = m * m / kLanes;  // 1 with AVX-512, 2 with AVX2, 4 with SSE2 or NEON
      Vec tile[kBlocks][kLanes];
      for (int p = 0; p < m * m; ++p) tile[p / kLanes][p % kLanes] = out[p / m][p % m];
      for (auto& block : tile) transpose_block(block);
      const int channels = std::min(kLanes, P.K - k0);
      for (int l = 0; l < channels; ++l) {
        float values[m * m];
        for (int b = 0; b < kBlocks; ++b)
          store_vec(values + b * kLanes, tile[b][l] + (bias ? bias[k0 + l] : 0.f));
        float* plane = y + ((static_cast<int64_t>(at.n) * P.K + k0 + l) * H_out + m * at.ty) * W_out +
                       m * at.tx;
        for (int i = 0; i < rows; ++i) {
          if (cols == m) {
            std::memcpy(plane + i * W_out, values + i * m, m * sizeof(float));
          } else {
            std::copy(values + i * m, values + i * m + cols, plane + i * W_out);
          }
        }
      }
    }
  }
}

// Z (a*a, T, K_pad) for tiles [t0, t0 + T): A g A^T for each tile's m x m
// output gradient g (zero past the output's edge), from dyt (N, H_out, W_out, K_pad).
// This is the transpose of transform_output: Y = A^T X A gives dX = A dY A^T.
void transform_output_gradient(const Problem& P, const float* dyt, int64_t t0, int T, float* Z) {
  const int K_pad = P.K_pad(), H_out = P.H_out(), W_out = P.W_out();
  for (int t = 0; t < T; ++t) {
    const TileAt at = locate(P, t0 + t);
    for (int k0 = 0; k0 < K_pad; k0 += kLanes) {
      Vec g[m][m], Ag[a][m], z[a][a];
      for (int i = 0; i < m; ++i)
        for (int j = 0; j < m; ++j) {
          const int oh = m * at.ty + i, ow = m * at.tx + j;
          g[i][j] = oh < H_out && ow < W_out
                        ? load_vec(dyt + ((static_cast<int64_t>(at.n) * H_out + oh) * W_out + ow) * K_pad + k0)
                        : Vec{};
        }
      for (int j = 0; j < m; ++j) multiply(A, &g[0][j], m, &Ag[0][j], m);  // A g
      for (int i = 0; i < a; ++i) multiply(A, Ag[i], 1, z[i], 1);          // (A g) A^T
      for (int xi = 0; xi < kXi; ++xi)
        store_vec(Z + (static_cast<int64_t>(xi) * T + t) * K_pad + k0, z[xi / a][xi % a]);
    }
  }
}

// dw (K, C, 3, 3) = G^T dU G for every filter, from dU (a*a, C_pad, K_pad).
void untransform_filter_gradient(const Problem& P, const float* dU, float* dw) {
  const int C_pad = P.C_pad(), K_pad = P.K_pad();
#pragma omp parallel for schedule(static)
  for (int c = 0; c < P.C; ++c)
    for (int k0 = 0; k0 < K_pad; k0 += kLanes) {
      Vec du[a][a], Gdu[3][a], g[3][3];
      for (int xi = 0; xi < kXi; ++xi)
        du[xi / a][xi % a] = load_vec(dU + (static_cast<int64_t>(xi) * C_pad + c) * K_pad + k0);
      for (int j = 0; j < a; ++j) multiply(GT, &du[0][j], a, &Gdu[0][j], a);  // G^T dU
      for (int i = 0; i < 3; ++i) multiply(GT, Gdu[i], 1, g[i], 1);          // (G^T dU) G
      for (int l = 0; l < kLanes && k0 + l < P.K; ++l)
        for (int rs = 0; rs < 9; ++rs)
          dw[((static_cast<int64_t>(k0) + l) * P.C + c) * 9 + rs] = g[rs / 3][rs % 3][l];
    }
}

// Tiles per block: V and M together near 4 MB per thread, but at least 128
// tiles, or the products get too thin for the packing to pay.
int block_tiles(const Problem& P) {
  const int64_t per_tile = static_cast<int64_t>(kXi) * (P.C_pad() + P.K_pad());
  return static_cast<int>(std::min<int64_t>(1024, std::max<int64_t>(128, (int64_t{1} << 20) / per_tile)));
}

// y = conv3x3(x, filters) + bias with U the transformed filters and xt
// the input channels-last.
void winograd_convolve(const Problem& P, const float* xt, const float* U, const float* bias,
                       float* y) {
  const int64_t tiles = P.tiles();
  const int per_block = block_tiles(P), C_pad = P.C_pad(), K_pad = P.K_pad();
#pragma omp parallel for schedule(dynamic)
  for (int64_t t0 = 0; t0 < tiles; t0 += per_block) {
    const int T = static_cast<int>(std::min<int64_t>(per_block, tiles - t0));
    float* V = thread_scratch(static_cast<size_t>(kXi) * T * C_pad, 0);
    float* M = thread_scratch(static_cast<size_t>(kXi) * T * K_pad, 2);
    transform_input(P, xt, t0, T, V);
    for (int xi = 0; xi < kXi; ++xi)
      MatrixMap(M + static_cast<int64_t>(xi) * T * K_pad, T, K_pad).noalias() =
          ConstMatrixMap(V + static_cast<int64_t>(xi) * T * C_pad, T, C_pad) *
          ConstMatrixMap(U + static_cast<int64_t>(xi) * C_pad * K_pad, C_pad, K_pad);
    transform_output(P, M, bias, t0, T, y);
  }
}

// A buffer from the caching allocator, so that a training step reuses the
// same block instead of asking the system for it (and its page faults) again.
struct ScratchBuffer {
  explicit ScratchBuffer(size_t floats)
      : data(static_cast<float*>(allocate(floats * sizeof(float)))) {}
  ~ScratchBuffer() { deallocate(data); }
  ScratchBuffer(const ScratchBuffer&) = delete;
  ScratchBuffer& operator=(const ScratchBuffer&) = delete;
  float* data;
};

}  // namespace

bool winograd_supported(const Conv2dShape& s) {
  return s.kernel == 3 && s.stride == 1 && s.groups == 1 && s.padding <= 2 && s.H_out() > 0 &&
         s.W_out() > 0;
}

namespace {

// Transforms the filters and the input into buffers of the caching allocator
// (the same sizes come back every step) and convolves.
void run(const Problem& P, const float* x, const float* filters, bool flipped, const float* bias,
         float* y) {
  ScratchBuffer U(static_cast<size_t>(kXi) * P.C_pad() * P.K_pad());
  ScratchBuffer xt(static_cast<size_t>(P.N) * P.H * P.W * P.C_pad());
  transform_filters(filters, P, flipped, U.data);
  to_channels_last(x, P.N, P.C, P.H, P.W, P.C_pad(), xt.data);
  winograd_convolve(P, xt.data, U.data, bias, y);
}

}  // namespace

void winograd_conv2d_forward(const Conv2dShape& s, const float* x, const float* w, const float* b,
                             float* y) {
  run(Problem{s.N, s.C_in, s.H, s.W, s.C_out, s.padding}, x, w, false, b, y);
}

// dx = conv3x3(dy padded by 2 - p, w rotated and transposed): see the top.
void winograd_conv2d_backward_input(const Conv2dShape& s, const float* dy, const float* w,
                                    float* dx) {
  run(Problem{s.N, s.C_out, s.H_out(), s.W_out(), s.C_in, 2 - s.padding}, dy, w, true, nullptr, dx);
}

// The adjoint of the forward formula: with X = U .* V per tile,
//   dU_xi (C, K) = sum over tiles of V_xi^T (C, tiles) * Z_xi (tiles, K),  Z = A dy A^T
//   dw = G^T dU G
// Each thread sums its blocks' products into its own dU; the sums are added
// in thread order (sum_over_threads), so the result is the same each run.
void winograd_conv2d_backward_weight(const Conv2dShape& s, const float* x, const float* dy,
                                     float* dw, float* db) {
  const Problem P{s.N, s.C_in, s.H, s.W, s.C_out, s.padding};
  const int C_pad = P.C_pad(), K_pad = P.K_pad(), H_out = P.H_out(), W_out = P.W_out();
  ScratchBuffer xt(static_cast<size_t>(P.N) * P.H * P.W * C_pad);
  ScratchBuffer dyt(static_cast<size_t>(P.N) * H_out * W_out * K_pad);
  ScratchBuffer dU(static_cast<size_t>(kXi) * C_pad * K_pad);
  to_channels_last(x, P.N, P.C, P.H, P.W, C_pad, xt.data);
  to_channels_last(dy, P.N, P.K, H_out, W_out, K_pad, dyt.data);
  const int64_t tiles = P.tiles();
  const int per_block = block_tiles(P);
  const int blocks = static_cast<int>((tiles + per_block - 1) / per_block);
  sum_over_threads(std::min(max_threads(), blocks), dU.data, int64_t{kXi} * C_pad * K_pad, nullptr, 0,
                   [&](float* mine) {
#pragma omp for schedule(static)
                     for (int64_t t0 = 0; t0 < tiles; t0 += per_block) {
                       const int T = static_cast<int>(std::min<int64_t>(per_block, tiles - t0));
                       float* V = thread_scratch(static_cast<size_t>(kXi) * T * C_pad, 0);
                       float* Z = thread_scratch(static_cast<size_t>(kXi) * T * K_pad, 2);
                       transform_input(P, xt.data, t0, T, V);
                       transform_output_gradient(P, dyt.data, t0, T, Z);
                       for (int xi = 0; xi < kXi; ++xi)
                         MatrixMap(mine + static_cast<int64_t>(xi) * C_pad * K_pad, C_pad, K_pad).noalias() +=
                             ConstMatrixMap(V + static_cast<int64_t>(xi) * T * C_pad, T, C_pad).transpose() *
                             ConstMatrixMap(Z + static_cast<int64_t>(xi) * T * K_pad, T, K_pad);
                     }
                   });
  untransform_filter_gradient(P, dU.data, dw);
  if (db) {
    const int64_t plane = static_cast<int64_t>(H_out) * W_out;
#pragma omp parallel for schedule(static)
    for (int k = 0; k < P.K; ++k) {
      double sum = 0.0;
      for (int n = 0; n < P.N; ++n) {
        const float* g = dy + (static_cast<int64_t>(n) * P.K + k) * plane;
        float part = 0.f;
        for (int64_t p = 0; p < plane; ++p) part += g[p];
        sum += part;
      }
      db[k] = static_cast<float>(sum);
    }
  }
}

}  // namespace CUDAGRAD_CPU_TARGET
}  // namespace cpu
}  // namespace cudagrad
