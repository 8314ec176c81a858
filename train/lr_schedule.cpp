#include "train/lr_schedule.h"

#include <cmath>

namespace cudagrad {
namespace train {

double scheduled_lr(const TrainConfig& config, int64_t epoch, const TrainingState& state) {
  const double lr = config.lr;
  if (config.schedule == Schedule::step) return lr * std::pow(0.1, static_cast<double>(epoch / config.step_size));
  if (config.schedule == Schedule::cosine)
    return lr * (1 + std::cos(M_PI * static_cast<double>(epoch) / config.epochs)) / 2;
  if (config.schedule == Schedule::plateau) return state.lr > 0 ? state.lr : lr;
  return lr;
}

void update_plateau(const TrainConfig& config, double val_loss, TrainingState& state) {
  if (config.schedule != Schedule::plateau || !std::isfinite(val_loss)) return;
  if (state.lr <= 0) state.lr = config.lr;
  if (val_loss < state.plateau_best * (1 - 1e-4)) {
    state.plateau_best = val_loss;
    state.plateau_bad_epochs = 0;
  } else if (++state.plateau_bad_epochs > config.step_size) {
    state.lr *= 0.1;
    state.plateau_bad_epochs = 0;
  }
}

}  // namespace train
}  // namespace cudagrad
