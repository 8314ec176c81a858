// The files a training run leaves, both safetensors containers (so PyTorch
// can read them too) with a format name, a version and a checksum in the
// header's __metadata__:
//
//   best.safetensors  format "cudagrad-model": the weights with the lowest
//                     validation loss under torchvision's names (the model's
//                     state_dict), and what it takes to use them: the run's
//                     config (model, input size, normalization, labels,
//                     split) and the class names.
//   last.ckpt         format "cudagrad-checkpoint": everything needed to
//                     continue exactly where training stopped: the model
//                     ("model." + name), the optimizer's state ("optimizer."
//                     + name), the position (epoch, batch, step), the
//                     schedule, early-stopping and RNG state, the rows of
//                     metrics.csv so far, and the config.
//
// The config is to_json(TrainConfig) (train/train_config.h) since format
// version 2; version 1 stored it as flags and their text, which load still
// reads (from_version1_flags), so older runs can be evaluated and resumed.
//
// The checksum (FNV-1a, 64 bits) covers every tensor's name, shape and
// bytes and every other metadata entry; load verifies it, so a damaged file
// is an error rather than a silently different model. Files are replaced
// atomically (engine/safetensors.h): a crash mid-write leaves the previous
// file intact.
#pragma once
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "engine/optim.h"
#include "engine/safetensors.h"
#include "layers/network.h"
#include "train/train_config.h"

namespace cudagrad {
namespace train {

// 1: the config as flags ("--lr": "1e-05"); 2: the config as typed JSON.
constexpr int kCheckpointFormatVersion = 2;

// Where a run is, beyond the tensors.
struct TrainingState {
  int64_t epoch = 0;           // the epoch in progress (0-based)
  int64_t batch_in_epoch = 0;  // batches of it already trained (0: it has not started)
  int64_t global_step = 0;     // batches trained in all, skipped ones included
  int64_t skipped_steps = 0;   // steps skipped for a non-finite loss (--on-nan skip)
  double lr = 0;               // the learning rate in use
  // Sums over the part of the epoch in progress that is done.
  double loss_sum = 0;         // sum of batch loss x batch size
  int64_t correct = 0, seen = 0;
  double seconds = 0, wait_seconds = 0;
  // The best validation loss so far, for best.safetensors and early stopping.
  double best_val_loss = std::numeric_limits<double>::infinity();
  int64_t best_epoch = -1;
  int64_t epochs_without_improvement = 0;
  // ReduceLROnPlateau's memory.
  double plateau_best = std::numeric_limits<double>::infinity();
  int64_t plateau_bad_epochs = 0;
  bool finished = false;       // the run ended (all epochs, early stopping or --max-steps)
  std::string metrics_csv;     // metrics.csv as written so far
  std::string splits_csv;      // splits.csv: which image is in which part
  std::vector<uint64_t> dropout_counters;  // one per Dropout layer, in forward order
};

// The checksum a file's metadata holds: FNV-1a over every metadata entry
// but "checksum" and every tensor's name, shape and bytes.
std::string checkpoint_checksum(const NamedTensors& tensors, const SafetensorsMetadata& metadata);

// A file written by save_checked: its tensors and metadata, the checksum verified.
NamedTensors load_checked(const std::string& path, const std::string& expected_format,
                          SafetensorsMetadata& metadata);

void save_model_file(const std::string& path, const Module& model, const TrainConfig& config,
                     const std::vector<std::string>& class_names, int64_t epoch, double val_loss);

void save_training_checkpoint(const std::string& path, const Module& model,
                              const Optimizer& optimizer, const TrainConfig& config,
                              const std::vector<std::string>& class_names,
                              const TrainingState& state);

struct TrainingCheckpoint {
  TrainConfig config;
  std::vector<std::string> class_names;
  TrainingState state;
  NamedTensors model, optimizer;  // names without their "model." / "optimizer." prefix
  int64_t optimizer_steps = 0;    // Adam's bias correction depends on it
};
TrainingCheckpoint load_training_checkpoint(const std::string& path);

// Restores a checkpoint's optimizer state (same names and shapes) and step count.
void load_optimizer_state(Optimizer& optimizer, const NamedTensors& state, int64_t steps,
                          const std::string& source);

// A trained model for evaluate, predict, gradcam and report, from
// best.safetensors, last.ckpt, or a run folder (its best.safetensors).
struct TrainedModel {
  std::string path;  // the file read
  TrainConfig config;
  std::vector<std::string> class_names;
  std::shared_ptr<Network> model;  // in evaluation mode
};
TrainedModel load_trained_model(const std::string& path);

}  // namespace train
}  // namespace cudagrad
