// The cudagrad command line.
//   cudagrad train [--steps N] [--batch N] [--lr X] [--seed N]
//   cudagrad summary --model NAME [--classes 7] [--input 224] [--width 1.0] [--head pooled]
// Errors are cudagrad::Error exceptions, caught here and printed as one line.
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "engine/error.h"
#include "examples/train_toy.h"
#include "examples/commands.h"
#include "examples/flags.h"
#include "layers/summary.h"
#include "models/registry.h"

namespace {

using namespace cudagrad::cli;

void print_usage() {
  std::printf(
      "usage: cudagrad <command> [options]\n"
      "commands:\n"
      "  train    train a network; with no --data, the tiny CNN on a generated toy problem\n"
      "           options: --steps N (200) --batch N (32) --lr X (0.01) --seed N (1)\n"
      "  summary  print a model's layers, output shapes, parameters and FLOPs\n"
      "  bench-layers  forward and backward milliseconds per layer on the CPU\n"
      "           --model NAME [--batch 16] [--input 224] [--steps 3] [--reference 1]\n"
      "           [--clock wall|cpu]\n"
      "           options: --model lenet|resnet18|resnet34|resnet50|mobilenet (required)\n"
      "                    --classes N (7) --input SIDE (224)\n"
      "                    --width X (1.0, mobilenet) --head pooled|dense (pooled, mobilenet)\n"
      "  help     this text\n");
}

int train(const Flags& flags) {
  std::printf("no --data given: training the tiny CNN on a generated toy problem "
              "(4 classes, 3x16x16 images) on the CPU\n");
  cudagrad::ToyTrainResult r = cudagrad::train_toy(
      int_flag(flags, "--steps", 200, 1, 1000000), int_flag(flags, "--batch", 32, 1, 65536),
      float_flag(flags, "--lr", 0.01f, 0.f, 10.f), int_flag(flags, "--seed", 1, 0, 2147483647),
      10);
  std::printf("loss %.4f -> %.4f; accuracy on 256 new images: %.1f%%\n", r.losses.front(),
              r.losses.back(), 100.f * r.final_accuracy);
  return 0;
}

int summary(const Flags& flags) {
  CG_CHECK(flags.count("--model"), "summary needs --model NAME (see 'cudagrad help')");
  cudagrad::ModelOptions options;
  options.input = int_flag(flags, "--input", 224, 1, 4096);
  const std::string name = flags.at("--model");
  CG_CHECK(name == "mobilenet" || (!flags.count("--width") && !flags.count("--head")),
           "--width and --head apply to mobilenet only");
  options.width = float_flag(flags, "--width", 1.f, 0.f, 10.f);  // make_model checks the range
  const std::string head = string_flag(flags, "--head", "pooled");
  CG_CHECK(head == "pooled" || head == "dense", "--head must be pooled or dense, got '" << head << "'");
  options.head = head == "dense" ? cudagrad::MobileNetHead::dense : cudagrad::MobileNetHead::pooled;
  const int classes = int_flag(flags, "--classes", 7, 1, 100000);

  cudagrad::Generator gen(0);  // the weights do not matter here, only their shapes
  auto model = cudagrad::make_model(name, classes, gen, options);
  cudagrad::print_summary(*model, {3, options.input, options.input}, std::cout);
  return 0;
}

int run(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    print_usage();
    return args.empty() ? 2 : 0;
  }
  const std::string command = args[0];
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (command == "train") return train(parse_flags(rest, {"--steps", "--batch", "--lr", "--seed"}));
  if (command == "bench-layers")
    return bench_layers(
        parse_flags(rest, {"--model", "--batch", "--input", "--steps", "--reference", "--clock"}));
  if (command == "summary")
    return summary(parse_flags(rest, {"--model", "--classes", "--input", "--width", "--head"}));
  CG_FAIL("unknown command '" << command << "' (see 'cudagrad help')");
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const cudagrad::Error& e) {
    std::fprintf(stderr, "cudagrad: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cudagrad: internal error: %s\n", e.what());
    return 3;
  }
}
