// Optimizer updates, in place on one parameter tensor of n elements, with
// PyTorch's formulas. Each element is updated in double and stored as float.
#include <cmath>

#include "kernels/reference/reference.h"

namespace cudagrad {
namespace reference {

// SGD with momentum (dampening 0) and L2 weight decay:
//   g = grad + wd * p
//   buf = momentum * buf + g            (buf starts at 0, so the first buf is g)
//   p -= lr * (nesterov ? g + momentum * buf : buf)
// With momentum 0 this is p -= lr * g, and momentum_buf is not touched (it may
// be nullptr). param, grad, momentum_buf (n)
void sgd_step(int64_t n, float* param, const float* grad, float* momentum_buf, float lr,
              float momentum, float weight_decay, bool nesterov) {
  for (int64_t i = 0; i < n; ++i) {
    const double g = double(grad[i]) + double(weight_decay) * param[i];
    if (momentum == 0.f) {
      param[i] = static_cast<float>(param[i] - double(lr) * g);
      continue;
    }
    const double buf = double(momentum) * momentum_buf[i] + g;
    const double update = nesterov ? g + double(momentum) * buf : buf;
    momentum_buf[i] = static_cast<float>(buf);
    param[i] = static_cast<float>(param[i] - double(lr) * update);
  }
}

// Adam, with step t = 1 for the first update:
//   AdamW (decoupled): p *= 1 - lr * wd          Adam: g = grad + wd * p
//   m = beta1 m + (1 - beta1) g,   v = beta2 v + (1 - beta2) g^2
//   p -= lr * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)
// The divisions by 1 - beta^t undo the bias of m and v toward their zero start.
// param, grad, m, v (n)
void adam_step(int64_t n, float* param, const float* grad, float* m, float* v, float lr,
               float beta1, float beta2, float eps, float weight_decay, bool decoupled,
               int64_t step) {
  const double b1 = beta1, b2 = beta2;
  const double bias1 = 1.0 - std::pow(b1, double(step));
  const double bias2 = 1.0 - std::pow(b2, double(step));
  for (int64_t i = 0; i < n; ++i) {
    double p = param[i], g = grad[i];
    if (decoupled)
      p *= 1.0 - double(lr) * weight_decay;
    else
      g += double(weight_decay) * p;
    const double m_new = b1 * m[i] + (1.0 - b1) * g;
    const double v_new = b2 * v[i] + (1.0 - b2) * g * g;
    p -= double(lr) * (m_new / bias1) / (std::sqrt(v_new / bias2) + eps);
    m[i] = static_cast<float>(m_new);
    v[i] = static_cast<float>(v_new);
    param[i] = static_cast<float>(p);
  }
}

}  // namespace reference
}  // namespace cudagrad
