// Shared by the baseline files: the checking macros for cuDNN and cuBLAS,
// the library handles, and small RAII descriptors.
#pragma once
#include <cublas_v2.h>
#include <cudnn.h>

#include <string>

#include "kernels/cuda/cuda_compat.h"

namespace cudagrad {
namespace cuda_baseline {

// Throw cudagrad::Error naming the failed call, file and line.
inline void check_cudnn(cudnnStatus_t status, const char* what, const char* file, int line) {
  if (status != CUDNN_STATUS_SUCCESS)
    detail::fail(file, line,
                 std::string("cuDNN error in ") + what + ": " + cudnnGetErrorString(status));
}
inline void check_cublas(cublasStatus_t status, const char* what, const char* file, int line) {
  if (status != CUBLAS_STATUS_SUCCESS)
    detail::fail(file, line,
                 std::string("cuBLAS error in ") + what + ": " + cublasGetStatusString(status));
}

// The handles of the current GPU, bound to the CUDA backend's stream so
// that library calls are ordered with cudagrad's own kernels and copies.
cudnnHandle_t cudnn();
cublasHandle_t cublas();

// cudnnTensorDescriptor_t of a dense NCHW float tensor, destroyed with it.
class TensorDesc {
 public:
  TensorDesc(int n, int c, int h, int w);
  ~TensorDesc();
  TensorDesc(const TensorDesc&) = delete;
  TensorDesc& operator=(const TensorDesc&) = delete;
  operator cudnnTensorDescriptor_t() const { return desc_; }

 private:
  cudnnTensorDescriptor_t desc_ = nullptr;
};

// The constants cuDNN and cuBLAS take by pointer: out = alpha * op + beta * out.
extern const float kOne, kZero;

}  // namespace cuda_baseline
}  // namespace cudagrad

#define CUDNN_CHECK(call) ::cudagrad::cuda_baseline::check_cudnn((call), #call, __FILE__, __LINE__)
#define CUBLAS_CHECK(call) \
  ::cudagrad::cuda_baseline::check_cublas((call), #call, __FILE__, __LINE__)
