// Fully connected layer, y = x w^T + b, as three products on the tiled SGEMM
// of gemm.cuh (see there for the launch shape and the tiling), plus a column
// sum for the bias gradient:
//   forward          y  (N x out) = x (N x in) * w^T (in x out)    [+ b]
//   backward input   dx (N x in)  = dy (N x out) * w (out x in)
//   backward weight  dw (out x in) = dy^T (out x N) * x (N x in)
// Each operand is a row-major matrix read either as stored or transposed;
// the accessors below say which, and which index is contiguous.
//
// The bias gradient, db[o] = sum_n dy[n, o], is one thread per column o
// (256 per block): consecutive threads read consecutive floats of each row.
#include "kernels/cuda/gemm.cuh"
#include "kernels/cuda/host_functions.h"

namespace cudagrad {
namespace CUDAGRAD_CUDA_NAMESPACE {

namespace {

// A row-major (rows x cols) matrix read as stored: element (r, c) = p[r * cols + c].
// As a GEMM operand its second index is k for A, n for B.
template <bool second_index_is_k>
struct RowMajor {
  static constexpr bool k_contiguous = second_index_is_k;
  static constexpr bool has_load4 = true;
  static constexpr bool has_parts = false;
  const float* p;
  int cols;
  __device__ float operator()(int, int r, int c) const {
    return p[static_cast<int64_t>(r) * cols + c];
  }
  __device__ bool aligned4() const { return is_aligned16(p) && cols % 4 == 0; }
  __device__ float4 load4(int, int r, int c) const {  // (r, c .. c + 3)
    return *reinterpret_cast<const float4*>(p + static_cast<int64_t>(r) * cols + c);
  }
};

// A row-major (cols x rows) matrix read transposed: element (r, c) = p[c * rows + r].
template <bool second_index_is_k>
struct Transposed {
  static constexpr bool k_contiguous = !second_index_is_k;
  static constexpr bool has_load4 = true;
  static constexpr bool has_parts = false;
  const float* p;
  int rows;
  __device__ float operator()(int, int r, int c) const {
    return p[static_cast<int64_t>(c) * rows + r];
  }
  __device__ bool aligned4() const { return is_aligned16(p) && rows % 4 == 0; }
  __device__ float4 load4(int, int r, int c) const {  // (r .. r + 3, c)
    return *reinterpret_cast<const float4*>(p + static_cast<int64_t>(c) * rows + r);
  }
};

// C[m, n] = value (+ bias[n] when there is one); C row-major (M x N).
struct StoreRowMajor {
  float* p;
  int cols;
  const float* bias;  // nullable
  __device__ void operator()(int, int m, int n, float value) const {
    p[static_cast<int64_t>(m) * cols + n] = bias ? value + bias[n] : value;
  }
};

constexpr int kThreads = 256;

//   db[o] = sum_n dy[n, o]
// dy (N, out), db (out)
__global__ void column_sum_kernel(int N, int out, const float* dy, float* db) {
  const int o = blockIdx.x * blockDim.x + threadIdx.x;
  if (o >= out) return;
  float sum = 0.0f;
  for (int n = 0; n < N; ++n) sum += dy[static_cast<int64_t>(n) * out + o];
  db[o] = sum;
}

}  // namespace

//   y[n, o] = b[o] + sum_i x[n, i] * w[o, i]
// x (N, in), w (out, in), b (out) nullable, y (N, out)
void linear_forward(const LinearShape& s, const float* x, const float* w, const float* b,
                    float* y) {
  gemm(s.N, s.out, s.in, 1, RowMajor<true>{x, s.in}, Transposed<false>{w, s.in},
       StoreRowMajor{y, s.out, b});
}

//   dx[n, i] = sum_o dy[n, o] * w[o, i]
// dy (N, out), w (out, in), dx (N, in)
void linear_backward_input(const LinearShape& s, const float* dy, const float* w, float* dx) {
  gemm(s.N, s.in, s.out, 1, RowMajor<true>{dy, s.out}, RowMajor<false>{w, s.in},
       StoreRowMajor{dx, s.in, nullptr});
}

//   dw[o, i] = sum_n dy[n, o] * x[n, i],   db[o] = sum_n dy[n, o]
// x (N, in), dy (N, out), dw (out, in), db (out) nullable
void linear_backward_weight(const LinearShape& s, const float* x, const float* dy, float* dw,
                            float* db) {
  gemm(s.out, s.in, s.N, 1, Transposed<true>{dy, s.out}, RowMajor<false>{x, s.in},
       StoreRowMajor{dw, s.in, nullptr});
  if (db && s.out > 0) {
    CG_LAUNCH(column_sum_kernel, (s.out + kThreads - 1) / kThreads, kThreads, 0, s.N, s.out, dy,
              db);
  }
}

}  // namespace CUDAGRAD_CUDA_NAMESPACE
}  // namespace cudagrad
