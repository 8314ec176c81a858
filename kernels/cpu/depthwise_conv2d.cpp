// Depthwise convolution (groups == C_in == C_out): every channel is convolved
// with its own k x k filter. There is too little work per channel for a
// GEMM to pay, so each (image, channel) plane is one task of direct loops.
//
// Each plane is first copied into a zero-padded buffer, so no loop tests the
// borders; then kLanes outputs of a row are one vector accumulator:
//   acc (kLanes lanes) += w[c, kh, kw] * xpad[oh*s + kh, (ow .. ow+kLanes-1)*s + kw]
// k*k vector FMAs per kLanes outputs, every load from L1. The input gradient of
// a stride-1 depthwise convolution is the same computation on dy padded by
// k-1-p with the filter flipped; for stride 2 it is a scatter. The weight
// gradient keeps one vector accumulator per tap.
//   y[n, c, oh, ow] = b[c] + sum_{kh, kw} w[c, kh, kw] x[n, c, oh*s - p + kh, ow*s - p + kw]
#include <algorithm>

#include "kernels/cpu/kernels.h"
#include "kernels/cpu/parallel.h"
#include "kernels/cpu/simd.h"

namespace cudagrad {
namespace cpu {
namespace CUDAGRAD_CPU_TARGET {

namespace {

// One plane zero-padded by `pad`, with kLanes * stride spare floats at the
// end of each row so a strided vector load at the row's end stays inside.
struct PaddedPlane {
  int rows, width;  // padded
  float* data;
  PaddedPlane(const float* src, int H, int W, int pad, int stride, float* buffer)
      : rows(H + 2 * pad), width(row_width(W, pad, stride)), data(buffer) {
    std::fill(data, data + static_cast<int64_t>(rows) * width, 0.f);
    for (int h = 0; h < H; ++h)
      std::copy(src + static_cast<int64_t>(h) * W, src + static_cast<int64_t>(h + 1) * W,
                data + static_cast<int64_t>(h + pad) * width + pad);
  }
  static int row_width(int W, int pad, int stride) {
    return W + 2 * pad + kLanes * std::max(stride, 2);
  }
  static int64_t size(int H, int W, int pad, int stride) {
    return static_cast<int64_t>(H + 2 * pad) * row_width(W, pad, stride);
  }
  const float* row(int r) const { return data + static_cast<int64_t>(r) * width; }
};

// out (H_out, W_out) = b + the k x k filter w slid over the padded plane.
// K > 0 fixes k at compile time (3x3, the common case: fully unrolled taps);
// K == 0 reads it from k.
template <int K>
void filter_plane(const PaddedPlane& x, const float* w, float b, int k_runtime, int stride,
                  int H_out, int W_out, float* out) {
  const int k = K > 0 ? K : k_runtime;
  for (int oh = 0; oh < H_out; ++oh)
    for (int ow = 0; ow < W_out; ow += kLanes) {
      Vec acc = Vec{} + b;
      for (int kh = 0; kh < k; ++kh) {
        const float* row = x.row(oh * stride + kh) + ow * stride;
        for (int kw = 0; kw < k; ++kw) acc += w[kh * k + kw] * load_strided(row + kw, stride);
      }
      store_first(out + static_cast<int64_t>(oh) * W_out + ow, acc, std::min(kLanes, W_out - ow));
    }
}

void filter_plane(const PaddedPlane& x, const float* w, float b, int k, int stride, int H_out,
                  int W_out, float* out) {
  if (k == 3) return filter_plane<3>(x, w, b, k, stride, H_out, W_out, out);
  filter_plane<0>(x, w, b, k, stride, H_out, W_out, out);
}

int64_t work(const Conv2dShape& s) { return int64_t(s.N) * s.C_in * s.H * s.W; }

}  // namespace

// x (N, C, H, W), w (C, 1, k, k), b (C) nullable, y (N, C, H_out, W_out)
void depthwise_conv2d_forward(const Conv2dShape& s, const float* x, const float* w, const float* b,
                              float* y) {
  const int H_out = s.H_out(), W_out = s.W_out(), k = s.kernel, C = s.C_in;
#pragma omp parallel for schedule(static) if (work(s) >= kMinParallelWork)
  for (int plane = 0; plane < s.N * C; ++plane) {
    const int c = plane % C;
    PaddedPlane xp(x + static_cast<int64_t>(plane) * s.H * s.W, s.H, s.W, s.padding, s.stride,
                   thread_scratch(PaddedPlane::size(s.H, s.W, s.padding, s.stride)));
    filter_plane(xp, w + c * k * k, b ? b[c] : 0.f, k, s.stride, H_out, W_out,
                 y + static_cast<int64_t>(plane) * H_out * W_out);
  }
}

// dx[n, c, ih, iw] = sum over the outputs that read it of dy * w.
void depthwise_conv2d_backward_input(const Conv2dShape& s, const float* dy, const float* w,
                                     float* dx) {
  const int H_out = s.H_out(), W_out = s.W_out(), k = s.kernel, C = s.C_in;
  if (s.stride == 1) {
    // A stride-1 correlation's transpose is a correlation with the flipped
    // filter over dy padded by k-1-p: the forward loop again.
    const int pad = k - 1 - s.padding;
#pragma omp parallel for schedule(static) if (work(s) >= kMinParallelWork)
    for (int plane = 0; plane < s.N * C; ++plane) {
      const int c = plane % C;
      float flipped[64 * 64];  // k <= 64 (the op checks)
      for (int t = 0; t < k * k; ++t) flipped[t] = w[c * k * k + (k * k - 1 - t)];
      PaddedPlane gp(dy + static_cast<int64_t>(plane) * H_out * W_out, H_out, W_out, pad, 1,
                     thread_scratch(PaddedPlane::size(H_out, W_out, pad, 1)));
      filter_plane(gp, flipped, 0.f, k, 1, s.H, s.W, dx + static_cast<int64_t>(plane) * s.H * s.W);
    }
    return;
  }
  // Strided: each output scatters into the k x k inputs it read, into a
  // padded buffer whose border is dropped at the end.
#pragma omp parallel for schedule(static) if (work(s) >= kMinParallelWork)
  for (int plane = 0; plane < s.N * C; ++plane) {
    const int c = plane % C;
    const int width = s.W + 2 * s.padding, rows = s.H + 2 * s.padding;
    float* buffer = thread_scratch(static_cast<int64_t>(rows) * width);
    std::fill(buffer, buffer + static_cast<int64_t>(rows) * width, 0.f);
    const float* g = dy + static_cast<int64_t>(plane) * H_out * W_out;
    for (int oh = 0; oh < H_out; ++oh)
      for (int kh = 0; kh < k; ++kh) {
        float* row = buffer + static_cast<int64_t>(oh * s.stride + kh) * width;
        for (int kw = 0; kw < k; ++kw) {
          const float wv = w[(c * k + kh) * k + kw];
          for (int ow = 0; ow < W_out; ++ow) row[ow * s.stride + kw] += wv * g[oh * W_out + ow];
        }
      }
    float* out = dx + static_cast<int64_t>(plane) * s.H * s.W;
    for (int h = 0; h < s.H; ++h)
      std::copy(buffer + static_cast<int64_t>(h + s.padding) * width + s.padding,
                buffer + static_cast<int64_t>(h + s.padding) * width + s.padding + s.W,
                out + static_cast<int64_t>(h) * s.W);
  }
}

// dw[c, kh, kw] = sum_{n, oh, ow} dy[n, c, oh, ow] xpad[n, c, oh*s + kh, ow*s + kw]
// db[c] = sum dy[n, c]. One task per channel (so no two threads write one
// weight), one vector accumulator per tap; dy rows are read from a copy
// padded with zeros to whole vectors, so the last vector adds nothing extra.
void depthwise_conv2d_backward_weight(const Conv2dShape& s, const float* x, const float* dy,
                                      float* dw, float* db) {
  const int H_out = s.H_out(), W_out = s.W_out(), k = s.kernel, C = s.C_in;
  const int g_width = (W_out + kLanes - 1) / kLanes * kLanes;
#pragma omp parallel for schedule(static) if (work(s) >= kMinParallelWork)
  for (int c = 0; c < C; ++c) {
    constexpr int kMaxVectorTaps = 256;  // up to 16x16 kernels; larger k takes the loop below
    Vec acc[kMaxVectorTaps];
    const bool vector_taps = k * k <= kMaxVectorTaps;
    double taps[64 * 64];
    std::fill(taps, taps + k * k, 0.0);
    double bias = 0.0;
    const int64_t x_size = PaddedPlane::size(s.H, s.W, s.padding, s.stride);
    float* scratch = thread_scratch(x_size + static_cast<int64_t>(H_out) * g_width);
    for (int n = 0; n < s.N; ++n) {
      const int64_t plane = static_cast<int64_t>(n) * C + c;
      PaddedPlane xp(x + plane * s.H * s.W, s.H, s.W, s.padding, s.stride, scratch);
      float* g = scratch + x_size;  // dy, rows padded to g_width with zeros
      for (int oh = 0; oh < H_out; ++oh) {
        std::copy(dy + (plane * H_out + oh) * W_out, dy + (plane * H_out + oh + 1) * W_out,
                  g + static_cast<int64_t>(oh) * g_width);
        std::fill(g + static_cast<int64_t>(oh) * g_width + W_out, g + (oh + 1) * int64_t(g_width),
                  0.f);
      }
      if (vector_taps) {
        for (int t = 0; t < k * k; ++t) acc[t] = Vec{};
        for (int oh = 0; oh < H_out; ++oh)
          for (int ow = 0; ow < W_out; ow += kLanes) {
            const Vec gv = load_vec(g + static_cast<int64_t>(oh) * g_width + ow);
            for (int kh = 0; kh < k; ++kh) {
              const float* row = xp.row(oh * s.stride + kh) + ow * s.stride;
              for (int kw = 0; kw < k; ++kw)
                acc[kh * k + kw] += gv * load_strided(row + kw, s.stride);
            }
          }
        for (int t = 0; t < k * k; ++t) taps[t] += sum_lanes(acc[t]);
      } else {
        for (int oh = 0; oh < H_out; ++oh)
          for (int kh = 0; kh < k; ++kh)
            for (int kw = 0; kw < k; ++kw) {
              const float* row = xp.row(oh * s.stride + kh);
              float sum = 0.f;
              for (int ow = 0; ow < W_out; ++ow)
                sum += g[oh * g_width + ow] * row[ow * s.stride + kw];
              taps[kh * k + kw] += sum;
            }
      }
      if (db) {
        float sum = 0.f;
        for (int64_t i = 0; i < int64_t(H_out) * g_width; ++i) sum += g[i];
        bias += sum;
      }
    }
    for (int t = 0; t < k * k; ++t) dw[c * k * k + t] = static_cast<float>(taps[t]);
    if (db) db[c] = static_cast<float>(bias);
  }
}

}  // namespace CUDAGRAD_CPU_TARGET
}  // namespace cpu
}  // namespace cudagrad
