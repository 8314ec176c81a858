// Ctrl-C (SIGINT) or SIGTERM during training: the signal is only recorded
// (base/signals.h); the training loop checks after each step, saves a
// checkpoint and throws Interrupted. The program then exits with 130 for
// SIGINT and 143 for SIGTERM, as shells report a program the signal ended.
// A second signal ends the program at once (temporaries removed; the last
// checkpoint is whole, since it is written atomically).
#pragma once
#include <string>

#include "base/signals.h"

namespace cudagrad {
namespace train {

// While alive, SIGINT and SIGTERM are recorded instead of ending the program.
class InterruptHandler {
 public:
  static bool requested() { return files::signal_received() != 0; }

 private:
  files::SignalDeferral defer_;
};

using Interrupted = files::Interrupted;

// Thrown after the checkpoint is saved: "interrupted by SIGTERM <where>".
[[noreturn]] void throw_interrupted(const std::string& where);

}  // namespace train
}  // namespace cudagrad
