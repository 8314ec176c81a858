// The baseline functions, one per KernelTable field they fill, declared once
// for the files that define them and for table.cu. Semantics: kernels/kernel_table.h.
#pragma once
#include <cstdint>

#include "kernels/kernel_table.h"

namespace cudagrad {
namespace cuda_baseline {

// cudnn_conv.cu
void conv2d_forward(const Conv2dShape& s, const float* x, const float* w, const float* b, float* y);
void conv2d_backward_input(const Conv2dShape& s, const float* dy, const float* w, float* dx);
void conv2d_backward_weight(const Conv2dShape& s, const float* x, const float* dy, float* dw,
                            float* db);
// cudnn_ops.cu
void batch_norm_forward_train(const BatchNormShape& s, const float* x, const float* gamma,
                              const float* beta, float eps, float momentum, float* running_mean,
                              float* running_var, float* y, float* save_mean, float* save_invstd);
void batch_norm_forward_eval(const BatchNormShape& s, const float* x, const float* gamma,
                             const float* beta, const float* running_mean, const float* running_var,
                             float eps, float* y);
void batch_norm_backward(const BatchNormShape& s, const float* dy, const float* x,
                         const float* gamma, const float* save_mean, const float* save_invstd,
                         float* dx, float* dgamma, float* dbeta);
void max_pool2d_forward(const Pool2dShape& s, const float* x, float* y, int32_t* argmax);
void avg_pool2d_forward(const Pool2dShape& s, const float* x, float* y);
void avg_pool2d_backward(const Pool2dShape& s, const float* dy, float* dx);
void global_avg_pool_forward(int N, int C, int HW, const float* x, float* y);
void global_avg_pool_backward(int N, int C, int HW, const float* dy, float* dx);
void log_softmax_forward(int N, int K, const float* x, float* y);
void log_softmax_backward(int N, int K, const float* y, const float* dy, float* dx);
// cublas_linear.cu
void linear_forward(const LinearShape& s, const float* x, const float* w, const float* b, float* y);
void linear_backward_input(const LinearShape& s, const float* dy, const float* w, float* dx);
void linear_backward_weight(const LinearShape& s, const float* x, const float* dy, float* dw,
                            float* db);

}  // namespace cuda_baseline
}  // namespace cudagrad
