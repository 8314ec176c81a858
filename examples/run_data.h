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
#include "examples/train_config.h"

namespace cudagrad {
namespace cli {

// Reads config.data with the config's layout, labels and skip_missing, and
// prints one line describing it.
data::Dataset load_run_dataset(const TrainConfig& config, bool quiet = false);

// Train / val / test (or train / val for fold `config.fold` of
// `config.folds`), stratified and grouped by lesion, from config.seed.
data::Split make_split(const data::Dataset& dataset, const TrainConfig& config);

// $XDG_CACHE_HOME/cudagrad, ~/.cache/cudagrad, or a folder in /tmp.
std::string default_cache_dir();

// The cache of every image at input x input, built on first use (with a
// progress line on stderr).
data::ImageCache open_image_cache(const data::Dataset& dataset, const TrainConfig& config);

// The readable cache indices of the samples in part `name` ("all": every sample).
std::vector<int64_t> part_indices(const data::ImageCache& cache, const data::Split& split,
                                  const std::string& name);

// "tutorial" (seed 003's mean and std) or "imagenet".
data::Normalization normalization_named(const std::string& name);

// A loader's background threads: half the cores, so the CPU kernels keep
// the rest (at least one, at most four).
int loader_threads();

}  // namespace cli
}  // namespace cudagrad
