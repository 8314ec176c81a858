// Depthwise convolution (groups == C_in == C_out): every channel is convolved
// with its own k x k filter. There is too little work per channel for a
// GEMM to pay, so each (image, channel) plane is one task of direct loops,
// ordered so that the innermost loop walks a row of the output with a fixed
// weight: that loop vectorizes.
//   y[n, c, oh, ow] = b[c] + sum_{kh, kw} w[c, kh, kw] x[n, c, oh*s - p + kh, ow*s - p + kw]
#include <algorithm>

#include "kernels/cpu/cpu.h"
#include "kernels/cpu/parallel.h"

namespace cudagrad {
namespace cpu {

namespace {

// Output columns ow in [*lo, *hi) read input columns iw = ow*s - p + kw inside [0, W).
void valid_columns(const Conv2dShape& s, int kw, int W_out, int* lo, int* hi) {
  int first = s.padding - kw > 0 ? (s.padding - kw + s.stride - 1) / s.stride : 0;
  int last = s.W - 1 + s.padding - kw >= 0 ? (s.W - 1 + s.padding - kw) / s.stride : -1;
  *lo = std::min(first, W_out);
  *hi = std::max(*lo, std::min(last + 1, W_out));
}

}  // namespace

// x (N, C, H, W), w (C, 1, k, k), b (C) nullable, y (N, C, H_out, W_out)
void depthwise_conv2d_forward(const Conv2dShape& s, const float* x, const float* w, const float* b,
                              float* y) {
  const int H_out = s.H_out(), W_out = s.W_out(), k = s.kernel, C = s.C_in;
#pragma omp parallel for schedule(static) if (int64_t(s.N) * C * s.H * s.W >= kMinParallelWork)
  for (int plane = 0; plane < s.N * C; ++plane) {
    const int c = plane % C;
    const float* in = x + static_cast<int64_t>(plane) * s.H * s.W;
    float* out = y + static_cast<int64_t>(plane) * H_out * W_out;
    std::fill(out, out + H_out * W_out, b ? b[c] : 0.f);
    for (int kw = 0; kw < k; ++kw) {
      int lo, hi;
      valid_columns(s, kw, W_out, &lo, &hi);
      for (int oh = 0; oh < H_out; ++oh)
        for (int kh = 0; kh < k; ++kh) {
          const int ih = oh * s.stride - s.padding + kh;
          if (ih < 0 || ih >= s.H) continue;
          const float wv = w[(c * k + kh) * k + kw];
          const float* row = in + ih * s.W - s.padding + kw;
          float* o = out + oh * W_out;
          for (int ow = lo; ow < hi; ++ow) o[ow] += wv * row[ow * s.stride];
        }
    }
  }
}

// dx[n, c, ih, iw] = sum over the outputs that read it of dy * w: the same
// loops as forward with the read and the write swapped.
void depthwise_conv2d_backward_input(const Conv2dShape& s, const float* dy, const float* w,
                                     float* dx) {
  const int H_out = s.H_out(), W_out = s.W_out(), k = s.kernel, C = s.C_in;
#pragma omp parallel for schedule(static) if (int64_t(s.N) * C * s.H * s.W >= kMinParallelWork)
  for (int plane = 0; plane < s.N * C; ++plane) {
    const int c = plane % C;
    const float* g = dy + static_cast<int64_t>(plane) * H_out * W_out;
    float* out = dx + static_cast<int64_t>(plane) * s.H * s.W;
    std::fill(out, out + s.H * s.W, 0.f);
    for (int kw = 0; kw < k; ++kw) {
      int lo, hi;
      valid_columns(s, kw, W_out, &lo, &hi);
      for (int oh = 0; oh < H_out; ++oh)
        for (int kh = 0; kh < k; ++kh) {
          const int ih = oh * s.stride - s.padding + kh;
          if (ih < 0 || ih >= s.H) continue;
          const float wv = w[(c * k + kh) * k + kw];
          float* row = out + ih * s.W - s.padding + kw;
          const float* gr = g + oh * W_out;
          for (int ow = lo; ow < hi; ++ow) row[ow * s.stride] += wv * gr[ow];
        }
    }
  }
}

// dw[c, kh, kw] = sum_{n, oh, ow} dy[n, c, oh, ow] x[n, c, oh*s - p + kh, ow*s - p + kw]
// db[c] = sum dy[n, c]. One task per channel (so no two threads write one
// weight); each row's partial sum is float, the total double.
void depthwise_conv2d_backward_weight(const Conv2dShape& s, const float* x, const float* dy,
                                      float* dw, float* db) {
  const int H_out = s.H_out(), W_out = s.W_out(), k = s.kernel, C = s.C_in;
#pragma omp parallel for schedule(static) if (int64_t(s.N) * C * s.H * s.W >= kMinParallelWork)
  for (int c = 0; c < C; ++c) {
    double taps[64 * 64];  // k <= 64 (the op checks): far beyond any real depthwise filter
    std::fill(taps, taps + k * k, 0.0);
    double bias = 0.0;
    for (int n = 0; n < s.N; ++n) {
      const int64_t plane = static_cast<int64_t>(n) * C + c;
      const float* in = x + plane * s.H * s.W;
      const float* g = dy + plane * H_out * W_out;
      for (int kw = 0; kw < k; ++kw) {
        int lo, hi;
        valid_columns(s, kw, W_out, &lo, &hi);
        for (int oh = 0; oh < H_out; ++oh)
          for (int kh = 0; kh < k; ++kh) {
            const int ih = oh * s.stride - s.padding + kh;
            if (ih < 0 || ih >= s.H) continue;
            const float* row = in + ih * s.W - s.padding + kw;
            const float* gr = g + oh * W_out;
            float sum = 0.f;
            for (int ow = lo; ow < hi; ++ow) sum += gr[ow] * row[ow * s.stride];
            taps[kh * k + kw] += sum;
          }
      }
      if (db) {
        float sum = 0.f;
        for (int i = 0; i < H_out * W_out; ++i) sum += g[i];
        bias += sum;
      }
    }
    for (int t = 0; t < k * k; ++t) dw[c * k * k + t] = static_cast<float>(taps[t]);
    if (db) db[c] = static_cast<float>(bias);
  }
}

}  // namespace cpu
}  // namespace cudagrad
