// cudagrad report DIR: the run's self-contained HTML page (report/html_report.h)
// with its SVG charts: settings, loss and accuracy curves (metrics.csv), the
// evaluation on the test split (eval.json, computed now when missing or
// older than the model), the confusion matrix, the class distribution of
// each part (splits.csv), and a grid of Grad-CAM overlays over validation
// images, a few of each class.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "engine/atomic_write.h"
#include "engine/error.h"
#include "engine/json.h"
#include "examples/checkpoint.h"
#include "examples/commands.h"
#include "examples/device_choice.h"
#include "examples/evaluation.h"
#include "examples/gradcam.h"
#include "examples/inference.h"
#include "examples/run_data.h"
#include "report/html_report.h"
#include "report/image.h"

namespace cudagrad {
namespace cli {

namespace {

namespace fs = std::filesystem;

// The part to evaluate on: test when the split has one, else val.
std::string evaluation_part(const data::Split& split) {
  const int test = split.part_index("test");
  return test >= 0 && split.sizes()[test] > 0 ? "test" : "val";
}

// eval.json when it is newer than the model, else a fresh evaluation (saved).
report::ClassificationMetrics evaluation_for(TrainedModel& trained, const EvalSet& set,
                                             Device device, std::string& part) {
  const fs::path saved = fs::path(trained.path).parent_path() / "eval.json";
  if (fs::exists(saved) && fs::last_write_time(saved) >= fs::last_write_time(trained.path)) {
    const json::Value eval = json::parse(files::read_file(saved.string()), saved.string());
    if (const json::Value* split = eval.find("split")) part = split->as_string();
    std::printf("evaluation: %s (%s part)\n", saved.string().c_str(), part.c_str());
    return report::load_metrics_json(saved.string());
  }
  std::printf("evaluation: %s on the %s part (%zu images)\n", trained.path.c_str(), part.c_str(),
              set.indices.size());
  report::ClassificationMetrics m = evaluate(trained, set, 1, 32, device);
  json::Value extra = json::Value::object();
  extra.set("checkpoint", trained.path);
  extra.set("model", trained.config.model);
  extra.set("data", set.config.data);
  extra.set("split", part);
  extra.set("tta", 1);
  report::save_metrics_json(saved.string(), m, extra);
  return m;
}

report::ClassDistribution distribution_of(const EvalSet& set, const std::vector<std::string>& classes) {
  report::ClassDistribution d;
  d.class_names = classes;
  d.split_names = set.split.names;
  d.counts.assign(set.split.names.size(), std::vector<int64_t>(classes.size(), 0));
  for (size_t i = 0; i < set.dataset.samples.size(); ++i)
    ++d.counts[set.split.part[i]][set.dataset.samples[i].label];
  return d;
}

// Up to n images of `part`, taking the classes in turn so rare ones show too.
std::vector<int64_t> gradcam_choices(const EvalSet& set, const std::string& part, int n, int classes) {
  std::vector<std::vector<int64_t>> by_class(classes);
  for (int64_t i : part_indices(*set.cache, set.split, part))
    by_class[set.dataset.samples[i].label].push_back(i);
  std::vector<int64_t> chosen;
  for (size_t round = 0; static_cast<int>(chosen.size()) < n; ++round) {
    bool any = false;
    for (const auto& members : by_class)
      if (round < members.size() && static_cast<int>(chosen.size()) < n) {
        chosen.push_back(members[round]);
        any = true;
      }
    if (!any) break;
  }
  return chosen;
}

std::string number(double x) {
  std::ostringstream os;
  os << x;  // 1e-05, 0.25, 32
  return os.str();
}

std::vector<std::pair<std::string, std::string>> settings_of(const TrainedModel& t) {
  const TrainConfig& c = t.config;
  std::vector<std::pair<std::string, std::string>> s{
      {"model", c.model + (c.model == "mobilenet" ? " (width " + number(c.width) +
                                                        ", " + c.head + " head)"
                                                  : "")},
      {"input", std::to_string(c.input) + "x" + std::to_string(c.input)},
      {"classes", join(t.class_names)},
      {"data", c.data},
      {"optimizer", c.optimizer + ", lr " + number(c.lr) + ", batch " + std::to_string(c.batch)},
      {"epochs", std::to_string(c.epochs) + (c.early_stopping ? ", early stopping " + std::to_string(c.early_stopping) : "")},
      {"schedule", c.schedule},
      {"class weights", c.class_weights},
      {"augmentation", c.augment},
      {"normalization", c.normalization},
      {"seed", std::to_string(c.seed)},
      {"checkpoint", t.path}};
  if (!c.recipe.empty()) s.insert(s.begin(), {"recipe", c.recipe});
  if (!c.pretrained.empty()) s.push_back({"pretrained", c.pretrained + ", frozen: " + c.freeze});
  return s;
}

}  // namespace

int report_command(const Args& args) {
  std::vector<std::string> positional;
  const Flags flags =
      parse_flags(args, {"--gradcam", "--device", "--threads", "--cache-dir"}, positional);
  CG_CHECK(positional.size() == 1, "report needs one run folder: cudagrad report DIR");
  const std::string dir = positional[0];
  CG_CHECK(fs::is_directory(dir), dir << ": no such folder");
  const int n_gradcam = int_flag(flags, "--gradcam", 8, 0, 64);
  set_cpu_threads(int_flag(flags, "--threads", 0, 0, 4096));
  const Device device = select_device(string_flag(flags, "--device", "auto"), /*quiet=*/true);

  TrainedModel trained = load_trained_model(dir);
  trained.model->to_device(device);
  report::ReportInputs inputs;
  inputs.title = "cudagrad run: " + fs::path(dir).filename().string();
  inputs.settings = settings_of(trained);
  const std::string metrics = (fs::path(dir) / "metrics.csv").string();
  if (fs::exists(metrics)) inputs.epochs = report::read_epochs_csv(metrics);

  Flags eval_flags{{"--split", "all"}};
  if (flags.count("--cache-dir")) eval_flags["--cache-dir"] = flags.at("--cache-dir");
  EvalSet set = open_eval_set(trained, eval_flags);  // every image; the parts come from the split
  set.split = data::read_splits_csv((fs::path(trained.path).parent_path() / "splits.csv").string(),
                                    set.dataset.samples);
  std::string part = evaluation_part(set.split);
  set.part = part;
  set.indices = part_indices(*set.cache, set.split, part);
  inputs.evaluation = evaluation_for(trained, set, device, part);
  inputs.evaluation_split = part;
  inputs.distribution = distribution_of(set, trained.class_names);

  const std::string gradcam_part = set.split.part_index("val") >= 0 ? "val" : part;
  const std::string layer = default_gradcam_layer(*trained.model, trained.config.input);
  const data::Normalization norm = normalization_named(trained.config.normalization);
  fs::create_directories(fs::path(dir) / "gradcam");
  for (int64_t i : gradcam_choices(set, gradcam_part, n_gradcam, static_cast<int>(trained.class_names.size()))) {
    const data::Sample& sample = set.dataset.samples[i];
    const GradcamResult r = gradcam(
        *trained.model, load_images({sample.image_path}, trained.config.input, norm, device), layer);
    report::GradcamExample example;
    example.overlay = gradcam_overlay_image(sample.image_path, r, 240);
    example.true_class = trained.class_names[sample.label];
    example.predicted_class = trained.class_names[r.target];
    example.probability = r.probabilities[r.target];
    example.caption = sample.image_id;
    report::write_png((fs::path(dir) / "gradcam" / (sample.image_id + ".png")).string(), example.overlay);
    inputs.gradcams.push_back(std::move(example));
  }
  std::printf("Grad-CAM: %zu %s images at layer '%s' (PNGs in %s)\n", inputs.gradcams.size(),
              gradcam_part.c_str(), layer.c_str(), (fs::path(dir) / "gradcam").string().c_str());

  for (const std::string& path : report::write_html_report(dir, inputs))
    std::printf("wrote %s\n", path.c_str());
  return 0;
}

}  // namespace cli
}  // namespace cudagrad
