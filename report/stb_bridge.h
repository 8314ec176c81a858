// The two calls into stb_image / stb_image_write that the report library
// makes, behind plain functions. Their implementation (stb_impl.cpp) is the
// one file compiled with warnings off, since it holds third-party code.
//
// stb is compiled there with STB_IMAGE_STATIC / STB_IMAGE_WRITE_STATIC, so
// its symbols stay private to this library and cannot clash with another
// copy of stb linked into the same program (the data pipeline has one).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace cudagrad {
namespace report {
namespace stb {

// RGB pixels (height, width, 3) to PNG bytes; false if stb fails.
bool encode_png_rgb(const uint8_t* pixels, int width, int height, std::string* png);

// RGB pixels to JPEG bytes at quality 1..100; false if stb fails.
bool encode_jpeg_rgb(const uint8_t* pixels, int width, int height, int quality, std::string* jpeg);

// An encoded PNG or JPEG to RGB pixels; on failure false and stb's reason.
bool decode_rgb(const uint8_t* bytes, size_t size, int* width, int* height,
                std::vector<uint8_t>* pixels, std::string* reason);

}  // namespace stb
}  // namespace report
}  // namespace cudagrad
