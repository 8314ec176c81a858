#include "examples/evaluation.h"

#include <cstdio>
#include <filesystem>

#include "base/error.h"
#include "data/loader.h"
#include "examples/inference.h"
#include "examples/run_data.h"

namespace cudagrad {
namespace cli {

namespace fs = std::filesystem;

EvalSet open_eval_set(const TrainedModel& trained, const Flags& flags) {
  EvalSet set;
  set.config = trained.config;
  TrainConfig& c = set.config;
  if (flags.count("--data")) {
    const std::string data = fs::absolute(flags.at("--data")).string();
    set.own_data = fs::weakly_canonical(data) == fs::weakly_canonical(c.data);
    if (!set.own_data) {
      c.data = data;
      c.layout = "auto";
      c.cache_dir = "";
    }
  }
  c.layout = string_flag(flags, "--layout", c.layout);
  c.skip_missing = bool_flag(flags, "--skip-missing", c.skip_missing);
  c.cache_dir = string_flag(flags, "--cache-dir", c.cache_dir);
  set.part = string_flag(flags, "--split", set.own_data ? "test" : "all");
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
  options.normalization = normalization_named(trained.config.normalization);
  options.threads = loader_threads();
  if (tta > 1) options.tta = data::tta_views(tta);
  data::Loader loader(*set.cache, set.indices, options);
  const Predictions p = predict_loader(*trained.model, loader, 0, device, Tensor());
  return report::compute_metrics(std::vector<int>(p.labels.begin(), p.labels.end()),
                                 p.probabilities, trained.class_names);
}

}  // namespace cli
}  // namespace cudagrad
