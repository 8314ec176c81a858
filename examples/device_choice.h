// --device auto|cpu|cuda: which device a command runs on.
#pragma once
#include <string>

#include "engine/device.h"

namespace cudagrad {
namespace cli {

// auto: the first GPU when one can be used, else the CPU; cpu; cuda: the
// first GPU, or an Error saying why there is none. Prints the choice
// ("device: cpu (no usable GPU: ...)") unless quiet.
Device choose_device(const std::string& wanted, bool quiet = false);

// Sets OpenMP's thread count for the CPU kernels (0: leave OpenMP's
// default, one per core) and returns the count in use.
int set_cpu_threads(int threads);

}  // namespace cli
}  // namespace cudagrad
