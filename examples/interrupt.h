// Ctrl-C during training: the signal handler only sets a flag (about all a
// handler may safely do); the training loop checks it after each step,
// saves a checkpoint and stops with an Interrupted error. A second Ctrl-C
// kills the program at once (the handler is installed one-shot).
#pragma once
#include <string>

#include "engine/error.h"

namespace cudagrad {
namespace cli {

// While alive, SIGINT and SIGTERM set the flag instead of killing the program.
class InterruptHandler {
 public:
  InterruptHandler();
  ~InterruptHandler();
  InterruptHandler(const InterruptHandler&) = delete;
  InterruptHandler& operator=(const InterruptHandler&) = delete;
  static bool requested();
};

// Thrown after the checkpoint is saved; main exits with status 130 (the
// shell's code for a program stopped by Ctrl-C).
class Interrupted : public Error {
 public:
  explicit Interrupted(const std::string& what) : Error(what) {}
};

}  // namespace cli
}  // namespace cudagrad
