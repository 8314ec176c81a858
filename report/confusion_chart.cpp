// The confusion-matrix heat map.
#include <algorithm>
#include <cmath>

#include "base/error.h"
#include "report/chart_style.h"
#include "report/charts.h"

namespace cudagrad {
namespace report {

using namespace chart;

namespace {

constexpr Rgb kHeatLow{255, 255, 255}, kHeatHigh{8, 48, 107};  // white to dark blue

std::string percent(double share) {
  return std::to_string(static_cast<int>(std::lround(100 * share))) + "%";
}

}  // namespace

std::string confusion_matrix_svg(const std::vector<std::vector<int64_t>>& confusion,
                                 const std::vector<std::string>& class_names) {
  const int k = static_cast<int>(class_names.size());
  CG_CHECK(k >= 1 && confusion.size() == class_names.size(),
           "confusion matrix: " << confusion.size() << " rows for " << k << " class names");
  for (const auto& row : confusion) {
    CG_CHECK(row.size() == class_names.size(),
             "confusion matrix: a row has " << row.size() << " entries, expected " << k);
    for (int64_t n : row) CG_CHECK(n >= 0, "confusion matrix: negative count " << n);
  }

  // Cells shrink as classes are added, so the matrix stays about 500 px.
  const double cell = std::clamp(500 / k, 28, 72);
  double name_width = 0;
  for (const auto& name : class_names) name_width = std::max(name_width, text_width(name));
  // Column names go under the grid, turned on their side when too wide.
  const bool vertical_columns = name_width > cell - 6;
  const double left = 40 + name_width + 12, top = 48, grid = k * cell;
  const double bottom = 14 + (vertical_columns ? name_width : kFontSize) + 40;
  const double legend_x = left + grid + 24;
  const double width = legend_x + 16 + 8 + text_width("100%") + 16, height = top + grid + bottom;

  SvgWriter svg = begin_chart(width, height, "Confusion matrix");
  draw_title(svg, left + grid / 2, 28, "Confusion matrix");
  for (int t = 0; t < k; ++t) {
    int64_t row_total = 0;
    for (int64_t n : confusion[t]) row_total += n;
    svg.open("g", {{"class", "row"}, {"data-true-class", class_names[t]}});
    for (int p = 0; p < k; ++p) {
      const int64_t n = confusion[t][p];
      const double share = row_total > 0 ? static_cast<double>(n) / row_total : 0.0;
      const double x = left + p * cell, y = top + t * cell;
      svg.open("rect", {{"class", "cell"},
                        {"x", x},
                        {"y", y},
                        {"width", cell},
                        {"height", cell},
                        {"fill", css_color(mix(kHeatLow, kHeatHigh, share))}});
      svg.element("title", {},
                  "true " + class_names[t] + ", predicted " + class_names[p] + ": " +
                      std::to_string(n) + " of " + std::to_string(row_total) + " (" +
                      percent(share) + " of the row)");
      svg.close();
      // Light text on dark cells, dark text on light ones.
      const std::string ink = share > 0.5 ? "#ffffff" : css_color(kInk);
      const bool room_for_share = cell >= 48;
      const double count_y = y + cell / 2 + (room_for_share ? -2 : 4.5);
      svg.text(x + cell / 2, count_y, std::to_string(n),
               {{"text-anchor", "middle"}, {"fill", ink}, {"font-weight", "600"}});
      if (room_for_share)
        svg.text(x + cell / 2, count_y + 15, percent(share),
                 {{"text-anchor", "middle"}, {"fill", ink}, {"font-size", kSmallSize}});
    }
    svg.text(left - 8, top + t * cell + cell / 2, class_names[t],
             {{"text-anchor", "end"}, {"dy", "0.35em"}});
    svg.close();
  }
  svg.leaf("rect", {{"x", left},
                    {"y", top},
                    {"width", grid},
                    {"height", grid},
                    {"fill", "none"},
                    {"stroke", css_color(kAxis)}});

  // Column names, then the axis names.
  svg.open("g", {{"class", "predicted-classes"}});
  for (int p = 0; p < k; ++p) {
    const double cx = left + p * cell + cell / 2, y = top + grid + 8;
    if (vertical_columns)  // ends at the grid and reads bottom to top
      svg.text(cx, y, class_names[p],
               {{"text-anchor", "end"},
                {"dy", "0.35em"},
                {"transform", "rotate(-90 " + svg_number(cx) + " " + svg_number(y) + ")"}});
    else
      svg.text(cx, y + kFontSize, class_names[p], {{"text-anchor", "middle"}});
  }
  svg.close();
  svg.text(left + grid / 2, height - 20, "predicted class",
           {{"text-anchor", "middle"}, {"fill", css_color(kMuted)}});
  draw_vertical_label(svg, 16, top + grid / 2, "true class");

  // The color scale: share of the true class's row, 0% at the bottom. The
  // gradient's id is fixed: a page holds one confusion matrix.
  svg.open("defs");
  svg.open("linearGradient",
           {{"id", "confusion-scale"}, {"x1", 0}, {"y1", 1}, {"x2", 0}, {"y2", 0}});
  svg.leaf("stop", {{"offset", 0}, {"stop-color", css_color(kHeatLow)}});
  svg.leaf("stop", {{"offset", 1}, {"stop-color", css_color(kHeatHigh)}});
  svg.close();
  svg.close();
  svg.leaf("rect", {{"class", "scale"},
                    {"x", legend_x},
                    {"y", top},
                    {"width", 16},
                    {"height", grid},
                    {"fill", "url(#confusion-scale)"},
                    {"stroke", css_color(kAxis)}});
  svg.text(legend_x + 22, top, "100%", {{"dy", "0.7em"}});
  svg.text(legend_x + 22, top + grid, "0%");
  return svg.finish();
}

}  // namespace report
}  // namespace cudagrad
