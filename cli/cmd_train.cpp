// cudagrad train: turns flags (and a recipe) into a TrainConfig
// (cli/train_flags.h), makes sample data when no --data is given, and hands
// over to the training loop (train/trainer.h). --resume DIR reads the
// config back from the run's last.ckpt instead.
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <set>

#include "cli/commands.h"
#include "cli/recipes.h"
#include "cli/train_flags.h"
#include "data/classes.h"
#include "data/sample_data.h"
#include "base/error.h"
#include "train/checkpoint.h"
#include "train/device_choice.h"
#include "train/model_setup.h"
#include "train/run_data.h"
#include "train/run_folder.h"
#include "train/trainer.h"

namespace cudagrad {
namespace cli {

using namespace train;

namespace {

namespace fs = std::filesystem;

// Sample data for a run without --data (config.data names its folder in
// the run folder, so a resumed run finds the same images).
void make_sample_data(const TrainConfig& config) {
  const std::string& dir = config.data;
  if (fs::exists(fs::path(dir) / "HAM10000_metadata.csv")) {
    std::printf("no --data given: using the sample data in %s\n", dir.c_str());
  } else {
    std::printf("no --data given: generating %d sample images (drawn lesions in the HAM10000 "
                "layout, see 'cudagrad help sample-data') into %s\n",
                config.sample_images, dir.c_str());
    std::fflush(stdout);
    data::write_sample_dataset(dir, config.sample_images, config.seed, config.threads);
  }
}

// Reads the dataset and makes the split once before the run folder exists,
// so that every problem they reveal is an error naming the flag, with
// nothing written yet. (run_training reads both again: cheap next to
// training, and it keeps that function whole for --resume.)
void check_data_before_run(const TrainConfig& config) {
  const data::Dataset dataset = load_run_dataset(config, /*quiet=*/true);
  check_training_data(dataset, config);
  check_training_split(dataset, make_split(dataset, config), config);
}

int start_training(const Flags& user, bool overwrite) {
  Flags flags = user;
  if (!user.count("--recipe") && !user.count("--model")) {
    std::printf("no --model or --recipe given: using --recipe lenet-tutorial\n");
    flags["--recipe"] = "lenet-tutorial";
  }
  TrainConfig config = config_from_flags(flags);
  if (config.out.empty()) {
    config.out = "runs/" + (config.recipe.empty() ? name_of(config.model) : config.recipe);
    std::printf("no --out given: writing to %s\n", config.out.c_str());
  }
  // Fail on a missing file or a wrong input size now, before any data is
  // generated or cached.
  CG_CHECK(config.data.empty() || fs::exists(config.data),
           "--data " << config.data << ": no such file or folder");
  CG_CHECK(config.pretrained.empty() || fs::is_regular_file(config.pretrained),
           "--pretrained " << config.pretrained << ": no such file");
  if (config.device == DeviceChoice::cuda) select_device(DeviceChoice::cuda, /*quiet=*/true);
  build_model(config, static_cast<int>(data::class_names(config.labels).size()), 0);
  const bool sample_data = config.data.empty();
  if (sample_data) {
    config.data = (fs::path(config.out) / "sample-data").string();
    if (config.cache_dir.empty()) config.cache_dir = (fs::path(config.out) / "cache").string();
  } else {
    check_data_before_run(config);
  }
  // Absolute paths, so the run can be resumed from any working directory.
  config.data = fs::absolute(config.data).string();
  if (!config.cache_dir.empty()) config.cache_dir = fs::absolute(config.cache_dir).string();
  if (!config.pretrained.empty()) config.pretrained = fs::absolute(config.pretrained).string();
  // The folder is this run's from here on: no other process may write
  // into it, and no earlier run's results are overwritten unasked.
  const RunLock lock(config.out);
  claim_run_folder(config.out, config_json(config), overwrite);
  if (sample_data) make_sample_data(config);
  run_training(config, nullptr);
  return 0;
}

int resume_training(const Flags& user) {
  const std::string dir = user.at("--resume");
  const std::string path = (fs::path(dir) / "last.ckpt").string();
  if (!fs::is_directory(dir)) throw Error("--resume " + dir + ": no such folder");
  const RunLock lock(dir);
  if (!fs::exists(path)) throw Error("--resume " + dir + ": no last.ckpt there");
  const TrainingCheckpoint checkpoint = load_training_checkpoint(path);
  TrainConfig config = checkpoint.config;
  // Only what does not change the results so far may change; the rest is the run's.
  const std::set<std::string> may_change{"--epochs",  "--max-steps", "--early-stopping",
                                         "--threads", "--device",    "--cache-dir",
                                         "--data",    "--on-nan"};
  Flags changes;
  for (const auto& [flag, value] : user) {
    if (flag == "--resume" || (flag == "--out" && fs::path(value) == fs::path(dir))) continue;
    CG_CHECK(may_change.count(flag), flag << " cannot change when resuming (the run has "
                                          << flag << " '" << flag_value_text(config, flag)
                                          << "'); start a new run with another --out");
    changes[flag] = value;
  }
  apply_train_flags(config, changes);
  validate(config);
  config.out = dir;
  run_training(config, &checkpoint);
  return 0;
}

}  // namespace

Runner train_command(CLI::App& app) {
  // Each flag's text (its TrainConfig field is set from it after parsing,
  // over the recipe's or the checkpoint's value).
  auto texts = std::make_shared<std::map<std::string, std::string>>();
  // --overwrite is a switch, and not part of the run's settings (a resumed
  // run does not inherit it).
  auto overwrite = std::make_shared<bool>(false);
  add_train_options(app, *texts, *overwrite);
  const CLI::App* parsed = &app;  // the app outlives the runner (cli/cudagrad.cpp)
  return [parsed, texts, overwrite] {
    const Flags flags = given_train_flags(*parsed, *texts);
    if (flags.count("--resume")) {
      if (*overwrite) throw Error("--overwrite: cannot be given with --resume (which keeps the run)");
      return resume_training(flags);
    }
    return start_training(flags, *overwrite);
  };
}

}  // namespace cli
}  // namespace cudagrad
