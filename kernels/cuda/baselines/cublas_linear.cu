// cuBLAS SGEMM behind the KernelTable's linear_* fields.
//
// cuBLAS is column-major; cudagrad is row-major. A row-major (r x c) matrix
// is, read column-major, its (c x r) transpose. Writing X = x^T (in x N),
// W = w^T (in x out), Y = y^T (out x N), DY = dy^T (out x N) for the
// column-major views of the row-major buffers:
//   y  = x w^T   =>  Y  = W^T X          gemm(T, N, out, N, in)
//   dx = dy w    =>  DX = W DY           gemm(N, N, in, N, out)
//   dw = dy^T x  =>  DW = X DY^T         gemm(N, T, in, out, N)
// The bias (add to every row; for db, sum every column) is cuDNN's, on the
// (N, out) matrix viewed as N images of `out` channels.
#include "kernels/cuda/baselines/functions.h"
#include "kernels/cuda/baselines/handles.cuh"

namespace cudagrad {
namespace cuda_baseline {

void linear_forward(const LinearShape& s, const float* x, const float* w, const float* b,
                    float* y) {
  CUBLAS_CHECK(cublasSgemm(cublas(), CUBLAS_OP_T, CUBLAS_OP_N, s.out, s.N, s.in, &kOne, w, s.in, x,
                           s.in, &kZero, y, s.out));
  if (b) {
    TensorDesc rows(s.N, s.out, 1, 1), bias(1, s.out, 1, 1);
    CUDNN_CHECK(cudnnAddTensor(cudnn(), &kOne, bias, b, &kOne, rows, y));
  }
}

void linear_backward_input(const LinearShape& s, const float* dy, const float* w, float* dx) {
  CUBLAS_CHECK(cublasSgemm(cublas(), CUBLAS_OP_N, CUBLAS_OP_N, s.in, s.N, s.out, &kOne, w, s.in, dy,
                           s.out, &kZero, dx, s.in));
}

void linear_backward_weight(const LinearShape& s, const float* x, const float* dy, float* dw,
                            float* db) {
  CUBLAS_CHECK(cublasSgemm(cublas(), CUBLAS_OP_N, CUBLAS_OP_T, s.in, s.out, s.N, &kOne, x, s.in, dy,
                           s.out, &kZero, dw, s.in));
  if (db) {
    TensorDesc rows(s.N, s.out, 1, 1), bias(1, s.out, 1, 1);
    CUDNN_CHECK(cudnnConvolutionBackwardBias(cudnn(), &kOne, rows, dy, &kZero, bias, db));
  }
}

}  // namespace cuda_baseline
}  // namespace cudagrad
