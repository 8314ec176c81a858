#include "train/progress.h"

#include <unistd.h>

#include <cstdio>

namespace cudagrad {
namespace train {

const char* format_duration(double seconds, char* buf, int size) {
  const long s = seconds > 0 ? static_cast<long>(seconds + 0.5) : 0;
  if (s >= 3600)
    std::snprintf(buf, size, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  else
    std::snprintf(buf, size, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

ProgressLine::ProgressLine(int64_t epoch, int64_t epochs, int64_t batches)
    : epoch_(epoch),
      epochs_(epochs),
      batches_(batches),
      terminal_(::isatty(::fileno(stderr)) == 1),
      last_(std::chrono::steady_clock::now()) {}

void ProgressLine::update(int64_t done, double mean_loss, int64_t images, double seconds) {
  const auto now = std::chrono::steady_clock::now();
  const double since = std::chrono::duration<double>(now - last_).count();
  if (since < (terminal_ ? 0.1 : 30.0) && done < batches_) return;
  if (!terminal_ && done == batches_) return;  // the epoch summary follows at once
  last_ = now;
  const double rate = seconds > 0 ? images / seconds : 0;
  const double eta = done > 0 ? seconds / done * (batches_ - done) : 0;
  char eta_text[32];
  std::fprintf(stderr, "%sepoch %lld/%lld  %lld/%lld batches  loss %.4f  %.1f img/s  ETA %s%s",
               terminal_ ? "\r" : "", static_cast<long long>(epoch_),
               static_cast<long long>(epochs_), static_cast<long long>(done),
               static_cast<long long>(batches_), mean_loss, rate,
               format_duration(eta, eta_text, sizeof eta_text), terminal_ ? "\033[K" : "\n");
  std::fflush(stderr);
  drawn_ = terminal_;
}

void ProgressLine::finish() {
  if (drawn_) std::fprintf(stderr, "\r\033[K");
  drawn_ = false;
}

}  // namespace train
}  // namespace cudagrad
