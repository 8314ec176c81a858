// --device auto|cpu|cuda and --threads for the commands: the engine decides
// (engine/device.h); this prints the decision.
#pragma once
#include <string>

#include "engine/device.h"
#include "train/train_config.h"

namespace cudagrad {
namespace train {

// The device for `wanted` (an Error for cuda without a usable GPU). Prints
// "device: ..." with the reason when auto falls back to the CPU, unless quiet.
Device select_device(DeviceChoice wanted, bool quiet = false);

// Sets OpenMP's thread count for the CPU kernels (0: leave OpenMP's
// default, one per core) and returns the count in use.
int set_cpu_threads(int threads);

// The --threads value last given to set_cpu_threads (0: not given, or 0).
int threads_flag();

}  // namespace train
}  // namespace cudagrad
