// Define-by-run automatic differentiation (the idea of micrograd, on tensors).
//
// Every op that takes an input with requires_grad creates a Node: the op's
// name, its inputs, and a closure that maps the gradient of the op's output
// to the gradients of its inputs. Tensor::backward() orders the nodes
// reachable from the loss topologically and runs the closures from the loss
// back to the leaves, summing gradients where a tensor feeds several ops.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "engine/tensor.h"

namespace cudagrad {

using BackwardFn = std::function<std::vector<Tensor>(const Tensor& grad_output)>;

struct Node {
  std::string name;            // the op, for error messages ("conv2d")
  std::vector<Tensor> inputs;  // one gradient slot per input
  BackwardFn backward;         // returns one gradient (or undefined) per input
  bool released = false;       // backward() ran and freed the saved tensors
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

// Used by ops: if recording and any input requires a gradient, attach a Node
// to `output` (which then requires a gradient too). Returns output.
Tensor record(Tensor output, const char* name, std::vector<Tensor> inputs, BackwardFn backward);

}  // namespace cudagrad
