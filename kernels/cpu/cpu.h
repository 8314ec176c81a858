// The fast CPU backend: the same functions as kernels/reference, written for
// speed (im2col + Eigen GEMM for convolution, vectorizable loops, OpenMP
// across the batch and channels, a caching allocator so a training step
// allocates no new memory after the first). Tests compare every function with
// the reference on random shapes. Ops whose cost is negligible in a CNN
// (log-softmax and the loss on (N, classes)) use the reference functions.
#pragma once
#include <cstddef>

#include "kernels/kernel_table.h"

namespace cudagrad {
namespace cpu {

const KernelTable& kernel_table();

// The caching allocator's counters, in bytes.
struct AllocatorStats {
  size_t allocated = 0;  // held by live tensors now
  size_t reserved = 0;   // allocated plus cached free blocks
  size_t peak = 0;       // the most ever allocated at once
};
AllocatorStats allocator_stats();
void release_cached_memory();  // returns cached free blocks to the system

void* allocate(size_t bytes);
void deallocate(void* ptr);

void fill(int64_t n, float value, float* y);
void add(int64_t n, const float* a, const float* b, float* y);
void accumulate(int64_t n, const float* x, float* y);
void relu_forward(int64_t n, const float* x, float* y);
void relu_backward(int64_t n, const float* x, const float* dy, float* dx);
void dropout_forward(int64_t n, float p, uint64_t seed, uint64_t offset, const float* x, float* y,
                     float* mask);
void dropout_backward(int64_t n, const float* dy, const float* mask, float* dx);

void conv2d_forward(const Conv2dShape& s, const float* x, const float* w, const float* b, float* y);
void conv2d_backward_input(const Conv2dShape& s, const float* dy, const float* w, float* dx);
void conv2d_backward_weight(const Conv2dShape& s, const float* x, const float* dy, float* dw,
                            float* db);
void depthwise_conv2d_forward(const Conv2dShape& s, const float* x, const float* w, const float* b,
                              float* y);
void depthwise_conv2d_backward_input(const Conv2dShape& s, const float* dy, const float* w,
                                     float* dx);
void depthwise_conv2d_backward_weight(const Conv2dShape& s, const float* x, const float* dy,
                                      float* dw, float* db);

void batch_norm_forward_train(const BatchNormShape& s, const float* x, const float* gamma,
                              const float* beta, float eps, float momentum, float* running_mean,
                              float* running_var, float* y, float* save_mean, float* save_invstd);
void batch_norm_forward_eval(const BatchNormShape& s, const float* x, const float* gamma,
                             const float* beta, const float* running_mean, const float* running_var,
                             float eps, float* y);
void batch_norm_backward(const BatchNormShape& s, const float* dy, const float* x,
                         const float* gamma, const float* save_mean, const float* save_invstd,
                         float* dx, float* dgamma, float* dbeta);
void batch_norm_relu_forward_train(const BatchNormShape& s, const float* x, const float* gamma,
                                   const float* beta, float eps, float momentum,
                                   float* running_mean, float* running_var, float* y,
                                   float* save_mean, float* save_invstd);
void batch_norm_relu_backward(const BatchNormShape& s, const float* dy, const float* x,
                              const float* y, const float* gamma, const float* save_mean,
                              const float* save_invstd, float* dx, float* dgamma, float* dbeta);

void max_pool2d_forward(const Pool2dShape& s, const float* x, float* y, int32_t* argmax);
void max_pool2d_backward(const Pool2dShape& s, const float* dy, const int32_t* argmax, float* dx);
void avg_pool2d_forward(const Pool2dShape& s, const float* x, float* y);
void avg_pool2d_backward(const Pool2dShape& s, const float* dy, float* dx);
void global_avg_pool_forward(int N, int C, int HW, const float* x, float* y);
void global_avg_pool_backward(int N, int C, int HW, const float* dy, float* dx);

void linear_forward(const LinearShape& s, const float* x, const float* w, const float* b, float* y);
void linear_backward_input(const LinearShape& s, const float* dy, const float* w, float* dx);
void linear_backward_weight(const LinearShape& s, const float* x, const float* dy, float* dw,
                            float* db);

void concat_channels_forward(int N, int HW, int count, const float* const* inputs,
                             const int* channels, float* y);
void concat_channels_backward(int N, int HW, int count, const float* dy, const int* channels,
                              float* const* dxs);

void sgd_step(int64_t n, float* param, const float* grad, float* momentum_buf, float lr,
              float momentum, float weight_decay, bool nesterov);
void adam_step(int64_t n, float* param, const float* grad, float* m, float* v, float lr,
               float beta1, float beta2, float eps, float weight_decay, bool decoupled,
               int64_t step);

}  // namespace cpu
}  // namespace cudagrad
