// Charts: written PNGs decode back to the same pixels; curves, cells and
// bars put their colors where the data says; the font is complete; the
// Grad-CAM overlay interpolates and colors as documented; bad input throws.
#include <doctest/doctest.h>

#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "base/error.h"
#include "report/font5x7.h"
#include "report/png_chart.h"
#include "report_test_helpers.h"

using namespace cudagrad::report;
using cudagrad::Error;
using report_test::find_color;

namespace {

const Rgb kRed{220, 30, 30}, kBlue{30, 30, 220};

std::vector<EpochRow> some_epochs(int n) {
  std::vector<EpochRow> rows;
  for (int e = 1; e <= n; ++e) {
    EpochRow r;
    r.epoch = e;
    r.train_loss = 2.0 / e;
    r.val_loss = 2.2 / e + 0.1;
    r.train_acc = 1 - 0.5 / e;
    r.val_acc = 0.9 - 0.5 / e;
    r.val_balanced_acc = 0.7 - 0.5 / e;
    r.lr = 1e-3;
    r.seconds = 10;
    rows.push_back(r);
  }
  return rows;
}

// The (x, y) of the first pixel of `color` met scanning the rows below the
// legend (row 64 on) top down (topmost), or bottom up.
std::pair<int, int> extreme_pixel(const Image& image, Rgb color, bool topmost) {
  for (int i = 64; i < image.height; ++i) {
    const int y = topmost ? i : image.height - 1 - (i - 64);
    for (int x = 0; x < image.width; ++x)
      if (pixel_at(image, x, y) == color) return {x, y};
  }
  return {-1, -1};
}

}  // namespace

TEST_CASE("charts: a PNG written to disk decodes to the same pixels and size") {
  const Image curves = draw_training_curves(some_epochs(12));
  CHECK(curves.width == 1200);  // two 600 x 420 charts side by side
  CHECK(curves.height == 420);
  const std::string path = (report_test::scratch_dir() / "curves.png").string();
  write_png(path, curves);
  const Image back = read_png(path);
  CHECK(back.width == curves.width);
  CHECK(back.height == curves.height);
  CHECK(back.pixels == curves.pixels);
  // The loss curves' colors are both in the left chart, the balanced
  // accuracy's green only in the right one.
  const report_test::Box train = find_color(curves, {31, 119, 180});
  const report_test::Box green = find_color(curves, {44, 160, 44});
  CHECK(train.count > 200);
  CHECK(train.min_x < 600);
  CHECK(train.max_x >= 600);
  CHECK(green.min_x >= 600);
}

TEST_CASE("charts: training curves from one epoch, or without validation, still draw") {
  EpochRow only;
  only.epoch = 1;
  only.train_loss = 0.7;
  only.train_acc = 0.6;  // the validation fields stay unset: NaN
  const Image image = draw_training_curves({only});
  CHECK(image.width == 1200);
  CHECK(find_color(image, {31, 119, 180}, 64).count > 20);  // train's dots
  CHECK(find_color(image, {255, 127, 14}).count == 0);      // no val line, no val legend
  CHECK(draw_training_curves({}).width == 1200);            // empty axes
}

TEST_CASE("charts: a line chart draws each series where its data is, gaps included") {
  // Blue rises across the whole x range; red falls over its right half only,
  // with no value at x = 7.
  LineChart chart;
  chart.title = "test";
  chart.series.push_back({"rising", {0, 2, 4, 6, 8, 10}, {0, 2, 4, 6, 8, 10}, kBlue});
  chart.series.push_back({"falling", {5, 6, 7, 8, 9, 10}, {10, 9, NAN, 7, 6, 5}, kRed});
  const Image image = draw_line_chart(chart);
  CHECK(image.width == 600);
  CHECK(image.height == 420);

  const report_test::Box blue = find_color(image, kBlue, 64);
  const report_test::Box red = find_color(image, kRed, 64);
  REQUIRE(blue.count > 100);
  REQUIRE(red.count > 100);
  // Red starts at the middle of the x axis (its legend swatch aside, which
  // is above the plot).
  const int red_left = find_color(image, kRed, 64).min_x;
  CHECK(red_left > (blue.min_x + blue.max_x) / 2 - 8);
  // Rising: the topmost blue pixel of the plot is right of the bottommost.
  const auto blue_top = extreme_pixel(image, kBlue, true);
  const auto blue_bottom = extreme_pixel(image, kBlue, false);
  CHECK(blue_bottom.first < blue_top.first - 100);
  // The gap: between the dots at x = 6 and x = 8 there is a run of columns
  // (around x = 7) with no red at all, inside red's horizontal extent.
  const std::vector<bool> columns = report_test::columns_with(image, kRed);
  int longest_gap = 0, gap = 0;
  for (int x = red_left; x <= red.max_x; ++x) {
    gap = columns[x] ? 0 : gap + 1;
    longest_gap = std::max(longest_gap, gap);
  }
  CHECK(longest_gap > 20);
}

TEST_CASE("charts: the confusion heat map is darkest on the cells holding each row") {
  const Rgb darkest{8, 48, 107};  // a cell holding its whole row
  const Image diagonal = draw_confusion_heatmap({{5, 0}, {0, 7}}, {"a", "b"});
  const Image anti = draw_confusion_heatmap({{0, 5}, {7, 0}}, {"a", "b"});
  CHECK(diagonal.width == anti.width);
  CHECK(diagonal.height == anti.height);
  // Two full cells (at least 60 x 60 pixels each apart from the text), plus
  // the top of the color scale.
  CHECK(find_color(diagonal, darkest).count > 2 * 60 * 60);
  // Row 0's dark cell is left of row 1's on the diagonal, right of it on the
  // anti-diagonal. (The color scale sits further right, so search left of it.)
  auto first_dark_x = [&](const Image& image, bool top_row) {
    const report_test::Box all = find_color(image, darkest);
    const int y = top_row ? all.min_y + 2 : all.min_y + 80;
    for (int x = 0; x < image.width; ++x)
      if (pixel_at(image, x, y) == darkest) return x;
    return -1;
  };
  CHECK(first_dark_x(diagonal, true) < first_dark_x(diagonal, false));
  CHECK(first_dark_x(anti, true) > first_dark_x(anti, false));
  CHECK_THROWS_AS(draw_confusion_heatmap({{1, 2}}, {"a", "b"}), Error);
  CHECK_THROWS_AS(draw_confusion_heatmap({{1, 2}, {3}}, {"a", "b"}), Error);
}

TEST_CASE("charts: bar chart bars grow with their counts") {
  const Image image = draw_bar_chart("classes", {"small", "large"},
                                     {{"train", {10, 100}, kBlue}, {"test", {5, 50}, kRed}});
  const report_test::Box blue = find_color(image, kBlue, 64), red = find_color(image, kRed, 64);
  // Bars are as wide as each other, so area follows height: 110 vs 55 units.
  CHECK(blue.count > red.count * 3 / 2);
  // Both bars of the large class reach higher than either of the small one.
  CHECK(blue.min_y < red.min_y);
  CHECK_THROWS_WITH_AS(draw_bar_chart("classes", {"a", "b"}, {{"train", {1}, kBlue}}),
                       doctest::Contains("group 'train' has 1 counts for 2 categories"), Error);
}

TEST_CASE("font: every printable character has a distinct glyph") {
  std::set<std::vector<bool>> seen;
  for (char c = '!'; c <= '~'; ++c) {
    std::vector<bool> bits;
    int ink = 0;
    for (int y = 0; y < kGlyphCellHeight; ++y)
      for (int x = 0; x < kGlyphWidth; ++x) {
        bits.push_back(glyph_pixel(c, x, y));
        ink += bits.back();
      }
    CAPTURE(c);
    CHECK(ink > 0);
    CHECK(seen.insert(bits).second);
  }
  // Descenders hang below the capitals' baseline (row 6).
  CHECK(glyph_pixel('g', 1, 8));
  CHECK_FALSE(glyph_pixel('a', 1, 8));
  // Anything else draws as '?'.
  CHECK(glyph_pixel('\x01', 1, 0) == glyph_pixel('?', 1, 0));
}

TEST_CASE("canvas: text lands where it is aligned, and turns on its side") {
  Canvas c(200, 100, {255, 255, 255});
  c.text(100, 10, "Ab", {0, 0, 0}, 2, Align::Center);
  const report_test::Box box = find_color(c.image(), {0, 0, 0});
  CHECK(box.max_x - box.min_x + 1 <= Canvas::text_width("Ab", 2));
  CHECK(std::abs((box.min_x + box.max_x) / 2 - 100) <= 2);
  Canvas v(100, 200, {255, 255, 255});
  v.text_vertical(50, 100, "label", {0, 0, 0}, 2);
  const report_test::Box vbox = find_color(v.image(), {0, 0, 0});
  CHECK(vbox.max_y - vbox.min_y > 3 * (vbox.max_x - vbox.min_x));  // tall, not wide
}

TEST_CASE("gradcam: colormap stops, bilinear resize and blending") {
  CHECK(heat_color(0) == Rgb{0, 0, 160});
  CHECK(heat_color(1.0 / 3) == Rgb{0, 200, 255});
  CHECK(heat_color(2.0 / 3) == Rgb{255, 230, 0});
  CHECK(heat_color(1) == Rgb{220, 0, 0});
  CHECK(heat_color(2) == heat_color(1));  // clamped
  CHECK(heat_color(-1) == heat_color(0));

  Image gray;
  gray.width = gray.height = 40;
  gray.pixels.assign(40 * 40 * 3, 128);
  // A 2 x 2 map, hot in one corner; any range is scaled to [0, 1].
  const std::vector<float> heat = {10, 10, 10, 30};
  const Image full = gradcam_overlay(gray, heat, 2, 2, 1.0);
  CHECK(full.width == 40);
  CHECK(full.height == 40);
  CHECK(pixel_at(full, 0, 0) == heat_color(0));
  CHECK(pixel_at(full, 39, 39) == heat_color(1));
  // Pixel 19 samples the map at (19 + 0.5) * 2 / 40 - 0.5 = 0.475 on both
  // axes; only the hot corner contributes: 0.475 * 0.475.
  CHECK(pixel_at(full, 19, 19) == heat_color(0.475 * 0.475));
  // alpha 0 keeps the image; a flat map is all "cold".
  CHECK(gradcam_overlay(gray, heat, 2, 2, 0.0).pixels == gray.pixels);
  CHECK(pixel_at(gradcam_overlay(gray, {3, 3, 3, 3}, 2, 2, 1.0), 39, 39) == heat_color(0));
  // Half and half: 0.5 * 128 + 0.5 * color.
  const Rgb half = pixel_at(gradcam_overlay(gray, heat, 2, 2, 0.5), 39, 39);
  CHECK(half == mix({128, 128, 128}, heat_color(1), 0.5));

  CHECK_THROWS_WITH_AS(gradcam_overlay(gray, heat, 3, 2),
                       doctest::Contains("holds 4 values, not 3 x 2"), Error);
  CHECK_THROWS_AS(gradcam_overlay(gray, heat, 2, 2, 1.5), Error);
  Image broken = gray;
  broken.pixels.pop_back();
  CHECK_THROWS_AS(gradcam_overlay(broken, heat, 2, 2), Error);
}

TEST_CASE("png: bad images and bad files are clear errors") {
  Image broken;
  broken.width = 4;
  broken.height = 4;
  broken.pixels.assign(10, 0);
  CHECK_THROWS_WITH_AS(encode_png(broken), doctest::Contains("needs 48 bytes, it has 10"), Error);
  CHECK_THROWS_WITH_AS(decode_png("not a png at all", "junk.png"),
                       doctest::Contains("junk.png: cannot decode"), Error);
  CHECK_THROWS_WITH_AS(read_png((report_test::scratch_dir() / "missing.png").string()),
                       doctest::Contains("missing.png"), Error);
}
