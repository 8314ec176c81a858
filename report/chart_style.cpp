#include "report/chart_style.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

namespace cudagrad {
namespace report {
namespace chart {

Ticks nice_ticks(double lo, double hi, int target, bool whole_numbers) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) {
    lo = 0;
    hi = 1;
  }
  if (hi < lo) std::swap(lo, hi);
  if (hi == lo) {  // one value: give it some room either side
    const double pad = lo == 0 ? 1 : std::fabs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  // The raw step, rounded up to 1, 2 or 5 times its power of ten.
  const double raw = (hi - lo) / target;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double normalized = raw / magnitude;
  double step = (normalized <= 1 ? 1 : normalized <= 2 ? 2 : normalized <= 5 ? 5 : 10) * magnitude;
  if (whole_numbers) step = std::max(1.0, std::round(step));

  Ticks t;
  t.step = step;
  t.lo = std::floor(lo / step + 1e-9) * step;
  t.hi = std::ceil(hi / step - 1e-9) * step;
  for (double v = t.lo; v <= t.hi + step * 1e-6; v += step)
    t.values.push_back(std::fabs(v) < step * 1e-9 ? 0.0 : v);  // no "-0.0"
  t.decimals = step >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(step) - 1e-9));
  return t;
}

std::string tick_label(double value, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  return buf;
}

int left_margin_for(const Ticks& y_ticks) {
  int widest = 0;
  for (double v : y_ticks.values)
    widest = std::max(widest, Canvas::text_width(tick_label(v, y_ticks.decimals), 2));
  return 34 + widest + 14;
}

void draw_legend_row(Canvas& canvas, int x, int y, const std::vector<std::string>& names,
                     const std::vector<Rgb>& colors) {
  for (size_t i = 0; i < names.size(); ++i) {
    const int mid = y + Canvas::text_height(2) / 2 - 2;
    canvas.line(x, mid, x + 22, mid, colors[i], 3);
    canvas.text(x + 28, y, names[i], kInk, 2);
    x += 28 + Canvas::text_width(names[i], 2) + 24;
  }
}

}  // namespace chart
}  // namespace report
}  // namespace cudagrad
