// Network: a whole model written as one named chain of layers. Before it
// runs, it infers the output shape of every layer from the input's shape
// (no data touched), so an input of the wrong size fails at once with an
// Error naming the first layer that cannot take it, instead of deep inside
// an op that does not know which layer called it.
#pragma once
#include <string>
#include <utility>

#include "layers/layers.h"

namespace cudagrad {

class Network : public Sequential {
 public:
  explicit Network(std::string name) : name_(std::move(name)) {}
  Tensor forward(const Tensor& x) override {
    output_shape(x.shape());  // throws on a wrong input, naming the layer
    return Sequential::forward(x);
  }
  std::string kind() const override { return name_; }  // "ResNet-18"

 private:
  std::string name_;
};

}  // namespace cudagrad
