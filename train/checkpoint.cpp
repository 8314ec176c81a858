#include "train/checkpoint.h"

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "train/model_setup.h"
#include "train/run_data.h"

namespace cudagrad {
namespace train {

namespace {

const char* kModelFormat = "cudagrad-model";
const char* kCheckpointFormat = "cudagrad-checkpoint";

// FNV-1a: a byte-at-a-time hash, enough to notice a damaged or edited file
// (it is not meant to resist someone forging one).
struct Fnv1a {
  uint64_t h = 0xcbf29ce484222325ull;
  void bytes(const void* p, size_t n) {
    const unsigned char* c = static_cast<const unsigned char*>(p);
    for (size_t i = 0; i < n; ++i) h = (h ^ c[i]) * 0x100000001b3ull;
  }
  void text(const std::string& s) { bytes(s.c_str(), s.size() + 1); }  // with its '\0'
};

}  // namespace

std::string checkpoint_checksum(const NamedTensors& tensors, const SafetensorsMetadata& metadata) {
  Fnv1a f;
  for (const auto& [key, value] : metadata) {  // a std::map: sorted, so the order is fixed
    if (key == "checksum") continue;
    f.text(key);
    f.text(value);
  }
  for (const auto& [name, t] : tensors) {
    f.text(name);
    f.text(shape_str(t.shape()));
    for (float v : t.to_vector()) {  // little-endian bytes, as the file stores them
      uint32_t bits;
      std::memcpy(&bits, &v, 4);
      const unsigned char le[4] = {static_cast<unsigned char>(bits), static_cast<unsigned char>(bits >> 8),
                                   static_cast<unsigned char>(bits >> 16),
                                   static_cast<unsigned char>(bits >> 24)};
      f.bytes(le, 4);
    }
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "fnv1a64:%016" PRIx64, f.h);
  return buf;
}

namespace {

void save_checked(const std::string& path, const std::string& format, const NamedTensors& tensors,
                  SafetensorsMetadata metadata) {
  metadata["format"] = format;
  metadata["format_version"] = std::to_string(kCheckpointFormatVersion);
  metadata["checksum"] = checkpoint_checksum(tensors, metadata);
  save_safetensors(path, tensors, metadata);
}

const std::string& meta_at(const SafetensorsMetadata& meta, const std::string& key,
                           const std::string& path) {
  auto it = meta.find(key);
  CG_CHECK(it != meta.end(), path << ": metadata entry '" << key << "' is missing");
  return it->second;
}

int64_t read_integer(const SafetensorsMetadata& meta, const std::string& key,
                     const std::string& path);

// JSON text from a metadata entry; an Error naming the file when it is not JSON.
nlohmann::json parse_json(const std::string& text, const std::string& source) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(source + ": not valid JSON (" + e.what() + ")");
  }
}

std::vector<std::string> strings_from_json(const std::string& text, const std::string& source) {
  const nlohmann::json v = parse_json(text, source);
  CG_CHECK(v.is_array(), source << ": expected an array of strings");
  std::vector<std::string> out;
  for (const nlohmann::json& item : v) {
    CG_CHECK(item.is_string(), source << ": expected an array of strings");
    out.push_back(item.get<std::string>());
  }
  return out;
}

// The run's config, as the file's format version stored it.
TrainConfig config_from(const SafetensorsMetadata& meta, const std::string& path) {
  const std::string source = path + " config";
  const nlohmann::json j = parse_json(meta_at(meta, "config", path), source);
  const int64_t version = read_integer(meta, "format_version", path);
  if (version >= 2) return from_json(j, source);
  try {
    return from_version1_flags(j, source);
  } catch (const Error& e) {
    throw Error(std::string(e.what()) + " (a format version 1 file, from an older cudagrad; "
                                        "retrain, or evaluate it with the cudagrad that wrote it)");
  }
}

// Numbers in metadata are text; doubles with 17 digits read back exactly.
std::string number(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

double read_number(const SafetensorsMetadata& meta, const std::string& key,
                   const std::string& path) {
  const std::string& text = meta_at(meta, key, path);
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  CG_CHECK(!text.empty() && end && *end == '\0',
           path << ": metadata entry '" << key << "' is not a number: '" << text << "'");
  return v;
}

int64_t read_integer(const SafetensorsMetadata& meta, const std::string& key,
                     const std::string& path) {
  const std::string& text = meta_at(meta, key, path);
  char* end = nullptr;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  CG_CHECK(!text.empty() && end && *end == '\0',
           path << ": metadata entry '" << key << "' is not an integer: '" << text << "'");
  return v;
}

void put_state(SafetensorsMetadata& m, const TrainingState& s) {
  m["state.epoch"] = std::to_string(s.epoch);
  m["state.batch_in_epoch"] = std::to_string(s.batch_in_epoch);
  m["state.global_step"] = std::to_string(s.global_step);
  m["state.skipped_steps"] = std::to_string(s.skipped_steps);
  m["state.lr"] = number(s.lr);
  m["state.loss_sum"] = number(s.loss_sum);
  m["state.correct"] = std::to_string(s.correct);
  m["state.seen"] = std::to_string(s.seen);
  m["state.seconds"] = number(s.seconds);
  m["state.wait_seconds"] = number(s.wait_seconds);
  m["state.best_val_loss"] = number(s.best_val_loss);
  m["state.best_epoch"] = std::to_string(s.best_epoch);
  m["state.epochs_without_improvement"] = std::to_string(s.epochs_without_improvement);
  m["state.plateau_best"] = number(s.plateau_best);
  m["state.plateau_bad_epochs"] = std::to_string(s.plateau_bad_epochs);
  m["state.finished"] = s.finished ? "1" : "0";
  m["state.metrics_csv"] = s.metrics_csv;
  m["state.splits_csv"] = s.splits_csv;
  m["state.dropout_counters"] = nlohmann::json(s.dropout_counters).dump();
}

TrainingState get_state(const SafetensorsMetadata& m, const std::string& path) {
  TrainingState s;
  s.epoch = read_integer(m, "state.epoch", path);
  s.batch_in_epoch = read_integer(m, "state.batch_in_epoch", path);
  s.global_step = read_integer(m, "state.global_step", path);
  s.skipped_steps = read_integer(m, "state.skipped_steps", path);
  s.lr = read_number(m, "state.lr", path);
  s.loss_sum = read_number(m, "state.loss_sum", path);
  s.correct = read_integer(m, "state.correct", path);
  s.seen = read_integer(m, "state.seen", path);
  s.seconds = read_number(m, "state.seconds", path);
  s.wait_seconds = read_number(m, "state.wait_seconds", path);
  s.best_val_loss = read_number(m, "state.best_val_loss", path);
  s.best_epoch = read_integer(m, "state.best_epoch", path);
  s.epochs_without_improvement = read_integer(m, "state.epochs_without_improvement", path);
  s.plateau_best = read_number(m, "state.plateau_best", path);
  s.plateau_bad_epochs = read_integer(m, "state.plateau_bad_epochs", path);
  s.finished = read_integer(m, "state.finished", path) != 0;
  s.metrics_csv = meta_at(m, "state.metrics_csv", path);
  s.splits_csv = meta_at(m, "state.splits_csv", path);
  const nlohmann::json counters =
      parse_json(meta_at(m, "state.dropout_counters", path), path + " dropout counters");
  CG_CHECK(counters.is_array(), path << ": dropout counters must be an array");
  for (const nlohmann::json& c : counters) {
    CG_CHECK(c.is_number_unsigned() || (c.is_number_integer() && c.get<int64_t>() >= 0),
             path << ": dropout counters must be integers");
    s.dropout_counters.push_back(c.get<uint64_t>());
  }
  return s;
}

// Names starting with `prefix`, with the prefix removed.
NamedTensors with_prefix(const NamedTensors& all, const std::string& prefix) {
  NamedTensors out;
  for (const auto& [name, t] : all)
    if (name.compare(0, prefix.size(), prefix) == 0) out.emplace_back(name.substr(prefix.size()), t);
  return out;
}

}  // namespace

NamedTensors load_checked(const std::string& path, const std::string& expected_format,
                          SafetensorsMetadata& metadata) {
  CG_CHECK(std::filesystem::is_regular_file(path), path << ": no such file");
  NamedTensors tensors = load_safetensors(path, &metadata);
  auto format = metadata.find("format");
  const bool ours = format != metadata.end() &&
                    (format->second == kModelFormat || format->second == kCheckpointFormat);
  CG_CHECK(ours, path << ": not a cudagrad model or checkpoint (no cudagrad format in its "
                         "metadata; a plain state dict is loaded with --pretrained)");
  CG_CHECK(expected_format.empty() || format->second == expected_format,
           path << ": is a " << format->second << " file, expected a " << expected_format);
  const int64_t version = read_integer(metadata, "format_version", path);
  CG_CHECK(version >= 1, path << ": format version " << version << " is not one cudagrad wrote");
  CG_CHECK(version <= kCheckpointFormatVersion,
           path << ": format version " << version << " is newer than this cudagrad reads ("
                << kCheckpointFormatVersion << ")");
  const std::string& stored = meta_at(metadata, "checksum", path);
  const std::string computed = checkpoint_checksum(tensors, metadata);
  CG_CHECK(stored == computed, path << ": checksum mismatch (stored " << stored << ", computed "
                                    << computed << "): the file is damaged or was edited");
  return tensors;
}

void save_model_file(const std::string& path, const Module& model, const TrainConfig& config,
                     const std::vector<std::string>& class_names, int64_t epoch, double val_loss) {
  SafetensorsMetadata meta;
  meta["config"] = to_json(config).dump();
  meta["class_names"] = nlohmann::json(class_names).dump();
  meta["model"] = name_of(config.model);  // for people reading the header
  meta["input"] = std::to_string(config.input);
  meta["normalization"] = name_of(config.normalization);
  // The numbers themselves, for someone loading the file elsewhere: the
  // input is (x / 255 - mean) / std per RGB channel.
  const data::Normalization norm = normalization_of(config.normalization);
  auto three = [](const float* v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%g,%g,%g", v[0], v[1], v[2]);  // "0.4914,0.4822,0.4465"
    return std::string(buf);
  };
  meta["normalization_mean"] = three(norm.mean);
  meta["normalization_std"] = three(norm.std);
  meta["epoch"] = std::to_string(epoch);
  meta["val_loss"] = number(val_loss);
  save_checked(path, kModelFormat, model.state_dict(), meta);
}

void save_training_checkpoint(const std::string& path, const Module& model,
                              const Optimizer& optimizer, const TrainConfig& config,
                              const std::vector<std::string>& class_names,
                              const TrainingState& state) {
  SafetensorsMetadata meta;
  meta["config"] = to_json(config).dump();
  meta["class_names"] = nlohmann::json(class_names).dump();
  meta["optimizer_steps"] = std::to_string(optimizer.steps_taken());
  put_state(meta, state);
  NamedTensors tensors;
  for (const auto& [name, t] : model.state_dict()) tensors.emplace_back("model." + name, t);
  for (const auto& [name, t] : optimizer.state()) tensors.emplace_back("optimizer." + name, t);
  save_checked(path, kCheckpointFormat, tensors, meta);
}

TrainingCheckpoint load_training_checkpoint(const std::string& path) {
  SafetensorsMetadata meta;
  NamedTensors tensors = load_checked(path, kCheckpointFormat, meta);
  TrainingCheckpoint ckpt;
  ckpt.config = config_from(meta, path);
  ckpt.class_names = strings_from_json(meta_at(meta, "class_names", path), path + " class names");
  ckpt.state = get_state(meta, path);
  ckpt.model = with_prefix(tensors, "model.");
  ckpt.optimizer = with_prefix(tensors, "optimizer.");
  ckpt.optimizer_steps = read_integer(meta, "optimizer_steps", path);
  return ckpt;
}

void load_optimizer_state(Optimizer& optimizer, const NamedTensors& state, int64_t steps,
                          const std::string& source) {
  const auto mine = optimizer.state();
  CG_CHECK(mine.size() == state.size(), source << ": optimizer state has " << state.size()
                                               << " tensors, this optimizer " << mine.size());
  for (const auto& [name, t] : mine) {
    const Tensor& saved = find_tensor(state, name, source + " optimizer state");
    CG_CHECK(saved.shape() == t.shape(), source << ": optimizer tensor '" << name << "' has shape "
                                                << shape_str(saved.shape()) << ", expected "
                                                << shape_str(t.shape()));
    Tensor target = t;
    target.copy_from(saved);
  }
  optimizer.set_steps_taken(steps);
}

TrainedModel load_trained_model(const std::string& path) {
  TrainedModel out;
  out.path = path;
  if (std::filesystem::is_directory(path)) {
    out.path = (std::filesystem::path(path) / "best.safetensors").string();
    if (!std::filesystem::exists(out.path))
      out.path = (std::filesystem::path(path) / "last.ckpt").string();
  }
  SafetensorsMetadata meta;
  NamedTensors tensors = load_checked(out.path, "", meta);
  out.config = config_from(meta, out.path);
  out.class_names =
      strings_from_json(meta_at(meta, "class_names", out.path), out.path + " class names");
  if (meta.at("format") == kCheckpointFormat) tensors = with_prefix(tensors, "model.");
  out.model = build_model(out.config, static_cast<int>(out.class_names.size()), 0);
  load_state(*out.model, tensors, out.path);
  out.model->eval();
  return out;
}

}  // namespace train
}  // namespace cudagrad
