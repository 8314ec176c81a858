// A synthetic dataset in the HAM10000 layout, for people without the real
// images (and for the README's first command): drawn dermoscopy-like
// pictures whose class can be seen in the shape, colour and texture of the
// lesion, several pictures per lesion, and a HAM10000_metadata.csv.
//
//   dir/HAM10000_metadata.csv
//   dir/HAM10000_images_part_1/ISIC_9000000.jpg ...   600x450 JPEGs
//   dir/HAM10000_images_part_2/...
//
// The classes are drawn after their textbook look: nv a smooth round brown
// mole; mel large, asymmetric, black / blue-grey / brown; bkl tan and
// waxy with light dots and ridges; bcc pink with branching red vessels;
// akiec red, rough and scaly; df small with a white centre; vasc red-purple
// lobules. They are easy to tell apart on purpose: the point is a pipeline
// that trains end to end, not a benchmark.
#pragma once
#include <cstdint>
#include <string>

namespace cudagrad {
namespace data {

struct SampleDataSummary {
  int images = 0, lesions = 0;
  int per_class[7] = {};  // images of akiec, bcc, bkl, df, mel, nv, vasc
};

// Writes n_images (>= 7: every class appears) into `dir`, creating it. The
// same seed writes the same files. Existing files of the same names are
// replaced. `threads` draw the images (0: one per core).
SampleDataSummary write_sample_dataset(const std::string& dir, int n_images, uint64_t seed = 0,
                                       int threads = 0);

}  // namespace data
}  // namespace cudagrad
