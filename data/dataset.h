// Reading a skin-lesion dataset in the layouts people download or make.
//
//   ham10000      HAM10000_metadata.csv (lesion_id,image_id,dx,...) with the
//                 images in any folders below it (HAM10000_images_part_1/,
//                 _part_2/, ...), found by file name ISIC_XXXXXXX.jpg.
//   isic2018      ISIC2018_Task3_<Split>_GroundTruth.csv, one-hot columns
//                 image,MEL,NV,BCC,AKIEC,BKL,DF,VASC, with the images in
//                 ISIC2018_Task3_<Split>_Input/. Lesion ids come from
//                 ISIC2018_Task3_<Split>_LesionGroupings.csv when it is there.
//   image_folder  one sub-folder per class (train/mel/*.jpg, ...), as many
//                 tutorials arrange the images.
//
// The layout is detected from the path (a folder or the csv itself) and can
// be forced. Labels follow classes.h; every sample carries a group id (its
// lesion, or the image itself when the layout has no lesion ids) so splits
// can keep all images of one lesion together.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "data/classes.h"

namespace cudagrad {
namespace data {

enum class Layout { automatic, ham10000, isic2018, image_folder };

std::string layout_name(Layout layout);  // "auto", "ham10000", "isic2018", "image-folder"
Layout parse_layout(const std::string& name);

struct Sample {
  std::string image_id;    // file name without extension: ISIC_0027419
  std::string image_path;  // where the file is
  int32_t label = 0;       // index into Dataset::class_names
  std::string group_id;    // lesion_id, or image_id when there is none
};

struct DatasetOptions {
  Layout layout = Layout::automatic;
  LabelMode labels = LabelMode::multiclass;
  // Images the metadata lists but that are not on disk: an error listing the
  // first few (false), or dropped and counted in Dataset::missing (true).
  bool skip_missing = false;
  // ISIC 2018: which <Split> to read ("Training", "Validation", "Test").
  // Empty: the only one present, or Training when there are several.
  std::string isic_split;
};

struct Dataset {
  Layout layout = Layout::automatic;
  std::string source;                    // the csv read, or the class-folder root
  std::vector<std::string> class_names;  // label i is class_names[i]
  std::vector<Sample> samples;           // metadata order; image_folder: by class, then name
  int64_t listed = 0;                    // images the source lists
  int64_t missing = 0;                   // listed but not found (skip_missing)

  int num_classes() const { return static_cast<int>(class_names.size()); }
  std::vector<int64_t> class_counts() const;  // images per label
  int64_t num_groups() const;                 // distinct group ids
};

// The layout a path holds; an Error when none fits.
Layout detect_layout(const std::string& path);

// Reads the dataset at `path` (a folder, or the metadata / ground-truth csv).
// Errors name the file and line: unknown class, duplicate image id, missing
// column, short row; and list missing images unless options.skip_missing.
Dataset load_dataset(const std::string& path, const DatasetOptions& options = {});

// One line for logs, naming the file or folder read: "ham10000
// (data/HAM10000_metadata.csv): 206 images of 10015 listed (9809 missing,
// skipped) of 200 lesions, 7 classes: akiec 22, bcc 22, ...".
std::string describe(const Dataset& dataset);

}  // namespace data
}  // namespace cudagrad
