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

double text_width(const std::string& text, double font_size) {
  size_t characters = 0;  // UTF-8: count the bytes that start a character
  for (char c : text) characters += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return 0.6 * font_size * static_cast<double>(characters);
}

double left_margin_for(const Ticks& y_ticks) {
  double widest = 0;
  for (double v : y_ticks.values)
    widest = std::max(widest, text_width(tick_label(v, y_ticks.decimals)));
  return 34 + widest + 12;
}

SvgWriter begin_chart(double width, double height, const std::string& title) {
  SvgWriter svg(width, height, title,
                {{"class", "chart"},
                 {"font-family", "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"},
                 {"font-size", kFontSize},
                 {"fill", css_color(kInk)}});
  svg.leaf("rect", {{"width", width}, {"height", height}, {"fill", "#ffffff"}});
  return svg;
}

void draw_title(SvgWriter& svg, double x, double y, const std::string& title) {
  svg.text(x, y, title,
           {{"text-anchor", "middle"}, {"font-size", kTitleSize}, {"font-weight", "600"}});
}

void draw_vertical_label(SvgWriter& svg, double x, double y, const std::string& label) {
  // Drawn level at (x, y), then turned -90 degrees about that same point.
  svg.text(x, y, label,
           {{"text-anchor", "middle"},
            {"dy", "0.35em"},
            {"fill", css_color(kMuted)},
            {"transform", "rotate(-90 " + svg_number(x) + " " + svg_number(y) + ")"}});
}

void draw_legend_row(SvgWriter& svg, double x, double y, const std::vector<std::string>& names,
                     const std::vector<Rgb>& colors) {
  svg.open("g", {{"class", "legend"}});
  for (size_t i = 0; i < names.size(); ++i) {
    const double mid = y - 0.35 * kFontSize;  // the middle of lowercase letters
    svg.leaf("line", {{"x1", x},
                      {"y1", mid},
                      {"x2", x + 22},
                      {"y2", mid},
                      {"stroke", css_color(colors[i])},
                      {"stroke-width", 3}});
    svg.text(x + 28, y, names[i]);
    x += 28 + text_width(names[i]) + 20;
  }
  svg.close();
}

}  // namespace chart
}  // namespace report
}  // namespace cudagrad
