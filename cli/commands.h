// The subcommands of the `cudagrad` program, one file each
// (cli/cmd_<name>.cpp). Each parses its own arguments (the words after
// the command's name) and returns the exit status; failures are Errors,
// printed once by main.
#pragma once
#include <string>
#include <vector>

namespace cudagrad {
namespace cli {

using Args = std::vector<std::string>;

struct Command {
  const char* name;
  const char* summary;  // one line for `cudagrad help`
  std::string usage;    // the flags, for `cudagrad help <command>`
  int (*run)(const Args& args);
};

// Every command, in the order `cudagrad help` lists them.
const std::vector<Command>& commands();

int sample_data_command(const Args& args);
int train_command(const Args& args);
int evaluate_command(const Args& args);
int predict_command(const Args& args);
int gradcam_command(const Args& args);
int report_command(const Args& args);
int summary_command(const Args& args);
int bench_layers_command(const Args& args);
int toy_command(const Args& args);

}  // namespace cli
}  // namespace cudagrad
