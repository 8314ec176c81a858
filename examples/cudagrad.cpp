// The cudagrad command line.
//   cudagrad train [--steps N] [--batch N] [--lr X] [--seed N]
// Errors are cudagrad::Error exceptions, caught here and printed as one line.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "engine/error.h"
#include "examples/train_toy.h"

namespace {

void print_usage() {
  std::printf(
      "usage: cudagrad <command> [options]\n"
      "commands:\n"
      "  train    train a network; with no --data, the tiny CNN on a generated toy problem\n"
      "           options: --steps N (200) --batch N (32) --lr X (0.01) --seed N (1)\n"
      "  help     this text\n");
}

// Parses "--name value" pairs; an unknown flag or a missing value is an error.
struct Flags {
  int steps = 200, batch = 32;
  float lr = 0.01f;
  uint64_t seed = 1;
};

long parse_int(const std::string& flag, const std::string& value, long low, long high) {
  char* end = nullptr;
  long v = std::strtol(value.c_str(), &end, 10);
  CG_CHECK(end && *end == '\0' && !value.empty(), flag << " expects an integer, got '" << value << "'");
  CG_CHECK(v >= low && v <= high, flag << " must be in [" << low << ", " << high << "], got " << v);
  return v;
}

Flags parse_flags(const std::vector<std::string>& args) {
  Flags f;
  for (size_t i = 0; i < args.size(); i += 2) {
    const std::string& flag = args[i];
    CG_CHECK(i + 1 < args.size(), flag << " needs a value");
    const std::string& value = args[i + 1];
    if (flag == "--steps") {
      f.steps = parse_int(flag, value, 1, 1000000);
    } else if (flag == "--batch") {
      f.batch = parse_int(flag, value, 1, 65536);
    } else if (flag == "--seed") {
      f.seed = parse_int(flag, value, 0, 2147483647);
    } else if (flag == "--lr") {
      char* end = nullptr;
      f.lr = std::strtof(value.c_str(), &end);
      CG_CHECK(end && *end == '\0' && f.lr > 0.f && f.lr < 10.f,
               "--lr expects a number in (0, 10), got '" << value << "'");
    } else {
      CG_FAIL("unknown option " << flag << " (see 'cudagrad help')");
    }
  }
  return f;
}

int run(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    print_usage();
    return args.empty() ? 2 : 0;
  }
  const std::string command = args[0];
  Flags flags = parse_flags({args.begin() + 1, args.end()});
  if (command == "train") {
    std::printf("no --data given: training the tiny CNN on a generated toy problem "
                "(4 classes, 3x16x16 images) on the CPU\n");
    cudagrad::ToyTrainResult r =
        cudagrad::train_toy(flags.steps, flags.batch, flags.lr, flags.seed, 10);
    std::printf("loss %.4f -> %.4f; accuracy on 256 new images: %.1f%%\n", r.losses.front(),
                r.losses.back(), 100.f * r.final_accuracy);
    return 0;
  }
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
