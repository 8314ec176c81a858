// The run report: one self-contained HTML page (styles inline, charts as
// inline SVG, Grad-CAM images embedded as base64 data URIs, nothing fetched
// from the network) showing
// what the write-ups show their readers: run settings, loss and accuracy
// curves, the evaluation summary, the confusion matrix, the per-class
// table, the class distribution and a grid of Grad-CAM overlays.
//
// The inputs are plain structs, so the command line fills them from
// metrics.csv (read_epochs_csv), eval.json (load_metrics_json) and whatever
// else it has; every part is optional and the page says which are missing.
#pragma once
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "report/epochs.h"
#include "report/image.h"
#include "report/metrics.h"

namespace cudagrad {
namespace report {

// Images per class in each split: counts[s][c] for split_names[s] and
// class_names[c].
struct ClassDistribution {
  std::vector<std::string> class_names;
  std::vector<std::string> split_names;  // e.g. "train", "val", "test"
  std::vector<std::vector<int64_t>> counts;
};

struct GradcamExample {
  Image overlay;  // from gradcam_overlay()
  std::string true_class, predicted_class;
  double probability = 0;  // of the predicted class
  std::string caption;     // optional, e.g. the image's file name
};

struct ReportInputs {
  std::string title = "cudagrad run";
  std::vector<std::pair<std::string, std::string>> settings;  // shown in this order
  std::vector<EpochRow> epochs;
  std::optional<ClassificationMetrics> evaluation;
  std::string evaluation_split = "test";  // which split `evaluation` was measured on
  std::optional<ClassDistribution> distribution;
  std::vector<GradcamExample> gradcams;
};

// The page as a string.
std::string render_html_report(const ReportInputs& inputs);

// Writes `folder`/report.html and, beside it, each chart of the page as an
// SVG file of its own, for people who want the chart without the page:
// curves.svg (when there are epochs), confusion.svg (when there is an
// evaluation) and classes.svg (when there is a distribution). The folder is
// created if missing; every file is written atomically. Returns the paths
// written, the page first.
std::vector<std::string> write_html_report(const std::string& folder, const ReportInputs& inputs);

// Helpers the page is built with, public for tests.
std::string base64_encode(const std::string& bytes);  // RFC 4648, with '=' padding
std::string html_escape(const std::string& text);     // & < > " ' (xml_escape, report/svg.h)

}  // namespace report
}  // namespace cudagrad
