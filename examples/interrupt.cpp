#include "examples/interrupt.h"

#include <csignal>

namespace cudagrad {
namespace cli {

std::string InterruptHandler::signal_name() {
  switch (files::signal_received()) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    case SIGHUP: return "SIGHUP";
    default: return "signal " + std::to_string(files::signal_received());
  }
}

void throw_interrupted(const std::string& where) {
  throw Interrupted(files::signal_received(),
                    "interrupted (" + InterruptHandler::signal_name() + ") " + where);
}

}  // namespace cli
}  // namespace cudagrad
