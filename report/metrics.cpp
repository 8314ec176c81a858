#include "report/metrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

#include "base/error.h"

namespace cudagrad {
namespace report {

namespace {

// Rejects inputs that would make the numbers meaningless, with a message
// that says which input and which row.
void check_inputs(const std::vector<int>& labels, const std::vector<float>& probabilities,
                  const std::vector<std::string>& class_names) {
  const size_t n = labels.size(), k = class_names.size();
  CG_CHECK(k >= 2, "metrics: need at least 2 class names, got " << k);
  std::set<std::string> seen;
  for (const auto& name : class_names) {
    CG_CHECK(!name.empty(), "metrics: a class name is empty");
    CG_CHECK(seen.insert(name).second, "metrics: class name '" << name << "' is given twice");
  }
  CG_CHECK(n >= 1, "metrics: no labels to evaluate");
  CG_CHECK(probabilities.size() == n * k, "metrics: probabilities hold "
                                              << probabilities.size() << " values, expected " << n
                                              << " x " << k << " = " << n * k << " (" << n
                                              << " labels, " << k << " classes)");
  for (size_t i = 0; i < n; ++i) {
    CG_CHECK(
        labels[i] >= 0 && static_cast<size_t>(labels[i]) < k,
        "metrics: label " << labels[i] << " of sample " << i << " is outside [0, " << k << ")");
    double sum = 0;
    for (size_t c = 0; c < k; ++c) {
      const float p = probabilities[i * k + c];
      CG_CHECK(std::isfinite(p) && p >= -1e-6f && p <= 1.f + 1e-6f,
               "metrics: probability " << p << " of sample " << i << ", class '" << class_names[c]
                                       << "' is not in [0, 1]");
      sum += p;
    }
    // Float softmax rows sum to 1 within ~1e-6; 1e-3 still catches logits,
    // unnormalized scores and rows that were cut short.
    CG_CHECK(std::fabs(sum - 1.0) <= 1e-3, "metrics: probabilities of sample "
                                               << i << " sum to " << sum
                                               << ", not 1 (pass softmax outputs, not logits)");
  }
}

std::optional<double> ratio(int64_t numerator, int64_t denominator) {
  if (denominator == 0) return std::nullopt;
  return static_cast<double>(numerator) / static_cast<double>(denominator);
}

// The mean of the defined values; nullopt when none is.
std::optional<double> mean_of_defined(const std::vector<std::optional<double>>& values) {
  double sum = 0;
  int count = 0;
  for (const auto& v : values)
    if (v) {
      sum += *v;
      ++count;
    }
  if (count == 0) return std::nullopt;
  return sum / count;
}

}  // namespace

std::optional<double> roc_auc(const std::vector<bool>& positive, const std::vector<float>& score) {
  CG_CHECK(positive.size() == score.size(),
           "roc_auc: " << positive.size() << " labels but " << score.size() << " scores");
  const size_t n = score.size();
  const int64_t num_pos = std::count(positive.begin(), positive.end(), true);
  const int64_t num_neg = static_cast<int64_t>(n) - num_pos;
  if (num_pos == 0 || num_neg == 0) return std::nullopt;

  // Mann-Whitney U: rank all scores (1 = lowest), giving tied scores the
  // average of the ranks they span. Then
  //   AUC = (sum of positive ranks - P(P+1)/2) / (P N),
  // which counts, over all positive/negative pairs, 1 when the positive
  // scores higher and 1/2 on a tie: the trapezoid area under the ROC curve.
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return score[a] < score[b]; });
  double positive_rank_sum = 0;
  for (size_t start = 0; start < n;) {
    size_t end = start;  // [start, end) share one score
    while (end < n && score[order[end]] == score[order[start]]) ++end;
    const double average_rank = 0.5 * static_cast<double>(start + 1 + end);
    for (size_t i = start; i < end; ++i)
      if (positive[order[i]]) positive_rank_sum += average_rank;
    start = end;
  }
  const double p = static_cast<double>(num_pos), q = static_cast<double>(num_neg);
  return (positive_rank_sum - p * (p + 1) / 2) / (p * q);
}

ClassificationMetrics compute_metrics(const std::vector<int>& labels,
                                      const std::vector<float>& probabilities,
                                      const std::vector<std::string>& class_names) {
  check_inputs(labels, probabilities, class_names);
  const size_t n = labels.size(), k = class_names.size();

  ClassificationMetrics m;
  m.num_samples = static_cast<int64_t>(n);
  m.class_names = class_names;
  m.confusion.assign(k, std::vector<int64_t>(k, 0));

  double log_loss_sum = 0;
  for (size_t i = 0; i < n; ++i) {
    const float* row = &probabilities[i * k];
    const size_t predicted = std::max_element(row, row + k) - row;  // first maximum
    ++m.confusion[labels[i]][predicted];
    // -log p of the true class; the clip keeps a confident mistake finite.
    log_loss_sum -= std::log(std::max(static_cast<double>(row[labels[i]]), 1e-15));
  }
  m.mean_log_loss = log_loss_sum / static_cast<double>(n);

  // Per class, read off the confusion matrix: row t holds the samples whose
  // label is t, column p those predicted as p.
  int64_t correct = 0;
  std::vector<std::optional<double>> recalls, f1s, aucs;
  m.weighted_f1 = 0;
  for (size_t c = 0; c < k; ++c) {
    ClassMetrics cm;
    cm.name = class_names[c];
    cm.correct = m.confusion[c][c];
    for (size_t j = 0; j < k; ++j) {
      cm.support += m.confusion[c][j];
      cm.predicted += m.confusion[j][c];
    }
    const int64_t false_pos = cm.predicted - cm.correct, false_neg = cm.support - cm.correct;
    cm.precision = ratio(cm.correct, cm.predicted);
    cm.recall = ratio(cm.correct, cm.support);
    cm.f1 = ratio(2 * cm.correct, 2 * cm.correct + false_pos + false_neg);

    std::vector<bool> is_c(n);
    std::vector<float> score(n);
    for (size_t i = 0; i < n; ++i) {
      is_c[i] = labels[i] == static_cast<int>(c);
      score[i] = probabilities[i * k + c];
    }
    cm.auc = roc_auc(is_c, score);

    correct += cm.correct;
    recalls.push_back(cm.recall);
    f1s.push_back(cm.f1);
    aucs.push_back(cm.auc);
    if (cm.f1) m.weighted_f1 += static_cast<double>(cm.support) * *cm.f1;
    m.per_class.push_back(cm);
  }
  m.accuracy = static_cast<double>(correct) / static_cast<double>(n);
  m.balanced_accuracy = *mean_of_defined(recalls);  // defined: some class has support
  m.macro_f1 = mean_of_defined(f1s);
  m.weighted_f1 /= static_cast<double>(n);
  m.macro_auc = mean_of_defined(aucs);

  int classes_present = 0;
  for (size_t c = 0; c < k; ++c) {
    classes_present += m.per_class[c].support > 0;
    if (m.per_class[c].support > m.per_class[m.majority_class].support)
      m.majority_class = static_cast<int>(c);
  }
  m.majority_accuracy =
      static_cast<double>(m.per_class[m.majority_class].support) / static_cast<double>(n);
  m.majority_balanced_accuracy = 1.0 / classes_present;
  return m;
}

}  // namespace report
}  // namespace cudagrad
