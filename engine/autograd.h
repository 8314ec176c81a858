// Define-by-run automatic differentiation (the idea of micrograd, on tensors).
//
// Every op that takes an input with requires_grad creates a Node: the op's
// name, where each input's gradient goes (the node that computed it, or a
// leaf such as a parameter), and a closure that maps the gradient of the
// op's output to the gradients of its inputs. Tensor::backward() orders the
// nodes reachable from the loss topologically and runs the closures from the
// loss back to the leaves, summing gradients where a tensor feeds several
// ops. A node holds only the values its closure saved, so an activation that
// no backward pass needs is freed as soon as the forward pass is done with it.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/tensor.h"

namespace cudagrad {

using BackwardFn = std::function<std::vector<Tensor>(const Tensor& grad_output)>;

// What a node keeps of one input: the way back to where its gradient goes,
// not its values. Values the backward pass needs are saved by the closure;
// an input's storage is therefore freed as soon as no closure and no user
// holds it (a ReLU's input, the two sides of a residual add).
struct NodeInput {
  std::shared_ptr<Node> producer;    // the op that computed the input, or null
  std::shared_ptr<TensorImpl> leaf;  // or the leaf that collects the gradient (a parameter)
  Shape shape;                       // what the gradient's shape must be
  bool differentiable() const { return producer || leaf; }
};

struct Node {
  std::string name;                 // the op, for error messages ("conv2d")
  std::string layer;                // the layer that ran it ("layer1.0.conv1"), if any
  std::vector<NodeInput> inputs;    // one gradient slot per input
  BackwardFn backward;              // returns one gradient (or undefined) per input
  std::weak_ptr<TensorImpl> output; // the tensor it computed, while someone holds it
  std::shared_ptr<TensorImpl> grad; // the gradient of the output, summed during backward()
  bool released = false;            // backward() ran and freed the saved tensors
};

// While alive, ops record no graph (evaluation, optimizer updates). The flag
// is per thread, as in PyTorch, so a data-loading thread is unaffected.
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

bool grad_enabled();

// Names the layer that is running, so that the nodes it records, errors and
// profiles can say "layer1.0.conv1" rather than "conv2d". Scopes nest: a
// scope opened inside "layer1" as "0" is "layer1.0". Sequential containers
// open one per child.
class LayerScope {
 public:
  explicit LayerScope(const std::string& name);
  ~LayerScope();
  LayerScope(const LayerScope&) = delete;
  LayerScope& operator=(const LayerScope&) = delete;
  static const std::string& current();  // "" outside any layer

 private:
  size_t previous_length_;
  double start_ms_;  // for the Profiler, when one is active
};

// While alive, every op checks its output for NaN or infinity and throws an
// Error naming the op and the layer (PyTorch's detect_anomaly, forward only).
// Slow: training turns it on to re-run a step whose loss was not finite.
class AnomalyGuard {
 public:
  AnomalyGuard();
  ~AnomalyGuard();
  AnomalyGuard(const AnomalyGuard&) = delete;
  AnomalyGuard& operator=(const AnomalyGuard&) = delete;

 private:
  bool previous_;
};
bool anomaly_detection_enabled();

// Used by ops: if recording and any input requires a gradient, attach a Node
// to `output` (which then requires a gradient too). Returns output.
Tensor record(Tensor output, const char* name, std::vector<Tensor> inputs, BackwardFn backward);

}  // namespace cudagrad
