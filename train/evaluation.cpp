#include "train/evaluation.h"

#include <cstdio>
#include <filesystem>

#include "base/error.h"
#include "data/loader.h"
#include "base/error.h"
#include "train/inference.h"
#include "train/run_data.h"

namespace cudagrad {
namespace train {

namespace fs = std::filesystem;

EvalSet open_eval_set(const TrainedModel& trained, const EvalOptions& options) {
  EvalSet set;
  set.config = trained.config;
  TrainConfig& c = set.config;
  if (!options.data.empty()) {
    const std::string data = fs::absolute(options.data).string();
    set.own_data = fs::weakly_canonical(data) == fs::weakly_canonical(c.data);
    if (!set.own_data) {
      c.data = data;
      c.layout = data::Layout::automatic;
      c.cache_dir = "";
    }
  }
  c.layout = options.layout.value_or(c.layout);
  c.skip_missing = options.skip_missing.value_or(c.skip_missing);
  c.cache_dir = options.cache_dir.value_or(c.cache_dir);
  set.part = !options.split.empty() ? options.split : set.own_data ? "test" : "all";
  CG_CHECK(set.part == "all" || set.own_data,
           "--split " << set.part << " names a part of the run's own split; use --split all "
                                     "for another dataset");
  CG_CHECK(fs::exists(c.data), "--data " << c.data << ": no such file or folder");

  set.dataset = load_run_dataset(c);
  CG_CHECK(set.dataset.class_names == trained.class_names,
           c.data << " has classes " << join(set.dataset.class_names) << " but the model has "
                  << join(trained.class_names) << " (another --labels mode?)");
  if (set.part != "all") {
    const fs::path splits = fs::path(trained.path).parent_path() / "splits.csv";
    set.split = fs::exists(splits) ? data::read_splits_csv(splits.string(), set.dataset.samples)
                                   : make_split(set.dataset, c);
  }
  set.cache = std::make_unique<data::ImageCache>(open_image_cache(set.dataset, c));
  set.indices = part_indices(*set.cache, set.split, set.part);
  CG_CHECK(!set.indices.empty(), "the '" << set.part << "' part holds no readable images");
  return set;
}

report::ClassificationMetrics evaluate(TrainedModel& trained, const EvalSet& set, int tta,
                                       int batch, Device device) {
  data::LoaderOptions options;
  options.batch_size = batch;
  options.shuffle = false;
  options.normalization = normalization_of(trained.config.normalization);
  options.threads = loader_threads();
  if (tta > 1) options.tta = data::tta_views(tta);
  data::Loader loader(*set.cache, set.indices, options);
  const Predictions p = predict_loader(*trained.model, loader, 0, device, Tensor());
  return report::compute_metrics(std::vector<int>(p.labels.begin(), p.labels.end()),
                                 p.probabilities, trained.class_names);
}

}  // namespace train
}  // namespace cudagrad
