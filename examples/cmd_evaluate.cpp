// cudagrad evaluate: a trained model's accuracy, balanced accuracy (the
// ISIC 2018 ranking metric), per-class precision / recall / F1 / ROC-AUC,
// macro and weighted F1 and the confusion matrix, on the run's test split
// or on another dataset; printed as tables and saved as eval.json
// (report/metrics.h computes and formats them).
#include <cstdio>
#include <filesystem>

#include "base/error.h"
#include "base/files.h"
#include "engine/json.h"
#include "examples/commands.h"
#include "examples/device_choice.h"
#include "examples/evaluation.h"

namespace cudagrad {
namespace cli {

int evaluate_command(const Args& args) {
  const Flags flags = parse_flags(args, {"--checkpoint", "--data", "--split", "--tta", "--out",
                                         "--batch", "--layout", "--skip-missing", "--cache-dir",
                                         "--device", "--threads"});
  CG_CHECK(flags.count("--checkpoint"), "evaluate needs --checkpoint FILE (or a run folder)");
  const int tta = int_flag(flags, "--tta", 1, 1, 6);
  const int batch = int_flag(flags, "--batch", 32, 1, 4096);
  set_cpu_threads(int_flag(flags, "--threads", 0, 0, 4096));
  const std::string wanted_device = string_flag(flags, "--device", "auto");
  select_device(wanted_device, /*quiet=*/true);  // a bad --device fails before any work
  // A target that cannot be written (a FIFO, a device) fails before the work too.
  if (flags.count("--out")) files::resolve_write_target(flags.at("--out"));

  TrainedModel trained = load_trained_model(flags.at("--checkpoint"));
  const EvalSet set = open_eval_set(trained, flags);
  const Device device = select_device(wanted_device);
  trained.model->to_device(device);
  std::printf("evaluating %s (%s) on %zu images (%s part%s)\n", trained.path.c_str(),
              trained.config.model.c_str(), set.indices.size(), set.part.c_str(),
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
  json::Value extra = json::Value::object();
  extra.set("checkpoint", trained.path);
  extra.set("model", trained.config.model);
  extra.set("data", set.config.data);
  extra.set("split", set.part);
  extra.set("tta", tta);
  report::save_metrics_json(out, m, extra);
  std::printf("\nsaved %s\n", out.c_str());
  return 0;
}

}  // namespace cli
}  // namespace cudagrad
