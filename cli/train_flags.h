// The flags of `cudagrad train`: one table that says, for each flag, the
// TrainConfig field it sets and how its text becomes the field's type. The
// parser accepts exactly the table's flags and `cudagrad help train` is
// printed from it, so the two cannot drift apart. Ranges and combinations
// are checked afterwards, in one place (train::validate).
#pragma once
#include <string>
#include <vector>

#include "cli/flags.h"
#include "train/train_config.h"

namespace cudagrad {
namespace cli {

struct TrainFlag {
  std::string name;     // "--lr"
  std::string section;  // "data", "model", "steps" or "run", for help
  std::string value;    // what follows it in help: "X", "DIR", "sgd|adam|adamw"
  std::string help;     // one line
  // Reads `text` into the config's field; an Error naming the flag when the
  // text is not of the field's type (not a number, not one of the choices).
  void (*set)(train::TrainConfig& config, const std::string& flag, const std::string& text);
};

// Every flag of train that sets a config field, in the order help lists them.
const std::vector<TrainFlag>& train_flags();

// Every flag train accepts: the table's, --recipe and --resume (--overwrite,
// a switch without a value, is taken out before parsing).
std::vector<std::string> train_flag_names();

// `cudagrad help train`, from the table.
std::string train_help();

// Sets the config fields of `flags` (those in the table) over `config`.
void apply_train_flags(train::TrainConfig& config, const Flags& flags);

// The config of a new run: the recipe's settings (--recipe, or the
// defaults), the user's flags over them, then the defaults that depend on
// other flags, validated:
//   --optimizer adamw without --weight-decay: 0.01 (PyTorch's default)
//   --pretrained without --normalization: imagenet (what the weights expect)
//   a recipe's MobileNet --head is dropped when --model changes it away
train::TrainConfig config_from_flags(const Flags& flags);

// The value of `flag` in `config` as text, for messages: "multiclass".
std::string flag_value_text(const train::TrainConfig& config, const std::string& flag);

}  // namespace cli
}  // namespace cudagrad
