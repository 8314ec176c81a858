// The data side of a command: the dataset a config names, its split, the
// decoded-image cache and the indices of each part (data/README.md).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "data/augment.h"
#include "data/cache.h"
#include "data/dataset.h"
#include "data/split.h"
#include "train/train_config.h"

namespace cudagrad {
namespace train {

// Reads config.data with the config's layout, labels and skip_missing, and
// prints one line describing it.
data::Dataset load_run_dataset(const TrainConfig& config, bool quiet = false);

// Train / val / test (or train / val for fold `config.fold` of
// `config.folds`), stratified and grouped by lesion, from config.seed.
data::Split make_split(const data::Dataset& dataset, const TrainConfig& config);

// What a training run can check from its flags and the metadata alone, done
// before the run folder is made (errors name the flag to change):
//   every class of --labels has images (a model never learns one without);
//   --folds is at most the number of lesions (a fold takes whole lesions);
//   every part with a non-zero fraction, and each fold's val part, gets
//   images, and the training part holds every class.
void check_training_data(const data::Dataset& dataset, const TrainConfig& config);
void check_training_split(const data::Dataset& dataset, const data::Split& split,
                          const TrainConfig& config);

// $XDG_CACHE_HOME/cudagrad, ~/.cache/cudagrad, or a folder in /tmp.
std::string default_cache_dir();

// The cache of every image at input x input, built on first use (with a
// progress line on stderr) by as many threads as the command's --threads
// (set_cpu_threads; all cores when not given).
data::ImageCache open_image_cache(const data::Dataset& dataset, const TrainConfig& config);

// The readable cache indices of the samples in part `name` ("all": every sample).
std::vector<int64_t> part_indices(const data::ImageCache& cache, const data::Split& split,
                                  const std::string& name);

// The mean and std of seed 003 (tutorial) or of ImageNet.
data::Normalization normalization_of(NormalizationKind kind);

// A loader's background threads: half the cores, or half of --threads when
// it was given (set_cpu_threads), so the CPU kernels keep the rest; at most
// four, and none (batches made inside the step) for --threads 1.
int loader_threads();

}  // namespace train
}  // namespace cudagrad
