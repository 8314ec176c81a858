// What the charts share: colors, fonts, the choice of axis ticks, and the
// pieces every chart draws (its frame, title and legend). Internal to the
// report library.
#pragma once
#include <string>
#include <vector>

#include "report/image.h"
#include "report/svg.h"

namespace cudagrad {
namespace report {
namespace chart {

constexpr Rgb kInk{33, 37, 41};       // titles and labels
constexpr Rgb kAxis{90, 90, 90};      // axis lines and tick marks
constexpr Rgb kGrid{228, 228, 228};   // grid lines behind the data
constexpr Rgb kMuted{110, 110, 110};  // axis names

constexpr double kFontSize = 13;   // labels and ticks
constexpr double kTitleSize = 15;  // a chart's title
constexpr double kSmallSize = 11;  // numbers on bars and in cells

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

// A tick value as text with the ticks' number of decimals ("0.25", "1200").
std::string tick_label(double value, int decimals);

// About how wide `text` is drawn at `font_size` pixels. The browser picks
// the font, so the true width is unknown here; 0.6 of the size per
// character is a little wider than common sans-serif fonts, so margins
// sized with it leave room rather than clip.
double text_width(const std::string& text, double font_size = kFontSize);

// The left margin that fits the y axis name (turned on its side) and the
// widest tick label.
double left_margin_for(const Ticks& y_ticks);

// Starts a chart: the root <svg> with the charts' font and class, and a
// white background (a standalone .svg file may be viewed on a dark one).
SvgWriter begin_chart(double width, double height, const std::string& title);

// The title, centered on x with its baseline at y.
void draw_title(SvgWriter& svg, double x, double y, const std::string& title);

// An axis name turned a quarter left, reading bottom to top, centered on (x, y).
void draw_vertical_label(SvgWriter& svg, double x, double y, const std::string& label);

// A legend in a row from (x, baseline y): a short line of each color, then
// its name, each entry spaced by the estimated width of the one before.
void draw_legend_row(SvgWriter& svg, double x, double y, const std::vector<std::string>& names,
                     const std::vector<Rgb>& colors);

}  // namespace chart
}  // namespace report
}  // namespace cudagrad
