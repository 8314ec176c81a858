// The basic layers: thin owners of parameters around the ops of engine/ops.h.
// Initialization follows PyTorch's defaults (uniform in +-1/sqrt(fan_in) for
// conv and linear weights and biases; BN gamma 1, beta 0) so that recipes
// behave as in the tutorials.
#pragma once
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "engine/generator.h"
#include "engine/ops.h"
#include "layers/module.h"

namespace cudagrad {

class Conv2d : public Module {
 public:
  Conv2d(int in, int out, int kernel, int stride, int padding, Generator& gen, bool bias = true,
         int groups = 1)
      : stride_(stride), padding_(padding), groups_(groups) {
    const float bound = 1.f / std::sqrt(static_cast<float>(in / groups * kernel * kernel));
    weight_ = register_parameter("weight", Tensor::uniform({out, in / groups, kernel, kernel}, gen,
                                                           -bound, bound));
    if (bias) bias_ = register_parameter("bias", Tensor::uniform({out}, gen, -bound, bound));
  }
  Tensor forward(const Tensor& x) override {
    return conv2d(x, weight_, bias_, stride_, padding_, groups_);
  }
  std::string kind() const override { return groups_ > 1 ? "DepthwiseConv2d" : "Conv2d"; }

 private:
  Tensor weight_, bias_;
  int stride_, padding_, groups_;
};

class BatchNorm2d : public Module {
 public:
  explicit BatchNorm2d(int channels, float momentum = 0.1f, float eps = 1e-5f)
      : momentum_(momentum), eps_(eps) {
    gamma_ = register_parameter("weight", Tensor::ones({channels}));
    beta_ = register_parameter("bias", Tensor::zeros({channels}));
    running_mean_ = register_buffer("running_mean", Tensor::zeros({channels}));
    running_var_ = register_buffer("running_var", Tensor::ones({channels}));
  }
  Tensor forward(const Tensor& x) override {
    return batch_norm2d(x, gamma_, beta_, running_mean_, running_var_, is_training(), momentum_,
                        eps_);
  }
  std::string kind() const override { return "BatchNorm2d"; }

 private:
  Tensor gamma_, beta_, running_mean_, running_var_;
  float momentum_, eps_;
};

class Linear : public Module {
 public:
  Linear(int in, int out, Generator& gen, bool bias = true) {
    const float bound = 1.f / std::sqrt(static_cast<float>(in));
    weight_ = register_parameter("weight", Tensor::uniform({out, in}, gen, -bound, bound));
    if (bias) bias_ = register_parameter("bias", Tensor::uniform({out}, gen, -bound, bound));
  }
  Tensor forward(const Tensor& x) override { return linear(x, weight_, bias_); }
  std::string kind() const override { return "Linear"; }

 private:
  Tensor weight_, bias_;
};

class ReLU : public Module {
 public:
  Tensor forward(const Tensor& x) override { return relu(x); }
  std::string kind() const override { return "ReLU"; }
};

class MaxPool2d : public Module {
 public:
  MaxPool2d(int kernel, int stride, int padding = 0)
      : kernel_(kernel), stride_(stride), padding_(padding) {}
  Tensor forward(const Tensor& x) override { return max_pool2d(x, kernel_, stride_, padding_); }
  std::string kind() const override { return "MaxPool2d"; }

 private:
  int kernel_, stride_, padding_;
};

class AvgPool2d : public Module {
 public:
  AvgPool2d(int kernel, int stride, int padding = 0)
      : kernel_(kernel), stride_(stride), padding_(padding) {}
  Tensor forward(const Tensor& x) override { return avg_pool2d(x, kernel_, stride_, padding_); }
  std::string kind() const override { return "AvgPool2d"; }

 private:
  int kernel_, stride_, padding_;
};

class GlobalAvgPool : public Module {
 public:
  Tensor forward(const Tensor& x) override { return global_avg_pool2d(x); }
  std::string kind() const override { return "GlobalAvgPool"; }
};

class Flatten : public Module {
 public:
  Tensor forward(const Tensor& x) override { return flatten(x); }
  std::string kind() const override { return "Flatten"; }
};

// Each call draws a fresh mask: the counter advances by the number of
// elements, so (seed, calls so far) determines every mask.
class Dropout : public Module {
 public:
  Dropout(float p, uint64_t seed) : p_(p), seed_(seed) {}
  Tensor forward(const Tensor& x) override {
    if (!is_training()) return x;
    Tensor y = dropout(x, p_, true, seed_, counter_);
    counter_ += static_cast<uint64_t>(x.numel());
    return y;
  }
  std::string kind() const override { return "Dropout"; }
  uint64_t counter() const { return counter_; }
  void set_counter(uint64_t c) { counter_ = c; }

 private:
  float p_;
  uint64_t seed_, counter_ = 0;
};

// Runs its children in order; they are named "0", "1", ... as in PyTorch.
class Sequential : public Module {
 public:
  Sequential() = default;
  template <typename M>
  std::shared_ptr<M> add(std::shared_ptr<M> m) {
    return register_module(std::to_string(children().size()), m);
  }
  Tensor forward(const Tensor& x) override {
    Tensor y = x;
    for (const auto& [name, m] : children()) y = m->forward(y);
    return y;
  }
  std::string kind() const override { return "Sequential"; }
};

}  // namespace cudagrad
