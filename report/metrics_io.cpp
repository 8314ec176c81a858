// The text tables and the JSON form of ClassificationMetrics.
#include <algorithm>
#include <cstdio>
#include <string>

#include "engine/atomic_write.h"
#include "engine/error.h"
#include "report/metrics.h"

namespace cudagrad {
namespace report {

namespace {

std::string fixed(double x, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, x);
  return buf;
}

// An optional value as text; undefined values print as "-".
std::string fixed(const std::optional<double>& x, int decimals) {
  return x ? fixed(*x, decimals) : "-";
}

std::string pad_left(const std::string& s, size_t width) {
  return s.size() >= width ? s : std::string(width - s.size(), ' ') + s;
}

std::string pad_right(const std::string& s, size_t width) {
  return s.size() >= width ? s : s + std::string(width - s.size(), ' ');
}

size_t longest_name(const ClassificationMetrics& m, size_t at_least) {
  size_t width = at_least;
  for (const auto& name : m.class_names) width = std::max(width, name.size());
  return width;
}

}  // namespace

std::string format_metrics(const ClassificationMetrics& m) {
  const std::string n = std::to_string(m.num_samples);
  int64_t correct = 0, classes_present = 0, classes_with_auc = 0;
  for (const auto& c : m.per_class) {
    correct += c.correct;
    classes_present += c.support > 0;
    classes_with_auc += c.auc.has_value();
  }
  const size_t k = m.class_names.size();
  auto of_k = [&](int64_t count) {
    return count == static_cast<int64_t>(k) ? std::string()
                                            : ", " + std::to_string(k - count) + " absent";
  };

  std::string out;
  auto line = [&](const std::string& label, const std::string& value, const std::string& note) {
    out += pad_right(label, 19) + pad_left(value, 7) + (note.empty() ? "" : "  " + note) + "\n";
  };
  line("samples", n, "");
  line("accuracy", fixed(m.accuracy, 4), "(" + std::to_string(correct) + " / " + n + ")");
  line("balanced accuracy", fixed(m.balanced_accuracy, 4),
       "(mean recall over " + std::to_string(classes_present) + " classes" + of_k(classes_present) +
           ")");
  line("macro F1", fixed(m.macro_f1, 4), "");
  line("weighted F1", fixed(m.weighted_f1, 4), "");
  line("macro ROC-AUC", fixed(m.macro_auc, 4),
       "(one-vs-rest, " + std::to_string(classes_with_auc) + " classes" + of_k(classes_with_auc) +
           ")");
  line("log loss", fixed(m.mean_log_loss, 4), "");
  line("majority baseline", fixed(m.majority_accuracy, 4),
       "(always '" + m.class_names[m.majority_class] + "'; balanced accuracy " +
           fixed(m.majority_balanced_accuracy, 4) + ")");
  out += "\n";

  const size_t name_width = longest_name(m, 5);
  const std::vector<std::string> headers = {"support", "predicted", "precision",
                                            "recall",  "f1",        "auc"};
  out += pad_right("class", name_width);
  for (const auto& h : headers) out += "  " + pad_left(h, 9);
  out += "\n";
  for (const auto& c : m.per_class) {
    const std::vector<std::string> cells = {std::to_string(c.support),
                                            std::to_string(c.predicted),
                                            fixed(c.precision, 3),
                                            fixed(c.recall, 3),
                                            fixed(c.f1, 3),
                                            fixed(c.auc, 3)};
    out += pad_right(c.name, name_width);
    for (const auto& cell : cells) out += "  " + pad_left(cell, 9);
    out += "\n";
  }
  out += "recall is the per-class accuracy; '-' marks a value that is undefined\n";
  return out;
}

std::string format_confusion_matrix(const ClassificationMetrics& m) {
  const size_t k = m.class_names.size();
  const size_t name_width = longest_name(m, 4);
  // Every column as wide as the longest class name or the largest count.
  size_t cell_width = 0;
  for (const auto& name : m.class_names) cell_width = std::max(cell_width, name.size());
  for (const auto& row : m.confusion)
    for (int64_t count : row) cell_width = std::max(cell_width, std::to_string(count).size());

  std::string out = "confusion matrix (rows: true class, columns: predicted class)\n";
  out += pad_right("", name_width);
  for (size_t p = 0; p < k; ++p) out += "  " + pad_left(m.class_names[p], cell_width);
  out += "\n";
  for (size_t t = 0; t < k; ++t) {
    out += pad_right(m.class_names[t], name_width);
    for (size_t p = 0; p < k; ++p)
      out += "  " + pad_left(std::to_string(m.confusion[t][p]), cell_width);
    out += "\n";
  }
  return out;
}

// ---- JSON ---------------------------------------------------------------------

namespace {

json::Value optional_number(const std::optional<double>& x) {
  return x ? json::Value(*x) : json::Value();
}

std::optional<double> read_optional(const json::Value& j, const std::string& key) {
  const json::Value& v = j.at(key);
  if (v.is_null()) return std::nullopt;
  return v.as_number();
}

}  // namespace

json::Value metrics_to_json(const ClassificationMetrics& m) {
  json::Value classes = json::Value::array();
  for (const auto& c : m.per_class)
    classes.push_back(json::Value::object()
                          .set("name", c.name)
                          .set("support", c.support)
                          .set("predicted", c.predicted)
                          .set("correct", c.correct)
                          .set("precision", optional_number(c.precision))
                          .set("recall", optional_number(c.recall))
                          .set("f1", optional_number(c.f1))
                          .set("auc", optional_number(c.auc)));
  json::Value confusion = json::Value::array();
  for (const auto& row : m.confusion) {
    json::Value r = json::Value::array();
    for (int64_t count : row) r.push_back(count);
    confusion.push_back(r);
  }
  json::Value names = json::Value::array();
  for (const auto& name : m.class_names) names.push_back(name);

  return json::Value::object()
      .set("samples", m.num_samples)
      .set("accuracy", m.accuracy)
      .set("balanced_accuracy", m.balanced_accuracy)
      .set("macro_f1", optional_number(m.macro_f1))
      .set("weighted_f1", m.weighted_f1)
      .set("macro_auc", optional_number(m.macro_auc))
      .set("mean_log_loss", m.mean_log_loss)
      .set("majority_baseline", json::Value::object()
                                    .set("class", m.class_names[m.majority_class])
                                    .set("accuracy", m.majority_accuracy)
                                    .set("balanced_accuracy", m.majority_balanced_accuracy))
      .set("class_names", names)
      .set("classes", classes)
      .set("confusion_matrix", confusion);
}

ClassificationMetrics metrics_from_json(const json::Value& j) {
  ClassificationMetrics m;
  m.num_samples = j.at("samples").as_integer();
  m.accuracy = j.at("accuracy").as_number();
  m.balanced_accuracy = j.at("balanced_accuracy").as_number();
  m.macro_f1 = read_optional(j, "macro_f1");
  m.weighted_f1 = j.at("weighted_f1").as_number();
  m.macro_auc = read_optional(j, "macro_auc");
  m.mean_log_loss = j.at("mean_log_loss").as_number();
  for (const auto& name : j.at("class_names").items()) m.class_names.push_back(name.as_string());
  const size_t k = m.class_names.size();
  CG_CHECK(k >= 2, "metrics JSON: expected at least 2 class names, found " << k);

  const json::Value& baseline = j.at("majority_baseline");
  const std::string majority = baseline.at("class").as_string();
  const auto found = std::find(m.class_names.begin(), m.class_names.end(), majority);
  CG_CHECK(found != m.class_names.end(),
           "metrics JSON: majority class '" << majority << "' is not one of class_names");
  m.majority_class = static_cast<int>(found - m.class_names.begin());
  m.majority_accuracy = baseline.at("accuracy").as_number();
  m.majority_balanced_accuracy = baseline.at("balanced_accuracy").as_number();

  const auto& classes = j.at("classes").items();
  CG_CHECK(classes.size() == k, "metrics JSON: " << classes.size() << " entries in 'classes' for "
                                                 << k << " class names");
  for (const auto& c : classes) {
    ClassMetrics cm;
    cm.name = c.at("name").as_string();
    cm.support = c.at("support").as_integer();
    cm.predicted = c.at("predicted").as_integer();
    cm.correct = c.at("correct").as_integer();
    cm.precision = read_optional(c, "precision");
    cm.recall = read_optional(c, "recall");
    cm.f1 = read_optional(c, "f1");
    cm.auc = read_optional(c, "auc");
    m.per_class.push_back(cm);
  }
  const auto& rows = j.at("confusion_matrix").items();
  CG_CHECK(rows.size() == k,
           "metrics JSON: the confusion matrix has " << rows.size() << " rows, expected " << k);
  for (const auto& row : rows) {
    CG_CHECK(row.items().size() == k, "metrics JSON: a confusion matrix row has "
                                          << row.items().size() << " entries, expected " << k);
    std::vector<int64_t> counts;
    for (const auto& count : row.items()) counts.push_back(count.as_integer());
    m.confusion.push_back(counts);
  }
  return m;
}

void save_metrics_json(const std::string& path, const ClassificationMetrics& m,
                       const json::Value& extra) {
  json::Value out = json::Value::object();
  for (const auto& member : extra.members()) out.set(member.first, member.second);
  // Named: a loop over a temporary's members would dangle.
  const json::Value metrics = metrics_to_json(m);
  for (const auto& member : metrics.members()) out.set(member.first, member.second);
  files::write_file_atomically(path, json::to_text(out));
}

void save_metrics_json_with(const std::string& path, const ClassificationMetrics& m,
                            const std::string& extra_object_json) {
  save_metrics_json(path, m, json::parse(extra_object_json, path + " (extra members)"));
}

ClassificationMetrics load_metrics_json(const std::string& path) {
  try {
    return metrics_from_json(json::parse(files::read_file(path), path));
  } catch (const Error& e) {
    // Name the file in messages that come from deep inside the reader.
    const std::string what = e.what();
    if (what.rfind(path, 0) == 0) throw;
    throw Error(path + ": " + what);
  }
}

}  // namespace report
}  // namespace cudagrad
