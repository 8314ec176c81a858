// Grad-CAM overlays: a coarse heat map (7x7 for ResNet-18 at 224 px)
// stretched over the input image in color.
#include <algorithm>
#include <cmath>

#include "base/error.h"
#include "report/image.h"

namespace cudagrad {
namespace report {

Rgb heat_color(double t) {
  // Four stops, evenly spaced; between two stops each channel is linear.
  static const Rgb stops[] = {{0, 0, 160}, {0, 200, 255}, {255, 230, 0}, {220, 0, 0}};
  t = std::clamp(std::isfinite(t) ? t : 0.0, 0.0, 1.0) * 3;
  const int i = std::min(static_cast<int>(t), 2);
  return mix(stops[i], stops[i + 1], t - i);
}

Image gradcam_overlay(const Image& image, const std::vector<float>& heat, int heat_height,
                      int heat_width, double alpha) {
  CG_CHECK(image.width > 0 && image.height > 0 &&
               image.pixels.size() == static_cast<size_t>(image.width) * image.height * 3,
           "gradcam_overlay: the image is not " << image.width << "x" << image.height << " RGB");
  CG_CHECK(heat_height > 0 && heat_width > 0 &&
               heat.size() == static_cast<size_t>(heat_height) * heat_width,
           "gradcam_overlay: the heat map holds " << heat.size() << " values, not " << heat_height
                                                  << " x " << heat_width);
  CG_CHECK(alpha >= 0 && alpha <= 1, "gradcam_overlay: alpha " << alpha << " is not in [0, 1]");

  // Scale to [0, 1] first; bilinear resizing commutes with it, and the small
  // map is cheaper. Non-finite values count as the minimum.
  float lo = INFINITY, hi = -INFINITY;
  for (float v : heat)
    if (std::isfinite(v)) {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  std::vector<float> unit(heat.size(), 0.f);
  if (hi > lo)
    for (size_t i = 0; i < heat.size(); ++i)
      unit[i] = std::isfinite(heat[i]) ? (heat[i] - lo) / (hi - lo) : 0.f;

  // Output pixel x samples the map at (x + 0.5) * w / W - 0.5: pixel centers
  // line up, and the edge pixels clamp to the edge of the map.
  auto source = [](int out, int out_size, int in_size, int* i0, int* i1, double* frac) {
    const double s = std::clamp((out + 0.5) * in_size / out_size - 0.5, 0.0, in_size - 1.0);
    *i0 = static_cast<int>(s);
    *i1 = std::min(*i0 + 1, in_size - 1);
    *frac = s - *i0;
  };
  Image out = image;
  for (int y = 0; y < image.height; ++y) {
    int y0, y1;
    double fy;
    source(y, image.height, heat_height, &y0, &y1, &fy);
    for (int x = 0; x < image.width; ++x) {
      int x0, x1;
      double fx;
      source(x, image.width, heat_width, &x0, &x1, &fx);
      auto at = [&](int yy, int xx) { return unit[static_cast<size_t>(yy) * heat_width + xx]; };
      const double t = (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x1)) +
                       fy * ((1 - fx) * at(y1, x0) + fx * at(y1, x1));
      uint8_t* p = &out.pixels[(static_cast<size_t>(y) * image.width + x) * 3];
      const Rgb blended = mix({p[0], p[1], p[2]}, heat_color(t), alpha);
      p[0] = blended.r;
      p[1] = blended.g;
      p[2] = blended.b;
    }
  }
  return out;
}

}  // namespace report
}  // namespace cudagrad
