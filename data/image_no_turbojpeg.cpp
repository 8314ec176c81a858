// Built instead of image_turbojpeg.cpp when libjpeg-turbo's TurboJPEG API is
// not installed: JPEGs then go through stb_image.
#include "data/image_internal.h"

namespace cudagrad {
namespace data {

bool turbojpeg_available() { return false; }

namespace detail {
bool decode_jpeg_turbo(const uint8_t*, size_t, int, int, Image&, std::string& error) {
  error = "cudagrad was built without TurboJPEG";
  return false;
}
}  // namespace detail

}  // namespace data
}  // namespace cudagrad
