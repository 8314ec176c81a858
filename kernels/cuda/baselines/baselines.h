// What cuDNN and cuBLAS compute for the ops cudagrad writes by hand: the
// yardstick of the GPU tests (tests/test_cuda_device.cpp) and of
// cudagrad-bench. Built only with CUDA (kernels/cuda/baselines/), never used
// by the engine.
//
// The baselines fill the KernelTable fields they have an answer for, with
// the table's semantics (kernels/kernel_table.h), over the CUDA backend's
// device memory and stream; every other field is nullptr:
//   conv2d_* and depthwise_conv2d_*  cuDNN convolution (groups for depthwise),
//                                    the fastest FP32 algorithm cudnnFind
//                                    measures for the shape, no TF32
//   batch_norm_*                     cuDNN spatial batch norm
//   max/avg_pool2d_*, global_avg_*   cuDNN pooling (avg counts the padding)
//   log_softmax_*                    cuDNN log-softmax over each row
//   linear_*                         cuBLAS SGEMM (no TF32); bias with cuDNN
// Two differences from the table's contract, because cuDNN works that way:
// max_pool2d_forward leaves `argmax` unwritten, and max_pool2d_backward is
// nullptr: cuDNN's needs the input and output instead of indices, so it is
// cudnn_max_pool2d_backward below.
//
// These functions take this header's plain types only, so host code compiled
// without the cuDNN headers can call them.
#pragma once
#include "kernels/kernel_table.h"

namespace cudagrad {
namespace cuda_baseline {

const KernelTable& kernel_table();  // name "cudnn+cublas"

// dx (N, C, H, W) from x, the forward output y, and dy, all (device).
void cudnn_max_pool2d_backward(const Pool2dShape& s, const float* x, const float* y,
                               const float* dy, float* dx);

}  // namespace cuda_baseline
}  // namespace cudagrad
