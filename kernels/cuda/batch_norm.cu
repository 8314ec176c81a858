// Batch normalization of an NCHW tensor, per channel c over the M = N*H*W
// values x[n, c, :, :]:
//   xhat = (x - mean_c) / sqrt(var_c + eps),   y = gamma_c * xhat + beta_c
//
// Two launch shapes for training, chosen by how many blocks the channels give:
//
// * One block per channel (C >= kTargetBlocks, or channels too small to cut):
//   grid C, 256 threads (fewer, in whole warps, for small channels). The
//   block strides over its channel's M values; every sum over the channel is
//   a block reduction (block_sum), so the whole layer is one launch with no
//   second kernel and no atomics. Statistics in two passes, first the mean,
//   then the mean of (x - mean)^2: the one-pass E[x^2] - E[x]^2 loses its
//   digits to cancellation when |mean| is large against the spread.
//
// * Several blocks per channel (the first layers of ResNet and MobileNet:
//   64 or 32 channels of 401,408 values would be 64 or 32 blocks on 132
//   SMs): grid (C, chunks), each block one contiguous chunk of the channel,
//   with chunks chosen so that C * chunks >= kTargetBlocks. Two launches:
//     forward   1. stats: each block its chunk's count n_b, mean m_b and
//                  M2_b = sum (x - m_b)^2 (two passes over the chunk), into
//                  a scratch buffer;
//               2. normalize: every thread merges the chunks' triples (Chan
//                  et al.: mean = sum n_b m_b / M,
//                  M2 = sum M2_b + n_b (m_b - mean)^2, exact and stable),
//                  then its block normalizes its chunk;
//     backward  1. the chunk's sums of g and g * xhat;
//               2. every thread adds the chunks' sums, its block writes dx.
//   No atomics: the result does not depend on the order blocks run in.
//
// The loops walk a channel's values with incremental indices (ChannelWalk):
// value j of channel c is x[(n*C + c)*HW + i] with n = j / HW, i = j % HW; a
// thread divides once to find its first (n, i) and then only adds, where a
// division per value (a 64-bit one at that) would cost more than the load.
//
// The fused batch norm + ReLU variants are the same kernels with a flag:
// the forward clamps y at zero as it writes it, the backward reads y to pass
// dy on only where y > 0.
//
// Evaluation is elementwise with the running statistics: one thread per
// element, grid-stride.
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/host_functions.h"
#include "kernels/cuda/scratch.cuh"

namespace cudagrad {
namespace CUDAGRAD_CUDA_NAMESPACE {

namespace {

constexpr int kThreads = 256;
constexpr int kTargetBlocks = 264;  // two per SM of an H100 (132 SMs)
constexpr int kMinChunk = 2048;     // values per block, at least, when a channel is cut

// The values j = begin, begin + stride, ... < end of one channel, as (n, i)
// with j = n*HW + i, advanced by additions only.
struct ChannelWalk {
  int64_t j, end;
  int n, i, HW, step_n, step_i;
  __device__ ChannelWalk(int64_t begin, int64_t end_, int stride, int HW_)
      : j(begin), end(end_), n(HW_ > 0 ? static_cast<int>(begin / HW_) : 0),
        i(HW_ > 0 ? static_cast<int>(begin % HW_) : 0), HW(HW_),
        step_n(HW_ > 0 ? stride / HW_ : 0), step_i(HW_ > 0 ? stride % HW_ : 0) {}
  __device__ bool more() const { return j < end; }
  // Where value j of channel c of C sits in the NCHW tensor.
  __device__ int64_t at(int c, int C) const { return (static_cast<int64_t>(n) * C + c) * HW + i; }
  __device__ void next(int stride) {
    j += stride;
    n += step_n;
    i += step_i;
    if (i >= HW) {
      i -= HW;
      ++n;
    }
  }
};

// The chunk [begin, end) of its channel that block (c, b) of a multi-block launch covers.
__device__ __forceinline__ void chunk_of_block(int64_t M, int64_t chunk, int64_t& begin,
                                               int64_t& end) {
  begin = blockIdx.y * chunk;
  end = min(M, begin + chunk);
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
  const int c = blockIdx.x, HW = s.H * s.W, stride = blockDim.x;
  const int64_t M = static_cast<int64_t>(s.N) * HW;
  float sum = 0.0f;
  for (ChannelWalk v(threadIdx.x, M, stride, HW); v.more(); v.next(stride)) sum += x[v.at(c, s.C)];
  const float mean = block_sum(sum, scratch) / static_cast<float>(M);
  float squares = 0.0f;
  for (ChannelWalk v(threadIdx.x, M, stride, HW); v.more(); v.next(stride)) {
    const float d = x[v.at(c, s.C)] - mean;
    squares += d * d;
  }
  const float var = block_sum(squares, scratch) / static_cast<float>(M);
  const float invstd = rsqrtf(var + eps);
  const float scale = gamma[c] * invstd, shift = beta[c] - mean * scale;
  for (ChannelWalk v(threadIdx.x, M, stride, HW); v.more(); v.next(stride)) {
    const int64_t i = v.at(c, s.C);
    const float value = x[i] * scale + shift;
    y[i] = relu ? (value > 0.0f ? value : 0.0f) : value;
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
// Index is int32_t when the tensor has fewer than 2^31 elements (the channel
// of element i, i / HW % C, is then two 32-bit divisions), else int64_t.
template <class Index>
__global__ void batch_norm_forward_eval_kernel(Index n, int C, Index HW, const float* x,
                                               const float* gamma, const float* beta,
                                               const float* running_mean,
                                               const float* running_var, float eps, float* y) {
  const Index stride = static_cast<Index>(gridDim.x) * blockDim.x;
  for (Index i = static_cast<Index>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
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
  const int c = blockIdx.x, HW = s.H * s.W, stride = blockDim.x;
  const int64_t M = static_cast<int64_t>(s.N) * HW;
  const float mean = save_mean[c], invstd = save_invstd[c];
  float sum_dy = 0.0f, sum_dy_xhat = 0.0f;
  for (ChannelWalk v(threadIdx.x, M, stride, HW); v.more(); v.next(stride)) {
    const int64_t i = v.at(c, s.C);
    const float g = gradient_through_relu(dy, relu_y, i);
    sum_dy += g;
    sum_dy_xhat += g * (x[i] - mean) * invstd;
  }
  sum_dy = block_sum(sum_dy, scratch);
  sum_dy_xhat = block_sum(sum_dy_xhat, scratch);
  const float m = static_cast<float>(M);
  const float k = gamma[c] * invstd / m;
  for (ChannelWalk v(threadIdx.x, M, stride, HW); v.more(); v.next(stride)) {
    const int64_t i = v.at(c, s.C);
    const float xhat = (x[i] - mean) * invstd;
    dx[i] = k * (m * gradient_through_relu(dy, relu_y, i) - sum_dy - xhat * sum_dy_xhat);
  }
  if (threadIdx.x == 0) {
    dgamma[c] = sum_dy_xhat;
    dbeta[c] = sum_dy;
  }
}

// ---- several blocks per channel ------------------------------------------------------
// partial (C, chunks, 2): per chunk (mean, M2) in the forward pass, (sum g, sum g*xhat) backward.

// Block (c, b): the count, mean and M2 of chunk b of channel c.
// x (N, C, H, W), partial (C, chunks, 2)
__global__ void batch_norm_chunk_stats_kernel(BatchNormShape s, int64_t chunk, const float* x,
                                              float* partial) {
  __shared__ float scratch[kWarp];
  const int c = blockIdx.x, HW = s.H * s.W, stride = blockDim.x;
  int64_t begin, end;
  chunk_of_block(static_cast<int64_t>(s.N) * HW, chunk, begin, end);
  float sum = 0.0f;
  for (ChannelWalk v(begin + threadIdx.x, end, stride, HW); v.more(); v.next(stride)) {
    sum += x[v.at(c, s.C)];
  }
  const float mean = block_sum(sum, scratch) / static_cast<float>(end - begin);
  float squares = 0.0f;
  for (ChannelWalk v(begin + threadIdx.x, end, stride, HW); v.more(); v.next(stride)) {
    const float d = x[v.at(c, s.C)] - mean;
    squares += d * d;
  }
  squares = block_sum(squares, scratch);
  if (threadIdx.x == 0) {
    float* out = partial + (static_cast<int64_t>(c) * gridDim.y + blockIdx.y) * 2;
    out[0] = mean;
    out[1] = squares;
  }
}

// Block (c, b): merges the chunks' statistics (Chan's formula, above), then
// normalizes chunk b; block (c, 0) also saves the statistics and moves the
// running ones, as batch_norm_forward_train_kernel does.
__global__ void batch_norm_chunk_normalize_kernel(BatchNormShape s, int64_t chunk,
                                                  const float* partial, const float* x,
                                                  const float* gamma, const float* beta, float eps,
                                                  float momentum, float* running_mean,
                                                  float* running_var, float* y, float* save_mean,
                                                  float* save_invstd, bool relu) {
  const int c = blockIdx.x, HW = s.H * s.W, stride = blockDim.x, chunks = gridDim.y;
  const int64_t M = static_cast<int64_t>(s.N) * HW;
  const float* stats = partial + static_cast<int64_t>(c) * chunks * 2;
  float mean = 0.0f;
  for (int b = 0; b < chunks; ++b) {
    mean += static_cast<float>(min(chunk, M - b * chunk)) * stats[2 * b];
  }
  mean /= static_cast<float>(M);
  float m2 = 0.0f;
  for (int b = 0; b < chunks; ++b) {
    const float d = stats[2 * b] - mean;
    m2 += stats[2 * b + 1] + static_cast<float>(min(chunk, M - b * chunk)) * d * d;
  }
  const float var = m2 / static_cast<float>(M);
  const float invstd = rsqrtf(var + eps);
  const float scale = gamma[c] * invstd, shift = beta[c] - mean * scale;
  int64_t begin, end;
  chunk_of_block(M, chunk, begin, end);
  for (ChannelWalk v(begin + threadIdx.x, end, stride, HW); v.more(); v.next(stride)) {
    const int64_t i = v.at(c, s.C);
    const float value = x[i] * scale + shift;
    y[i] = relu ? (value > 0.0f ? value : 0.0f) : value;
  }
  if (blockIdx.y == 0 && threadIdx.x == 0) {
    const float unbiased = M > 1 ? var * static_cast<float>(M) / static_cast<float>(M - 1) : var;
    running_mean[c] = (1.0f - momentum) * running_mean[c] + momentum * mean;
    running_var[c] = (1.0f - momentum) * running_var[c] + momentum * unbiased;
    save_mean[c] = mean;
    save_invstd[c] = invstd;
  }
}

// Block (c, b): chunk b's sums of g and g * xhat.
// dy, relu_y, x (N, C, H, W); save_mean, save_invstd (C); partial (C, chunks, 2)
__global__ void batch_norm_chunk_backward_sums_kernel(BatchNormShape s, int64_t chunk,
                                                      const float* dy, const float* relu_y,
                                                      const float* x, const float* save_mean,
                                                      const float* save_invstd, float* partial) {
  __shared__ float scratch[kWarp];
  const int c = blockIdx.x, HW = s.H * s.W, stride = blockDim.x;
  const float mean = save_mean[c], invstd = save_invstd[c];
  int64_t begin, end;
  chunk_of_block(static_cast<int64_t>(s.N) * HW, chunk, begin, end);
  float sum_dy = 0.0f, sum_dy_xhat = 0.0f;
  for (ChannelWalk v(begin + threadIdx.x, end, stride, HW); v.more(); v.next(stride)) {
    const int64_t i = v.at(c, s.C);
    const float g = gradient_through_relu(dy, relu_y, i);
    sum_dy += g;
    sum_dy_xhat += g * (x[i] - mean) * invstd;
  }
  sum_dy = block_sum(sum_dy, scratch);
  sum_dy_xhat = block_sum(sum_dy_xhat, scratch);
  if (threadIdx.x == 0) {
    float* out = partial + (static_cast<int64_t>(c) * gridDim.y + blockIdx.y) * 2;
    out[0] = sum_dy;
    out[1] = sum_dy_xhat;
  }
}

// Block (c, b): adds the chunks' sums and writes dx over chunk b; block (c, 0)
// also writes dgamma and dbeta.
__global__ void batch_norm_chunk_backward_dx_kernel(BatchNormShape s, int64_t chunk,
                                                    const float* partial, const float* dy,
                                                    const float* relu_y, const float* x,
                                                    const float* gamma, const float* save_mean,
                                                    const float* save_invstd, float* dx,
                                                    float* dgamma, float* dbeta) {
  const int c = blockIdx.x, HW = s.H * s.W, stride = blockDim.x, chunks = gridDim.y;
  const int64_t M = static_cast<int64_t>(s.N) * HW;
  const float* sums = partial + static_cast<int64_t>(c) * chunks * 2;
  float sum_dy = 0.0f, sum_dy_xhat = 0.0f;
  for (int b = 0; b < chunks; ++b) {
    sum_dy += sums[2 * b];
    sum_dy_xhat += sums[2 * b + 1];
  }
  const float mean = save_mean[c], invstd = save_invstd[c];
  const float m = static_cast<float>(M);
  const float k = gamma[c] * invstd / m;
  int64_t begin, end;
  chunk_of_block(M, chunk, begin, end);
  for (ChannelWalk v(begin + threadIdx.x, end, stride, HW); v.more(); v.next(stride)) {
    const int64_t i = v.at(c, s.C);
    const float xhat = (x[i] - mean) * invstd;
    dx[i] = k * (m * gradient_through_relu(dy, relu_y, i) - sum_dy - xhat * sum_dy_xhat);
  }
  if (blockIdx.y == 0 && threadIdx.x == 0) {
    dgamma[c] = sum_dy_xhat;
    dbeta[c] = sum_dy;
  }
}

// How many chunks to cut each channel into: enough for kTargetBlocks blocks,
// none smaller than kMinChunk values; 1 keeps one block per channel.
int chunks_per_channel(const BatchNormShape& s) {
  const int64_t M = static_cast<int64_t>(s.N) * s.H * s.W;
  const int64_t wanted = (kTargetBlocks + s.C - 1) / s.C, most = M / kMinChunk;
  const int64_t chunks = wanted < most ? wanted : most;
  return chunks > 1 ? static_cast<int>(chunks) : 1;
}

void forward_train(const BatchNormShape& s, const float* x, const float* gamma, const float* beta,
                   float eps, float momentum, float* running_mean, float* running_var, float* y,
                   float* save_mean, float* save_invstd, bool relu) {
  if (s.C == 0) return;
  const int64_t M = static_cast<int64_t>(s.N) * s.H * s.W;
  const int chunks = chunks_per_channel(s);
  if (chunks == 1) {
    CG_LAUNCH(batch_norm_forward_train_kernel, s.C, reduction_threads(M), 0, s, x, gamma, beta,
              eps, momentum, running_mean, running_var, y, save_mean, save_invstd, relu);
    return;
  }
  const int64_t chunk = (M + chunks - 1) / chunks;
  Scratch partial(static_cast<size_t>(s.C) * chunks * 2);
  const dim3 grid(s.C, chunks);
  CG_LAUNCH(batch_norm_chunk_stats_kernel, grid, kThreads, 0, s, chunk, x, partial.data());
  CG_LAUNCH(batch_norm_chunk_normalize_kernel, grid, kThreads, 0, s, chunk, partial.data(), x,
            gamma, beta, eps, momentum, running_mean, running_var, y, save_mean, save_invstd,
            relu);
}

void backward(const BatchNormShape& s, const float* dy, const float* relu_y, const float* x,
              const float* gamma, const float* save_mean, const float* save_invstd, float* dx,
              float* dgamma, float* dbeta) {
  if (s.C == 0) return;
  const int64_t M = static_cast<int64_t>(s.N) * s.H * s.W;
  const int chunks = chunks_per_channel(s);
  if (chunks == 1) {
    CG_LAUNCH(batch_norm_backward_kernel, s.C, reduction_threads(M), 0, s, dy, relu_y, x, gamma,
              save_mean, save_invstd, dx, dgamma, dbeta);
    return;
  }
  const int64_t chunk = (M + chunks - 1) / chunks;
  Scratch partial(static_cast<size_t>(s.C) * chunks * 2);
  const dim3 grid(s.C, chunks);
  CG_LAUNCH(batch_norm_chunk_backward_sums_kernel, grid, kThreads, 0, s, chunk, dy, relu_y, x,
            save_mean, save_invstd, partial.data());
  CG_LAUNCH(batch_norm_chunk_backward_dx_kernel, grid, kThreads, 0, s, chunk, partial.data(), dy,
            relu_y, x, gamma, save_mean, save_invstd, dx, dgamma, dbeta);
}

}  // namespace

void batch_norm_forward_train(const BatchNormShape& s, const float* x, const float* gamma,
                              const float* beta, float eps, float momentum, float* running_mean,
                              float* running_var, float* y, float* save_mean, float* save_invstd) {
  forward_train(s, x, gamma, beta, eps, momentum, running_mean, running_var, y, save_mean,
                save_invstd, false);
}

void batch_norm_relu_forward_train(const BatchNormShape& s, const float* x, const float* gamma,
                                   const float* beta, float eps, float momentum,
                                   float* running_mean, float* running_var, float* y,
                                   float* save_mean, float* save_invstd) {
  forward_train(s, x, gamma, beta, eps, momentum, running_mean, running_var, y, save_mean,
                save_invstd, true);
}

void batch_norm_forward_eval(const BatchNormShape& s, const float* x, const float* gamma,
                             const float* beta, const float* running_mean,
                             const float* running_var, float eps, float* y) {
  const int64_t HW = static_cast<int64_t>(s.H) * s.W, n = s.N * s.C * HW;
  if (n == 0) return;
  if (n < (int64_t{1} << 31)) {
    auto batch_norm_forward_eval_i32 = batch_norm_forward_eval_kernel<int32_t>;
    CG_LAUNCH(batch_norm_forward_eval_i32, blocks_for(n, kThreads), kThreads, 0,
              static_cast<int32_t>(n), s.C, static_cast<int32_t>(HW), x, gamma, beta,
              running_mean, running_var, eps, y);
  } else {
    auto batch_norm_forward_eval_i64 = batch_norm_forward_eval_kernel<int64_t>;
    CG_LAUNCH(batch_norm_forward_eval_i64, blocks_for(n, kThreads), kThreads, 0, n, s.C, HW, x,
              gamma, beta, running_mean, running_var, eps, y);
  }
}

void batch_norm_backward(const BatchNormShape& s, const float* dy, const float* x,
                         const float* gamma, const float* save_mean, const float* save_invstd,
                         float* dx, float* dgamma, float* dbeta) {
  backward(s, dy, nullptr, x, gamma, save_mean, save_invstd, dx, dgamma, dbeta);
}

void batch_norm_relu_backward(const BatchNormShape& s, const float* dy, const float* x,
                              const float* y, const float* gamma, const float* save_mean,
                              const float* save_invstd, float* dx, float* dgamma, float* dbeta) {
  backward(s, dy, y, x, gamma, save_mean, save_invstd, dx, dgamma, dbeta);
}

}  // namespace CUDAGRAD_CUDA_NAMESPACE
}  // namespace cudagrad
