#include "report/image.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "base/error.h"

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

std::string css_color(Rgb color) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x", color.r, color.g, color.b);
  return buf;
}

}  // namespace report
}  // namespace cudagrad
