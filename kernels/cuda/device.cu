// Asks the CUDA runtime which GPUs this process can use. Only the nvcc build
// has it: a machine without a GPU, or with a driver older than the runtime,
// answers with an error string instead of a count, which is passed on so
// that `--device auto` can say why it falls back to the CPU.
#include <cuda_runtime.h>

#include "kernels/cuda/cuda_backend.h"

namespace cudagrad {
namespace cuda {

DeviceQuery query_devices() {
  DeviceQuery q;
  int count = 0;
  cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    q.reason = cudaGetErrorString(err);
    cudaGetLastError();  // clear the sticky error so later calls start clean
    return q;
  }
  if (count == 0) {
    q.reason = "no CUDA-capable device is detected";
    return q;
  }
  cudaDeviceProp prop;
  err = cudaGetDeviceProperties(&prop, 0);
  if (err != cudaSuccess) {
    q.reason = cudaGetErrorString(err);
    cudaGetLastError();
    return q;
  }
  q.devices = count;
  q.name = prop.name;
  q.memory_bytes = prop.totalGlobalMem;
  return q;
}

}  // namespace cuda
}  // namespace cudagrad
