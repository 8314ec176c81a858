// cudagrad sample-data: a synthetic dataset in the HAM10000 layout
// (data/sample_data.h), for trying the pipeline without the real images.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <vector>

#include "cli/commands.h"
#include "cli/options.h"
#include "data/classes.h"
#include "data/sample_data.h"
#include "base/error.h"

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

struct SampleDataOptions {
  std::string out;
  int images = 400, threads = 0;
  long long seed = 0;
};

int sample_data(const SampleDataOptions& o) {
  const std::string& dir = o.out;
  refuse_unless_new_or_empty(dir);
  const data::SampleDataSummary s = data::write_sample_dataset(
      dir, o.images, static_cast<uint64_t>(o.seed), capped_threads(o.threads));
  std::printf("wrote %d images of %d lesions to %s (HAM10000 layout):", s.images, s.lesions,
              dir.c_str());
  const auto& names = data::ham10000_classes();
  for (size_t c = 0; c < names.size(); ++c) std::printf(" %s %d", names[c].c_str(), s.per_class[c]);
  std::printf("\n");
  return 0;
}

}  // namespace

Runner sample_data_command(CLI::App& app) {
  auto o = std::make_shared<SampleDataOptions>();
  app.add_option("--out", o->out, "a new or empty folder to write into")->type_name("DIR")->required();
  app.add_option("--images", o->images, "how many images (at least 7: one of each class)")
      ->type_name("N")
      ->check(integer_in(7, 1000000))
      ->capture_default_str();
  app.add_option("--seed", o->seed, "the same seed draws the same images")
      ->type_name("N")
      ->check(integer_in(0, 1LL << 50))
      ->capture_default_str();
  add_threads_option(app, o->threads);
  return [o] { return sample_data(*o); };
}

}  // namespace cli
}  // namespace cudagrad
