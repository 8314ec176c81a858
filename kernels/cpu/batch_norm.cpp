// Batch normalization, one OpenMP task per channel. The formulas are those of
// kernels/reference/batch_norm.cpp; here each plane (one image's H x W
// values of a channel) is summed in float, one vector of lanes side by side, and the
// planes are added in double, which keeps the statistics accurate for the
// large channels of a 224x224 network.
#include <cmath>

#include "kernels/cpu/kernels.h"
#include "kernels/cpu/parallel.h"
#include "kernels/cpu/simd.h"

namespace cudagrad {
namespace cpu {
namespace CUDAGRAD_CPU_TARGET {

namespace {

const float* plane_of(const float* t, const BatchNormShape& s, int n, int c) {
  return t + (static_cast<int64_t>(n) * s.C + c) * s.H * s.W;
}
float* plane_of(float* t, const BatchNormShape& s, int n, int c) {
  return t + (static_cast<int64_t>(n) * s.C + c) * s.H * s.W;
}

// The plane sums. A plain `sum += p[i]` loop is one long chain of dependent
// float adds (the compiler may not reorder them), so it runs at one add per
// add-latency; kLanes independent lane sums run at the speed of memory instead.

// sum p[i]
float plane_sum(const float* p, int n) {
  Vec acc = {};
  int i = 0;
  for (; i + kLanes <= n; i += kLanes) acc += load_vec(p + i);
  float sum = sum_lanes(acc);
  for (; i < n; ++i) sum += p[i];
  return sum;
}

// sum (p[i] - mean)^2
float plane_squared_deviation(const float* p, int n, float mean) {
  Vec acc = {};
  int i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    const Vec d = load_vec(p + i) - mean;
    acc += d * d;
  }
  float sum = sum_lanes(acc);
  for (; i < n; ++i) sum += (p[i] - mean) * (p[i] - mean);
  return sum;
}

// sum g[i] and sum g[i] * (p[i] - mean), where g = dy, or with a fused
// ReLU (relu_y not null) g = dy * (relu_y > 0): the gradient that reaches
// the batch norm's output through the ReLU.
void plane_gradient_sums(const float* dy, const float* relu_y, const float* p, int n, float mean,
                         float* sum_g, float* sum_g_dev) {
  Vec a = {}, b = {};
  int i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    Vec gv = load_vec(dy + i);
    if (relu_y) gv = load_vec(relu_y + i) > 0.f ? gv : Vec{};
    a += gv;
    b += gv * (load_vec(p + i) - mean);
  }
  float sa = sum_lanes(a), sb = sum_lanes(b);
  for (; i < n; ++i) {
    const float g = relu_y && !(relu_y[i] > 0.f) ? 0.f : dy[i];
    sa += g;
    sb += g * (p[i] - mean);
  }
  *sum_g = sa;
  *sum_g_dev = sb;
}

// The training forward pass, with y = max(0, y) in the same pass when `relu`.
void forward_train(const BatchNormShape& s, const float* x, const float* gamma, const float* beta,
                   float eps, float momentum, float* running_mean, float* running_var, float* y,
                   float* save_mean, float* save_invstd, bool relu) {
  const int HW = s.H * s.W;
  const double M = static_cast<double>(s.N) * HW;
#pragma omp parallel for schedule(static) if (int64_t(s.N) * s.C * HW >= kMinParallelWork)
  for (int c = 0; c < s.C; ++c) {
    double sum = 0;
    for (int n = 0; n < s.N; ++n) sum += plane_sum(plane_of(x, s, n, c), HW);
    const double mean = sum / M;
    const float mean_f = static_cast<float>(mean);
    double squares = 0;  // two passes: no cancellation as in E[x^2] - E[x]^2
    for (int n = 0; n < s.N; ++n)
      squares += plane_squared_deviation(plane_of(x, s, n, c), HW, mean_f);
    const double var = squares / M;
    const double invstd = 1.0 / std::sqrt(var + eps);
    const float scale = static_cast<float>(gamma[c] * invstd);
    const float shift = beta[c];
    // (x - mean) * scale + beta, not x * scale + (beta - mean * scale): with a
    // large mean the second form cancels two large numbers and loses digits.
    for (int n = 0; n < s.N; ++n) {
      const float* p = plane_of(x, s, n, c);
      float* q = plane_of(y, s, n, c);
      if (relu) {
        for (int i = 0; i < HW; ++i) {
          const float v = (p[i] - mean_f) * scale + shift;
          q[i] = v > 0.f ? v : 0.f;
        }
      } else {
        for (int i = 0; i < HW; ++i) q[i] = (p[i] - mean_f) * scale + shift;
      }
    }
    const double unbiased = M > 1 ? var * M / (M - 1) : var;
    running_mean[c] = static_cast<float>((1.0 - momentum) * running_mean[c] + momentum * mean);
    running_var[c] = static_cast<float>((1.0 - momentum) * running_var[c] + momentum * unbiased);
    save_mean[c] = mean_f;
    save_invstd[c] = static_cast<float>(invstd);
  }
}

// dbeta = sum g, dgamma = sum g * xhat,
// dx = gamma * invstd / M * (M * g - dbeta - xhat * dgamma)
// with g = dy, or g = dy * (relu_y > 0) behind a fused ReLU.
void backward(const BatchNormShape& s, const float* dy, const float* relu_y, const float* x,
              const float* gamma, const float* save_mean, const float* save_invstd, float* dx,
              float* dgamma, float* dbeta) {
  const int HW = s.H * s.W;
  const double M = static_cast<double>(s.N) * HW;
#pragma omp parallel for schedule(static) if (int64_t(s.N) * s.C * HW >= kMinParallelWork)
  for (int c = 0; c < s.C; ++c) {
    const float mean = save_mean[c], invstd = save_invstd[c];
    double sum_dy = 0, sum_dy_xhat = 0;
    for (int n = 0; n < s.N; ++n) {
      float a, b;
      plane_gradient_sums(plane_of(dy, s, n, c), relu_y ? plane_of(relu_y, s, n, c) : nullptr,
                          plane_of(x, s, n, c), HW, mean, &a, &b);
      sum_dy += a;
      sum_dy_xhat += b;
    }
    sum_dy_xhat *= invstd;
    dbeta[c] = static_cast<float>(sum_dy);
    dgamma[c] = static_cast<float>(sum_dy_xhat);
    // dx = k * (g - sum_g / M - xhat * sum_g_xhat / M) with k = gamma * invstd
    const float k = gamma[c] * invstd;
    const float mean_dy = static_cast<float>(sum_dy / M);
    const float xhat_coeff = static_cast<float>(sum_dy_xhat / M) * invstd;
    for (int n = 0; n < s.N; ++n) {
      const float* g = plane_of(dy, s, n, c);
      const float* p = plane_of(x, s, n, c);
      float* q = plane_of(dx, s, n, c);
      if (relu_y) {
        const float* r = plane_of(relu_y, s, n, c);
        for (int i = 0; i < HW; ++i)
          q[i] = k * ((r[i] > 0.f ? g[i] : 0.f) - mean_dy - (p[i] - mean) * xhat_coeff);
      } else {
        for (int i = 0; i < HW; ++i) q[i] = k * (g[i] - mean_dy - (p[i] - mean) * xhat_coeff);
      }
    }
  }
}

}  // namespace

void batch_norm_forward_train(const BatchNormShape& s, const float* x, const float* gamma,
                              const float* beta, float eps, float momentum, float* running_mean,
                              float* running_var, float* y, float* save_mean, float* save_invstd) {
  forward_train(s, x, gamma, beta, eps, momentum, running_mean, running_var, y, save_mean,
                save_invstd, false);
}

// Batch norm and the ReLU after it in one pass over the data each way: the
// ReLU's own pass (read and write the whole activation) is saved.
void batch_norm_relu_forward_train(const BatchNormShape& s, const float* x, const float* gamma,
                                   const float* beta, float eps, float momentum,
                                   float* running_mean, float* running_var, float* y,
                                   float* save_mean, float* save_invstd) {
  forward_train(s, x, gamma, beta, eps, momentum, running_mean, running_var, y, save_mean,
                save_invstd, true);
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

}  // namespace CUDAGRAD_CPU_TARGET
}  // namespace cpu
}  // namespace cudagrad
