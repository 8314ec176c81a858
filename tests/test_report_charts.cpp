// Charts: each is well-formed SVG (parsed by expat) whose shapes stand
// where the data says: a curve has a point per epoch, cells and bars have
// the data's colors and sizes, axes have their ticks and names, and any
// class name comes back unchanged through the escaping. Also the SVG writer
// itself, the Grad-CAM overlay, and PNG errors.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "base/error.h"
#include "report/charts.h"
#include "report/svg.h"
#include "report_test_helpers.h"

using namespace cudagrad::report;
using cudagrad::Error;
using report_test::parse_xml;
using report_test::XmlElement;

namespace {

const Rgb kRed{220, 30, 30}, kBlue{30, 30, 220};
const std::string kOddName = "<b&\"x'>";  // every character XML escapes

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

struct Point {
  double x, y;
};

// The points of a <polyline>: "x,y x,y ...".
std::vector<Point> polyline_points(const XmlElement& polyline) {
  std::vector<Point> points;
  std::istringstream in(polyline.at("points"));
  for (std::string pair; in >> pair;) {
    const size_t comma = pair.find(',');
    REQUIRE(comma != std::string::npos);
    points.push_back({std::stod(pair.substr(0, comma)), std::stod(pair.substr(comma + 1))});
  }
  return points;
}

// The one series group named `name` below `chart`.
const XmlElement& series(const XmlElement& chart, const std::string& name) {
  const std::vector<const XmlElement*> found = chart.with("data-series", name);
  REQUIRE(found.size() == 1);
  return *found[0];
}

bool contains(const std::vector<std::string>& texts, const std::string& text) {
  return std::find(texts.begin(), texts.end(), text) != texts.end();
}

}  // namespace

TEST_CASE("svg: escaping, numbers, and a writer that only makes well-formed XML") {
  CHECK(xml_escape(kOddName) == "&lt;b&amp;&quot;x&#39;&gt;");
  // UTF-8 passes through; what XML cannot hold becomes U+FFFD.
  CHECK(xml_escape("caf\xc3\xa9 \xf0\x9f\x94\xac") == "caf\xc3\xa9 \xf0\x9f\x94\xac");
  CHECK(xml_escape("a\x01"
                   "b\tc") ==
        "a\xef\xbf\xbd"
        "b\tc");                                                // a control character
  CHECK(xml_escape("\xff\xc3") == "\xef\xbf\xbd\xef\xbf\xbd");  // not UTF-8, cut short
  CHECK(xml_escape("\xc0\xaf") == "\xef\xbf\xbd\xef\xbf\xbd");  // overlong '/'
  CHECK(xml_escape("\xed\xa0\x80") == "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");  // a surrogate
  CHECK(svg_number(12) == "12");
  CHECK(svg_number(12.5) == "12.5");
  CHECK(svg_number(1.0 / 3) == "0.33");
  CHECK(svg_number(-0.001) == "0");
  CHECK(svg_number(NAN) == "0");

  SvgWriter svg(200, 100, "title " + kOddName, {{"class", "chart"}});
  svg.open("g", {{"data-name", kOddName}});
  svg.text(10, 20, kOddName + " \x01\xff");
  svg.leaf("line", {{"x1", 0}, {"y1", 0.5}, {"x2", 10}, {"y2", 10}});
  const std::string document = svg.finish();  // closes the <g> and the <svg>
  const auto root = parse_xml(document);
  CHECK(root->name == "svg");
  CHECK(root->at("xmlns") == "http://www.w3.org/2000/svg");
  CHECK(root->at("viewBox") == "0 0 200 100");
  CHECK(root->at("class") == "chart");
  CHECK(root->children.front()->name == "title");  // the accessible name comes first
  CHECK(root->children.front()->text == "title " + kOddName);
  const XmlElement& g = *root->child("g");
  CHECK(g.at("data-name") == kOddName);
  CHECK(g.child("text")->text == kOddName + " \xef\xbf\xbd\xef\xbf\xbd");
  CHECK(g.child("line")->at("y1") == "0.5");
  // Names come from code: a wrong one is refused, as is closing too often.
  SvgWriter bad(10, 10, "bad");
  CHECK_THROWS_AS(bad.open("g x"), Error);
  CHECK_THROWS_AS(bad.leaf("rect", {{"on click", "x"}}), Error);
  bad.close();
  CHECK_THROWS_AS(bad.close(), Error);
}

TEST_CASE("charts: training curves have a point per epoch, axes, ticks and legends") {
  const std::string text = training_curves_svg(some_epochs(12));
  const auto root = parse_xml(text);
  CHECK(root->number("width") == 1200);  // two 600 x 420 charts side by side
  CHECK(root->number("height") == 420);
  CHECK(root->at("viewBox") == "0 0 1200 420");
  const std::vector<const XmlElement*> loss = root->with("class", "loss");
  const std::vector<const XmlElement*> accuracy = root->with("class", "accuracy");
  REQUIRE(loss.size() == 1);
  REQUIRE(accuracy.size() == 1);

  // Loss: train and val, one unbroken line of 12 points and 12 dots each.
  for (const char* name : {"train", "val"}) {
    CAPTURE(name);
    const XmlElement& s = series(*loss[0], name);
    REQUIRE(s.all("polyline").size() == 1);
    const std::vector<Point> points = polyline_points(*s.all("polyline")[0]);
    CHECK(points.size() == 12);
    CHECK(s.all("circle").size() == 12);
    for (size_t i = 1; i < points.size(); ++i) {
      CHECK(points[i].x > points[i - 1].x);  // epochs left to right
      CHECK(points[i].y > points[i - 1].y);  // the loss falls: SVG's y grows downwards
    }
    // Everything inside the left chart's plot area, below the legend.
    for (const Point& p : points) {
      CHECK(p.x > 40);
      CHECK(p.x < 600);
      CHECK(p.y >= 64);
      CHECK(p.y <= 420 - 56);
    }
  }
  CHECK(loss[0]->with("class", "series").size() == 2);
  // Accuracy: three series in the right chart, the balanced one lowest.
  CHECK(accuracy[0]->with("class", "series").size() == 3);
  const std::vector<Point> bal =
      polyline_points(*series(*accuracy[0], "val balanced").child("polyline"));
  const std::vector<Point> train =
      polyline_points(*series(*accuracy[0], "train").child("polyline"));
  REQUIRE(bal.size() == 12);
  CHECK(bal[0].x > 600);
  for (size_t i = 0; i < bal.size(); ++i) CHECK(bal[i].y > train[i].y);
  // Each dot says its value on hover.
  CHECK(series(*loss[0], "train").all("circle")[2]->child("title")->text ==
        "train, epoch 3: 0.6667");

  // Titles, axis names, tick labels and legend entries are text.
  const std::vector<std::string> left = loss[0]->texts(), right = accuracy[0]->texts();
  for (const char* t : {"Loss", "epoch", "cross-entropy", "train", "val", "0.0", "2.0"})
    CHECK_MESSAGE(contains(left, t), t);
  for (const char* t : {"Accuracy", "epoch", "accuracy", "val balanced", "0.0", "0.4", "1.0"})
    CHECK_MESSAGE(contains(right, t), t);
  // Whole epochs on the x axis; the y axis from 0 past the largest loss (2.3).
  const std::vector<const XmlElement*> x_axis = loss[0]->with("class", "x-axis");
  const std::vector<const XmlElement*> y_axis = loss[0]->with("class", "y-axis");
  REQUIRE(x_axis.size() == 1);
  REQUIRE(y_axis.size() == 1);
  CHECK(x_axis[0]->texts() == std::vector<std::string>{"0", "2", "4", "6", "8", "10", "12"});
  CHECK(y_axis[0]->texts() == std::vector<std::string>{"0.0", "0.5", "1.0", "1.5", "2.0", "2.5"});
  CHECK(root->child("title")->text == "Training curves: loss and accuracy per epoch");
}

TEST_CASE("charts: training curves from one epoch, or without validation, still draw") {
  EpochRow only;
  only.epoch = 1;
  only.train_loss = 0.7;
  only.train_acc = 0.6;  // the validation fields stay unset: NaN
  const auto root = parse_xml(training_curves_svg({only}));
  CHECK(root->number("width") == 1200);
  CHECK(series(*root->with("class", "loss")[0], "train").all("circle").size() == 1);
  CHECK(root->with("data-series", "val").empty());  // no val line...
  CHECK_FALSE(contains(root->texts(), "val"));      // ...and no val legend
  // No epochs at all: empty axes, still a chart.
  const auto empty = parse_xml(training_curves_svg({}));
  CHECK(empty->number("width") == 1200);
  CHECK(empty->with("class", "series").empty());
  CHECK(contains(empty->texts(), "epoch"));
}

TEST_CASE("charts: a line chart draws each series where its data is, gaps included") {
  // Blue rises across the whole x range; red falls over its right half only,
  // with no value at x = 7.
  LineChart chart;
  chart.title = "test";
  chart.series.push_back({"rising", {0, 2, 4, 6, 8, 10}, {0, 2, 4, 6, 8, 10}, kBlue});
  chart.series.push_back({"falling", {5, 6, 7, 8, 9, 10}, {10, 9, NAN, 7, 6, 5}, kRed});
  const auto root = parse_xml(line_chart_svg(chart));
  CHECK(root->number("width") == 600);
  CHECK(root->number("height") == 420);

  const XmlElement& blue = series(*root, "rising");
  const XmlElement& red = series(*root, "falling");
  CHECK(blue.child("polyline")->at("stroke") == "#1e1edc");
  CHECK(red.child("polyline")->at("stroke") == "#dc1e1e");
  const std::vector<Point> up = polyline_points(*blue.child("polyline"));
  REQUIRE(up.size() == 6);
  CHECK(up.back().x > up.front().x);
  CHECK(up.back().y < up.front().y);  // rising: higher on the page
  // The gap: two lines, before and after x = 7, and a dot per finite point.
  const std::vector<const XmlElement*> runs = red.all("polyline");
  REQUIRE(runs.size() == 2);
  const std::vector<Point> before = polyline_points(*runs[0]), after = polyline_points(*runs[1]);
  CHECK(before.size() == 2);
  CHECK(after.size() == 3);
  CHECK(red.all("circle").size() == 5);
  // x = 5 is the middle of blue's 0..10, and x = 8 is 80% of the way.
  CHECK(before[0].x == doctest::Approx((up.front().x + up.back().x) / 2).epsilon(0.01));
  CHECK(after[0].x ==
        doctest::Approx(up.front().x + 0.8 * (up.back().x - up.front().x)).epsilon(0.01));
  CHECK_THROWS_WITH_AS(line_chart_svg({"t", "x", "y", {{"s", {1, 2}, {1}, kRed}}}),
                       doctest::Contains("series 's' has 2 x values and 1 y values"), Error);
}

TEST_CASE("charts: the confusion matrix is darkest on the cells holding each row") {
  const std::string darkest = "#08306b", white = "#ffffff";
  auto cell_fills = [](const std::string& svg) {
    const auto root = parse_xml(svg);
    std::vector<std::string> fills;
    for (const XmlElement* cell : root->with("class", "cell")) fills.push_back(cell->at("fill"));
    return fills;
  };
  CHECK(cell_fills(confusion_matrix_svg({{5, 0}, {0, 7}}, {"a", "b"})) ==
        std::vector<std::string>{darkest, white, white, darkest});
  CHECK(cell_fills(confusion_matrix_svg({{0, 5}, {7, 0}}, {"a", "b"})) ==
        std::vector<std::string>{white, darkest, darkest, white});

  // Three classes, one named with every character XML escapes.
  const std::vector<std::string> names = {"akiec", kOddName, "vasc"};
  const auto root = parse_xml(confusion_matrix_svg({{3, 1, 0}, {0, 4, 0}, {2, 0, 2}}, names));
  const std::vector<const XmlElement*> rows = root->with("class", "row");
  REQUIRE(rows.size() == 3);
  CHECK(rows[1]->at("data-true-class") == kOddName);
  const std::vector<const XmlElement*> cells = root->with("class", "cell");
  REQUIRE(cells.size() == 9);
  // Cell (0, 1): 1 of row 0's 4 images, a quarter of the way to dark blue.
  CHECK(cells[1]->child("title")->text ==
        "true akiec, predicted " + kOddName + ": 1 of 4 (25% of the row)");
  CHECK(cells[1]->at("fill") == css_color(mix({255, 255, 255}, {8, 48, 107}, 0.25)));
  // Cells sit in a square grid, row by row.
  CHECK(cells[1]->number("x") > cells[0]->number("x"));
  CHECK(cells[3]->number("y") > cells[0]->number("y"));
  CHECK(cells[3]->number("x") == cells[0]->number("x"));
  // Counts and shares in the cells; class names on both axes; axis names.
  const std::vector<std::string> texts = root->texts();
  for (const char* t :
       {"Confusion matrix", "predicted class", "true class", "3", "75%", "100%", "0%"})
    CHECK_MESSAGE(contains(texts, t), t);
  CHECK(std::count(texts.begin(), texts.end(), kOddName) == 2);  // a row and a column
  CHECK_THROWS_AS(confusion_matrix_svg({{1, 2}}, {"a", "b"}), Error);
  CHECK_THROWS_AS(confusion_matrix_svg({{1, 2}, {3}}, {"a", "b"}), Error);
  CHECK_THROWS_AS(confusion_matrix_svg({{1, -2}, {3, 4}}, {"a", "b"}), Error);
}

TEST_CASE("charts: long class names turn the confusion matrix's column labels on their side") {
  const std::vector<std::string> names = {"melanocytic nevi", "melanoma"};
  const auto root = parse_xml(confusion_matrix_svg({{1, 0}, {0, 1}}, names));
  const std::vector<const XmlElement*> columns = root->with("class", "predicted-classes");
  REQUIRE(columns.size() == 1);
  for (const XmlElement* label : columns[0]->all("text"))
    CHECK(label->at("transform").rfind("rotate(-90 ", 0) == 0);
  // The chart grows to fit them: the grid (2 cells of 72) plus 16 characters
  // of about 7 px under it, inside the drawing.
  CHECK(root->number("height") > 48 + 2 * 72 + 16 * 7);
}

TEST_CASE("charts: bar chart bars grow with their counts") {
  const auto root = parse_xml(bar_chart_svg(
      "classes", {"small", kOddName}, {{"train", {10, 100}, kBlue}, {"test", {5, 50}, kRed}}));
  const std::vector<const XmlElement*> bars = root->with("class", "bar");
  REQUIRE(bars.size() == 4);  // per category, train then test
  // Heights follow the counts, and every bar stands on the same baseline.
  CHECK(bars[2]->number("height") == doctest::Approx(10 * bars[0]->number("height")).epsilon(0.02));
  CHECK(bars[1]->number("height") == doctest::Approx(bars[0]->number("height") / 2).epsilon(0.05));
  for (const XmlElement* bar : bars)
    CHECK(bar->number("y") + bar->number("height") ==
          doctest::Approx(bars[0]->number("y") + bars[0]->number("height")));
  CHECK(bars[0]->at("fill") == "#1e1edc");
  CHECK(bars[1]->at("fill") == "#dc1e1e");
  CHECK(bars[3]->child("title")->text == "test, " + kOddName + ": 50");
  const std::vector<std::string> texts = root->texts();
  for (const std::string& t :
       {std::string("classes"), std::string("images"), std::string("train"), std::string("test"),
        std::string("small"), kOddName, std::string("100"), std::string("50")})
    CHECK_MESSAGE(contains(texts, t), t);
  CHECK_THROWS_WITH_AS(bar_chart_svg("classes", {"a", "b"}, {{"train", {1}, kBlue}}),
                       doctest::Contains("group 'train' has 1 counts for 2 categories"), Error);
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
