#include "cli/train_flags.h"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <sstream>

#include "cli/options.h"
#include "cli/recipes.h"
#include "base/error.h"

namespace cudagrad {
namespace cli {

using train::TrainConfig;

namespace {

// ---- text to a field's type -------------------------------------------------------------

long long to_integer(const std::string& flag, const std::string& text) {
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  CG_CHECK(!text.empty() && *end == '\0' && errno == 0,
           flag << " expects an integer, got '" << text << "'");
  return v;
}

int to_int(const std::string& flag, const std::string& text) {
  const long long v = to_integer(flag, text);
  // Past int's range the field could not hold it; validate() names the real range.
  CG_CHECK(v >= INT_MIN && v <= INT_MAX, flag << " expects a smaller number, got '" << text << "'");
  return static_cast<int>(v);
}

float to_float(const std::string& flag, const std::string& text) {
  char* end = nullptr;
  const float v = std::strtof(text.c_str(), &end);
  CG_CHECK(!text.empty() && *end == '\0', flag << " expects a number, got '" << text << "'");
  return v;
}

// "0.64,0.16,0.2": train, val and test fractions.
data::SplitFractions to_fractions(const std::string& flag, const std::string& text) {
  std::vector<double> parts;
  std::stringstream ss(text);
  for (std::string item; std::getline(ss, item, ',');) {
    char* end = nullptr;
    const double v = std::strtod(item.c_str(), &end);
    CG_CHECK(!item.empty() && *end == '\0' && v >= 0 && v <= 1,
             flag << " expects three numbers in [0, 1] like 0.64,0.16,0.2, got '" << text << "'");
    parts.push_back(v);
  }
  CG_CHECK(parts.size() == 3, flag << " expects train,val,test fractions like 0.64,0.16,0.2, got '"
                                   << text << "'");
  return {parts[0], parts[1], parts[2]};
}

// ---- one setter per kind of field ---------------------------------------------------------
// Each is a plain function (a template over the field), so the table can
// hold a function pointer.

template <int TrainConfig::*field>
void set_int(TrainConfig& c, const std::string& flag, const std::string& text) {
  c.*field = to_int(flag, text);
}

template <float TrainConfig::*field>
void set_float(TrainConfig& c, const std::string& flag, const std::string& text) {
  c.*field = to_float(flag, text);
}

template <std::string TrainConfig::*field>
void set_text(TrainConfig& c, const std::string&, const std::string& text) {
  c.*field = text;
}

template <class E, E TrainConfig::*field>
void set_choice(TrainConfig& c, const std::string& flag, const std::string& text) {
  c.*field = train::parse_choice<E>(flag, text);
}

void set_skip_missing(TrainConfig& c, const std::string& flag, const std::string& text) {
  CG_CHECK(text == "0" || text == "1", flag << " expects 0 or 1, got '" << text << "'");
  c.skip_missing = text == "1";
}

void set_split_fractions(TrainConfig& c, const std::string& flag, const std::string& text) {
  c.split_fractions = to_fractions(flag, text);
}

// The message models/registry.h gives for a name it does not know.
void set_model(TrainConfig& c, const std::string&, const std::string& text) {
  for (const auto& [value, name] : train::choice_names<train::ModelKind>())
    if (name == text) {
      c.model = value;
      return;
    }
  CG_FAIL("unknown model '" << text << "'; valid names: " << train::names_list<train::ModelKind>());
}

void set_max_steps(TrainConfig& c, const std::string& flag, const std::string& text) {
  c.max_steps = to_integer(flag, text);
}

// More threads than cores only slow the kernels down: capped, with a warning.
void set_threads(TrainConfig& c, const std::string& flag, const std::string& text) {
  const int threads = to_int(flag, text);
  c.threads = threads > 0 ? capped_threads(threads) : threads;
}

void set_seed(TrainConfig& c, const std::string& flag, const std::string& text) {
  const long long v = to_integer(flag, text);
  CG_CHECK(v >= 0, flag << " must be in [0, " << (1LL << 50) << "], got " << v);
  c.seed = static_cast<uint64_t>(v);
}

}  // namespace

const std::vector<TrainFlag>& train_flags() {
  using namespace train;
  static const std::vector<TrainFlag> all{
      // ---- data
      {"--data", "data", "PATH", "a dataset folder or csv; none: generate sample data into OUT/sample-data",
       {}, set_text<&TrainConfig::data>},
      {"--sample-images", "data", "400", "how many sample images to generate without --data",
       {}, set_int<&TrainConfig::sample_images>},
      {"--layout", "data", choices_text<data::Layout>(), "the dataset's layout (auto: detect it)",
       choice_list<data::Layout>(), set_choice<data::Layout, &TrainConfig::layout>},
      {"--labels", "data", choices_text<data::LabelMode>(), "the classes to learn",
       choice_list<data::LabelMode>(), set_choice<data::LabelMode, &TrainConfig::labels>},
      {"--skip-missing", "data", "0|1", "1: leave out listed images that are not on disk or unreadable",
       {}, set_skip_missing},
      {"--split-fractions", "data", "0.64,0.16,0.2", "train,val,test fractions, split by lesion",
       {}, set_split_fractions},
      {"--folds", "data", "K", "k-fold cross-validation instead of --split-fractions (0: off)",
       {}, set_int<&TrainConfig::folds>},
      {"--fold", "data", "I", "the fold that is the validation part, 0 to K-1",
       {}, set_int<&TrainConfig::fold>},
      {"--split-by", "data", choices_text<SplitBy>(),
       "keep each lesion's images in one part (lesion), or split image by image as the tutorials do (leaks lesions between parts)",
       choice_list<SplitBy>(), set_choice<SplitBy, &TrainConfig::split_by>},
      {"--cache-dir", "data", "DIR", "where decoded images are cached (default: ~/.cache/cudagrad)",
       {}, set_text<&TrainConfig::cache_dir>},
      {"--input", "data", "224", "images are resized to input x input",
       {}, set_int<&TrainConfig::input>},
      {"--augment", "data", choices_text<AugmentPreset>(), "random changes to each training image",
       choice_list<AugmentPreset>(), set_choice<AugmentPreset, &TrainConfig::augment>},
      {"--normalization", "data", choices_text<NormalizationKind>(),
       "mean and std per channel (imagenet by default with --pretrained)",
       choice_list<NormalizationKind>(), set_choice<NormalizationKind, &TrainConfig::normalization>},
      {"--class-weights", "data", choices_text<data::ClassWeighting>(), "per-class loss weights",
       choice_list<data::ClassWeighting>(), set_choice<data::ClassWeighting, &TrainConfig::class_weights>},
      // ---- model
      {"--model", "model", choices_text<ModelKind>(), "the architecture",
       {}, set_model},
      {"--width", "model", "1.0", "MobileNet's width multiplier", {}, set_float<&TrainConfig::width>},
      {"--head", "model", choices_text<MobileNetHead>(), "MobileNet's classifier",
       choice_list<MobileNetHead>(), set_choice<MobileNetHead, &TrainConfig::head>},
      {"--pretrained", "model", "FILE", "starting weights, a safetensors file with torchvision names",
       {}, set_text<&TrainConfig::pretrained>},
      {"--freeze", "model", choices_text<Freeze>(), "train only the head (backbone) or everything",
       choice_list<Freeze>(), set_choice<Freeze, &TrainConfig::freeze>},
      // ---- steps
      {"--epochs", "steps", "N", "passes over the training part", {}, set_int<&TrainConfig::epochs>},
      {"--batch", "steps", "N", "images per optimizer step", {}, set_int<&TrainConfig::batch>},
      {"--lr", "steps", "X", "the learning rate", {}, set_float<&TrainConfig::lr>},
      {"--optimizer", "steps", choices_text<OptimizerKind>(), "the optimizer",
       choice_list<OptimizerKind>(), set_choice<OptimizerKind, &TrainConfig::optimizer>},
      {"--momentum", "steps", "X", "SGD's momentum, in [0, 1]", {}, set_float<&TrainConfig::momentum>},
      {"--weight-decay", "steps", "X", "L2 penalty, in [0, 1] (adamw: decoupled, 0.01 by default)",
       {}, set_float<&TrainConfig::weight_decay>},
      {"--schedule", "steps", choices_text<Schedule>(), "the learning rate over the epochs",
       choice_list<Schedule>(), set_choice<Schedule, &TrainConfig::schedule>},
      {"--step-size", "steps", "N", "epochs between x0.1 decays (step); patience (plateau)",
       {}, set_int<&TrainConfig::step_size>},
      {"--early-stopping", "steps", "PATIENCE", "stop after this many epochs without a better val loss (0: off)",
       {}, set_int<&TrainConfig::early_stopping>},
      {"--max-steps", "steps", "N", "stop after this many optimizer steps in all (0: no limit)",
       {}, set_max_steps},
      {"--on-nan", "steps", choices_text<OnNan>(), "a non-finite loss or gradient: stop, or skip the step",
       choice_list<OnNan>(), set_choice<OnNan, &TrainConfig::on_nan>},
      // ---- run
      {"--out", "run", "DIR", "the run folder (default: runs/<recipe or model>)",
       {}, set_text<&TrainConfig::out>},
      {"--device", "run", choices_text<DeviceChoice>(), "where to train (auto: a GPU when there is one)",
       choice_list<DeviceChoice>(), set_choice<DeviceChoice, &TrainConfig::device>},
      {"--seed", "run", "N", "weights, split, shuffling and augmentation", {}, set_seed},
      {"--threads", "run", "N", "CPU threads (0: all cores)", {}, set_threads},
  };
  return all;
}

void add_train_options(CLI::App& app, std::map<std::string, std::string>& texts, bool& overwrite) {
  std::string recipe_names;
  for (const Recipe& r : recipes()) recipe_names += (recipe_names.empty() ? "" : "|") + r.name;
  app.add_option("--recipe", texts["--recipe"], "start from a tutorial's settings (listed below)")
      ->type_name(recipe_names);
  for (const TrainFlag& f : train_flags()) {
    CLI::Option* option =
        app.add_option(f.name, texts[f.name], f.help)->type_name(f.value)->group(f.section);
    if (!f.choices.empty()) option->check(one_of(f.choices));
  }
  app.add_option("--resume", texts["--resume"],
                 "continue the run in DIR where it stopped; only --epochs, --max-steps, "
                 "--early-stopping, --threads, --device, --cache-dir, --data and --on-nan may change")
      ->type_name("DIR")
      ->group("resuming");
  app.add_flag("--overwrite", overwrite, "replace the results of an earlier run in --out")
      ->group("resuming");
  std::string footer = "Recipes (the flags above override their settings):";
  for (const Recipe& r : recipes()) footer += "\n  " + r.name + ": " + r.description;
  app.footer(footer);
}

Flags given_train_flags(const CLI::App& app, const std::map<std::string, std::string>& texts) {
  Flags flags;
  for (const auto& [name, text] : texts)
    if (app.get_option(name)->count() > 0) flags[name] = text;
  return flags;
}

void apply_train_flags(TrainConfig& config, const Flags& flags) {
  for (const TrainFlag& f : train_flags()) {
    auto it = flags.find(f.name);
    if (it != flags.end()) f.set(config, f.name, it->second);
  }
}

TrainConfig config_from_flags(const Flags& flags) {
  TrainConfig c;
  if (flags.count("--recipe")) c = recipe_named(flags.at("--recipe")).config;
  apply_train_flags(c, flags);
  // AdamW's usual decay is PyTorch's default 0.01; the others default to none.
  if (c.optimizer == train::OptimizerKind::adamw && !flags.count("--weight-decay"))
    c.weight_decay = 0.01f;
  // Pretrained weights expect the inputs they were trained on.
  if (!c.pretrained.empty() && !flags.count("--normalization"))
    c.normalization = train::NormalizationKind::imagenet;
  // A recipe's MobileNet-only settings must not outlive a --model change.
  if (c.model != train::ModelKind::mobilenet && !flags.count("--head")) c.head = TrainConfig().head;
  train::validate(c);
  return c;
}

std::string flag_value_text(const TrainConfig& config, const std::string& flag) {
  const nlohmann::ordered_json j = train::to_json(config);
  auto it = j.find(flag.substr(2));  // "--labels" -> "labels"
  if (it == j.end()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

}  // namespace cli
}  // namespace cudagrad
