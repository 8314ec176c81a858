#include "examples/train_config.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <set>
#include <sstream>

#include "base/error.h"
#include "data/augment.h"
#include "data/class_weights.h"
#include "data/classes.h"
#include "data/dataset.h"
#include "engine/json.h"
#include "models/registry.h"

namespace cudagrad {
namespace cli {

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

// Flags whose value is a number, written unquoted in config.json.
const std::set<std::string> kNumericFlags{
    "--sample-images", "--skip-missing", "--folds",  "--fold",     "--width",
    "--input",         "--epochs",       "--batch",  "--lr",       "--momentum",
    "--weight-decay",  "--step-size",    "--early-stopping", "--max-steps", "--seed",
    "--threads"};

// A float with the fewest digits that read back to the same float.
std::string exact(float v) {
  char buf[32];
  for (int digits = 6; digits <= 9; ++digits) {
    std::snprintf(buf, sizeof buf, "%.*g", digits, static_cast<double>(v));
    if (std::strtof(buf, nullptr) == v) break;
  }
  return buf;
}

}  // namespace

const std::vector<std::string>& train_flag_names() {
  static const std::vector<std::string> names{
      "--recipe",        "--resume",      "--data",           "--sample-images", "--layout",
      "--labels",        "--skip-missing", "--split-fractions", "--folds",        "--fold",
      "--cache-dir",     "--augment",     "--normalization",  "--model",         "--width",
      "--head",          "--input",       "--pretrained",     "--freeze",        "--epochs",
      "--batch",         "--lr",          "--optimizer",      "--momentum",      "--weight-decay",
      "--schedule",      "--step-size",   "--class-weights",  "--early-stopping", "--max-steps",
      "--on-nan",        "--out",         "--device",         "--seed",          "--threads"};
  return names;
}

data::SplitFractions TrainConfig::fractions() const {
  std::vector<double> parts;
  std::stringstream ss(split_fractions);
  for (std::string item; std::getline(ss, item, ',');) {
    char* end = nullptr;
    const double v = std::strtod(item.c_str(), &end);
    CG_CHECK(!item.empty() && end && *end == '\0' && v >= 0 && v <= 1,
             "--split-fractions expects three numbers in [0, 1] like 0.64,0.16,0.2, got '"
                 << split_fractions << "'");
    parts.push_back(v);
  }
  CG_CHECK(parts.size() == 3 && std::fabs(parts[0] + parts[1] + parts[2] - 1) < 1e-6 &&
               parts[0] > 0,
           "--split-fractions expects train,val,test fractions summing to 1 with train > 0, got '"
               << split_fractions << "'");
  data::SplitFractions f;
  f.train = parts[0];
  f.val = parts[1];
  f.test = parts[2];
  return f;
}

TrainConfig parse_train_config(const Flags& flags) {
  TrainConfig c;
  c.data = string_flag(flags, "--data", c.data);
  c.sample_images = int_flag(flags, "--sample-images", c.sample_images, 7, 1000000);
  c.layout = data::layout_name(data::parse_layout(string_flag(flags, "--layout", c.layout)));
  c.labels = data::label_mode_name(data::parse_label_mode(string_flag(flags, "--labels", c.labels)));
  c.skip_missing = bool_flag(flags, "--skip-missing", c.skip_missing);
  c.split_fractions = string_flag(flags, "--split-fractions", c.split_fractions);
  c.fractions();  // checks the text
  c.folds = int_flag(flags, "--folds", c.folds, 0, 1000);
  CG_CHECK(c.folds != 1, "--folds must be 0 (a train/val/test split) or at least 2");
  c.fold = int_flag(flags, "--fold", c.fold, 0, 1000);
  CG_CHECK(c.folds > 0 || !flags.count("--fold"), "--fold needs --folds K");
  CG_CHECK(c.folds == 0 || c.fold < c.folds,
           "--fold must be in [0, " << c.folds - 1 << "] for --folds " << c.folds);
  CG_CHECK(c.folds == 0 || !flags.count("--split-fractions"),
           "--split-fractions and --folds exclude each other");
  c.cache_dir = string_flag(flags, "--cache-dir", c.cache_dir);
  c.augment = string_flag(flags, "--augment", c.augment);
  data::augment_preset(c.augment);  // an unknown preset is an Error listing them
  c.normalization = choice_flag(flags, "--normalization",
                                flags.count("--pretrained") ? "imagenet" : c.normalization,
                                {"tutorial", "imagenet"});

  c.model = string_flag(flags, "--model", c.model);
  bool known_model = false;
  for (const std::string& n : model_names()) known_model = known_model || n == c.model;
  CG_CHECK(known_model, "unknown model '" << c.model << "'; valid names: " << join(model_names()));
  CG_CHECK(c.model == "mobilenet" || (!flags.count("--width") && !flags.count("--head")),
           "--width and --head apply to mobilenet only");
  c.width = float_flag(flags, "--width", c.width, 0.f, 4.0001f);
  c.head = choice_flag(flags, "--head", c.head, {"pooled", "dense"});
  c.input = int_flag(flags, "--input", c.input, 8, 4096);
  c.pretrained = string_flag(flags, "--pretrained", c.pretrained);
  c.freeze = choice_flag(flags, "--freeze", c.freeze, {"none", "backbone"});

  c.epochs = int_flag(flags, "--epochs", c.epochs, 1, 1000000);
  c.batch = int_flag(flags, "--batch", c.batch, 1, 65536);
  c.lr = float_flag(flags, "--lr", c.lr, 0.f, kInf);
  c.optimizer = choice_flag(flags, "--optimizer", c.optimizer, {"sgd", "adam", "adamw"});
  c.momentum = float_flag_closed(flags, "--momentum", c.momentum, 0.f, 1.f);
  // AdamW's usual decay is PyTorch's default 0.01; the others default to none.
  c.weight_decay = float_flag_closed(flags, "--weight-decay",
                                     c.optimizer == "adamw" ? 0.01f : c.weight_decay, 0.f, kInf);
  c.schedule = choice_flag(flags, "--schedule", c.schedule, {"none", "step", "cosine", "plateau"});
  c.step_size = int_flag(flags, "--step-size", c.step_size, 1, 1000000);
  c.class_weights = data::class_weighting_name(
      data::parse_class_weighting(string_flag(flags, "--class-weights", c.class_weights)));
  c.early_stopping = int_flag(flags, "--early-stopping", c.early_stopping, 0, 1000000);
  c.max_steps = int_flag(flags, "--max-steps", static_cast<long>(c.max_steps), 0, 1L << 50);
  c.on_nan = choice_flag(flags, "--on-nan", c.on_nan, {"stop", "skip"});

  c.out = string_flag(flags, "--out", c.out);
  c.device = choice_flag(flags, "--device", c.device, {"auto", "cpu", "cuda"});
  c.seed = static_cast<uint64_t>(int_flag(flags, "--seed", 0, 0, 1L << 50));
  c.threads = int_flag(flags, "--threads", c.threads, 0, 4096);
  c.recipe = string_flag(flags, "--recipe", c.recipe);
  return c;
}

Flags config_to_flags(const TrainConfig& c) {
  Flags f;
  f["--data"] = c.data;
  f["--sample-images"] = std::to_string(c.sample_images);
  f["--layout"] = c.layout;
  f["--labels"] = c.labels;
  f["--skip-missing"] = c.skip_missing ? "1" : "0";
  if (c.folds > 0) {
    f["--folds"] = std::to_string(c.folds);
    f["--fold"] = std::to_string(c.fold);
  } else {
    f["--split-fractions"] = c.split_fractions;
  }
  f["--cache-dir"] = c.cache_dir;
  f["--augment"] = c.augment;
  f["--normalization"] = c.normalization;
  f["--model"] = c.model;
  if (c.model == "mobilenet") {
    f["--width"] = exact(c.width);
    f["--head"] = c.head;
  }
  f["--input"] = std::to_string(c.input);
  f["--pretrained"] = c.pretrained;
  f["--freeze"] = c.freeze;
  f["--epochs"] = std::to_string(c.epochs);
  f["--batch"] = std::to_string(c.batch);
  f["--lr"] = exact(c.lr);
  f["--optimizer"] = c.optimizer;
  f["--momentum"] = exact(c.momentum);
  f["--weight-decay"] = exact(c.weight_decay);
  f["--schedule"] = c.schedule;
  f["--step-size"] = std::to_string(c.step_size);
  f["--class-weights"] = c.class_weights;
  f["--early-stopping"] = std::to_string(c.early_stopping);
  f["--max-steps"] = std::to_string(c.max_steps);
  f["--on-nan"] = c.on_nan;
  f["--out"] = c.out;
  f["--device"] = c.device;
  f["--seed"] = std::to_string(c.seed);
  f["--threads"] = std::to_string(c.threads);
  f["--recipe"] = c.recipe;
  return f;
}

std::string config_json(const TrainConfig& config) {
  const Flags flags = config_to_flags(config);
  std::string out = "{\n";
  bool first = true;
  for (const std::string& flag : train_flag_names()) {  // the order of `cudagrad help`
    auto it = flags.find(flag);
    if (it == flags.end()) continue;
    const std::string key = flag.substr(2);  // "--weight-decay" -> "weight-decay"
    const std::string value =
        kNumericFlags.count(flag) ? it->second : json::quote(it->second);
    out += (first ? "  " : ",\n  ") + json::quote(key) + ": " + value;
    first = false;
  }
  return out + "\n}\n";
}

}  // namespace cli
}  // namespace cudagrad
