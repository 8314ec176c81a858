// 2-D convolution (square kernel k, one stride s and padding p, groups) as an
// implicit GEMM on the tiled SGEMM of gemm.cuh (launch shape and tiling are
// described there; gridDim.z runs over the groups).
//
// Per group, with Cig = C_in / groups input and Cog = C_out / groups output
// channels and P = H_out * W_out output pixels, the forward pass is
//   Y (Cog x N*P) = W (Cog x Cig*k*k) * X_col (Cig*k*k x N*P)
// where column (n, oh, ow) of X_col holds the k x k x Cig input patch under
// output pixel (oh, ow) of sample n (zero in the padding). "Implicit" means
// X_col is never built: the accessor computes each element's input
// coordinates when the tile is loaded, so no k*k-times-larger buffer is
// written to memory and read back. The gathered operands hand the GEMM their
// index arithmetic in two parts (gemm.cuh): the pixel's (sample, row,
// column) is taken apart once per thread, the patch's (channel, kh, kw)
// once per tile and then stepped by additions, instead of six integer
// divisions for every element loaded. The two backward passes are GEMMs of the
// same three matrices:
//   backward input   dX (Cig x N*H*W)     = W^T (Cig x Cog*k*k) gathered against dY
//   backward weight  dW (Cog x Cig*k*k)   = dY (Cog x N*P) * X_col^T (N*P x Cig*k*k)
// The backward-input product gathers: input pixel (h, w) collects from the
// output pixels (oh, ow) with oh*s - p + kh == h, so each dX element is
// written once, with no atomics. The bias gradient is a per-channel sum of
// dY: one block (up to 256 threads) per output channel, a block reduction.
#include "kernels/cuda/gemm.cuh"
#include "kernels/cuda/host_functions.h"

namespace cudagrad {
namespace CUDAGRAD_CUDA_NAMESPACE {

namespace {

// The sizes every accessor needs, with the per-group channel counts.
struct ConvGeometry {
  int N, C_in, H, W, C_out, k, stride, padding;
  int H_out, W_out, Cig, Cog;
};

ConvGeometry geometry(const Conv2dShape& s) {
  ConvGeometry c;
  c.N = s.N, c.C_in = s.C_in, c.H = s.H, c.W = s.W;
  c.C_out = s.C_out, c.k = s.kernel, c.stride = s.stride, c.padding = s.padding;
  c.H_out = s.H_out(), c.W_out = s.W_out();
  c.Cig = s.C_in / s.groups, c.Cog = s.C_out / s.groups;
  return c;
}

// ---- forward: Y = W * X_col ---------------------------------------------------------
// A(m = co, k = (ci, kh, kw)) = w[g*Cog + co, ci, kh, kw]
struct WeightRows {
  static constexpr bool k_contiguous = true;
  static constexpr bool has_load4 = true;  // a row of w is plain memory
  static constexpr bool has_parts = false;
  const float* w;
  ConvGeometry c;
  __device__ float operator()(int g, int co, int kk) const {
    return w[(static_cast<int64_t>(g) * c.Cog + co) * c.Cig * c.k * c.k + kk];
  }
  __device__ bool aligned4() const { return is_aligned16(w) && c.Cig * c.k * c.k % 4 == 0; }
  __device__ float4 load4(int g, int co, int kk) const {
    return *reinterpret_cast<const float4*>(w + (static_cast<int64_t>(g) * c.Cog + co) * c.Cig *
                                                    c.k * c.k + kk);
  }
};

// B(k = (ci, kh, kw), n = (sample, oh, ow)) = x[sample, g*Cig + ci, oh*s - p + kh, ow*s - p + kw]
// (zero in the padding). In parts: the column gives the window's corner
// (ih0, iw0) = (oh*s - p, ow*s - p) and the index of x there; (ci, kh, kw)
// gives the offset from the corner, ci*H*W + kh*W + kw.
struct InputPatches {
  static constexpr bool k_contiguous = false;  // consecutive columns: neighbouring pixels
  static constexpr bool has_load4 = false;  // gathered, not plain rows
  static constexpr bool has_parts = true;
  const float* x;
  ConvGeometry c;
  struct XPart {
    int64_t corner;  // index of x[sample, g*Cig, ih0, iw0] (may lie outside x)
    int ih0, iw0;
  };
  struct KPart {
    int offset, kh, kw;
  };
  __device__ XPart x_part(int g, int col) const {
    const int ow = col % c.W_out, oh = col / c.W_out % c.H_out, n = col / (c.W_out * c.H_out);
    const int ih0 = oh * c.stride - c.padding, iw0 = ow * c.stride - c.padding;
    const int64_t image = (static_cast<int64_t>(n) * c.C_in + g * c.Cig) * c.H * c.W;
    return XPart{image + static_cast<int64_t>(ih0) * c.W + iw0, ih0, iw0};
  }
  __device__ KPart k_part(int, int kk) const {
    const int ci = kk / (c.k * c.k), kh = kk / c.k % c.k, kw = kk % c.k;
    return KPart{(ci * c.H + kh) * c.W + kw, kh, kw};
  }
  __device__ KPart next_k(KPart p) const {  // kw + 1, carrying into kh, then into ci
    ++p.kw, ++p.offset;
    if (p.kw == c.k) {
      p.kw = 0, ++p.kh, p.offset += c.W - c.k;
      if (p.kh == c.k) p.kh = 0, p.offset += (c.H - c.k) * c.W;
    }
    return p;
  }
  __device__ float at(const XPart& col, const KPart& kk) const {
    const int ih = col.ih0 + kk.kh, iw = col.iw0 + kk.kw;
    if (ih < 0 || ih >= c.H || iw < 0 || iw >= c.W) return 0.0f;
    return x[col.corner + kk.offset];
  }
};

// y[sample, g*Cog + co, oh, ow] = value + b[g*Cog + co]
struct StoreOutput {
  float* y;
  const float* b;  // nullable
  ConvGeometry c;
  __device__ void operator()(int g, int co, int col, float value) const {
    const int P = c.H_out * c.W_out, n = col / P, p = col % P;
    const int channel = g * c.Cog + co;
    y[(static_cast<int64_t>(n) * c.C_out + channel) * P + p] = b ? value + b[channel] : value;
  }
};

// ---- backward input: dX = W^T gathered against dY -----------------------------------
// A(m = ci, k = (co, kh, kw)) = w[g*Cog + co, ci, kh, kw]; in parts, the
// index of w[g*Cog, ci, 0, 0] plus co*Cig*k*k + (kh*k + kw).
struct WeightColumns {
  static constexpr bool k_contiguous = true;  // along (kh, kw)
  static constexpr bool has_load4 = false;  // gathered, not plain rows
  static constexpr bool has_parts = true;
  const float* w;
  ConvGeometry c;
  struct XPart {
    int64_t row;
  };
  struct KPart {
    int offset;
  };
  __device__ XPart x_part(int g, int ci) const {
    return XPart{(static_cast<int64_t>(g) * c.Cog * c.Cig + ci) * c.k * c.k};
  }
  __device__ KPart k_part(int, int kk) const {
    const int co = kk / (c.k * c.k), tap = kk % (c.k * c.k);
    return KPart{co * c.Cig * c.k * c.k + tap};
  }
  __device__ float at(const XPart& ci, const KPart& kk) const { return w[ci.row + kk.offset]; }
};

// B(k = (co, kh, kw), n = (sample, h, w)) = dy[sample, g*Cog + co, oh, ow] for the
// output pixel whose tap (kh, kw) lands on (h, w): oh*s - p + kh == h; zero when
// there is none (h + p - kh negative, not a multiple of s, or past H_out).
// In parts: the column gives (h + p, w + p) and the index of dy[sample, g*Cog, 0, 0];
// (co, kh, kw) gives co's plane, co*H_out*W_out, and the tap.
struct OutputGradientTaps {
  static constexpr bool k_contiguous = false;
  static constexpr bool has_load4 = false;  // gathered, not plain rows
  static constexpr bool has_parts = true;
  const float* dy;
  ConvGeometry c;
  struct XPart {
    int64_t planes;  // index of dy[sample, g*Cog, 0, 0]
    int h_p, w_p;    // h + p, w + p
  };
  struct KPart {
    int plane, kh, kw;  // plane: co*H_out*W_out
  };
  __device__ XPart x_part(int g, int col) const {
    const int w = col % c.W, h = col / c.W % c.H, n = col / (c.W * c.H);
    return XPart{(static_cast<int64_t>(n) * c.C_out + g * c.Cog) * c.H_out * c.W_out,
                 h + c.padding, w + c.padding};
  }
  __device__ KPart k_part(int, int kk) const {
    const int co = kk / (c.k * c.k), kh = kk / c.k % c.k, kw = kk % c.k;
    return KPart{co * c.H_out * c.W_out, kh, kw};
  }
  __device__ KPart next_k(KPart p) const {  // kw + 1, carrying into kh, then into co
    if (++p.kw == c.k) {
      p.kw = 0;
      if (++p.kh == c.k) p.kh = 0, p.plane += c.H_out * c.W_out;
    }
    return p;
  }
  __device__ float at(const XPart& col, const KPart& kk) const {
    int oh = col.h_p - kk.kh, ow = col.w_p - kk.kw;  // times the stride, so far
    if (oh < 0 || ow < 0) return 0.0f;
    if (c.stride != 1) {  // (one branch for the whole launch)
      if (oh % c.stride != 0 || ow % c.stride != 0) return 0.0f;
      oh /= c.stride, ow /= c.stride;
    }
    if (oh >= c.H_out || ow >= c.W_out) return 0.0f;
    return dy[col.planes + kk.plane + oh * c.W_out + ow];
  }
};

// dx[sample, g*Cig + ci, h, w] = value
struct StoreInputGradient {
  float* dx;
  ConvGeometry c;
  __device__ void operator()(int g, int ci, int col, float value) const {
    const int HW = c.H * c.W, n = col / HW, hw = col % HW;
    dx[(static_cast<int64_t>(n) * c.C_in + g * c.Cig + ci) * HW + hw] = value;
  }
};

// ---- backward weight: dW = dY * X_col^T -----------------------------------------------
// A(m = co, k = (sample, oh, ow)) = dy[sample, g*Cog + co, oh, ow]
struct OutputGradientRows {
  static constexpr bool k_contiguous = true;
  // A group of 4 never straddles two samples when a plane holds a multiple of 4 pixels.
  static constexpr bool has_load4 = true;
  static constexpr bool has_parts = false;
  const float* dy;
  ConvGeometry c;
  __device__ float operator()(int g, int co, int col) const {
    const int P = c.H_out * c.W_out, n = col / P, p = col % P;
    return dy[(static_cast<int64_t>(n) * c.C_out + g * c.Cog + co) * P + p];
  }
  __device__ bool aligned4() const { return is_aligned16(dy) && c.H_out * c.W_out % 4 == 0; }
  __device__ float4 load4(int g, int co, int col) const {
    const int P = c.H_out * c.W_out, n = col / P, p = col % P;
    return *reinterpret_cast<const float4*>(
        dy + (static_cast<int64_t>(n) * c.C_out + g * c.Cog + co) * P + p);
  }
};

// B(k = (sample, oh, ow), n = (ci, kh, kw)) = X_col transposed: the parts
// of InputPatches with their roles swapped.
struct InputPatchesTransposed {
  static constexpr bool k_contiguous = true;  // consecutive k: neighbouring pixels
  static constexpr bool has_load4 = false;
  static constexpr bool has_parts = true;
  InputPatches patches;
  using XPart = InputPatches::KPart;
  using KPart = InputPatches::XPart;
  __device__ XPart x_part(int g, int kk) const { return patches.k_part(g, kk); }
  __device__ KPart k_part(int g, int col) const { return patches.x_part(g, col); }
  __device__ float at(const XPart& kk, const KPart& col) const { return patches.at(col, kk); }
};

// dw[g*Cog + co, (ci, kh, kw)] = value
struct StoreWeightGradient {
  float* dw;
  ConvGeometry c;
  __device__ void operator()(int g, int co, int kk, float value) const {
    dw[(static_cast<int64_t>(g) * c.Cog + co) * c.Cig * c.k * c.k + kk] = value;
  }
};

//   db[c] = sum over samples and pixels of dy[n, c, :, :]; one block per channel.
// dy (N, C, P), db (C)
__global__ void channel_sum_kernel(int N, int C, int64_t P, const float* dy, float* db) {
  __shared__ float scratch[kWarp];
  const int c = blockIdx.x;
  float sum = 0.0f;
  for (int64_t j = threadIdx.x; j < N * P; j += blockDim.x) {
    sum += dy[(j / P * C + c) * P + j % P];
  }
  sum = block_sum(sum, scratch);
  if (threadIdx.x == 0) db[c] = sum;
}

}  // namespace

// x (N, C_in, H, W), w (C_out, C_in/groups, k, k), b (C_out) nullable, y (N, C_out, H_out, W_out)
void conv2d_forward(const Conv2dShape& s, const float* x, const float* w, const float* b,
                    float* y) {
  const ConvGeometry c = geometry(s);
  gemm(c.Cog, c.N * c.H_out * c.W_out, c.Cig * c.k * c.k, s.groups, WeightRows{w, c},
       InputPatches{x, c}, StoreOutput{y, b, c});
}

// dy (N, C_out, H_out, W_out), w (C_out, C_in/groups, k, k), dx (N, C_in, H, W)
void conv2d_backward_input(const Conv2dShape& s, const float* dy, const float* w, float* dx) {
  const ConvGeometry c = geometry(s);
  gemm(c.Cig, c.N * c.H * c.W, c.Cog * c.k * c.k, s.groups, WeightColumns{w, c},
       OutputGradientTaps{dy, c}, StoreInputGradient{dx, c});
}

// x (N, C_in, H, W), dy (N, C_out, H_out, W_out), dw (C_out, C_in/groups, k, k), db (C_out) nullable
void conv2d_backward_weight(const Conv2dShape& s, const float* x, const float* dy, float* dw,
                            float* db) {
  const ConvGeometry c = geometry(s);
  gemm(c.Cog, c.Cig * c.k * c.k, c.N * c.H_out * c.W_out, s.groups, OutputGradientRows{dy, c},
       InputPatchesTransposed{InputPatches{x, c}}, StoreWeightGradient{dw, c});
  if (db && c.C_out > 0) {
    const int64_t P = static_cast<int64_t>(c.H_out) * c.W_out;
    CG_LAUNCH(channel_sum_kernel, c.C_out, reduction_threads(c.N * P), 0, c.N, c.C_out, P, dy,
              db);
  }
}

}  // namespace CUDAGRAD_CUDA_NAMESPACE
}  // namespace cudagrad
