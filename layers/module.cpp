#include "layers/module.h"

#include "engine/autograd.h"

#include "base/error.h"

namespace cudagrad {

Tensor Module::operator()(const Tensor& x) {
  if (scope_name_.empty()) return forward(x);  // the root: names start below it
  LayerScope scope(scope_name_);
  Tensor y = forward(x);
  if (LayerCapture* capture = LayerCapture::active()) capture->offer(LayerScope::current(), y);
  return y;
}

static thread_local LayerCapture* t_capture = nullptr;

LayerCapture::LayerCapture(std::string layer) : layer_(std::move(layer)), previous_(t_capture) {
  t_capture = this;
}
LayerCapture::~LayerCapture() { t_capture = previous_; }
LayerCapture* LayerCapture::active() { return t_capture; }

void LayerCapture::offer(const std::string& layer, const Tensor& output) {
  seen_.push_back(layer);
  if (layer != layer_) return;
  output_ = output;
  if (output_.requires_grad()) output_.retain_grad();
}

Tensor& Module::register_parameter(const std::string& name, Tensor t) {
  t.set_requires_grad(true);
  parameters_.emplace_back(name, t);
  return parameters_.back().second;
}

Tensor& Module::register_buffer(const std::string& name, Tensor t) {
  buffers_.emplace_back(name, t);
  return buffers_.back().second;
}

void Module::collect(const std::string& prefix, Collect what, NamedTensors& out) const {
  if (what != Collect::buffers)
    for (const auto& [name, t] : parameters_) out.emplace_back(prefix + name, t);
  if (what != Collect::parameters)
    for (const auto& [name, t] : buffers_) out.emplace_back(prefix + name, t);
  for (const auto& [name, child] : children_) child->collect(prefix + name + ".", what, out);
}

NamedTensors Module::named_parameters() const {
  NamedTensors out;
  collect("", Collect::parameters, out);
  return out;
}

NamedTensors Module::named_buffers() const {
  NamedTensors out;
  collect("", Collect::buffers, out);
  return out;
}

NamedTensors Module::state_dict() const {
  NamedTensors out;
  collect("", Collect::both, out);
  return out;
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  for (const auto& [name, t] : named_parameters())
    if (t.requires_grad()) out.push_back(t);
  return out;
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [name, child] : children_) child->train(on);
}

void Module::to_device(Device device) {
  for (auto& [name, t] : state_dict()) {
    if (t.device() == device) continue;
    Tensor moved = t.to(device);
    t.zero_grad();
    t.impl()->storage = moved.impl()->storage;  // every handle to t sees the new storage
  }
}

void Module::set_frozen(bool frozen) {
  for (auto& [name, t] : parameters_) t.set_requires_grad(!frozen);
  for (auto& [name, child] : children_) child->set_frozen(frozen);
}

// ---- shapes -------------------------------------------------------------------------

Shape Module::infer_shape(const Shape&, ShapeTrace&) const {
  CG_FAIL(kind() << " cannot infer its output shape (it does not override infer_shape)");
}

Shape Module::output_shape(const Shape& input) const {
  ShapeTrace trace;
  return trace.through("", *this, input);
}

int64_t Module::flops(const Shape&, const Shape&) const { return 0; }

Shape ShapeTrace::through(const std::string& name, const Module& child, const Shape& input) {
  const std::string full = prefix_ + name;
  if (!child.children().empty()) {
    const std::string outer = prefix_;
    prefix_ = full.empty() ? "" : full + ".";
    Shape output = child.infer_shape(input, *this);
    prefix_ = outer;
    return output;
  }
  Shape output;
  try {
    output = child.infer_shape(input, *this);
  } catch (const Error& e) {
    if (full.empty()) throw;
    throw Error("layer '" + full + "' (" + child.kind() + "): " + e.what());
  }
  layers_.push_back({full, &child, input, output});
  return output;
}

}  // namespace cudagrad
