// Learning-rate schedules, applied once per epoch as PyTorch's schedulers
// are (scheduler.step() after each epoch):
//   none     lr
//   step     lr x 0.1^floor(epoch / step_size)                     (StepLR, gamma 0.1)
//   cosine   lr x (1 + cos(pi epoch / epochs)) / 2                   (CosineAnnealingLR, eta_min 0)
//   plateau  lr x 0.1 each time the validation loss has not improved by
//            a relative 1e-4 for more than step_size epochs       (ReduceLROnPlateau)
// `epoch` counts from 0. The plateau schedule has memory (the best loss and
// the epochs since), which lives in TrainingState so a checkpoint keeps it.
#pragma once
#include <cstdint>

#include "train/checkpoint.h"
#include "train/train_config.h"

namespace cudagrad {
namespace train {

// The learning rate for `epoch`; for plateau, the one in `state`.
double scheduled_lr(const TrainConfig& config, int64_t epoch, const TrainingState& state);

// After an epoch's validation: updates the plateau memory and, when it
// decays, state.lr. Does nothing for the other schedules.
void update_plateau(const TrainConfig& config, double val_loss, TrainingState& state);

}  // namespace train
}  // namespace cudagrad
