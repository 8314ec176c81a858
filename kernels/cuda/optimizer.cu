// Fused optimizer updates, in place on one parameter tensor of n elements,
// with PyTorch's formulas (see kernels/kernel_table.h).
//
// Launch: one thread per element, 256 threads per block, grid-stride loops.
// "Fused" means one kernel reads grad, param and the optimizer state once and
// writes param and state once, instead of one launch (and one round trip
// through memory) per term of the formula: the update is memory-bound, so
// the number of passes over memory is its cost.
#include <cmath>

#include "kernels/cuda/common.cuh"
#include "kernels/cuda/host_functions.h"

namespace cudagrad {
namespace CUDAGRAD_CUDA_NAMESPACE {

namespace {

constexpr int kThreads = 256;

//   g = grad + wd * p;  buf = momentum * buf + g;  p -= lr * (nesterov ? g + momentum * buf : buf)
// With momentum 0: p -= lr * g, and momentum_buf (which may be null) is not touched.
// param, grad, momentum_buf (n)
__global__ void sgd_step_kernel(int64_t n, float* param, const float* grad, float* momentum_buf,
                                float lr, float momentum, float weight_decay, bool nesterov) {
  for (int64_t i = first_index(); i < n; i += grid_stride()) {
    const float g = grad[i] + weight_decay * param[i];
    if (momentum == 0.0f) {
      param[i] -= lr * g;
      continue;
    }
    const float buf = momentum * momentum_buf[i] + g;
    momentum_buf[i] = buf;
    param[i] -= lr * (nesterov ? g + momentum * buf : buf);
  }
}

//   AdamW: p *= 1 - lr * wd      Adam: g = grad + wd * p
//   m = beta1 m + (1 - beta1) g,   v = beta2 v + (1 - beta2) g^2
//   p -= lr * (m / bias1) / (sqrt(v / bias2) + eps),  bias_k = 1 - beta_k^step
// param, grad, m, v (n)
__global__ void adam_step_kernel(int64_t n, float* param, const float* grad, float* m, float* v,
                                 float lr, float beta1, float beta2, float eps,
                                 float weight_decay, bool decoupled, float bias1, float bias2) {
  for (int64_t i = first_index(); i < n; i += grid_stride()) {
    float p = param[i], g = grad[i];
    if (decoupled) {
      p *= 1.0f - lr * weight_decay;
    } else {
      g += weight_decay * p;
    }
    const float m_new = beta1 * m[i] + (1.0f - beta1) * g;
    const float v_new = beta2 * v[i] + (1.0f - beta2) * g * g;
    p -= lr * (m_new / bias1) / (sqrtf(v_new / bias2) + eps);
    m[i] = m_new;
    v[i] = v_new;
    param[i] = p;
  }
}

}  // namespace

void sgd_step(int64_t n, float* param, const float* grad, float* momentum_buf, float lr,
              float momentum, float weight_decay, bool nesterov) {
  if (n == 0) return;
  CG_LAUNCH(sgd_step_kernel, blocks_for(n, kThreads), kThreads, 0, n, param, grad, momentum_buf,
            lr, momentum, weight_decay, nesterov);
}

// The bias corrections depend only on the step, so the host computes them
// once (in double, as beta^step for a large step is tiny).
void adam_step(int64_t n, float* param, const float* grad, float* m, float* v, float lr,
               float beta1, float beta2, float eps, float weight_decay, bool decoupled,
               int64_t step) {
  if (n == 0) return;
  const float bias1 = static_cast<float>(1.0 - std::pow(double(beta1), double(step)));
  const float bias2 = static_cast<float>(1.0 - std::pow(double(beta2), double(step)));
  CG_LAUNCH(adam_step_kernel, blocks_for(n, kThreads), kThreads, 0, n, param, grad, m, v, lr,
            beta1, beta2, eps, weight_decay, decoupled, bias1, bias2);
}

}  // namespace CUDAGRAD_CUDA_NAMESPACE
}  // namespace cudagrad
