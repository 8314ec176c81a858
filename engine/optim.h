// Optimizers: SGD (momentum, Nesterov, weight decay) and Adam/AdamW, with
// PyTorch's update rules (the formulas are in kernels/kernel_table.h). The
// per-parameter state is exposed by name so checkpoints can save it.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "engine/tensor.h"

namespace cudagrad {

class Optimizer {
 public:
  explicit Optimizer(std::vector<Tensor> params, float lr);
  virtual ~Optimizer() = default;
  virtual void step() = 0;
  void zero_grad();  // drops every parameter's gradient
  float lr() const { return lr_; }
  void set_lr(float lr) { lr_ = lr; }
  int64_t steps_taken() const { return steps_; }
  void set_steps_taken(int64_t steps) { steps_ = steps; }
  const std::vector<Tensor>& params() const { return params_; }
  // Named state tensors ("momentum.3", "adam_m.0", ...), shared with the
  // optimizer: copy into them to restore a checkpoint.
  virtual std::vector<std::pair<std::string, Tensor>> state() const = 0;

 protected:
  std::vector<Tensor> params_;
  float lr_;
  int64_t steps_ = 0;
};

class SGD : public Optimizer {
 public:
  SGD(std::vector<Tensor> params, float lr, float momentum = 0.f, float weight_decay = 0.f,
      bool nesterov = false);
  void step() override;
  std::vector<std::pair<std::string, Tensor>> state() const override;

 private:
  float momentum_, weight_decay_;
  bool nesterov_;
  std::vector<Tensor> momentum_buffers_;
};

class Adam : public Optimizer {
 public:
  // decoupled_weight_decay == true is AdamW.
  Adam(std::vector<Tensor> params, float lr, float beta1 = 0.9f, float beta2 = 0.999f,
       float eps = 1e-8f, float weight_decay = 0.f, bool decoupled_weight_decay = false);
  void step() override;
  std::vector<std::pair<std::string, Tensor>> state() const override;

 private:
  float beta1_, beta2_, eps_, weight_decay_;
  bool decoupled_;
  std::vector<Tensor> m_, v_;
};

// AdamW with PyTorch's default weight decay of 0.01.
inline Adam AdamW(std::vector<Tensor> params, float lr, float beta1 = 0.9f, float beta2 = 0.999f,
                  float eps = 1e-8f, float weight_decay = 0.01f) {
  return Adam(std::move(params), lr, beta1, beta2, eps, weight_decay, true);
}

}  // namespace cudagrad
