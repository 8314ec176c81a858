// Device memory for the KernelTable, each call checked.
//
// allocate/deallocate go through the caching allocator of runtime.cu on the
// GPU. Under the SIMT emulation they are plain malloc/free of the exact size
// instead: the emulated tests rely on AddressSanitizer to catch a kernel
// reading past the end of an input, which rounding up into buckets would hide.
//
// Copies are queued on the backend's stream, in order with the kernels.
// A copy to the host waits for it (the caller reads the host buffer next);
// a copy from pageable host memory returns once the source has been staged,
// so the caller may reuse its buffer at once (CUDA's documented behaviour
// for cudaMemcpyAsync from pageable memory).
#include "kernels/cuda/host_functions.h"

namespace cudagrad {
namespace CUDAGRAD_CUDA_NAMESPACE {

#if defined(__CUDACC__)
void* allocate(size_t bytes) { return allocate_cached(bytes); }
void deallocate(void* ptr) { deallocate_cached(ptr); }
#else
void* allocate(size_t bytes) {
  void* ptr = nullptr;
  CUDA_CHECK(cudaMalloc(&ptr, bytes));
  return ptr;
}
void deallocate(void* ptr) { CUDA_CHECK(cudaFree(ptr)); }
#endif

void copy_from_host(void* dst, const void* host_src, size_t bytes) {
  CUDA_CHECK(cudaMemcpyAsync(dst, host_src, bytes, cudaMemcpyHostToDevice, stream()));
}

void copy_to_host(void* host_dst, const void* src, size_t bytes) {
  CUDA_CHECK(cudaMemcpyAsync(host_dst, src, bytes, cudaMemcpyDeviceToHost, stream()));
  CUDA_CHECK(cudaStreamSynchronize(stream()));
}

void copy(void* dst, const void* src, size_t bytes) {
  CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream()));
}

}  // namespace CUDAGRAD_CUDA_NAMESPACE
}  // namespace cudagrad
