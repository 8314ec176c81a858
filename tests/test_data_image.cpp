// Decoding and resizing: real JPEGs with both decoders, exact resampling
// arithmetic on small images, and an Error (never a crash) for bad files.
#include <doctest/doctest.h>
#include <stb_image_write.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include "data/image.h"
#include "data_test_util.h"

using namespace cudagrad::data;
using cudagrad_test::error_of;
using cudagrad_test::TempDir;
using cudagrad_test::write_file;

namespace {

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Image make_image(int w, int h, const std::vector<uint8_t>& rgb) {
  Image im;
  im.width = w;
  im.height = h;
  im.pixels = rgb;
  return im;
}

double mean_abs_difference(const Image& a, const Image& b) {
  REQUIRE(a.pixels.size() == b.pixels.size());
  double sum = 0;
  for (size_t i = 0; i < a.pixels.size(); ++i) sum += std::abs(int(a.pixels[i]) - int(b.pixels[i]));
  return sum / static_cast<double>(a.pixels.size());
}

// Offset of the baseline frame header (FF C0) in a JPEG, found by walking
// the marker segments (a raw byte search can hit table contents).
size_t jpeg_frame_header(const std::string& j) {
  size_t i = 2;
  while (i + 4 <= j.size() && static_cast<uint8_t>(j[i]) == 0xFF) {
    if (static_cast<uint8_t>(j[i + 1]) == 0xC0) return i;
    i += 2 + ((static_cast<uint8_t>(j[i + 2]) << 8) | static_cast<uint8_t>(j[i + 3]));
  }
  return std::string::npos;
}

const char* kHamImage = "ham10000/HAM10000_images_part_1/ISIC_0024306.jpg";

}  // namespace

TEST_CASE("image: a real HAM10000 JPEG decodes the same every time, with either decoder") {
  REQUIRE_SHARED_DATA(path, kHamImage);
  Image a = decode_image(path, JpegDecoder::stb);
  CHECK(a.width == 600);
  CHECK(a.height == 450);
  CHECK(decode_image(path, JpegDecoder::stb).pixels == a.pixels);
  if (!turbojpeg_available()) {
    MESSAGE("TurboJPEG not built in: only stb_image checked");
    return;
  }
  Image t = decode_image(path, JpegDecoder::turbojpeg);
  CHECK(t.width == 600);
  CHECK(decode_image(path, JpegDecoder::turbojpeg).pixels == t.pixels);
  // Both follow the JPEG standard; they differ only in rounding and chroma
  // upsampling.
  double diff = mean_abs_difference(a, t);
  MESSAGE("stb vs TurboJPEG, mean |difference|: " << diff << " (of 255)");
  CHECK(diff < 2.0);
  // Decoding at half scale then area-resizing lands close to full decode + resize.
  Image small_fast = load_resized(path, 224, 224, JpegDecoder::turbojpeg);
  Image small_ref = resize(a, 224, 224);
  CHECK(small_fast.width == 224);
  CHECK(mean_abs_difference(small_fast, small_ref) < 2.0);
}

TEST_CASE("image: area resize averages exactly what each output pixel covers") {
  // 4x1 -> 2x1: pairs average. Channel values differ to catch mix-ups.
  Image a = make_image(4, 1, {0, 10, 200, 100, 30, 200, 50, 50, 0, 51, 70, 0});
  Image r = resize(a, 2, 1);
  CHECK(r.pixels == std::vector<uint8_t>{50, 20, 200, 51, 60, 0});
  // 3 -> 2: output 0 covers input [0, 1.5): (p0 + 0.5 p1) / 1.5.
  Image b = make_image(3, 1, {0, 0, 0, 90, 90, 90, 255, 255, 255});
  Image rb = resize(b, 2, 1);
  CHECK(rb.pixels[0] == 30);                             // (0 + 45) / 1.5
  CHECK(rb.pixels[3] == std::lround((45 + 255) / 1.5));  // 200
  // A one-pixel checkerboard halves to flat grey: nothing aliases.
  Image board;
  board.width = board.height = 8;
  for (int y = 0; y < 8; ++y)
    for (int x = 0; x < 8; ++x)
      for (int c = 0; c < 3; ++c) board.pixels.push_back((x + y) % 2 ? 255 : 0);
  for (uint8_t v : resize(board, 4, 4).pixels) CHECK(v == 128);  // 127.5 rounds up
  // Same size is the identity; a flat image stays flat at any size.
  CHECK(resize(board, 8, 8).pixels == board.pixels);
  Image flat = make_image(5, 3, std::vector<uint8_t>(45, 77));
  for (uint8_t v : resize(flat, 13, 2).pixels) CHECK(v == 77);
}

TEST_CASE("image: enlarging is bilinear with centred pixels") {
  Image a = make_image(2, 1, {0, 0, 0, 100, 100, 100});
  Image r = resize(a, 4, 1);  // centres at 0.25-0.5=-0.25 (clamped), 0.25, 0.75, 1.25 (clamped)
  CHECK(r.pixels[0] == 0);
  CHECK(r.pixels[3] == 25);
  CHECK(r.pixels[6] == 75);
  CHECK(r.pixels[9] == 100);
}

TEST_CASE("image: HWC to CHW") {
  std::vector<uint8_t> hwc = {1, 2, 3, 4, 5, 6}, chw(6);
  hwc_to_chw(hwc.data(), 2, 1, chw.data());
  CHECK(chw == std::vector<uint8_t>{1, 4, 2, 5, 3, 6});
}

TEST_CASE("image: grayscale and RGBA PNGs become RGB, and PNG and JPEG round trip") {
  TempDir t("png");
  const uint8_t gray[4] = {0, 85, 170, 255};
  REQUIRE(stbi_write_png((t / "gray.png").c_str(), 2, 2, 1, gray, 2));
  Image g = decode_image(t / "gray.png");
  CHECK(g.pixels == std::vector<uint8_t>{0, 0, 0, 85, 85, 85, 170, 170, 170, 255, 255, 255});
  const uint8_t rgba[8] = {10, 20, 30, 0, 40, 50, 60, 255};
  REQUIRE(stbi_write_png((t / "rgba.png").c_str(), 2, 1, 4, rgba, 8));
  CHECK(decode_image(t / "rgba.png").pixels == std::vector<uint8_t>{10, 20, 30, 40, 50, 60});
  Image pic = make_image(16, 8, std::vector<uint8_t>(16 * 8 * 3, 140));
  write_image(t / "pic.png", pic);
  CHECK(decode_image(t / "pic.png").pixels == pic.pixels);
  write_image(t / "pic.jpg", pic, 95);
  for (auto d : {JpegDecoder::stb, JpegDecoder::automatic}) {
    Image j = decode_image(t / "pic.jpg", d);
    CHECK(j.width == 16);
    CHECK(mean_abs_difference(j, pic) < 2.0);
  }
}

TEST_CASE("image: bad files are errors naming the file") {
  TempDir t("badimg");
  auto decode_error = [&](const std::string& name, const std::string& bytes, JpegDecoder d) {
    write_file(t.path() / name, bytes);
    return error_of([&] { decode_image(t / name, d); });
  };
  std::vector<JpegDecoder> decoders = {JpegDecoder::stb};
  if (turbojpeg_available()) decoders.push_back(JpegDecoder::turbojpeg);
  Image pic = make_image(64, 48, std::vector<uint8_t>(64 * 48 * 3, 90));
  write_image(t / "good.jpg", pic);
  const std::string jpeg = read_bytes(t / "good.jpg");
  write_image(t / "good.png", pic);
  const std::string png = read_bytes(t / "good.png");

  for (JpegDecoder d : decoders) {
    CAPTURE(jpeg_decoder_name(d));
    CHECK(decode_error("zero.jpg", "", d) == t / "zero.jpg" + ": empty file (0 bytes)");
    CHECK(decode_error("text.jpg", "hello, not an image", d) ==
          t / "text.jpg" + ": not a JPEG or PNG file");
    CHECK(error_of([&] { decode_image(t / "absent.jpg", d); }) ==
          t / "absent.jpg" + ": cannot open (No such file or directory)");
    std::string cut = decode_error("cut.jpg", jpeg.substr(0, jpeg.size() / 2), d);
    CHECK(cut.rfind(t / "cut.jpg" + ": corrupt JPEG (", 0) == 0);
    // Only the magic bytes survive: no header to read.
    CHECK(decode_error("stub.jpg", jpeg.substr(0, 4), d)
              .rfind(t / "stub.jpg" + ": corrupt JPEG", 0) == 0);
    // Garbage after a valid start of the file.
    std::string scrambled = jpeg;
    for (size_t i = 20; i < scrambled.size() - 2; ++i) scrambled[i] = static_cast<char>(i * 7);
    CHECK(decode_error("scrambled.jpg", scrambled, d).rfind(t / "scrambled.jpg" + ": ", 0) == 0);
    // A header claiming 60000 x 60000 pixels: refused before any allocation.
    std::string huge = jpeg;
    size_t sof = jpeg_frame_header(huge);
    REQUIRE(sof != std::string::npos);
    huge[sof + 5] = huge[sof + 7] =
        static_cast<char>(0xEA);  // height, width high bytes: 0xEA60 = 60000
    huge[sof + 6] = huge[sof + 8] = static_cast<char>(0x60);
    std::string msg = decode_error("huge.jpg", huge, d);
    CHECK(msg == t / "huge.jpg" + ": 60000x60000 pixels is outside 1..16384 per side");
    // After all those failures this thread's decoder still reads a good file.
    CHECK(decode_image(t / "good.jpg", d).width == 64);
    Image big = make_image(600, 450, std::vector<uint8_t>(600 * 450 * 3, 120));
    write_image(t / "big.jpg", big);
    CHECK(decode_image(t / "big.jpg", d).width == 600);
  }
  CHECK(decode_error("cut.png", png.substr(0, png.size() / 2), JpegDecoder::automatic)
            .rfind(t / "cut.png" + ": corrupt PNG (", 0) == 0);
  std::string huge_png = png;  // IHDR width and height at bytes 16..23
  const char dims[8] = {0, 1, static_cast<char>(0x86), static_cast<char>(0xA0),
                        0, 1, static_cast<char>(0x86), static_cast<char>(0xA0)};  // 100000 x 100000
  huge_png.replace(16, 8, dims, 8);
  CHECK(decode_error("huge.png", huge_png, JpegDecoder::automatic) ==
        t / "huge.png" + ": 100000x100000 pixels is outside 1..16384 per side");
}
