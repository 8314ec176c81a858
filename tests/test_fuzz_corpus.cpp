// The fuzzers' committed inputs, replayed in the normal suite (and so under
// ASan + UBSan in CI): every seed in fuzz/corpus/ is a valid file that must
// be accepted with the expected content, and every input that once crashed
// a fuzzer (tests/fixtures/fuzz_regressions/) must now be a clean Error.
#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "data/csv.h"
#include "data/image.h"
#include "data_test_util.h"
#include "engine/safetensors.h"

using namespace cudagrad::data;
using cudagrad_test::error_of;
namespace fs = std::filesystem;

namespace {

const std::string kCorpus = std::string(CUDAGRAD_SOURCE_DIR) + "/fuzz/corpus/";
const std::string kRegressions = std::string(CUDAGRAD_SOURCE_DIR) + "/tests/fixtures/fuzz_regressions/";

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<JpegDecoder> jpeg_decoders() {
  std::vector<JpegDecoder> d = {JpegDecoder::stb};
  if (turbojpeg_available()) d.push_back(JpegDecoder::turbojpeg);
  return d;
}

// Offset of the first DHT segment (FF C4) found by walking the segments.
size_t first_dht(const std::string& j) {
  size_t i = 2;
  while (i + 4 <= j.size() && static_cast<uint8_t>(j[i]) == 0xFF) {
    if (static_cast<uint8_t>(j[i + 1]) == 0xC4) return i;
    i += 2 + ((static_cast<uint8_t>(j[i + 2]) << 8) | static_cast<uint8_t>(j[i + 3]));
  }
  return std::string::npos;
}

}  // namespace

TEST_CASE("fuzz seeds: every image seed decodes to its size with every decoder") {
  // Sizes as fuzz/make_seed_images.cpp wrote them.
  const std::map<std::string, std::pair<int, int>> sizes = {
      {"rgb_420.jpg", {16, 12}}, {"rgb_444.jpg", {9, 7}}, {"gray.jpg", {8, 8}},
      {"progressive.jpg", {16, 12}}, {"stb.jpg", {6, 5}}, {"gray.png", {5, 4}},
      {"gray_alpha.png", {5, 4}}, {"rgb.png", {5, 4}}, {"rgba.png", {5, 4}},
      {"one_pixel.png", {1, 1}}};
  int seen = 0;
  for (const auto& entry : fs::directory_iterator(kCorpus + "fuzz_image")) {
    const std::string name = entry.path().filename().string();
    CAPTURE(name);
    REQUIRE(sizes.count(name) == 1);  // a new seed needs its size here
    for (JpegDecoder d : jpeg_decoders()) {
      CAPTURE(jpeg_decoder_name(d));
      Image im = decode_image(entry.path().string(), d);
      CHECK(im.width == sizes.at(name).first);
      CHECK(im.height == sizes.at(name).second);
      CHECK(im.pixels.size() == size_t(im.width) * im.height * 3);
      // Grayscale (with or without alpha) comes out as three equal channels.
      if (name.rfind("gray", 0) == 0)
        for (size_t p = 0; p < im.pixels.size(); p += 3) {
          CHECK(im.pixels[p] == im.pixels[p + 1]);
          CHECK(im.pixels[p] == im.pixels[p + 2]);
        }
    }
    ++seen;
  }
  CHECK(seen == static_cast<int>(sizes.size()));
}

TEST_CASE("fuzz seeds: every CSV and safetensors seed is accepted") {
  int csv = 0, st = 0;
  for (const auto& entry : fs::directory_iterator(kCorpus + "fuzz_csv")) {
    CAPTURE(entry.path());
    CHECK_FALSE(read_csv(entry.path().string()).rows.empty());
    ++csv;
  }
  for (const auto& entry : fs::directory_iterator(kCorpus + "fuzz_safetensors")) {
    CAPTURE(entry.path());
    cudagrad::SafetensorsMetadata meta;
    auto tensors = cudagrad::load_safetensors(entry.path().string(), &meta);
    CHECK((!tensors.empty() || !meta.empty()));
    ++st;
  }
  CHECK(csv >= 4);
  CHECK(st >= 4);
}

TEST_CASE("fuzz regression: a scan using an undefined Huffman table (stb read wild memory)") {
  // Found by fuzz_image: a progressive JPEG whose AC scan names table 1
  // before any DHT defines it. stb_image decoded with the uninitialised
  // table and crashed; the stb path now checks the tables first.
  const std::string path = kRegressions + "stb_undefined_huffman_table.jpg";
  CHECK(error_of([&] { decode_image(path, JpegDecoder::stb); }) ==
        path + ": corrupt JPEG (a scan uses a Huffman table that was never defined)");
  if (turbojpeg_available())
    CHECK(error_of([&] { decode_image(path, JpegDecoder::turbojpeg); })
              .rfind(path + ": corrupt JPEG (", 0) == 0);
}

TEST_CASE("fuzz regression: a Huffman table with more than 256 codes") {
  // stb_image copies every listed code into a 256-entry table; counts that
  // add up past 256 wrote beyond it. Made from a valid seed by raising the
  // counts of 15- and 16-bit codes in its first table.
  std::string jpeg = read_bytes(kCorpus + "fuzz_image/rgb_420.jpg");
  const size_t dht = first_dht(jpeg);
  REQUIRE(dht != std::string::npos);
  jpeg[dht + 5 + 14] = static_cast<char>(200);  // counts start after FF C4, length, class/id
  jpeg[dht + 5 + 15] = static_cast<char>(200);
  int expected = 400;
  for (int k = 0; k < 14; ++k) expected += static_cast<uint8_t>(jpeg[dht + 5 + k]);
  CHECK(error_of([&] {
          decode_image_bytes(reinterpret_cast<const uint8_t*>(jpeg.data()), jpeg.size(), "t.jpg",
                             JpegDecoder::stb);
        }) == "t.jpg: corrupt JPEG (a Huffman table lists " + std::to_string(expected) +
                  " codes, at most 256 exist)");
  for (JpegDecoder d : jpeg_decoders())
    CHECK_FALSE(error_of([&] {
                  decode_image_bytes(reinterpret_cast<const uint8_t*>(jpeg.data()), jpeg.size(),
                                     "t.jpg", d);
                }).empty());
}

TEST_CASE("fuzz regressions: every recorded input is a clean Error with every decoder") {
  int files = 0;
  for (const auto& entry : fs::directory_iterator(kRegressions)) {
    CAPTURE(entry.path());
    for (JpegDecoder d : jpeg_decoders())
      CHECK_FALSE(error_of([&] { decode_image(entry.path().string(), d); }).empty());
    ++files;
  }
  CHECK(files >= 1);
}
