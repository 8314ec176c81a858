#include "base/signals.h"

#include <limits.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstring>

namespace cudagrad {
namespace files {

namespace {

// The live temporaries, in fixed storage: a signal handler may not allocate
// or lock, so it walks this array. A slot is free (0), being filled by its
// owner (1), or holds a path the handler should remove (2).
char g_temporary_paths[kMaxLiveTemporaries][PATH_MAX];
std::atomic<int> g_temporary_state[kMaxLiveTemporaries];

// How many deferrals are alive, and the signal one of them recorded.
std::atomic<int> g_deferrals{0};
std::atomic<int> g_signal{0};

const int kHandledSignals[] = {SIGINT, SIGTERM, SIGHUP};

void remove_live_temporaries() {
  for (int i = 0; i < kMaxLiveTemporaries; ++i)
    if (g_temporary_state[i].load() == 2) ::unlink(g_temporary_paths[i]);
}

// Ends the program as the signal would have, after removing the temporaries.
void die_by(int signal) {
  remove_live_temporaries();
  struct sigaction action {};
  action.sa_handler = SIG_DFL;
  sigemptyset(&action.sa_mask);
  sigaction(signal, &action, nullptr);
  raise(signal);  // delivered when the handler returns (the signal is blocked now)
}

void on_signal(int signal) {
  int none = 0;
  // The first signal inside a deferral is recorded; any other one is fatal.
  if (g_deferrals.load() > 0 && g_signal.compare_exchange_strong(none, signal)) return;
  die_by(signal);
}

}  // namespace

void install_signal_handlers() {
  static_assert(std::atomic<int>::is_always_lock_free, "the handler needs lock-free atomics");
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  for (int s : kHandledSignals) sigaddset(&action.sa_mask, s);  // one handler at a time
  for (int s : kHandledSignals) sigaction(s, &action, nullptr);
}

SignalDeferral::SignalDeferral() {
  // A signal that arrived with no deferral alive ended the program, so the
  // outermost deferral starts with none recorded.
  if (g_deferrals.fetch_add(1) == 0) g_signal.store(0);
}

SignalDeferral::~SignalDeferral() { g_deferrals.fetch_sub(1); }

int signal_received() { return g_signal.load(); }

int exit_status_for_signal(int signal) { return 128 + signal; }

std::string signal_name(int signal) {
  switch (signal) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    case SIGHUP: return "SIGHUP";
    default: return "signal " + std::to_string(signal);
  }
}

int remember_live_temporary(const std::string& path) {
  if (path.size() >= PATH_MAX) return -1;
  for (int i = 0; i < kMaxLiveTemporaries; ++i) {
    int free_slot = 0;
    if (!g_temporary_state[i].compare_exchange_strong(free_slot, 1)) continue;
    std::memcpy(g_temporary_paths[i], path.c_str(), path.size() + 1);
    g_temporary_state[i].store(2);
    return i;
  }
  return -1;
}

void forget_live_temporary(int slot) {
  if (slot >= 0 && slot < kMaxLiveTemporaries) g_temporary_state[slot].store(0);
}

}  // namespace files
}  // namespace cudagrad
