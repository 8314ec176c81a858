#include "train/run_data.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "base/error.h"
#include "train/device_choice.h"

namespace cudagrad {
namespace train {

data::Dataset load_run_dataset(const TrainConfig& config, bool quiet) {
  data::DatasetOptions options;
  options.layout = config.layout;
  options.labels = config.labels;
  options.skip_missing = config.skip_missing;
  data::Dataset dataset = data::load_dataset(config.data, options);
  CG_CHECK(!dataset.samples.empty(), config.data << ": the dataset holds no images");
  if (!quiet) std::printf("data: %s\n", data::describe(dataset).c_str());
  return dataset;
}

data::Split make_split(const data::Dataset& dataset, const TrainConfig& config) {
  // --split-by image: every image its own group, so a lesion's images can
  // land in different parts (the tutorials' split, kept to measure the leak).
  std::vector<data::Sample> by_image;
  if (config.split_by == SplitBy::image) {
    by_image = dataset.samples;
    for (data::Sample& s : by_image) s.group_id = s.image_id;
  }
  const std::vector<data::Sample>& samples =
      config.split_by == SplitBy::image ? by_image : dataset.samples;
  if (config.folds > 0)
    return data::fold_train_val(
        data::split_k_folds(samples, dataset.num_classes(), config.folds, config.seed), config.fold);
  return data::split_train_val_test(samples, dataset.num_classes(), config.split_fractions,
                                    config.seed);
}

namespace {

// "--split-fractions 0.64,0.16,0.2" or "--folds 5 --fold 0": the flags that made the split.
std::string split_flags(const TrainConfig& config) {
  if (config.folds > 0)
    return "--folds " + std::to_string(config.folds) + " --fold " + std::to_string(config.fold);
  return "--split-fractions " + split_fractions_text(config.split_fractions);
}

}  // namespace

void check_training_data(const data::Dataset& dataset, const TrainConfig& config) {
  const std::vector<int64_t> counts = dataset.class_counts();
  std::vector<std::string> empty;
  for (size_t c = 0; c < counts.size(); ++c)
    if (counts[c] == 0) empty.push_back(dataset.class_names[c]);
  if (!empty.empty()) {
    const std::string why =
        dataset.layout == data::Layout::image_folder
            ? "; class folders named after HAM10000 codes keep all of its classes (any other "
              "folder names become the classes)"
            : "";
    throw Error("--data " + config.data + ": no images of " + join(empty) + ", but --labels " +
                name_of(config.labels) + " gives the model " + std::to_string(counts.size()) +
                " classes (" + join(dataset.class_names) + "); a class without images is never "
                "learned" + why);
  }
  const int64_t lesions = dataset.num_groups();
  if (config.folds > lesions)
    throw Error("--folds " + std::to_string(config.folds) + ": the dataset has " +
                std::to_string(lesions) + " lesions and a fold takes whole lesions; use at most " +
                std::to_string(lesions) + " folds");
}

void check_training_split(const data::Dataset& dataset, const data::Split& split,
                          const TrainConfig& config) {
  std::vector<std::string> wanted{"train", "val"};
  if (config.folds == 0) {
    const data::SplitFractions f = config.split_fractions;
    wanted = {"train"};
    if (f.val > 0) wanted.push_back("val");
    if (f.test > 0) wanted.push_back("test");
  }
  for (const std::string& part : wanted)
    if (split.part_index(part) < 0 || split.indices(part).empty())
      throw Error(split_flags(config) + ": the " + part + " part gets no images (" +
                  std::to_string(dataset.samples.size()) + " images of " +
                  std::to_string(dataset.num_groups()) +
                  " lesions; a part takes whole lesions); " +
                  (config.folds > 0 ? "use fewer folds"
                                    : "give it a larger fraction, or 0 for no " + part + " part"));
  try {
    data::require_every_class_in(split, "train", dataset.samples, dataset.class_names);
  } catch (const Error& e) {
    throw Error(split_flags(config) + ": " + e.what());
  }
}

std::string default_cache_dir() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
    return std::string(xdg) + "/cudagrad";
  if (const char* home = std::getenv("HOME"); home && *home)
    return std::string(home) + "/.cache/cudagrad";
  return "/tmp/cudagrad-cache-" + std::to_string(::getuid());
}

data::ImageCache open_image_cache(const data::Dataset& dataset, const TrainConfig& config) {
  const std::string dir = config.cache_dir.empty() ? default_cache_dir() : config.cache_dir;
  std::filesystem::create_directories(dir);
  data::CacheOptions options;
  options.width = options.height = config.input;
  options.skip_unreadable = config.skip_missing;
  options.threads = threads_flag();  // the command's --threads; 0: every core
  data::ImageCache cache = data::ImageCache::open_or_build(
      data::cache_path_for(dir, dataset, config.input, config.input), dataset.samples, options);
  const auto unreadable = cache.unreadable();
  if (!unreadable.empty())
    std::printf("data: %zu unreadable images left out (--skip-missing 1)\n", unreadable.size());
  return cache;
}

std::vector<int64_t> part_indices(const data::ImageCache& cache, const data::Split& split,
                                  const std::string& name) {
  std::vector<int64_t> indices;
  if (name == "all") {
    for (int64_t i = 0; i < cache.size(); ++i) indices.push_back(i);
  } else {
    CG_CHECK(split.part_index(name) >= 0,
             "no part '" << name << "' in the split (it has: " << join(split.names) << ", all)");
    indices = split.indices(name);
  }
  return data::readable_indices(cache, indices);
}

data::Normalization normalization_of(NormalizationKind kind) {
  return kind == NormalizationKind::imagenet ? data::Normalization::imagenet() : data::Normalization();
}

int loader_threads() {
  if (threads_flag() > 0) return std::clamp(threads_flag() / 2, 0, 4);
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return std::clamp(cores / 2, 1, 4);
}

}  // namespace train
}  // namespace cudagrad
