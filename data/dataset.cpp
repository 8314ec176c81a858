// Layout detection and the entry point; the readers are in dataset_readers.cpp.
#include "data/dataset.h"

#include <set>
#include <sstream>

#include "data/data_error.h"
#include "data/dataset_internal.h"

namespace cudagrad {
namespace data {

namespace fs = std::filesystem;
using fs::path;

std::string layout_name(Layout layout) {
  switch (layout) {
    case Layout::automatic:
      return "auto";
    case Layout::ham10000:
      return "ham10000";
    case Layout::isic2018:
      return "isic2018";
    case Layout::image_folder:
      return "image-folder";
  }
  return "?";
}

Layout parse_layout(const std::string& name) {
  for (Layout l : {Layout::automatic, Layout::ham10000, Layout::isic2018, Layout::image_folder})
    if (layout_name(l) == name) return l;
  data_error("unknown dataset layout '", name, "' (use auto, ham10000, isic2018 or image-folder)");
}

std::vector<int64_t> Dataset::class_counts() const {
  std::vector<int64_t> counts(class_names.size(), 0);
  for (const auto& s : samples) counts.at(s.label) += 1;
  return counts;
}

int64_t Dataset::num_groups() const {
  std::set<std::string> groups;
  for (const auto& s : samples) groups.insert(s.group_id);
  return static_cast<int64_t>(groups.size());
}

Layout detect_layout(const std::string& where) {
  const path p(where);
  std::error_code ec;
  if (fs::is_regular_file(p, ec)) {
    // A csv given directly: ISIC ground truth by its name, else metadata.
    if (p.extension() != ".csv") data_error(where, ": expected a folder or a .csv file");
    if (!detail::isic_split_of(p.stem().string(), "GroundTruth").empty()) return Layout::isic2018;
    return Layout::ham10000;
  }
  if (!fs::is_directory(p, ec)) data_error(where, ": no such file or folder");
  auto named = [](const std::string& name) {
    return [name](const fs::directory_entry& e) { return e.path().filename() == name; };
  };
  const auto metadata = detail::find_below(p, 3, named("HAM10000_metadata.csv"));
  auto ground_truth = detail::find_below(p, 3, [](const fs::directory_entry& e) {
    return e.path().extension() == ".csv" &&
           !detail::isic_split_of(e.path().stem().string(), "GroundTruth").empty();
  });
  // Several HAM10000 copies, or HAM10000 beside ISIC 2018: which one the
  // user meant is theirs to say, so stop and list them. (Several ISIC 2018
  // splits in one folder are one dataset; its reader picks the split.)
  if (metadata.size() > 1 || (!metadata.empty() && !ground_truth.empty())) {
    std::vector<fs::path> all = metadata;
    all.insert(all.end(), ground_truth.begin(), ground_truth.end());
    std::string listed;
    for (size_t i = 0; i < all.size(); ++i) listed += (i ? ", " : "") + all[i].string();
    data_error("--data ", where, ": holds ", all.size(), " datasets (", listed,
               "); give --data the folder or the .csv of the one to use");
  }
  if (!metadata.empty()) return Layout::ham10000;
  if (!ground_truth.empty()) return Layout::isic2018;
  // Otherwise class folders; read_image_folder explains what it expected
  // when there are none.
  return Layout::image_folder;
}

Dataset load_dataset(const std::string& where, const DatasetOptions& options) {
  Layout layout = options.layout == Layout::automatic ? detect_layout(where) : options.layout;
  switch (layout) {
    case Layout::ham10000:
      return detail::read_ham10000(where, options);
    case Layout::isic2018:
      return detail::read_isic2018(where, options);
    case Layout::image_folder:
      return detail::read_image_folder(where, options);
    case Layout::automatic:
      break;
  }
  data_error(where, ": no dataset layout detected");
}

std::string describe(const Dataset& dataset) {
  std::ostringstream os;
  // The file or folder read, so that which dataset was used is never a guess.
  os << layout_name(dataset.layout) << " (" << dataset.source << "): " << dataset.samples.size()
     << " images";
  if (dataset.missing > 0)
    os << " of " << dataset.listed << " listed (" << dataset.missing << " missing, skipped)";
  const int64_t groups = dataset.num_groups();
  if (groups != static_cast<int64_t>(dataset.samples.size())) os << " of " << groups << " lesions";
  os << ", " << dataset.num_classes() << " classes:";
  auto counts = dataset.class_counts();
  for (size_t c = 0; c < counts.size(); ++c)
    os << (c ? ", " : " ") << dataset.class_names[c] << " " << counts[c];
  return os.str();
}

}  // namespace data
}  // namespace cudagrad
