// The functions of the vector CPU backend, declared in the namespace of the
// vector target being compiled. Every source file of the backend except
// memory.cpp and targets.cpp is compiled once per target (CMakeLists.txt
// beside this file) with CUDAGRAD_CPU_TARGET set to the target's name, so
// the AVX-512 build of conv2d_forward is cudagrad::cpu::avx512::conv2d_forward
// and the AVX2 one cudagrad::cpu::avx2::conv2d_forward. targets.cpp picks
// one target's table at run time.
#pragma once
#include <cstdint>

#include "kernels/cpu/cpu.h"

#ifndef CUDAGRAD_CPU_TARGET
#error "kernels/cpu sources are compiled once per vector target: see kernels/cpu/CMakeLists.txt"
#endif

namespace cudagrad {
namespace cpu {
namespace CUDAGRAD_CPU_TARGET {

// "avx2" for CUDAGRAD_CPU_TARGET=avx2: the target's name as a string.
#define CUDAGRAD_CPU_STRINGIFY_(x) #x
#define CUDAGRAD_CPU_STRINGIFY(x) CUDAGRAD_CPU_STRINGIFY_(x)
#define CUDAGRAD_CPU_TARGET_NAME CUDAGRAD_CPU_STRINGIFY(CUDAGRAD_CPU_TARGET)

// This target's kernel table: the functions below, plus the shared
// allocator and the reference backend's cheap ops. With self_check() the
// only names a target's objects export; everything else in them is made
// local to the target when they are combined (CMakeLists.txt), so no inline
// function or template compiled for AVX-512 can stand in for the AVX2 or
// SSE2 one at link time. Call them only when the CPU supports the target:
// they run the target's instructions.
const KernelTable& table();

// The vector helpers of simd.h checked lane by lane (self_check.cpp): the
// number of wrong lanes, 0 when all is well.
int self_check();

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

// count += elements of x that are NaN or infinite (elementwise.cpp)
void count_non_finite(int64_t n, const float* x, float* count);

void sgd_step(int64_t n, float* param, const float* grad, float* momentum_buf, float lr,
              float momentum, float weight_decay, bool nesterov);
void adam_step(int64_t n, float* param, const float* grad, float* m, float* v, float lr,
               float beta1, float beta2, float eps, float weight_decay, bool decoupled,
               int64_t step);

}  // namespace CUDAGRAD_CPU_TARGET
}  // namespace cpu
}  // namespace cudagrad
