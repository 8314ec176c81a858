#include "examples/run_data.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "engine/error.h"

namespace cudagrad {
namespace cli {

data::Dataset load_run_dataset(const TrainConfig& config, bool quiet) {
  data::DatasetOptions options;
  options.layout = data::parse_layout(config.layout);
  options.labels = data::parse_label_mode(config.labels);
  options.skip_missing = config.skip_missing;
  data::Dataset dataset = data::load_dataset(config.data, options);
  CG_CHECK(!dataset.samples.empty(), config.data << ": the dataset holds no images");
  if (!quiet) std::printf("data: %s\n", data::describe(dataset).c_str());
  return dataset;
}

data::Split make_split(const data::Dataset& dataset, const TrainConfig& config) {
  if (config.folds > 0)
    return data::fold_train_val(
        data::split_k_folds(dataset.samples, dataset.num_classes(), config.folds, config.seed),
        config.fold);
  return data::split_train_val_test(dataset.samples, dataset.num_classes(), config.fractions(),
                                    config.seed);
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

data::Normalization normalization_named(const std::string& name) {
  CG_CHECK(name == "tutorial" || name == "imagenet",
           "normalization must be tutorial or imagenet, got '" << name << "'");
  return name == "imagenet" ? data::Normalization::imagenet() : data::Normalization();
}

int loader_threads() {
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return std::clamp(cores / 2, 1, 4);
}

}  // namespace cli
}  // namespace cudagrad
