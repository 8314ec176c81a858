// Module: a layer or a network. It owns named parameters (trained), named
// buffers (running statistics: saved, not trained) and named sub-modules,
// and knows whether it is in training or evaluation mode.
//
// Besides forward(), every module can say what shape it outputs for an input
// shape without touching any data (infer_shape). That is how a model checks
// its input before running, naming the layer that cannot take it, and how
// the summary lists every layer of ResNet-50 at 224x224 instantly, where a
// real forward pass on the reference kernels would take many seconds.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/tensor.h"

namespace cudagrad {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;
class ShapeTrace;

class Module {
 public:
  virtual ~Module() = default;
  virtual Tensor forward(const Tensor& x) = 0;
  // forward() inside a LayerScope of the name this module was registered
  // under, so autograd nodes, errors and profiles name the layer. Containers
  // call their children this way.
  Tensor operator()(const Tensor& x);
  virtual std::string kind() const = 0;  // "Conv2d", "Sequential", ...
  // The settings that tell two layers of one kind apart, for the summary:
  // "3->64, 7x7, stride 2, pad 3, no bias". Empty when there are none.
  virtual std::string describe() const { return ""; }

  // Recursively, with dotted names as PyTorch's state_dict: "features.0.weight".
  NamedTensors named_parameters() const;  // trainable and frozen alike
  NamedTensors named_buffers() const;
  // Parameters and buffers in PyTorch's state_dict order: each module's own
  // parameters, then its own buffers, then its children in order.
  NamedTensors state_dict() const;
  std::vector<Tensor> parameters() const;            // only those that require a gradient
  const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& children() const {
    return children_;
  }

  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }
  // Frozen parameters keep their values: requires_grad is switched off.
  void set_frozen(bool frozen);
  // Moves every parameter and buffer to `device` in place. The tensors keep
  // their identity (layers and optimizers hold the same handles); only their
  // storage moves. Gradients are dropped.
  void to_device(Device device);

  // ---- shapes -----------------------------------------------------------------------
  // The output shape for an input shape. A layer checks what its forward()
  // would check and throws an Error; a container passes each child through
  // trace.through() in the order its forward() calls them. The default
  // throws: a module without shape inference cannot be summarized.
  virtual Shape infer_shape(const Shape& input, ShapeTrace& trace) const;
  Shape output_shape(const Shape& input) const;  // infer_shape through a fresh trace
  // Floating-point operations of one forward pass of this layer alone
  // (leaves only), counted as 2 x multiply-adds; 0 where not counted.
  virtual int64_t flops(const Shape& input, const Shape& output) const;

 protected:
  Tensor& register_parameter(const std::string& name, Tensor t);
  Tensor& register_buffer(const std::string& name, Tensor t);
  template <typename M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> m) {
    children_.emplace_back(name, m);
    m->scope_name_ = name;
    return m;
  }

 private:
  enum class Collect { parameters, buffers, both };
  void collect(const std::string& prefix, Collect what, NamedTensors& out) const;
  NamedTensors parameters_, buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
  std::string scope_name_;  // the name the parent registered it under
};

// Captures the output of one named layer during a forward pass, for
// Grad-CAM, which needs a feature map and the gradient of the score with
// respect to it. While a capture is alive on this thread, Module::operator()
// hands it every layer's output with the layer's dotted name
// (LayerScope::current(), e.g. "layer4" or "layer4.1.conv2"); the one whose
// name matches is kept and marked retain_grad(), so after backward() its
// gradient is there too. The root module has no name and is never captured.
class LayerCapture {
 public:
  explicit LayerCapture(std::string layer);
  ~LayerCapture();
  LayerCapture(const LayerCapture&) = delete;
  LayerCapture& operator=(const LayerCapture&) = delete;

  static LayerCapture* active();  // this thread's, or nullptr
  void offer(const std::string& layer, const Tensor& output);
  bool found() const { return output_.defined(); }
  const Tensor& output() const { return output_; }  // the layer's latest output
  const std::vector<std::string>& seen() const { return seen_; }  // every name offered

 private:
  std::string layer_;
  Tensor output_;
  std::vector<std::string> seen_;
  LayerCapture* previous_;
};

// One leaf layer met by a shape trace, in forward order.
struct TracedLayer {
  std::string name;  // dotted, as in state_dict: "layer1.0.conv1"
  const Module* layer;
  Shape input, output;
};

// Walks a module tree on shapes instead of data. through() names the child
// (prefix + name), asks it for its output shape and records it if it is a
// leaf (a module without children). An Error thrown by a leaf is re-thrown
// with the leaf's name and kind in front, so a wrong input size says where
// it stopped fitting. A trace that threw is not used again.
class ShapeTrace {
 public:
  Shape through(const std::string& name, const Module& child, const Shape& input);
  const std::vector<TracedLayer>& layers() const { return layers_; }

 private:
  std::string prefix_;  // "layer1.0." while inside that block
  std::vector<TracedLayer> layers_;
};

}  // namespace cudagrad
