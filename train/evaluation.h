// Evaluating a trained model on a part of a dataset, shared by `evaluate`
// and `report`: which images (the run's own test split, or all of another
// dataset), their predictions, and the metrics of report/metrics.h.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "data/cache.h"
#include "data/dataset.h"
#include "data/split.h"
#include "report/metrics.h"
#include "train/checkpoint.h"

namespace cudagrad {
namespace train {

// The images to evaluate on.
struct EvalSet {
  TrainConfig config;  // the model's config with the data settings used here
  data::Dataset dataset;
  data::Split split;   // the run's split (own data), or empty
  std::unique_ptr<data::ImageCache> cache;
  std::string part;    // "test", "val", "train" or "all"
  std::vector<int64_t> indices;  // readable cache indices of that part
  bool own_data = true;          // the dataset the model was trained on
};

// Where to evaluate; what is not given comes from the model's run.
struct EvalOptions {
  std::string data;    // "": the run's own dataset
  std::string split;   // "": test for the run's own data, all for another dataset
  std::optional<data::Layout> layout;
  std::optional<bool> skip_missing;
  std::optional<std::string> cache_dir;
};

// The run's split is read from splits.csv beside the checkpoint when it is
// there (which also checks the dataset did not change), else recomputed
// from the run's seed.
EvalSet open_eval_set(const TrainedModel& trained, const EvalOptions& options);

// Runs the model over the set (TTA views averaged when tta > 1) and
// computes the metrics.
report::ClassificationMetrics evaluate(TrainedModel& trained, const EvalSet& set, int tta,
                                       int batch, Device device);

}  // namespace train
}  // namespace cudagrad
