// SIGINT and SIGTERM: what happens to the files being written, and who
// decides when the program stops.
//
// Outside a deferral (below), a signal removes every temporary file that is
// still being written (see live temporaries), then ends the program with the
// signal's default action, so a shell sees 130 (SIGINT) or 143 (SIGTERM).
// Inside a deferral (the training loop, a cache build) the signal is only
// recorded; the code that polls signal_received() finishes its step, saves
// what it must, and throws Interrupted. A second signal ends the program at
// once, temporaries removed.
//
// Only async-signal-safe things happen in the handler: reading and writing
// lock-free atomics, unlink(), sigaction() and raise().
#pragma once
#include <string>

#include "base/error.h"

namespace cudagrad {
namespace files {

// Installs the handler for SIGINT, SIGTERM and SIGHUP. The command line calls
// it once at start; a library user who does not call it keeps the default
// actions (and may find temporaries after a signal; a later write of the
// same file removes them, see remove_stale_temporaries).
void install_signal_handlers();

// While one is alive, SIGINT/SIGTERM/SIGHUP are recorded for polling
// instead of ending the program. Deferrals nest.
class SignalDeferral {
 public:
  SignalDeferral();
  ~SignalDeferral();
  SignalDeferral(const SignalDeferral&) = delete;
  SignalDeferral& operator=(const SignalDeferral&) = delete;
};

// The signal recorded during a deferral, or 0.
int signal_received();

// "SIGINT", "SIGTERM", "SIGHUP", or "signal N".
std::string signal_name(int signal);

// The shell's exit status for a program stopped by `signal`: 128 + its number
// (130 for SIGINT, 143 for SIGTERM).
int exit_status_for_signal(int signal);

// Thrown by code that stopped because of a recorded signal, after saving what
// it had to. The command line prints the message and exits with
// exit_status_for_signal(signal()).
class Interrupted : public Error {
 public:
  Interrupted(int signal, const std::string& what) : Error(what), signal_(signal) {}
  int signal() const { return signal_; }

 private:
  int signal_;
};

// Live temporaries: the files an atomic write is filling (and a run folder's
// lock file). The handler removes them before the program dies. At most
// kMaxLiveTemporaries at once (one per writer; a cudagrad process writes one
// or two files at a time).
constexpr int kMaxLiveTemporaries = 32;
// Returns a slot number for forget_live_temporary(), or -1 when all slots are
// taken (the file is then not removed on a signal; a later run removes it).
int remember_live_temporary(const std::string& path);
void forget_live_temporary(int slot);

}  // namespace files
}  // namespace cudagrad
