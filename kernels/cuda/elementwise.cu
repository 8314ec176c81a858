// Elementwise arithmetic on flat arrays, and concatenation along channels.
//
// Launch: one thread per element, 256 threads per block, a grid-stride loop
// (kernels/cuda/common.cuh) so a capped grid covers any n. Neighbouring
// threads touch neighbouring floats, so every warp's loads and stores are
// coalesced into a few 128-byte transactions; there is nothing to tile.
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/host_functions.h"

namespace cudagrad {
namespace CUDAGRAD_CUDA_NAMESPACE {

namespace {

constexpr int kThreads = 256;

// y (n) = value
__global__ void fill_kernel(int64_t n, float value, float* y) {
  for (int64_t i = first_index(); i < n; i += grid_stride()) y[i] = value;
}

// y (n) = a (n) + b (n); y may alias a or b.
__global__ void add_kernel(int64_t n, const float* a, const float* b, float* y) {
  for (int64_t i = first_index(); i < n; i += grid_stride()) y[i] = a[i] + b[i];
}

// y (n) += x (n)
__global__ void accumulate_kernel(int64_t n, const float* x, float* y) {
  for (int64_t i = first_index(); i < n; i += grid_stride()) y[i] += x[i];
}

// Concatenation along channels moves, for each sample n, a contiguous slice
// of `slice` = C_k * HW floats between input k (N, slice) and its place in
// the output (N, row), `offset` floats into each row of `row` = C * HW.
// One launch per input: there are few inputs and each is a big copy.
//   y[n, offset + j] = x[n, j]
__global__ void copy_into_rows_kernel(int N, int64_t slice, int64_t row, int64_t offset,
                                      const float* x, float* y) {
  const int64_t total = static_cast<int64_t>(N) * slice;
  for (int64_t i = first_index(); i < total; i += grid_stride()) {
    y[i / slice * row + offset + i % slice] = x[i];
  }
}

//   x[n, j] = y[n, offset + j]
__global__ void copy_from_rows_kernel(int N, int64_t slice, int64_t row, int64_t offset,
                                      const float* y, float* x) {
  const int64_t total = static_cast<int64_t>(N) * slice;
  for (int64_t i = first_index(); i < total; i += grid_stride()) {
    x[i] = y[i / slice * row + offset + i % slice];
  }
}

}  // namespace

void fill(int64_t n, float value, float* y) {
  if (n == 0) return;
  CG_LAUNCH(fill_kernel, blocks_for(n, kThreads), kThreads, 0, n, value, y);
}

void add(int64_t n, const float* a, const float* b, float* y) {
  if (n == 0) return;
  CG_LAUNCH(add_kernel, blocks_for(n, kThreads), kThreads, 0, n, a, b, y);
}

void accumulate(int64_t n, const float* x, float* y) {
  if (n == 0) return;
  CG_LAUNCH(accumulate_kernel, blocks_for(n, kThreads), kThreads, 0, n, x, y);
}

// inputs[k] (N, channels[k], HW) -> y (N, sum_k channels[k], HW)
void concat_channels_forward(int N, int HW, int count, const float* const* inputs,
                             const int* channels, float* y) {
  int64_t row = 0;
  for (int k = 0; k < count; ++k) row += static_cast<int64_t>(channels[k]) * HW;
  int64_t offset = 0;
  for (int k = 0; k < count; ++k) {
    const int64_t slice = static_cast<int64_t>(channels[k]) * HW;
    if (N > 0 && slice > 0) {
      CG_LAUNCH(copy_into_rows_kernel, blocks_for(N * slice, kThreads), kThreads, 0, N, slice,
                row, offset, inputs[k], y);
    }
    offset += slice;
  }
}

// dy (N, sum_k channels[k], HW) -> dxs[k] (N, channels[k], HW)
void concat_channels_backward(int N, int HW, int count, const float* dy, const int* channels,
                              float* const* dxs) {
  int64_t row = 0;
  for (int k = 0; k < count; ++k) row += static_cast<int64_t>(channels[k]) * HW;
  int64_t offset = 0;
  for (int k = 0; k < count; ++k) {
    const int64_t slice = static_cast<int64_t>(channels[k]) * HW;
    if (N > 0 && slice > 0) {
      CG_LAUNCH(copy_from_rows_kernel, blocks_for(N * slice, kThreads), kThreads, 0, N, slice,
                row, offset, dy, dxs[k]);
    }
    offset += slice;
  }
}

}  // namespace CUDAGRAD_CUDA_NAMESPACE
}  // namespace cudagrad
