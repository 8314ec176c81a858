// Train / validation / test splits and k folds, stratified by class and
// grouped by lesion: every image of one lesion lands in the same part, so no
// lesion is seen in training and again in testing.
//
// The algorithm (the same for parts and folds; "bins" below):
//  1. Gather the samples into groups by group_id. A group's stratum is its
//     most common label (ties: the smaller label); in HAM10000 every lesion
//     has a single diagnosis, so this is just its class.
//  2. For each class c, take its groups in a random order drawn from the
//     seed, then stably sort them by size, largest first.
//  3. Bin b should receive t_b = fraction_b * n_c of the class's n_c images.
//     Each group in turn goes to the bin with the largest deficit
//     t_b - have_b (ties: the earlier bin).
//
// Why this lands within one image of every target: an item only goes to a
// bin whose deficit is the largest, and the deficits always sum to the
// images still to place. With single images that means no bin can end more
// than one image over (it would have been chosen with a negative deficit
// while a positive one existed) and so none ends more than one image short.
// Large groups go first, while deficits are large, and the many single-image
// lesions then even things out; a class made only of big groups can miss by
// more, which the tests measure on the real metadata.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace cudagrad {
namespace data {

// part[i] is an index into names: which part sample i belongs to.
struct Split {
  std::vector<std::string> names;  // {"train", "val", "test"} or {"fold0", ...}
  std::vector<int> part;           // one per sample

  int part_index(const std::string& name) const;                // -1 when absent
  std::vector<int64_t> indices(const std::string& name) const;  // samples in part `name`
  std::vector<int64_t> sizes() const;                           // samples per part
};

struct SplitFractions {
  double train = 0.64, val = 0.16, test = 0.20;  // seed 003's split; must sum to 1
};

// Stratified, lesion-grouped train/val/test split, the same for a given seed.
Split split_train_val_test(const std::vector<Sample>& samples, int num_classes,
                           const SplitFractions& fractions = {}, uint64_t seed = 0);

// Stratified, lesion-grouped k folds (names fold0 .. fold{k-1}).
Split split_k_folds(const std::vector<Sample>& samples, int num_classes, int k, uint64_t seed = 0);

// Round `fold` of a k-fold split: that fold is "val", the others "train".
Split fold_train_val(const Split& folds, int fold);

// The bin assignment behind both, for any fractions summing to 1.
std::vector<int> assign_stratified_groups(const std::vector<Sample>& samples, int num_classes,
                                          const std::vector<double>& fractions, uint64_t seed);

// An Error when part `name` (usually "train") has no image of a class that
// the dataset does have images of: a few lesions of a rare class can all
// land in val/test, and a model trained without them silently never learns
// the class. The message names each such class and where its images went.
// Classes with no images anywhere are not an error (a label set can be
// wider than the data).
void require_every_class_in(const Split& split, const std::string& name,
                            const std::vector<Sample>& samples,
                            const std::vector<std::string>& class_names);

// splits.csv: image_id,group_id,label,split, one row per sample. Written to
// a temporary file and renamed, so a crash never leaves half a file.
void write_splits_csv(const std::string& path, const std::vector<Sample>& samples,
                      const Split& split);

// Reads splits.csv back for the same samples. Every sample must be listed
// once and nothing else: a changed dataset is an error, not a silent mix.
Split read_splits_csv(const std::string& path, const std::vector<Sample>& samples);

}  // namespace data
}  // namespace cudagrad
