// Line charts: the training curves.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "base/error.h"
#include "report/chart_style.h"
#include "report/charts.h"

namespace cudagrad {
namespace report {

using namespace chart;

namespace {

// Room around the plot area for the title and legend (top), tick labels and
// the axis names (left, bottom).
constexpr double kTop = 64, kBottom = 56, kRight = 24;

bool all_whole(const std::vector<double>& values) {
  for (double v : values)
    if (std::isfinite(v) && v != std::floor(v)) return false;
  return true;
}

bool finite_point(const Series& s, size_t i) {
  return std::isfinite(s.x[i]) && std::isfinite(s.y[i]);
}

std::string short_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

// Draws `chart` into `svg` with its top left corner at (x0, 0).
void draw_line_chart(SvgWriter& svg, const LineChart& chart, double x0) {
  for (const auto& s : chart.series)
    CG_CHECK(s.x.size() == s.y.size(), "line chart '" << chart.title << "': series '" << s.name
                                                      << "' has " << s.x.size() << " x values and "
                                                      << s.y.size() << " y values");

  // The data's extent over the finite points.
  double x_lo = std::numeric_limits<double>::infinity(), x_hi = -x_lo;
  double y_lo = x_lo, y_hi = -x_lo;
  std::vector<double> all_x;
  for (const auto& s : chart.series)
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!finite_point(s, i)) continue;
      x_lo = std::min(x_lo, s.x[i]);
      x_hi = std::max(x_hi, s.x[i]);
      y_lo = std::min(y_lo, s.y[i]);
      y_hi = std::max(y_hi, s.y[i]);
      all_x.push_back(s.x[i]);
    }
  if (chart.fixed_y) {
    y_lo = chart.y_min;
    y_hi = chart.y_max;
  }
  const Ticks xt = nice_ticks(x_lo, x_hi, 6, all_whole(all_x));
  const Ticks yt = nice_ticks(y_lo, y_hi, 5);
  const double left = left_margin_for(yt);
  CG_CHECK(chart.width >= left + kRight + 100 && chart.height >= kTop + kBottom + 80,
           "line chart '" << chart.title << "': " << chart.width << "x" << chart.height
                          << " is too small");

  // The plot area, and data coordinates to SVG ones (y grows downwards).
  const double plot_x = x0 + left, plot_y = kTop;
  const double plot_w = chart.width - left - kRight, plot_h = chart.height - kTop - kBottom;
  auto to_px = [&](double x) { return plot_x + (x - xt.lo) / (xt.hi - xt.lo) * plot_w; };
  auto to_py = [&](double y) { return plot_y + plot_h - (y - yt.lo) / (yt.hi - yt.lo) * plot_h; };

  // Grid and ticks first, so the data is drawn over them.
  const std::string grid = css_color(kGrid), axis = css_color(kAxis);
  svg.open("g", {{"class", "y-axis"}});
  for (double v : yt.values) {
    const double y = to_py(v);
    svg.leaf("line",
             {{"x1", plot_x}, {"y1", y}, {"x2", plot_x + plot_w}, {"y2", y}, {"stroke", grid}});
    svg.leaf("line", {{"x1", plot_x - 5}, {"y1", y}, {"x2", plot_x}, {"y2", y}, {"stroke", axis}});
    svg.text(plot_x - 8, y, tick_label(v, yt.decimals), {{"text-anchor", "end"}, {"dy", "0.35em"}});
  }
  svg.close();
  svg.open("g", {{"class", "x-axis"}});
  for (double v : xt.values) {
    const double x = to_px(v);
    svg.leaf("line",
             {{"x1", x}, {"y1", plot_y}, {"x2", x}, {"y2", plot_y + plot_h}, {"stroke", grid}});
    svg.leaf("line", {{"x1", x},
                      {"y1", plot_y + plot_h},
                      {"x2", x},
                      {"y2", plot_y + plot_h + 5},
                      {"stroke", axis}});
    svg.text(x, plot_y + plot_h + 20, tick_label(v, xt.decimals), {{"text-anchor", "middle"}});
  }
  svg.close();
  // The two axes as one path: down the y axis, then along the x axis.
  svg.leaf("path", {{"d", "M" + svg_number(plot_x) + " " + svg_number(plot_y) + "V" +
                              svg_number(plot_y + plot_h) + "H" + svg_number(plot_x + plot_w)},
                    {"fill", "none"},
                    {"stroke", axis}});

  draw_title(svg, x0 + chart.width / 2.0, 26, chart.title);
  svg.text(plot_x + plot_w / 2, chart.height - 14, chart.x_label,
           {{"text-anchor", "middle"}, {"fill", css_color(kMuted)}});
  draw_vertical_label(svg, x0 + 16, plot_y + plot_h / 2, chart.y_label);

  std::vector<std::string> names;
  std::vector<Rgb> colors;
  for (const auto& s : chart.series) {
    bool any_point = false;
    for (size_t i = 0; i < s.x.size(); ++i) any_point = any_point || finite_point(s, i);
    if (!any_point) continue;  // a series with nothing to draw gets no legend entry
    names.push_back(s.name);
    colors.push_back(s.color);

    const std::string color = css_color(s.color);
    svg.open("g", {{"class", "series"}, {"data-series", s.name}});
    // One polyline per run of consecutive finite points: a NaN leaves a gap.
    std::string points;
    auto flush = [&] {
      if (!points.empty())
        svg.leaf("polyline", {{"points", points},
                              {"fill", "none"},
                              {"stroke", color},
                              {"stroke-width", 2.5},
                              {"stroke-linejoin", "round"},
                              {"stroke-linecap", "round"}});
      points.clear();
    };
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!finite_point(s, i)) {
        flush();
        continue;
      }
      points +=
          (points.empty() ? "" : " ") + svg_number(to_px(s.x[i])) + "," + svg_number(to_py(s.y[i]));
    }
    flush();
    // Dots mark the points themselves while there are few enough to tell
    // apart; each says its value on hover.
    if (s.x.size() <= 60)
      for (size_t i = 0; i < s.x.size(); ++i) {
        if (!finite_point(s, i)) continue;
        svg.open("circle",
                 {{"cx", to_px(s.x[i])}, {"cy", to_py(s.y[i])}, {"r", 3.5}, {"fill", color}});
        svg.element("title", {},
                    s.name + ", " + chart.x_label + " " + short_number(s.x[i]) + ": " +
                        short_number(s.y[i]));
        svg.close();
      }
    svg.close();
  }
  draw_legend_row(svg, plot_x + 8, 48, names, colors);
}

}  // namespace

std::string line_chart_svg(const LineChart& chart) {
  SvgWriter svg = begin_chart(chart.width, chart.height, chart.title);
  draw_line_chart(svg, chart, 0);
  return svg.finish();
}

std::string training_curves_svg(const std::vector<EpochRow>& epochs) {
  const Rgb blue{31, 119, 180}, orange{255, 127, 14}, green{44, 160, 44};
  Series train_loss{"train", {}, {}, blue}, val_loss{"val", {}, {}, orange};
  Series train_acc{"train", {}, {}, blue}, val_acc{"val", {}, {}, orange};
  Series val_bal{"val balanced", {}, {}, green};
  double loss_max = 0;
  for (const auto& e : epochs) {
    for (Series* s : {&train_loss, &val_loss, &train_acc, &val_acc, &val_bal})
      s->x.push_back(e.epoch);
    train_loss.y.push_back(e.train_loss);
    val_loss.y.push_back(e.val_loss);
    train_acc.y.push_back(e.train_acc);
    val_acc.y.push_back(e.val_acc);
    val_bal.y.push_back(e.val_balanced_acc);
    for (double v : {e.train_loss, e.val_loss})
      if (std::isfinite(v)) loss_max = std::max(loss_max, v);
  }

  LineChart loss;
  loss.title = "Loss";
  loss.x_label = "epoch";
  loss.y_label = "cross-entropy";
  loss.series = {train_loss, val_loss};
  loss.fixed_y = true;  // from zero, so the drop reads at its true size
  loss.y_min = 0;
  loss.y_max = loss_max > 0 ? loss_max : 1;

  LineChart acc;
  acc.title = "Accuracy";
  acc.x_label = "epoch";
  acc.y_label = "accuracy";
  acc.series = {train_acc, val_acc, val_bal};
  acc.fixed_y = true;
  acc.y_min = 0;
  acc.y_max = 1;

  // One drawing, the two charts side by side, each in its own group.
  SvgWriter svg = begin_chart(loss.width + acc.width, std::max(loss.height, acc.height),
                              "Training curves: loss and accuracy per epoch");
  svg.open("g", {{"class", "loss"}});
  draw_line_chart(svg, loss, 0);
  svg.close();
  svg.open("g", {{"class", "accuracy"}});
  draw_line_chart(svg, acc, loss.width);
  svg.close();
  return svg.finish();
}

}  // namespace report
}  // namespace cudagrad
