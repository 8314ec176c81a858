// The classification head: log-softmax over the K classes of each row, and
// the weighted, label-smoothed negative log-likelihood of PyTorch's
// cross_entropy (reduction "mean", which divides by the summed weights).
#include <cmath>

#include "kernels/reference/reference.h"

namespace cudagrad {
namespace reference {

// y[n, j] = x[n, j] - log sum_k exp(x[n, k]). Subtracting the row maximum
// first keeps every exp in (0, 1], so large logits cannot overflow.
// x, y (N, K)
void log_softmax_forward(int N, int K, const float* x, float* y) {
  for (int n = 0; n < N; ++n) {
    const float* row = x + int64_t(n) * K;
    // The largest element, skipping NaNs as std::fmax does. Spelled out:
    // GCC 12 for ARM64 crashes vectorizing an fmax reduction here.
    double max = row[0];
    for (int k = 1; k < K; ++k)
      if (row[k] > max || std::isnan(max)) max = row[k];
    double sum = 0.0;
    for (int k = 0; k < K; ++k) sum += std::exp(row[k] - max);
    const double log_sum = max + std::log(sum);
    for (int k = 0; k < K; ++k) y[int64_t(n) * K + k] = static_cast<float>(row[k] - log_sum);
  }
}

// y_j = x_j - logsumexp(x), and d logsumexp / dx_k = softmax_k = exp(y_k):
//   dx_k = dy_k - exp(y_k) * sum_j dy_j
// y, dy, dx (N, K)
void log_softmax_backward(int N, int K, const float* y, const float* dy, float* dx) {
  for (int n = 0; n < N; ++n) {
    const int64_t row = int64_t(n) * K;
    double sum_dy = 0.0;
    for (int k = 0; k < K; ++k) sum_dy += dy[row + k];
    for (int k = 0; k < K; ++k)
      dx[row + k] = static_cast<float>(dy[row + k] - std::exp(double(y[row + k])) * sum_dy);
  }
}

namespace {
inline double class_weight(const float* weights, int c) { return weights ? weights[c] : 1.0; }
}  // namespace

// With smoothing e, the target of row i is (1 - e) on class t_i plus e/K on
// every class; each class c is weighted by w[c], and the total is divided by
// the weight of the targets, W = sum_i w[t_i]:
//   loss = sum_i [ (1-e) w[t_i] (-logp[i, t_i]) + e/K sum_c w[c] (-logp[i, c]) ] / W
// A batch whose targets all have weight 0 gives 0/0 = NaN, as in PyTorch.
// logp (N, K), targets (N), weights (K) nullable (all ones), loss (1)
void nll_loss_forward(int N, int K, const float* logp, const int32_t* targets,
                      const float* weights, float smoothing, float* loss) {
  const double e = smoothing;
  double total = 0.0, target_weight = 0.0;
  for (int i = 0; i < N; ++i) {
    const float* row = logp + int64_t(i) * K;
    const int t = targets[i];
    double smooth = 0.0;
    for (int c = 0; c < K; ++c) smooth += class_weight(weights, c) * -row[c];
    total += (1.0 - e) * class_weight(weights, t) * -row[t] + e / K * smooth;
    target_weight += class_weight(weights, t);
  }
  *loss = static_cast<float>(total / target_weight);
}

// The loss is linear in logp, so each entry's gradient is its coefficient:
//   dlogp[i, c] = -dloss * ( (1-e) w[t_i] [c == t_i] + e/K w[c] ) / W
// targets (N), weights (K) nullable, dloss (1), dlogp (N, K)
void nll_loss_backward(int N, int K, const int32_t* targets, const float* weights,
                       float smoothing, const float* dloss, float* dlogp) {
  const double e = smoothing;
  double target_weight = 0.0;
  for (int i = 0; i < N; ++i) target_weight += class_weight(weights, targets[i]);
  const double scale = -static_cast<double>(*dloss) / target_weight;
  for (int i = 0; i < N; ++i)
    for (int c = 0; c < K; ++c) {
      const double on_target = c == targets[i] ? (1.0 - e) * class_weight(weights, c) : 0.0;
      dlogp[int64_t(i) * K + c] =
          static_cast<float>(scale * (on_target + e / K * class_weight(weights, c)));
    }
}

}  // namespace reference
}  // namespace cudagrad
