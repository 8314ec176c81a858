// Bad arguments to the command line: each must end with a non-zero exit
// status and one line that names the flag or file and what was expected,
// before any data is generated or read.
#include <doctest/doctest.h>

#include <string>
#include <utility>

#include "kernels/cpu/cpu.h"
#include "tests/cli_test_util.h"

using namespace cudagrad_test;

TEST_CASE("cli: bad arguments are a one-line error and a non-zero status") {
  TempDir dir("cli_errors");
  const std::string data = " --data " + shared_sample_data() + " --cache-dir " + dir / "c";
  const std::string out_dir = " --out " + dir / "run";
  const std::pair<std::string, std::string> bad[] = {
      {"train --model vgg16" + data + out_dir, "unknown model 'vgg16'; valid names: lenet"},
      {"train --model resnet18 --data " + dir / "nowhere" + out_dir, "nowhere"},
      {"train --model resnet18 --batch 0" + data + out_dir, "--batch must be in [1, 65536], got 0"},
      {"train --model resnet18 --lr -1" + data + out_dir, "--lr expects a number in (0, inf), got '-1'"},
      {"train --model resnet18 --learning-rate 1" + data + out_dir, "unknown option --learning-rate"},
      {"train --model lenet --input 64" + data + out_dir, "LeNet needs 224x224"},
      {"train --model resnet18 --epochs" , "--epochs needs a value"},
      {"train --recipe vgg-tutorial" + data + out_dir, "unknown recipe 'vgg-tutorial'"},
      {"train --model resnet18 --optimizer rmsprop" + data + out_dir, "--optimizer must be one of sgd, adam, adamw"},
      {"train --model resnet18 --augment sideways" + data + out_dir, "sideways"},
      {"train --model resnet18 --split-fractions 0.5,0.6,0" + data + out_dir, "--split-fractions"},
      {"train --model resnet18 --folds 5 --fold 5" + data + out_dir, "--fold must be in [0, 4]"},
      {"train --model resnet18 --width 0.5" + data + out_dir, "apply to mobilenet only"},
      {"train " + tiny_model_flags() + " --device cuda" + data + out_dir, "--device cuda: no usable GPU"},
      {"train " + tiny_model_flags() + " --pretrained " + dir / "none.safetensors" + data + out_dir,
       "none.safetensors"},
      {"frobnicate", "unknown command 'frobnicate'"},
      {"predict " + shared_sample_data(), "predict needs --checkpoint"},
      {"predict --checkpoint " + dir / "none.safetensors" + " x.jpg", "none.safetensors: no such file"},
      {"sample-data --images 10", "sample-data needs --out DIR"},
  };
  for (const auto& entry : bad) {
    // Not a structured binding: CAPTURE keeps a reference in a lambda, and
    // clang before 16 cannot capture a binding.
    const std::string& args = entry.first;
    const std::string& message = entry.second;
    CAPTURE(args);
    std::string out;
    CHECK(run_cli(args, out) == 1);
    CHECK(out.find(message) != std::string::npos);
    CHECK(out.rfind("cudagrad: error: ", 0) == 0);
    CHECK(count_lines(out) == 1);
  }
}

// The one line names no source file; --debug adds a second line saying where
// in cudagrad's source the error was raised (for a bug report).
TEST_CASE("cli: --debug adds where an error was raised, the one line stays the same") {
  TempDir dir("cli_debug");
  const std::string args = "train --model resnet18 --batch 0 --data " + shared_sample_data() +
                           " --cache-dir " + dir / "c" + " --out " + dir / "run";
  std::string plain, debug;
  CHECK(run_cli(args, plain) == 1);
  CHECK(run_cli("--debug " + args, debug) == 1);
  CHECK(count_lines(plain) == 1);
  CHECK(plain.find(".cpp") == std::string::npos);
  INFO(debug);
  CHECK(count_lines(debug) == 2);
  CHECK(debug.rfind(plain, 0) == 0);  // the same first line
  CHECK(debug.find("cudagrad: (raised at ") != std::string::npos);
  CHECK(debug.find("train/train_config.cpp:") != std::string::npos);  // the path as compiled
}

TEST_CASE("cli: help, toy and bench-layers run") {
  std::string out;
  CHECK(run_cli("help", out) == 0);
  for (const char* command : {"sample-data", "train", "evaluate", "predict", "gradcam", "report",
                              "summary", "bench-layers", "toy"})
    CHECK(out.find(std::string("  ") + command + " ") != std::string::npos);
  CHECK(run_cli("help train", out) == 0);
  CHECK(out.find("--early-stopping PATIENCE") != std::string::npos);
  CHECK(run_cli("", out) == 2);  // no command: the usage, and a failure status
  CHECK(run_cli("toy --steps 3 --batch 8", out) == 0);
  CHECK(out.find("accuracy on 256 new images") != std::string::npos);
  CHECK(run_cli("bench-layers --model resnet18 --batch 2 --input 32 --steps 1", out) == 0);
  CHECK(out.find("layer4.1.conv2") != std::string::npos);
  // It names the vector target, and gives conv layers a rate against the peak.
  CHECK(out.rfind("cpu: " + std::string(cudagrad::cpu::active_vector_target().instructions), 0) == 0);
  CHECK(out.find("GF/s") != std::string::npos);
}

TEST_CASE("cli: --version names the CPU vector target, which CUDAGRAD_CPU_TARGET can force") {
  std::string out;
  REQUIRE(run_cli("--version", out) == 0);
  CHECK(out.rfind("cudagrad ", 0) == 0);
  CHECK(out.find("\ncpu: " + cudagrad::cpu::describe(cudagrad::cpu::active_vector_target())) !=
        std::string::npos);
  // Every target this CPU runs can be chosen by name; the baseline is last.
  for (const cudagrad::cpu::VectorTarget& t : cudagrad::cpu::vector_targets()) {
    if (!t.supported) continue;
    CAPTURE(t.name);
    REQUIRE(run_cli("--version", out, std::string("CUDAGRAD_CPU_TARGET=") + t.name) == 0);
    CHECK(out.find("\ncpu: " + cudagrad::cpu::describe(t)) != std::string::npos);
  }
  CHECK(run_cli("--version", out, "CUDAGRAD_CPU_TARGET=avx1024") == 1);
  CHECK(out.rfind("cudagrad: error: CUDAGRAD_CPU_TARGET=avx1024: not a target of this build", 0) == 0);
}

TEST_CASE("cli: the parser checks ranges and choices of every command, and caps --threads") {
  TempDir dir("cli_ranges");
  const std::pair<std::string, std::string> bad[] = {
      {"train --model resnet18 --weight-decay 1e30", "--weight-decay expects a number in [0, 1]"},
      {"train --model resnet18 --epochs 2 --epochs 3", "--epochs is given twice"},
      {"evaluate --checkpoint x --tta 9", "--tta must be in [1, 6], got 9"},
      {"evaluate --checkpoint x --layout csv", "--layout must be one of auto, ham10000"},
      {"predict --checkpoint x --submission 2 y.jpg", "--submission expects 0 or 1, got '2'"},
      {"report " + dir / "run" + " --split test", "unknown option --split"},
      {"predict --checkpoint x --isic 1 y.jpg", "unknown option --isic"},
      {"bench-layers --model resnet18 --clock sundial", "--clock must be one of wall, cpu"},
      {"toy --steps 3 extra", "unexpected argument 'extra'"},
  };
  for (const auto& entry : bad) {
    const std::string& args = entry.first;
    const std::string& message = entry.second;
    CAPTURE(args);
    std::string out;
    CHECK(run_cli(args, out) == 1);
    CHECK(out.find(message) != std::string::npos);
    CHECK(out.rfind("cudagrad: error: ", 0) == 0);
    CHECK(count_lines(out) == 1);
  }
  // More threads than cores only slow the kernels down: capped, with a warning.
  std::string out;
  REQUIRE(run_cli("sample-data --out " + dir / "d" + " --images 7 --threads 100000", out) == 0);
  CHECK(out.find("warning: --threads 100000: this machine has ") != std::string::npos);
}
