// Winograd F(4x4, 3x3) convolution for 3x3 stride-1 layers (see
// conv2d_winograd.cpp); conv2d.cpp chooses between it, the direct kernel and
// im2col + GEMM.
#pragma once
#include "kernels/cpu/kernels.h"

namespace cudagrad {
namespace cpu {
namespace CUDAGRAD_CPU_TARGET {

bool winograd_supported(const Conv2dShape& s);
void winograd_conv2d_forward(const Conv2dShape& s, const float* x, const float* w, const float* b,
                             float* y);
void winograd_conv2d_backward_input(const Conv2dShape& s, const float* dy, const float* w,
                                    float* dx);
void winograd_conv2d_backward_weight(const Conv2dShape& s, const float* x, const float* dy,
                                     float* dw, float* db);

}  // namespace CUDAGRAD_CPU_TARGET
}  // namespace cpu
}  // namespace cudagrad
