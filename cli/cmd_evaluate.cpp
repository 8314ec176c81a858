// cudagrad evaluate: a trained model's accuracy, balanced accuracy (the
// ISIC 2018 ranking metric), per-class precision / recall / F1 / ROC-AUC,
// macro and weighted F1 and the confusion matrix, on the run's test split
// or on another dataset; printed as tables and saved as eval.json
// (report/metrics.h computes and formats them).
#include <cstdio>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/options.h"
#include "base/files.h"
#include "base/error.h"
#include "train/device_choice.h"
#include "train/evaluation.h"

namespace cudagrad {
namespace cli {

using namespace train;

namespace {

struct EvaluateOptions {
  std::string checkpoint, data, split, out, layout, cache_dir, device = "auto";
  int tta = 1, batch = 32, skip_missing = 0, threads = 0;
};

int evaluate(const EvaluateOptions& o, bool layout_given, bool skip_missing_given,
             bool cache_dir_given) {
  set_cpu_threads(capped_threads(o.threads));
  const DeviceChoice wanted_device = parse_choice<DeviceChoice>("--device", o.device);
  select_device(wanted_device, /*quiet=*/true);  // a bad --device fails before any work
  // A target that cannot be written (a FIFO, a device) fails before the work too.
  if (!o.out.empty()) files::resolve_write_target(o.out);

  TrainedModel trained = load_trained_model(o.checkpoint);
  EvalOptions where;
  where.data = o.data;
  where.split = o.split;
  if (layout_given) where.layout = parse_choice<data::Layout>("--layout", o.layout);
  if (skip_missing_given) where.skip_missing = o.skip_missing == 1;
  if (cache_dir_given) where.cache_dir = o.cache_dir;
  const EvalSet set = open_eval_set(trained, where);
  const int tta = o.tta;
  const Device device = select_device(wanted_device);
  trained.model->to_device(device);
  std::printf("evaluating %s (%s) on %zu images (%s part%s)\n", trained.path.c_str(),
              name_of(trained.config.model).c_str(), set.indices.size(), set.part.c_str(),
              tta > 1 ? (", " + std::to_string(tta) + " TTA views averaged").c_str() : "");
  const report::ClassificationMetrics m = evaluate(trained, set, tta, o.batch, device);
  std::printf("\n%s\n%s", report::format_metrics(m).c_str(),
              report::format_confusion_matrix(m).c_str());

  // The run's own data: eval.json beside the checkpoint (the report reads
  // it); another dataset: eval-<its folder>.json, so the two do not mix.
  const std::filesystem::path dir = std::filesystem::path(trained.path).parent_path();
  const std::string name =
      set.own_data ? "eval.json"
                   : "eval-" + std::filesystem::path(set.config.data).filename().string() + ".json";
  const std::string out = o.out.empty() ? (dir / name).string() : o.out;
  // What was evaluated, before the metrics (ordered_json keeps this order).
  nlohmann::ordered_json what;
  what["checkpoint"] = trained.path;
  what["model"] = name_of(trained.config.model);
  what["data"] = set.config.data;
  what["split"] = set.part;
  what["tta"] = tta;
  report::save_metrics_json(out, m, what);
  std::printf("\nsaved %s\n", out.c_str());
  return 0;
}

}  // namespace

Runner evaluate_command(CLI::App& app) {
  auto o = std::make_shared<EvaluateOptions>();
  app.add_option("--checkpoint", o->checkpoint,
                 "best.safetensors, last.ckpt, or a run folder (its best.safetensors)")
      ->type_name("FILE|DIR")
      ->required();
  app.add_option("--data", o->data, "another dataset to evaluate on (default: the run's)")
      ->type_name("PATH");
  app.add_option("--split", o->split,
                 "the part of the run's split: test (default), val, train; or all (another dataset)")
      ->type_name("PART");
  app.add_option("--tta", o->tta, "test-time augmentation: views averaged per image")
      ->type_name("N")
      ->check(integer_in(1, 6))
      ->capture_default_str();
  app.add_option("--out", o->out, "where to save the metrics (default: eval.json beside the model)")
      ->type_name("FILE");
  app.add_option("--batch", o->batch, "images per forward pass")
      ->type_name("N")
      ->check(integer_in(1, 4096))
      ->capture_default_str();
  CLI::Option* layout = app.add_option("--layout", o->layout, "the dataset's layout (default: the run's)")
                            ->type_name(choices_text<data::Layout>())
                            ->check(one_of(choice_list<data::Layout>()));
  CLI::Option* skip_missing =
      app.add_option("--skip-missing", o->skip_missing, "1: leave out images that cannot be read")
          ->type_name("0|1")
          ->check(zero_or_one());
  CLI::Option* cache_dir =
      app.add_option("--cache-dir", o->cache_dir, "where decoded images are cached")->type_name("DIR");
  add_device_option(app, o->device);
  add_threads_option(app, o->threads);
  return [o, layout, skip_missing, cache_dir] {
    return evaluate(*o, layout->count() > 0, skip_missing->count() > 0, cache_dir->count() > 0);
  };
}

}  // namespace cli
}  // namespace cudagrad
