// Every setting of a training run in one struct.
//
// The command line builds it from flags: a recipe's flags first, the user's
// over them (examples/recipes.h). The checkpoint stores the finished config
// as flags again (config_to_flags), so a resumed run re-reads it through the
// same parser and cannot drift from the run that wrote it.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "data/split.h"
#include "examples/flags.h"

namespace cudagrad {
namespace cli {

struct TrainConfig {
  // ---- data -----------------------------------------------------------------------
  std::string data;                // a dataset folder or csv; "" generates sample data
  int sample_images = 400;         // how many, when generating
  std::string layout = "auto";     // auto, ham10000, isic2018, image-folder
  std::string labels = "multiclass";
  bool skip_missing = false;       // leave out listed images that are not on disk
  std::string split_fractions = "0.64,0.16,0.2";  // train,val,test
  int folds = 0, fold = 0;         // folds > 0: k-fold cross-validation, round `fold`
  std::string cache_dir;           // "" picks a default (see cache_dir_for)
  std::string augment = "none";    // a data/augment.h preset
  std::string normalization = "tutorial";  // tutorial (seed 003) or imagenet

  // ---- model ------------------------------------------------------------------------
  std::string model = "lenet";
  float width = 1.f;               // MobileNet's width multiplier
  std::string head = "pooled";     // MobileNet's classifier: pooled or dense (seed 004)
  int input = 224;                 // images are resized to input x input
  std::string pretrained;          // a torchvision-named safetensors file, or ""
  std::string freeze = "none";     // none or backbone

  // ---- optimization -----------------------------------------------------------------
  int epochs = 10;
  int batch = 32;
  float lr = 1e-3f;
  std::string optimizer = "adam";  // sgd, adam, adamw
  float momentum = 0.9f;           // SGD only
  float weight_decay = 0.f;
  std::string schedule = "none";   // none, step, cosine, plateau
  int step_size = 10;              // epochs between x0.1 decays (step); patience (plateau)
  std::string class_weights = "ones";
  int early_stopping = 0;          // patience in epochs without a better val loss; 0: off
  int64_t max_steps = 0;           // stop after this many optimizer steps in all; 0: no limit
  std::string on_nan = "stop";     // stop, or skip the step

  // ---- the run ----------------------------------------------------------------------
  std::string out;                 // the run folder
  std::string device = "auto";     // auto, cpu, cuda
  uint64_t seed = 0;               // weights, split, shuffling and augmentation
  int threads = 0;                 // OpenMP threads; 0: all cores
  std::string recipe;              // the recipe it started from, for the record

  data::SplitFractions fractions() const;  // split_fractions, parsed
};

// Every flag `cudagrad train` accepts.
const std::vector<std::string>& train_flag_names();

// Reads and checks every setting; an Error naming the flag otherwise.
TrainConfig parse_train_config(const Flags& flags);

// The config as flags that parse back to the same config (numbers written
// with enough digits to round-trip exactly).
Flags config_to_flags(const TrainConfig& config);

// config.json: every setting, numbers as numbers.
std::string config_json(const TrainConfig& config);

}  // namespace cli
}  // namespace cudagrad
