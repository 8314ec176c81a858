// One cuDNN and one cuBLAS handle per GPU, created on first use and kept for
// the life of the process (destroying them after main() returns could call
// into a CUDA runtime that is already shut down).
#include <mutex>
#include <vector>

#include "kernels/cuda/baselines/handles.cuh"

namespace cudagrad {
namespace cuda_baseline {

const float kOne = 1.f, kZero = 0.f;

namespace {

struct Handles {
  cudnnHandle_t cudnn = nullptr;
  cublasHandle_t cublas = nullptr;
};

Handles& current_handles() {
  static std::mutex mutex;
  static auto* per_device = new std::vector<Handles>;
  int device = 0;
  CUDA_CHECK(cudaGetDevice(&device));
  std::lock_guard<std::mutex> lock(mutex);
  if (static_cast<int>(per_device->size()) <= device) per_device->resize(device + 1);
  Handles& h = (*per_device)[device];
  if (!h.cudnn) {
    CUDNN_CHECK(cudnnCreate(&h.cudnn));
    CUBLAS_CHECK(cublasCreate(&h.cublas));
    // Plain FP32: cuBLAS may not use TF32 tensor cores for SGEMM, so the
    // baseline computes what the hand-written SGEMM computes.
    CUBLAS_CHECK(cublasSetMathMode(h.cublas, CUBLAS_DEFAULT_MATH));
    CUDNN_CHECK(cudnnSetStream(h.cudnn, cuda::stream()));
    CUBLAS_CHECK(cublasSetStream(h.cublas, cuda::stream()));
  }
  return h;
}

}  // namespace

cudnnHandle_t cudnn() { return current_handles().cudnn; }
cublasHandle_t cublas() { return current_handles().cublas; }

TensorDesc::TensorDesc(int n, int c, int h, int w) {
  CUDNN_CHECK(cudnnCreateTensorDescriptor(&desc_));
  CUDNN_CHECK(cudnnSetTensor4dDescriptor(desc_, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, n, c, h, w));
}

TensorDesc::~TensorDesc() { cudnnDestroyTensorDescriptor(desc_); }

}  // namespace cuda_baseline
}  // namespace cudagrad
