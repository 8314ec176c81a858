#include "engine/dispatch.h"

#include "engine/error.h"
#include "kernels/reference/reference.h"

namespace cudagrad {

const KernelTable& kernels_for(Device device) {
  if (device.is_cpu()) return reference::kernel_table();
  CG_FAIL("device " << device.str() << " is not supported by this build of cudagrad");
}

std::vector<const KernelTable*> compiled_backends() {
  return {&reference::kernel_table()};
}

}  // namespace cudagrad
