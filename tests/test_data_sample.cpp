// The synthetic sample dataset: a valid HAM10000 layout the readers accept,
// the same files for the same seed, and classes that look different.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "data/dataset.h"
#include "data/image.h"
#include "data/sample_data.h"
#include "data/split.h"
#include "data_test_util.h"

using namespace cudagrad::data;
using cudagrad_test::error_of;
using cudagrad_test::TempDir;

namespace {

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Mean of (r, g, b) over the central 60x60 pixels, where the lesion is.
std::vector<double> centre_colour(const std::string& path) {
  Image im = decode_image(path);
  std::vector<double> mean(3, 0);
  for (int y = im.height / 2 - 30; y < im.height / 2 + 30; ++y)
    for (int x = im.width / 2 - 30; x < im.width / 2 + 30; ++x)
      for (int c = 0; c < 3; ++c)
        mean[c] += im.pixels[(static_cast<size_t>(y) * im.width + x) * 3 + c] / 3600.0;
  return mean;
}

}  // namespace

TEST_CASE("sample data: a HAM10000-layout dataset the reader loads") {
  TempDir t("sample");
  SampleDataSummary s = write_sample_dataset(t.path().string(), 14, 5);
  CHECK(s.images == 14);
  CHECK(s.lesions < 14);  // some lesions have several pictures
  for (int c = 0; c < 7; ++c) CHECK(s.per_class[c] >= 1);

  CHECK(detect_layout(t.path().string()) == Layout::ham10000);
  Dataset d = load_dataset(t.path().string());
  REQUIRE(d.samples.size() == 14);
  CHECK(d.num_groups() == s.lesions);
  for (int c = 0; c < 7; ++c) CHECK(d.class_counts()[c] == s.per_class[c]);
  Image first = decode_image(d.samples[0].image_path);
  CHECK(first.width == 600);
  CHECK(first.height == 450);
  // Splits keep each synthetic lesion whole, as for the real data.
  Split split = split_train_val_test(d.samples, 7, {}, 0);
  CHECK(split.sizes()[0] > split.sizes()[2]);

  // The first seven images are one per class (akiec .. vasc): check that the
  // drawn colours tell a few of them apart.
  auto df = centre_colour(d.samples[3].image_path);
  auto mel = centre_colour(d.samples[4].image_path);
  auto vasc = centre_colour(d.samples[6].image_path);
  MESSAGE("centre RGB df " << df[0] << "," << df[1] << "," << df[2] << "  mel " << mel[0] << ","
                           << mel[1] << "," << mel[2] << "  vasc " << vasc[0] << "," << vasc[1]
                           << "," << vasc[2]);
  CHECK(mel[0] + mel[1] + mel[2] < 3 * 120);                      // dark
  CHECK(df[0] + df[1] + df[2] > mel[0] + mel[1] + mel[2] + 150);  // light, white centre
  CHECK(vasc[0] > 1.6 * vasc[2]);                                 // red over blue
}

TEST_CASE("sample data: the same seed writes the same files") {
  TempDir a("samplea"), b("sampleb");
  write_sample_dataset(a.path().string(), 7, 42);
  write_sample_dataset(b.path().string(), 7, 42);
  CHECK(file_bytes(a / "HAM10000_metadata.csv") == file_bytes(b / "HAM10000_metadata.csv"));
  CHECK(file_bytes(a / "HAM10000_images_part_2/ISIC_9000006.jpg") ==
        file_bytes(b / "HAM10000_images_part_2/ISIC_9000006.jpg"));
  TempDir c("samplec");
  write_sample_dataset(c.path().string(), 7, 43);
  CHECK(file_bytes(a / "HAM10000_metadata.csv") != file_bytes(c / "HAM10000_metadata.csv"));
  CHECK(error_of([&] {
          write_sample_dataset(c.path().string(), 6, 0);
        }).find("at least 7 images") != std::string::npos);
}
