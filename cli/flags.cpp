#include "cli/flags.h"

#include <cstdlib>
#include <sstream>

#include "engine/error.h"

namespace cudagrad {
namespace cli {

namespace {

Flags parse(const std::vector<std::string>& args, const std::vector<std::string>& accepted,
            std::vector<std::string>* positional) {
  Flags flags;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& word = args[i];
    if (positional && word.compare(0, 2, "--") != 0) {
      positional->push_back(word);
      continue;
    }
    bool known = false;
    for (const std::string& a : accepted) known = known || a == word;
    CG_CHECK(known, "unknown option " << word << " (see 'cudagrad help')");
    CG_CHECK(i + 1 < args.size(), word << " needs a value");
    CG_CHECK(flags.count(word) == 0, word << " is given twice");
    flags[word] = args[++i];
  }
  return flags;
}

}  // namespace

Flags parse_flags(const std::vector<std::string>& args, const std::vector<std::string>& accepted) {
  return parse(args, accepted, nullptr);
}

Flags parse_flags(const std::vector<std::string>& args, const std::vector<std::string>& accepted,
                  std::vector<std::string>& positional) {
  return parse(args, accepted, &positional);
}

long int_flag(const Flags& flags, const std::string& flag, long fallback, long low, long high) {
  auto it = flags.find(flag);
  if (it == flags.end()) return fallback;
  const std::string& value = it->second;
  char* end = nullptr;
  long v = std::strtol(value.c_str(), &end, 10);
  CG_CHECK(end && *end == '\0' && !value.empty(), flag << " expects an integer, got '" << value << "'");
  CG_CHECK(v >= low && v <= high, flag << " must be in [" << low << ", " << high << "], got " << v);
  return v;
}

namespace {

// The number in the flag, or an error naming the flag and the allowed range.
float parse_number(const std::string& flag, const std::string& value, const std::string& range) {
  char* end = nullptr;
  float v = std::strtof(value.c_str(), &end);
  CG_CHECK(end && *end == '\0' && !value.empty(),
           flag << " expects a number in " << range << ", got '" << value << "'");
  return v;
}

std::string range_text(float low, float high, bool closed) {
  std::ostringstream os;
  os << (closed ? "[" : "(") << low << ", " << high << (closed ? "]" : ")");
  return os.str();
}

}  // namespace

float float_flag(const Flags& flags, const std::string& flag, float fallback, float low,
                 float high) {
  auto it = flags.find(flag);
  if (it == flags.end()) return fallback;
  const std::string range = range_text(low, high, false);
  const float v = parse_number(flag, it->second, range);
  CG_CHECK(v > low && v < high, flag << " expects a number in " << range << ", got '" << it->second << "'");
  return v;
}

float float_flag_closed(const Flags& flags, const std::string& flag, float fallback, float low,
                        float high) {
  auto it = flags.find(flag);
  if (it == flags.end()) return fallback;
  const std::string range = range_text(low, high, true);
  const float v = parse_number(flag, it->second, range);
  CG_CHECK(v >= low && v <= high, flag << " expects a number in " << range << ", got '" << it->second << "'");
  return v;
}

std::string string_flag(const Flags& flags, const std::string& flag, const std::string& fallback) {
  auto it = flags.find(flag);
  return it == flags.end() ? fallback : it->second;
}

std::string choice_flag(const Flags& flags, const std::string& flag, const std::string& fallback,
                        const std::vector<std::string>& choices) {
  const std::string value = string_flag(flags, flag, fallback);
  for (const std::string& c : choices)
    if (c == value) return value;
  std::string names;
  for (const std::string& c : choices) names += (names.empty() ? "" : ", ") + c;
  CG_FAIL(flag << " must be one of " << names << ", got '" << value << "'");
}

bool bool_flag(const Flags& flags, const std::string& flag, bool fallback) {
  return int_flag(flags, flag, fallback ? 1 : 0, 0, 1) == 1;
}

}  // namespace cli
}  // namespace cudagrad
