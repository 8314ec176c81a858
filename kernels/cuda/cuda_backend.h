// The CUDA backend: hand-written kernels behind the KernelTable of
// kernels/kernel_table.h, over device memory.
//
// The same sources build twice (see kernels/cuda/cuda_compat.h):
//   cuda::kernel_table()           nvcc, the real backend (when CUDAGRAD_HAVE_CUDA)
//   cuda_emulated::kernel_table()  the host compiler against the SIMT
//                                  emulation, on host memory; for the tests
#pragma once
#include <cstddef>
#include <string>

#include "kernels/cuda/caching_allocator.h"
#include "kernels/kernel_table.h"

namespace cudagrad {
namespace cuda {
const KernelTable& kernel_table();  // name "cuda"

// What the CUDA runtime reports (kernels/cuda/device.cu, nvcc build only).
struct DeviceQuery {
  int devices = 0;           // usable GPUs; 0 when none
  std::string name;          // of GPU 0
  size_t memory_bytes = 0;   // of GPU 0
  std::string reason;        // why there is none, in the runtime's words
};
DeviceQuery query_devices();

// The current GPU's caching allocator (kernels/cuda/runtime.cu): its
// counters, and returning its cached free blocks to the driver.
DeviceAllocatorStats allocator_stats();
void release_cached_memory();
}  // namespace cuda
namespace cuda_emulated {
const KernelTable& kernel_table();  // name "cuda (emulated)"
}  // namespace cuda_emulated
}  // namespace cudagrad
