// The reference backend: plain loops that are obviously correct, with double
// accumulation wherever a sum is long. Every other backend is tested against
// it. It runs on host memory.
//
// Each function below fills the KernelTable field of the same name; the
// contract (shapes, semantics, formulas) is written there, in
// kernels/kernel_table.h. The functions are declared here too so that a
// faster backend can reuse the ones it does not speed up.
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/kernel_table.h"

namespace cudagrad {
namespace reference {

const KernelTable& kernel_table();

// memory.cpp
void* allocate(size_t bytes);
void deallocate(void* ptr);
void copy_from_host(void* dst, const void* host_src, size_t bytes);
void copy_to_host(void* host_dst, const void* src, size_t bytes);
void copy(void* dst, const void* src, size_t bytes);

// elementwise.cpp
void fill(int64_t n, float value, float* y);
void add(int64_t n, const float* a, const float* b, float* y);
void accumulate(int64_t n, const float* x, float* y);
void concat_channels_forward(int N, int HW, int count, const float* const* inputs,
                             const int* channels, float* y);
void concat_channels_backward(int N, int HW, int count, const float* dy, const int* channels,
                              float* const* dxs);

// activation.cpp
void relu_forward(int64_t n, const float* x, float* y);
void relu_backward(int64_t n, const float* x, const float* dy, float* dx);
void dropout_forward(int64_t n, float p, uint64_t seed, uint64_t offset, const float* x, float* y,
                     float* mask);
void dropout_backward(int64_t n, const float* dy, const float* mask, float* dx);

// conv2d.cpp
void conv2d_forward(const Conv2dShape& s, const float* x, const float* w, const float* b,
                    float* y);
void conv2d_backward_input(const Conv2dShape& s, const float* dy, const float* w, float* dx);
void conv2d_backward_weight(const Conv2dShape& s, const float* x, const float* dy, float* dw,
                            float* db);

// depthwise_conv2d.cpp
void depthwise_conv2d_forward(const Conv2dShape& s, const float* x, const float* w,
                              const float* b, float* y);
void depthwise_conv2d_backward_input(const Conv2dShape& s, const float* dy, const float* w,
                                     float* dx);
void depthwise_conv2d_backward_weight(const Conv2dShape& s, const float* x, const float* dy,
                                      float* dw, float* db);

// batch_norm.cpp
void batch_norm_forward_train(const BatchNormShape& s, const float* x, const float* gamma,
                              const float* beta, float eps, float momentum, float* running_mean,
                              float* running_var, float* y, float* save_mean, float* save_invstd);
void batch_norm_forward_eval(const BatchNormShape& s, const float* x, const float* gamma,
                             const float* beta, const float* running_mean,
                             const float* running_var, float eps, float* y);
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

// pool.cpp
void max_pool2d_forward(const Pool2dShape& s, const float* x, float* y, int32_t* argmax);
void max_pool2d_backward(const Pool2dShape& s, const float* dy, const int32_t* argmax, float* dx);
void avg_pool2d_forward(const Pool2dShape& s, const float* x, float* y);
void avg_pool2d_backward(const Pool2dShape& s, const float* dy, float* dx);
void global_avg_pool_forward(int N, int C, int HW, const float* x, float* y);
void global_avg_pool_backward(int N, int C, int HW, const float* dy, float* dx);

// linear.cpp
void linear_forward(const LinearShape& s, const float* x, const float* w, const float* b,
                    float* y);
void linear_backward_input(const LinearShape& s, const float* dy, const float* w, float* dx);
void linear_backward_weight(const LinearShape& s, const float* x, const float* dy, float* dw,
                            float* db);

// loss.cpp
void log_softmax_forward(int N, int K, const float* x, float* y);
void log_softmax_backward(int N, int K, const float* y, const float* dy, float* dx);
void nll_loss_forward(int N, int K, const float* logp, const int32_t* targets,
                      const float* weights, float smoothing, float* loss);
void nll_loss_backward(int N, int K, const int32_t* targets, const float* weights,
                       float smoothing, const float* dloss, float* dlogp);

// step_checks.cpp
void count_non_finite(int64_t n, const float* x, float* count);
void count_correct(int N, int K, const float* logits, const int32_t* targets, float* correct);

// optimizer.cpp
void sgd_step(int64_t n, float* param, const float* grad, float* momentum_buf, float lr,
              float momentum, float weight_decay, bool nesterov);
void adam_step(int64_t n, float* param, const float* grad, float* m, float* v, float lr,
               float beta1, float beta2, float eps, float weight_decay, bool decoupled,
               int64_t step);

}  // namespace reference
}  // namespace cudagrad
