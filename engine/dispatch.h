// The one place that maps a device to the kernel backend that runs on it.
#pragma once
#include <vector>

#include "engine/device.h"
#include "kernels/kernel_table.h"

namespace cudagrad {

// The backend used for tensors on `device`: the fast CPU backend
// (kernels/cpu) for the CPU, the CUDA kernels for a GPU.
const KernelTable& kernels_for(Device device);

// Every host backend compiled into this build that this CPU runs, the
// reference first, then the CPU backend's vector targets (kernels/cpu/cpu.h):
// tests run the same cases over all of them.
std::vector<const KernelTable*> host_backends();

// While alive, CPU tensors on this thread use `backend` instead of the
// default: tests run one test body over every host backend this way, and
// the per-layer benchmark compares the fast kernels with the reference.
// Memory is always freed by the backend that allocated it, so tensors may
// outlive the scope.
class HostBackendScope {
 public:
  explicit HostBackendScope(const KernelTable& backend);
  ~HostBackendScope();
  HostBackendScope(const HostBackendScope&) = delete;
  HostBackendScope& operator=(const HostBackendScope&) = delete;

 private:
  const KernelTable* previous_;
};

}  // namespace cudagrad
