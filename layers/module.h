// Module: a layer or a network. It owns named parameters (trained), named
// buffers (running statistics: saved, not trained) and named sub-modules,
// and knows whether it is in training or evaluation mode.
#pragma once
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/tensor.h"

namespace cudagrad {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

class Module {
 public:
  virtual ~Module() = default;
  virtual Tensor forward(const Tensor& x) = 0;
  Tensor operator()(const Tensor& x) { return forward(x); }
  virtual std::string kind() const = 0;  // "Conv2d", "Sequential", ...

  // Recursively, with dotted names as PyTorch's state_dict: "features.0.weight".
  NamedTensors named_parameters() const;  // trainable and frozen alike
  NamedTensors named_buffers() const;
  std::vector<Tensor> parameters() const;            // only those that require a gradient
  const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& children() const {
    return children_;
  }

  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }
  // Frozen parameters keep their values: requires_grad is switched off.
  void set_frozen(bool frozen);

 protected:
  Tensor& register_parameter(const std::string& name, Tensor t);
  Tensor& register_buffer(const std::string& name, Tensor t);
  template <typename M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> m) {
    children_.emplace_back(name, m);
    return m;
  }

 private:
  void collect(const std::string& prefix, bool parameters, NamedTensors& out) const;
  NamedTensors parameters_, buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
};

}  // namespace cudagrad
