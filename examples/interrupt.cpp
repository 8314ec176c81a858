#include "examples/interrupt.h"

#include <csignal>

namespace cudagrad {
namespace cli {

namespace {

volatile std::sig_atomic_t g_requested = 0;
struct sigaction g_previous_int, g_previous_term;

void on_signal(int) { g_requested = 1; }

}  // namespace

InterruptHandler::InterruptHandler() {
  g_requested = 0;
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESETHAND;  // one-shot: the next signal has its default effect
  sigaction(SIGINT, &action, &g_previous_int);
  sigaction(SIGTERM, &action, &g_previous_term);
}

InterruptHandler::~InterruptHandler() {
  sigaction(SIGINT, &g_previous_int, nullptr);
  sigaction(SIGTERM, &g_previous_term, nullptr);
}

bool InterruptHandler::requested() { return g_requested != 0; }

}  // namespace cli
}  // namespace cudagrad
