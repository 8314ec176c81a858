// Procedural lesions: skin with a little noise, a lesion whose border is a
// circle with a few harmonics added (irregular for melanoma, near round for
// a naevus), coloured and textured by class, a dark dermatoscope vignette,
// and sometimes hairs.
#include "data/sample_draw.h"

#include <algorithm>
#include <cmath>

#include "data/random.h"

namespace cudagrad {
namespace data {
namespace detail {

namespace {

constexpr double kPi = 3.14159265358979323846;

// Smooth value noise in [0, 1): random values on an integer grid, blended
// with a smoothstep. Two octaves give blotches with some grain.
double lattice(int64_t x, int64_t y, uint64_t seed) {
  // One round of splitmix64's mixing over the combined coordinates: cheap,
  // and plenty random for pictures.
  uint64_t z = seed ^ (static_cast<uint64_t>(x) * 0x9E3779B97F4A7C15ull) ^
               (static_cast<uint64_t>(y) * 0xC2B2AE3D27D4EB4Full);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) * (1.0 / 9007199254740992.0);
}
double value_noise(double x, double y, uint64_t seed) {
  const double fx = std::floor(x), fy = std::floor(y);
  const int64_t ix = static_cast<int64_t>(fx), iy = static_cast<int64_t>(fy);
  double tx = x - fx, ty = y - fy;
  tx = tx * tx * (3 - 2 * tx);
  ty = ty * ty * (3 - 2 * ty);
  const double a = lattice(ix, iy, seed), b = lattice(ix + 1, iy, seed);
  const double c = lattice(ix, iy + 1, seed), d = lattice(ix + 1, iy + 1, seed);
  return (a + (b - a) * tx) * (1 - ty) + (c + (d - c) * tx) * ty;
}
double noise2(double x, double y, uint64_t seed) {
  return (2 * value_noise(x, y, seed) + value_noise(2 * x, 2 * y, seed + 1)) / 3;
}

struct Rgb {
  double r, g, b;
};
Rgb mix(Rgb a, Rgb b, double t) {
  return {a.r + (b.r - a.r) * t, a.g + (b.g - a.g) * t, a.b + (b.b - a.b) * t};
}

// The lesion's colour at lesion coordinates (u, v) in pixels, t = distance
// from the centre relative to the border (0 centre, 1 border).
Rgb lesion_colour(const LesionLook& l, double u, double v, double t) {
  const uint64_t s = l.texture_seed;
  const double coarse = noise2(u / 28, v / 28, s), fine = value_noise(u / 4, v / 4, s + 7);
  switch (l.dx) {
    case 0: {  // akiec: red, rough, white-yellow scale
      Rgb c = mix({205, 115, 105}, {180, 90, 85}, coarse);
      c = mix(c, {130, 70, 65}, 0.35 * fine);
      if (fine > 0.72 && coarse > 0.4) c = {236, 226, 206};
      return c;
    }
    case 1: {  // bcc: translucent pink, branching red vessels, blue-grey nests
      Rgb c = mix({222, 160, 160}, {205, 135, 140}, coarse);
      const double vessel = std::fabs(std::sin(u / 11 + 4 * noise2(v / 40, u / 40, s + 3)));
      const double branch = std::fabs(std::sin(v / 13 + 4 * noise2(u / 35, v / 35, s + 4)));
      if (vessel < 0.07 || (branch < 0.05 && coarse > 0.5)) c = {165, 25, 40};
      if (noise2(u / 18, v / 18, s + 5) > 0.74) c = {95, 105, 135};
      return c;
    }
    case 2: {  // bkl: tan, waxy, light dots (milia-like cysts) and dark ridges
      Rgb c = mix({175, 135, 95}, {140, 100, 70}, coarse);
      if (std::sin((u + 12 * coarse) / 5) > 0.75) c = mix(c, {95, 65, 45}, 0.6);
      if (fine > 0.85) c = {215, 200, 160};
      return c;
    }
    case 3: {  // df: light brown ring, white scar-like centre
      Rgb ring = mix({180, 130, 95}, {150, 105, 75}, coarse);
      return t < 0.45 ? mix({238, 225, 215}, ring, std::max(0.0, (t - 0.3) / 0.15)) : ring;
    }
    case 4: {  // mel: dark, several colours, blotchy
      Rgb c = mix({105, 65, 45}, {70, 42, 32}, coarse);
      const double n = noise2(u / 20, v / 20, s + 9);
      if (n > 0.66) c = {35, 22, 22};
      if (n < 0.30) c = {105, 115, 145};
      if (noise2(u / 30, v / 30, s + 10) > 0.8) c = {205, 195, 195};
      return c;
    }
    case 5: {  // nv: smooth brown, darker centre, faint network
      Rgb c = mix({110, 70, 48}, {165, 115, 85}, t);
      if (std::sin(u / 5) * std::sin(v / 5) > 0.55) c = mix(c, {85, 55, 40}, 0.35);
      return c;
    }
    default: {  // vasc: red-purple lobules with darker septa
      Rgb c = mix({185, 35, 55}, {115, 25, 75}, coarse);
      if (std::fabs(noise2(u / 16, v / 16, s + 11) - 0.5) < 0.04) c = {80, 20, 40};
      return c;
    }
  }
}

// How sharply the lesion fades into the skin: the border zone, as a
// fraction of the radius.
double edge_width(int dx) {
  switch (dx) {
    case 1:
      return 0.25;  // bcc: pearly, soft
    case 3:
      return 0.30;  // df: fades out
    case 4:
      return 0.06;  // mel: abrupt
    default:
      return 0.12;
  }
}

}  // namespace

LesionLook random_lesion(int dx, uint64_t seed) {
  SplitMix64 rng(seed);
  // radius range and border wobble per class: akiec bcc bkl df mel nv vasc
  static const double radius_lo[7] = {70, 70, 90, 45, 110, 70, 50},
                      radius_hi[7] = {120, 110, 140, 70, 160, 110, 90};
  static const double wobble[7] = {0.10, 0.07, 0.06, 0.03, 0.18, 0.03, 0.09};
  LesionLook l;
  l.dx = dx;
  l.radius = rng.uniform(radius_lo[dx], radius_hi[dx]);
  for (int k = 0; k < 4; ++k) {
    l.amplitude[k] = wobble[dx] * rng.uniform(0.3, 1.0) / (1 + 0.5 * k);
    l.phase[k] = rng.uniform(0, 2 * kPi);
  }
  const double tone = rng.uniform(-18, 18);
  l.skin[0] = 228 + tone;
  l.skin[1] = 182 + tone;
  l.skin[2] = 162 + tone;
  l.texture_seed = rng.next();
  return l;
}

PictureView random_view(uint64_t seed) {
  SplitMix64 rng(seed);
  PictureView v;
  v.angle = rng.uniform(0, 2 * kPi);
  v.scale = rng.uniform(0.85, 1.15);
  v.dx = rng.uniform(-40, 40);
  v.dy = rng.uniform(-30, 30);
  v.light = rng.uniform(0.9, 1.08);
  v.hairs = static_cast<int>(rng.below(4));
  v.noise_seed = rng.next();
  return v;
}

Image draw_lesion(const LesionLook& l, const PictureView& view, int width, int height) {
  Image img;
  img.width = width;
  img.height = height;
  img.pixels.resize(static_cast<size_t>(width) * height * 3);
  const double cx = width / 2.0 + view.dx, cy = height / 2.0 + view.dy;
  const double cs = std::cos(view.angle), sn = std::sin(view.angle);
  const double half_diagonal = 0.5 * std::hypot(width, height);
  // Hairs: lines through random points at random angles.
  SplitMix64 rng(view.noise_seed);
  double hair_x[4], hair_y[4], hair_sin[4], hair_cos[4];
  for (int h = 0; h < view.hairs && h < 4; ++h) {
    hair_x[h] = rng.uniform(0, width);
    hair_y[h] = rng.uniform(0, height);
    const double a = rng.uniform(0, kPi);
    hair_sin[h] = std::sin(a);
    hair_cos[h] = std::cos(a);
  }
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      // Skin: base tone, blotches, grain.
      const double blotch = noise2(x / 90.0, y / 90.0, view.noise_seed) - 0.5;
      const double grain = value_noise(x / 2.5, y / 2.5, view.noise_seed + 1) - 0.5;
      Rgb c = {l.skin[0] + 22 * blotch + 8 * grain, l.skin[1] + 18 * blotch + 8 * grain,
               l.skin[2] + 16 * blotch + 8 * grain};
      // Lesion coordinates: centred, turned and scaled with the view.
      const double px = (x - cx) / view.scale, py = (y - cy) / view.scale;
      const double u = cs * px + sn * py, v = -sn * px + cs * py;
      const double theta = std::atan2(v, u);
      double border = 1;
      for (int k = 0; k < 4; ++k) border += l.amplitude[k] * std::sin((k + 2) * theta + l.phase[k]);
      const double t = std::hypot(u, v) / (l.radius * border);
      const double edge = edge_width(l.dx);
      if (t < 1) {
        const double alpha = std::clamp((1 - t) / edge, 0.0, 1.0);
        Rgb inside = lesion_colour(l, u, v, t);
        inside = {inside.r + 8 * grain, inside.g + 8 * grain, inside.b + 8 * grain};
        c = mix(c, inside, alpha);
      }
      for (int h = 0; h < view.hairs && h < 4; ++h) {
        const double dist =
            std::fabs(-(x - hair_x[h]) * hair_sin[h] + (y - hair_y[h]) * hair_cos[h]);
        if (dist < 1.2) c = mix(c, {45, 35, 30}, 0.8);
      }
      // The dermatoscope's round field of view: dark towards the corners.
      const double r = std::hypot(x - width / 2.0, y - height / 2.0) / half_diagonal;
      const double vignette = r < 0.8 ? 1.0 : std::max(0.15, 1 - (r - 0.8) * 3.5);
      const double gain = view.light * vignette;
      uint8_t* out = &img.pixels[(static_cast<size_t>(y) * width + x) * 3];
      out[0] = static_cast<uint8_t>(std::clamp(c.r * gain, 0.0, 255.0));
      out[1] = static_cast<uint8_t>(std::clamp(c.g * gain, 0.0, 255.0));
      out[2] = static_cast<uint8_t>(std::clamp(c.b * gain, 0.0, 255.0));
    }
  }
  return img;
}

}  // namespace detail
}  // namespace data
}  // namespace cudagrad
