// Elementwise arithmetic on flat arrays, and concatenation along channels
// (a pure copy, kept here because it touches every element once).
#include "kernels/reference/reference.h"

namespace cudagrad {
namespace reference {

// y (n) = value
void fill(int64_t n, float value, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = value;
}

// y (n) = a (n) + b (n); y may alias a or b.
void add(int64_t n, const float* a, const float* b, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = a[i] + b[i];
}

// y (n) += x (n)
void accumulate(int64_t n, const float* x, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] += x[i];
}

// inputs[k] (N, channels[k], HW) -> y (N, sum_k channels[k], HW).
// For each sample, the inputs' planes are laid end to end.
void concat_channels_forward(int N, int HW, int count, const float* const* inputs,
                             const int* channels, float* y) {
  for (int n = 0; n < N; ++n) {
    for (int k = 0; k < count; ++k) {
      const int64_t len = static_cast<int64_t>(channels[k]) * HW;  // one sample of input k
      const float* src = inputs[k] + n * len;
      for (int64_t i = 0; i < len; ++i) *y++ = src[i];
    }
  }
}

// The backward of a copy is the copy back: dxs[k] (N, channels[k], HW) is
// the slice of dy (N, sum channels, HW) that input k filled.
void concat_channels_backward(int N, int HW, int count, const float* dy, const int* channels,
                              float* const* dxs) {
  for (int n = 0; n < N; ++n) {
    for (int k = 0; k < count; ++k) {
      const int64_t len = static_cast<int64_t>(channels[k]) * HW;
      float* dst = dxs[k] + n * len;
      for (int64_t i = 0; i < len; ++i) dst[i] = *dy++;
    }
  }
}

}  // namespace reference
}  // namespace cudagrad
