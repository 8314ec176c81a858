// PNG files: encoding through stb_image_write, atomic writing, decoding.
#include <climits>

#include "engine/atomic_write.h"
#include "engine/error.h"
#include "report/image.h"
#include "report/stb_bridge.h"

namespace cudagrad {
namespace report {

namespace {

void check_image(const Image& image, const char* caller) {
  CG_CHECK(image.width > 0 && image.height > 0 &&
               image.pixels.size() == static_cast<size_t>(image.width) * image.height * 3,
           caller << ": a " << image.width << "x" << image.height << " RGB image needs "
                  << static_cast<size_t>(image.width) * image.height * 3 << " bytes, it has "
                  << image.pixels.size());
}

}  // namespace

std::string encode_png(const Image& image) {
  check_image(image, "encode_png");
  std::string png;
  CG_CHECK(
      stb::encode_png_rgb(image.pixels.data(), image.width, image.height, &png),
      "encode_png: stb_image_write failed on a " << image.width << "x" << image.height << " image");
  return png;
}

std::string encode_jpeg(const Image& image, int quality) {
  check_image(image, "encode_jpeg");
  CG_CHECK(quality >= 1 && quality <= 100,
           "encode_jpeg: quality " << quality << " is not in 1..100");
  std::string jpeg;
  CG_CHECK(stb::encode_jpeg_rgb(image.pixels.data(), image.width, image.height, quality, &jpeg),
           "encode_jpeg: stb_image_write failed on a " << image.width << "x" << image.height
                                                       << " image");
  return jpeg;
}

void write_png(const std::string& path, const Image& image) {
  files::write_file_atomically(path, encode_png(image));
}

Image decode_png(const std::string& bytes, const std::string& source) {
  CG_CHECK(!bytes.empty() && bytes.size() < static_cast<size_t>(INT_MAX),
           source << ": " << bytes.size() << " bytes is not an image this reader takes");
  Image image;
  std::string reason;
  CG_CHECK(stb::decode_rgb(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(),
                           &image.width, &image.height, &image.pixels, &reason),
           source << ": cannot decode the image (" << reason << ")");
  return image;
}

Image read_png(const std::string& path) { return decode_png(files::read_file(path), path); }

}  // namespace report
}  // namespace cudagrad
