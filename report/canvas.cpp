#include "report/canvas.h"

#include <algorithm>
#include <cmath>

#include "base/error.h"
#include "report/font5x7.h"

namespace cudagrad {
namespace report {

Rgb pixel_at(const Image& image, int x, int y) {
  CG_CHECK(x >= 0 && x < image.width && y >= 0 && y < image.height,
           "pixel (" << x << ", " << y << ") is outside a " << image.width << "x" << image.height
                     << " image");
  const uint8_t* p = &image.pixels[(static_cast<size_t>(y) * image.width + x) * 3];
  return {p[0], p[1], p[2]};
}

Rgb mix(Rgb a, Rgb b, double t) {
  t = std::clamp(t, 0.0, 1.0);
  auto channel = [t](uint8_t u, uint8_t v) {
    return static_cast<uint8_t>(std::lround(u + (v - u) * t));
  };
  return {channel(a.r, b.r), channel(a.g, b.g), channel(a.b, b.b)};
}

Canvas::Canvas(int width, int height, Rgb background) {
  CG_CHECK(width > 0 && height > 0 && width <= 16384 && height <= 16384,
           "canvas size " << width << "x" << height << " is not in 1..16384");
  image_.width = width;
  image_.height = height;
  image_.pixels.resize(static_cast<size_t>(width) * height * 3);
  for (size_t i = 0; i < image_.pixels.size(); i += 3) {
    image_.pixels[i] = background.r;
    image_.pixels[i + 1] = background.g;
    image_.pixels[i + 2] = background.b;
  }
}

void Canvas::blend(int x, int y, Rgb color, double coverage) {
  if (x < 0 || y < 0 || x >= image_.width || y >= image_.height || coverage <= 0) return;
  uint8_t* p = &image_.pixels[(static_cast<size_t>(y) * image_.width + x) * 3];
  const Rgb out = mix({p[0], p[1], p[2]}, color, coverage);
  p[0] = out.r;
  p[1] = out.g;
  p[2] = out.b;
}

void Canvas::fill_rect(int x, int y, int w, int h, Rgb color) {
  const int x0 = std::max(x, 0), x1 = std::min(x + w, image_.width);
  const int y0 = std::max(y, 0), y1 = std::min(y + h, image_.height);
  for (int yy = y0; yy < y1; ++yy)
    for (int xx = x0; xx < x1; ++xx) blend(xx, yy, color, 1.0);
}

void Canvas::outline_rect(int x, int y, int w, int h, Rgb color) {
  fill_rect(x, y, w, 1, color);
  fill_rect(x, y + h - 1, w, 1, color);
  fill_rect(x, y, 1, h, color);
  fill_rect(x + w - 1, y, 1, h, color);
}

void Canvas::paste(const Image& src, int x, int y) {
  for (int sy = 0; sy < src.height; ++sy)
    for (int sx = 0; sx < src.width; ++sx) blend(x + sx, y + sy, pixel_at(src, sx, sy), 1.0);
}

void Canvas::line(double x0, double y0, double x1, double y1, Rgb color, double thickness) {
  const double half = thickness / 2;
  const int left = static_cast<int>(std::floor(std::min(x0, x1) - half - 1));
  const int right = static_cast<int>(std::ceil(std::max(x0, x1) + half + 1));
  const int top = static_cast<int>(std::floor(std::min(y0, y1) - half - 1));
  const int bottom = static_cast<int>(std::ceil(std::max(y0, y1) + half + 1));
  const double dx = x1 - x0, dy = y1 - y0, length2 = dx * dx + dy * dy;
  for (int y = std::max(top, 0); y <= std::min(bottom, image_.height - 1); ++y)
    for (int x = std::max(left, 0); x <= std::min(right, image_.width - 1); ++x) {
      // Distance from the pixel center to the nearest point of the segment.
      const double px = x + 0.5 - x0, py = y + 0.5 - y0;
      const double t = length2 > 0 ? std::clamp((px * dx + py * dy) / length2, 0.0, 1.0) : 0.0;
      const double distance = std::hypot(px - t * dx, py - t * dy);
      blend(x, y, color, half + 0.5 - distance);
    }
}

void Canvas::dot(double cx, double cy, double radius, Rgb color) {
  line(cx, cy, cx, cy, color, 2 * radius);
}

int Canvas::text_width(const std::string& s, int scale) {
  return s.empty() ? 0 : (static_cast<int>(s.size()) * kGlyphAdvance - 1) * scale;
}

int Canvas::text_height(int scale) { return kGlyphCellHeight * scale; }

void Canvas::text(int x, int y, const std::string& s, Rgb color, int scale, Align align) {
  const int w = text_width(s, scale);
  if (align == Align::Center) x -= w / 2;
  if (align == Align::Right) x -= w;
  for (size_t i = 0; i < s.size(); ++i) {
    const int left = x + static_cast<int>(i) * kGlyphAdvance * scale;
    for (int gy = 0; gy < kGlyphCellHeight; ++gy)
      for (int gx = 0; gx < kGlyphWidth; ++gx)
        if (glyph_pixel(s[i], gx, gy))
          fill_rect(left + gx * scale, y + gy * scale, scale, scale, color);
  }
}

void Canvas::text_vertical(int cx, int cy, const std::string& s, Rgb color, int scale) {
  // Turning a quarter left maps glyph column gx to a row counted up from
  // the baseline end, and glyph row gy to a column from the left.
  const int w = text_width(s, scale), h = text_height(scale);
  const int bottom = cy + w / 2, left = cx - h / 2;
  for (size_t i = 0; i < s.size(); ++i) {
    const int start = bottom - static_cast<int>(i) * kGlyphAdvance * scale;
    for (int gy = 0; gy < kGlyphCellHeight; ++gy)
      for (int gx = 0; gx < kGlyphWidth; ++gx)
        if (glyph_pixel(s[i], gx, gy))
          fill_rect(left + gy * scale, start - (gx + 1) * scale, scale, scale, color);
  }
}

}  // namespace report
}  // namespace cudagrad
