// Names a user's files may have: commas, quotes and spaces in image file
// names and in class folder names. Every CSV cudagrad writes quotes them
// (RFC 4180), so each row has as many fields as the header and reads back
// as written.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include "cli_test_util.h"
#include "data/csv.h"
#include "data/image.h"

using namespace cudagrad_test;

namespace {

// An image-folder dataset: two classes with odd names, six images each.
std::string odd_image_folder(const TempDir& dir) {
  const std::string root = dir / "odd";
  const std::string classes[] = {"a,b", "say \"hi\""};
  for (int c = 0; c < 2; ++c)
    for (int i = 0; i < 6; ++i) {
      cudagrad::data::Image im;
      im.width = im.height = 32;
      for (int p = 0; p < 32 * 32 * 3; ++p) im.pixels.push_back(static_cast<uint8_t>(p * (c + 2) + i));
      const std::string name = c == 0 ? "img," + std::to_string(i) : "q\"" + std::to_string(i) + " x";
      fs::create_directories(root + "/" + classes[c]);
      cudagrad::data::write_image(root + "/" + classes[c] + "/" + name + ".png", im);
    }
  return root;
}

}  // namespace

TEST_CASE("cli: odd names in images and class folders are quoted in every CSV") {
  TempDir dir("odd_names");
  std::string out;
  const std::string data = odd_image_folder(dir);
  const std::string run = dir / "run";
  REQUIRE(run_cli("train --data " + data + " " + tiny_model_flags(4) +
                      " --epochs 1 --split-fractions 0.5,0.5,0 --out " + run,
                  out) == 0);
  INFO(out);
  // splits.csv reads back with one row per image, four fields each.
  const auto splits = cudagrad::data::read_csv(run + "/splits.csv");
  CHECK(splits.rows.size() == 12);

  const std::string csv = dir / "predictions.csv";
  REQUIRE(run_cli("predict --checkpoint " + run + " " + data + " --csv " + csv, out) == 0);
  const auto table = cudagrad::data::read_csv(csv);  // a row of the wrong width is an Error
  CHECK(table.header == std::vector<std::string>{"image", "a,b", "say \"hi\"", "prediction"});
  REQUIRE(table.rows.size() == 12);
  int odd_rows = 0;
  for (const auto& row : table.rows) {
    odd_rows += row[0] == "img,0" || row[0] == "q\"0 x";
    CHECK((row[3] == "a,b" || row[3] == "say \"hi\""));
  }
  CHECK(odd_rows == 2);

  // "--csv -" is standard output: the same rows and nothing else.
  REQUIRE(run_cli("predict --checkpoint " + run + " " + data + " --csv - 2>/dev/null", out) == 0);
  CHECK(out == read_text(csv));
}

TEST_CASE("cli: evaluate, predict and gradcam refuse a FIFO or device output before any work") {
  TempDir dir("odd_outputs");
  std::string out;
  const std::string run = dir / "run";
  REQUIRE(run_cli("train --data " + shared_sample_data() + " " + tiny_model_flags() +
                      " --epochs 1 --out " + run + " --cache-dir " + dir / "cache",
                  out) == 0);
  const std::string fifo = dir / "out.fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0644) == 0);
  const std::string refused =
      ": is a FIFO (named pipe); expected a regular file to write (or \"-\" for standard output)\n";
  // evaluate would print its metrics first if it did the work before checking.
  CHECK(run_cli("evaluate --checkpoint " + run + " --out " + fifo, out) == 1);
  CHECK(out == "cudagrad: error: " + fifo + refused);
  CHECK(run_cli("predict --checkpoint " + run + " " + shared_sample_data() + " --csv " + fifo, out) == 1);
  CHECK(out == "cudagrad: error: " + fifo + refused);
  const std::string image = shared_sample_data() + "/HAM10000_images_part_1/ISIC_9000000.jpg";
  REQUIRE(fs::exists(image));
  CHECK(run_cli("gradcam --checkpoint " + run + " --image " + image + " --out " + fifo, out) == 1);
  CHECK(out == "cudagrad: error: " + fifo + refused);
}
