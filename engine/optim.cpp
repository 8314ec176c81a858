#include "engine/optim.h"

#include "base/error.h"
#include "engine/dispatch.h"

namespace cudagrad {

Optimizer::Optimizer(std::vector<Tensor> params, float lr) : params_(std::move(params)), lr_(lr) {
  CG_CHECK(lr >= 0.f, "optimizer: learning rate must be >= 0, got " << lr);
  for (size_t i = 0; i < params_.size(); ++i)
    CG_CHECK(params_[i].defined() && params_[i].requires_grad(),
             "optimizer: parameter " << i << " is undefined or does not require a gradient");
}

void Optimizer::zero_grad() {
  for (Tensor& p : params_) p.zero_grad();
}

SGD::SGD(std::vector<Tensor> params, float lr, float momentum, float weight_decay, bool nesterov)
    : Optimizer(std::move(params), lr),
      momentum_(momentum),
      weight_decay_(weight_decay),
      nesterov_(nesterov) {
  CG_CHECK(momentum >= 0.f && weight_decay >= 0.f, "SGD: momentum and weight decay must be >= 0");
  CG_CHECK(!nesterov || momentum > 0.f, "SGD: Nesterov momentum needs momentum > 0");
  for (const Tensor& p : params_) momentum_buffers_.push_back(Tensor::zeros(p.shape(), p.device()));
}

void SGD::step() {
  ++steps_;
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i];
    Tensor g = p.grad();
    if (!g.defined()) continue;  // a parameter that received no gradient is left alone
    kernels_for(p.device()).sgd_step(p.numel(), p.data(), g.data(), momentum_buffers_[i].data(),
                                     lr_, momentum_, weight_decay_, nesterov_);
  }
}

std::vector<std::pair<std::string, Tensor>> SGD::state() const {
  std::vector<std::pair<std::string, Tensor>> out;
  for (size_t i = 0; i < momentum_buffers_.size(); ++i)
    out.emplace_back("momentum." + std::to_string(i), momentum_buffers_[i]);
  return out;
}

Adam::Adam(std::vector<Tensor> params, float lr, float beta1, float beta2, float eps,
           float weight_decay, bool decoupled_weight_decay)
    : Optimizer(std::move(params), lr),
      beta1_(beta1),
      beta2_(beta2),
      eps_(eps),
      weight_decay_(weight_decay),
      decoupled_(decoupled_weight_decay) {
  CG_CHECK(beta1 >= 0.f && beta1 < 1.f && beta2 >= 0.f && beta2 < 1.f,
           "Adam: betas must be in [0, 1), got " << beta1 << ", " << beta2);
  CG_CHECK(eps > 0.f && weight_decay >= 0.f, "Adam: eps must be > 0 and weight decay >= 0");
  for (const Tensor& p : params_) {
    m_.push_back(Tensor::zeros(p.shape(), p.device()));
    v_.push_back(Tensor::zeros(p.shape(), p.device()));
  }
}

void Adam::step() {
  ++steps_;
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i];
    Tensor g = p.grad();
    if (!g.defined()) continue;
    kernels_for(p.device()).adam_step(p.numel(), p.data(), g.data(), m_[i].data(), v_[i].data(),
                                      lr_, beta1_, beta2_, eps_, weight_decay_, decoupled_,
                                      steps_);
  }
}

std::vector<std::pair<std::string, Tensor>> Adam::state() const {
  std::vector<std::pair<std::string, Tensor>> out;
  for (size_t i = 0; i < m_.size(); ++i) {
    out.emplace_back("adam_m." + std::to_string(i), m_[i]);
    out.emplace_back("adam_v." + std::to_string(i), v_[i]);
  }
  return out;
}

}  // namespace cudagrad
