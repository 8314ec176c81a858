// Linear layers as Eigen matrix products (Eigen spreads them over the OpenMP
// threads). With x (N, in), w (out, in), y (N, out):
//   y = x w^T + b,   dx = dy w,   dw = dy^T x,   db = column sums of dy
#include "kernels/cpu/kernels.h"
#include "kernels/cpu/parallel.h"

namespace cudagrad {
namespace cpu {
namespace CUDAGRAD_CPU_TARGET {

void linear_forward(const LinearShape& s, const float* x, const float* w, const float* b,
                    float* y) {
  MatrixMap out(y, s.N, s.out);
  out.noalias() = ConstMatrixMap(x, s.N, s.in) * ConstMatrixMap(w, s.out, s.in).transpose();
  if (b) out.rowwise() += Eigen::Map<const Eigen::RowVectorXf>(b, s.out);
}

void linear_backward_input(const LinearShape& s, const float* dy, const float* w, float* dx) {
  MatrixMap(dx, s.N, s.in).noalias() =
      ConstMatrixMap(dy, s.N, s.out) * ConstMatrixMap(w, s.out, s.in);
}

void linear_backward_weight(const LinearShape& s, const float* x, const float* dy, float* dw,
                            float* db) {
  ConstMatrixMap g(dy, s.N, s.out);
  MatrixMap(dw, s.out, s.in).noalias() = g.transpose() * ConstMatrixMap(x, s.N, s.in);
  if (db) Eigen::Map<Eigen::RowVectorXf>(db, s.out) = g.colwise().sum();
}

}  // namespace CUDAGRAD_CPU_TARGET
}  // namespace cpu
}  // namespace cudagrad
