#include "data/augment.h"

#include <algorithm>
#include <cmath>

#include "data/data_error.h"
#include "data/random.h"

namespace cudagrad {
namespace data {

namespace {

constexpr double kPi = 3.14159265358979323846;

// Source index for a position that may lie outside [0, n): -1 means "use
// the fill value".
int fill_index(int i, int n, FillMode mode) {
  if (i >= 0 && i < n) return i;
  switch (mode) {
    case FillMode::nearest:
      return std::clamp(i, 0, n - 1);
    case FillMode::reflect: {
      const int period = 2 * n;  // a b c d d c b a, repeated
      int m = i % period;
      if (m < 0) m += period;
      return m < n ? m : period - 1 - m;
    }
    case FillMode::constant:
      return -1;
  }
  return -1;
}

}  // namespace

AugmentParams draw_augment_params(const AugmentOptions& o, uint64_t seed, int64_t epoch,
                                  int64_t index) {
  SplitMix64 rng(mix_seed(seed, static_cast<uint64_t>(epoch), static_cast<uint64_t>(index)));
  auto sym = [&](double r) { return rng.uniform(-r, r); };  // uniform in [-r, r]
  AugmentParams d;
  d.flip_x = (rng.next() & 1) && o.horizontal_flip;
  d.flip_y = (rng.next() & 1) && o.vertical_flip;
  d.angle = sym(o.rotation_degrees) * kPi / 180;
  d.zoom_x = 1 + sym(o.zoom);
  d.zoom_y = 1 + sym(o.zoom);
  d.shift_x = sym(o.shift);
  d.shift_y = sym(o.shift);
  d.shear = sym(o.shear_degrees) * kPi / 180;
  d.brightness = sym(o.brightness) * 255;
  d.contrast = 1 + sym(o.contrast);
  return d;
}

namespace {

// Output pixel (x, y) samples the source at (a*u + b*v + cx, c*u + d*v + cy),
// u = x - cx - tx, v = y - cy - ty: the inverse of
//   output = shift + rotate * shear * zoom * flip * (source - centre) + centre.
void warp(const uint8_t* src, int w, int h, const AugmentParams& d, FillMode fill,
          uint8_t fill_value, uint8_t* dst) {
  const double cx = (w - 1) / 2.0, cy = (h - 1) / 2.0;
  const double cs = std::cos(d.angle), sn = std::sin(d.angle), tsh = std::tan(d.shear);
  // inverse rotation [[cs, sn], [-sn, cs]], then inverse shear [[1, -tsh], [0, 1]],
  // then inverse zoom and the flips (their own inverses).
  const double r00 = cs - tsh * -sn, r01 = sn - tsh * cs, r10 = -sn, r11 = cs;
  const double fx = (d.flip_x ? -1.0 : 1.0) / d.zoom_x, fy = (d.flip_y ? -1.0 : 1.0) / d.zoom_y;
  const double a = fx * r00, b = fx * r01, c = fy * r10, e = fy * r11;
  const double tx = d.shift_x * w, ty = d.shift_y * h;
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const double u = x - cx - tx, v = y - cy - ty;
      const double sx = a * u + b * v + cx, sy = c * u + e * v + cy;
      const int x0 = static_cast<int>(std::floor(sx)), y0 = static_cast<int>(std::floor(sy));
      const float wx = static_cast<float>(sx - x0), wy = static_cast<float>(sy - y0);
      uint8_t* out = dst + (static_cast<size_t>(y) * w + x) * 3;
      if (x0 >= 0 && y0 >= 0 && x0 + 1 < w && y0 + 1 < h) {
        // All four neighbours inside: the common case, without fill logic.
        const uint8_t* p00 = src + (static_cast<size_t>(y0) * w + x0) * 3;
        const uint8_t* p10 = p00 + static_cast<size_t>(w) * 3;
        const float w00 = (1 - wx) * (1 - wy), w01 = wx * (1 - wy), w10 = (1 - wx) * wy,
                    w11 = wx * wy;
        for (int ch = 0; ch < 3; ++ch) {
          const float v = w00 * p00[ch] + w01 * p00[3 + ch] + w10 * p10[ch] + w11 * p10[3 + ch];
          out[ch] = static_cast<uint8_t>(std::clamp(v + 0.5f, 0.0f, 255.0f));
        }
        continue;
      }
      const int xs[2] = {fill_index(x0, w, fill), fill_index(x0 + 1, w, fill)};
      const int ys[2] = {fill_index(y0, h, fill), fill_index(y0 + 1, h, fill)};
      const float wxs[2] = {1 - wx, wx}, wys[2] = {1 - wy, wy};
      float acc[3] = {0, 0, 0};
      for (int j = 0; j < 2; ++j)
        for (int i = 0; i < 2; ++i) {
          const float wt = wxs[i] * wys[j];
          if (wt == 0) continue;
          if (xs[i] < 0 || ys[j] < 0) {
            for (int ch = 0; ch < 3; ++ch) acc[ch] += wt * fill_value;
          } else {
            const uint8_t* p = src + (static_cast<size_t>(ys[j]) * w + xs[i]) * 3;
            for (int ch = 0; ch < 3; ++ch) acc[ch] += wt * p[ch];
          }
        }
      for (int ch = 0; ch < 3; ++ch)
        out[ch] = static_cast<uint8_t>(std::clamp(acc[ch] + 0.5f, 0.0f, 255.0f));
    }
  }
}

// v -> (v - mean) * contrast + mean + brightness, mean over all channels.
void adjust_colour(uint8_t* img, size_t n, double brightness, double contrast) {
  if (brightness == 0 && contrast == 1) return;
  double sum = 0;
  for (size_t i = 0; i < n; ++i) sum += img[i];
  const double mean = n ? sum / n : 0;
  for (size_t i = 0; i < n; ++i) {
    const double v = (img[i] - mean) * contrast + mean + brightness;
    img[i] = static_cast<uint8_t>(std::clamp(v + 0.5, 0.0, 255.0));
  }
}

}  // namespace

bool AugmentOptions::any() const {
  return horizontal_flip || vertical_flip || rotation_degrees != 0 || zoom != 0 || shift != 0 ||
         shear_degrees != 0 || brightness != 0 || contrast != 0;
}

std::string fill_mode_name(FillMode mode) {
  switch (mode) {
    case FillMode::nearest:
      return "nearest";
    case FillMode::reflect:
      return "reflect";
    case FillMode::constant:
      return "constant";
  }
  return "?";
}

FillMode parse_fill_mode(const std::string& name) {
  for (FillMode m : {FillMode::nearest, FillMode::reflect, FillMode::constant})
    if (fill_mode_name(m) == name) return m;
  data_error("unknown fill mode '", name, "' (use nearest, reflect or constant)");
}

AugmentOptions augment_preset(const std::string& name) {
  AugmentOptions o;
  if (name == "none") return o;
  o.horizontal_flip = true;
  if (name == "flip-rotate") {
    o.rotation_degrees = 60;
  } else if (name == "flip-zoom-shift-rotate") {
    o.zoom = 0.3;
    o.shift = 0.3;
    o.rotation_degrees = 30;
  } else if (name == "flip-zoom-shear") {
    o.zoom = 0.2;
    o.shear_degrees = 0.2;
  } else {
    data_error("unknown augmentation '", name,
               "' (use none, flip-rotate, flip-zoom-shift-rotate or flip-zoom-shear)");
  }
  return o;
}

void apply_augment_params(const uint8_t* src, int width, int height, const AugmentParams& d,
                          FillMode fill, uint8_t fill_value, uint8_t* dst) {
  const size_t n = static_cast<size_t>(width) * height * 3;
  const bool moves = d.flip_x || d.flip_y || d.angle != 0 || d.zoom_x != 1 || d.zoom_y != 1 ||
                     d.shift_x != 0 || d.shift_y != 0 || d.shear != 0;
  if (moves)
    warp(src, width, height, d, fill, fill_value, dst);
  else
    std::copy(src, src + n, dst);
  adjust_colour(dst, n, d.brightness, d.contrast);
}

void augment_image(const uint8_t* src, int width, int height, const AugmentOptions& options,
                   uint64_t seed, int64_t epoch, int64_t index, uint8_t* dst) {
  apply_augment_params(src, width, height, draw_augment_params(options, seed, epoch, index),
                       options.fill, options.fill_value, dst);
}

Normalization Normalization::imagenet() {
  Normalization n;
  const float mean[3] = {0.485f, 0.456f, 0.406f}, std[3] = {0.229f, 0.224f, 0.225f};
  std::copy(mean, mean + 3, n.mean);
  std::copy(std, std + 3, n.std);
  return n;
}

void normalize_to_chw(const uint8_t* hwc, int width, int height, const Normalization& norm,
                      float* chw) {
  const size_t plane = static_cast<size_t>(width) * height;
  for (int c = 0; c < 3; ++c) {
    // (x / 255 - mean) / std = x * scale + offset
    const float scale = 1.0f / (255.0f * norm.std[c]), offset = -norm.mean[c] / norm.std[c];
    float* out = chw + c * plane;
    for (size_t i = 0; i < plane; ++i) out[i] = hwc[3 * i + c] * scale + offset;
  }
}

std::vector<TtaView> tta_views(int n) {
  static const TtaView order[] = {TtaView::identity,      TtaView::horizontal_flip,
                                  TtaView::vertical_flip, TtaView::rotate180,
                                  TtaView::rotate90,      TtaView::rotate270};
  CG_CHECK(n >= 1 && n <= 6, "test-time augmentation takes 1 to 6 views, not " << n);
  return std::vector<TtaView>(order, order + n);
}

void apply_tta_view(const uint8_t* src, int width, int height, TtaView view, uint8_t* dst) {
  const bool turns = view == TtaView::rotate90 || view == TtaView::rotate270;
  CG_CHECK(!turns || width == height,
           "a 90-degree TTA view needs a square image, not " << width << "x" << height);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      int sx = x, sy = y;  // the source pixel that lands at (x, y)
      switch (view) {
        case TtaView::identity:
          break;
        case TtaView::horizontal_flip:
          sx = width - 1 - x;
          break;
        case TtaView::vertical_flip:
          sy = height - 1 - y;
          break;
        case TtaView::rotate180:
          sx = width - 1 - x;
          sy = height - 1 - y;
          break;
        case TtaView::rotate90:
          sx = y;
          sy = width - 1 - x;
          break;  // clockwise
        case TtaView::rotate270:
          sx = height - 1 - y;
          sy = x;
          break;  // counter-clockwise
      }
      const uint8_t* p = src + (static_cast<size_t>(sy) * width + sx) * 3;
      uint8_t* q = dst + (static_cast<size_t>(y) * width + x) * 3;
      q[0] = p[0];
      q[1] = p[1];
      q[2] = p[2];
    }
}

}  // namespace data
}  // namespace cudagrad
