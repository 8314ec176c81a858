// The class-distribution bar chart.
#include <algorithm>
#include <cmath>

#include "base/error.h"
#include "report/chart_style.h"
#include "report/png_chart.h"

namespace cudagrad {
namespace report {

using namespace chart;

Image draw_bar_chart(const std::string& title, const std::vector<std::string>& categories,
                     const std::vector<BarGroup>& groups) {
  const int k = static_cast<int>(categories.size()), g = static_cast<int>(groups.size());
  CG_CHECK(k >= 1 && g >= 1, "bar chart '" << title << "': needs categories and groups");
  int64_t most = 0;
  for (const auto& group : groups) {
    CG_CHECK(static_cast<int>(group.counts.size()) == k,
             "bar chart '" << title << "': group '" << group.name << "' has " << group.counts.size()
                           << " counts for " << k << " categories");
    for (int64_t n : group.counts) {
      CG_CHECK(n >= 0, "bar chart '" << title << "': negative count " << n);
      most = std::max(most, n);
    }
  }

  // Bars are wide enough for their count written above them (5x7 font at
  // scale 1: 6 px per digit).
  const int bar = std::max(18, Canvas::text_width(std::to_string(most), 1) + 4);
  const int gap = 18, cluster = g * bar + gap;
  int label_width = 0;
  for (const auto& name : categories)
    label_width = std::max(label_width, Canvas::text_width(name, 2));
  const int slot = std::max(cluster, label_width + 8);
  const Ticks yt = nice_ticks(0, static_cast<double>(std::max<int64_t>(most, 1)), 5, true);
  const int left = left_margin_for(yt), top = 64, plot_h = 300, bottom = 56;
  const int plot_w = k * slot;
  Canvas c(std::max(left + plot_w + 24, 420), top + plot_h + bottom, kBackground);

  auto to_py = [&](double v) { return top + plot_h - v / yt.hi * plot_h; };
  for (double v : yt.values) {
    const int y = static_cast<int>(std::lround(to_py(v)));
    c.fill_rect(left, y, plot_w, 1, kGrid);
    c.fill_rect(left - 5, y, 5, 1, kAxis);
    c.text(left - 9, y - 7, tick_label(v, 0), kInk, 2, Align::Right);
  }
  for (int i = 0; i < k; ++i) {
    const int x0 = left + i * slot + (slot - g * bar) / 2;
    for (int j = 0; j < g; ++j) {
      const int64_t n = groups[j].counts[i];
      const int y = static_cast<int>(std::lround(to_py(static_cast<double>(n))));
      c.fill_rect(x0 + j * bar + 1, y, bar - 2, top + plot_h - y, groups[j].color);
      c.text(x0 + j * bar + bar / 2, y - 11, std::to_string(n), kInk, 1, Align::Center);
    }
    c.text(left + i * slot + slot / 2, top + plot_h + 9, categories[i], kInk, 2, Align::Center);
  }
  c.fill_rect(left, top, 1, plot_h + 1, kAxis);
  c.fill_rect(left, top + plot_h, plot_w, 1, kAxis);
  c.text(c.width() / 2, 10, title, kInk, 2, Align::Center);
  c.text_vertical(16, top + plot_h / 2, "images", kMuted, 2);

  std::vector<std::string> names;
  std::vector<Rgb> colors;
  for (const auto& group : groups) {
    names.push_back(group.name);
    colors.push_back(group.color);
  }
  draw_legend_row(c, left + 8, 36, names, colors);
  return c.image();
}

}  // namespace report
}  // namespace cudagrad
