// Command-line flags: "--name value" pairs, parsed per command into a map,
// plus the positional words (file names) some commands take.
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
// The same, but words that do not start with "--" are collected in
// `positional` instead of being an error (predict's images, report's folder).
Flags parse_flags(const std::vector<std::string>& args, const std::vector<std::string>& accepted,
                  std::vector<std::string>& positional);

// An integer in [low, high]; fallback when the flag is absent.
long int_flag(const Flags& flags, const std::string& flag, long fallback, long low, long high);
// A number in the open interval (low, high).
float float_flag(const Flags& flags, const std::string& flag, float fallback, float low, float high);
// A number in the closed interval [low, high].
float float_flag_closed(const Flags& flags, const std::string& flag, float fallback, float low,
                        float high);
std::string string_flag(const Flags& flags, const std::string& flag, const std::string& fallback);
// One of `choices`; an error listing them otherwise.
std::string choice_flag(const Flags& flags, const std::string& flag, const std::string& fallback,
                        const std::vector<std::string>& choices);
// "0" or "1".
bool bool_flag(const Flags& flags, const std::string& flag, bool fallback);

}  // namespace cli
}  // namespace cudagrad
