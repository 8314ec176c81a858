// The residual blocks of ResNet (He et al., 2015), with torchvision's
// structure and parameter names, so a torchvision state_dict maps 1:1.
//
// BasicBlock (ResNet-18/34), output channels = planes:
//   x -> conv1 3x3 (stride) -> bn1 -> relu -> conv2 3x3 -> bn2 -> + shortcut(x) -> relu
// Bottleneck (ResNet-50 and deeper), output channels = 4 planes:
//   x -> conv1 1x1 -> bn1 -> relu -> conv2 3x3 (stride) -> bn2 -> relu
//     -> conv3 1x1 (4 planes) -> bn3 -> + shortcut(x) -> relu
// The bottleneck puts its stride on the 3x3 convolution, as torchvision does
// ("ResNet v1.5"); the paper put it on the first 1x1, which skips three
// quarters of the input and is a little less accurate.
//
// shortcut(x) is x itself when the block keeps the shape; otherwise it is
// "downsample", a 1x1 convolution with the block's stride followed by BN
// (the paper's option B). No convolution has a bias: BN follows each one
// and its beta would absorb it.
#pragma once
#include <memory>
#include <string>

#include "layers/layers.h"

namespace cudagrad {

// torchvision's conv3x3 and conv1x1: padding kernel/2 keeps the size at
// stride 1; no bias, since a BN follows.
inline std::shared_ptr<Conv2d> conv_before_bn(int in, int out, int kernel, int stride,
                                             Generator& gen) {
  return std::make_shared<Conv2d>(in, out, kernel, stride, kernel / 2, gen, /*bias=*/false);
}

// What both blocks share: the addition, the final ReLU and the shortcut.
class ResidualBlock : public Module {
 public:
  Tensor forward(const Tensor& x) override {
    Tensor out = residual(x);
    Tensor shortcut = downsample_ ? (*downsample_)(x) : x;
    return (*relu_)(add(out, shortcut));
  }
  Shape infer_shape(const Shape& in, ShapeTrace& trace) const override {
    Shape out = residual_shape(in, trace);
    Shape shortcut = downsample_ ? trace.through("downsample", *downsample_, in) : in;
    CG_CHECK(out == shortcut, kind() << ": residual " << shape_str(out) << " and shortcut "
                                     << shape_str(shortcut) << " cannot be added");
    return trace.through("relu", *relu_, out);
  }

 protected:
  virtual Tensor residual(const Tensor& x) = 0;  // the main path, up to its last BN
  virtual Shape residual_shape(const Shape& in, ShapeTrace& trace) const = 0;

  // Called last by each constructor, so "downsample" comes last in the
  // state_dict, as in torchvision.
  void add_downsample_if_needed(int in, int out, int stride, Generator& gen) {
    if (stride == 1 && in == out) return;
    downsample_ = register_module("downsample", std::make_shared<Sequential>());
    downsample_->add(conv_before_bn(in, out, 1, stride, gen));
    downsample_->add(std::make_shared<BatchNorm2d>(out));
  }

  std::shared_ptr<ReLU> relu_;  // torchvision shares one ReLU module per block
  std::shared_ptr<Sequential> downsample_;  // null when the shortcut is x itself
};

class BasicBlock : public ResidualBlock {
 public:
  static constexpr int expansion = 1;
  BasicBlock(int in, int planes, int stride, Generator& gen) {
    conv1_ = register_module("conv1", conv_before_bn(in, planes, 3, stride, gen));
    bn1_ = register_module("bn1", std::make_shared<BatchNorm2d>(planes));
    relu_ = register_module("relu", std::make_shared<ReLU>());
    conv2_ = register_module("conv2", conv_before_bn(planes, planes, 3, 1, gen));
    bn2_ = register_module("bn2", std::make_shared<BatchNorm2d>(planes));
    add_downsample_if_needed(in, planes, stride, gen);
  }
  std::string kind() const override { return "BasicBlock"; }

 protected:
  Tensor residual(const Tensor& x) override {
    Tensor y = bn1_->forward_with_relu((*conv1_)(x));  // bn1 and relu as one op
    return (*bn2_)((*conv2_)(y));
  }
  Shape residual_shape(const Shape& in, ShapeTrace& trace) const override {
    Shape s = trace.through("conv1", *conv1_, in);
    s = trace.through("bn1", *bn1_, s);
    s = trace.through("relu", *relu_, s);
    s = trace.through("conv2", *conv2_, s);
    return trace.through("bn2", *bn2_, s);
  }

 private:
  std::shared_ptr<Conv2d> conv1_, conv2_;
  std::shared_ptr<BatchNorm2d> bn1_, bn2_;
};

class Bottleneck : public ResidualBlock {
 public:
  static constexpr int expansion = 4;
  Bottleneck(int in, int planes, int stride, Generator& gen) {
    const int out = planes * expansion;
    conv1_ = register_module("conv1", conv_before_bn(in, planes, 1, 1, gen));
    bn1_ = register_module("bn1", std::make_shared<BatchNorm2d>(planes));
    conv2_ = register_module("conv2", conv_before_bn(planes, planes, 3, stride, gen));
    bn2_ = register_module("bn2", std::make_shared<BatchNorm2d>(planes));
    conv3_ = register_module("conv3", conv_before_bn(planes, out, 1, 1, gen));
    bn3_ = register_module("bn3", std::make_shared<BatchNorm2d>(out));
    relu_ = register_module("relu", std::make_shared<ReLU>());
    add_downsample_if_needed(in, out, stride, gen);
  }
  std::string kind() const override { return "Bottleneck"; }

 protected:
  Tensor residual(const Tensor& x) override {
    Tensor y = bn1_->forward_with_relu((*conv1_)(x));  // bn and relu as one op
    y = bn2_->forward_with_relu((*conv2_)(y));
    return (*bn3_)((*conv3_)(y));
  }
  Shape residual_shape(const Shape& in, ShapeTrace& trace) const override {
    Shape s = trace.through("conv1", *conv1_, in);
    s = trace.through("bn1", *bn1_, s);
    s = trace.through("relu", *relu_, s);
    s = trace.through("conv2", *conv2_, s);
    s = trace.through("bn2", *bn2_, s);
    s = trace.through("relu", *relu_, s);
    s = trace.through("conv3", *conv3_, s);
    return trace.through("bn3", *bn3_, s);
  }

 private:
  std::shared_ptr<Conv2d> conv1_, conv2_, conv3_;
  std::shared_ptr<BatchNorm2d> bn1_, bn2_, bn3_;
};

}  // namespace cudagrad
