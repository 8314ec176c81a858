// A command's options, declared once with CLI11: the same declaration parses
// the words after the command's name and prints `cudagrad help <command>`,
// so the help cannot list an option the command rejects, nor miss one it
// takes. Ranges and choices are CLI11 validators with cudagrad's messages.
//
// cudagrad's conventions on top of CLI11's:
//   every option is "--name value" (or "--name=value"); a value may start
//     with '-' ("--lr -1" is the value -1, for the range check to refuse);
//   there is no -h/--help: `cudagrad help <command>` prints the help;
//   every error is one line naming the option: "unknown option --x",
//     "--epochs needs a value", "--tta must be in [1, 6], got 9",
//     "evaluate needs --checkpoint FILE|DIR".
#pragma once
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "train/train_config.h"

namespace cudagrad {
namespace cli {

using Args = std::vector<std::string>;

// An app for `cudagrad <name>`, with the conventions above.
void set_up_app(CLI::App& app, const std::string& name, const std::string& summary);

// Parses `args` into the options of `app`; a cudagrad::Error of one line
// otherwise. Options marked required() are checked after the unknown ones,
// so that a misspelt option is named before a missing one.
void parse(CLI::App& app, const Args& args);

// `cudagrad help <name>`.
std::string help_text(const CLI::App& app);

// ---- validators, each with a message that names the option ------------------------------

// An integer in [low, high].
CLI::Validator integer_in(long long low, long long high);
// A number in [low, high]; with open_low, in (low, high].
CLI::Validator number_in(double low, double high, bool open_low = false);
// 0 or 1.
CLI::Validator zero_or_one();
// One of `names`.
CLI::Validator one_of(const std::vector<std::string>& names);

// --threads N: at most the machine's cores (more only slow the kernels
// down); a larger N is lowered to that with a warning on stderr.
CLI::Option* add_threads_option(CLI::App& app, int& threads);
// --device auto|cpu|cuda.
CLI::Option* add_device_option(CLI::App& app, std::string& device);

// Lowers `threads` to the machine's core count with a warning, when above.
int capped_threads(int threads);

// A choice's names (train/train_config.h) for one_of, and as "a|b|c" for help.
template <class E>
std::vector<std::string> choice_list() {
  std::vector<std::string> names;
  for (const auto& [value, name] : train::choice_names<E>()) names.push_back(name);
  return names;
}
template <class E>
std::string choices_text() {
  std::string out;
  for (const std::string& name : choice_list<E>()) out += (out.empty() ? "" : "|") + name;
  return out;
}

}  // namespace cli
}  // namespace cudagrad
