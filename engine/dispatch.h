// The one place that maps a device to the kernel backend that runs on it.
#pragma once
#include <vector>

#include "engine/device.h"
#include "kernels/kernel_table.h"

namespace cudagrad {

// The backend used for tensors on `device`: the reference loops for the CPU
// (until a faster CPU backend is registered here), the CUDA kernels for a GPU.
const KernelTable& kernels_for(Device device);

// Every backend compiled into this build, the reference first: tests run the
// same cases over all of them.
std::vector<const KernelTable*> compiled_backends();

}  // namespace cudagrad
