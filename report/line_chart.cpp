// Line charts: the training curves.
#include <algorithm>
#include <cmath>
#include <limits>

#include "base/error.h"
#include "report/chart_style.h"
#include "report/png_chart.h"

namespace cudagrad {
namespace report {

using namespace chart;

namespace {

// Room around the plot area for the title and legend (top), tick labels and
// the axis names (left, bottom).
constexpr int kTop = 64, kBottom = 56, kRight = 24;

bool all_whole(const std::vector<double>& values) {
  for (double v : values)
    if (std::isfinite(v) && v != std::floor(v)) return false;
  return true;
}

}  // namespace

Image draw_line_chart(const LineChart& chart) {
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
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
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
  const int left = left_margin_for(yt);
  CG_CHECK(chart.width >= left + kRight + 100 && chart.height >= kTop + kBottom + 80,
           "line chart '" << chart.title << "': " << chart.width << "x" << chart.height
                          << " is too small");

  Canvas c(chart.width, chart.height, kBackground);
  const int plot_x = left, plot_y = kTop;
  const int plot_w = chart.width - left - kRight, plot_h = chart.height - kTop - kBottom;
  auto to_px = [&](double x) { return plot_x + (x - xt.lo) / (xt.hi - xt.lo) * plot_w; };
  auto to_py = [&](double y) { return plot_y + plot_h - (y - yt.lo) / (yt.hi - yt.lo) * plot_h; };

  // Grid and ticks first, so the data is drawn over them.
  for (double v : yt.values) {
    const int y = static_cast<int>(std::lround(to_py(v)));
    c.fill_rect(plot_x, y, plot_w, 1, kGrid);
    c.fill_rect(plot_x - 5, y, 5, 1, kAxis);
    c.text(plot_x - 9, y - 7, tick_label(v, yt.decimals), kInk, 2, Align::Right);
  }
  for (double v : xt.values) {
    const int x = static_cast<int>(std::lround(to_px(v)));
    c.fill_rect(x, plot_y, 1, plot_h, kGrid);
    c.fill_rect(x, plot_y + plot_h, 1, 5, kAxis);
    c.text(x, plot_y + plot_h + 9, tick_label(v, xt.decimals), kInk, 2, Align::Center);
  }
  c.fill_rect(plot_x, plot_y, 1, plot_h + 1, kAxis);       // y axis
  c.fill_rect(plot_x, plot_y + plot_h, plot_w, 1, kAxis);  // x axis

  c.text(chart.width / 2, 10, chart.title, kInk, 2, Align::Center);
  c.text(plot_x + plot_w / 2, chart.height - 22, chart.x_label, kMuted, 2, Align::Center);
  c.text_vertical(16, plot_y + plot_h / 2, chart.y_label, kMuted, 2);

  std::vector<std::string> names;
  std::vector<Rgb> colors;
  for (const auto& s : chart.series) {
    bool any_point = false;
    for (size_t i = 0; i < s.x.size(); ++i)
      any_point = any_point || (std::isfinite(s.x[i]) && std::isfinite(s.y[i]));
    if (any_point) {  // a series with nothing to draw gets no legend entry
      names.push_back(s.name);
      colors.push_back(s.color);
    }
    // Segments join consecutive finite points; a NaN leaves a gap. Dots mark
    // the points themselves while there are few enough to tell apart.
    const bool dots = s.x.size() <= 60;
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      if (i > 0 && std::isfinite(s.x[i - 1]) && std::isfinite(s.y[i - 1]))
        c.line(to_px(s.x[i - 1]), to_py(s.y[i - 1]), to_px(s.x[i]), to_py(s.y[i]), s.color, 2.5);
      if (dots) c.dot(to_px(s.x[i]), to_py(s.y[i]), 3.5, s.color);
    }
  }
  draw_legend_row(c, plot_x + 8, 36, names, colors);
  return c.image();
}

Image draw_training_curves(const std::vector<EpochRow>& epochs) {
  std::vector<double> x;
  Series train_loss{"train", {}, {}, {31, 119, 180}}, val_loss{"val", {}, {}, {255, 127, 14}};
  Series train_acc{"train", {}, {}, {31, 119, 180}}, val_acc{"val", {}, {}, {255, 127, 14}};
  Series val_bal{"val balanced", {}, {}, {44, 160, 44}};
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

  const Image left = draw_line_chart(loss), right = draw_line_chart(acc);
  Canvas both(left.width + right.width, std::max(left.height, right.height), kBackground);
  both.paste(left, 0, 0);
  both.paste(right, left.width, 0);
  return both.image();
}

}  // namespace report
}  // namespace cudagrad
