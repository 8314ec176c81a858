// Batch normalization of an NCHW tensor, per channel c over the M = N*H*W
// values x[n, c, :, :]:
//   xhat = (x - mean_c) / sqrt(var_c + eps),   y = gamma_c * xhat + beta_c
//
// Launch (training forward and backward): one block per channel, of 256
// threads (fewer, in whole warps, when the channel has fewer values). The block's threads stride over the channel's M values, and each
// sum over the channel is a block reduction (block_sum: shuffles within each
// warp, then one value per warp through shared memory). One block per channel
// keeps every statistic inside a block, with no second kernel and no atomics;
// the cost is that a layer with few channels and large planes uses few of the
// GPU's multiprocessors (a faster version splits each channel over several
// blocks and combines their partial sums in a second pass).
//
// Statistics: two passes, first the mean, then the mean of (x - mean)^2.
// The one-pass formula E[x^2] - E[x]^2 loses all its digits to cancellation
// when |mean| is large against the spread; Welford's running update is
// stable in one pass, but merging (count, mean, M2) triples across threads
// and warps is harder to read. The two-pass version reads x once more (the
// third read normalizes), usually from the L2 cache.
//
// The fused batch norm + ReLU variants are the same kernels with a flag:
// the forward clamps y at zero as it writes it, the backward reads y to pass
// dy on only where y > 0.
//
// Evaluation is elementwise with the running statistics: one thread per
// element, grid-stride.
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/host_functions.h"

namespace cudagrad {
namespace CUDAGRAD_CUDA_NAMESPACE {

namespace {

constexpr int kThreads = 256;

// The flat index of the j-th value of channel c: (n, c, i) with n = j / HW, i = j % HW.
__device__ __forceinline__ int64_t channel_index(int64_t j, int c, int C, int64_t HW) {
  return (j / HW * C + c) * HW + j % HW;
}

// Normalizes with the batch mean and biased variance; moves the running
// statistics toward the batch with the unbiased variance (M / (M - 1)):
//   running = (1 - momentum) * running + momentum * batch
// x, y (N, C, H, W); gamma, beta, running_*, save_mean, save_invstd (C)
__global__ void batch_norm_forward_train_kernel(BatchNormShape s, const float* x,
                                                const float* gamma, const float* beta, float eps,
                                                float momentum, float* running_mean,
                                                float* running_var, float* y, float* save_mean,
                                                float* save_invstd, bool relu) {
  __shared__ float scratch[kWarp];
  const int c = blockIdx.x;
  const int64_t HW = static_cast<int64_t>(s.H) * s.W, M = s.N * HW;
  float sum = 0.0f;
  for (int64_t j = threadIdx.x; j < M; j += blockDim.x) sum += x[channel_index(j, c, s.C, HW)];
  const float mean = block_sum(sum, scratch) / static_cast<float>(M);
  float squares = 0.0f;
  for (int64_t j = threadIdx.x; j < M; j += blockDim.x) {
    const float d = x[channel_index(j, c, s.C, HW)] - mean;
    squares += d * d;
  }
  const float var = block_sum(squares, scratch) / static_cast<float>(M);
  const float invstd = rsqrtf(var + eps);
  const float scale = gamma[c] * invstd, shift = beta[c] - mean * scale;
  for (int64_t j = threadIdx.x; j < M; j += blockDim.x) {
    const int64_t i = channel_index(j, c, s.C, HW);
    const float v = x[i] * scale + shift;
    y[i] = relu ? (v > 0.0f ? v : 0.0f) : v;
  }
  if (threadIdx.x == 0) {
    // M == 1 has no unbiased variance; keep the biased one (as the reference does).
    const float unbiased = M > 1 ? var * static_cast<float>(M) / static_cast<float>(M - 1) : var;
    running_mean[c] = (1.0f - momentum) * running_mean[c] + momentum * mean;
    running_var[c] = (1.0f - momentum) * running_var[c] + momentum * unbiased;
    save_mean[c] = mean;
    save_invstd[c] = invstd;
  }
}

//   y = gamma (x - running_mean) / sqrt(running_var + eps) + beta
// x, y (N, C, H, W); gamma, beta, running_mean, running_var (C)
__global__ void batch_norm_forward_eval_kernel(int64_t n, int C, int64_t HW, const float* x,
                                               const float* gamma, const float* beta,
                                               const float* running_mean,
                                               const float* running_var, float eps, float* y) {
  for (int64_t i = first_index(); i < n; i += grid_stride()) {
    const int c = static_cast<int>(i / HW % C);
    const float scale = gamma[c] * rsqrtf(running_var[c] + eps);
    y[i] = (x[i] - running_mean[c]) * scale + beta[c];
  }
}

// With sums over the channel's M values:
//   dbeta = sum g,  dgamma = sum g * xhat
//   dx = gamma * invstd / M * (M * g - dbeta - xhat * dgamma)
// where g = dy, or behind a fused ReLU (relu_y not null) g = dy * (relu_y > 0).
// dy, x, relu_y, dx (N, C, H, W); gamma, save_mean, save_invstd, dgamma, dbeta (C)
__device__ __forceinline__ float gradient_through_relu(const float* dy, const float* relu_y,
                                                       int64_t i) {
  return relu_y && !(relu_y[i] > 0.0f) ? 0.0f : dy[i];
}

__global__ void batch_norm_backward_kernel(BatchNormShape s, const float* dy, const float* relu_y,
                                           const float* x, const float* gamma,
                                           const float* save_mean,
                                           const float* save_invstd, float* dx, float* dgamma,
                                           float* dbeta) {
  __shared__ float scratch[kWarp];
  const int c = blockIdx.x;
  const int64_t HW = static_cast<int64_t>(s.H) * s.W, M = s.N * HW;
  const float mean = save_mean[c], invstd = save_invstd[c];
  float sum_dy = 0.0f, sum_dy_xhat = 0.0f;
  for (int64_t j = threadIdx.x; j < M; j += blockDim.x) {
    const int64_t i = channel_index(j, c, s.C, HW);
    const float g = gradient_through_relu(dy, relu_y, i);
    sum_dy += g;
    sum_dy_xhat += g * (x[i] - mean) * invstd;
  }
  sum_dy = block_sum(sum_dy, scratch);
  sum_dy_xhat = block_sum(sum_dy_xhat, scratch);
  const float m = static_cast<float>(M);
  const float k = gamma[c] * invstd / m;
  for (int64_t j = threadIdx.x; j < M; j += blockDim.x) {
    const int64_t i = channel_index(j, c, s.C, HW);
    const float xhat = (x[i] - mean) * invstd;
    dx[i] = k * (m * gradient_through_relu(dy, relu_y, i) - sum_dy - xhat * sum_dy_xhat);
  }
  if (threadIdx.x == 0) {
    dgamma[c] = sum_dy_xhat;
    dbeta[c] = sum_dy;
  }
}

}  // namespace

void batch_norm_forward_train(const BatchNormShape& s, const float* x, const float* gamma,
                              const float* beta, float eps, float momentum, float* running_mean,
                              float* running_var, float* y, float* save_mean, float* save_invstd) {
  if (s.C == 0) return;
  const int threads = reduction_threads(static_cast<int64_t>(s.N) * s.H * s.W);
  CG_LAUNCH(batch_norm_forward_train_kernel, s.C, threads, 0, s, x, gamma, beta, eps, momentum,
            running_mean, running_var, y, save_mean, save_invstd, false);
}

void batch_norm_relu_forward_train(const BatchNormShape& s, const float* x, const float* gamma,
                                   const float* beta, float eps, float momentum,
                                   float* running_mean, float* running_var, float* y,
                                   float* save_mean, float* save_invstd) {
  if (s.C == 0) return;
  const int threads = reduction_threads(static_cast<int64_t>(s.N) * s.H * s.W);
  CG_LAUNCH(batch_norm_forward_train_kernel, s.C, threads, 0, s, x, gamma, beta, eps, momentum,
            running_mean, running_var, y, save_mean, save_invstd, true);
}

void batch_norm_forward_eval(const BatchNormShape& s, const float* x, const float* gamma,
                             const float* beta, const float* running_mean,
                             const float* running_var, float eps, float* y) {
  const int64_t HW = static_cast<int64_t>(s.H) * s.W, n = s.N * s.C * HW;
  if (n == 0) return;
  CG_LAUNCH(batch_norm_forward_eval_kernel, blocks_for(n, kThreads), kThreads, 0, n, s.C, HW, x,
            gamma, beta, running_mean, running_var, eps, y);
}

void batch_norm_backward(const BatchNormShape& s, const float* dy, const float* x,
                         const float* gamma, const float* save_mean, const float* save_invstd,
                         float* dx, float* dgamma, float* dbeta) {
  if (s.C == 0) return;
  const int threads = reduction_threads(static_cast<int64_t>(s.N) * s.H * s.W);
  CG_LAUNCH(batch_norm_backward_kernel, s.C, threads, 0, s, dy, nullptr, x, gamma, save_mean,
            save_invstd, dx, dgamma, dbeta);
}

void batch_norm_relu_backward(const BatchNormShape& s, const float* dy, const float* x,
                              const float* y, const float* gamma, const float* save_mean,
                              const float* save_invstd, float* dx, float* dgamma, float* dbeta) {
  if (s.C == 0) return;
  const int threads = reduction_threads(static_cast<int64_t>(s.N) * s.H * s.W);
  CG_LAUNCH(batch_norm_backward_kernel, s.C, threads, 0, s, dy, y, x, gamma, save_mean,
            save_invstd, dx, dgamma, dbeta);
}

}  // namespace CUDAGRAD_CUDA_NAMESPACE
}  // namespace cudagrad
