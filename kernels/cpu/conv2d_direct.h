// Direct stride-1 convolution (see conv2d_direct.cpp); conv2d.cpp chooses
// between it and im2col + GEMM.
#pragma once
#include "kernels/cpu/kernels.h"

namespace cudagrad {
namespace cpu {
namespace CUDAGRAD_CPU_TARGET {

bool direct_conv_supported(const Conv2dShape& s);
void direct_conv2d_forward(const Conv2dShape& s, const float* x, const float* w, const float* b,
                           float* y);
void direct_conv2d_backward_input(const Conv2dShape& s, const float* dy, const float* w, float* dx);
void direct_conv2d_backward_weight(const Conv2dShape& s, const float* x, const float* dy, float* dw,
                                   float* db);

}  // namespace CUDAGRAD_CPU_TARGET
}  // namespace cpu
}  // namespace cudagrad
