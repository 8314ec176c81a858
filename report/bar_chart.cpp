// The class-distribution bar chart.
#include <algorithm>
#include <cmath>

#include "base/error.h"
#include "report/chart_style.h"
#include "report/charts.h"

namespace cudagrad {
namespace report {

using namespace chart;

std::string bar_chart_svg(const std::string& title, const std::vector<std::string>& categories,
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

  // Bars are wide enough for their count written above them, and each
  // category's slot for its name written below.
  const double bar = std::max(18.0, text_width(std::to_string(most), kSmallSize) + 4);
  const double gap = 18, cluster = g * bar + gap;
  double label_width = 0;
  for (const auto& name : categories) label_width = std::max(label_width, text_width(name));
  const double slot = std::max(cluster, label_width + 8);
  const Ticks yt = nice_ticks(0, static_cast<double>(std::max<int64_t>(most, 1)), 5, true);
  const double left = left_margin_for(yt), top = 64, plot_h = 300, bottom = 56;
  const double plot_w = k * slot;
  const double width = std::max(left + plot_w + 24, 420.0), height = top + plot_h + bottom;
  auto to_py = [&](double v) { return top + plot_h - v / yt.hi * plot_h; };

  SvgWriter svg = begin_chart(width, height, title);
  svg.open("g", {{"class", "y-axis"}});
  for (double v : yt.values) {
    const double y = to_py(v);
    svg.leaf(
        "line",
        {{"x1", left}, {"y1", y}, {"x2", left + plot_w}, {"y2", y}, {"stroke", css_color(kGrid)}});
    svg.leaf("line",
             {{"x1", left - 5}, {"y1", y}, {"x2", left}, {"y2", y}, {"stroke", css_color(kAxis)}});
    svg.text(left - 8, y, tick_label(v, 0), {{"text-anchor", "end"}, {"dy", "0.35em"}});
  }
  svg.close();

  for (int i = 0; i < k; ++i) {
    svg.open("g", {{"class", "category"}, {"data-category", categories[i]}});
    const double x0 = left + i * slot + (slot - g * bar) / 2;
    for (int j = 0; j < g; ++j) {
      const int64_t n = groups[j].counts[i];
      const double y = to_py(static_cast<double>(n));
      const double x = x0 + j * bar;
      svg.open("rect", {{"class", "bar"},
                        {"x", x + 1},
                        {"y", y},
                        {"width", bar - 2},
                        {"height", top + plot_h - y},
                        {"fill", css_color(groups[j].color)}});
      svg.element("title", {}, groups[j].name + ", " + categories[i] + ": " + std::to_string(n));
      svg.close();
      svg.text(x + bar / 2, y - 4, std::to_string(n),
               {{"text-anchor", "middle"}, {"font-size", kSmallSize}});
    }
    svg.text(left + i * slot + slot / 2, top + plot_h + 20, categories[i],
             {{"text-anchor", "middle"}});
    svg.close();
  }
  svg.leaf("path", {{"d", "M" + svg_number(left) + " " + svg_number(top) + "V" +
                              svg_number(top + plot_h) + "H" + svg_number(left + plot_w)},
                    {"fill", "none"},
                    {"stroke", css_color(kAxis)}});
  draw_title(svg, width / 2, 26, title);
  draw_vertical_label(svg, 16, top + plot_h / 2, "images");
  svg.text(left + plot_w / 2, height - 14, "class",
           {{"text-anchor", "middle"}, {"fill", css_color(kMuted)}});

  std::vector<std::string> names;
  std::vector<Rgb> colors;
  for (const auto& group : groups) {
    names.push_back(group.name);
    colors.push_back(group.color);
  }
  draw_legend_row(svg, left + 8, 48, names, colors);
  return svg.finish();
}

}  // namespace report
}  // namespace cudagrad
