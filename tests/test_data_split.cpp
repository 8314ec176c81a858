// Splits: lesion grouping, per-class sizes against their targets, seeds,
// k folds and splits.csv; class weights against the tutorial's numbers.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cmath>
#include <map>

#include "data/class_weights.h"
#include "data/csv.h"
#include "data/random.h"
#include "data/split.h"
#include "data_test_util.h"

using namespace cudagrad::data;
using cudagrad_test::error_of;
using cudagrad_test::TempDir;

namespace {

// Every row of the full HAM10000 metadata as a sample (the images need not
// be on disk to be split).
std::vector<Sample> metadata_samples(const std::string& csv) {
  CsvTable t = read_csv(csv);
  int lesion = t.require_column("lesion_id"), image = t.require_column("image_id"),
      dx = t.require_column("dx");
  std::vector<Sample> samples;
  for (const auto& row : t.rows)
    samples.push_back(
        Sample{row[image], "", label_for_dx(row[dx], LabelMode::multiclass), row[lesion]});
  return samples;
}

// No group in two parts.
void check_groups_whole(const std::vector<Sample>& samples, const Split& split) {
  std::map<std::string, int> part_of_group;
  int shared = 0;
  for (size_t i = 0; i < samples.size(); ++i) {
    auto [it, inserted] = part_of_group.emplace(samples[i].group_id, split.part[i]);
    if (!inserted && it->second != split.part[i]) ++shared;
  }
  CHECK(shared == 0);
}

// The largest |size - target| over classes and parts, in images.
double worst_class_deviation(const std::vector<Sample>& samples, int num_classes,
                             const Split& split, const std::vector<double>& fractions) {
  std::vector<std::vector<double>> have(num_classes, std::vector<double>(fractions.size(), 0));
  std::vector<double> n(num_classes, 0);
  for (size_t i = 0; i < samples.size(); ++i) {
    have[samples[i].label][split.part[i]] += 1;
    n[samples[i].label] += 1;
  }
  double worst = 0;
  for (int c = 0; c < num_classes; ++c)
    for (size_t b = 0; b < fractions.size(); ++b)
      worst = std::max(worst, std::fabs(have[c][b] - fractions[b] * n[c]));
  return worst;
}

}  // namespace

TEST_CASE("split: splitmix64 gives the published sequence") {
  SplitMix64 rng(0);
  CHECK(rng.next() == 0xE220A8397B1DCDAFull);
  CHECK(rng.next() == 0x6E789E6AA1B965F4ull);
  SplitMix64 r2(42);
  for (int i = 0; i < 1000; ++i) {
    uint64_t x = r2.below(7);
    REQUIRE(x < 7);
    double u = r2.uniform();
    REQUIRE((u >= 0.0 && u < 1.0));
  }
}

TEST_CASE("split: full HAM10000 metadata, by lesion, stratified, deterministic") {
  REQUIRE_SHARED_DATA(dir, "ham10000");
  auto samples = metadata_samples(dir + "/HAM10000_metadata.csv");
  REQUIRE(samples.size() == 10015);
  Split a = split_train_val_test(samples, 7, {}, 0);
  check_groups_whole(samples, a);
  double worst = worst_class_deviation(samples, 7, a, {0.64, 0.16, 0.20});
  MESSAGE("worst per-class deviation from target: " << worst << " images; sizes train/val/test "
                                                    << a.sizes()[0] << "/" << a.sizes()[1] << "/"
                                                    << a.sizes()[2]);
  CHECK(worst <= 1.0);
  // The tutorial's 6409 / 1603 / 2003, each class rounded its own way.
  CHECK(std::abs(a.sizes()[0] - 6409) <= 7);
  CHECK(std::abs(a.sizes()[1] - 1603) <= 7);
  CHECK(std::abs(a.sizes()[2] - 2003) <= 7);

  Split again = split_train_val_test(samples, 7, {}, 0);
  CHECK(again.part == a.part);
  Split other = split_train_val_test(samples, 7, {}, 1);
  CHECK(other.part != a.part);
  check_groups_whole(samples, other);
  CHECK(worst_class_deviation(samples, 7, other, {0.64, 0.16, 0.20}) <= 1.0);
}

TEST_CASE("split: k folds on the full metadata") {
  REQUIRE_SHARED_DATA(dir, "ham10000");
  auto samples = metadata_samples(dir + "/HAM10000_metadata.csv");
  Split folds = split_k_folds(samples, 7, 5, 3);
  CHECK(folds.names == std::vector<std::string>{"fold0", "fold1", "fold2", "fold3", "fold4"});
  check_groups_whole(samples, folds);
  CHECK(worst_class_deviation(samples, 7, folds, std::vector<double>(5, 0.2)) <= 1.0);
  Split round2 = fold_train_val(folds, 2);
  CHECK(round2.indices("val") == folds.indices("fold2"));
  CHECK(round2.indices("train").size() + round2.indices("val").size() == samples.size());
}

TEST_CASE("split: real ISIC 2018 images, each its own group") {
  REQUIRE_SHARED_DATA(dir, "isic2018-task3");
  Dataset d = load_dataset(dir);
  Split s = split_train_val_test(d.samples, 7, {}, 5);
  CHECK(worst_class_deviation(d.samples, 7, s, {0.64, 0.16, 0.20}) < 1.0);
}

TEST_CASE("split: small generated cases") {
  // Lesion L1 has 3 images, two labelled 1: its stratum is class 1 and all
  // three stay together. A zero fraction gets nothing.
  std::vector<Sample> samples;
  for (int i = 0; i < 40; ++i)
    samples.push_back({"I" + std::to_string(i), "", i % 2, "G" + std::to_string(i)});
  samples.push_back({"A", "", 1, "L1"});
  samples.push_back({"B", "", 0, "L1"});
  samples.push_back({"C", "", 1, "L1"});
  Split s = split_train_val_test(samples, 2, {0.7, 0.0, 0.3}, 9);
  check_groups_whole(samples, s);
  CHECK(s.sizes()[1] == 0);
  CHECK(s.sizes()[0] + s.sizes()[2] == 43);
  CHECK(error_of([&] {
          split_train_val_test(samples, 2, {0.5, 0.2, 0.2}, 0);
        }).find("must sum to 1") != std::string::npos);
  samples[0].label = 2;
  CHECK(error_of([&] { split_train_val_test(samples, 2, {}, 0); }).find("outside [0, 2)") !=
        std::string::npos);
}

TEST_CASE("split: a class with no training images after the split is an error naming it") {
  // Class 2 has one lesion of two images; a split that puts it in test leaves
  // training without the class. Class 3 has no images at all: not an error.
  std::vector<Sample> samples;
  for (int i = 0; i < 12; ++i)
    samples.push_back({"I" + std::to_string(i), "", i % 2, "G" + std::to_string(i)});
  samples.push_back({"R1", "", 2, "RARE"});
  samples.push_back({"R2", "", 2, "RARE"});
  const std::vector<std::string> names = {"a", "b", "rare", "never"};
  Split s = split_train_val_test(samples, 4, {0.6, 0.2, 0.2}, 1);
  check_groups_whole(samples, s);
  for (size_t i = 12; i < 14; ++i) s.part[i] = s.part_index("test");
  CHECK(error_of([&] { require_every_class_in(s, "train", samples, names); }) ==
        "the train part has no images of class rare (2 images, all in other parts); a model "
        "trained on it cannot learn it (use more images, another seed or other split fractions)");
  s.part[12] = s.part_index("train");
  CHECK(error_of([&] { require_every_class_in(s, "train", samples, names); }).empty());
  CHECK(error_of([&] { require_every_class_in(s, "holdout", samples, names); })
            .rfind("the split has no part 'holdout'", 0) == 0);
}

TEST_CASE("split: splits.csv round trip and a changed dataset") {
  TempDir t("splits");
  std::vector<Sample> samples;
  for (int i = 0; i < 30; ++i)
    samples.push_back({"ISIC_" + std::to_string(i), "", i % 3,
                       "HAM,\"" + std::to_string(i / 2)});  // odd ids quote
  Split s = split_train_val_test(samples, 3, {}, 11);
  const std::string path = t / "splits.csv";
  write_splits_csv(path, samples, s);
  CHECK_FALSE(std::filesystem::exists(path + ".tmp." + std::to_string(::getpid())));
  Split back = read_splits_csv(path, samples);
  CHECK(back.names == s.names);
  CHECK(back.part == s.part);

  Split folds = split_k_folds(samples, 3, 3, 0);
  write_splits_csv(path, samples, folds);  // replaces the file
  CHECK(read_splits_csv(path, samples).part == folds.part);

  auto fewer = samples;
  fewer.pop_back();
  CHECK(error_of([&] { read_splits_csv(path, fewer); }) ==
        path +
            ":31: image 'ISIC_29' is not in the dataset (1 such images; the dataset changed since "
            "the split was "
            "written; delete the file to split again)");
  auto more = samples;
  more.push_back({"ISIC_99", "", 0, "X"});
  CHECK(error_of([&] {
          read_splits_csv(path, more);
        }).find("image 'ISIC_99' of the dataset is not listed") != std::string::npos);
}

TEST_CASE("class weights: the tutorial's median-frequency values on the full metadata") {
  REQUIRE_SHARED_DATA(dir, "ham10000");
  auto samples = metadata_samples(dir + "/HAM10000_metadata.csv");
  std::vector<int64_t> counts(7, 0);
  for (const auto& s : samples) counts[s.label] += 1;
  auto w = class_weights(counts, ClassWeighting::median_frequency);
  const std::vector<double> tutorial = {1.5719, 1.0, 0.4677, 4.4696, 0.4618, 0.0767, 3.6197};
  for (int c = 0; c < 7; ++c) CHECK(std::fabs(w[c] - tutorial[c]) < 5e-5);  // equal to 4 decimals
  MESSAGE(describe_class_weights(ham10000_classes(), w, ClassWeighting::median_frequency));
}

TEST_CASE("class weights: ones, balanced, balanced-sqrt, absent classes") {
  std::vector<int64_t> counts = {10, 30, 0, 60};  // n = 100, k = 3 present
  CHECK(class_weights(counts, ClassWeighting::ones) == std::vector<double>{1, 1, 0, 1});
  auto b = class_weights(counts, ClassWeighting::balanced);
  CHECK(b[0] == doctest::Approx(100.0 / 30));
  CHECK(b[1] == doctest::Approx(100.0 / 90));
  CHECK(b[2] == 0);
  CHECK(b[3] == doctest::Approx(100.0 / 180));
  auto s = class_weights(counts, ClassWeighting::balanced_sqrt);
  CHECK(s[0] == doctest::Approx(std::sqrt(100.0 / 30)));
  auto m = class_weights({1, 2, 3, 10}, ClassWeighting::median_frequency);  // median 2.5
  CHECK(m[0] == doctest::Approx(2.5));
  CHECK(m[3] == doctest::Approx(0.25));
  CHECK(parse_class_weighting("balanced-sqrt") == ClassWeighting::balanced_sqrt);
  CHECK(error_of([] { parse_class_weighting("inverse"); }).find("unknown class weighting") !=
        std::string::npos);
}
