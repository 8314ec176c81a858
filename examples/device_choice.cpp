#include "examples/device_choice.h"

#include <omp.h>

#include <cstdio>

#include "engine/error.h"
#include "engine/tensor.h"

namespace cudagrad {
namespace cli {

namespace {

// Whether a tensor can live on the GPU: the engine answers with an Error
// when the build has no CUDA backend or the driver finds no device.
bool gpu_usable(std::string& why_not) {
  try {
    Tensor probe = Tensor::zeros({1}, Device::cuda(0));
    return probe.to(Device::cpu()).item() == 0.f;
  } catch (const std::exception& e) {
    why_not = e.what();
    return false;
  }
}

}  // namespace

Device choose_device(const std::string& wanted, bool quiet) {
  if (wanted == "cpu") {
    if (!quiet) std::printf("device: cpu (%d threads)\n", omp_get_max_threads());
    return Device::cpu();
  }
  CG_CHECK(wanted == "auto" || wanted == "cuda",
           "--device must be auto, cpu or cuda, got '" << wanted << "'");
  std::string why_not;
  if (gpu_usable(why_not)) {
    if (!quiet) std::printf("device: cuda:0\n");
    return Device::cuda(0);
  }
  CG_CHECK(wanted == "auto", "--device cuda: no usable GPU (" << why_not << ")");
  if (!quiet)
    std::printf("device: no GPU found, using the CPU (%d threads)\n", omp_get_max_threads());
  return Device::cpu();
}

int set_cpu_threads(int threads) {
  if (threads > 0) omp_set_num_threads(threads);
  return omp_get_max_threads();
}

}  // namespace cli
}  // namespace cudagrad
