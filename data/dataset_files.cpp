// Finding files below a dataset root and matching listed images to them.
#include <algorithm>
#include <cctype>
#include <sstream>

#include "data/data_error.h"
#include "data/dataset_internal.h"

namespace cudagrad {
namespace data {
namespace detail {

bool is_image_file(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png";
}

namespace {

void find_below_into(const fs::path& dir, int depth_left,
                     const std::function<bool(const fs::directory_entry&)>& match,
                     std::vector<fs::path>& found) {
  std::error_code ec;
  fs::directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
  if (ec) return;
  std::vector<fs::directory_entry> entries;
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) break;
    entries.push_back(*it);
  }
  // Directory order is whatever the file system gives; sort so that "the
  // first match" means the same file on every machine.
  std::sort(entries.begin(), entries.end(),
            [](const fs::directory_entry& a, const fs::directory_entry& b) {
              return a.path() < b.path();
            });
  for (const auto& entry : entries) {
    if (match(entry)) found.push_back(entry.path());
    if (depth_left > 0 && entry.is_directory(ec))
      find_below_into(entry.path(), depth_left - 1, match, found);
  }
}

}  // namespace

std::vector<fs::path> find_below(const fs::path& root, int max_depth,
                                 const std::function<bool(const fs::directory_entry&)>& match) {
  std::vector<fs::path> found;
  find_below_into(root, max_depth, match, found);
  return found;
}

ImageIndex index_images(const fs::path& root) {
  ImageIndex images;
  auto files = find_below(root, 6, [](const fs::directory_entry& e) {
    std::error_code ec;
    return e.is_regular_file(ec) && is_image_file(e.path());
  });
  for (const auto& f : files)
    if (!images.path_of.emplace(f.stem().string(), f.string()).second)
      images.again.emplace(f.stem().string(), f.string());
  return images;
}

void attach_images(Dataset& dataset, const std::vector<ListedImage>& listed,
                   const ImageIndex& images, const fs::path& root,
                   bool skip_missing) {
  if (listed.empty()) data_error(dataset.source, ": lists no images (a header and no rows)");
  std::vector<std::string> missing;
  for (const auto& item : listed) {
    auto it = images.path_of.find(item.image_id);
    if (it == images.path_of.end()) {
      missing.push_back(item.image_id);
      continue;
    }
    // Two files for one listed image (a part folder unpacked twice, a .png
    // beside the .jpg): which one is right is the user's call, not ours.
    auto again = images.again.find(item.image_id);
    if (again != images.again.end())
      data_error(root.string(), ": image ", item.image_id, " is there twice (", it->second,
                 " and ", again->second, "); remove one so that it is clear which to use");
    dataset.samples.push_back(Sample{item.image_id, it->second, item.label, item.group_id});
  }
  dataset.listed = static_cast<int64_t>(listed.size());
  dataset.missing = static_cast<int64_t>(missing.size());
  if (!missing.empty() && !skip_missing) {
    std::ostringstream first;
    for (size_t i = 0; i < missing.size() && i < 5; ++i) first << (i ? ", " : "") << missing[i];
    if (missing.size() > 5) first << ", ...";
    data_error(dataset.source, ": ", missing.size(), " of ", listed.size(),
               " listed images are not below ", root.string(), ": ", first.str(),
               " (skip missing images to use the ", dataset.samples.size(), " found)");
  }
  if (dataset.samples.empty())
    data_error(dataset.source, ": none of its images were found below ", root.string());
}

std::string isic_split_of(const std::string& name, const std::string& suffix) {
  const std::string prefix = "ISIC2018_Task3_";
  const std::string tail = "_" + suffix;
  if (name.size() <= prefix.size() + tail.size()) return "";
  if (name.compare(0, prefix.size(), prefix) != 0) return "";
  if (name.compare(name.size() - tail.size(), tail.size(), tail) != 0) return "";
  return name.substr(prefix.size(), name.size() - prefix.size() - tail.size());
}

}  // namespace detail
}  // namespace data
}  // namespace cudagrad
