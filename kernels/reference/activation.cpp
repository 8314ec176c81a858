// ReLU and inverted dropout, elementwise on flat arrays of n floats.
#include "kernels/philox.h"
#include "kernels/reference/reference.h"

namespace cudagrad {
namespace reference {

// y = max(x, 0)
void relu_forward(int64_t n, const float* x, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] > 0.f ? x[i] : 0.f;
}

// dy/dx is 1 where x > 0 and 0 elsewhere (0 at the kink x == 0, as PyTorch):
//   dx = dy * (x > 0)
void relu_backward(int64_t n, const float* x, const float* dy, float* dx) {
  for (int64_t i = 0; i < n; ++i) dx[i] = x[i] > 0.f ? dy[i] : 0.f;
}

// Element i is kept iff philox_uniform(seed, offset + i) >= p, which happens
// with probability 1 - p; kept elements are scaled by 1 / (1 - p) so that
// E[y] = x. mask (n) holds that factor (0 or 1 / (1 - p)): y = x * mask.
void dropout_forward(int64_t n, float p, uint64_t seed, uint64_t offset, const float* x, float* y,
                     float* mask) {
  const float scale = 1.f / (1.f - p);
  for (int64_t i = 0; i < n; ++i) {
    const bool keep = philox_uniform(seed, offset + static_cast<uint64_t>(i)) >= p;
    mask[i] = keep ? scale : 0.f;
    y[i] = x[i] * mask[i];
  }
}

// y = x * mask, so dx = dy * mask.
void dropout_backward(int64_t n, const float* dy, const float* mask, float* dx) {
  for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] * mask[i];
}

}  // namespace reference
}  // namespace cudagrad
