#include "examples/interrupt.h"

namespace cudagrad {
namespace cli {

void throw_interrupted(const std::string& where) {
  const int signal = files::signal_received();
  throw Interrupted(signal, "interrupted (" + files::signal_name(signal) + ") " + where);
}

}  // namespace cli
}  // namespace cudagrad
