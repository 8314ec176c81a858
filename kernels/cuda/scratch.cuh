// A temporary device buffer of floats for the partial results of a two-stage
// launch (split-K GEMM, multi-block batch norm), freed when the host function
// returns. Freeing right after the launches is safe: the caching allocator
// hands the block to a later request whose kernels queue behind these on the
// same stream (runtime.cu).
#pragma once
#include <cstddef>

#include "kernels/cuda/host_functions.h"

namespace cudagrad {
namespace CUDAGRAD_CUDA_NAMESPACE {

class Scratch {
 public:
  explicit Scratch(size_t floats)
      : data_(static_cast<float*>(allocate((floats > 0 ? floats : 1) * sizeof(float)))) {}
  ~Scratch() { deallocate(data_); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  float* data() const { return data_; }

 private:
  float* data_;
};

}  // namespace CUDAGRAD_CUDA_NAMESPACE
}  // namespace cudagrad
