// JPEG decoding through libjpeg-turbo's TurboJPEG API.
#include <turbojpeg.h>

#include <memory>

#include "data/image_internal.h"

namespace cudagrad {
namespace data {

bool turbojpeg_available() { return true; }

namespace detail {

namespace {

// One decompressor per thread: a tjhandle must not be used by two threads
// at once, and making one per image would cost an allocation each time.
// After a failed decode the handle is replaced: libjpeg-turbo 2.1 can keep
// state from a corrupt file that makes the next, valid file fail ("Bogus
// Huffman table definition"), so one bad image would poison a thread.
struct HandleCloser {
  void operator()(void* h) const { tjDestroy(h); }
};
std::unique_ptr<void, HandleCloser>& thread_handle() {
  thread_local std::unique_ptr<void, HandleCloser> handle(tjInitDecompress());
  return handle;
}

bool fail(std::string& error, const std::string& message) {
  error = message;
  thread_handle().reset(tjInitDecompress());
  return false;
}

}  // namespace

bool decode_jpeg_turbo(const uint8_t* data, size_t size, int min_width, int min_height, Image& out,
                       std::string& error) {
  tjhandle h = thread_handle().get();
  if (!h) return fail(error, "cannot start the TurboJPEG decoder");
  int width = 0, height = 0, subsampling = 0, colorspace = 0;
  if (tjDecompressHeader3(h, data, static_cast<unsigned long>(size), &width, &height, &subsampling,
                          &colorspace) != 0)
    return fail(error, tjGetErrorStr2(h));
  if (width <= 0 || height <= 0 || width > kMaxImageSide || height > kMaxImageSide)
    return fail(error, std::to_string(width) + "x" + std::to_string(height) +
                           " pixels is outside 1.." + std::to_string(kMaxImageSide) + " per side");
  // The smallest DCT scale (num/denom: 1/8 .. 1) that still covers the
  // minimum size; with no minimum (0), full size.
  const int need_width = min_width > 0 ? min_width : width;
  const int need_height = min_height > 0 ? min_height : height;
  int count = 0;
  const tjscalingfactor* factors = tjGetScalingFactors(&count);
  tjscalingfactor chosen = {1, 1};
  for (int i = 0; factors && i < count; ++i) {
    const tjscalingfactor f = factors[i];
    if (f.num > f.denom) continue;  // never enlarge
    const int w = TJSCALED(width, f), hh = TJSCALED(height, f);
    if (w >= need_width && hh >= need_height && w < TJSCALED(width, chosen)) chosen = f;
  }
  out.width = TJSCALED(width, chosen);
  out.height = TJSCALED(height, chosen);
  out.pixels.assign(static_cast<size_t>(out.width) * out.height * 3, 0);
  // STOPONWARNING turns "premature end of data" into an error instead of a
  // grey lower half; LIMITSCANS refuses progressive files built to stall.
  const int flags = TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS;
  if (tjDecompress2(h, data, static_cast<unsigned long>(size), out.pixels.data(), out.width, 0,
                    out.height, TJPF_RGB, flags) != 0)
    return fail(error, tjGetErrorStr2(h));
  return true;
}

}  // namespace detail
}  // namespace data
}  // namespace cudagrad
