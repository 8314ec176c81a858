// The three layout readers: HAM10000 metadata, ISIC 2018 Task 3 one-hot
// ground truth, and one folder per class.
#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <set>

#include "data/csv.h"
#include "data/data_error.h"
#include "data/dataset_internal.h"

namespace cudagrad {
namespace data {
namespace detail {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// The image id in column `column` of row r: present and listed once.
std::string unique_image_id(const CsvTable& table, size_t r, int column,
                            std::map<std::string, int>& first_line) {
  std::string id = trim_spaces(table.rows[r][column]);
  if (id.empty()) data_error(table.where(r), ": empty ", table.header[column]);
  auto [it, inserted] = first_line.emplace(id, table.row_lines[r]);
  if (!inserted)
    data_error(table.where(r), ": duplicate image id '", id, "' (first listed on line ", it->second,
               ")");
  return id;
}

fs::path parent_or_dot(const fs::path& p) {
  return p.has_parent_path() ? p.parent_path() : fs::path(".");
}

}  // namespace

std::vector<ListedImage> list_ham10000(const CsvTable& table, LabelMode labels) {
  const int lesion_col = table.require_column("lesion_id");
  const int image_col = table.require_column("image_id");
  const int dx_col = table.require_column("dx");
  std::map<std::string, int> first_line;
  std::vector<ListedImage> listed;
  for (size_t r = 0; r < table.rows.size(); ++r) {
    std::string id = unique_image_id(table, r, image_col, first_line);
    std::string dx = trim_spaces(table.rows[r][dx_col]);
    int label = label_for_dx(dx, labels);
    if (label < 0)
      data_error(table.where(r), ": unknown class '", dx, "' in column dx (expected one of ",
                 joined(ham10000_classes()), ")");
    std::string lesion = trim_spaces(table.rows[r][lesion_col]);
    listed.push_back({id, label, lesion.empty() ? id : lesion});
  }
  return listed;
}

Dataset read_ham10000(const fs::path& path, const DatasetOptions& options) {
  fs::path csv = path, root = path;
  if (fs::is_directory(path)) {
    auto found = find_below(path, 3, [](const fs::directory_entry& e) {
      return e.path().filename() == "HAM10000_metadata.csv";
    });
    if (found.empty()) data_error(path.string(), ": no HAM10000_metadata.csv below this folder");
    if (found.size() > 1)
      data_error("--data ", path.string(), ": holds ", found.size(), " HAM10000 datasets (",
                 found[0].string(), ", ", found[1].string(), found.size() > 2 ? ", ..." : "",
                 "); give --data the folder or the .csv of the one to use");
    csv = found[0];
  } else {
    root = parent_or_dot(path);
  }
  Dataset dataset;
  dataset.layout = Layout::ham10000;
  dataset.source = csv.string();
  dataset.class_names = class_names(options.labels);

  const std::vector<ListedImage> listed = list_ham10000(read_csv(csv.string()), options.labels);
  attach_images(dataset, listed, index_images(root), root, options.skip_missing);
  return dataset;
}

namespace {

// The ground-truth csv to read from folder `root`: the requested split, the
// only one, or Training when there are several.
fs::path pick_ground_truth(const fs::path& root, const std::string& wanted) {
  auto found = find_below(root, 3, [](const fs::directory_entry& e) {
    return e.path().extension() == ".csv" &&
           !isic_split_of(e.path().stem().string(), "GroundTruth").empty();
  });
  if (found.empty())
    data_error(root.string(), ": no ISIC2018_Task3_<Split>_GroundTruth.csv below this folder");
  std::vector<std::string> splits;
  for (const auto& f : found) splits.push_back(isic_split_of(f.stem().string(), "GroundTruth"));
  std::string choice = wanted;
  if (choice.empty()) choice = found.size() == 1 ? splits[0] : "Training";
  for (size_t i = 0; i < found.size(); ++i)
    if (splits[i] == choice) return found[i];
  data_error(root.string(), ": no ground truth for split '", choice, "' (found: ", joined(splits),
             ")");
}

// The first entry named `name` below any of `roots` (searched in order).
fs::path find_named(const std::vector<fs::path>& roots, const std::string& name, bool directory) {
  for (const auto& r : roots) {
    auto found = find_below(r, 3, [&](const fs::directory_entry& e) {
      std::error_code ec;
      return e.path().filename() == name &&
             (directory ? e.is_directory(ec) : e.is_regular_file(ec));
    });
    if (!found.empty()) return found[0];
  }
  return {};
}

// ISIC2018_Task3_<Split>_LesionGroupings.csv: image -> lesion_id.
std::map<std::string, std::string> read_lesion_groupings(const fs::path& csv) {
  if (csv.empty()) return {};
  return lesion_groupings(read_csv(csv.string()));
}

}  // namespace

std::map<std::string, std::string> lesion_groupings(const CsvTable& table) {
  std::map<std::string, std::string> lesion_of;
  const int image_col = table.require_column("image");
  const int lesion_col = table.require_column("lesion_id");
  for (size_t r = 0; r < table.rows.size(); ++r) {
    std::string lesion = trim_spaces(table.rows[r][lesion_col]);
    if (!lesion.empty()) lesion_of[trim_spaces(table.rows[r][image_col])] = lesion;
  }
  return lesion_of;
}

std::vector<ListedImage> list_isic2018(const CsvTable& table,
                                      const std::map<std::string, std::string>& lesion_of,
                                      LabelMode labels) {
  const int image_col = table.require_column("image");
  const auto& codes = ham10000_classes();
  std::vector<int> class_col;
  for (const auto& code : codes) class_col.push_back(table.require_column(upper(code)));
  std::map<std::string, int> first_line;
  std::vector<ListedImage> listed;
  for (size_t r = 0; r < table.rows.size(); ++r) {
    std::string id = unique_image_id(table, r, image_col, first_line);
    std::vector<std::string> marked;  // columns holding 1
    int dx = -1;
    for (size_t c = 0; c < codes.size(); ++c) {
      const std::string& cell = table.rows[r][class_col[c]];
      char* end = nullptr;
      double v = std::strtod(cell.c_str(), &end);
      // The whole cell must be the number: "1.0x" (or a NUL byte inside it) is not.
      if (cell.empty() || end != cell.c_str() + cell.size())
        data_error(table.where(r), ": column ", upper(codes[c]), " holds '", cell,
                   "', expected 0.0 or 1.0");
      if (v > 0.5) {
        marked.push_back(upper(codes[c]));
        dx = static_cast<int>(c);
      }
    }
    if (marked.size() != 1)
      data_error(table.where(r), ": expected exactly one class marked 1.0, found ", marked.size(),
                 marked.empty() ? "" : " (" + joined(marked) + ")");
    auto lesion = lesion_of.find(id);
    listed.push_back({id, label_for_dx(codes[dx], labels),
                      lesion == lesion_of.end() ? id : lesion->second});
  }
  return listed;
}

Dataset read_isic2018(const fs::path& path, const DatasetOptions& options) {
  fs::path csv;
  std::vector<fs::path> roots;  // where to look for the _Input folder
  if (fs::is_directory(path)) {
    csv = pick_ground_truth(path, options.isic_split);
    roots = {path};
  } else {
    csv = path;
    // The official zips unpack to <Split>_GroundTruth/<Split>_GroundTruth.csv
    // beside <Split>_Input/, so look next to the csv and one folder up.
    roots = {parent_or_dot(csv), parent_or_dot(parent_or_dot(csv))};
  }
  const std::string split = isic_split_of(csv.stem().string(), "GroundTruth");
  if (split.empty())
    data_error(csv.string(), ": expected a file named ISIC2018_Task3_<Split>_GroundTruth.csv");
  const std::string input_name = "ISIC2018_Task3_" + split + "_Input";
  fs::path input = find_named(roots, input_name, true);
  if (input.empty()) data_error(csv.string(), ": no ", input_name, "/ folder found beside it");
  auto lesion_of = read_lesion_groupings(
      find_named(roots, "ISIC2018_Task3_" + split + "_LesionGroupings.csv", false));

  Dataset dataset;
  dataset.layout = Layout::isic2018;
  dataset.source = csv.string();
  dataset.class_names = class_names(options.labels);

  const std::vector<ListedImage> listed =
      list_isic2018(read_csv(csv.string()), lesion_of, options.labels);
  attach_images(dataset, listed, index_images(input), input, options.skip_missing);
  return dataset;
}

Dataset read_image_folder(const fs::path& path, const DatasetOptions& options) {
  if (!fs::is_directory(path))
    data_error(path.string(), ": the image-folder layout needs a folder");
  auto folders = find_below(path, 0, [](const fs::directory_entry& e) {
    std::error_code ec;
    return e.is_directory(ec);
  });
  std::vector<std::pair<std::string, std::vector<fs::path>>> classes;  // name, images
  for (const auto& folder : folders) {
    auto images = find_below(folder, 5, [](const fs::directory_entry& e) {
      std::error_code ec;
      return e.is_regular_file(ec) && is_image_file(e.path());
    });
    if (!images.empty()) classes.push_back({folder.filename().string(), images});
  }
  if (classes.empty())
    data_error(path.string(),
               ": no class folders with images (expected one sub-folder per class, e.g. mel/, nv/;",
               " if it holds train/, val/ and test/, point at one of them)");

  // Folders named after the HAM10000 codes keep the standard label order
  // (and the binary modes); any other names become classes in sorted order.
  bool ham_names = true;
  for (const auto& c : classes)
    ham_names = ham_names && label_for_dx(lower(c.first), LabelMode::multiclass) >= 0;
  Dataset dataset;
  dataset.layout = Layout::image_folder;
  dataset.source = path.string();
  if (ham_names) {
    dataset.class_names = class_names(options.labels);
  } else {
    if (options.labels != LabelMode::multiclass)
      data_error(path.string(), ": label mode ", label_mode_name(options.labels),
                 " needs class folders named after the HAM10000 codes (",
                 joined(ham10000_classes()), ")");
    for (const auto& c : classes) dataset.class_names.push_back(c.first);
  }
  std::map<std::string, std::string> folder_of;  // image id -> class folder, to catch duplicates
  for (size_t k = 0; k < classes.size(); ++k) {
    const auto& [name, images] = classes[k];
    int label = ham_names ? label_for_dx(lower(name), options.labels) : static_cast<int>(k);
    for (const auto& image : images) {
      std::string id = image.stem().string();
      auto [it, inserted] = folder_of.emplace(id, name);
      if (!inserted)
        data_error(image.string(), ": duplicate image id '", id, "' (also in ", it->second, "/)");
      dataset.samples.push_back(Sample{id, image.string(), label, id});
    }
  }
  dataset.listed = static_cast<int64_t>(dataset.samples.size());
  return dataset;
}

}  // namespace detail
}  // namespace data
}  // namespace cudagrad
