// Decoding JPEG / PNG files to 8-bit RGB and resizing them.
//
// Two JPEG decoders: stb_image (always built) and libjpeg-turbo's TurboJPEG
// API (when found at build time). TurboJPEG is the faster one and can also
// decode at 1/2, 1/4 or 1/8 scale straight from the DCT coefficients, which
// skips most of the work when the target is much smaller than the file
// (600x450 -> 224x224 decodes at 300x225). bench/data_throughput.cpp
// measures both. PNG always goes through stb_image.
//
// Every failure is a cudagrad::Error naming the file: unreadable, empty,
// neither JPEG nor PNG, corrupt or truncated, or larger than kMaxImageSide
// (checked from the header, before any buffer is sized from it).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace cudagrad {
namespace data {

constexpr int kMaxImageSide = 16384;

// 8-bit RGB, rows top to bottom, channels interleaved.
struct Image {
  int width = 0, height = 0;
  std::vector<uint8_t> pixels;  // (height, width, 3)
};

enum class JpegDecoder { automatic, stb, turbojpeg };  // automatic: TurboJPEG when built in

bool turbojpeg_available();
std::string jpeg_decoder_name(JpegDecoder decoder);  // "stb", "turbojpeg"; automatic resolved

// Decodes a whole file. Grayscale becomes RGB; an alpha channel is dropped.
Image decode_image(const std::string& path, JpegDecoder decoder = JpegDecoder::automatic);

// The same from bytes in memory; `name` is used in error messages.
// min_width / min_height > 0 allow TurboJPEG's reduced-scale decoding as long
// as the result is at least that large.
Image decode_image_bytes(const uint8_t* data, size_t size, const std::string& name,
                         JpegDecoder decoder = JpegDecoder::automatic, int min_width = 0,
                         int min_height = 0);

// Resamples to width x height. Shrinking averages over the exact area each
// output pixel covers (a box filter with fractional edges: no aliasing);
// enlarging interpolates bilinearly. Each axis chooses on its own.
Image resize(const Image& src, int width, int height);

// Decode + resize, the step that fills a cache entry.
Image load_resized(const std::string& path, int width, int height,
                   JpegDecoder decoder = JpegDecoder::automatic);

// (H, W, 3) interleaved -> (3, H, W) planar.
void hwc_to_chw(const uint8_t* hwc, int width, int height, uint8_t* chw);

// Writes a JPEG (quality 1..100) or, for a .png name, a PNG.
void write_image(const std::string& path, const Image& image, int jpeg_quality = 92);

}  // namespace data
}  // namespace cudagrad
