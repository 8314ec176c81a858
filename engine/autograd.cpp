#include "engine/autograd.h"

#include <cmath>
#include <unordered_set>

#include "base/error.h"
#include "engine/dispatch.h"
#include "engine/profiler.h"

namespace cudagrad {

static thread_local bool t_grad_enabled = true;

NoGradGuard::NoGradGuard() : previous_(t_grad_enabled) { t_grad_enabled = false; }
NoGradGuard::~NoGradGuard() { t_grad_enabled = previous_; }
bool grad_enabled() { return t_grad_enabled; }

// The dotted name of the running layer, built by LayerScope.
static thread_local std::string t_layer;


LayerScope::LayerScope(const std::string& name)
    : previous_length_(t_layer.size()), start_ms_(Profiler::active() ? Profiler::active()->now_ms() : 0) {
  t_layer += (t_layer.empty() ? "" : ".") + name;
}

LayerScope::~LayerScope() {
  if (Profiler* p = Profiler::active()) p->add_forward(t_layer, p->now_ms() - start_ms_);
  t_layer.resize(previous_length_);
}
const std::string& LayerScope::current() { return t_layer; }

static thread_local bool t_anomaly = false;
AnomalyGuard::AnomalyGuard() : previous_(t_anomaly) { t_anomaly = true; }
AnomalyGuard::~AnomalyGuard() { t_anomaly = previous_; }
bool anomaly_detection_enabled() { return t_anomaly; }

static void check_finite(const Tensor& output, const char* op) {
  for (float v : output.to_vector())
    CG_CHECK(std::isfinite(v), "non-finite value (" << v << ") in the output of '" << op << "'"
                                                    << (t_layer.empty() ? "" : " in layer '")
                                                    << t_layer << (t_layer.empty() ? "" : "'"));
}

Tensor record(Tensor output, const char* name, std::vector<Tensor> inputs, BackwardFn backward) {
  if (t_anomaly) check_finite(output, name);
  if (!grad_enabled()) return output;
  bool any = false;
  for (const Tensor& in : inputs) any = any || (in.defined() && in.requires_grad());
  if (!any) return output;
  auto node = std::make_shared<Node>();
  node->name = name;
  node->layer = t_layer;
  node->inputs.resize(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& in = inputs[i];
    if (!in.defined() || !in.requires_grad()) continue;  // not differentiated: an empty slot
    NodeInput& slot = node->inputs[i];
    slot.shape = in.shape();
    if (in.impl()->grad_fn) {
      slot.producer = in.impl()->grad_fn;
    } else {
      slot.leaf = in.impl_ptr();
    }
  }
  node->backward = std::move(backward);
  node->output = output.impl_ptr();
  output.impl()->grad_fn = node;
  output.impl()->requires_grad = true;
  return output;
}

// Adds g into a gradient slot (a leaf's grad, or a node's output gradient).
// A gradient tensor that nobody else holds is adopted as is; one that is
// shared (add passes one gradient to both of its inputs; reshape returns a
// view) is copied first, so that a later in-place accumulation cannot change
// another tensor's gradient.
static void accumulate_grad(std::shared_ptr<TensorImpl>& slot, const Shape& shape, Tensor g,
                            const std::string& op) {
  CG_CHECK(g.shape() == shape, "backward of '" << op << "' returned a gradient of shape "
                                               << shape_str(g.shape()) << " for an input of shape "
                                               << shape_str(shape));
  if (!slot) {
    bool exclusive = g.impl_ptr().use_count() == 1 && g.impl()->storage.use_count() == 1;
    slot = exclusive ? g.impl_ptr() : g.clone().impl_ptr();
    slot->grad_fn.reset();
    slot->requires_grad = false;
  } else {
    Tensor acc(slot);
    kernels_for(acc.device()).accumulate(acc.numel(), g.data(), acc.data());
  }
}

// Nodes reachable from root through their inputs' producers, each after
// every node that used its output (so reversed, each node comes before the
// nodes of its inputs). The order holds owning pointers: releasing a node
// during backward drops the graph's references, and the nodes must outlive
// the loop.
using NodePtr = std::shared_ptr<Node>;
static std::vector<NodePtr> topological_order(const NodePtr& root) {
  std::vector<NodePtr> order;
  std::unordered_set<Node*> visited;
  // Iterative depth-first search: deep networks would overflow a recursive one.
  std::vector<std::pair<NodePtr, size_t>> stack{{root, 0}};
  visited.insert(root.get());
  while (!stack.empty()) {
    auto& [node, next_input] = stack.back();
    if (next_input < node->inputs.size()) {
      const NodePtr& in = node->inputs[next_input++].producer;
      if (in && visited.insert(in.get()).second) stack.push_back({in, 0});
    } else {
      order.push_back(node);
      stack.pop_back();
    }
  }
  return order;
}

// Runs the closures from the loss back to the leaves (order reversed).
static void backward_in_order(const std::vector<NodePtr>& order, bool retain_graph) {
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    Node* node = it->get();
    CG_CHECK(!node->released, "backward() reached '" << node->name
                                                     << "' whose graph was already released; "
                                                        "pass retain_graph=true to keep it");
    if (node->grad) {
      Tensor grad(node->grad);
      node->grad.reset();
      // A tensor that asked to keep its gradient gets it added to its grad,
      // as a leaf would (a copy: the closure may pass `grad` on to an input).
      if (auto out = node->output.lock(); out && out->retain_grad)
        accumulate_grad(out->grad, out->shape, grad.clone(), node->name);
      Profiler* profiler = Profiler::active();
      const double start = profiler ? profiler->now_ms() : 0;
      std::vector<Tensor> grads = node->backward(grad);
      if (profiler) profiler->add_backward(node->layer, profiler->now_ms() - start);
      // Drop our references before handing the gradients on: a gradient
      // nobody else holds becomes its input's grad without a copy (an add
      // passes one tensor to both inputs, and the second takes it as is).
      grad = Tensor();
      CG_CHECK(grads.size() == node->inputs.size(),
               "backward of '" << node->name << "' returned " << grads.size() << " gradients for "
                               << node->inputs.size() << " inputs");
      for (size_t i = 0; i < grads.size(); ++i) {
        NodeInput& in = node->inputs[i];
        if (!grads[i].defined()) continue;
        if (in.producer) {
          accumulate_grad(in.producer->grad, in.shape, std::move(grads[i]), node->name);
        } else if (in.leaf) {
          accumulate_grad(in.leaf->grad, in.shape, std::move(grads[i]), node->name);
        }
      }
    }
    if (!retain_graph) {
      node->backward = nullptr;  // frees the tensors the closure saved
      node->inputs.clear();
      node->released = true;
    }
  }
}

static void run_backward(const Tensor& root, const Tensor& grad_output, bool retain_graph) {
  CG_CHECK(root.requires_grad(), "backward() on a tensor that does not require a gradient");
  TensorImpl* root_impl = root.impl();
  if (!root_impl->grad_fn) {  // a leaf: its gradient is the seed
    accumulate_grad(root_impl->grad, root.shape(), grad_output, "backward seed");
    return;
  }
  CG_CHECK(!root_impl->grad_fn->released,
           "backward() through the graph of '"
               << root_impl->grad_fn->name
               << "' a second time: its saved tensors were freed by the first backward(); "
                  "pass retain_graph=true to the first call to keep them");
  const NodePtr root_node = root_impl->grad_fn;
  accumulate_grad(root_node->grad, root.shape(), grad_output, "backward seed");

  std::vector<NodePtr> order = topological_order(root_node);
  try {
    backward_in_order(order, retain_graph);
  } catch (...) {
    for (const NodePtr& node : order) node->grad.reset();  // no half-summed gradient lingers
    throw;
  }
}

void Tensor::backward(bool retain_graph) const {
  CG_CHECK(numel() == 1, "backward() without a gradient needs a one-element tensor (a loss), got "
                             << shape_str(shape()));
  run_backward(*this, Tensor::ones(shape(), device()), retain_graph);
}

void Tensor::backward(const Tensor& grad_output, bool retain_graph) const {
  CG_CHECK(grad_output.shape() == shape(), "backward(): gradient shape "
                                               << shape_str(grad_output.shape())
                                               << " does not match the tensor's " << shape_str(shape()));
  run_backward(*this, grad_output.to(device()), retain_graph);
}

}  // namespace cudagrad
