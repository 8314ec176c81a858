// ReLU and inverted dropout, elementwise on flat arrays of n floats.
//
// Launch: one thread per element, 256 threads per block, grid-stride loops
// (coalesced, nothing to tile). Dropout draws element i's number from the
// counter-based Philox generator at counter offset + i (kernels/philox.h),
// the same call the reference makes, so the masks agree bit for bit no matter
// which thread handles which element.
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/host_functions.h"
#include "kernels/philox.h"

namespace cudagrad {
namespace CUDAGRAD_CUDA_NAMESPACE {

namespace {

constexpr int kThreads = 256;

// y = max(x, 0)
__global__ void relu_forward_kernel(int64_t n, const float* x, float* y) {
  for (int64_t i = first_index(); i < n; i += grid_stride()) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

// dx = dy * (x > 0)
__global__ void relu_backward_kernel(int64_t n, const float* x, const float* dy, float* dx) {
  for (int64_t i = first_index(); i < n; i += grid_stride()) dx[i] = x[i] > 0.0f ? dy[i] : 0.0f;
}

// Keep element i iff philox_uniform(seed, offset + i) >= p; mask = 1/(1-p) or 0; y = x * mask.
__global__ void dropout_forward_kernel(int64_t n, float p, uint64_t seed, uint64_t offset,
                                       const float* x, float* y, float* mask) {
  const float scale = 1.0f / (1.0f - p);
  for (int64_t i = first_index(); i < n; i += grid_stride()) {
    const bool keep = philox_uniform(seed, offset + static_cast<uint64_t>(i)) >= p;
    const float m = keep ? scale : 0.0f;
    mask[i] = m;
    y[i] = x[i] * m;
  }
}

// dx = dy * mask
__global__ void dropout_backward_kernel(int64_t n, const float* dy, const float* mask, float* dx) {
  for (int64_t i = first_index(); i < n; i += grid_stride()) dx[i] = dy[i] * mask[i];
}

}  // namespace

void relu_forward(int64_t n, const float* x, float* y) {
  if (n == 0) return;
  CG_LAUNCH(relu_forward_kernel, blocks_for(n, kThreads), kThreads, 0, n, x, y);
}

void relu_backward(int64_t n, const float* x, const float* dy, float* dx) {
  if (n == 0) return;
  CG_LAUNCH(relu_backward_kernel, blocks_for(n, kThreads), kThreads, 0, n, x, dy, dx);
}

void dropout_forward(int64_t n, float p, uint64_t seed, uint64_t offset, const float* x, float* y,
                     float* mask) {
  if (n == 0) return;
  CG_LAUNCH(dropout_forward_kernel, blocks_for(n, kThreads), kThreads, 0, n, p, seed, offset, x,
            y, mask);
}

void dropout_backward(int64_t n, const float* dy, const float* mask, float* dx) {
  if (n == 0) return;
  CG_LAUNCH(dropout_backward_kernel, blocks_for(n, kThreads), kThreads, 0, n, dy, mask, dx);
}

}  // namespace CUDAGRAD_CUDA_NAMESPACE
}  // namespace cudagrad
