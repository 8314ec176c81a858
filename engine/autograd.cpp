#include "engine/autograd.h"

#include <cmath>
#include <unordered_set>

#include "engine/dispatch.h"
#include "engine/error.h"
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
  for (Tensor& in : inputs) {
    if (in.defined() && in.requires_grad()) {
      any = true;
    } else {
      in = Tensor();  // not differentiated: don't keep it alive
    }
  }
  if (!any) return output;
  auto node = std::make_shared<Node>();
  node->name = name;
  node->layer = t_layer;
  node->inputs = std::move(inputs);
  node->backward = std::move(backward);
  output.impl()->grad_fn = node;
  output.impl()->requires_grad = true;
  return output;
}

// Adds g into t's gradient. A gradient tensor that nobody else holds is
// adopted as is; one that is shared (add passes one gradient to both of its
// inputs; reshape returns a view) is copied first, so that a later in-place
// accumulation cannot change another tensor's gradient.
static void accumulate_grad(TensorImpl* t, Tensor g, const std::string& op) {
  CG_CHECK(g.shape() == t->shape, "backward of '" << op << "' returned a gradient of shape "
                                                  << shape_str(g.shape()) << " for an input of shape "
                                                  << shape_str(t->shape));
  if (!t->grad) {
    bool exclusive = g.impl_ptr().use_count() == 1 && g.impl()->storage.use_count() == 1;
    t->grad = exclusive ? g.impl_ptr() : g.clone().impl_ptr();
    t->grad->grad_fn.reset();
    t->grad->requires_grad = false;
  } else {
    Tensor acc(t->grad);
    kernels_for(acc.device()).accumulate(acc.numel(), g.data(), acc.data());
  }
}

// Tensors reachable from root through grad_fn edges, each after every tensor
// computed from it (so reversed, each tensor comes before its inputs). The
// order holds owning pointers: releasing a node during backward drops the
// graph's references, and the tensors must outlive the loop.
using ImplPtr = std::shared_ptr<TensorImpl>;
static std::vector<ImplPtr> topological_order(const ImplPtr& root) {
  std::vector<ImplPtr> order;
  std::unordered_set<TensorImpl*> visited;
  // Iterative depth-first search: deep networks would overflow a recursive one.
  std::vector<std::pair<ImplPtr, size_t>> stack{{root, 0}};
  visited.insert(root.get());
  while (!stack.empty()) {
    auto& [t, next_input] = stack.back();
    Node* node = t->grad_fn.get();
    if (node && next_input < node->inputs.size()) {
      ImplPtr in = node->inputs[next_input++].impl_ptr();
      if (in && visited.insert(in.get()).second) stack.push_back({in, 0});
    } else {
      order.push_back(t);
      stack.pop_back();
    }
  }
  return order;
}

static void run_backward(const Tensor& root, const Tensor& grad_output, bool retain_graph) {
  CG_CHECK(root.requires_grad(), "backward() on a tensor that does not require a gradient");
  if (Node* node = root.grad_fn()) {
    CG_CHECK(!node->released,
             "backward() through the graph of '"
                 << node->name
                 << "' a second time: its saved tensors were freed by the first backward(); "
                    "pass retain_graph=true to the first call to keep them");
  }
  accumulate_grad(root.impl(), grad_output, "backward seed");  // callers pass a fresh tensor

  std::vector<ImplPtr> order = topological_order(root.impl_ptr());
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    TensorImpl* t = it->get();
    Node* node = t->grad_fn.get();
    if (!node) continue;  // a leaf: its gradient stays in t->grad
    CG_CHECK(!node->released, "backward() reached '" << node->name
                                                     << "' whose graph was already released; "
                                                        "pass retain_graph=true to keep it");
    if (t->grad) {
      Profiler* profiler = Profiler::active();
      const double start = profiler ? profiler->now_ms() : 0;
      std::vector<Tensor> grads = node->backward(Tensor(t->grad));
      if (profiler) profiler->add_backward(node->layer, profiler->now_ms() - start);
      CG_CHECK(grads.size() == node->inputs.size(),
               "backward of '" << node->name << "' returned " << grads.size() << " gradients for "
                               << node->inputs.size() << " inputs");
      for (size_t i = 0; i < grads.size(); ++i) {
        const Tensor& in = node->inputs[i];
        if (in.defined() && grads[i].defined()) accumulate_grad(in.impl(), grads[i], node->name);
      }
      if (!t->retain_grad) t->grad.reset();  // intermediate gradients are not kept
    }
    if (!retain_graph) {
      node->backward = nullptr;  // frees the tensors the closure saved
      node->inputs.clear();
      node->released = true;
    }
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
