#include "train/train_step.h"

#include <cmath>
#include <sstream>

#include "base/error.h"
#include "engine/autograd.h"
#include "engine/ops.h"
#include "train/inference.h"
#include "train/model_setup.h"

namespace cudagrad {
namespace train {

namespace {

// Runs the forward pass again with every op checking its output.
std::string locate_non_finite(Module& model, const Tensor& x, const data::Batch& batch,
                              const Tensor& class_weights) {
  try {
    AnomalyGuard guard;
    NoGradGuard no_grad;
    cross_entropy(model.forward(x), batch.labels, class_weights);
  } catch (const Error& e) {
    return e.what();  // the message alone; its source location is in e.where()
  }
  return "a second forward pass found no non-finite output (inputs or kernels differ between runs?)";
}

bool all_finite(const Tensor& t) {
  std::vector<float> host;
  const float* p = t.data();
  if (!t.device().is_cpu()) {
    host = t.to_vector();
    p = host.data();
  }
  for (int64_t i = 0; i < t.numel(); ++i)
    if (!std::isfinite(p[i])) return false;
  return true;
}

// Backward runs from the loss to the input, and a non-finite gradient
// spreads from where it arises to every layer before it. So the origin is
// the affected parameter nearest the loss: the last in forward order.
std::string non_finite_gradients(const Module& model) {
  const NamedTensors params = model.named_parameters();
  std::string nearest_loss;
  int affected = 0;
  for (const auto& [name, p] : params) {
    const Tensor g = p.grad();
    if (g.defined() && !all_finite(g)) {
      nearest_loss = name;
      ++affected;
    }
  }
  if (affected == 0) return "";
  std::ostringstream os;
  os << "non-finite gradient, nearest the loss in '" << nearest_loss << "' (" << affected << " of "
     << params.size() << " parameters affected)";
  return os.str();
}

// What a skipped step must undo besides the weights: the running
// statistics the forward passes updated and the dropout counters they advanced.
struct SideState {
  std::vector<std::pair<Tensor, Tensor>> buffers;  // (live tensor, copy)
  std::vector<std::pair<Dropout*, uint64_t>> dropouts;
  explicit SideState(Module& model) {
    for (const auto& [name, b] : model.named_buffers()) buffers.emplace_back(b, b.clone());
    for (Dropout* d : dropout_layers(model)) dropouts.emplace_back(d, d->counter());
  }
  void restore() {
    for (auto& [live, copy] : buffers) live.copy_from(copy);
    for (auto& [d, counter] : dropouts) d->set_counter(counter);
  }
};

}  // namespace

StepResult train_step(Module& model, Optimizer& optimizer, const Tensor& class_weights,
                      const data::Batch& batch, Device device, bool restore_on_problem) {
  std::unique_ptr<SideState> before;
  if (restore_on_problem) before = std::make_unique<SideState>(model);
  const Tensor x = batch_images(batch, device);

  StepResult r;
  optimizer.zero_grad();
  Tensor logits = model.forward(x);
  Tensor loss = cross_entropy(logits, batch.labels, class_weights);
  loss.backward();
  // The loss, the right predictions and the count of non-finite gradient
  // values, in one read from the device; the slow searches for where a
  // problem began run only when there is one.
  std::vector<Tensor> gradients;
  for (const auto& named : model.named_parameters()) gradients.push_back(named.second.grad());
  const StepReadback numbers = read_step(loss, logits, batch.labels, gradients);
  r.loss = numbers.loss;
  if (!std::isfinite(r.loss)) {
    std::ostringstream os;
    os << "loss is " << r.loss << "; " << locate_non_finite(model, x, batch, class_weights);
    r.problem = os.str();
  } else if (numbers.non_finite > 0) {
    r.problem = non_finite_gradients(model);
  }
  if (!r.problem.empty()) {
    optimizer.zero_grad();
    if (before) before->restore();
    return r;
  }
  optimizer.step();
  r.applied = true;
  r.correct = numbers.correct;
  return r;
}

}  // namespace train
}  // namespace cudagrad
