// Charts drawn pixel by pixel (no plotting library) and written as PNG:
// training curves, a confusion-matrix heat map, a bar chart of the class
// distribution, and Grad-CAM heat maps laid over an image.
//
// Every function returns an Image (report/canvas.h); encode_png() turns it
// into PNG bytes (for embedding in HTML) and write_png() into a file,
// written atomically.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "report/canvas.h"
#include "report/epochs.h"

namespace cudagrad {
namespace report {

// ---- PNG files ------------------------------------------------------------------

std::string encode_png(const Image& image);
void write_png(const std::string& path, const Image& image);  // atomic
// JPEG bytes (quality 1..100), for photographs such as Grad-CAM overlays,
// which PNG stores several times larger.
std::string encode_jpeg(const Image& image, int quality = 90);
// PNG (or JPEG) bytes to RGB; cudagrad::Error naming `source` if undecodable.
Image decode_png(const std::string& bytes, const std::string& source);
Image read_png(const std::string& path);

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
// lines, each series as a line with a dot per point, and a legend.
Image draw_line_chart(const LineChart& chart);

// Two charts side by side: train/val loss, and train/val accuracy with the
// validation balanced accuracy. Epochs are the x axis.
Image draw_training_curves(const std::vector<EpochRow>& epochs);

// ---- confusion matrix and class distribution ----------------------------------------

// Rows are true classes, columns predicted ones. Each cell shows its count
// and its share of the row (the recall for a diagonal cell); the color is
// that share, white (0) to dark blue (1), so a rare class reads as clearly
// as a common one.
Image draw_confusion_heatmap(const std::vector<std::vector<int64_t>>& confusion,
                             const std::vector<std::string>& class_names);

struct BarGroup {
  std::string name;             // "train", "val", "test"
  std::vector<int64_t> counts;  // one per category
  Rgb color;
};

// Vertical bars, one cluster per category (class), one bar per group
// (split) in each cluster, with each bar's count written above it.
Image draw_bar_chart(const std::string& title, const std::vector<std::string>& categories,
                     const std::vector<BarGroup>& groups);

// ---- Grad-CAM ----------------------------------------------------------------------

// The heat colormap used for Grad-CAM: piecewise linear in RGB through
// dark blue (0), cyan (1/3), yellow (2/3) and red (1). t is clamped to [0, 1].
Rgb heat_color(double t);

// Lays a heat map over an image: the map (heat_height x heat_width, row
// major, any size, any range) is scaled to [0, 1] by its minimum and
// maximum (all zeros when flat), resized to the image bilinearly (pixel
// centers aligned, as cv2.resize and PyTorch's align_corners=False do),
// colored by heat_color(), and blended: out = (1 - alpha) image + alpha color.
Image gradcam_overlay(const Image& image, const std::vector<float>& heat, int heat_height,
                      int heat_width, double alpha = 0.45);

}  // namespace report
}  // namespace cudagrad
