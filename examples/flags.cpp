#include "examples/flags.h"

#include <cstdlib>

#include "engine/error.h"

namespace cudagrad {
namespace cli {

Flags parse_flags(const std::vector<std::string>& args, const std::vector<std::string>& accepted) {
  Flags flags;
  for (size_t i = 0; i < args.size(); i += 2) {
    const std::string& flag = args[i];
    bool known = false;
    for (const std::string& a : accepted) known = known || a == flag;
    CG_CHECK(known, "unknown option " << flag << " (see 'cudagrad help')");
    CG_CHECK(i + 1 < args.size(), flag << " needs a value");
    CG_CHECK(flags.count(flag) == 0, flag << " is given twice");
    flags[flag] = args[i + 1];
  }
  return flags;
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

float float_flag(const Flags& flags, const std::string& flag, float fallback, float low,
                 float high) {
  auto it = flags.find(flag);
  if (it == flags.end()) return fallback;
  char* end = nullptr;
  float v = std::strtof(it->second.c_str(), &end);
  CG_CHECK(end && *end == '\0' && !it->second.empty() && v > low && v < high,
           flag << " expects a number in (" << low << ", " << high << "), got '" << it->second
                << "'");
  return v;
}

std::string string_flag(const Flags& flags, const std::string& flag, const std::string& fallback) {
  auto it = flags.find(flag);
  return it == flags.end() ? fallback : it->second;
}

}  // namespace cli
}  // namespace cudagrad
