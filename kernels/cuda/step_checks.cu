// What a training step reads back, counted on the GPU so that one small copy
// replaces a copy of every gradient (see kernels/kernel_table.h):
//
//   count_non_finite:  *count   += #{ i : x[i] is NaN or +-inf }
//   count_correct:     *correct += #{ i : argmax_k logits[i, k] == targets[i] }
//
// Before these kernels, checking ResNet-18's gradients for NaN copied all
// 11.7 million of them (47 MB) to the host in 62 synchronizing copies every
// step; now the step makes one 12-byte copy (engine/step_readback.cpp).
//
// count_non_finite launch: one thread per element, 256 per block, grid-stride
// (blocks_for caps the grid), so consecutive threads read consecutive floats
// (coalesced). Each block sums its threads' counts (block_sum) and one thread
// adds the block's count with one atomicAdd, only when it is not zero: a
// healthy step issues no atomic at all. Counts are sums of whole numbers in
// float, exact below 2^24 per call, and the caller asks only "zero or not".
//
// count_correct launch: one thread per row (a batch has tens to hundreds of
// rows of a few classes: one block, nothing worth tiling), a row's K logits
// read by its thread; then block_sum and one atomicAdd per block.
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/host_functions.h"

namespace cudagrad {
namespace CUDAGRAD_CUDA_NAMESPACE {

namespace {

constexpr int kThreads = 256;

__global__ void count_non_finite_kernel(int64_t n, const float* x, float* count) {
  __shared__ float scratch[kWarp];
  float bad = 0.0f;
  for (int64_t i = first_index(); i < n; i += grid_stride()) bad += isfinite(x[i]) ? 0.0f : 1.0f;
  bad = block_sum(bad, scratch);
  if (threadIdx.x == 0 && bad > 0.0f) atomicAdd(count, bad);
}

// The first of equal maxima, as the reference and torch.argmax.
__global__ void count_correct_kernel(int N, int K, const float* logits, const int32_t* targets,
                                     float* correct) {
  __shared__ float scratch[kWarp];
  const int64_t i = first_index();
  float right = 0.0f;
  if (i < N) {
    const float* row = logits + i * K;
    int best = 0;
    for (int k = 1; k < K; ++k)
      if (row[k] > row[best]) best = k;
    right = best == targets[i] ? 1.0f : 0.0f;
  }
  right = block_sum(right, scratch);  // every thread of the block takes part
  if (threadIdx.x == 0 && right > 0.0f) atomicAdd(correct, right);
}

}  // namespace

void count_non_finite(int64_t n, const float* x, float* count) {
  if (n == 0) return;
  CG_LAUNCH(count_non_finite_kernel, blocks_for(n, kThreads), kThreads, 0, n, x, count);
}

void count_correct(int N, int K, const float* logits, const int32_t* targets, float* correct) {
  if (N == 0) return;
  const int threads = reduction_threads(N, kThreads);
  const unsigned blocks = static_cast<unsigned>((N + threads - 1) / threads);
  CG_LAUNCH(count_correct_kernel, blocks, threads, 0, N, K, logits, targets, correct);
}

}  // namespace CUDAGRAD_CUDA_NAMESPACE
}  // namespace cudagrad
