// Where a tensor's memory lives. The engine picks a kernel backend from this
// tag in exactly one place (engine/dispatch.cpp).
#pragma once
#include <cstddef>
#include <string>

namespace cudagrad {

enum class DeviceType { CPU, CUDA };

struct Device {
  DeviceType type = DeviceType::CPU;
  int index = 0;  // which GPU, for DeviceType::CUDA

  static Device cpu() { return {DeviceType::CPU, 0}; }
  static Device cuda(int index = 0) { return {DeviceType::CUDA, index}; }
  bool is_cpu() const { return type == DeviceType::CPU; }
  bool is_cuda() const { return type == DeviceType::CUDA; }
  bool operator==(const Device& o) const { return type == o.type && index == o.index; }
  bool operator!=(const Device& o) const { return !(*this == o); }
  std::string str() const { return is_cpu() ? "cpu" : "cuda:" + std::to_string(index); }
};

// Whether this process can use a GPU, and if not, why not.
struct CudaStatus {
  int devices = 0;          // usable GPUs
  std::string name;         // of GPU 0
  size_t memory_bytes = 0;  // of GPU 0
  std::string reason;       // why none: no CUDA in this build, no device, old driver
};
const CudaStatus& cuda_status();

// The counters of the caching allocator that serves `device`, in bytes
// (kernels/cpu/memory.cpp for the CPU; kernels/cuda/runtime.cu for a GPU,
// where cudagrad uses the current CUDA device).
struct MemoryStats {
  size_t allocated = 0;  // held by live tensors
  size_t reserved = 0;   // allocated plus cached free blocks
  size_t peak = 0;       // the most ever allocated at once
};
MemoryStats memory_stats(Device device);
// Returns the cached free blocks of that allocator to the system or driver.
void release_cached_memory(Device device);

// The device for a --device flag: "cpu", "cuda" (an Error when no GPU is
// usable) or "auto" (the GPU when there is one, else the CPU). *note says
// what was chosen and, for auto on the CPU, why.
Device choose_device(const std::string& requested, std::string* note);

// "cpu: avx512 (16 floats)": the vector target the CPU kernels run on this
// machine (kernels/cpu/cpu.h); --version and the benchmarks print it.
std::string describe_cpu();

}  // namespace cudagrad
