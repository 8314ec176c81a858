// Batch normalization of an NCHW tensor, per channel c over the M = N*H*W
// values x[n, c, :, :]:
//   xhat = (x - mean_c) / sqrt(var_c + eps),   y = gamma_c * xhat + beta_c
// Statistics are summed in double, in two passes (mean, then variance), which
// is the obviously-correct way and loses nothing to cancellation.
#include <cmath>
#include <vector>

#include "kernels/reference/index.h"
#include "kernels/reference/reference.h"

namespace cudagrad {
namespace reference {

namespace {

// Calls f(value_index) for every element of channel c: the N planes (H, W).
template <typename F>
void for_each_in_channel(const BatchNormShape& s, int c, F f) {
  const int64_t HW = int64_t(s.H) * s.W;
  for (int n = 0; n < s.N; ++n)
    for (int64_t i = 0; i < HW; ++i) f(at4(n, c, 0, i, s.C, 1, HW));
}

}  // namespace

// Normalizes with the batch mean and the biased variance (divide by M), and
// moves the running statistics toward the batch (PyTorch's rule, with the
// unbiased variance, divide by M - 1):
//   running_mean = (1 - momentum) running_mean + momentum mean
//   running_var  = (1 - momentum) running_var  + momentum var * M / (M - 1)
// x, y (N, C, H, W); gamma, beta, running_mean, running_var, save_mean, save_invstd (C)
void batch_norm_forward_train(const BatchNormShape& s, const float* x, const float* gamma,
                              const float* beta, float eps, float momentum, float* running_mean,
                              float* running_var, float* y, float* save_mean, float* save_invstd) {
  const double M = double(s.N) * s.H * s.W;
  for (int c = 0; c < s.C; ++c) {
    double sum = 0.0;
    for_each_in_channel(s, c, [&](int64_t i) { sum += x[i]; });
    const double mean = sum / M;
    double squares = 0.0;
    for_each_in_channel(s, c, [&](int64_t i) { squares += (x[i] - mean) * (x[i] - mean); });
    const double var = squares / M;
    const double invstd = 1.0 / std::sqrt(var + eps);
    for_each_in_channel(s, c, [&](int64_t i) {
      y[i] = static_cast<float>(gamma[c] * (x[i] - mean) * invstd + beta[c]);
    });
    // M == 1 has no unbiased variance (PyTorch refuses to train on it); keep var.
    const double unbiased_var = M > 1 ? var * M / (M - 1) : var;
    const double m = momentum;
    running_mean[c] = static_cast<float>((1.0 - m) * running_mean[c] + m * mean);
    running_var[c] = static_cast<float>((1.0 - m) * running_var[c] + m * unbiased_var);
    save_mean[c] = static_cast<float>(mean);
    save_invstd[c] = static_cast<float>(invstd);
  }
}

// Evaluation uses the running statistics, so each sample is normalized on
// its own, independently of the rest of the batch:
//   y = gamma (x - running_mean) / sqrt(running_var + eps) + beta
// x, y (N, C, H, W); gamma, beta, running_mean, running_var (C)
void batch_norm_forward_eval(const BatchNormShape& s, const float* x, const float* gamma,
                             const float* beta, const float* running_mean,
                             const float* running_var, float eps, float* y) {
  for (int c = 0; c < s.C; ++c) {
    const double invstd = 1.0 / std::sqrt(static_cast<double>(running_var[c]) + eps);
    for_each_in_channel(s, c, [&](int64_t i) {
      y[i] = static_cast<float>(gamma[c] * (x[i] - running_mean[c]) * invstd + beta[c]);
    });
  }
}

// The batch statistics depend on every x of the channel, which gives (with
// sums over the channel's M values):
//   dbeta  = sum dy,   dgamma = sum dy * xhat
//   dx = gamma * invstd / M * (M * dy - dbeta - xhat * dgamma)
// dy, x, dx (N, C, H, W); gamma, save_mean, save_invstd, dgamma, dbeta (C)
void batch_norm_backward(const BatchNormShape& s, const float* dy, const float* x,
                         const float* gamma, const float* save_mean, const float* save_invstd,
                         float* dx, float* dgamma, float* dbeta) {
  const double M = double(s.N) * s.H * s.W;
  for (int c = 0; c < s.C; ++c) {
    const double mean = save_mean[c], invstd = save_invstd[c];
    double sum_dy = 0.0, sum_dy_xhat = 0.0;
    for_each_in_channel(s, c, [&](int64_t i) {
      sum_dy += dy[i];
      sum_dy_xhat += dy[i] * (x[i] - mean) * invstd;
    });
    for_each_in_channel(s, c, [&](int64_t i) {
      const double xhat = (x[i] - mean) * invstd;
      dx[i] = static_cast<float>(gamma[c] * invstd / M * (M * dy[i] - sum_dy - xhat * sum_dy_xhat));
    });
    dgamma[c] = static_cast<float>(sum_dy_xhat);
    dbeta[c] = static_cast<float>(sum_dy);
  }
}

// Batch norm followed by ReLU: the two definitions one after the other.
//   y = max(0, batch_norm(x));  the backward passes dy on where y > 0
void batch_norm_relu_forward_train(const BatchNormShape& s, const float* x, const float* gamma,
                                   const float* beta, float eps, float momentum,
                                   float* running_mean, float* running_var, float* y,
                                   float* save_mean, float* save_invstd) {
  batch_norm_forward_train(s, x, gamma, beta, eps, momentum, running_mean, running_var, y,
                           save_mean, save_invstd);
  relu_forward(int64_t(s.N) * s.C * s.H * s.W, y, y);
}

void batch_norm_relu_backward(const BatchNormShape& s, const float* dy, const float* x,
                              const float* y, const float* gamma, const float* save_mean,
                              const float* save_invstd, float* dx, float* dgamma, float* dbeta) {
  std::vector<float> g(size_t(s.N) * s.C * s.H * s.W);
  relu_backward(static_cast<int64_t>(g.size()), y, dy, g.data());
  batch_norm_backward(s, g.data(), x, gamma, save_mean, save_invstd, dx, dgamma, dbeta);
}

}  // namespace reference
}  // namespace cudagrad
