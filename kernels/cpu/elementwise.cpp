// Elementwise kernels: one OpenMP-parallel, vectorizable loop each.
#include <cfloat>
#include <cmath>
#include <cstring>

#include "kernels/cpu/kernels.h"
#include "kernels/cpu/parallel.h"
#include "kernels/philox.h"

namespace cudagrad {
namespace cpu {
namespace CUDAGRAD_CPU_TARGET {

void fill(int64_t n, float value, float* y) {
#pragma omp parallel for simd schedule(static) if (n >= kMinParallelWork)
  for (int64_t i = 0; i < n; ++i) y[i] = value;
}

void add(int64_t n, const float* a, const float* b, float* y) {
#pragma omp parallel for simd schedule(static) if (n >= kMinParallelWork)
  for (int64_t i = 0; i < n; ++i) y[i] = a[i] + b[i];
}

void accumulate(int64_t n, const float* x, float* y) {
#pragma omp parallel for simd schedule(static) if (n >= kMinParallelWork)
  for (int64_t i = 0; i < n; ++i) y[i] += x[i];
}

// |x| <= FLT_MAX is false exactly for NaN and +-infinity, and unlike
// std::isfinite it is a plain comparison the compiler vectorizes.
void count_non_finite(int64_t n, const float* x, float* count) {
  int64_t bad = 0;
#pragma omp parallel for simd schedule(static) reduction(+ : bad) if (n >= kMinParallelWork)
  for (int64_t i = 0; i < n; ++i) bad += !(std::fabs(x[i]) <= FLT_MAX);
  *count += static_cast<float>(bad);
}

void relu_forward(int64_t n, const float* x, float* y) {
#pragma omp parallel for simd schedule(static) if (n >= kMinParallelWork)
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] > 0.f ? x[i] : 0.f;
}

void relu_backward(int64_t n, const float* x, const float* dy, float* dx) {
#pragma omp parallel for simd schedule(static) if (n >= kMinParallelWork)
  for (int64_t i = 0; i < n; ++i) dx[i] = x[i] > 0.f ? dy[i] : 0.f;
}

// The same counter-based draw as the reference: element i is kept iff
// philox_uniform(seed, offset + i) >= p, whichever thread computes it.
void dropout_forward(int64_t n, float p, uint64_t seed, uint64_t offset, const float* x, float* y,
                     float* mask) {
  const float scale = 1.f / (1.f - p);
#pragma omp parallel for schedule(static) if (n >= kMinParallelWork)
  for (int64_t i = 0; i < n; ++i) {
    mask[i] = philox_uniform(seed, offset + i) >= p ? scale : 0.f;
    y[i] = x[i] * mask[i];
  }
}

void dropout_backward(int64_t n, const float* dy, const float* mask, float* dx) {
#pragma omp parallel for simd schedule(static) if (n >= kMinParallelWork)
  for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] * mask[i];
}

// inputs[i] (N, channels[i], HW) -> y (N, sum channels, HW): per image, the
// inputs' blocks are contiguous, so each is one memcpy.
void concat_channels_forward(int N, int HW, int count, const float* const* inputs,
                             const int* channels, float* y) {
  int total = 0;
  for (int i = 0; i < count; ++i) total += channels[i];
  for (int n = 0; n < N; ++n) {
    float* out = y + static_cast<int64_t>(n) * total * HW;
    for (int i = 0; i < count; ++i) {
      const int64_t block = static_cast<int64_t>(channels[i]) * HW;
      std::memcpy(out, inputs[i] + n * block, block * sizeof(float));
      out += block;
    }
  }
}

void concat_channels_backward(int N, int HW, int count, const float* dy, const int* channels,
                              float* const* dxs) {
  int total = 0;
  for (int i = 0; i < count; ++i) total += channels[i];
  for (int n = 0; n < N; ++n) {
    const float* in = dy + static_cast<int64_t>(n) * total * HW;
    for (int i = 0; i < count; ++i) {
      const int64_t block = static_cast<int64_t>(channels[i]) * HW;
      std::memcpy(dxs[i] + n * block, in, block * sizeof(float));
      in += block;
    }
  }
}

}  // namespace CUDAGRAD_CPU_TARGET
}  // namespace cpu
}  // namespace cudagrad
