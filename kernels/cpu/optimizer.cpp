// Optimizer updates in float, as PyTorch does on the CPU; the formulas are in
// kernels/kernel_table.h.
#include <cmath>

#include "kernels/cpu/kernels.h"
#include "kernels/cpu/parallel.h"

namespace cudagrad {
namespace cpu {
namespace CUDAGRAD_CPU_TARGET {

void sgd_step(int64_t n, float* param, const float* grad, float* momentum_buf, float lr,
              float momentum, float weight_decay, bool nesterov) {
#pragma omp parallel for simd schedule(static) if (n >= kMinParallelWork)
  for (int64_t i = 0; i < n; ++i) {
    const float g = grad[i] + weight_decay * param[i];
    if (momentum == 0.f) {
      param[i] -= lr * g;
      continue;
    }
    momentum_buf[i] = momentum * momentum_buf[i] + g;
    param[i] -= lr * (nesterov ? g + momentum * momentum_buf[i] : momentum_buf[i]);
  }
}

void adam_step(int64_t n, float* param, const float* grad, float* m, float* v, float lr,
               float beta1, float beta2, float eps, float weight_decay, bool decoupled,
               int64_t step) {
  const float bias1 = 1.f - static_cast<float>(std::pow(beta1, step));
  const float bias2_sqrt = std::sqrt(1.f - static_cast<float>(std::pow(beta2, step)));
  const float step_size = lr / bias1;
#pragma omp parallel for simd schedule(static) if (n >= kMinParallelWork)
  for (int64_t i = 0; i < n; ++i) {
    float g = grad[i];
    if (decoupled) {
      param[i] *= 1.f - lr * weight_decay;
    } else {
      g += weight_decay * param[i];
    }
    m[i] = beta1 * m[i] + (1.f - beta1) * g;
    v[i] = beta2 * v[i] + (1.f - beta2) * g * g;
    param[i] -= step_size * m[i] / (std::sqrt(v[i]) / bias2_sqrt + eps);
  }
}

}  // namespace CUDAGRAD_CPU_TARGET
}  // namespace cpu
}  // namespace cudagrad
