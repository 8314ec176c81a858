// --device auto|cpu|cuda and --threads for the commands: the engine decides
// (engine/device.h); this prints the decision.
#pragma once
#include <string>

#include "engine/device.h"

namespace cudagrad {
namespace cli {

// The device for `wanted` (an Error for cuda without a usable GPU). Prints
// "device: ..." with the reason when auto falls back to the CPU, unless quiet.
Device select_device(const std::string& wanted, bool quiet = false);

// Sets OpenMP's thread count for the CPU kernels (0: leave OpenMP's
// default, one per core) and returns the count in use.
int set_cpu_threads(int threads);

// The --threads value last given to set_cpu_threads (0: not given, or 0).
int threads_flag();

}  // namespace cli
}  // namespace cudagrad
