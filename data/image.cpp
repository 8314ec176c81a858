// Reading image files and choosing a decoder; resizing is in image_resize.cpp.
#include "data/image.h"

#include <stb_image.h>
#include <stb_image_write.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "base/files.h"
#include "data/data_error.h"
#include "data/image_internal.h"

namespace cudagrad {
namespace data {

namespace {

constexpr size_t kMaxFileBytes = size_t(1) << 28;  // 256 MiB: no dermoscopy image is near it

bool is_jpeg(const uint8_t* d, size_t n) {
  return n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF;
}
bool is_png(const uint8_t* d, size_t n) {
  return n >= 8 && std::memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0;
}

// The whole image file; a folder, an unreadable file or one above
// kMaxFileBytes is an Error naming it.
std::string read_image_file(const std::string& path) {
  return files::read_file(path, "an image file", kMaxFileBytes);
}

// Width and height from the file header, read here rather than trusted to a
// decoder so that an absurd size is refused with a clear message before any
// buffer is sized from it. PNG: the IHDR chunk at a fixed offset. JPEG: walk
// the marker segments to the first start-of-frame (SOF0..SOF15, which are
// C0..CF except C4 DHT, C8 JPG and CC DAC).
bool read_dimensions(const uint8_t* d, size_t n, bool png, int& width, int& height) {
  auto be16 = [&](size_t i) { return (static_cast<uint32_t>(d[i]) << 8) | d[i + 1]; };
  auto be32 = [&](size_t i) { return (be16(i) << 16) | be16(i + 2); };
  if (png) {
    if (n < 24 || std::memcmp(d + 12, "IHDR", 4) != 0) return false;
    width = static_cast<int>(std::min<uint32_t>(be32(16), INT32_MAX));
    height = static_cast<int>(std::min<uint32_t>(be32(20), INT32_MAX));
    return true;
  }
  size_t i = 2;  // after the start-of-image marker FF D8
  while (i + 4 <= n) {
    if (d[i] != 0xFF) return false;
    const uint8_t marker = d[i + 1];
    if (marker == 0xFF) {  // fill byte
      ++i;
      continue;
    }
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {  // no length field
      i += 2;
      continue;
    }
    if (marker == 0xDA || marker == 0xD9) return false;  // scan data or the end, and no frame yet
    const bool frame =
        marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (frame) {
      if (i + 9 > n) return false;
      height = static_cast<int>(be16(i + 5));
      width = static_cast<int>(be16(i + 7));
      return true;
    }
    i += 2 + be16(i + 2);
  }
  return false;
}

// stb_image path: the pixels as RGB (the size was checked by the caller).
Image decode_with_stb(const uint8_t* data, size_t size, const std::string& name, const char* kind) {
  const int len = static_cast<int>(size);  // size <= kMaxFileBytes fits an int
  int w = 0, h = 0, c = 0;
  uint8_t* pixels = stbi_load_from_memory(data, len, &w, &h, &c, 3);  // 3: convert to RGB
  if (!pixels) data_error(name, ": corrupt ", kind, " (", stbi_failure_reason(), ")");
  Image image;
  image.width = w;
  image.height = h;
  image.pixels.assign(pixels, pixels + static_cast<size_t>(w) * h * 3);
  stbi_image_free(pixels);
  return image;
}

// stb_image decodes a cut-off JPEG without complaint (the rest comes out
// grey), so on that path we look for the end-of-image marker ourselves.
// Bytes after it (some cameras append data) are allowed.
bool jpeg_has_end_marker(const uint8_t* d, size_t n) {
  for (size_t i = n; i >= 2; --i)
    if (d[i - 2] == 0xFF && d[i - 1] == 0xD9) return true;
  return false;
}

JpegDecoder resolve(JpegDecoder decoder) {
  if (decoder != JpegDecoder::automatic) return decoder;
  return turbojpeg_available() ? JpegDecoder::turbojpeg : JpegDecoder::stb;
}

}  // namespace

std::string jpeg_decoder_name(JpegDecoder decoder) {
  return resolve(decoder) == JpegDecoder::turbojpeg ? "turbojpeg" : "stb";
}

Image decode_image_bytes(const uint8_t* data, size_t size, const std::string& name,
                         JpegDecoder decoder, int min_width, int min_height) {
  if (size == 0) data_error(name, ": empty file (0 bytes)");
  if (size > kMaxFileBytes)
    data_error(name, ": larger than ", kMaxFileBytes >> 20, " MiB, too large for an image file");
  const bool png = is_png(data, size);
  if (!png && !is_jpeg(data, size)) data_error(name, ": not a JPEG or PNG file");
  const char* kind = png ? "PNG" : "JPEG";
  int width = 0, height = 0;
  if (!read_dimensions(data, size, png, width, height))
    data_error(name, ": corrupt ", kind, " (no readable header)");
  if (width <= 0 || height <= 0 || width > kMaxImageSide || height > kMaxImageSide)
    data_error(name, ": ", width, "x", height, " pixels is outside 1..", kMaxImageSide,
               " per side");
  if (png) return decode_with_stb(data, size, name, kind);

  if (resolve(decoder) == JpegDecoder::turbojpeg) {
    if (!turbojpeg_available()) data_error(name, ": cudagrad was built without TurboJPEG");
    Image image;
    std::string error;
    if (!detail::decode_jpeg_turbo(data, size, min_width, min_height, image, error))
      data_error(name, ": corrupt JPEG (", error, ")");
    return image;
  }
  if (!jpeg_has_end_marker(data, size))
    data_error(name, ": corrupt JPEG (truncated: no end-of-image marker)");
  const std::string tables = detail::jpeg_table_error(data, size);
  if (!tables.empty()) data_error(name, ": corrupt JPEG (", tables, ")");
  return decode_with_stb(data, size, name, kind);
}

Image decode_image(const std::string& path, JpegDecoder decoder) {
  const std::string bytes = read_image_file(path);
  return decode_image_bytes(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), path,
                            decoder);
}

Image load_resized(const std::string& path, int width, int height, JpegDecoder decoder) {
  const std::string bytes = read_image_file(path);
  Image image = decode_image_bytes(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(),
                                   path, decoder, width, height);
  if (image.width == width && image.height == height) return image;
  return resize(image, width, height);
}

void write_image(const std::string& path, const Image& image, int jpeg_quality) {
  CG_CHECK(image.width > 0 && image.height > 0 &&
               image.pixels.size() == static_cast<size_t>(image.width) * image.height * 3,
           "write_image: " << image.width << "x" << image.height << " image with "
                           << image.pixels.size() << " bytes");
  const bool png = path.size() >= 4 && path.compare(path.size() - 4, 4, ".png") == 0;
  // Encoded in memory, then written through the one writer, which checks
  // the target and replaces it atomically.
  std::string bytes;
  auto append = [](void* context, void* data, int size) {
    static_cast<std::string*>(context)->append(static_cast<const char*>(data),
                                               static_cast<size_t>(size));
  };
  const int ok = png ? stbi_write_png_to_func(append, &bytes, image.width, image.height, 3,
                                              image.pixels.data(), image.width * 3)
                     : stbi_write_jpg_to_func(append, &bytes, image.width, image.height, 3,
                                              image.pixels.data(), jpeg_quality);
  if (!ok) data_error(path, ": cannot encode image");
  files::write_file_atomically(path, bytes);
}

}  // namespace data
}  // namespace cudagrad
