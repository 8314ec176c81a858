// The flags of `cudagrad train`: one table that says, for each flag, the
// TrainConfig field it sets and how its text becomes the field's type. The
// CLI11 app of `train` is declared from it (add_train_options), so the
// parser accepts exactly the table's flags, checks their choices, and
// prints `cudagrad help train` from the same rows. Ranges and combinations
// are checked right after parsing, in one place (train::validate), which
// also checks a config read back from a checkpoint.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "cli/options.h"
#include "train/train_config.h"

namespace cudagrad {
namespace cli {

// Flags given on the command line and their text: {"--lr": "0.001"}.
using Flags = std::map<std::string, std::string>;

struct TrainFlag {
  std::string name;     // "--lr"
  std::string section;  // "data", "model", "steps" or "run", for help
  std::string value;    // what follows it in help: "X", "DIR", "sgd|adam|adamw"
  std::string help;     // one line
  std::vector<std::string> choices;  // the names it takes, when it is a choice
  // Reads `text` into the config's field; an Error naming the flag when the
  // text is not of the field's type (not a number, not one of the choices).
  void (*set)(train::TrainConfig& config, const std::string& flag, const std::string& text);
};

// Every flag of train that sets a config field, in the order help lists them.
const std::vector<TrainFlag>& train_flags();

// Declares train's options on `app`: every flag of the table (its text
// kept in texts[flag]), --recipe NAME, --resume DIR and the switch
// --overwrite; the recipes are listed below the options.
void add_train_options(CLI::App& app, std::map<std::string, std::string>& texts, bool& overwrite);

// The flags given on the command line (those with a value; not --overwrite).
Flags given_train_flags(const CLI::App& app, const std::map<std::string, std::string>& texts);

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
