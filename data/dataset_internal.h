// Pieces shared by the layout readers (dataset.cpp, dataset_readers.cpp).
// Not part of the public interface.
#pragma once
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "data/csv.h"
#include "data/dataset.h"

namespace cudagrad {
namespace data {
namespace detail {

namespace fs = std::filesystem;

// .jpg, .jpeg or .png, in any letter case.
bool is_image_file(const fs::path& path);

// Entries at most `max_depth` folders below `root` (0: root's own entries)
// for which `match` holds, sorted by path. Folder links are followed, the
// depth bound keeps a link cycle finite, unreadable folders are skipped.
std::vector<fs::path> find_below(const fs::path& root, int max_depth,
                                 const std::function<bool(const fs::directory_entry&)>& match);

// Image id (file name without extension) -> path, for every image file
// below `root`: the first in path order, and a second file with the same id
// if there is one (attach_images refuses a listed image found twice).
struct ImageIndex {
  std::map<std::string, std::string> path_of;  // image id (file stem) -> first file found
  std::map<std::string, std::string> again;    // image id -> a second file with that id
};
ImageIndex index_images(const fs::path& root);

// One image as the metadata lists it, before we look for its file.
struct ListedImage {
  std::string image_id;
  int32_t label = 0;
  std::string group_id;
};

// The rows of a parsed metadata table as listed images, checked: an Error
// naming file:line for a missing column, an empty or duplicate image id, an
// unknown class (HAM10000 dx) or a row that does not mark exactly one class
// (ISIC one-hot). In memory, so fuzz/ can feed them arbitrary tables.
std::vector<ListedImage> list_ham10000(const CsvTable& table, LabelMode labels);
std::vector<ListedImage> list_isic2018(const CsvTable& table,
                                       const std::map<std::string, std::string>& lesion_of,
                                       LabelMode labels);
// ISIC2018_Task3_<Split>_LesionGroupings.csv rows: image -> lesion_id.
std::map<std::string, std::string> lesion_groupings(const CsvTable& table);

// Fills dataset.samples from `listed`, looking each id up in `images`.
// Listed images with no file: an Error naming the first few and the count,
// or, with skip_missing, dropped and counted in dataset.missing.
void attach_images(Dataset& dataset, const std::vector<ListedImage>& listed,
                   const ImageIndex& images, const fs::path& root,
                   bool skip_missing);

// ISIC2018_Task3_<Split>_<Suffix>: returns Split, or "" when `name` does
// not have that form.
std::string isic_split_of(const std::string& name, const std::string& suffix);

Dataset read_ham10000(const fs::path& path, const DatasetOptions& options);
Dataset read_isic2018(const fs::path& path, const DatasetOptions& options);
Dataset read_image_folder(const fs::path& path, const DatasetOptions& options);

}  // namespace detail
}  // namespace data
}  // namespace cudagrad
