// Pooling, one OpenMP task per (image, channel) plane. Same semantics as
// kernels/reference/pool.cpp: max-pool ties go to the first element in
// row-major order; average pooling counts padding (count_include_pad).
#include <algorithm>
#include <limits>

#include "kernels/cpu/cpu.h"
#include "kernels/cpu/parallel.h"

namespace cudagrad {
namespace cpu {

void max_pool2d_forward(const Pool2dShape& s, const float* x, float* y, int32_t* argmax) {
  const int H_out = s.H_out(), W_out = s.W_out();
#pragma omp parallel for schedule(static) if (int64_t(s.N) * s.C * s.H * s.W >= kMinParallelWork)
  for (int plane = 0; plane < s.N * s.C; ++plane) {
    const float* in = x + static_cast<int64_t>(plane) * s.H * s.W;
    float* out = y + static_cast<int64_t>(plane) * H_out * W_out;
    int32_t* arg = argmax + static_cast<int64_t>(plane) * H_out * W_out;
    for (int oh = 0; oh < H_out; ++oh)
      for (int ow = 0; ow < W_out; ++ow) {
        const int h0 = oh * s.stride - s.padding, w0 = ow * s.stride - s.padding;
        const int h_begin = std::max(h0, 0), h_end = std::min(h0 + s.kernel, s.H);
        const int w_begin = std::max(w0, 0), w_end = std::min(w0 + s.kernel, s.W);
        // Start from the window's first element, then select without a branch:
        // which tap wins is data-dependent, and a mispredicted branch per tap
        // cost more than the comparisons. Strict '>': the first of equal values
        // wins (and a NaN only when it comes first), as in the reference.
        int best_at = h_begin * s.W + w_begin;
        float best = in[best_at];
        for (int ih = h_begin; ih < h_end; ++ih)
          for (int iw = w_begin; iw < w_end; ++iw) {
            const float v = in[ih * s.W + iw];
            const bool better = v > best;
            best = better ? v : best;
            best_at = better ? ih * s.W + iw : best_at;
          }
        out[oh * W_out + ow] = best;
        arg[oh * W_out + ow] = best_at;
      }
  }
}

void max_pool2d_backward(const Pool2dShape& s, const float* dy, const int32_t* argmax, float* dx) {
  const int P = s.H_out() * s.W_out();
#pragma omp parallel for schedule(static) if (int64_t(s.N) * s.C * s.H * s.W >= kMinParallelWork)
  for (int plane = 0; plane < s.N * s.C; ++plane) {
    float* out = dx + static_cast<int64_t>(plane) * s.H * s.W;
    std::fill(out, out + s.H * s.W, 0.f);
    const float* g = dy + static_cast<int64_t>(plane) * P;
    const int32_t* arg = argmax + static_cast<int64_t>(plane) * P;
    for (int i = 0; i < P; ++i) out[arg[i]] += g[i];
  }
}

void avg_pool2d_forward(const Pool2dShape& s, const float* x, float* y) {
  const int H_out = s.H_out(), W_out = s.W_out();
  const float inv_area = 1.f / (s.kernel * s.kernel);
#pragma omp parallel for schedule(static) if (int64_t(s.N) * s.C * s.H * s.W >= kMinParallelWork)
  for (int plane = 0; plane < s.N * s.C; ++plane) {
    const float* in = x + static_cast<int64_t>(plane) * s.H * s.W;
    float* out = y + static_cast<int64_t>(plane) * H_out * W_out;
    for (int oh = 0; oh < H_out; ++oh)
      for (int ow = 0; ow < W_out; ++ow) {
        const int h0 = oh * s.stride - s.padding, w0 = ow * s.stride - s.padding;
        float sum = 0.f;
        for (int ih = std::max(h0, 0); ih < std::min(h0 + s.kernel, s.H); ++ih)
          for (int iw = std::max(w0, 0); iw < std::min(w0 + s.kernel, s.W); ++iw)
            sum += in[ih * s.W + iw];
        out[oh * W_out + ow] = sum * inv_area;
      }
  }
}

void avg_pool2d_backward(const Pool2dShape& s, const float* dy, float* dx) {
  const int H_out = s.H_out(), W_out = s.W_out();
  const float inv_area = 1.f / (s.kernel * s.kernel);
#pragma omp parallel for schedule(static) if (int64_t(s.N) * s.C * s.H * s.W >= kMinParallelWork)
  for (int plane = 0; plane < s.N * s.C; ++plane) {
    float* out = dx + static_cast<int64_t>(plane) * s.H * s.W;
    std::fill(out, out + s.H * s.W, 0.f);
    const float* g = dy + static_cast<int64_t>(plane) * H_out * W_out;
    for (int oh = 0; oh < H_out; ++oh)
      for (int ow = 0; ow < W_out; ++ow) {
        const int h0 = oh * s.stride - s.padding, w0 = ow * s.stride - s.padding;
        const float share = g[oh * W_out + ow] * inv_area;
        for (int ih = std::max(h0, 0); ih < std::min(h0 + s.kernel, s.H); ++ih)
          for (int iw = std::max(w0, 0); iw < std::min(w0 + s.kernel, s.W); ++iw)
            out[ih * s.W + iw] += share;
      }
  }
}

void global_avg_pool_forward(int N, int C, int HW, const float* x, float* y) {
#pragma omp parallel for schedule(static) if (int64_t(N) * C * HW >= kMinParallelWork)
  for (int plane = 0; plane < N * C; ++plane) {
    const float* in = x + static_cast<int64_t>(plane) * HW;
    double sum = 0;
    for (int i = 0; i < HW; ++i) sum += in[i];
    y[plane] = static_cast<float>(sum / HW);
  }
}

void global_avg_pool_backward(int N, int C, int HW, const float* dy, float* dx) {
#pragma omp parallel for schedule(static) if (int64_t(N) * C * HW >= kMinParallelWork)
  for (int plane = 0; plane < N * C; ++plane) {
    float* out = dx + static_cast<int64_t>(plane) * HW;
    std::fill(out, out + HW, dy[plane] / HW);
  }
}

}  // namespace cpu
}  // namespace cudagrad
