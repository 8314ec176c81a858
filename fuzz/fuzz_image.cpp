// Image decode + resize on arbitrary bytes, through every JPEG decoder that
// was built (stb_image always, TurboJPEG when found) and TurboJPEG's
// reduced-scale path, then resized both smaller and larger.
//
// An image that decodes must be a real one: both sides in 1..kMaxImageSide
// and exactly width * height * 3 bytes of pixels.
#include <cstdint>
#include <vector>

#include "base/error.h"
#include "data/image.h"
#include "fuzz/fuzz_check.h"

using namespace cudagrad::data;

namespace {

void check_image(const Image& im) {
  FUZZ_CHECK(im.width >= 1 && im.width <= kMaxImageSide);
  FUZZ_CHECK(im.height >= 1 && im.height <= kMaxImageSide);
  FUZZ_CHECK(im.pixels.size() == static_cast<size_t>(im.width) * im.height * 3);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<JpegDecoder> decoders = {JpegDecoder::stb};
  if (turbojpeg_available()) decoders.push_back(JpegDecoder::turbojpeg);
  for (JpegDecoder decoder : decoders) {
    try {
      Image im = decode_image_bytes(data, size, "fuzz.img", decoder);
      check_image(im);
      for (auto [w, h] : {std::pair{7, 5}, std::pair{40, 3}}) {  // shrink and/or enlarge
        Image small = resize(im, w, h);
        check_image(small);
        FUZZ_CHECK(small.width == w && small.height == h);
      }
    } catch (const cudagrad::Error&) {
    }
  }
  if (turbojpeg_available()) {
    try {  // decoding at 1/2 .. 1/8 scale straight from the DCT coefficients
      Image im = decode_image_bytes(data, size, "fuzz.img", JpegDecoder::turbojpeg, 4, 4);
      check_image(im);
    } catch (const cudagrad::Error&) {
    }
  }
  return 0;
}
