// One training step (forward, weighted cross-entropy, backward, optimizer
// step) with a guard against non-finite numbers.
//
// The loss is checked every step, and every gradient before the update.
// When either is not finite, nothing is updated and the step reports where
// the problem began: for a loss, the forward pass is run again under
// AnomalyGuard (engine/autograd.h), which names the first op and layer
// whose output is not finite; for a gradient, the first parameter (in
// forward order) with one.
#pragma once
#include <cstdint>
#include <string>

#include "data/loader.h"
#include "engine/optim.h"
#include "layers/module.h"

namespace cudagrad {
namespace train {

struct StepResult {
  bool applied = false;  // false: not finite, nothing was updated
  std::string problem;   // what was not finite, and where
  double loss = 0;       // the batch's loss (when applied)
  int64_t correct = 0;   // predictions equal to the label
};

// `restore_on_problem`: put the BN running statistics and dropout counters
// back as they were before the step (the step is to be skipped, and the
// extra forward pass must leave no trace); not needed when training stops.
StepResult train_step(Module& model, Optimizer& optimizer, const Tensor& class_weights,
                      const data::Batch& batch, Device device, bool restore_on_problem);

}  // namespace train
}  // namespace cudagrad
