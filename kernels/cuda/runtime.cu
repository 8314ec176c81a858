// The CUDA backend's per-device runtime (nvcc build only): one stream and
// one caching allocator for each GPU, created the first time that GPU is
// used and kept until the process ends.
//
// One stream per device: every kernel launch (CG_LAUNCH) and every copy of
// the backend is queued on it, so they run in the order the host issued
// them, exactly as on the default stream, and the caching allocator may hand
// a freed block to the next tensor at once (anything still reading the old
// tensor is ahead of it in the same queue). It is a created stream rather
// than the legacy default stream so that other work (a second stream for
// copies, another library) can run beside it later without every call being
// serialized behind the default stream; it is a *blocking* stream
// (cudaStreamDefault), so a stray call on the legacy default stream still
// orders correctly with ours.
//
// The runtimes are never destroyed: tensors held by static objects are
// freed after main() returns, when the CUDA runtime may already be shutting
// down, so nothing here calls into CUDA from a destructor.
#include <cuda_runtime.h>

#include <memory>
#include <mutex>
#include <vector>

#include "kernels/cuda/caching_allocator.h"
#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/cuda_compat.h"

namespace cudagrad {
namespace cuda {

namespace {

struct DeviceRuntime {
  int device = 0;
  cudaStream_t stream = nullptr;
  std::unique_ptr<DeviceCachingAllocator> allocator;
};

// What the device reports free, for the out-of-memory message.
std::string free_memory_note(int device) {
  size_t free_bytes = 0, total_bytes = 0;
  if (cudaMemGetInfo(&free_bytes, &total_bytes) != cudaSuccess) {
    cudaGetLastError();
    return "the device did not say how much memory is free";
  }
  return "GPU " + std::to_string(device) + " has " + format_bytes(free_bytes) + " free of " +
         format_bytes(total_bytes) + " (other processes and the CUDA context use some)";
}

DeviceRuntime* create_runtime(int device) {
  auto* r = new DeviceRuntime;
  r->device = device;
  CUDA_CHECK(cudaStreamCreateWithFlags(&r->stream, cudaStreamDefault));
  DeviceCachingAllocator::RawMemory raw;
  raw.allocate = [](size_t bytes) -> void* {
    void* ptr = nullptr;
    cudaError_t err = cudaMalloc(&ptr, bytes);
    if (err == cudaErrorMemoryAllocation) {
      cudaGetLastError();  // not sticky, but clear it so the next launch check is clean
      return nullptr;
    }
    CUDA_CHECK(err);
    return ptr;
  };
  raw.free = [](void* ptr) { CUDA_CHECK(cudaFree(ptr)); };
  raw.out_of_memory_note = [device] { return free_memory_note(device); };
  r->allocator = std::make_unique<DeviceCachingAllocator>(std::move(raw));
  return r;
}

// One slot per GPU, filled on first use; the pointers are never freed.
std::mutex g_mutex;
std::vector<DeviceRuntime*>& runtimes() {
  static auto* slots = new std::vector<DeviceRuntime*>;
  return *slots;
}

DeviceRuntime& runtime_for(int device) {
  std::lock_guard<std::mutex> lock(g_mutex);
  std::vector<DeviceRuntime*>& slots = runtimes();
  if (static_cast<int>(slots.size()) <= device) slots.resize(device + 1, nullptr);
  if (!slots[device]) slots[device] = create_runtime(device);
  return *slots[device];
}

DeviceRuntime& current_runtime() {
  int device = 0;
  CUDA_CHECK(cudaGetDevice(&device));
  return runtime_for(device);
}

}  // namespace

cudaStream_t stream() { return current_runtime().stream; }

void* allocate_cached(size_t bytes) { return current_runtime().allocator->allocate(bytes); }

void deallocate_cached(void* ptr) {
  // The block may belong to another GPU than the current one.
  std::vector<DeviceRuntime*> all;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    all = runtimes();
  }
  for (DeviceRuntime* r : all)
    if (r && r->allocator->deallocate(ptr)) return;
  CG_FAIL("cuda::deallocate: " << ptr << " was not allocated by cudagrad's CUDA allocator");
}

DeviceAllocatorStats allocator_stats() { return current_runtime().allocator->stats(); }

void release_cached_memory() {
  DeviceRuntime& r = current_runtime();
  // A cached block may still be read by queued work of a tensor freed just
  // now; cudaFree waits for the device anyway, this makes it explicit.
  CUDA_CHECK(cudaStreamSynchronize(r.stream));
  r.allocator->release_cached();
}

}  // namespace cuda
}  // namespace cudagrad
