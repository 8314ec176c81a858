// The basic layers: thin owners of parameters around the ops of engine/ops.h.
// Initialization follows PyTorch's defaults (uniform in +-1/sqrt(fan_in) for
// conv and linear weights and biases; BN gamma 1, beta 0) so that recipes
// behave as in the tutorials.
//
// Each layer also infers its output shape from its input shape (checking
// what its op would check) and counts its FLOPs; see layers/module.h.
#pragma once
#include <cmath>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "base/error.h"
#include "engine/generator.h"
#include "engine/ops.h"
#include "kernels/kernel_table.h"
#include "layers/module.h"

namespace cudagrad {

// window_output_size (kernels/kernel_table.h) for a layer's shape inference:
// an input smaller than the window is an error naming the sizes.
inline int64_t checked_window_output_size(int64_t in, int kernel, int stride, int padding) {
  CG_CHECK(in + 2 * padding >= kernel, "input size " << in << " with padding " << padding
                                           << " is smaller than the " << kernel << "x" << kernel
                                           << " window");
  return window_output_size(in, kernel, stride, padding);
}

inline void check_image_batch(const Shape& in, int64_t channels) {
  CG_CHECK(in.size() == 4 && in[1] == channels,
           "expects (N, " << channels << ", H, W), got " << shape_str(in));
}

class Conv2d : public Module {
 public:
  Conv2d(int in, int out, int kernel, int stride, int padding, Generator& gen, bool bias = true,
         int groups = 1)
      : in_(in), out_(out), kernel_(kernel), stride_(stride), padding_(padding), groups_(groups) {
    const float bound = 1.f / std::sqrt(static_cast<float>(in / groups * kernel * kernel));
    weight_ = register_parameter("weight", Tensor::uniform({out, in / groups, kernel, kernel}, gen,
                                                           -bound, bound));
    if (bias) bias_ = register_parameter("bias", Tensor::uniform({out}, gen, -bound, bound));
  }
  Tensor forward(const Tensor& x) override {
    return conv2d(x, weight_, bias_, stride_, padding_, groups_);
  }
  // One filter per channel (groups == channels) is a depthwise convolution.
  std::string kind() const override {
    return groups_ > 1 && groups_ == in_ && groups_ == out_ ? "DepthwiseConv2d" : "Conv2d";
  }
  std::string describe() const override {
    std::string s = std::to_string(in_) + "->" + std::to_string(out_) + " " +
                    std::to_string(kernel_) + "x" + std::to_string(kernel_);
    if (stride_ != 1) s += " stride " + std::to_string(stride_);
    if (padding_ != 0) s += " pad " + std::to_string(padding_);
    if (groups_ != 1 && kind() == "Conv2d") s += " groups " + std::to_string(groups_);
    return s;
  }
  Shape infer_shape(const Shape& in, ShapeTrace&) const override {
    check_image_batch(in, in_);
    return {in[0], out_, checked_window_output_size(in[2], kernel_, stride_, padding_),
            checked_window_output_size(in[3], kernel_, stride_, padding_)};
  }
  // Each output value is a dot product over (C_in / groups) k k inputs.
  int64_t flops(const Shape&, const Shape& out) const override {
    return 2 * shape_numel(out) * (in_ / groups_) * kernel_ * kernel_;
  }
  const Tensor& weight() const { return weight_; }
  const Tensor& bias() const { return bias_; }
  int stride() const { return stride_; }
  int padding() const { return padding_; }
  int groups() const { return groups_; }

 private:
  Tensor weight_, bias_;  // weight (C_out, C_in/groups, k, k), bias (C_out) or undefined
  int in_, out_, kernel_, stride_, padding_, groups_;
};

class BatchNorm2d : public Module {
 public:
  explicit BatchNorm2d(int channels, float momentum = 0.1f, float eps = 1e-5f)
      : channels_(channels), momentum_(momentum), eps_(eps) {
    gamma_ = register_parameter("weight", Tensor::ones({channels}));
    beta_ = register_parameter("bias", Tensor::zeros({channels}));
    running_mean_ = register_buffer("running_mean", Tensor::zeros({channels}));
    running_var_ = register_buffer("running_var", Tensor::ones({channels}));
  }
  Tensor forward(const Tensor& x) override {
    return (relu_after_ ? batch_norm2d_relu : batch_norm2d)(
        x, gamma_, beta_, running_mean_, running_var_, is_training(), momentum_, eps_);
  }
  // relu(this(x)) as one op, batch_norm2d_relu: one pass over the activation
  // each way instead of two. Called for a batch norm that a ReLU follows
  // (Sequential, the residual blocks); the ReLU module is then skipped.
  Tensor forward_with_relu(const Tensor& x) {
    struct Reset {
      bool& flag;
      ~Reset() { flag = false; }
    } reset{relu_after_};
    relu_after_ = true;
    return (*this)(x);
  }
  // conv(relu(this(concat(xs)))) as one op, concat_batch_norm_relu_conv2d
  // (engine/ops.h): DenseNet's norm1-relu1-conv1 over every earlier feature
  // map, without keeping the concatenation or the normalized tensor for
  // backward. `conv` must have no bias and no groups; workspace_channels as
  // in concat_batch_norm_relu_conv2d.
  Tensor forward_concat_relu_conv(const std::vector<Tensor>& xs, const Conv2d& conv,
                                  int workspace_channels = 0) {
    CG_CHECK(!conv.bias().defined() && conv.groups() == 1,
             "BatchNorm2d::forward_concat_relu_conv: the convolution must have no bias and no "
             "groups");
    return concat_batch_norm_relu_conv2d(xs, gamma_, beta_, running_mean_, running_var_,
                                         conv.weight(), is_training(), momentum_, eps_,
                                         conv.stride(), conv.padding(), workspace_channels);
  }
  std::string kind() const override { return "BatchNorm2d"; }
  std::string describe() const override { return std::to_string(channels_); }
  Shape infer_shape(const Shape& in, ShapeTrace&) const override {
    check_image_batch(in, channels_);
    return in;
  }

 private:
  Tensor gamma_, beta_, running_mean_, running_var_;  // each (C)
  int channels_;
  float momentum_, eps_;
  bool relu_after_ = false;  // only during forward_with_relu
};

class Linear : public Module {
 public:
  Linear(int in, int out, Generator& gen, bool bias = true) : in_(in), out_(out) {
    const float bound = 1.f / std::sqrt(static_cast<float>(in));
    weight_ = register_parameter("weight", Tensor::uniform({out, in}, gen, -bound, bound));
    if (bias) bias_ = register_parameter("bias", Tensor::uniform({out}, gen, -bound, bound));
  }
  Tensor forward(const Tensor& x) override { return linear(x, weight_, bias_); }
  std::string kind() const override { return "Linear"; }
  std::string describe() const override {
    return std::to_string(in_) + "->" + std::to_string(out_);
  }
  Shape infer_shape(const Shape& in, ShapeTrace&) const override {
    CG_CHECK(in.size() == 2 && in[1] == in_,
             "expects (N, " << in_ << "), got " << shape_str(in));
    return {in[0], out_};
  }
  int64_t flops(const Shape& in, const Shape&) const override { return 2 * in[0] * in_ * out_; }

 private:
  Tensor weight_, bias_;  // weight (out, in), bias (out) or undefined
  int64_t in_, out_;
};

class ReLU : public Module {
 public:
  Tensor forward(const Tensor& x) override { return relu(x); }
  std::string kind() const override { return "ReLU"; }
  Shape infer_shape(const Shape& in, ShapeTrace&) const override { return in; }
};

// Max and average pooling share their window arithmetic.
class Pool2d : public Module {
 public:
  Pool2d(int kernel, int stride, int padding)
      : kernel_(kernel), stride_(stride), padding_(padding) {}
  std::string describe() const override {
    std::string s = std::to_string(kernel_) + "x" + std::to_string(kernel_);
    if (stride_ != 1) s += " stride " + std::to_string(stride_);
    if (padding_ != 0) s += " pad " + std::to_string(padding_);
    return s;
  }
  Shape infer_shape(const Shape& in, ShapeTrace&) const override {
    CG_CHECK(in.size() == 4, "expects (N, C, H, W), got " << shape_str(in));
    return {in[0], in[1], checked_window_output_size(in[2], kernel_, stride_, padding_),
            checked_window_output_size(in[3], kernel_, stride_, padding_)};
  }

 protected:
  int kernel_, stride_, padding_;
};

class MaxPool2d : public Pool2d {
 public:
  MaxPool2d(int kernel, int stride, int padding = 0) : Pool2d(kernel, stride, padding) {}
  Tensor forward(const Tensor& x) override { return max_pool2d(x, kernel_, stride_, padding_); }
  std::string kind() const override { return "MaxPool2d"; }
};

class AvgPool2d : public Pool2d {
 public:
  AvgPool2d(int kernel, int stride, int padding = 0) : Pool2d(kernel, stride, padding) {}
  Tensor forward(const Tensor& x) override { return avg_pool2d(x, kernel_, stride_, padding_); }
  std::string kind() const override { return "AvgPool2d"; }
};

// (N, C, H, W) -> (N, C): torchvision's AdaptiveAvgPool2d(1) followed by flatten.
class GlobalAvgPool : public Module {
 public:
  Tensor forward(const Tensor& x) override { return global_avg_pool2d(x); }
  std::string kind() const override { return "GlobalAvgPool"; }
  Shape infer_shape(const Shape& in, ShapeTrace&) const override {
    CG_CHECK(in.size() == 4, "expects (N, C, H, W), got " << shape_str(in));
    return {in[0], in[1]};
  }
};

class Flatten : public Module {
 public:
  Tensor forward(const Tensor& x) override { return flatten(x); }
  std::string kind() const override { return "Flatten"; }
  Shape infer_shape(const Shape& in, ShapeTrace&) const override {
    CG_CHECK(in.size() >= 2, "expects (N, ...), got " << shape_str(in));
    return {in[0], shape_numel(in) / in[0]};
  }
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
  std::string describe() const override {
    std::ostringstream os;
    os << "p " << p_;  // "p 0.5"
    return os.str();
  }
  Shape infer_shape(const Shape& in, ShapeTrace&) const override { return in; }
  uint64_t counter() const { return counter_; }
  void set_counter(uint64_t c) { counter_ = c; }

 private:
  float p_;
  uint64_t seed_, counter_ = 0;
};

// Runs its children in order. add(m) names them "0", "1", ... as PyTorch's
// Sequential does; add(name, m) gives a name, as Sequential(OrderedDict)
// does, so that a model written as one chain keeps torchvision's names.
class Sequential : public Module {
 public:
  Sequential() = default;
  template <typename M>
  std::shared_ptr<M> add(std::shared_ptr<M> m) {
    return register_module(std::to_string(children().size()), m);
  }
  template <typename M>
  std::shared_ptr<M> add(const std::string& name, std::shared_ptr<M> m) {
    return register_module(name, m);
  }
  // A BatchNorm2d followed by a ReLU runs as one fused op (forward_with_relu):
  // the ReLU stays in the tree, for names and the summary, and its time
  // shows in the batch norm's row of bench-layers.
  Tensor forward(const Tensor& x) override {
    Tensor y = x;
    const auto& c = children();
    for (size_t i = 0; i < c.size(); ++i) {
      auto* bn = dynamic_cast<BatchNorm2d*>(c[i].second.get());
      if (bn && i + 1 < c.size() && dynamic_cast<ReLU*>(c[i + 1].second.get())) {
        y = bn->forward_with_relu(y);
        ++i;
      } else {
        y = (*c[i].second)(y);
      }
    }
    return y;
  }
  std::string kind() const override { return "Sequential"; }
  Shape infer_shape(const Shape& in, ShapeTrace& trace) const override {
    Shape s = in;
    for (const auto& [name, m] : children()) s = trace.through(name, *m, s);
    return s;
  }
};

}  // namespace cudagrad
