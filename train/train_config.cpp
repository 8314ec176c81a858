#include "train/train_config.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <sstream>

#include "base/error.h"

namespace cudagrad {
namespace train {

// ---- the names of the choices ----------------------------------------------------------

template <>
const std::vector<std::pair<ModelKind, std::string>>& choice_names<ModelKind>() {
  // The names models/registry.h builds them by.
  static const std::vector<std::pair<ModelKind, std::string>> names{
      {ModelKind::lenet, "lenet"},
      {ModelKind::resnet18, "resnet18"},
      {ModelKind::resnet34, "resnet34"},
      {ModelKind::resnet50, "resnet50"},
      {ModelKind::mobilenet, "mobilenet"},
      {ModelKind::densenet121, "densenet121"},
      {ModelKind::densenet169, "densenet169"},
      {ModelKind::densenet201, "densenet201"}};
  return names;
}

template <>
const std::vector<std::pair<OptimizerKind, std::string>>& choice_names<OptimizerKind>() {
  static const std::vector<std::pair<OptimizerKind, std::string>> names{
      {OptimizerKind::sgd, "sgd"}, {OptimizerKind::adam, "adam"}, {OptimizerKind::adamw, "adamw"}};
  return names;
}

template <>
const std::vector<std::pair<Schedule, std::string>>& choice_names<Schedule>() {
  static const std::vector<std::pair<Schedule, std::string>> names{
      {Schedule::none, "none"},
      {Schedule::step, "step"},
      {Schedule::cosine, "cosine"},
      {Schedule::plateau, "plateau"}};
  return names;
}

template <>
const std::vector<std::pair<AugmentPreset, std::string>>& choice_names<AugmentPreset>() {
  // data/augment.h's presets, by the names augment_preset takes.
  static const std::vector<std::pair<AugmentPreset, std::string>> names{
      {AugmentPreset::none, "none"},
      {AugmentPreset::flip_rotate, "flip-rotate"},
      {AugmentPreset::flip_zoom_shift_rotate, "flip-zoom-shift-rotate"},
      {AugmentPreset::flip_zoom_shear, "flip-zoom-shear"}};
  return names;
}

template <>
const std::vector<std::pair<NormalizationKind, std::string>>& choice_names<NormalizationKind>() {
  static const std::vector<std::pair<NormalizationKind, std::string>> names{
      {NormalizationKind::tutorial, "tutorial"}, {NormalizationKind::imagenet, "imagenet"}};
  return names;
}

template <>
const std::vector<std::pair<Freeze, std::string>>& choice_names<Freeze>() {
  static const std::vector<std::pair<Freeze, std::string>> names{{Freeze::none, "none"},
                                                                 {Freeze::backbone, "backbone"}};
  return names;
}

template <>
const std::vector<std::pair<DeviceChoice, std::string>>& choice_names<DeviceChoice>() {
  static const std::vector<std::pair<DeviceChoice, std::string>> names{
      {DeviceChoice::automatic, "auto"}, {DeviceChoice::cpu, "cpu"}, {DeviceChoice::cuda, "cuda"}};
  return names;
}

template <>
const std::vector<std::pair<OnNan, std::string>>& choice_names<OnNan>() {
  static const std::vector<std::pair<OnNan, std::string>> names{{OnNan::stop, "stop"},
                                                                {OnNan::skip, "skip"}};
  return names;
}

template <>
const std::vector<std::pair<SplitBy, std::string>>& choice_names<SplitBy>() {
  static const std::vector<std::pair<SplitBy, std::string>> names{{SplitBy::lesion, "lesion"},
                                                                  {SplitBy::image, "image"}};
  return names;
}

template <>
const std::vector<std::pair<MobileNetHead, std::string>>& choice_names<MobileNetHead>() {
  static const std::vector<std::pair<MobileNetHead, std::string>> names{
      {MobileNetHead::pooled, "pooled"}, {MobileNetHead::dense, "dense"}};
  return names;
}

// The data library's enums, with the names its own parse functions take.
template <>
const std::vector<std::pair<data::Layout, std::string>>& choice_names<data::Layout>() {
  static const std::vector<std::pair<data::Layout, std::string>> names{
      {data::Layout::automatic, "auto"},
      {data::Layout::ham10000, "ham10000"},
      {data::Layout::isic2018, "isic2018"},
      {data::Layout::image_folder, "image-folder"}};
  return names;
}

template <>
const std::vector<std::pair<data::LabelMode, std::string>>& choice_names<data::LabelMode>() {
  static const std::vector<std::pair<data::LabelMode, std::string>> names{
      {data::LabelMode::multiclass, "multiclass"},
      {data::LabelMode::mel_vs_rest, "mel-vs-rest"},
      {data::LabelMode::malignant_vs_benign, "malignant-vs-benign"}};
  return names;
}

template <>
const std::vector<std::pair<data::ClassWeighting, std::string>>& choice_names<data::ClassWeighting>() {
  static const std::vector<std::pair<data::ClassWeighting, std::string>> names{
      {data::ClassWeighting::ones, "ones"},
      {data::ClassWeighting::median_frequency, "median-frequency"},
      {data::ClassWeighting::balanced, "balanced"},
      {data::ClassWeighting::balanced_sqrt, "balanced-sqrt"}};
  return names;
}

template <class E>
E parse_choice(const std::string& flag, const std::string& text) {
  for (const auto& [value, name] : choice_names<E>())
    if (name == text) return value;
  CG_FAIL(flag << " must be one of " << names_list<E>() << ", got '" << text << "'");
}

// The choices parse_choice is used with (it is defined here, not in the header).
template ModelKind parse_choice<ModelKind>(const std::string&, const std::string&);
template OptimizerKind parse_choice<OptimizerKind>(const std::string&, const std::string&);
template Schedule parse_choice<Schedule>(const std::string&, const std::string&);
template AugmentPreset parse_choice<AugmentPreset>(const std::string&, const std::string&);
template NormalizationKind parse_choice<NormalizationKind>(const std::string&, const std::string&);
template Freeze parse_choice<Freeze>(const std::string&, const std::string&);
template DeviceChoice parse_choice<DeviceChoice>(const std::string&, const std::string&);
template OnNan parse_choice<OnNan>(const std::string&, const std::string&);
template SplitBy parse_choice<SplitBy>(const std::string&, const std::string&);
template MobileNetHead parse_choice<MobileNetHead>(const std::string&, const std::string&);
template data::Layout parse_choice<data::Layout>(const std::string&, const std::string&);
template data::LabelMode parse_choice<data::LabelMode>(const std::string&, const std::string&);
template data::ClassWeighting parse_choice<data::ClassWeighting>(const std::string&,
                                                                 const std::string&);

// ---- validation ----------------------------------------------------------------------

namespace {

template <class T>
void check_range(const char* flag, T value, T low, T high) {
  CG_CHECK(value >= low && value <= high,
           flag << " must be in [" << low << ", " << high << "], got " << value);
}

}  // namespace

void validate(const TrainConfig& c) {
  // data
  check_range("--sample-images", c.sample_images, 7, 1000000);  // one image of each class at least
  const data::SplitFractions& f = c.split_fractions;
  CG_CHECK(f.train > 0 && f.val >= 0 && f.test >= 0 && f.train <= 1 && f.val <= 1 && f.test <= 1 &&
               std::fabs(f.train + f.val + f.test - 1) < 1e-6,
           "--split-fractions expects train,val,test fractions in [0, 1] summing to 1 with "
           "train > 0, got '"
               << split_fractions_text(f) << "'");
  check_range("--folds", c.folds, 0, 1000);
  CG_CHECK(c.folds != 1, "--folds must be 0 (a train/val/test split) or at least 2");
  CG_CHECK(c.folds > 0 || c.fold == 0, "--fold needs --folds K");
  CG_CHECK(c.folds == 0 || (c.fold >= 0 && c.fold < c.folds),
           "--fold must be in [0, " << c.folds - 1 << "] for --folds " << c.folds);
  // Folds make their own split, so fractions other than the defaults mean
  // the user asked for both.
  CG_CHECK(c.folds == 0 || (f.train == 0.64 && f.val == 0.16 && f.test == 0.2),
           "--split-fractions and --folds exclude each other");

  // model
  CG_CHECK(c.model == ModelKind::mobilenet || (c.width == 1.f && c.head == MobileNetHead::pooled),
           "--width and --head apply to mobilenet only");
  CG_CHECK(c.width > 0 && c.width <= 4.0001f,
           "--width expects a number in (0, 4], got '" << c.width << "'");
  check_range("--input", c.input, 8, 4096);

  // optimization: the number flags' ranges, each message naming its flag
  check_range("--epochs", c.epochs, 1, 1000000);
  check_range("--batch", c.batch, 1, 65536);
  CG_CHECK(c.lr > 0 && std::isfinite(c.lr), "--lr expects a number in (0, inf), got '" << c.lr << "'");
  CG_CHECK(c.momentum >= 0 && c.momentum <= 1,
           "--momentum expects a number in [0, 1], got '" << c.momentum << "'");
  // A decay above 1 per step scales every weight past zero: no run means it.
  CG_CHECK(c.weight_decay >= 0 && c.weight_decay <= 1,
           "--weight-decay expects a number in [0, 1], got '" << c.weight_decay << "'");
  check_range("--step-size", c.step_size, 1, 1000000);
  check_range("--early-stopping", c.early_stopping, 0, 1000000);
  check_range<int64_t>("--max-steps", c.max_steps, 0, int64_t{1} << 50);

  // the run
  CG_CHECK(c.seed <= (uint64_t{1} << 50), "--seed must be in [0, " << (uint64_t{1} << 50) << "], got " << c.seed);
  check_range("--threads", c.threads, 0, 4096);
}

// ---- JSON ------------------------------------------------------------------------------

namespace {

// A float as the double with the fewest decimal digits that reads back to
// the same float: nlohmann writes a double in its shortest form, so 0.35f
// appears as 0.35 rather than 0.3499999940395355, and reads back exactly.
double shortest(float v) {
  char buf[32];
  for (int digits = 6; digits <= 9; ++digits) {
    std::snprintf(buf, sizeof buf, "%.*g", digits, static_cast<double>(v));
    if (std::strtof(buf, nullptr) == v) break;
  }
  return std::strtod(buf, nullptr);
}

// Reads one key of the config object, checking its JSON type.
class Reader {
 public:
  Reader(const nlohmann::json& j, const std::string& source) : j_(j), source_(source) {
    CG_CHECK(j.is_object(), source << ": the config must be a JSON object");
  }

  void text(const char* key, std::string& out) {
    if (const nlohmann::json* v = find(key)) {
      CG_CHECK(v->is_string(), source_ << ": config '" << key << "' must be a string");
      out = v->get<std::string>();
    }
  }
  template <class Int>
  void integer(const char* key, Int& out) {
    if (const nlohmann::json* v = find(key)) {
      CG_CHECK(v->is_number_integer(), source_ << ": config '" << key << "' must be an integer");
      out = v->get<Int>();
    }
  }
  void number(const char* key, float& out) {
    if (const nlohmann::json* v = find(key)) {
      CG_CHECK(v->is_number(), source_ << ": config '" << key << "' must be a number");
      out = static_cast<float>(v->get<double>());
    }
  }
  void boolean(const char* key, bool& out) {
    if (const nlohmann::json* v = find(key)) {
      CG_CHECK(v->is_boolean(), source_ << ": config '" << key << "' must be true or false");
      out = v->get<bool>();
    }
  }
  template <class E>
  void choice(const char* key, E& out) {
    std::string name;
    if (!find(key)) return;
    text(key, name);
    try {
      out = parse_choice<E>(std::string("config '") + key + "'", name);
    } catch (const Error& e) {
      throw Error(source_ + ": " + e.what());
    }
  }
  void fractions(const char* key, data::SplitFractions& out) {
    if (const nlohmann::json* v = find(key)) {
      CG_CHECK(v->is_array() && v->size() == 3 && (*v)[0].is_number() && (*v)[1].is_number() &&
                   (*v)[2].is_number(),
               source_ << ": config '" << key << "' must be three numbers [train, val, test]");
      out = {(*v)[0].get<double>(), (*v)[1].get<double>(), (*v)[2].get<double>()};
    }
  }
  // Every key must have been read: one that was not is a setting this
  // version does not know (a typo in a hand-edited file, or a newer file).
  void finish() const {
    for (const auto& item : j_.items())
      CG_CHECK(read_.count(item.key()), source_ << ": unknown config setting '" << item.key() << "'");
  }

 private:
  const nlohmann::json* find(const char* key) {
    read_.insert(key);
    auto it = j_.find(key);
    return it == j_.end() ? nullptr : &*it;
  }
  const nlohmann::json& j_;
  std::string source_;
  std::set<std::string> read_;
};

}  // namespace

nlohmann::ordered_json to_json(const TrainConfig& c) {
  nlohmann::ordered_json j;
  j["data"] = c.data;
  j["sample-images"] = c.sample_images;
  j["layout"] = name_of(c.layout);
  j["labels"] = name_of(c.labels);
  j["skip-missing"] = c.skip_missing;
  j["split-fractions"] = {c.split_fractions.train, c.split_fractions.val, c.split_fractions.test};
  j["folds"] = c.folds;
  j["fold"] = c.fold;
  j["cache-dir"] = c.cache_dir;
  j["split-by"] = name_of(c.split_by);
  j["augment"] = name_of(c.augment);
  j["normalization"] = name_of(c.normalization);
  j["model"] = name_of(c.model);
  j["width"] = shortest(c.width);
  j["head"] = name_of(c.head);
  j["input"] = c.input;
  j["pretrained"] = c.pretrained;
  j["freeze"] = name_of(c.freeze);
  j["epochs"] = c.epochs;
  j["batch"] = c.batch;
  j["lr"] = shortest(c.lr);
  j["optimizer"] = name_of(c.optimizer);
  j["momentum"] = shortest(c.momentum);
  j["weight-decay"] = shortest(c.weight_decay);
  j["schedule"] = name_of(c.schedule);
  j["step-size"] = c.step_size;
  j["class-weights"] = name_of(c.class_weights);
  j["early-stopping"] = c.early_stopping;
  j["max-steps"] = c.max_steps;
  j["on-nan"] = name_of(c.on_nan);
  j["out"] = c.out;
  j["device"] = name_of(c.device);
  j["seed"] = c.seed;
  j["threads"] = c.threads;
  j["recipe"] = c.recipe;
  return j;
}

TrainConfig from_json(const nlohmann::json& j, const std::string& source) {
  TrainConfig c;
  Reader r(j, source);
  r.text("data", c.data);
  r.integer("sample-images", c.sample_images);
  r.choice("layout", c.layout);
  r.choice("labels", c.labels);
  r.boolean("skip-missing", c.skip_missing);
  r.fractions("split-fractions", c.split_fractions);
  r.integer("folds", c.folds);
  r.integer("fold", c.fold);
  r.text("cache-dir", c.cache_dir);
  r.choice("split-by", c.split_by);  // absent before it existed: by lesion
  r.choice("augment", c.augment);
  r.choice("normalization", c.normalization);
  r.choice("model", c.model);
  r.number("width", c.width);
  r.choice("head", c.head);
  r.integer("input", c.input);
  r.text("pretrained", c.pretrained);
  r.choice("freeze", c.freeze);
  r.integer("epochs", c.epochs);
  r.integer("batch", c.batch);
  r.number("lr", c.lr);
  r.choice("optimizer", c.optimizer);
  r.number("momentum", c.momentum);
  r.number("weight-decay", c.weight_decay);
  r.choice("schedule", c.schedule);
  r.integer("step-size", c.step_size);
  r.choice("class-weights", c.class_weights);
  r.integer("early-stopping", c.early_stopping);
  r.integer("max-steps", c.max_steps);
  r.choice("on-nan", c.on_nan);
  r.text("out", c.out);
  r.choice("device", c.device);
  r.integer("seed", c.seed);
  r.integer("threads", c.threads);
  r.text("recipe", c.recipe);
  r.finish();
  try {
    validate(c);
  } catch (const Error& e) {
    throw Error(source + ": " + e.what());
  }
  return c;
}

TrainConfig from_version1_flags(const nlohmann::json& flags, const std::string& source) {
  CG_CHECK(flags.is_object(), source << ": expected an object of flags and their text");
  // Version 1 wrote every value as text; these are the numbers and the one
  // yes/no among them, the rest stay text (paths and choices).
  static const std::set<std::string> integers{
      "sample-images", "folds", "fold", "input", "epochs", "batch", "step-size",
      "early-stopping", "max-steps", "seed", "threads"};
  static const std::set<std::string> floats{"width", "lr", "momentum", "weight-decay"};
  nlohmann::json j = nlohmann::json::object();
  for (const auto& item : flags.items()) {
    const std::string& flag = item.key();
    CG_CHECK(flag.compare(0, 2, "--") == 0 && item.value().is_string(),
             source << ": expected flags and their text, got '" << flag << "'");
    const std::string key = flag.substr(2);
    const std::string text = item.value().get<std::string>();
    char* end = nullptr;
    if (integers.count(key)) {
      const long long v = std::strtoll(text.c_str(), &end, 10);
      CG_CHECK(!text.empty() && *end == '\0', source << ": " << flag << " '" << text << "' is not an integer");
      j[key] = v;
    } else if (floats.count(key)) {
      const float v = std::strtof(text.c_str(), &end);
      CG_CHECK(!text.empty() && *end == '\0', source << ": " << flag << " '" << text << "' is not a number");
      j[key] = shortest(v);
    } else if (key == "skip-missing") {
      j[key] = text == "1";
    } else if (key == "split-fractions") {
      std::vector<double> parts;
      std::stringstream ss(text);
      for (std::string part; std::getline(ss, part, ',');) parts.push_back(std::strtod(part.c_str(), nullptr));
      CG_CHECK(parts.size() == 3, source << ": --split-fractions '" << text << "' is not train,val,test");
      j[key] = parts;
    } else {
      j[key] = text;
    }
  }
  return from_json(j, source);
}

std::string config_json(const TrainConfig& config) { return to_json(config).dump(2) + "\n"; }

std::string split_fractions_text(const data::SplitFractions& f) {
  std::ostringstream os;
  os << f.train << "," << f.val << "," << f.test;
  return os.str();
}

std::string join(const std::vector<std::string>& words, const std::string& separator) {
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) out += (i ? separator : "") + words[i];
  return out;
}

}  // namespace train
}  // namespace cudagrad
