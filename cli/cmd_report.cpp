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

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/options.h"
#include "base/files.h"
#include "base/error.h"
#include "report/html_report.h"
#include "report/image.h"
#include "train/checkpoint.h"
#include "train/device_choice.h"
#include "train/evaluation.h"
#include "train/gradcam.h"
#include "train/inference.h"
#include "train/run_data.h"

namespace cudagrad {
namespace cli {

using namespace train;

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
    const nlohmann::json eval = nlohmann::json::parse(files::read_file(saved.string()), nullptr,
                                                      /*allow_exceptions=*/false);
    // A file the report cannot read is named by load_metrics_json below.
    if (eval.is_object() && eval.contains("split") && eval["split"].is_string())
      part = eval["split"].get<std::string>();
    std::printf("evaluation: %s (%s part)\n", saved.string().c_str(), part.c_str());
    return report::load_metrics_json(saved.string());
  }
  std::printf("evaluation: %s on the %s part (%zu images)\n", trained.path.c_str(), part.c_str(),
              set.indices.size());
  report::ClassificationMetrics m = evaluate(trained, set, 1, 32, device);
  nlohmann::ordered_json what;  // as evaluate writes it
  what["checkpoint"] = trained.path;
  what["model"] = name_of(trained.config.model);
  what["data"] = set.config.data;
  what["split"] = part;
  what["tta"] = 1;
  report::save_metrics_json(saved.string(), m, what);
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
      {"model", name_of(c.model) + (c.model == ModelKind::mobilenet
                                         ? " (width " + number(c.width) + ", " + name_of(c.head) + " head)"
                                         : "")},
      {"input", std::to_string(c.input) + "x" + std::to_string(c.input)},
      {"classes", train::join(t.class_names)},
      {"data", c.data},
      {"optimizer", name_of(c.optimizer) + ", lr " + number(c.lr) + ", batch " + std::to_string(c.batch)},
      {"epochs", std::to_string(c.epochs) + (c.early_stopping ? ", early stopping " + std::to_string(c.early_stopping) : "")},
      {"schedule", name_of(c.schedule)},
      {"class weights", name_of(c.class_weights)},
      {"augmentation", name_of(c.augment)},
      {"normalization", name_of(c.normalization)},
      {"seed", std::to_string(c.seed)},
      {"checkpoint", t.path}};
  if (!c.recipe.empty()) s.insert(s.begin(), {"recipe", c.recipe});
  if (!c.pretrained.empty()) s.push_back({"pretrained", c.pretrained + ", frozen: " + name_of(c.freeze)});
  return s;
}

struct ReportOptions {
  std::string folder;
  std::string cache_dir, device = "auto";
  int gradcam = 8, threads = 0;
};

int run_report(const ReportOptions& o, bool cache_dir_given) {
  CG_CHECK(!o.folder.empty(), "report needs one run folder: cudagrad report DIR");
  const std::string dir = o.folder;
  CG_CHECK(fs::is_directory(dir), dir << ": no such folder");
  const int n_gradcam = o.gradcam;
  set_cpu_threads(capped_threads(o.threads));
  const Device device = select_device(parse_choice<DeviceChoice>("--device", o.device), /*quiet=*/true);

  TrainedModel trained = load_trained_model(dir);
  trained.model->to_device(device);
  report::ReportInputs inputs;
  inputs.title = "cudagrad run: " + fs::path(dir).filename().string();
  inputs.settings = settings_of(trained);
  const std::string metrics = (fs::path(dir) / "metrics.csv").string();
  if (fs::exists(metrics)) inputs.epochs = report::read_epochs_csv(metrics);

  EvalOptions every_image;
  every_image.split = "all";
  if (cache_dir_given) every_image.cache_dir = o.cache_dir;
  EvalSet set = open_eval_set(trained, every_image);  // every image; the parts come from the split
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
  const data::Normalization norm = normalization_of(trained.config.normalization);
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

}  // namespace

Runner report_command(CLI::App& app) {
  auto o = std::make_shared<ReportOptions>();
  app.add_option("folder", o->folder, "the run folder")->type_name("DIR");
  app.add_option("--gradcam", o->gradcam, "Grad-CAM overlays of validation images to show")
      ->type_name("N")
      ->check(integer_in(0, 64))
      ->capture_default_str();
  CLI::Option* cache_dir =
      app.add_option("--cache-dir", o->cache_dir, "where decoded images are cached (default: the run's)")
          ->type_name("DIR");
  add_device_option(app, o->device);
  add_threads_option(app, o->threads);
  return [o, cache_dir] { return run_report(*o, cache_dir->count() > 0); };
}

}  // namespace cli
}  // namespace cudagrad
