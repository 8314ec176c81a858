// cudagrad sample-data: a synthetic dataset in the HAM10000 layout
// (data/sample_data.h), for trying the pipeline without the real images.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <vector>

#include "data/classes.h"
#include "data/sample_data.h"
#include "engine/error.h"
#include "cli/commands.h"
#include "cli/flags.h"

namespace cudagrad {
namespace cli {

namespace {

namespace fs = std::filesystem;

// Drawn images must never mix with a real dataset, nor a drawn metadata file
// replace a real one: sample-data writes only into a new or empty folder.
void refuse_unless_new_or_empty(const std::string& dir) {
  if (!fs::exists(fs::symlink_status(dir))) return;
  if (!fs::is_directory(dir)) throw Error("--out " + dir + ": is a file, expected a folder");
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir))
    names.push_back(entry.path().filename().string());
  if (names.empty()) return;
  std::sort(names.begin(), names.end());
  std::string some;
  for (size_t i = 0; i < names.size() && i < 3; ++i) some += (i ? ", " : "") + names[i];
  throw Error("--out " + dir + ": is not empty (" + std::to_string(names.size()) + " entries: " +
              some + (names.size() > 3 ? ", ..." : "") +
              "); sample-data writes only into a new or empty folder");
}

}  // namespace

int sample_data_command(const Args& args) {
  const Flags flags = parse_flags(args, {"--out", "--images", "--seed", "--threads"});
  CG_CHECK(flags.count("--out"), "sample-data needs --out DIR");
  const std::string dir = flags.at("--out");
  refuse_unless_new_or_empty(dir);
  const int images = int_flag(flags, "--images", 400, 7, 1000000);
  const uint64_t seed = int_flag(flags, "--seed", 0, 0, 1L << 50);
  const int threads = int_flag(flags, "--threads", 0, 0, 4096);  // 0: all cores
  const data::SampleDataSummary s = data::write_sample_dataset(dir, images, seed, threads);
  std::printf("wrote %d images of %d lesions to %s (HAM10000 layout):", s.images, s.lesions,
              dir.c_str());
  const auto& names = data::ham10000_classes();
  for (size_t c = 0; c < names.size(); ++c) std::printf(" %s %d", names[c].c_str(), s.per_class[c]);
  std::printf("\n");
  return 0;
}

}  // namespace cli
}  // namespace cudagrad
