// Between image.cpp and the TurboJPEG wrapper; not part of the interface.
#pragma once
#include <string>

#include "data/image.h"

namespace cudagrad {
namespace data {
namespace detail {

// Decodes a JPEG with TurboJPEG into `out` (RGB), at the smallest DCT scale
// that keeps it at least min_width x min_height (0: full size). Returns false
// with `error` set on failure; warnings (a truncated file) count as failures.
// image_turbojpeg.cpp implements it; image_no_turbojpeg.cpp when the library
// was not found, always failing.
bool decode_jpeg_turbo(const uint8_t* data, size_t size, int min_width, int min_height, Image& out,
                       std::string& error);

// For the stb_image path: "" when every scan's Huffman tables are defined
// before use and no table lists more than 256 codes, else what is wrong.
// jpeg_tables.cpp explains why stb needs this.
std::string jpeg_table_error(const uint8_t* data, size_t size);

}  // namespace detail
}  // namespace data
}  // namespace cudagrad
