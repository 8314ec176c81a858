// Device memory for the KernelTable: cudaMalloc, cudaFree and cudaMemcpy,
// each checked. (Under the SIMT emulation these are malloc, free, memcpy.)
#include "kernels/cuda/host_functions.h"

namespace cudagrad {
namespace CUDAGRAD_CUDA_NAMESPACE {

void* allocate(size_t bytes) {
  void* ptr = nullptr;
  CUDA_CHECK(cudaMalloc(&ptr, bytes));
  return ptr;
}

void deallocate(void* ptr) { CUDA_CHECK(cudaFree(ptr)); }

void copy_from_host(void* dst, const void* host_src, size_t bytes) {
  CUDA_CHECK(cudaMemcpy(dst, host_src, bytes, cudaMemcpyHostToDevice));
}

void copy_to_host(void* host_dst, const void* src, size_t bytes) {
  CUDA_CHECK(cudaMemcpy(host_dst, src, bytes, cudaMemcpyDeviceToHost));
}

void copy(void* dst, const void* src, size_t bytes) {
  CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToDevice));
}

}  // namespace CUDAGRAD_CUDA_NAMESPACE
}  // namespace cudagrad
