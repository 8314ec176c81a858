// What the charts share: colors, margins and the choice of axis ticks.
// Internal to the report library.
#pragma once
#include <string>
#include <vector>

#include "report/canvas.h"

namespace cudagrad {
namespace report {
namespace chart {

constexpr Rgb kBackground{255, 255, 255};
constexpr Rgb kInk{33, 37, 41};       // titles and labels
constexpr Rgb kAxis{90, 90, 90};      // axis lines and tick marks
constexpr Rgb kGrid{228, 228, 228};   // grid lines behind the data
constexpr Rgb kMuted{110, 110, 110};  // secondary text

// Ticks for an axis covering [lo, hi]: a step of 1, 2 or 5 times a power of
// ten giving about `target` intervals, and the multiples of it that span
// the range (the axis is widened to the first and last tick). With
// `whole_numbers` the step is at least 1 (epochs, counts).
struct Ticks {
  double lo = 0, hi = 1, step = 0.2;
  std::vector<double> values;
  int decimals = 1;  // enough to tell neighbouring ticks apart
};
Ticks nice_ticks(double lo, double hi, int target = 5, bool whole_numbers = false);

// The left margin that fits the y axis name (turned on its side, 34 px)
// and the widest tick label.
int left_margin_for(const Ticks& y_ticks);

// A tick value as text with the ticks' number of decimals ("0.25", "1200").
std::string tick_label(double value, int decimals);

// A legend in a row: a short line of each color, then its name.
void draw_legend_row(Canvas& canvas, int x, int y, const std::vector<std::string>& names,
                     const std::vector<Rgb>& colors);

}  // namespace chart
}  // namespace report
}  // namespace cudagrad
