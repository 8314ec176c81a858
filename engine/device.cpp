#include "engine/device.h"

#include "base/error.h"
#include "kernels/cpu/cpu.h"
#ifdef CUDAGRAD_HAVE_CUDA
#include "kernels/cuda/cuda_backend.h"
#endif

namespace cudagrad {

const CudaStatus& cuda_status() {
  // Asked once: the answer does not change while the program runs, and the
  // first CUDA call is slow (it starts the driver).
  static const CudaStatus status = [] {
    CudaStatus s;
#ifdef CUDAGRAD_HAVE_CUDA
    cuda::DeviceQuery q = cuda::query_devices();
    s.devices = q.devices;
    s.name = q.name;
    s.memory_bytes = q.memory_bytes;
    s.reason = q.reason;
#else
    s.reason = "this build of cudagrad has no CUDA backend (configure with -DCUDAGRAD_CUDA=ON)";
#endif
    return s;
  }();
  return status;
}

MemoryStats memory_stats(Device device) {
  MemoryStats out;
  if (device.is_cpu()) {
    const cpu::AllocatorStats s = cpu::allocator_stats();
    out.allocated = s.allocated, out.reserved = s.reserved, out.peak = s.peak;
    return out;
  }
  CG_CHECK(device.index >= 0 && device.index < cuda_status().devices,
           "memory_stats: device " << device.str() << " is not usable");
#ifdef CUDAGRAD_HAVE_CUDA
  const DeviceAllocatorStats s = cuda::allocator_stats();
  out.allocated = s.allocated, out.reserved = s.reserved, out.peak = s.peak;
#endif
  return out;
}

void release_cached_memory(Device device) {
  if (device.is_cpu()) {
    cpu::release_cached_memory();
    return;
  }
  CG_CHECK(device.index >= 0 && device.index < cuda_status().devices,
           "release_cached_memory: device " << device.str() << " is not usable");
#ifdef CUDAGRAD_HAVE_CUDA
  cuda::release_cached_memory();
#endif
}

Device choose_device(const std::string& requested, std::string* note) {
  const CudaStatus& cuda = cuda_status();
  if (requested == "cpu") {
    if (note) *note = "using the CPU";
    return Device::cpu();
  }
  if (requested == "cuda") {
    CG_CHECK(cuda.devices > 0, "--device cuda: no usable GPU (" << cuda.reason << ")");
    if (note) *note = "using GPU 0: " + cuda.name;
    return Device::cuda(0);
  }
  CG_CHECK(requested == "auto", "--device must be auto, cpu or cuda, got '" << requested << "'");
  if (cuda.devices > 0) {
    if (note) *note = "using GPU 0: " + cuda.name;
    return Device::cuda(0);
  }
  if (note) *note = "no usable GPU (" + cuda.reason + "): using the CPU";
  return Device::cpu();
}

std::string describe_cpu() { return "cpu: " + cpu::describe(cpu::active_vector_target()); }

}  // namespace cudagrad
