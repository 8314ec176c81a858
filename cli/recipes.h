// Recipes: the tutorials' training settings under one word each
// (../shared/docs/REFERENCE.md). A recipe is a TrainConfig that the user's
// own flags override, so `--recipe lenet-tutorial --epochs 2` is the
// tutorial's recipe for two epochs.
#pragma once
#include <string>
#include <vector>

#include "train/train_config.h"

namespace cudagrad {
namespace cli {

struct Recipe {
  std::string name;           // "lenet-tutorial"
  std::string description;    // one line for `cudagrad help train`
  train::TrainConfig config;  // the settings it stands for (config.recipe is its name)
};

const std::vector<Recipe>& recipes();

// The recipe called `name`; an Error listing the recipes otherwise.
const Recipe& recipe_named(const std::string& name);

}  // namespace cli
}  // namespace cudagrad
