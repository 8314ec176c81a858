// What every kernel file of the CUDA backend includes first.
//
// The same .cu sources build twice: by nvcc against the CUDA runtime (the
// real backend, namespace cudagrad::cuda) and by the host compiler against
// the SIMT emulation in emulation/simt.h (namespace cudagrad::cuda_emulated,
// for the tests). The two namespaces let both builds link into one program.
// Kernel files open `namespace cudagrad { namespace CUDAGRAD_CUDA_NAMESPACE {`.
#pragma once

#if defined(__CUDACC__)
#include <cuda_runtime.h>
#define CUDAGRAD_CUDA_NAMESPACE cuda
#else
#include "kernels/cuda/emulation/simt.h"
#define CUDAGRAD_CUDA_NAMESPACE cuda_emulated
#endif

#include <string>

#include "base/error.h"

namespace cudagrad {
namespace CUDAGRAD_CUDA_NAMESPACE {

// The stream every kernel launch and copy of the backend is queued on: one
// per GPU, created on first use (kernels/cuda/runtime.cu says why). The
// emulation runs each launch to completion, so it has no streams.
#if defined(__CUDACC__)
cudaStream_t stream();
#else
inline cudaStream_t stream() { return nullptr; }
#endif

// The FLOPs (2 per multiply-add) of the next launch, for the emulation's
// launch record (bench/wave_efficiency.cpp); nothing under nvcc.
// The most blocks a grid-stride launch uses: 4096 on a GPU; the emulation's
// tests lower it so that every grid-stride loop runs more than once.
#if defined(__CUDACC__)
inline void note_next_launch_flops(double) {}
inline unsigned grid_stride_block_cap() { return 4096; }
#else
inline void note_next_launch_flops(double flops) { simt::note_next_launch_flops(flops); }
inline unsigned grid_stride_block_cap() { return simt::grid_stride_cap(); }
#endif

// Throws cudagrad::Error naming the failed call (or kernel), file and line.
inline void check(cudaError_t error, const char* what, const char* file, int line) {
  if (error != cudaSuccess) {
    detail::fail(file, line, std::string("CUDA error in ") + what + ": " + cudaGetErrorString(error));
  }
}

}  // namespace CUDAGRAD_CUDA_NAMESPACE
}  // namespace cudagrad

// CUDA_CHECK(cudaMemcpy(...)): host code only.
#define CUDA_CHECK(call) \
  ::cudagrad::CUDAGRAD_CUDA_NAMESPACE::check((call), #call, __FILE__, __LINE__)

// CG_LAUNCH(kernel, grid, block, dynamic_shared_bytes, args...) launches on the
// backend's stream and checks for a launch error. For a template kernel with
// several arguments, name it first: `auto kernel = tiled<64, 8>;` (the commas
// would split the macro's arguments).
#if defined(__CUDACC__)
#define CG_LAUNCH(kernel, grid, block, shared_bytes, ...)                                 \
  do {                                                                                     \
    kernel<<<(grid), (block), (shared_bytes), ::cudagrad::cuda::stream()>>>(__VA_ARGS__); \
    ::cudagrad::cuda::check(cudaGetLastError(), "launch of " #kernel, __FILE__, __LINE__); \
  } while (0)
#else
#define CG_LAUNCH(kernel, grid, block, shared_bytes, ...)                                   \
  do {                                                                                       \
    ::cudagrad::simt::launch(#kernel, kernel, (grid), (block), (shared_bytes), __VA_ARGS__); \
    ::cudagrad::cuda_emulated::check(cudaGetLastError(), "launch of " #kernel, __FILE__,     \
                                     __LINE__);                                              \
  } while (0)
#endif

// Dynamic shared memory: `extern __shared__ T name[]` under nvcc.
#if defined(__CUDACC__)
#define CG_DYNAMIC_SHARED(type, name) extern __shared__ __align__(16) type name[]
#endif
