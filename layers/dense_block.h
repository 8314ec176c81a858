// DenseNet's building blocks (Huang et al., "Densely Connected Convolutional
// Networks", 2017, DenseNet-BC), with torchvision's structure and parameter
// names, so a torchvision state_dict maps 1:1.
//
// DenseLayer (denselayerN), growth k, bottleneck width bn_size k:
//   [x_0, ..., x_{l-1}] -> concat -> norm1 -> relu1 -> conv1 1x1 (C -> bn_size k)
//                       -> norm2 -> relu2 -> conv2 3x3 pad 1 (bn_size k -> k) = x_l
// DenseBlock (denseblockN), L layers: layer l sees the block's input and the
//   l - 1 feature maps before it (C_0 + (l - 1) k channels); the block
//   outputs all of them concatenated, C_0 + L k channels.
// Transition (transitionN), between blocks:
//   norm -> relu -> conv 1x1 (C -> C/2) -> pool 2x2 average, stride 2
// No convolution has a bias: each output meets a BN before anything else
// (conv2's in the next layer's norm1, or the transition's, or norm5), and
// the BN's beta would absorb it.
//
// Memory. Each layer normalizes the concatenation of every earlier map,
// so written naively (concat, BN, ReLU, conv as separate ops) a block keeps
// two tensors of C_0 + (l - 1) k channels alive for the backward pass per
// layer: O(L^2) in the block's depth. norm1-relu1-conv1 (and the
// transition's norm-relu-conv) run instead as one op,
// concat_batch_norm_relu_conv2d (engine/ops.h), that keeps only its
// inputs, which the block holds anyway, and rebuilds the concatenation and
// the normalized tensor in the backward pass: the "memory-efficient"
// DenseNet of Pleiss et al. (2017), recomputing the two cheap memory-bound
// steps, never the convolution. The op's temporaries are allocated at the
// block's widest size, so every layer of a block reuses the same few
// blocks of the caching allocator (which keeps freed blocks by exact size:
// temporaries of 24 sizes would stay cached as 24 blocks, and the
// process's footprint would be back to O(L^2)). models/densenet.h has the
// measurements.
//
// Why not one preallocated block buffer that each layer writes its new
// channels into (no concatenation at all)? In NCHW the first C channels of
// a (N, C_total, H, W) buffer are not contiguous across the batch, and
// every kernel takes contiguous tensors; a batch stride in each backend's
// convolution, batch norm and pooling would be a far larger change.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "engine/autograd.h"
#include "layers/layers.h"

namespace cudagrad {

class DenseLayer : public Module {
 public:
  // workspace_channels: the widest input of the layer's block (see
  // concat_batch_norm_relu_conv2d), or 0.
  DenseLayer(int in, int growth, int bn_size, Generator& gen, int workspace_channels = 0)
      : in_(in), workspace_channels_(workspace_channels) {
    const int width = bn_size * growth;
    norm1_ = register_module("norm1", std::make_shared<BatchNorm2d>(in));
    relu1_ = register_module("relu1", std::make_shared<ReLU>());
    conv1_ = register_module("conv1", std::make_shared<Conv2d>(in, width, 1, 1, 0, gen, false));
    norm2_ = register_module("norm2", std::make_shared<BatchNorm2d>(width));
    relu2_ = register_module("relu2", std::make_shared<ReLU>());
    conv2_ = register_module("conv2", std::make_shared<Conv2d>(width, growth, 3, 1, 1, gen, false));
  }
  // The new feature map (N, k, H, W) from every earlier one, each (N, C_i, H, W).
  Tensor forward_features(const std::vector<Tensor>& features) {
    Tensor bottleneck;
    {
      LayerScope scope("norm1");  // norm1, relu1 and conv1 show in norm1's row
      bottleneck = norm1_->forward_concat_relu_conv(features, *conv1_, workspace_channels_);
    }
    return (*conv2_)(norm2_->forward_with_relu(bottleneck));
  }
  Tensor forward(const Tensor& x) override { return forward_features({x}); }
  std::string kind() const override { return "DenseLayer"; }
  Shape infer_shape(const Shape& in, ShapeTrace& trace) const override {
    check_image_batch(in, in_);
    Shape s = trace.through("norm1", *norm1_, in);
    s = trace.through("relu1", *relu1_, s);
    s = trace.through("conv1", *conv1_, s);
    s = trace.through("norm2", *norm2_, s);
    s = trace.through("relu2", *relu2_, s);
    return trace.through("conv2", *conv2_, s);
  }

 private:
  int in_, workspace_channels_;
  std::shared_ptr<BatchNorm2d> norm1_, norm2_;
  std::shared_ptr<ReLU> relu1_, relu2_;
  std::shared_ptr<Conv2d> conv1_, conv2_;
};

class DenseBlock : public Module {
 public:
  DenseBlock(int layers, int in, int growth, int bn_size, Generator& gen) : in_(in) {
    const int widest = in + (layers - 1) * growth;  // the last layer's input
    for (int i = 0; i < layers; ++i)
      layers_.push_back(register_module("denselayer" + std::to_string(i + 1),
                                        std::make_shared<DenseLayer>(in + i * growth, growth,
                                                                     bn_size, gen, widest)));
  }
  int out_channels(int growth) const { return in_ + static_cast<int>(layers_.size()) * growth; }

  // x (N, C_0, H, W) -> (N, C_0 + L k, H, W). The feature maps are kept in a
  // list and concatenated once, at the end; each layer's op reads the list.
  Tensor forward(const Tensor& x) override {
    std::vector<Tensor> features{x};
    for (size_t i = 0; i < layers_.size(); ++i) {
      // What Module::operator() does for one input: name the layer, offer
      // its output to a Grad-CAM capture.
      LayerScope scope(children()[i].first);
      features.push_back(layers_[i]->forward_features(features));
      if (LayerCapture* capture = LayerCapture::active())
        capture->offer(LayerScope::current(), features.back());
    }
    return concat_channels(features);
  }
  std::string kind() const override { return "DenseBlock"; }
  Shape infer_shape(const Shape& in, ShapeTrace& trace) const override {
    check_image_batch(in, in_);
    Shape s = in;
    for (size_t i = 0; i < layers_.size(); ++i) {
      const Shape added = trace.through(children()[i].first, *layers_[i], s);
      s[1] += added[1];
    }
    return s;
  }

 private:
  int in_;
  std::vector<std::shared_ptr<DenseLayer>> layers_;
};

class Transition : public Module {
 public:
  Transition(int in, int out, Generator& gen) {
    norm_ = register_module("norm", std::make_shared<BatchNorm2d>(in));
    relu_ = register_module("relu", std::make_shared<ReLU>());
    conv_ = register_module("conv", std::make_shared<Conv2d>(in, out, 1, 1, 0, gen, false));
    pool_ = register_module("pool", std::make_shared<AvgPool2d>(2, 2));
  }
  Tensor forward(const Tensor& x) override {
    Tensor y;
    {
      LayerScope scope("norm");  // norm, relu and conv show in norm's row
      y = norm_->forward_concat_relu_conv({x}, *conv_);
    }
    return (*pool_)(y);
  }
  std::string kind() const override { return "Transition"; }
  Shape infer_shape(const Shape& in, ShapeTrace& trace) const override {
    Shape s = trace.through("norm", *norm_, in);
    s = trace.through("relu", *relu_, s);
    s = trace.through("conv", *conv_, s);
    return trace.through("pool", *pool_, s);
  }

 private:
  std::shared_ptr<BatchNorm2d> norm_;
  std::shared_ptr<ReLU> relu_;
  std::shared_ptr<Conv2d> conv_;
  std::shared_ptr<AvgPool2d> pool_;
};

}  // namespace cudagrad
