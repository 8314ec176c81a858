// Augmentation: determinism for (seed, epoch, index), exact geometry for
// fixed parameters, fill modes, colour jitter, normalization and TTA views.
#include <doctest/doctest.h>

#include <cmath>
#include <numeric>

#include "data/augment.h"
#include "data_test_util.h"

using namespace cudagrad::data;
using cudagrad_test::error_of;

namespace {

// A w x h image whose every pixel differs: (x, y, x ^ y).
std::vector<uint8_t> pattern(int w, int h) {
  std::vector<uint8_t> img;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      img.push_back(static_cast<uint8_t>(x * 7));
      img.push_back(static_cast<uint8_t>(y * 11));
      img.push_back(static_cast<uint8_t>((x ^ y) * 13));
    }
  return img;
}

std::vector<uint8_t> augmented(const std::vector<uint8_t>& src, int w, int h,
                               const AugmentOptions& o, uint64_t seed, int64_t epoch,
                               int64_t index) {
  std::vector<uint8_t> dst(src.size());
  augment_image(src.data(), w, h, o, seed, epoch, index, dst.data());
  return dst;
}

std::vector<uint8_t> with_params(const std::vector<uint8_t>& src, int w, int h,
                                 const AugmentParams& p, FillMode fill = FillMode::nearest,
                                 uint8_t fill_value = 0) {
  std::vector<uint8_t> dst(src.size());
  apply_augment_params(src.data(), w, h, p, fill, fill_value, dst.data());
  return dst;
}

std::vector<uint8_t> view(const std::vector<uint8_t>& src, int w, int h, TtaView v) {
  std::vector<uint8_t> dst(src.size());
  apply_tta_view(src.data(), w, h, v, dst.data());
  return dst;
}

}  // namespace

TEST_CASE("augment: the same (seed, epoch, index) gives the same image") {
  auto src = pattern(24, 20);
  AugmentOptions o = augment_preset("flip-zoom-shift-rotate");
  o.brightness = 0.1;
  o.contrast = 0.2;
  o.shear_degrees = 10;
  auto a = augmented(src, 24, 20, o, 7, 3, 41);
  CHECK(augmented(src, 24, 20, o, 7, 3, 41) == a);
  CHECK(augmented(src, 24, 20, o, 7, 4, 41) != a);  // next epoch
  CHECK(augmented(src, 24, 20, o, 7, 3, 42) != a);  // next image
  CHECK(augmented(src, 24, 20, o, 8, 3, 41) != a);  // other seed
  // Switching brightness on leaves the geometry draws as they were.
  AugmentOptions bright = o;
  bright.brightness = 0.3;
  AugmentParams p = draw_augment_params(o, 7, 3, 41), q = draw_augment_params(bright, 7, 3, 41);
  CHECK(p.angle == q.angle);
  CHECK(p.shift_x == q.shift_x);
  CHECK(p.flip_x == q.flip_x);
  CHECK(p.brightness != q.brightness);
}

TEST_CASE("augment: nothing enabled is the identity, and ranges are respected") {
  auto src = pattern(16, 16);
  AugmentOptions none;
  CHECK_FALSE(none.any());
  CHECK(augmented(src, 16, 16, none, 1, 2, 3) == src);
  AugmentOptions o;
  o.rotation_degrees = 30;
  o.zoom = 0.2;
  o.shift = 0.1;
  int flips = 0;
  o.horizontal_flip = true;
  for (int i = 0; i < 200; ++i) {
    AugmentParams p = draw_augment_params(o, 5, 0, i);
    CHECK(std::fabs(p.angle) <= 30 * M_PI / 180);
    CHECK((p.zoom_x >= 0.8 && p.zoom_x <= 1.2));
    CHECK(std::fabs(p.shift_y) <= 0.1);
    CHECK(p.shear == 0);
    CHECK_FALSE(p.flip_y);
    flips += p.flip_x;
  }
  CHECK(flips > 70);  // about half of 200
  CHECK(flips < 130);
}

TEST_CASE("augment: fixed parameters move pixels exactly") {
  const int n = 9;
  auto src = pattern(n, n);
  AugmentParams flip;
  flip.flip_x = true;
  CHECK(with_params(src, n, n, flip) == view(src, n, n, TtaView::horizontal_flip));
  // A quarter turn samples exactly on pixel centres: the same as the TTA
  // view. Positive angles turn clockwise on screen (y points down).
  AugmentParams quarter;
  quarter.angle = M_PI / 2;
  CHECK(with_params(src, n, n, quarter) == view(src, n, n, TtaView::rotate90));
  // Shift by 2 pixels right: column x shows source column x - 2; the two
  // leftmost columns come from the fill.
  AugmentParams shift;
  shift.shift_x = 2.0 / n;
  auto moved = with_params(src, n, n, shift, FillMode::constant, 9);
  for (int y = 0; y < n; ++y) {
    CHECK(moved[(y * n + 5) * 3] == src[(y * n + 3) * 3]);
    CHECK(moved[(y * n + 0) * 3] == 9);
    CHECK(moved[(y * n + 1) * 3 + 2] == 9);
  }
  auto nearest = with_params(src, n, n, shift, FillMode::nearest);
  CHECK(nearest[(4 * n + 0) * 3] == src[(4 * n + 0) * 3]);  // edge column repeated
  auto reflected = with_params(src, n, n, shift, FillMode::reflect);
  CHECK(reflected[(4 * n + 0) * 3] == src[(4 * n + 1) * 3]);  // b a | a b c
  CHECK(reflected[(4 * n + 1) * 3] == src[(4 * n + 0) * 3]);
}

TEST_CASE("augment: fill modes on a rotated flat image") {
  const int n = 32;
  std::vector<uint8_t> flat(n * n * 3, 100);
  AugmentParams p;
  p.angle = 45 * M_PI / 180;
  auto constant = with_params(flat, n, n, p, FillMode::constant, 0);
  CHECK(constant[0] == 0);                            // a corner turned out of the frame
  CHECK(constant[((n / 2) * n + n / 2) * 3] == 100);  // the centre stays
  for (FillMode m : {FillMode::nearest, FillMode::reflect})
    for (uint8_t v : with_params(flat, n, n, p, m)) CHECK(v == 100);
  CHECK(parse_fill_mode("reflect") == FillMode::reflect);
  CHECK(error_of([] { parse_fill_mode("wrap"); }).find("unknown fill mode") != std::string::npos);
}

TEST_CASE("augment: brightness and contrast") {
  std::vector<uint8_t> img = {100, 100, 100, 200, 200, 200};
  AugmentParams p;
  p.brightness = 10;
  CHECK(with_params(img, 2, 1, p) == std::vector<uint8_t>{110, 110, 110, 210, 210, 210});
  AugmentParams c;
  c.contrast = 2;  // mean 150: 100 -> 50, 200 -> 250
  CHECK(with_params(img, 2, 1, c) == std::vector<uint8_t>{50, 50, 50, 250, 250, 250});
  c.contrast = 3;  // clamped
  CHECK(with_params(img, 2, 1, c) == std::vector<uint8_t>{0, 0, 0, 255, 255, 255});
}

TEST_CASE("augment: normalization to planar floats") {
  std::vector<uint8_t> hwc = {0, 255, 51, 255, 0, 102};  // 2 pixels
  std::vector<float> chw(6);
  Normalization norm;
  normalize_to_chw(hwc.data(), 2, 1, norm, chw.data());
  CHECK(chw[0] == doctest::Approx((0.0 - 0.4914) / 0.2023));
  CHECK(chw[1] == doctest::Approx((1.0 - 0.4914) / 0.2023));
  CHECK(chw[2] == doctest::Approx((1.0 - 0.4822) / 0.1994));
  CHECK(chw[5] == doctest::Approx((0.4 - 0.4465) / 0.2010));
  Normalization in = Normalization::imagenet();
  CHECK(in.mean[0] == doctest::Approx(0.485));
  CHECK(in.std[2] == doctest::Approx(0.225));
}

TEST_CASE("augment: TTA views") {
  const int n = 5;
  auto src = pattern(n, n);
  auto four = src;
  for (int i = 0; i < 4; ++i) four = view(four, n, n, TtaView::rotate90);
  CHECK(four == src);
  CHECK(view(view(src, n, n, TtaView::rotate90), n, n, TtaView::rotate270) == src);
  CHECK(view(view(src, n, n, TtaView::horizontal_flip), n, n, TtaView::vertical_flip) ==
        view(src, n, n, TtaView::rotate180));
  CHECK(view(src, n, n, TtaView::rotate90) != src);
  CHECK(tta_views(3) ==
        std::vector<TtaView>{TtaView::identity, TtaView::horizontal_flip, TtaView::vertical_flip});
  auto wide = pattern(4, 2);
  CHECK(error_of([&] { view(wide, 4, 2, TtaView::rotate90); }).find("needs a square image") !=
        std::string::npos);
  CHECK(augment_preset("flip-rotate").rotation_degrees == 60);
  CHECK(error_of([] { augment_preset("heavy"); }).find("unknown augmentation 'heavy'") !=
        std::string::npos);
}
