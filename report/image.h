// The report's raster images: Grad-CAM overlays over photographs, kept as
// pixels and embedded in the page as JPEG (or written as PNG files). The
// charts are not raster images: they are SVG (report/charts.h).
//
// Image is plain RGB; encode_png() / encode_jpeg() turn it into file bytes
// (for embedding in HTML), write_png() into a file, written atomically.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace cudagrad {
namespace report {

// 8-bit RGB, rows top to bottom, channels interleaved: (height, width, 3).
// The same layout as the data pipeline's decoded images.
struct Image {
  int width = 0, height = 0;
  std::vector<uint8_t> pixels;
};

struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
};

inline bool operator==(Rgb a, Rgb b) { return a.r == b.r && a.g == b.g && a.b == b.b; }

// The pixel at column x, row y; an Error outside the image.
Rgb pixel_at(const Image& image, int x, int y);

// a * (1 - t) + b * t, per channel, t clamped to [0, 1].
Rgb mix(Rgb a, Rgb b, double t);

// "#rrggbb", as CSS and SVG write a color.
std::string css_color(Rgb color);

// ---- PNG and JPEG --------------------------------------------------------------------

std::string encode_png(const Image& image);
void write_png(const std::string& path, const Image& image);  // atomic
// JPEG bytes (quality 1..100), for photographs such as Grad-CAM overlays,
// which PNG stores several times larger.
std::string encode_jpeg(const Image& image, int quality = 90);
// PNG (or JPEG) bytes to RGB; cudagrad::Error naming `source` if undecodable.
Image decode_png(const std::string& bytes, const std::string& source);
Image read_png(const std::string& path);

// ---- Grad-CAM ----------------------------------------------------------------------

// The heat colormap used for Grad-CAM: piecewise linear in RGB through
// dark blue (0), cyan (1/3), yellow (2/3) and red (1). t is clamped to [0, 1].
Rgb heat_color(double t);

// Lays a heat map over an image: the map (heat_height x heat_width, row
// major, any size, any range) is scaled to [0, 1] by its minimum and
// maximum (all zeros when flat), resized to the image bilinearly (pixel
// centers aligned, as cv2.resize and PyTorch's align_corners=False do),
// colored by heat_color(), and blended: out = (1 - alpha) image + alpha color.
Image gradcam_overlay(const Image& image, const std::vector<float>& heat, int heat_height,
                      int heat_width, double alpha = 0.45);

}  // namespace report
}  // namespace cudagrad
