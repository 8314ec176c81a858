// The report's charts as SVG documents (report/svg.h): training curves, a
// confusion-matrix heat map and a bar chart of the class distribution.
// Each function returns one <svg> element as text, which is both a valid
// .svg file and a valid piece of an HTML page.
//
// Every chart has a title, labelled axes with ticks, and a legend where it
// shows more than one series; each data point, bar and cell carries a
// <title> with its exact value, which a browser shows on hover.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "report/epochs.h"
#include "report/image.h"

namespace cudagrad {
namespace report {

// ---- line charts ------------------------------------------------------------------

struct Series {
  std::string name;
  std::vector<double> x, y;  // NaN points are skipped, breaking the line
  Rgb color;
};

struct LineChart {
  std::string title, x_label, y_label;
  std::vector<Series> series;
  int width = 600, height = 420;
  // The y range: from the data, unless fixed here (accuracy: 0 to 1).
  bool fixed_y = false;
  double y_min = 0, y_max = 1;
};

// Axes with "nice" ticks (1, 2 or 5 times a power of ten), light grid
// lines, and a legend. Each series is a <g class="series" data-series=NAME>
// holding one <polyline> per unbroken run of points and, while there are
// at most 60 points, a <circle> per point.
std::string line_chart_svg(const LineChart& chart);

// Two charts side by side, 1200 x 420: train/val loss, and train/val
// accuracy with the validation balanced accuracy. Epochs are the x axis.
std::string training_curves_svg(const std::vector<EpochRow>& epochs);

// ---- confusion matrix and class distribution ----------------------------------------

// Rows are true classes, columns predicted ones. Each cell shows its count
// and, when there is room, its share of the row (the recall for a diagonal
// cell); the color is that share, white (0) to dark blue (1), so a rare
// class reads as clearly as a common one. A color scale stands at the right.
std::string confusion_matrix_svg(const std::vector<std::vector<int64_t>>& confusion,
                                 const std::vector<std::string>& class_names);

struct BarGroup {
  std::string name;             // "train", "val", "test"
  std::vector<int64_t> counts;  // one per category
  Rgb color;
};

// Vertical bars, one cluster per category (class), one bar per group
// (split) in each cluster, with each bar's count written above it.
std::string bar_chart_svg(const std::string& title, const std::vector<std::string>& categories,
                          const std::vector<BarGroup>& groups);

}  // namespace report
}  // namespace cudagrad
