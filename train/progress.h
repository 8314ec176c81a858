// The progress line of a training epoch, on stderr:
//   epoch 3/30  41/64 batches  loss 1.2345  62.1 img/s  ETA 0:04
// On a terminal it is redrawn in place ('\r') at most ten times a second
// and cleared when the epoch ends, so the log keeps only the epoch
// summaries. When stderr is a file or pipe, a plain line is written every
// 30 seconds instead, so a long epoch still shows it is alive.
#pragma once
#include <chrono>
#include <cstdint>

namespace cudagrad {
namespace train {

class ProgressLine {
 public:
  ProgressLine(int64_t epoch, int64_t epochs, int64_t batches);
  // After each batch: batches done, the running mean loss, and the images
  // and seconds of this epoch so far.
  void update(int64_t done, double mean_loss, int64_t images, double seconds);
  void finish();  // clears the line on a terminal

 private:
  int64_t epoch_, epochs_, batches_;
  bool terminal_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_;
};

// "1:02:03" or "4:05" for a number of seconds.
const char* format_duration(double seconds, char* buf, int size);

}  // namespace train
}  // namespace cudagrad
