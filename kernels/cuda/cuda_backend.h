// The CUDA backend: hand-written kernels behind the KernelTable of
// kernels/kernel_table.h, over device memory.
//
// The same sources build twice (see kernels/cuda/cuda_compat.h):
//   cuda::kernel_table()           nvcc, the real backend (when CUDAGRAD_HAVE_CUDA)
//   cuda_emulated::kernel_table()  the host compiler against the SIMT
//                                  emulation, on host memory; for the tests
#pragma once
#include "kernels/kernel_table.h"

namespace cudagrad {
namespace cuda {
const KernelTable& kernel_table();  // name "cuda"
}  // namespace cuda
namespace cuda_emulated {
const KernelTable& kernel_table();  // name "cuda (emulated)"
}  // namespace cuda_emulated
}  // namespace cudagrad
