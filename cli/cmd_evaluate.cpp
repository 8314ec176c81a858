// cudagrad evaluate: a trained model's accuracy, balanced accuracy (the
// ISIC 2018 ranking metric), per-class precision / recall / F1 / ROC-AUC,
// macro and weighted F1 and the confusion matrix, on the run's test split
// or on another dataset; printed as tables and saved as eval.json
// (report/metrics.h computes and formats them).
#include <cstdio>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "engine/atomic_write.h"
#include "engine/error.h"
#include "cli/commands.h"
#include "cli/flags.h"
#include "train/device_choice.h"
#include "train/evaluation.h"

namespace cudagrad {
namespace cli {

using namespace train;

int evaluate_command(const Args& args) {
  const Flags flags = parse_flags(args, {"--checkpoint", "--data", "--split", "--tta", "--out",
                                         "--batch", "--layout", "--skip-missing", "--cache-dir",
                                         "--device", "--threads"});
  CG_CHECK(flags.count("--checkpoint"), "evaluate needs --checkpoint FILE (or a run folder)");
  const int tta = int_flag(flags, "--tta", 1, 1, 6);
  const int batch = int_flag(flags, "--batch", 32, 1, 4096);
  set_cpu_threads(int_flag(flags, "--threads", 0, 0, 4096));
  const DeviceChoice wanted_device =
      parse_choice<DeviceChoice>("--device", string_flag(flags, "--device", "auto"));
  select_device(wanted_device, /*quiet=*/true);  // a bad --device fails before any work
  // A target that cannot be written (a FIFO, a device) fails before the work too.
  if (flags.count("--out")) files::resolve_write_target(flags.at("--out"));

  TrainedModel trained = load_trained_model(flags.at("--checkpoint"));
  EvalOptions where;
  where.data = string_flag(flags, "--data", "");
  where.split = string_flag(flags, "--split", "");
  if (flags.count("--layout")) where.layout = parse_choice<data::Layout>("--layout", flags.at("--layout"));
  if (flags.count("--skip-missing")) where.skip_missing = bool_flag(flags, "--skip-missing", false);
  if (flags.count("--cache-dir")) where.cache_dir = flags.at("--cache-dir");
  const EvalSet set = open_eval_set(trained, where);
  const Device device = select_device(wanted_device);
  trained.model->to_device(device);
  std::printf("evaluating %s (%s) on %zu images (%s part%s)\n", trained.path.c_str(),
              name_of(trained.config.model).c_str(), set.indices.size(), set.part.c_str(),
              tta > 1 ? (", " + std::to_string(tta) + " TTA views averaged").c_str() : "");
  const report::ClassificationMetrics m = evaluate(trained, set, tta, batch, device);
  std::printf("\n%s\n%s", report::format_metrics(m).c_str(),
              report::format_confusion_matrix(m).c_str());

  // The run's own data: eval.json beside the checkpoint (the report reads
  // it); another dataset: eval-<its folder>.json, so the two do not mix.
  const std::filesystem::path dir = std::filesystem::path(trained.path).parent_path();
  const std::string name =
      set.own_data ? "eval.json"
                   : "eval-" + std::filesystem::path(set.config.data).filename().string() + ".json";
  const std::string out = string_flag(flags, "--out", (dir / name).string());
  // What was evaluated, before the metrics (ordered_json keeps this order).
  nlohmann::ordered_json what;
  what["checkpoint"] = trained.path;
  what["model"] = name_of(trained.config.model);
  what["data"] = set.config.data;
  what["split"] = set.part;
  what["tta"] = tta;
  report::save_metrics_json_with(out, m, what.dump());
  std::printf("\nsaved %s\n", out.c_str());
  return 0;
}

}  // namespace cli
}  // namespace cudagrad
