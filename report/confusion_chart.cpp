// The confusion-matrix heat map.
#include <algorithm>
#include <cmath>

#include "base/error.h"
#include "report/chart_style.h"
#include "report/png_chart.h"

namespace cudagrad {
namespace report {

using namespace chart;

namespace {

constexpr Rgb kHeatLow{255, 255, 255}, kHeatHigh{8, 48, 107};  // white to dark blue

std::string percent(double share) {
  return std::to_string(static_cast<int>(std::lround(100 * share))) + "%";
}

}  // namespace

Image draw_confusion_heatmap(const std::vector<std::vector<int64_t>>& confusion,
                             const std::vector<std::string>& class_names) {
  const int k = static_cast<int>(class_names.size());
  CG_CHECK(k >= 1 && confusion.size() == class_names.size(),
           "confusion heat map: " << confusion.size() << " rows for " << k << " class names");
  for (const auto& row : confusion)
    CG_CHECK(row.size() == class_names.size(),
             "confusion heat map: a row has " << row.size() << " entries, expected " << k);

  // Cells shrink as classes are added, so the matrix stays about 500 px.
  const int cell = std::clamp(500 / k, 28, 72);
  int name_width = 0;
  for (const auto& name : class_names)
    name_width = std::max(name_width, Canvas::text_width(name, 2));
  // Column names go under the grid, turned on their side when too wide.
  const bool vertical_columns = name_width > cell - 6;
  const int left = 40 + name_width + 12, top = 48;
  const int grid = k * cell;
  const int bottom = 14 + (vertical_columns ? name_width : Canvas::text_height(2)) + 40;
  const int legend_x = left + grid + 24;
  Canvas c(legend_x + 16 + 8 + Canvas::text_width("100%", 2) + 16, top + grid + bottom,
           kBackground);

  c.text(left + grid / 2, 14, "Confusion matrix", kInk, 2, Align::Center);
  for (int t = 0; t < k; ++t) {
    int64_t row_total = 0;
    for (int64_t n : confusion[t]) row_total += n;
    for (int p = 0; p < k; ++p) {
      const int64_t n = confusion[t][p];
      CG_CHECK(n >= 0, "confusion heat map: negative count " << n);
      const double share = row_total > 0 ? static_cast<double>(n) / row_total : 0.0;
      const int x = left + p * cell, y = top + t * cell;
      c.fill_rect(x, y, cell, cell, mix(kHeatLow, kHeatHigh, share));
      // Light text on dark cells, dark text on light ones.
      const Rgb ink = share > 0.5 ? kBackground : kInk;
      const bool room_for_share = cell >= 48;
      const int count_y = y + cell / 2 - (room_for_share ? 13 : 7);
      c.text(x + cell / 2, count_y, std::to_string(n), ink, 2, Align::Center);
      if (room_for_share) c.text(x + cell / 2, count_y + 20, percent(share), ink, 1, Align::Center);
    }
    c.text(left - 8, top + t * cell + cell / 2 - 7, class_names[t], kInk, 2, Align::Right);
  }
  c.outline_rect(left - 1, top - 1, grid + 2, grid + 2, kAxis);

  // Column names, then the axis names.
  for (int p = 0; p < k; ++p) {
    const int cx = left + p * cell + cell / 2;
    if (vertical_columns)
      c.text_vertical(cx, top + grid + 8 + name_width / 2, class_names[p], kInk, 2);
    else
      c.text(cx, top + grid + 8, class_names[p], kInk, 2, Align::Center);
  }
  c.text(left + grid / 2, top + grid + bottom - 26, "predicted class", kMuted, 2, Align::Center);
  c.text_vertical(16, top + grid / 2, "true class", kMuted, 2);

  // The color scale: share of the true class's row, 0% at the bottom.
  for (int i = 0; i < grid; ++i)
    c.fill_rect(legend_x, top + grid - 1 - i, 16, 1,
                mix(kHeatLow, kHeatHigh, static_cast<double>(i) / std::max(grid - 1, 1)));
  c.outline_rect(legend_x - 1, top - 1, 18, grid + 2, kAxis);
  c.text(legend_x + 22, top, "100%", kInk, 2);
  c.text(legend_x + 22, top + grid - 14, "0%", kInk, 2);
  return c.image();
}

}  // namespace report
}  // namespace cudagrad
