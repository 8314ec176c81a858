// cuDNN batch norm, pooling and log-softmax behind KernelTable fields.
//
// Descriptors are created per call: they are host-side structs, cheap next to
// a kernel on a batch of 224x224 images, and the benchmark's timing with CUDA
// events measures the GPU work, not this host work.
#include "kernels/cuda/baselines/baselines.h"
#include "kernels/cuda/baselines/functions.h"
#include "kernels/cuda/baselines/handles.cuh"

namespace cudagrad {
namespace cuda_baseline {

// ---- batch norm: CUDNN_BATCHNORM_SPATIAL, statistics per channel over N, H, W ----
// cuDNN's running variance is the unbiased one and its saved "inverse
// variance" is 1 / sqrt(var + eps): the table's contract, PyTorch's rule.
void batch_norm_forward_train(const BatchNormShape& s, const float* x, const float* gamma,
                              const float* beta, float eps, float momentum, float* running_mean,
                              float* running_var, float* y, float* save_mean, float* save_invstd) {
  TensorDesc data(s.N, s.C, s.H, s.W), channel(1, s.C, 1, 1);
  CUDNN_CHECK(cudnnBatchNormalizationForwardTraining(
      cudnn(), CUDNN_BATCHNORM_SPATIAL, &kOne, &kZero, data, x, data, y, channel, gamma, beta,
      momentum, running_mean, running_var, eps, save_mean, save_invstd));
}

void batch_norm_forward_eval(const BatchNormShape& s, const float* x, const float* gamma,
                             const float* beta, const float* running_mean, const float* running_var,
                             float eps, float* y) {
  TensorDesc data(s.N, s.C, s.H, s.W), channel(1, s.C, 1, 1);
  CUDNN_CHECK(cudnnBatchNormalizationForwardInference(cudnn(), CUDNN_BATCHNORM_SPATIAL, &kOne,
                                                      &kZero, data, x, data, y, channel, gamma,
                                                      beta, running_mean, running_var, eps));
}

void batch_norm_backward(const BatchNormShape& s, const float* dy, const float* x,
                         const float* gamma, const float* save_mean, const float* save_invstd,
                         float* dx, float* dgamma, float* dbeta) {
  TensorDesc data(s.N, s.C, s.H, s.W), channel(1, s.C, 1, 1);
  // The table's backward has no epsilon: it is inside save_invstd already.
  // cuDNN takes the saved statistics when given them and needs epsilon only
  // to recompute them; 1e-5 is what every caller here (and PyTorch) uses.
  CUDNN_CHECK(cudnnBatchNormalizationBackward(
      cudnn(), CUDNN_BATCHNORM_SPATIAL, &kOne, &kZero, &kOne, &kZero, data, x, data, dy, data, dx,
      channel, gamma, dgamma, dbeta, 1e-5, save_mean, save_invstd));
}

// ---- pooling --------------------------------------------------------------------------
namespace {

class PoolingDesc {
 public:
  PoolingDesc(cudnnPoolingMode_t mode, int window_h, int window_w, int pad, int stride_h,
              int stride_w) {
    CUDNN_CHECK(cudnnCreatePoolingDescriptor(&desc_));
    CUDNN_CHECK(cudnnSetPooling2dDescriptor(desc_, mode, CUDNN_NOT_PROPAGATE_NAN, window_h,
                                            window_w, pad, pad, stride_h, stride_w));
  }
  ~PoolingDesc() { cudnnDestroyPoolingDescriptor(desc_); }
  PoolingDesc(const PoolingDesc&) = delete;
  PoolingDesc& operator=(const PoolingDesc&) = delete;
  operator cudnnPoolingDescriptor_t() const { return desc_; }

 private:
  cudnnPoolingDescriptor_t desc_ = nullptr;
};

// Average pooling counts the zero padding (the table's count_include_pad).
// MAX_DETERMINISTIC: the backward pass gives each window's gradient to one
// maximum, as the hand-written kernel does.
void pool_forward(cudnnPoolingMode_t mode, const Pool2dShape& s, const float* x, float* y) {
  PoolingDesc pool(mode, s.kernel, s.kernel, s.padding, s.stride, s.stride);
  TensorDesc in(s.N, s.C, s.H, s.W), out(s.N, s.C, s.H_out(), s.W_out());
  CUDNN_CHECK(cudnnPoolingForward(cudnn(), pool, &kOne, in, x, &kZero, out, y));
}

// cudnnPoolingBackward wants x and y; average pooling reads neither (every
// input of a window gets the same share), so the average wrappers pass dx
// and dy in their place.
void pool_backward(cudnnPoolingMode_t mode, const Pool2dShape& s, const float* x, const float* y,
                   const float* dy, float* dx) {
  PoolingDesc pool(mode, s.kernel, s.kernel, s.padding, s.stride, s.stride);
  TensorDesc in(s.N, s.C, s.H, s.W), out(s.N, s.C, s.H_out(), s.W_out());
  CUDNN_CHECK(cudnnPoolingBackward(cudnn(), pool, &kOne, out, y, out, dy, in, x, &kZero, in, dx));
}

}  // namespace

void max_pool2d_forward(const Pool2dShape& s, const float* x, float* y, int32_t* /*argmax*/) {
  pool_forward(CUDNN_POOLING_MAX_DETERMINISTIC, s, x, y);
}

void cudnn_max_pool2d_backward(const Pool2dShape& s, const float* x, const float* y,
                               const float* dy, float* dx) {
  pool_backward(CUDNN_POOLING_MAX_DETERMINISTIC, s, x, y, dy, dx);
}

void avg_pool2d_forward(const Pool2dShape& s, const float* x, float* y) {
  pool_forward(CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING, s, x, y);
}

void avg_pool2d_backward(const Pool2dShape& s, const float* dy, float* dx) {
  pool_backward(CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING, s, dx, dy, dy, dx);
}

// Global average pooling: each (N, C) plane of HW values, viewed as a
// 1 x HW image, pooled by one 1 x HW window.
void global_avg_pool_forward(int N, int C, int HW, const float* x, float* y) {
  PoolingDesc pool(CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING, 1, HW, 0, 1, HW);
  TensorDesc in(N, C, 1, HW), out(N, C, 1, 1);
  CUDNN_CHECK(cudnnPoolingForward(cudnn(), pool, &kOne, in, x, &kZero, out, y));
}

void global_avg_pool_backward(int N, int C, int HW, const float* dy, float* dx) {
  PoolingDesc pool(CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING, 1, HW, 0, 1, HW);
  TensorDesc in(N, C, 1, HW), out(N, C, 1, 1);
  CUDNN_CHECK(cudnnPoolingBackward(cudnn(), pool, &kOne, out, dy, out, dy, in, dx, &kZero, in, dx));
}

// ---- log-softmax over each row of (N, K), viewed as N images of K channels ----
void log_softmax_forward(int N, int K, const float* x, float* y) {
  TensorDesc rows(N, K, 1, 1);
  CUDNN_CHECK(cudnnSoftmaxForward(cudnn(), CUDNN_SOFTMAX_LOG, CUDNN_SOFTMAX_MODE_INSTANCE, &kOne,
                                  rows, x, &kZero, rows, y));
}

void log_softmax_backward(int N, int K, const float* y, const float* dy, float* dx) {
  TensorDesc rows(N, K, 1, 1);
  CUDNN_CHECK(cudnnSoftmaxBackward(cudnn(), CUDNN_SOFTMAX_LOG, CUDNN_SOFTMAX_MODE_INSTANCE, &kOne,
                                   rows, y, rows, dy, &kZero, rows, dx));
}

}  // namespace cuda_baseline
}  // namespace cudagrad
