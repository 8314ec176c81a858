// An RGB raster and the few drawing operations the charts need: filled
// rectangles, thick anti-aliased lines and dots, and text in the built-in
// 5x7 font (report/font5x7.h) at an integer scale.
//
// Coordinates are in pixels, x to the right and y down, with pixel (x, y)
// covering the square [x, x+1) x [y, y+1); its center is (x + 0.5, y + 0.5).
// Everything is clipped to the image, so callers need not check bounds.
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

Rgb pixel_at(const Image& image, int x, int y);

// a * (1 - t) + b * t, per channel, t in [0, 1].
Rgb mix(Rgb a, Rgb b, double t);

enum class Align { Left, Center, Right };

class Canvas {
 public:
  Canvas(int width, int height, Rgb background);

  int width() const { return image_.width; }
  int height() const { return image_.height; }
  const Image& image() const { return image_; }

  // Blends `color` over pixel (x, y) with opacity `coverage` in [0, 1].
  void blend(int x, int y, Rgb color, double coverage);
  void fill_rect(int x, int y, int w, int h, Rgb color);
  void outline_rect(int x, int y, int w, int h, Rgb color);  // 1-pixel border
  void paste(const Image& src, int x, int y);  // copies src with its top left at (x, y)

  // A segment of the given thickness with round ends. Each pixel is covered
  // by how far its center lies inside the stroke (a one-pixel ramp at the
  // edge), which smooths the staircase of slanted lines.
  void line(double x0, double y0, double x1, double y1, Rgb color, double thickness);
  void dot(double cx, double cy, double radius, Rgb color);

  // Text whose 9-row cell has its top at y; `x` is the left edge, center or
  // right edge per `align`. scale 2 draws each font pixel as 2 x 2.
  void text(int x, int y, const std::string& s, Rgb color, int scale = 2,
            Align align = Align::Left);
  // The same turned a quarter left, reading bottom to top (a y-axis
  // label), centered on (cx, cy).
  void text_vertical(int cx, int cy, const std::string& s, Rgb color, int scale = 2);

  static int text_width(const std::string& s, int scale);
  static int text_height(int scale);

 private:
  Image image_;
};

}  // namespace report
}  // namespace cudagrad
