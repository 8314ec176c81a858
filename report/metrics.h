// Classification metrics from true labels and predicted probabilities, as
// the write-ups report them: accuracy, balanced accuracy (the ISIC 2018
// ranking metric), per-class precision / recall / F1 / ROC-AUC, macro and
// weighted F1, the confusion matrix, and what always guessing the most
// common class would score.
//
// Pure functions over plain vectors: nothing here knows about tensors,
// models or data sets, so the command line fills the inputs from whatever
// produced the predictions.
//
// Undefined values. A ratio whose denominator is zero is undefined, and is
// left empty (std::nullopt; "-" in tables; null in JSON), never 0 or NaN:
//   precision_c  undefined when class c was never predicted,
//   recall_c     undefined when class c never occurs in the labels,
//   F1_c         undefined when c is in neither (F1 = 2TP / (2TP + FP + FN),
//                so a class that occurs but is never predicted scores 0),
//   AUC_c        undefined when the labels hold no positive or no negative
//                for c (one-vs-rest needs both).
// Averages ("macro") are over the classes where the value is defined. This
// matches scikit-learn's balanced_accuracy_score, f1_score(average="macro")
// and roc_auc_score on each defined class.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/json.h"

namespace cudagrad {
namespace report {

struct ClassMetrics {
  std::string name;
  int64_t support = 0;              // how many labels are this class (TP + FN)
  int64_t predicted = 0;            // how many predictions are this class (TP + FP)
  int64_t correct = 0;              // TP
  std::optional<double> precision;  // TP / (TP + FP)
  std::optional<double> recall;     // TP / (TP + FN); the tutorials' "per-class accuracy"
  std::optional<double> f1;         // 2TP / (2TP + FP + FN)
  std::optional<double> auc;        // one-vs-rest ROC-AUC of this class's probability
};

struct ClassificationMetrics {
  int64_t num_samples = 0;
  std::vector<std::string> class_names;  // K names, in label order
  double accuracy = 0;                   // correct / N
  double balanced_accuracy = 0;          // mean recall over classes with support
  std::optional<double> macro_f1;        // mean F1 over classes where defined
  double weighted_f1 = 0;                // sum_c support_c * F1_c / N
  std::optional<double> macro_auc;       // mean AUC over classes where defined
  double mean_log_loss = 0;              // mean of -log p[label], p clipped at 1e-15
  std::vector<ClassMetrics> per_class;   // K entries
  // confusion[t][p]: how many samples of true class t were predicted as p.
  std::vector<std::vector<int64_t>> confusion;
  // The baseline that always predicts the most frequent label (ties go to
  // the lower class index): its accuracy is that class's share, its balanced
  // accuracy 1 / (number of classes that occur).
  int majority_class = 0;
  double majority_accuracy = 0;
  double majority_balanced_accuracy = 0;
};

// labels: N class indices in [0, K). probabilities: N x K, row-major, each
// row a distribution (entries in [0, 1], summing to 1 within 1e-3: pass
// softmax outputs, not logits). class_names: K distinct names. The
// prediction for a row is its most probable class (the first on a tie).
// Throws cudagrad::Error saying which input is wrong and where.
ClassificationMetrics compute_metrics(const std::vector<int>& labels,
                                      const std::vector<float>& probabilities,
                                      const std::vector<std::string>& class_names);

// One-vs-rest ROC-AUC for a binary problem: the probability that a random
// positive scores above a random negative, ties counting one half. Computed
// exactly from average ranks (equal to the trapezoid area under the ROC
// curve); nullopt when there are no positives or no negatives.
std::optional<double> roc_auc(const std::vector<bool>& positive, const std::vector<float>& score);

// ---- output -------------------------------------------------------------------

// The summary lines and the per-class table, aligned for a terminal:
//   accuracy            0.7420  (1484 / 2000)
//   ...
//   class   support  precision  recall    f1     auc
//   akiec        65      0.612   0.523  0.564  0.921
std::string format_metrics(const ClassificationMetrics& m);

// The confusion matrix with true classes down the side and predictions
// across the top, counts right-aligned.
std::string format_confusion_matrix(const ClassificationMetrics& m);

// eval.json's layout: summary numbers, "classes" (one object per class) and
// "confusion_matrix" (rows = true class). Undefined values are null.
// metrics_from_json's errors name `source` (the file it came from).
Json metrics_to_json(const ClassificationMetrics& m);
ClassificationMetrics metrics_from_json(const Json& j,
                                        const std::string& source = "metrics JSON");

// Write / read eval.json (written atomically). `extra` members (checkpoint,
// split, ...) are added at the top of the object and ignored when reading.
void save_metrics_json(const std::string& path, const ClassificationMetrics& m,
                       const Json& extra = Json::object());
ClassificationMetrics load_metrics_json(const std::string& path);

}  // namespace report
}  // namespace cudagrad
