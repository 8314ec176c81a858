// The command line against damage from outside: a run killed with SIGKILL
// at a random moment, a checkpoint that belongs to another model or class
// count, and a dataset whose split leaves a class without training images.
// Each ends with a clear one-line error or a run that finishes correctly.
#include <doctest/doctest.h>

#include <chrono>
#include <random>
#include <string>
#include <thread>

#include "data/image.h"
#include "train/checkpoint.h"
#include "train/model_setup.h"
#include "tests/cli_test_util.h"

using namespace cudagrad_test;
using cudagrad::train::load_training_checkpoint;

namespace {

std::string train_args(const TempDir& dir, const std::string& run, int epochs, int batch = 4) {
  return "train --data " + shared_sample_data() + " " + tiny_model_flags(batch) +
         " --optimizer adam --epochs " + std::to_string(epochs) + " --out " + dir / run +
         " --cache-dir " + dir / "cache";
}

// An image-folder dataset: `counts[i]` small JPEGs in folder `names[i]`.
void write_folder_dataset(const fs::path& root, const std::vector<std::string>& names,
                          const std::vector<int>& counts) {
  for (size_t c = 0; c < names.size(); ++c)
    for (int i = 0; i < counts[c]; ++i) {
      cudagrad::data::Image im;
      im.width = im.height = 40;
      for (int p = 0; p < 40 * 40 * 3; ++p)
        im.pixels.push_back(static_cast<uint8_t>((p * (i + 3) + 50 * c) % 256));
      fs::create_directories(root / names[c]);
      cudagrad::data::write_image(
          (root / names[c] / (names[c] + std::to_string(i) + ".jpg")).string(), im);
    }
}

bool has_line(const std::string& out, const std::string& text) {
  return out.find(text) != std::string::npos;
}

// The command failed with status 1, and its error is one line, the last
// (setup lines printed before it are normal output).
void check_one_line_error(int status, const std::string& out, const std::string& message) {
  INFO(out);
  CHECK(status == 1);
  CHECK(has_line(out, message));
  const size_t error = out.find("cudagrad: error: ");
  REQUIRE(error != std::string::npos);
  CHECK(count_lines(out.substr(error)) == 1);
}

}  // namespace

TEST_CASE("cli: SIGKILL at a random moment after the first checkpoint, and --resume finishes the same") {
  TempDir dir("cli_kill_random");
  std::string out;
  const auto start = std::chrono::steady_clock::now();
  REQUIRE(run_cli(train_args(dir, "whole", 4), out) == 0);
  const double whole_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();

  // The moment is random but reported, so a failure can be replayed.
  const unsigned seed = std::random_device{}();
  MESSAGE("kill delays drawn with seed " << seed << "; an uninterrupted run takes " << whole_ms
                                         << " ms");
  std::mt19937 rng(seed);
  const int trials = 5;
  int killed_mid_run = 0;
  for (int trial = 0; trial < trials; ++trial) {
    const std::string run = "killed" + std::to_string(trial);
    const std::string ckpt = dir / (run + "/last.ckpt");
    const pid_t pid = spawn_cli(train_args(dir, run, 4), dir / (run + ".log"));
    // The first checkpoint appears (atomically) at the end of epoch 1; then
    // kill somewhere in the remaining three epochs, checkpoint writes included.
    bool checkpointed = false;
    for (int i = 0; i < 6000 && !(checkpointed = fs::exists(ckpt)); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    REQUIRE(checkpointed);
    const int delay_ms = std::uniform_int_distribution<int>(0, int(whole_ms * 0.6))(rng);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    kill(pid, SIGKILL);
    const int status = wait_status(pid);
    CAPTURE(trial);
    CAPTURE(delay_ms);
    INFO(read_text(dir / (run + ".log")));

    // Whatever the moment, last.ckpt is a whole checkpoint of some epoch end.
    CHECK_NOTHROW(load_training_checkpoint(ckpt));
    std::string resumed;
    const int resume_status = run_cli("train --resume " + dir / run, resumed);
    INFO(resumed);
    if (status == 128 + SIGKILL && !has_line(resumed, "nothing to continue")) {
      ++killed_mid_run;
      CHECK(resume_status == 0);
      CHECK(has_line(resumed, "resuming"));
    }
    // Killed or not, the run now holds exactly what the uninterrupted one does.
    CHECK(same_model_weights(dir / "whole/last.ckpt", ckpt));
    CHECK(count_lines(read_text(dir / (run + "/metrics.csv"))) == 5);
    for (const auto& e : fs::directory_iterator(dir / run))
      CHECK(e.path().filename().string().find(".tmp") == std::string::npos);
  }
  // The delays are drawn inside the run's length, so most trials land in it.
  MESSAGE(killed_mid_run << " of " << trials << " kills landed before the run finished");
  CHECK(killed_mid_run >= 1);
}

TEST_CASE("cli: a checkpoint of another model or class count is refused, naming the file") {
  TempDir dir("cli_other_model");
  std::string out;
  REQUIRE(run_cli(train_args(dir, "mobilenet", 1), out) == 0);
  const std::string best = dir / "mobilenet/best.safetensors";
  const std::string ckpt = dir / "mobilenet/last.ckpt";
  write_folder_dataset(dir.path() / "two_classes", {"benign", "malignant"}, {6, 6});
  const std::string other_data = dir / "two_classes";

  const std::pair<std::string, std::string> bad[] = {
      // Weights of a MobileNet offered to a ResNet.
      {"train --model resnet18 --input 32 --threads 1 --epochs 1 --pretrained " + best +
           " --data " + shared_sample_data() + " --out " + dir / "resnet" + " --cache-dir " +
           dir / "cache",
       "--pretrained " + best +
           ": tensor 'conv1.weight' has shape (8, 3, 3, 3) but ResNet-18 needs (64, 3, 7, 7)"},
      // A 7-class model evaluated on (or resumed with) data of 2 classes.
      {"evaluate --checkpoint " + best + " --data " + other_data + " --cache-dir " + dir / "cache",
       "has classes benign, malignant but the model has akiec, bcc, bkl, df, mel, nv, vasc"},
      {"train --resume " + dir / "mobilenet" + " --epochs 2 --data " + other_data,
       "has classes benign, malignant but the checkpoint has akiec, bcc, bkl, df, mel, nv, vasc"},
      {"train --resume " + dir / "mobilenet" + " --epochs 2 --labels mel-vs-rest",
       "--labels cannot change when resuming"},
  };
  for (const auto& entry : bad) {
    // Not a structured binding: CAPTURE keeps a reference in a lambda, and
    // clang before 16 cannot capture a binding.
    const std::string& args = entry.first;
    const std::string& message = entry.second;
    CAPTURE(args);
    const int status = run_cli(args, out);
    check_one_line_error(status, out, message);
  }

  // The same checks in process: the checkpoint's tensors into a model of
  // another class count, and into another architecture (both have a
  // 'conv1.weight', so the shapes tell them apart).
  const auto checkpoint = load_training_checkpoint(ckpt);
  const auto config = checkpoint.config;
  auto two_class = cudagrad::train::build_model(config, 2, 0);
  const std::string shape_error =
      error_of([&] { cudagrad::train::load_state(*two_class, checkpoint.model, ckpt); });
  INFO(shape_error);
  CHECK(shape_error.rfind(ckpt + ": tensor 'fc.weight' has shape (7, 256) but the MobileNet v1, "
                                 "width 0.25 needs (2, 256)", 0) == 0);
  auto resnet_config = config;
  resnet_config.model = cudagrad::train::ModelKind::resnet18;
  auto resnet = cudagrad::train::build_model(resnet_config, 7, 0);
  const std::string model_error =
      error_of([&] { cudagrad::train::load_state(*resnet, checkpoint.model, ckpt); });
  INFO(model_error);
  CHECK(model_error.rfind(ckpt + ": tensor 'conv1.weight' has shape (8, 3, 3, 3) but the "
                                 "ResNet-18 needs (64, 3, 7, 7)", 0) == 0);
}

TEST_CASE("cli: a split that leaves a class without training images is a one-line error") {
  // One image of class rare: with two folds it lands in fold 0, which
  // --fold 0 makes the validation part, so training would never see it.
  // (Folders not named after HAM10000 codes: the classes are these three.)
  TempDir dir("cli_rare_class");
  write_folder_dataset(dir.path() / "data", {"rare", "common", "other"}, {1, 8, 8});
  std::string out;
  const int status = run_cli("train " + tiny_model_flags() + " --epochs 1 --folds 2 --fold 0 " +
                                 "--data " + dir / "data" + " --out " + dir / "run" +
                                 " --cache-dir " + dir / "cache",
                             out);
  check_one_line_error(status, out,
                       "cudagrad: error: --folds 2 --fold 0: the train part has no images of "
                       "class rare (1 image, all in other parts)");
  // Found before the run folder or the cache was made.
  CHECK_FALSE(fs::exists(dir / "run"));
  CHECK_FALSE(fs::exists(dir / "cache"));
}
