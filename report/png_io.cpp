// PNG files: encoding through stb_image_write, atomic writing, decoding.
// stb itself is compiled once, in base/stb_impl.cpp.
#include <stb_image.h>
#include <stb_image_write.h>

#include <climits>

#include "base/error.h"
#include "base/files.h"
#include "report/image.h"

namespace cudagrad {
namespace report {

namespace {

// stb_image_write hands its output to a callback in pieces; this one appends
// them to a std::string.
void append(void* context, void* data, int size) {
  static_cast<std::string*>(context)->append(static_cast<const char*>(data), size);
}

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
      stbi_write_png_to_func(append, &png, image.width, image.height, 3, image.pixels.data(),
                             image.width * 3) != 0,
      "encode_png: stb_image_write failed on a " << image.width << "x" << image.height << " image");
  return png;
}

std::string encode_jpeg(const Image& image, int quality) {
  check_image(image, "encode_jpeg");
  CG_CHECK(quality >= 1 && quality <= 100,
           "encode_jpeg: quality " << quality << " is not in 1..100");
  std::string jpeg;
  CG_CHECK(stbi_write_jpg_to_func(append, &jpeg, image.width, image.height, 3,
                                  image.pixels.data(), quality) != 0,
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
  int channels = 0;
  stbi_uc* pixels = stbi_load_from_memory(reinterpret_cast<const stbi_uc*>(bytes.data()),
                                          static_cast<int>(bytes.size()), &image.width,
                                          &image.height, &channels, 3);
  CG_CHECK(pixels, source << ": cannot decode the image ("
                          << (stbi_failure_reason() ? stbi_failure_reason() : "unknown") << ")");
  image.pixels.assign(pixels, pixels + static_cast<size_t>(image.width) * image.height * 3);
  stbi_image_free(pixels);
  return image;
}

Image read_png(const std::string& path) { return decode_png(files::read_file(path), path); }

}  // namespace report
}  // namespace cudagrad
