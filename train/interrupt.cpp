#include "train/interrupt.h"

namespace cudagrad {
namespace train {

void throw_interrupted(const std::string& where) {
  const int signal = files::signal_received();
  throw Interrupted(signal, "interrupted (" + files::signal_name(signal) + ") " + where);
}

}  // namespace train
}  // namespace cudagrad
