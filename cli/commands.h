// The subcommands of the `cudagrad` program, one file each
// (cli/cmd_<name>.cpp). Each declares its options on a CLI11 app
// (cli/options.h) and returns what runs the command once they are parsed;
// the same declaration prints `cudagrad help <name>`. A command returns the
// exit status; failures are Errors, printed once by main.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "cli/options.h"

namespace cudagrad {
namespace cli {

// Runs a command with the options parsed into it.
using Runner = std::function<int()>;

struct Command {
  const char* name;
  const char* summary;  // one line for `cudagrad help`
  // Declares the command's options on `app`, bound to settings of its own,
  // and returns what runs the command with them.
  Runner (*define)(CLI::App& app);
};

// Every command, in the order `cudagrad help` lists them.
const std::vector<Command>& commands();

Runner sample_data_command(CLI::App& app);
Runner train_command(CLI::App& app);
Runner evaluate_command(CLI::App& app);
Runner predict_command(CLI::App& app);
Runner gradcam_command(CLI::App& app);
Runner report_command(CLI::App& app);
Runner summary_command(CLI::App& app);
Runner bench_layers_command(CLI::App& app);
Runner toy_command(CLI::App& app);

}  // namespace cli
}  // namespace cudagrad
