// Command-line flags: "--name value" pairs, parsed per command into a map.
#pragma once
#include <map>
#include <string>
#include <vector>

namespace cudagrad {
namespace cli {

// Each command lists the flags it accepts; an unknown or repeated flag, or
// one without a value, is an error.
using Flags = std::map<std::string, std::string>;

Flags parse_flags(const std::vector<std::string>& args, const std::vector<std::string>& accepted);
// An integer in [low, high]; fallback when the flag is absent.
long int_flag(const Flags& flags, const std::string& flag, long fallback, long low, long high);
// A number in the open interval (low, high).
float float_flag(const Flags& flags, const std::string& flag, float fallback, float low, float high);
std::string string_flag(const Flags& flags, const std::string& flag, const std::string& fallback);

}  // namespace cli
}  // namespace cudagrad
