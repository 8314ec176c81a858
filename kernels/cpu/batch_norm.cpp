// Batch normalization, one OpenMP task per channel. The formulas are those of
// kernels/reference/batch_norm.cpp; here each plane (one image's H x W
// values of a channel) is summed in float by a vectorized loop and the
// planes are added in double, which keeps the statistics accurate for the
// large channels of a 224x224 network.
#include <cmath>

#include "kernels/cpu/cpu.h"
#include "kernels/cpu/parallel.h"

namespace cudagrad {
namespace cpu {

namespace {

const float* plane_of(const float* t, const BatchNormShape& s, int n, int c) {
  return t + (static_cast<int64_t>(n) * s.C + c) * s.H * s.W;
}
float* plane_of(float* t, const BatchNormShape& s, int n, int c) {
  return t + (static_cast<int64_t>(n) * s.C + c) * s.H * s.W;
}

}  // namespace

void batch_norm_forward_train(const BatchNormShape& s, const float* x, const float* gamma,
                              const float* beta, float eps, float momentum, float* running_mean,
                              float* running_var, float* y, float* save_mean, float* save_invstd) {
  const int HW = s.H * s.W;
  const double M = static_cast<double>(s.N) * HW;
#pragma omp parallel for schedule(static) if (int64_t(s.N) * s.C * HW >= kMinParallelWork)
  for (int c = 0; c < s.C; ++c) {
    double sum = 0;
    for (int n = 0; n < s.N; ++n) {
      const float* p = plane_of(x, s, n, c);
      float plane_sum = 0.f;
      for (int i = 0; i < HW; ++i) plane_sum += p[i];
      sum += plane_sum;
    }
    const double mean = sum / M;
    const float mean_f = static_cast<float>(mean);
    double squares = 0;  // two passes: no cancellation as in E[x^2] - E[x]^2
    for (int n = 0; n < s.N; ++n) {
      const float* p = plane_of(x, s, n, c);
      float plane_sq = 0.f;
      for (int i = 0; i < HW; ++i) plane_sq += (p[i] - mean_f) * (p[i] - mean_f);
      squares += plane_sq;
    }
    const double var = squares / M;
    const double invstd = 1.0 / std::sqrt(var + eps);
    const float scale = static_cast<float>(gamma[c] * invstd);
    const float shift = beta[c];
    // (x - mean) * scale + beta, not x * scale + (beta - mean * scale): with a
    // large mean the second form cancels two large numbers and loses digits.
    for (int n = 0; n < s.N; ++n) {
      const float* p = plane_of(x, s, n, c);
      float* q = plane_of(y, s, n, c);
      for (int i = 0; i < HW; ++i) q[i] = (p[i] - mean_f) * scale + shift;
    }
    const double unbiased = M > 1 ? var * M / (M - 1) : var;
    running_mean[c] = static_cast<float>((1.0 - momentum) * running_mean[c] + momentum * mean);
    running_var[c] = static_cast<float>((1.0 - momentum) * running_var[c] + momentum * unbiased);
    save_mean[c] = mean_f;
    save_invstd[c] = static_cast<float>(invstd);
  }
}

void batch_norm_forward_eval(const BatchNormShape& s, const float* x, const float* gamma,
                             const float* beta, const float* running_mean, const float* running_var,
                             float eps, float* y) {
  const int HW = s.H * s.W;
#pragma omp parallel for schedule(static) \
    collapse(2) if (int64_t(s.N) * s.C * HW >= kMinParallelWork)
  for (int n = 0; n < s.N; ++n)
    for (int c = 0; c < s.C; ++c) {
      const double invstd = 1.0 / std::sqrt(static_cast<double>(running_var[c]) + eps);
      const float scale = static_cast<float>(gamma[c] * invstd);
      const float mean = running_mean[c], shift = beta[c];
      const float* p = plane_of(x, s, n, c);
      float* q = plane_of(y, s, n, c);
      for (int i = 0; i < HW; ++i) q[i] = (p[i] - mean) * scale + shift;
    }
}

// dbeta = sum dy, dgamma = sum dy * xhat,
// dx = gamma * invstd / M * (M * dy - dbeta - xhat * dgamma)
void batch_norm_backward(const BatchNormShape& s, const float* dy, const float* x,
                         const float* gamma, const float* save_mean, const float* save_invstd,
                         float* dx, float* dgamma, float* dbeta) {
  const int HW = s.H * s.W;
  const double M = static_cast<double>(s.N) * HW;
#pragma omp parallel for schedule(static) if (int64_t(s.N) * s.C * HW >= kMinParallelWork)
  for (int c = 0; c < s.C; ++c) {
    const float mean = save_mean[c], invstd = save_invstd[c];
    double sum_dy = 0, sum_dy_xhat = 0;
    for (int n = 0; n < s.N; ++n) {
      const float* g = plane_of(dy, s, n, c);
      const float* p = plane_of(x, s, n, c);
      float a = 0.f, b = 0.f;
      for (int i = 0; i < HW; ++i) {
        a += g[i];
        b += g[i] * (p[i] - mean);
      }
      sum_dy += a;
      sum_dy_xhat += b;
    }
    sum_dy_xhat *= invstd;
    dbeta[c] = static_cast<float>(sum_dy);
    dgamma[c] = static_cast<float>(sum_dy_xhat);
    // dx = k * (dy - sum_dy / M - xhat * sum_dy_xhat / M) with k = gamma * invstd
    const float k = gamma[c] * invstd;
    const float mean_dy = static_cast<float>(sum_dy / M);
    const float xhat_coeff = static_cast<float>(sum_dy_xhat / M) * invstd;
    for (int n = 0; n < s.N; ++n) {
      const float* g = plane_of(dy, s, n, c);
      const float* p = plane_of(x, s, n, c);
      float* q = plane_of(dx, s, n, c);
      for (int i = 0; i < HW; ++i) q[i] = k * (g[i] - mean_dy - (p[i] - mean) * xhat_coeff);
    }
  }
}

}  // namespace cpu
}  // namespace cudagrad
