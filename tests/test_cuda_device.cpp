// The CUDA backend on a real GPU, whenever this process finds one:
//   * the checks of tests/kernel_checks.cpp (the same cases the emulated
//     tests run) on cuda::kernel_table(), against the reference;
//   * the hand-written kernels against cuDNN and cuBLAS: in
//     tests/test_cuda_baselines.cpp;
//   * the caching allocator over cudaMalloc, and its out-of-memory message.
// Without a GPU (or without CUDA in this build) the first test case says in
// one line that these were skipped and why, and the others pass empty.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "base/error.h"
#include "engine/device.h"
#include "tests/kernel_checks.h"
#ifdef CUDAGRAD_HAVE_CUDA
#include "kernels/cuda/cuda_backend.h"
#endif

using namespace cudagrad;

namespace {
bool have_gpu() { return cuda_status().devices > 0; }
}  // namespace

TEST_CASE("cuda device: the GPU tests run here, or say why not") {
  if (!have_gpu()) {
    MESSAGE("GPU tests skipped: " << cuda_status().reason);
    return;
  }
  MESSAGE("GPU tests on GPU 0: " << cuda_status().name);
#ifndef CUDAGRAD_HAVE_BASELINES
  MESSAGE("cuDNN/cuBLAS comparisons skipped: this build found no cuDNN or cuBLAS");
#endif
}

#ifdef CUDAGRAD_HAVE_CUDA
namespace {
void run_on_gpu(const std::string& group) {
  if (have_gpu()) kernel_checks::run_group(group, cuda::kernel_table());
}
}  // namespace

TEST_CASE("cuda device: memory") { run_on_gpu("memory"); }
TEST_CASE("cuda device: elementwise, relu, dropout, concat") { run_on_gpu("elementwise"); }
TEST_CASE("cuda device: log_softmax and nll_loss") { run_on_gpu("head"); }
TEST_CASE("cuda device: pooling") { run_on_gpu("pooling"); }
TEST_CASE("cuda device: batch norm") { run_on_gpu("batch_norm"); }
TEST_CASE("cuda device: optimizers") { run_on_gpu("optimizers"); }
TEST_CASE("cuda device: linear (tiled SGEMM)") { run_on_gpu("linear"); }
TEST_CASE("cuda device: conv2d (implicit GEMM)") { run_on_gpu("conv2d"); }
TEST_CASE("cuda device: depthwise conv2d") { run_on_gpu("depthwise_conv2d"); }

TEST_CASE("cuda device: the caching allocator reuses blocks and explains out-of-memory") {
  if (!have_gpu()) return;
  const KernelTable& gpu = cuda::kernel_table();
  cuda::release_cached_memory();
  const DeviceAllocatorStats before = cuda::allocator_stats();
  void* a = gpu.allocate(1000);
  gpu.deallocate(a);
  void* b = gpu.allocate(900);  // the same 1024-byte bucket: the cached block
  CHECK(b == a);
  CHECK(cuda::allocator_stats().allocated == before.allocated + 1024);
  CHECK(cuda::allocator_stats().cache_hits == before.cache_hits + 1);
  gpu.deallocate(b);
  cuda::release_cached_memory();
  CHECK(cuda::allocator_stats().reserved == before.reserved);

  // Twice the GPU's memory cannot be had: the message says what was asked,
  // what is free, and what to do.
  const size_t too_much = 2 * cuda_status().memory_bytes;
  std::string message;
  try {
    gpu.deallocate(gpu.allocate(too_much));
  } catch (const Error& e) {
    message = e.what();
  }
  INFO(message);
  CHECK(message.find("out of device memory") != std::string::npos);
  CHECK(message.find(std::to_string(too_much) + " bytes") != std::string::npos);
  CHECK(message.find("free of") != std::string::npos);
  CHECK(message.find("smaller --batch") != std::string::npos);
}
#endif  // CUDAGRAD_HAVE_CUDA
