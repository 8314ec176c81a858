// cudagrad train: turns flags (and a recipe) into a TrainConfig, makes
// sample data when no --data is given, and hands over to the training loop
// (examples/trainer.h). --resume DIR reads the config back from the run's
// last.ckpt instead.
#include <cstdio>
#include <filesystem>
#include <set>

#include "data/classes.h"
#include "data/sample_data.h"
#include "engine/error.h"
#include "examples/checkpoint.h"
#include "examples/commands.h"
#include "examples/device_choice.h"
#include "examples/model_setup.h"
#include "examples/recipes.h"
#include "examples/run_data.h"
#include "examples/run_folder.h"
#include "examples/trainer.h"

namespace cudagrad {
namespace cli {

const char* const kTrainUsage =
    "[--recipe lenet-tutorial|resnet18-tutorial|mobilenet-tutorial] [--out DIR]\n"
    "  data:  --data PATH (none: generate --sample-images 400 into DIR/sample-data)\n"
    "         --layout auto|ham10000|isic2018|image-folder --labels multiclass|mel-vs-rest|\n"
    "         malignant-vs-benign --skip-missing 0|1 --split-fractions 0.64,0.16,0.2\n"
    "         --folds K --fold I --cache-dir DIR --input 224\n"
    "         --augment none|flip-rotate|flip-zoom-shift-rotate|flip-zoom-shear\n"
    "         --normalization tutorial|imagenet --class-weights ones|median-frequency|\n"
    "         balanced|balanced-sqrt\n"
    "  model: --model lenet|resnet18|resnet34|resnet50|mobilenet|densenet121|densenet169|densenet201\n"
    "         --width X --head pooled|dense (mobilenet)\n"
    "         --pretrained FILE (torchvision names) --freeze none|backbone\n"
    "  steps: --epochs N --batch N --lr X --optimizer sgd|adam|adamw --momentum X\n"
    "         --weight-decay X --schedule none|step|cosine|plateau --step-size N\n"
    "         --early-stopping PATIENCE --max-steps N --on-nan stop|skip\n"
    "  run:   --device auto|cpu|cuda --seed N --threads N (0: all cores)\n"
    "         --resume DIR (continue a run; --epochs, --max-steps, --early-stopping,\n"
    "         --threads, --device, --cache-dir, --data, --on-nan may change)\n"
    "         --overwrite (replace the results of an earlier run in --out)";

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
  if (user.count("--recipe")) {
    flags = apply_recipe(user.at("--recipe"), user);
  } else if (!user.count("--model")) {
    std::printf("no --model or --recipe given: using --recipe lenet-tutorial\n");
    flags = apply_recipe("lenet-tutorial", user);
    flags["--recipe"] = "lenet-tutorial";
  }
  TrainConfig config = parse_train_config(flags);
  if (config.out.empty()) {
    config.out = "runs/" + (config.recipe.empty() ? config.model : config.recipe);
    std::printf("no --out given: writing to %s\n", config.out.c_str());
  }
  // Fail on a missing file or a wrong input size now, before any data is
  // generated or cached.
  CG_CHECK(config.data.empty() || fs::exists(config.data),
           "--data " << config.data << ": no such file or folder");
  CG_CHECK(config.pretrained.empty() || fs::is_regular_file(config.pretrained),
           "--pretrained " << config.pretrained << ": no such file");
  if (config.device == "cuda") select_device("cuda", /*quiet=*/true);
  build_model(config, static_cast<int>(data::class_names(data::parse_label_mode(config.labels)).size()),
              0);
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
  Flags flags = checkpoint.config_flags;
  const std::set<std::string> may_change{"--epochs",  "--max-steps", "--early-stopping",
                                         "--threads", "--device",    "--cache-dir",
                                         "--data",    "--on-nan"};
  for (const auto& [flag, value] : user) {
    if (flag == "--resume" || (flag == "--out" && fs::path(value) == fs::path(dir))) continue;
    CG_CHECK(may_change.count(flag), flag << " cannot change when resuming (the run has "
                                          << flag << " '" << flags[flag]
                                          << "'); start a new run with another --out");
    flags[flag] = value;
  }
  TrainConfig config = parse_train_config(flags);
  config.out = dir;
  run_training(config, &checkpoint);
  return 0;
}

}  // namespace

int train_command(const Args& args) {
  // --overwrite is a switch without a value, and not part of the run's
  // settings (a resumed run does not inherit it).
  Args rest;
  bool overwrite = false;
  for (const std::string& word : args) {
    if (word == "--overwrite") overwrite = true;
    else rest.push_back(word);
  }
  const Flags flags = parse_flags(rest, train_flag_names());
  if (flags.count("--resume")) {
    if (overwrite) throw Error("--overwrite: cannot be given with --resume (which keeps the run)");
    return resume_training(flags);
  }
  return start_training(flags, overwrite);
}

}  // namespace cli
}  // namespace cudagrad
