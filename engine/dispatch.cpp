#include "engine/dispatch.h"

#include "base/error.h"
#include "kernels/cpu/cpu.h"
#include "kernels/reference/reference.h"
#ifdef CUDAGRAD_HAVE_CUDA
#include "kernels/cuda/cuda_backend.h"
#endif

namespace cudagrad {

static thread_local const KernelTable* t_host_backend = nullptr;  // nullptr: the default

const KernelTable& kernels_for(Device device) {
  if (device.is_cpu()) return t_host_backend ? *t_host_backend : cpu::kernel_table();
  const CudaStatus& cuda = cuda_status();
  CG_CHECK(device.index >= 0 && device.index < cuda.devices,
           "device " << device.str() << " is not usable"
                     << (cuda.devices == 0 ? " (" + cuda.reason + ")" : ""));
#ifdef CUDAGRAD_HAVE_CUDA
  return cuda::kernel_table();
#else
  CG_FAIL("unreachable: a build without CUDA reports no GPU");
#endif
}

std::vector<const KernelTable*> host_backends() {
  std::vector<const KernelTable*> all{&reference::kernel_table()};
  for (const cpu::VectorTarget& t : cpu::vector_targets())
    if (t.supported) all.push_back(t.table);
  return all;
}

HostBackendScope::HostBackendScope(const KernelTable& backend) : previous_(t_host_backend) {
  t_host_backend = &backend;
}

HostBackendScope::~HostBackendScope() { t_host_backend = previous_; }

}  // namespace cudagrad
