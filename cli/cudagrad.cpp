// The cudagrad command line: `cudagrad <command> [options]`. This file only
// lists the commands and dispatches; each lives in cli/cmd_<name>.cpp and
// declares its options with CLI11 (cli/options.h), which parses them and
// prints `cudagrad help <command>`.
// Errors are cudagrad::Error exceptions, caught here once and printed as
// one line: "cudagrad: error: ...".
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/signals.h"
#include "cli/commands.h"
#include "engine/device.h"
#include "kernels/cpu/cpu.h"
#include "train/interrupt.h"

namespace cudagrad {
namespace cli {

const std::vector<Command>& commands() {
  static const std::vector<Command> all{
      {"sample-data", "write a synthetic dataset in the HAM10000 layout", sample_data_command},
      {"train", "train a model; with no --data, on generated sample data", train_command},
      {"evaluate", "accuracy, balanced accuracy, per-class metrics, ROC-AUC, confusion matrix",
       evaluate_command},
      {"predict", "class probabilities for image files, one row each (ISIC layout)", predict_command},
      {"gradcam", "a Grad-CAM heat map over an image", gradcam_command},
      {"report", "an HTML report of a run: curves, evaluation, confusion matrix, Grad-CAM",
       report_command},
      {"summary", "a model's layers, output shapes, parameters and FLOPs", summary_command},
      {"bench-layers", "forward and backward milliseconds per layer on the CPU",
       bench_layers_command},
      {"toy", "the tiny CNN on a generated toy problem: the training loop in one screen",
       toy_command},
  };
  return all;
}

namespace {


void print_usage() {
  std::printf("usage: cudagrad <command> [options]\n\ncommands:\n");
  for (const Command& c : commands()) std::printf("  %-13s %s\n", c.name, c.summary);
  std::printf("\n'cudagrad help <command>' lists a command's options; 'cudagrad --version' the\n"
              "version and the CPU vector target in use; 'cudagrad --debug <command> ...' adds\n"
              "to an error where in cudagrad's source it was raised.\n");
}

int help(const Args& args) {
  if (args.empty()) {
    print_usage();
    return 0;
  }
  for (const Command& c : commands())
    if (args[0] == c.name) {
      // The same declaration of the options that parses them (cli/options.h).
      CLI::App app;
      set_up_app(app, c.name, c.summary);
      c.define(app);
      std::printf("%s", help_text(app).c_str());
      return 0;
    }
  CG_FAIL("unknown command '" << args[0] << "' (see 'cudagrad help')");
}

// The version, the CPU vector target in use (and the others the binary
// carries), and whether a GPU backend is built and usable.
int version() {
  std::printf("cudagrad %s\n%s", CUDAGRAD_VERSION, describe_cpu().c_str());
  std::string others;
  for (const cpu::VectorTarget& t : cpu::vector_targets())
    if (&t != &cpu::active_vector_target())
      others += (others.empty() ? "" : ", ") + std::string(t.name) + (t.supported ? "" : " (not on this CPU)");
  if (!others.empty()) std::printf("; also built for %s", others.c_str());
  const CudaStatus& cuda = cuda_status();
  if (cuda.devices > 0)
    std::printf("\ncuda: %s\n", cuda.name.c_str());
  else
    std::printf("\ncuda: none (%s)\n", cuda.reason.c_str());
  return 0;
}

// `cudagrad --debug <command> ...`: an error also says where in cudagrad's
// source it was raised, for a bug report; the user's one line stays the same.
bool g_debug = false;

int run(int argc, char** argv) {
  Args words(argv + 1, argv + argc);
  if (!words.empty() && words[0] == "--debug") {
    g_debug = true;
    words.erase(words.begin());
  }
  if (words.empty()) {
    print_usage();
    return 2;
  }
  const std::string& name = words[0];
  const Args rest(words.begin() + 1, words.end());
  if (name == "help" || name == "--help" || name == "-h") return help(rest);
  if (name == "--version" || name == "version") return version();
  for (const Command& c : commands())
    if (name == c.name) {
      CLI::App app;
      set_up_app(app, c.name, c.summary);
      const Runner run_command = c.define(app);
      parse(app, rest);
      return run_command();
    }
  CG_FAIL("unknown command '" << name << "' (see 'cudagrad help')");
}

}  // namespace
}  // namespace cli
}  // namespace cudagrad

int main(int argc, char** argv) {
  // OpenMP threads that wait for work sleep instead of spinning (unless the
  // user chose otherwise): on a machine shared with other programs, spinning
  // threads steal the cores the working ones need, and a step can take ten
  // times longer. On an idle machine the difference is below a percent.
  // Set before the OpenMP runtime starts, which is at the first parallel loop.
  setenv("OMP_WAIT_POLICY", "PASSIVE", /*overwrite=*/0);
  // One line at a time even into a pipe or file, so stdout's lines and
  // stderr's progress lines stay in order in a log.
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  // SIGINT/SIGTERM remove the temporary files being written before the
  // program ends; training and caching record them instead and stop cleanly.
  cudagrad::files::install_signal_handlers();
  try {
    return cudagrad::cli::run(argc, argv);
  } catch (const cudagrad::files::Interrupted& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "cudagrad: %s\n", e.what());
    return cudagrad::files::exit_status_for_signal(e.signal());
  } catch (const std::filesystem::filesystem_error& e) {  // a folder that cannot be made, ...
    std::fflush(stdout);
    std::fprintf(stderr, "cudagrad: error: %s\n", e.what());
    return 1;
  } catch (const cudagrad::Error& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "cudagrad: error: %s\n", e.what());
    if (cudagrad::cli::g_debug && !e.where().empty())
      std::fprintf(stderr, "cudagrad: (raised at %s)\n", e.where().c_str());
    return 1;
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "cudagrad: internal error: %s\n", e.what());
    return 3;
  }
}
