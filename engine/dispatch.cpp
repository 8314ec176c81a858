#include "engine/dispatch.h"

#include "engine/error.h"
#include "kernels/cpu/cpu.h"
#include "kernels/reference/reference.h"

namespace cudagrad {

static thread_local const KernelTable* t_host_backend = nullptr;  // nullptr: the default

const KernelTable& kernels_for(Device device) {
  if (device.is_cpu()) return t_host_backend ? *t_host_backend : cpu::kernel_table();
  CG_FAIL("device " << device.str() << " is not supported by this build of cudagrad");
}

std::vector<const KernelTable*> host_backends() {
  return {&reference::kernel_table(), &cpu::kernel_table()};
}

HostBackendScope::HostBackendScope(const KernelTable& backend) : previous_(t_host_backend) {
  t_host_backend = &backend;
}

HostBackendScope::~HostBackendScope() { t_host_backend = previous_; }

}  // namespace cudagrad
