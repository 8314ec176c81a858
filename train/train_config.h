// Every setting of a training run in one typed struct.
//
// Choices are enums, not strings, so a misspelt "sdg" cannot reach the
// trainer: text becomes an enum in exactly two places, reading a flag
// (cli/train_flags.cpp) and reading JSON (from_json below), and both go
// through parse_choice, which lists the valid names when the text is none
// of them.
//
// The config travels as JSON: config.json in the run folder and the
// "config" entry of best.safetensors and last.ckpt (train/checkpoint.h)
// hold to_json(config), so a resumed run reads back exactly the settings it
// was started with. Keys are the flag names without their dashes
// ("weight-decay"), so config.json reads like the command line.
//
// validate() is the one place that checks ranges and combinations; its
// Error is one line naming the flag to change.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/class_weights.h"
#include "data/classes.h"
#include "data/dataset.h"
#include "data/split.h"
#include "models/mobilenet.h"

namespace cudagrad {
namespace train {

// ---- the choices ---------------------------------------------------------------------
enum class ModelKind { lenet, resnet18, resnet34, resnet50, mobilenet, densenet121, densenet169, densenet201 };
enum class OptimizerKind { sgd, adam, adamw };
enum class Schedule { none, step, cosine, plateau };    // the learning rate per epoch
enum class AugmentPreset { none, flip_rotate, flip_zoom_shift_rotate, flip_zoom_shear };
enum class NormalizationKind { tutorial, imagenet };  // seed 003's mean and std, or ImageNet's
enum class Freeze { none, backbone };
enum class DeviceChoice { automatic, cpu, cuda };
// Which images may not be split apart: the images of one lesion (HAM10000's
// lesion_id: no lesion is seen in training and again in testing), or none
// (each image alone, as the tutorials' code splits, which leaks lesions).
enum class SplitBy { lesion, image };
enum class OnNan { stop, skip };  // a non-finite loss or gradient: stop with an Error, or skip the step

// Each choice's names as the command line and JSON spell them, in the order
// help lists them. data::Layout, data::LabelMode, data::ClassWeighting and
// MobileNetHead are the data and model libraries' own enums.
template <class E>
const std::vector<std::pair<E, std::string>>& choice_names();
// (defined in train_config.cpp)
template <>
const std::vector<std::pair<ModelKind, std::string>>& choice_names<ModelKind>();
template <>
const std::vector<std::pair<OptimizerKind, std::string>>& choice_names<OptimizerKind>();
template <>
const std::vector<std::pair<Schedule, std::string>>& choice_names<Schedule>();
template <>
const std::vector<std::pair<AugmentPreset, std::string>>& choice_names<AugmentPreset>();
template <>
const std::vector<std::pair<NormalizationKind, std::string>>& choice_names<NormalizationKind>();
template <>
const std::vector<std::pair<Freeze, std::string>>& choice_names<Freeze>();
template <>
const std::vector<std::pair<DeviceChoice, std::string>>& choice_names<DeviceChoice>();
template <>
const std::vector<std::pair<OnNan, std::string>>& choice_names<OnNan>();
template <>
const std::vector<std::pair<SplitBy, std::string>>& choice_names<SplitBy>();
template <>
const std::vector<std::pair<MobileNetHead, std::string>>& choice_names<MobileNetHead>();
template <>
const std::vector<std::pair<data::Layout, std::string>>& choice_names<data::Layout>();
template <>
const std::vector<std::pair<data::LabelMode, std::string>>& choice_names<data::LabelMode>();
template <>
const std::vector<std::pair<data::ClassWeighting, std::string>>& choice_names<data::ClassWeighting>();

// "sgd" for OptimizerKind::sgd.
template <class E>
const std::string& name_of(E value) {
  for (const auto& [v, name] : choice_names<E>())
    if (v == value) return name;
  static const std::string unknown = "?";
  return unknown;
}

// "sgd, adam, adamw": the valid names, for help and messages.
template <class E>
std::string names_list() {
  std::string out;
  for (const auto& [v, name] : choice_names<E>()) out += (out.empty() ? "" : ", ") + name;
  return out;
}

// The enum named `text`; an Error "<flag> must be one of <names>, got
// '<text>'" otherwise.
template <class E>
E parse_choice(const std::string& flag, const std::string& text);

// ---- the settings --------------------------------------------------------------------
struct TrainConfig {
  // data
  std::string data;                  // a dataset folder or csv; "" generates sample data
  int sample_images = 400;           // how many, when generating
  data::Layout layout = data::Layout::automatic;
  data::LabelMode labels = data::LabelMode::multiclass;
  bool skip_missing = false;         // leave out listed images that are not on disk
  data::SplitFractions split_fractions{0.64, 0.16, 0.2};  // train, val, test
  SplitBy split_by = SplitBy::lesion;  // keep a lesion's images in one part, or split image by image
  int folds = 0, fold = 0;           // folds > 0: k-fold cross-validation, round `fold`
  std::string cache_dir;             // "" picks a default (default_cache_dir)
  AugmentPreset augment = AugmentPreset::none;  // a data/augment.h preset
  NormalizationKind normalization = NormalizationKind::tutorial;

  // model
  ModelKind model = ModelKind::lenet;
  float width = 1.f;                 // MobileNet's width multiplier
  MobileNetHead head = MobileNetHead::pooled;  // MobileNet's classifier (seed 004: dense)
  int input = 224;                   // images are resized to input x input
  std::string pretrained;            // a torchvision-named safetensors file, or ""
  Freeze freeze = Freeze::none;

  // optimization
  int epochs = 10;
  int batch = 32;
  float lr = 1e-3f;
  OptimizerKind optimizer = OptimizerKind::adam;
  float momentum = 0.9f;             // SGD only
  float weight_decay = 0.f;
  Schedule schedule = Schedule::none;
  int step_size = 10;                // epochs between x0.1 decays (step); patience (plateau)
  data::ClassWeighting class_weights = data::ClassWeighting::ones;
  int early_stopping = 0;            // patience in epochs without a better val loss; 0: off
  int64_t max_steps = 0;             // stop after this many optimizer steps in all; 0: no limit
  OnNan on_nan = OnNan::stop;

  // the run
  std::string out;                   // the run folder
  DeviceChoice device = DeviceChoice::automatic;
  uint64_t seed = 0;                 // weights, split, shuffling and augmentation
  int threads = 0;                   // OpenMP threads; 0: all cores
  std::string recipe;                // the recipe it started from, for the record
};

// Checks every range and combination; an Error naming the flag otherwise,
// e.g. "--batch must be in [1, 65536], got 0".
void validate(const TrainConfig& config);

// Every setting, numbers as numbers (floats with the fewest digits that read
// back to the same float, so a config survives the round trip bit for bit),
// in the order of the struct (ordered_json keeps it; config.json reads
// data, model, optimization, run).
nlohmann::ordered_json to_json(const TrainConfig& config);
// The inverse: keys that are missing keep their defaults; an unknown key, a
// value of the wrong type or an unknown choice is an Error naming `source`.
// The result is validated.
TrainConfig from_json(const nlohmann::json& j, const std::string& source);

// The format before the typed config (checkpoint format version 1): every
// setting as a flag and its text, {"--lr": "1e-05", "--skip-missing": "0"}.
TrainConfig from_version1_flags(const nlohmann::json& flags, const std::string& source);

// config.json: to_json, indented, with a final newline.
std::string config_json(const TrainConfig& config);

// The --split-fractions text ("0.64,0.16,0.2") for messages.
std::string split_fractions_text(const data::SplitFractions& f);

// "a, b, c" for messages.
std::string join(const std::vector<std::string>& words, const std::string& separator = ", ");

}  // namespace train
}  // namespace cudagrad
