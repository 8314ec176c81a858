// Pooling, one OpenMP task per (image, channel) plane. Same semantics as
// kernels/reference/pool.cpp: max-pool ties go to the first element in
// row-major order; average pooling counts padding (count_include_pad).
#include <algorithm>
#include <cstring>
#include <limits>

#include "kernels/cpu/kernels.h"
#include "kernels/cpu/parallel.h"
#include "kernels/cpu/simd.h"

namespace cudagrad {
namespace cpu {
namespace CUDAGRAD_CPU_TARGET {

// Output columns ow in [*lo, *hi) have their whole window inside [0, W).
void interior_columns(const Pool2dShape& s, int W_out, int* lo, int* hi) {
  *lo = std::min(W_out, (s.padding + s.stride - 1) / s.stride);
  *hi = std::max(*lo, std::min(W_out, (s.W + s.padding - s.kernel) / s.stride + 1));
}

void max_pool2d_forward(const Pool2dShape& s, const float* x, float* y, int32_t* argmax) {
  const int H_out = s.H_out(), W_out = s.W_out();
  int lo, hi;
  interior_columns(s, W_out, &lo, &hi);
#pragma omp parallel for schedule(static) if (int64_t(s.N) * s.C * s.H * s.W >= kMinParallelWork)
  for (int plane = 0; plane < s.N * s.C; ++plane) {
    const float* in = x + static_cast<int64_t>(plane) * s.H * s.W;
    float* out = y + static_cast<int64_t>(plane) * H_out * W_out;
    int32_t* arg = argmax + static_cast<int64_t>(plane) * H_out * W_out;
    for (int oh = 0; oh < H_out; ++oh) {
      const int h0 = oh * s.stride - s.padding;
      const int h_begin = std::max(h0, 0), h_end = std::min(h0 + s.kernel, s.H);
      // One output position. Start from the window's first element, then
      // select without a branch: which tap wins is data-dependent, and a
      // mispredicted branch per tap cost more than the comparisons. Strict
      // '>': the first of equal values wins (and a NaN only when it comes
      // first), as in the reference.
      auto one = [&](int ow) {
        const int w0 = ow * s.stride - s.padding;
        const int w_begin = std::max(w0, 0), w_end = std::min(w0 + s.kernel, s.W);
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
      };
      int ow = 0;
      for (; ow < lo; ++ow) one(ow);
      // kLanes interior positions at once, the same selection lane by lane. A
      // stride-2 load reads 2 kLanes floats (one past the last it keeps), so a
      // vector step must also end inside the row: at the last row of the
      // tensor one float more would be outside it.
      auto step_fits = [&](int from) {
        return from + kLanes <= hi &&
               (from * s.stride - s.padding) + (s.kernel - 1) + kLanes * s.stride - 1 < s.W;
      };
      for (; step_fits(ow); ow += kLanes) {
        VecInt first_column;
        for (int l = 0; l < kLanes; ++l) first_column[l] = (ow + l) * s.stride - s.padding;
        const float* corner = in + h_begin * s.W + first_column[0];
        Vec best = load_strided(corner, s.stride);
        VecInt best_at = h_begin * s.W + first_column;
        for (int ih = h_begin; ih < h_end; ++ih)
          for (int kw = 0; kw < s.kernel; ++kw) {
            const Vec v = load_strided(in + ih * s.W + first_column[0] + kw, s.stride);
            const VecInt better = v > best;
            best = better ? v : best;
            best_at = better ? ih * s.W + kw + first_column : best_at;
          }
        store_vec(out + oh * W_out + ow, best);
        std::memcpy(arg + oh * W_out + ow, &best_at, sizeof(best_at));
      }
      for (; ow < W_out; ++ow) one(ow);
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

}  // namespace CUDAGRAD_CPU_TARGET
}  // namespace cpu
}  // namespace cudagrad
