// Recipes: the tutorials' training settings under one word each
// (../shared/docs/REFERENCE.md). A recipe is a list of flags that the
// user's own flags override, so `--recipe lenet-tutorial --epochs 2` is the
// tutorial's recipe for two epochs.
#pragma once
#include <string>
#include <vector>

#include "examples/flags.h"

namespace cudagrad {
namespace cli {

struct Recipe {
  std::string name;         // "lenet-tutorial"
  std::string description;  // one line for `cudagrad help`
  Flags flags;              // the settings it stands for
};

const std::vector<Recipe>& recipes();

// The recipe's flags with `user` over them; an unknown name is an Error
// listing the recipes.
Flags apply_recipe(const std::string& name, const Flags& user);

}  // namespace cli
}  // namespace cudagrad
