// One row per training epoch, as the trainer logs it to metrics.csv, and a
// reader for that file.
#pragma once
#include <limits>
#include <string>
#include <vector>

namespace cudagrad {
namespace report {

// A value that was not measured (no validation split, say) is NaN, which
// is also what a field left unset holds; charts leave such values out and
// tables print "-". Accuracies are fractions in [0, 1].
struct EpochRow {
  static constexpr double kNotMeasured = std::numeric_limits<double>::quiet_NaN();
  int epoch = 0;
  double train_loss = kNotMeasured, train_acc = kNotMeasured;
  double val_loss = kNotMeasured, val_acc = kNotMeasured, val_balanced_acc = kNotMeasured;
  double lr = kNotMeasured, seconds = kNotMeasured;
};

// Reads a CSV whose header names some of the fields above (epoch,
// train_loss, train_acc, val_loss, val_acc, val_balanced_acc, lr, seconds),
// in any order; other columns are ignored, missing ones are NaN, and empty
// or "nan" cells are NaN. The "epoch" column is required. Throws
// cudagrad::Error naming the file, line and column on a malformed cell.
std::vector<EpochRow> read_epochs_csv(const std::string& path);
std::vector<EpochRow> parse_epochs_csv(const std::string& text, const std::string& source);

}  // namespace report
}  // namespace cudagrad
