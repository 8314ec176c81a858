// One row per training epoch, as the trainer logs it to metrics.csv, and a
// reader for that file.
#pragma once
#include <string>
#include <vector>

namespace cudagrad {
namespace report {

// A value that was not measured (no validation split, say) is NaN; charts
// leave it out and tables print "-".
struct EpochRow {
  int epoch = 0;
  double train_loss = 0, train_acc = 0;
  double val_loss = 0, val_acc = 0, val_balanced_acc = 0;
  double lr = 0, seconds = 0;
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
