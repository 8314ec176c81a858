// `cudagrad sample-data` and `cudagrad train` on small sample data: the
// files a run writes, training without --data, --max-steps, and a non-finite
// loss (stop naming the layer, or skip with a warning).
#include <doctest/doctest.h>

#include <string>

#include "engine/safetensors.h"
#include "tests/cli_test_util.h"

using namespace cudagrad_test;

TEST_CASE("cli: sample-data writes a HAM10000-layout dataset") {
  TempDir dir("cli_sample");
  std::string out;
  REQUIRE(run_cli("sample-data --out " + dir / "d" + " --images 14 --seed 3", out) == 0);
  CHECK(out.find("wrote 14 images") != std::string::npos);
  const std::string csv = read_text(dir / "d/HAM10000_metadata.csv");
  CHECK(count_lines(csv) == 15);  // header + 14 rows
  CHECK(run_cli("sample-data --out " + dir / "e" + " --images 3", out) == 1);  // fewer than 7 classes
  CHECK(count_lines(out) == 1);
}

TEST_CASE("cli: train writes config.json, splits.csv, metrics.csv and both checkpoints") {
  TempDir dir("cli_train");
  std::string out;
  const std::string run = dir / "run";
  REQUIRE(run_cli("train --data " + shared_sample_data() + " " + tiny_model_flags() +
                      " --epochs 2 --augment flip-rotate --schedule cosine --out " + run +
                      " --cache-dir " + dir / "cache",
                  out) == 0);
  INFO(out);
  CHECK(out.find("device: no usable GPU (") != std::string::npos);
  CHECK(out.find("epoch   2/2 | train loss") != std::string::npos);
  CHECK(out.find("bal") != std::string::npos);  // balanced accuracy in the summary line

  const std::string metrics = read_text(run + "/metrics.csv");
  CHECK(metrics.rfind("epoch,steps,train_loss,train_acc,val_loss,val_acc,val_balanced_acc,lr,", 0) == 0);
  CHECK(count_lines(metrics) == 3);
  CHECK(read_text(run + "/config.json").find("\"schedule\": \"cosine\"") != std::string::npos);
  CHECK(count_lines(read_text(run + "/splits.csv")) == 61);
  for (const char* f : {"best.safetensors", "last.ckpt"}) {
    cudagrad::SafetensorsMetadata meta;
    cudagrad::load_safetensors(run + "/" + f, &meta);
    CHECK(meta.count("checksum") == 1);
    CHECK(meta.at("format_version") == "2");
  }
  // The model file uses the model's state_dict names, as torchvision does.
  const cudagrad::NamedTensors best = cudagrad::load_safetensors(run + "/best.safetensors");
  CHECK(best.front().first == "conv1.weight");
  CHECK(best.back().first == "fc.bias");
  // No temporary files are left behind, and the lock is gone.
  for (const auto& entry : fs::directory_iterator(run))
    CHECK(entry.path().filename().string().find(".tmp.") == std::string::npos);
  CHECK_FALSE(fs::exists(run + "/cudagrad.lock"));
  // The run folder is not overwritten by a second run.
  CHECK(run_cli("train --data " + shared_sample_data() + " " + tiny_model_flags() + " --out " + run,
                out) == 1);
  CHECK(out.find("holds another run (best.safetensors, last.ckpt, metrics.csv); continue it with "
                 "--resume") != std::string::npos);
}

TEST_CASE("cli: train without --data generates sample data and says so") {
  TempDir dir("cli_nodata");
  std::string out;
  const std::string run = dir / "run";
  REQUIRE(run_cli("train " + tiny_model_flags() + " --sample-images 21 --epochs 1 --out " + run, out) ==
          0);
  INFO(out);
  CHECK(out.find("no --data given: generating 21 sample images") != std::string::npos);
  CHECK(fs::exists(run + "/sample-data/HAM10000_metadata.csv"));
  CHECK(fs::exists(run + "/best.safetensors"));
}

TEST_CASE("cli: --max-steps ends training in the middle of an epoch, which is still logged") {
  TempDir dir("cli_maxsteps");
  std::string out;
  const std::string run = dir / "run";
  REQUIRE(run_cli("train --data " + shared_sample_data() + " " + tiny_model_flags(4) +
                      " --epochs 5 --max-steps 3 --out " + run + " --cache-dir " + dir / "c",
                  out) == 0);
  CHECK(out.find("stopped after 3 steps (--max-steps)") != std::string::npos);
  const std::string metrics = read_text(run + "/metrics.csv");
  CHECK(count_lines(metrics) == 2);
  CHECK(metrics.find("\n1,3,") != std::string::npos);  // epoch 1, 3 steps
}

TEST_CASE("cli: a non-finite loss stops training naming the layer, or is skipped on request") {
  TempDir dir("cli_nan");
  std::string out;
  // SGD with an absurd learning rate: LeNet (no BatchNorm to tame it) has
  // infinite activations by the second step.
  const std::string base = "train --data " + shared_sample_data() +
                           " --model lenet --input 224 --batch 4 --threads 1 --optimizer sgd "
                           "--lr 1e30 --epochs 1 --cache-dir " + dir / "c";
  CHECK(run_cli(base + " --out " + dir / "stop", out) == 1);
  INFO(out);
  CHECK(out.find("cudagrad: error: epoch 1, batch 2: loss is") != std::string::npos);
  CHECK(out.find("in layer 'conv") != std::string::npos);  // the first layer with an infinity
  CHECK(out.find("--on-nan skip") != std::string::npos);

  CHECK(run_cli(base + " --max-steps 4 --on-nan skip --out " + dir / "skip", out) == 0);
  CHECK(out.find("warning: skipped epoch 1, batch 2") != std::string::npos);
  CHECK(out.find("warning: skipped 3 steps with a non-finite loss") != std::string::npos);
}
