#include "report/html_report.h"

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "base/error.h"
#include "base/files.h"
#include "report/charts.h"
#include "report/svg.h"

namespace cudagrad {
namespace report {

std::string base64_encode(const std::string& bytes) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  // Three bytes (24 bits) become four 6-bit letters; a short last group is
  // padded with '='.
  for (size_t i = 0; i < bytes.size(); i += 3) {
    const size_t n = std::min<size_t>(3, bytes.size() - i);
    uint32_t group = 0;
    for (size_t j = 0; j < 3; ++j)
      group = (group << 8) | (j < n ? static_cast<unsigned char>(bytes[i + j]) : 0u);
    for (size_t j = 0; j < 4; ++j) out += j <= n ? kAlphabet[(group >> (18 - 6 * j)) & 63] : '=';
  }
  return out;
}

// HTML and XML escape text alike; one function does both, so the page and
// its inline SVG charts cannot disagree.
std::string html_escape(const std::string& text) { return xml_escape(text); }

namespace {

// ---- the charts -----------------------------------------------------------------

// Each chart as an SVG document; empty when its data is absent.
struct Charts {
  std::string curves, confusion, classes;
};

void check_distribution(const ClassDistribution& d) {
  CG_CHECK(d.counts.size() == d.split_names.size(),
           "class distribution: " << d.counts.size() << " rows of counts for "
                                  << d.split_names.size() << " split names");
  for (size_t s = 0; s < d.counts.size(); ++s)
    CG_CHECK(d.counts[s].size() == d.class_names.size(),
             "class distribution: split '" << d.split_names[s] << "' has " << d.counts[s].size()
                                           << " counts for " << d.class_names.size() << " classes");
}

Charts draw_charts(const ReportInputs& in) {
  Charts charts;
  if (!in.epochs.empty()) charts.curves = training_curves_svg(in.epochs);
  if (in.evaluation)
    charts.confusion =
        confusion_matrix_svg(in.evaluation->confusion, in.evaluation->class_names);
  if (in.distribution && !in.distribution->split_names.empty()) {
    const ClassDistribution& d = *in.distribution;
    check_distribution(d);
    // Train and val in the curves' blue and orange, test in green, then more.
    const Rgb palette[] = {{31, 119, 180}, {255, 127, 14},  {44, 160, 44},
                           {214, 39, 40},  {148, 103, 189}, {140, 86, 75}};
    std::vector<BarGroup> groups;
    for (size_t s = 0; s < d.split_names.size(); ++s)
      groups.push_back({d.split_names[s], d.counts[s], palette[s % 6]});
    charts.classes = bar_chart_svg("Images per class", d.class_names, groups);
  }
  return charts;
}

// ---- text helpers -----------------------------------------------------------------

std::string format(const char* spec, double x) {
  if (!std::isfinite(x)) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, spec, x);
  return buf;
}

std::string percent(double x) { return format("%.1f%%", 100 * x); }
std::string percent(const std::optional<double>& x) { return x ? percent(*x) : "-"; }
std::string decimal3(const std::optional<double>& x) { return x ? format("%.3f", *x) : "-"; }

// An <img> holding its picture as a data URI; `type` is "png" or "jpeg".
std::string image_tag(const std::string& bytes, const std::string& type, const std::string& alt,
                      const std::string& cls) {
  return "<img class=\"" + cls + "\" alt=\"" + html_escape(alt) + "\" src=\"data:image/" + type +
         ";base64," + base64_encode(bytes) + "\">";
}

const char* kStyle = R"css(
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0;
       background: #f4f5f7; color: #212529; line-height: 1.4; }
main { max-width: 1240px; margin: 0 auto; padding: 20px 24px 40px; }
h1 { font-size: 26px; margin: 8px 0 2px; }
h2 { font-size: 19px; margin: 0 0 12px; }
section { background: #fff; border: 1px solid #e1e4e8; border-radius: 8px;
          padding: 18px 22px; margin: 16px 0; }
.note { color: #6c757d; font-size: 13px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(165px, 1fr)); gap: 12px; }
.card { border: 1px solid #e1e4e8; border-radius: 6px; padding: 10px 14px; }
.card .value { font-size: 24px; font-weight: 600; }
.card .label { color: #495057; font-size: 13px; }
.card .detail { color: #868e96; font-size: 12px; }
svg.chart { max-width: 100%; height: auto; display: block; }
table { border-collapse: collapse; font-size: 14px; font-variant-numeric: tabular-nums; }
th, td { padding: 5px 12px; border-bottom: 1px solid #eceef1; text-align: right; }
th { font-weight: 600; background: #f8f9fa; }
th:first-child, td:first-child { text-align: left; }
td.zero { color: #c92a2a; font-weight: 600; }
dl.settings { display: grid; grid-template-columns: max-content 1fr; gap: 4px 18px; margin: 0; }
dl.settings dt { color: #6c757d; }
dl.settings dd { margin: 0; font-family: ui-monospace, "SFMono-Regular", Menlo, monospace; }
details summary { cursor: pointer; color: #495057; margin-top: 10px; }
.gallery { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); gap: 16px; }
figure { margin: 0; }
figure img { width: 100%; height: auto; border-radius: 4px; display: block; }
figcaption { font-size: 13px; margin-top: 5px; }
.right { color: #2b8a3e; font-weight: 600; }
.wrong { color: #c92a2a; font-weight: 600; }
)css";

// ---- the sections -----------------------------------------------------------------

std::string summary_section(const ReportInputs& in) {
  if (!in.evaluation)
    return "<section id=\"summary\">\n<h2>Evaluation</h2>\n<p class=\"note\">No evaluation "
           "results were given.</p>\n</section>\n";
  const ClassificationMetrics& m = *in.evaluation;
  auto card = [](const std::string& value, const std::string& label,
                 const std::string& detail = "") {
    return "<div class=\"card\"><div class=\"value\">" + html_escape(value) +
           "</div><div class=\"label\">" + html_escape(label) + "</div>" +
           (detail.empty() ? "" : "<div class=\"detail\">" + html_escape(detail) + "</div>") +
           "</div>\n";
  };
  std::string s = "<section id=\"summary\">\n<h2>Evaluation on the " +
                  html_escape(in.evaluation_split) + " split</h2>\n<div class=\"cards\">\n";
  s += card(percent(m.accuracy), "accuracy", "baseline " + percent(m.majority_accuracy));
  s += card(percent(m.balanced_accuracy), "balanced accuracy (ISIC metric)",
            "baseline " + percent(m.majority_balanced_accuracy));
  s += card(decimal3(m.macro_f1), "macro F1");
  s += card(format("%.3f", m.weighted_f1), "weighted F1");
  s += card(decimal3(m.macro_auc), "macro ROC-AUC", "one-vs-rest");
  s += card(format("%.3f", m.mean_log_loss), "log loss", "mean cross-entropy");
  s += "</div>\n<p class=\"note\">Baseline: always predicting the most common class, '" +
       html_escape(m.class_names[m.majority_class]) +
       "'. Balanced accuracy is the mean of the per-class recalls; on it the baseline scores 1 / "
       "(number of classes).</p>\n</section>\n";
  return s;
}

std::string settings_section(const ReportInputs& in) {
  std::string s = "<section id=\"settings\">\n<h2>Run settings</h2>\n";
  if (in.settings.empty()) return s + "<p class=\"note\">No settings were given.</p>\n</section>\n";
  s += "<dl class=\"settings\">\n";
  for (const auto& kv : in.settings)
    s += "<dt>" + html_escape(kv.first) + "</dt><dd>" + html_escape(kv.second) + "</dd>\n";
  return s + "</dl>\n</section>\n";
}

std::string curves_section(const ReportInputs& in, const Charts& charts) {
  std::string s = "<section id=\"curves\">\n<h2>Training curves</h2>\n";
  if (in.epochs.empty()) return s + "<p class=\"note\">No per-epoch log.</p>\n</section>\n";
  s += charts.curves;
  s += "<details><summary>Per-epoch numbers</summary>\n<table>\n<tr><th>epoch</th>"
       "<th>train loss</th><th>train acc</th><th>val loss</th><th>val acc</th>"
       "<th>val balanced acc</th><th>lr</th><th>seconds</th></tr>\n";
  for (const auto& e : in.epochs)
    s += "<tr><td>" + std::to_string(e.epoch) + "</td><td>" + format("%.4f", e.train_loss) +
         "</td><td>" + percent(e.train_acc) + "</td><td>" + format("%.4f", e.val_loss) +
         "</td><td>" + percent(e.val_acc) + "</td><td>" + percent(e.val_balanced_acc) +
         "</td><td>" + format("%.3g", e.lr) + "</td><td>" + format("%.1f", e.seconds) +
         "</td></tr>\n";
  return s + "</table>\n</details>\n</section>\n";
}

std::string confusion_section(const ReportInputs& in, const Charts& charts) {
  if (!in.evaluation) return "";
  return "<section id=\"confusion\">\n<h2>Confusion matrix</h2>\n" + charts.confusion +
         "<p class=\"note\">Rows are true classes, columns predicted ones. Each cell shows "
         "its count and its share of the row, and is colored by that share, so a rare class "
         "reads as clearly as a common one.</p>\n</section>\n";
}

std::string per_class_section(const ReportInputs& in) {
  if (!in.evaluation) return "";
  std::string s =
      "<section id=\"classes\">\n<h2>Per class</h2>\n<table>\n<tr><th>class</th>"
      "<th>support</th><th>predicted</th><th>precision</th><th>recall (accuracy)"
      "</th><th>F1</th><th>ROC-AUC</th></tr>\n";
  for (const auto& c : in.evaluation->per_class) {
    // A class the model never gets right is the failure the tutorials'
    // tables show (vasc at 0%): make it stand out.
    const bool zero = c.recall && *c.recall == 0;
    s += "<tr><td>" + html_escape(c.name) + "</td><td>" + std::to_string(c.support) + "</td><td>" +
         std::to_string(c.predicted) + "</td><td>" + percent(c.precision) + "</td><td" +
         (zero ? " class=\"zero\"" : "") + ">" + percent(c.recall) + "</td><td>" + decimal3(c.f1) +
         "</td><td>" + decimal3(c.auc) + "</td></tr>\n";
  }
  return s +
         "</table>\n<p class=\"note\">Support: images of the class; predicted: images "
         "predicted as it. Recall is the per-class accuracy. ROC-AUC is one-vs-rest on the "
         "class's probability. '-' marks an undefined value: a class never predicted has no "
         "precision, one absent from the labels has no recall or AUC.</p>\n</section>\n";
}

std::string distribution_section(const Charts& charts) {
  std::string s = "<section id=\"distribution\">\n<h2>Class distribution</h2>\n";
  if (charts.classes.empty())
    return s + "<p class=\"note\">No class counts were given.</p>\n</section>\n";
  return s + charts.classes + "</section>\n";
}

std::string gradcam_section(const ReportInputs& in) {
  std::string s = "<section id=\"gradcam\">\n<h2>Grad-CAM</h2>\n";
  if (in.gradcams.empty())
    return s + "<p class=\"note\">No Grad-CAM examples were given.</p>\n</section>\n";
  s += "<p class=\"note\">The regions that raised the predicted class's score, from blue "
       "(little) through cyan and yellow to red (most).</p>\n<div class=\"gallery\">\n";
  for (const auto& g : in.gradcams) {
    const bool right = g.true_class == g.predicted_class;
    s += "<figure>" +
         // JPEG: an overlay is a photograph, which PNG stores several times larger.
         image_tag(encode_jpeg(g.overlay), "jpeg",
                   "Grad-CAM of a " + g.true_class + " image predicted " + g.predicted_class,
                   "gradcam") +
         "<figcaption>true <b>" + html_escape(g.true_class) +
         "</b> &middot; predicted <span class=\"" + (right ? "right" : "wrong") + "\">" +
         html_escape(g.predicted_class) + "</span> (" + format("%.2f", g.probability) + ")" +
         (g.caption.empty() ? ""
                            : "<br><span class=\"note\">" + html_escape(g.caption) + "</span>") +
         "</figcaption></figure>\n";
  }
  return s + "</div>\n</section>\n";
}

std::string page(const ReportInputs& in, const Charts& charts) {
  std::string subtitle = "Generated by cudagrad.";
  if (in.evaluation)
    subtitle = "Evaluated on " + std::to_string(in.evaluation->num_samples) + " images of the " +
               in.evaluation_split + " split; " + std::to_string(in.epochs.size()) +
               " epochs logged.";
  else if (!in.epochs.empty())
    subtitle = std::to_string(in.epochs.size()) + " epochs logged; no evaluation yet.";
  return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
         html_escape(in.title) + "</title>\n<style>" + kStyle +
         "</style>\n</head>\n<body>\n<main>\n" + "<h1>" + html_escape(in.title) +
         "</h1>\n<p class=\"note\">" + html_escape(subtitle) + "</p>\n" + summary_section(in) +
         settings_section(in) + curves_section(in, charts) + confusion_section(in, charts) +
         per_class_section(in) + distribution_section(charts) + gradcam_section(in) +
         "</main>\n</body>\n</html>\n";
}

}  // namespace

std::string render_html_report(const ReportInputs& inputs) {
  return page(inputs, draw_charts(inputs));
}

std::vector<std::string> write_html_report(const std::string& folder, const ReportInputs& inputs) {
  const Charts charts = draw_charts(inputs);
  std::error_code error;
  std::filesystem::create_directories(folder.empty() ? "." : folder, error);
  CG_CHECK(!error, "cannot create the report folder " << folder << ": " << error.message());
  const std::string base = folder.empty() || folder.back() == '/' ? folder : folder + "/";
  std::vector<std::string> written = {base + "report.html"};
  files::write_file_atomically(written[0], page(inputs, charts));
  const std::pair<const std::string*, const char*> files[] = {{&charts.curves, "curves.svg"},
                                                              {&charts.confusion, "confusion.svg"},
                                                              {&charts.classes, "classes.svg"}};
  for (const auto& f : files)
    if (!f.first->empty()) {
      written.push_back(base + f.second);
      files::write_file_atomically(written.back(), *f.first);
    }
  return written;
}

}  // namespace report
}  // namespace cudagrad
