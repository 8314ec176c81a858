// The classification head: row-wise log-softmax over K classes, and the
// weighted, label-smoothed negative log-likelihood (PyTorch's cross_entropy
// with reduction "mean", which divides by the summed target weights).
//
// log_softmax launch: one warp per row, 4 rows (128 threads) per block,
// ceil(N / 4) blocks. A row's K logits are strided over the 32 lanes, and the
// row maximum and the sum of exponentials are combined across lanes with
// shuffles (warp_max, warp_sum), with no shared memory and no barrier. A warp
// per row suits classification heads, where K is a few to a few thousand.
//
// nll_loss forward launch: one block of up to 1024 threads, a warp per row
// (warps stride over the rows), its lanes over the row's K classes, so
// consecutive lanes read consecutive logits and no thread loops over a
// whole row alone. The loss is a single number over a batch of N rows (tens
// to hundreds), so one block is enough; a block reduction (block_sum)
// combines the warps. (Before: one thread per row, each looping over K.)
//
// nll_loss backward launch: the log_softmax layout, a warp per row, 4 rows
// per block, ceil(N / 4) blocks. Every entry needs the sum of the target
// weights over all N rows, so each block first computes it (N loads; a
// second launch would cost more at these sizes).
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/host_functions.h"

namespace cudagrad {
namespace CUDAGRAD_CUDA_NAMESPACE {

namespace {

constexpr int kRowsPerBlock = 4;

// y[n, j] = x[n, j] - m - log sum_k exp(x[n, k] - m), with m the row maximum,
// so every exp is at most 1 and cannot overflow.
// x, y (N, K)
__global__ void log_softmax_forward_kernel(int N, int K, const float* x, float* y) {
  const int row = blockIdx.x * kRowsPerBlock + threadIdx.x / kWarp;
  const int lane = threadIdx.x % kWarp;
  if (row >= N) return;  // the whole warp leaves together
  const float* in = x + static_cast<int64_t>(row) * K;
  float* out = y + static_cast<int64_t>(row) * K;
  float m = -INFINITY;
  for (int k = lane; k < K; k += kWarp) m = fmaxf(m, in[k]);
  m = warp_max(m);
  float sum = 0.0f;
  for (int k = lane; k < K; k += kWarp) sum += expf(in[k] - m);
  const float log_sum = m + logf(warp_sum(sum));
  for (int k = lane; k < K; k += kWarp) out[k] = in[k] - log_sum;
}

// d logsumexp / dx_k = softmax_k = exp(y_k), so
//   dx_k = dy_k - exp(y_k) * sum_j dy_j
// y, dy, dx (N, K)
__global__ void log_softmax_backward_kernel(int N, int K, const float* y, const float* dy,
                                            float* dx) {
  const int row = blockIdx.x * kRowsPerBlock + threadIdx.x / kWarp;
  const int lane = threadIdx.x % kWarp;
  if (row >= N) return;
  const int64_t base = static_cast<int64_t>(row) * K;
  float sum = 0.0f;
  for (int k = lane; k < K; k += kWarp) sum += dy[base + k];
  sum = warp_sum(sum);
  for (int k = lane; k < K; k += kWarp) dx[base + k] = dy[base + k] - expf(y[base + k]) * sum;
}

__device__ __forceinline__ float class_weight(const float* weights, int c) {
  return weights ? weights[c] : 1.0f;
}

// loss = sum_i [ (1-e) w[t_i] (-logp[i, t_i]) + e/K sum_c w[c] (-logp[i, c]) ] / sum_i w[t_i]
// logp (N, K), targets (N), weights (K) nullable, loss (1)
__global__ void nll_loss_forward_kernel(int N, int K, const float* logp, const int32_t* targets,
                                        const float* weights, float smoothing, float* loss) {
  __shared__ float scratch[kWarp];
  const int lane = threadIdx.x % kWarp, warps = blockDim.x / kWarp;
  float total = 0.0f, target_weight = 0.0f;  // this lane's share
  for (int i = threadIdx.x / kWarp; i < N; i += warps) {
    const float* row = logp + static_cast<int64_t>(i) * K;
    float smooth = 0.0f;
    for (int c = lane; c < K; c += kWarp) smooth -= class_weight(weights, c) * row[c];
    total += smoothing / K * smooth;
    if (lane == 0) {
      const int t = targets[i];
      total += -(1.0f - smoothing) * class_weight(weights, t) * row[t];
      target_weight += class_weight(weights, t);
    }
  }
  total = block_sum(total, scratch);
  target_weight = block_sum(target_weight, scratch);
  if (threadIdx.x == 0) *loss = total / target_weight;
}

// The loss is linear in logp, so each entry's gradient is its coefficient:
//   dlogp[i, c] = -dloss * ( (1-e) w[t_i] [c == t_i] + e/K w[c] ) / sum_i w[t_i]
// The block first sums the target weights, then writes all N*K entries.
// targets (N), weights (K) nullable, dloss (1), dlogp (N, K)
__global__ void nll_loss_backward_kernel(int N, int K, const int32_t* targets,
                                         const float* weights, float smoothing,
                                         const float* dloss, float* dlogp) {
  __shared__ float scratch[kWarp];
  float target_weight = 0.0f;
  for (int i = threadIdx.x; i < N; i += blockDim.x) target_weight += class_weight(weights, targets[i]);
  target_weight = block_sum(target_weight, scratch);
  const int row = blockIdx.x * kRowsPerBlock + threadIdx.x / kWarp;
  const int lane = threadIdx.x % kWarp;
  if (row >= N) return;
  const float scale = -*dloss / target_weight;
  const int t = targets[row];
  float* out = dlogp + static_cast<int64_t>(row) * K;
  for (int c = lane; c < K; c += kWarp) {
    const float on_target = c == t ? (1.0f - smoothing) * class_weight(weights, c) : 0.0f;
    out[c] = scale * (on_target + smoothing / K * class_weight(weights, c));
  }
}

unsigned row_blocks(int N) { return static_cast<unsigned>((N + kRowsPerBlock - 1) / kRowsPerBlock); }

}  // namespace

void log_softmax_forward(int N, int K, const float* x, float* y) {
  if (N == 0 || K == 0) return;
  CG_LAUNCH(log_softmax_forward_kernel, row_blocks(N), kRowsPerBlock * kWarp, 0, N, K, x, y);
}

void log_softmax_backward(int N, int K, const float* y, const float* dy, float* dx) {
  if (N == 0 || K == 0) return;
  CG_LAUNCH(log_softmax_backward_kernel, row_blocks(N), kRowsPerBlock * kWarp, 0, N, K, y, dy,
            dx);
}

void nll_loss_forward(int N, int K, const float* logp, const int32_t* targets,
                      const float* weights, float smoothing, float* loss) {
  const int threads = reduction_threads(static_cast<int64_t>(N) * kWarp, 1024);  // a warp per row
  CG_LAUNCH(nll_loss_forward_kernel, 1, threads, 0, N, K, logp, targets, weights, smoothing, loss);
}

void nll_loss_backward(int N, int K, const int32_t* targets, const float* weights,
                       float smoothing, const float* dloss, float* dlogp) {
  if (N == 0 || K == 0) return;
  CG_LAUNCH(nll_loss_backward_kernel, row_blocks(N), kRowsPerBlock * kWarp, 0, N, K, targets,
            weights, smoothing, dloss, dlogp);
}

}  // namespace CUDAGRAD_CUDA_NAMESPACE
}  // namespace cudagrad
