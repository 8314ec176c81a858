// The text tables and the JSON form of ClassificationMetrics.
#include <algorithm>
#include <cstdio>
#include <string>

#include "base/error.h"
#include "base/files.h"
#include "base/json.h"
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

Json optional_number(const std::optional<double>& x) { return x ? Json(*x) : Json(); }

std::optional<double> read_optional(const Json& j, const std::string& key,
                                    const std::string& source) {
  if (json::member(j, key, source).is_null()) return std::nullopt;
  return json::number_at(j, key, source);
}

// The items of the array member `key`; an Error when it is something else.
const Json& array_at(const Json& j, const std::string& key, const std::string& source) {
  const Json& v = json::member(j, key, source);
  if (!v.is_array())
    throw Error(source + ": '" + key + "' must be an array, found " + json::type_name(v));
  return v;
}

}  // namespace

Json metrics_to_json(const ClassificationMetrics& m) {
  Json classes = Json::array();
  for (const auto& c : m.per_class)
    classes.push_back({{"name", c.name},
                       {"support", c.support},
                       {"predicted", c.predicted},
                       {"correct", c.correct},
                       {"precision", optional_number(c.precision)},
                       {"recall", optional_number(c.recall)},
                       {"f1", optional_number(c.f1)},
                       {"auc", optional_number(c.auc)}});
  return {{"samples", m.num_samples},
          {"accuracy", m.accuracy},
          {"balanced_accuracy", m.balanced_accuracy},
          {"macro_f1", optional_number(m.macro_f1)},
          {"weighted_f1", m.weighted_f1},
          {"macro_auc", optional_number(m.macro_auc)},
          {"mean_log_loss", m.mean_log_loss},
          {"majority_baseline",
           {{"class", m.class_names[m.majority_class]},
            {"accuracy", m.majority_accuracy},
            {"balanced_accuracy", m.majority_balanced_accuracy}}},
          {"class_names", m.class_names},
          {"classes", classes},
          {"confusion_matrix", m.confusion}};
}

ClassificationMetrics metrics_from_json(const Json& j, const std::string& source) {
  ClassificationMetrics m;
  m.num_samples = json::integer_at(j, "samples", source);
  m.accuracy = json::number_at(j, "accuracy", source);
  m.balanced_accuracy = json::number_at(j, "balanced_accuracy", source);
  m.macro_f1 = read_optional(j, "macro_f1", source);
  m.weighted_f1 = json::number_at(j, "weighted_f1", source);
  m.macro_auc = read_optional(j, "macro_auc", source);
  m.mean_log_loss = json::number_at(j, "mean_log_loss", source);
  for (const auto& name : array_at(j, "class_names", source)) {
    if (!name.is_string())
      throw Error(source + ": class_names must hold strings, found " + json::type_name(name));
    m.class_names.push_back(name.get<std::string>());
  }
  const size_t k = m.class_names.size();
  CG_CHECK(k >= 2, source << ": expected at least 2 class names, found " << k);

  const Json& baseline = json::member(j, "majority_baseline", source);
  const std::string majority = json::string_at(baseline, "class", source);
  const auto found = std::find(m.class_names.begin(), m.class_names.end(), majority);
  CG_CHECK(found != m.class_names.end(),
           source << ": majority class '" << majority << "' is not one of class_names");
  m.majority_class = static_cast<int>(found - m.class_names.begin());
  m.majority_accuracy = json::number_at(baseline, "accuracy", source);
  m.majority_balanced_accuracy = json::number_at(baseline, "balanced_accuracy", source);

  const Json& classes = array_at(j, "classes", source);
  CG_CHECK(classes.size() == k,
           source << ": " << classes.size() << " entries in 'classes' for " << k << " class names");
  for (const auto& c : classes) {
    ClassMetrics cm;
    cm.name = json::string_at(c, "name", source);
    cm.support = json::integer_at(c, "support", source);
    cm.predicted = json::integer_at(c, "predicted", source);
    cm.correct = json::integer_at(c, "correct", source);
    cm.precision = read_optional(c, "precision", source);
    cm.recall = read_optional(c, "recall", source);
    cm.f1 = read_optional(c, "f1", source);
    cm.auc = read_optional(c, "auc", source);
    m.per_class.push_back(cm);
  }
  const Json& rows = array_at(j, "confusion_matrix", source);
  CG_CHECK(rows.size() == k,
           source << ": the confusion matrix has " << rows.size() << " rows, expected " << k);
  for (const auto& row : rows) {
    CG_CHECK(row.is_array() && row.size() == k,
             source << ": a confusion matrix row has " << (row.is_array() ? row.size() : 0)
                    << " entries, expected " << k);
    std::vector<int64_t> counts;
    for (const auto& count : row) {
      CG_CHECK(count.is_number_integer(),
               source << ": confusion matrix counts must be integers, found "
                      << json::type_name(count));
      counts.push_back(count.get<int64_t>());
    }
    m.confusion.push_back(counts);
  }
  return m;
}

void save_metrics_json(const std::string& path, const ClassificationMetrics& m,
                       const Json& extra) {
  // The extra members first, then the metrics (which win a name they share).
  Json out = extra.is_object() ? extra : Json::object();
  // Named: a loop over a temporary's items() would dangle.
  const Json metrics = metrics_to_json(m);
  for (const auto& member : metrics.items()) out[member.key()] = member.value();
  files::write_file_atomically(path, json::to_text(out));
}

ClassificationMetrics load_metrics_json(const std::string& path) {
  return metrics_from_json(json::parse(files::read_file(path), path), path);
}

}  // namespace report
}  // namespace cudagrad
