// Direct convolution for stride 1, vectorized along the output row.
//
// im2col + GEMM (conv2d.cpp) spends most of its time copying when a layer has
// few channels, as LeNet's do: the copied matrix is k*k times the input and
// the product is too thin to run at full speed. Here each image is copied
// once into a zero-padded buffer (so no loop tests the borders), and for kLanes
// consecutive outputs of a row (one vector) and a block of output channels:
//   acc[o] (kLanes lanes) += w[o, ci, kh, kw] * xpad[ci, oh + kh, ow + kw .. ow + kw + kLanes - 1]
// one vector load of x feeds one FMA per output channel of the block.
//
// The input gradient of a stride-1 convolution is itself a stride-1
// convolution: of dy padded by k-1-p, with the weights flipped and their
// in/out channels swapped. The weight gradient sums dy * xpad over output
// positions, with vector partial sums per (output channel, kw) for one
// (ci, kh) at a time.
#include "kernels/cpu/conv2d_direct.h"

#include <algorithm>
#include <vector>

#include "kernels/cpu/parallel.h"
#include "kernels/cpu/simd.h"

namespace cudagrad {
namespace cpu {
namespace CUDAGRAD_CPU_TARGET {

namespace {

// An image's channels, each zero-padded by `pad` on all sides; rows get
// kLanes extra zeros so a vector load at the row's end stays in the buffer.
struct PaddedPlanes {
  int C, H, W, pad, row, rows;  // row: floats per padded row; rows: padded rows
  float* data;

  PaddedPlanes(const float* src, int C_, int H_, int W_, int pad_, float* buffer)
      : C(C_),
        H(H_),
        W(W_),
        pad(pad_),
        row(W_ + 2 * pad_ + kLanes),
        rows(H_ + 2 * pad_),
        data(buffer) {
    std::fill(data, data + size(C, H, W, pad), 0.f);
    for (int c = 0; c < C; ++c)
      for (int h = 0; h < H; ++h)
        std::copy(src + (static_cast<int64_t>(c) * H + h) * W,
                  src + (static_cast<int64_t>(c) * H + h + 1) * W,
                  data + (static_cast<int64_t>(c) * rows + h + pad) * row + pad);
  }
  static int64_t size(int C, int H, int W, int pad) {
    return static_cast<int64_t>(C) * (H + 2 * pad) * (W + 2 * pad + kLanes);
  }
  const float* at(int c, int h) const { return data + (static_cast<int64_t>(c) * rows + h) * row; }
};

// y[o] for o in [oc0, oc0 + OB): w (C_out, C_in, k, k) for this group.
template <int OB>
void forward_block(const PaddedPlanes& x, const float* w, const float* b, int oc0, int k, int H_out,
                   int W_out, float* y) {
  const int C_in = x.C;
  for (int oh = 0; oh < H_out; ++oh)
    for (int ow = 0; ow < W_out; ow += kLanes) {
      Vec acc[OB];
      for (int o = 0; o < OB; ++o) acc[o] = Vec{} + (b ? b[oc0 + o] : 0.f);
      for (int ci = 0; ci < C_in; ++ci)
        for (int kh = 0; kh < k; ++kh) {
          const float* row = x.at(ci, oh + kh) + ow;
          const float* wk = w + ((static_cast<int64_t>(oc0) * C_in + ci) * k + kh) * k;
          for (int kw = 0; kw < k; ++kw) {
            const Vec xv = load_vec(row + kw);
            for (int o = 0; o < OB; ++o)
              acc[o] += wk[static_cast<int64_t>(o) * C_in * k * k + kw] * xv;
          }
        }
      const int count = std::min(kLanes, W_out - ow);
      for (int o = 0; o < OB; ++o)
        store_first(y + (static_cast<int64_t>(oc0 + o) * H_out + oh) * W_out + ow, acc[o], count);
    }
}

// All output channels of one image: blocks of 8, then one smaller block.
void forward_image(const PaddedPlanes& x, const float* w, const float* b, int C_out, int k,
                   int H_out, int W_out, float* y) {
  int oc = 0;
  for (; oc + 8 <= C_out; oc += 8) forward_block<8>(x, w, b, oc, k, H_out, W_out, y);
  switch (C_out - oc) {
    case 7:
      forward_block<7>(x, w, b, oc, k, H_out, W_out, y);
      break;
    case 6:
      forward_block<6>(x, w, b, oc, k, H_out, W_out, y);
      break;
    case 5:
      forward_block<5>(x, w, b, oc, k, H_out, W_out, y);
      break;
    case 4:
      forward_block<4>(x, w, b, oc, k, H_out, W_out, y);
      break;
    case 3:
      forward_block<3>(x, w, b, oc, k, H_out, W_out, y);
      break;
    case 2:
      forward_block<2>(x, w, b, oc, k, H_out, W_out, y);
      break;
    case 1:
      forward_block<1>(x, w, b, oc, k, H_out, W_out, y);
      break;
    default:
      break;
  }
}

// dw[o, ci, kh, kw] for o in [oc0, oc0 + OB) and one (ci, kh), added into dw.
// dy rows are read from a padded copy (zeros past W_out), so the last
// vector of a row adds nothing beyond it.
template <int OB, int K>
void weight_block(const PaddedPlanes& x, const PaddedPlanes& dy, int oc0, int ci, int kh, int H_out,
                  int W_out, float* dw) {
  Vec acc[OB][K];
  for (int o = 0; o < OB; ++o)
    for (int kw = 0; kw < K; ++kw) acc[o][kw] = Vec{};
  for (int oh = 0; oh < H_out; ++oh) {
    const float* xrow = x.at(ci, oh + kh);
    for (int ow = 0; ow < W_out; ow += kLanes) {
      Vec xv[K];
      for (int kw = 0; kw < K; ++kw) xv[kw] = load_vec(xrow + ow + kw);
      for (int o = 0; o < OB; ++o) {
        const Vec g = load_vec(dy.at(oc0 + o, oh) + ow);
        for (int kw = 0; kw < K; ++kw) acc[o][kw] += g * xv[kw];
      }
    }
  }
  for (int o = 0; o < OB; ++o)
    for (int kw = 0; kw < K; ++kw)
      dw[((static_cast<int64_t>(oc0 + o) * x.C + ci) * K + kh) * K + kw] += sum_lanes(acc[o][kw]);
}

template <int K>
void weight_image(const PaddedPlanes& x, const PaddedPlanes& dy, int C_out, int H_out, int W_out,
                  float* dw) {
  // OB * K vector accumulators, K inputs and one gradient stay in registers
  // (24 accumulators of 32 registers with AVX-512, 12 of 16 with AVX2).
  constexpr int OB = std::max(1, kVectorRegisters * 3 / 4 / K);
  for (int ci = 0; ci < x.C; ++ci)
    for (int kh = 0; kh < K; ++kh) {
      int oc = 0;
      for (; oc + OB <= C_out; oc += OB) weight_block<OB, K>(x, dy, oc, ci, kh, H_out, W_out, dw);
      for (; oc < C_out; ++oc) weight_block<1, K>(x, dy, oc, ci, kh, H_out, W_out, dw);
    }
}

}  // namespace

bool direct_conv_supported(const Conv2dShape& s) {
  return s.stride == 1 && s.groups == 1 && s.padding < s.kernel &&
         (s.kernel == 1 || s.kernel == 3 || s.kernel == 5 || s.kernel == 7);
}

void direct_conv2d_forward(const Conv2dShape& s, const float* x, const float* w, const float* b,
                           float* y) {
  const int H_out = s.H_out(), W_out = s.W_out();
  const int64_t in_image = static_cast<int64_t>(s.C_in) * s.H * s.W;
  const int64_t out_image = static_cast<int64_t>(s.C_out) * H_out * W_out;
#pragma omp parallel for schedule(static) if (s.N > 1)
  for (int n = 0; n < s.N; ++n) {
    float* buffer = thread_scratch(PaddedPlanes::size(s.C_in, s.H, s.W, s.padding));
    PaddedPlanes xp(x + n * in_image, s.C_in, s.H, s.W, s.padding, buffer);
    forward_image(xp, w, b, s.C_out, s.kernel, H_out, W_out, y + n * out_image);
  }
}

void direct_conv2d_backward_input(const Conv2dShape& s, const float* dy, const float* w,
                                  float* dx) {
  const int k = s.kernel, pad = k - 1 - s.padding, H_out = s.H_out(), W_out = s.W_out();
  // w_t[ci, o, kh, kw] = w[o, ci, k-1-kh, k-1-kw]: small, rebuilt per call.
  std::vector<float> w_t(static_cast<size_t>(s.C_in) * s.C_out * k * k);
  for (int o = 0; o < s.C_out; ++o)
    for (int ci = 0; ci < s.C_in; ++ci)
      for (int kh = 0; kh < k; ++kh)
        for (int kw = 0; kw < k; ++kw)
          w_t[((static_cast<size_t>(ci) * s.C_out + o) * k + kh) * k + kw] =
              w[((static_cast<size_t>(o) * s.C_in + ci) * k + (k - 1 - kh)) * k + (k - 1 - kw)];
  const int64_t in_image = static_cast<int64_t>(s.C_in) * s.H * s.W;
  const int64_t out_image = static_cast<int64_t>(s.C_out) * H_out * W_out;
#pragma omp parallel for schedule(static) if (s.N > 1)
  for (int n = 0; n < s.N; ++n) {
    float* buffer = thread_scratch(PaddedPlanes::size(s.C_out, H_out, W_out, pad));
    PaddedPlanes gp(dy + n * out_image, s.C_out, H_out, W_out, pad, buffer);
    forward_image(gp, w_t.data(), nullptr, s.C_in, k, s.H, s.W, dx + n * in_image);
  }
}

void direct_conv2d_backward_weight(const Conv2dShape& s, const float* x, const float* dy, float* dw,
                                   float* db) {
  const int k = s.kernel, H_out = s.H_out(), W_out = s.W_out();
  const int64_t weights = static_cast<int64_t>(s.C_out) * s.C_in * k * k;
  const int64_t in_image = static_cast<int64_t>(s.C_in) * s.H * s.W;
  const int64_t out_image = static_cast<int64_t>(s.C_out) * H_out * W_out;
  const int threads = s.N > 1 ? max_threads() : 1;
  sum_over_threads(threads, dw, weights, db, s.C_out, [&](float* mine) {  // mine: dw then db
    // Two padded buffers at once: x in slot 0, dy at its end.
    const int64_t x_size = PaddedPlanes::size(s.C_in, s.H, s.W, s.padding);
    const int64_t dy_size = PaddedPlanes::size(s.C_out, H_out, W_out, 0);
#pragma omp for schedule(static)
    for (int n = 0; n < s.N; ++n) {
      float* buffer = thread_scratch(x_size + dy_size);
      PaddedPlanes xp(x + n * in_image, s.C_in, s.H, s.W, s.padding, buffer);
      PaddedPlanes gp(dy + n * out_image, s.C_out, H_out, W_out, 0, buffer + x_size);
      switch (k) {
        case 1:
          weight_image<1>(xp, gp, s.C_out, H_out, W_out, mine);
          break;
        case 3:
          weight_image<3>(xp, gp, s.C_out, H_out, W_out, mine);
          break;
        case 5:
          weight_image<5>(xp, gp, s.C_out, H_out, W_out, mine);
          break;
        default:
          weight_image<7>(xp, gp, s.C_out, H_out, W_out, mine);
          break;
      }
      if (db)
        for (int o = 0; o < s.C_out; ++o) {
          const float* plane = dy + n * out_image + static_cast<int64_t>(o) * H_out * W_out;
          float sum = 0.f;
          for (int i = 0; i < H_out * W_out; ++i) sum += plane[i];
          mine[weights + o] += sum;
        }
    }
  });
}

}  // namespace CUDAGRAD_CPU_TARGET
}  // namespace cpu
}  // namespace cudagrad
