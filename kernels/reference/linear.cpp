// Fully connected layer: y = x w^T + b, written as three matrix products
// with one double accumulator per output element.
#include "kernels/reference/reference.h"

namespace cudagrad {
namespace reference {

//   y[n, o] = b[o] + sum_i x[n, i] * w[o, i]
// x (N, in), w (out, in), b (out) nullable, y (N, out)
void linear_forward(const LinearShape& s, const float* x, const float* w, const float* b,
                    float* y) {
  for (int n = 0; n < s.N; ++n)
    for (int o = 0; o < s.out; ++o) {
      double sum = b ? b[o] : 0.0;
      for (int i = 0; i < s.in; ++i)
        sum += static_cast<double>(x[int64_t(n) * s.in + i]) * w[int64_t(o) * s.in + i];
      y[int64_t(n) * s.out + o] = static_cast<float>(sum);
    }
}

// y = x w^T gives dx = dy w:
//   dx[n, i] = sum_o dy[n, o] * w[o, i]
// dy (N, out), w (out, in), dx (N, in)
void linear_backward_input(const LinearShape& s, const float* dy, const float* w, float* dx) {
  for (int n = 0; n < s.N; ++n)
    for (int i = 0; i < s.in; ++i) {
      double sum = 0.0;
      for (int o = 0; o < s.out; ++o)
        sum += static_cast<double>(dy[int64_t(n) * s.out + o]) * w[int64_t(o) * s.in + i];
      dx[int64_t(n) * s.in + i] = static_cast<float>(sum);
    }
}

// y = x w^T + b gives dw = dy^T x and db = the column sums of dy:
//   dw[o, i] = sum_n dy[n, o] * x[n, i]        db[o] = sum_n dy[n, o]
// x (N, in), dy (N, out), dw (out, in), db (out) nullable
void linear_backward_weight(const LinearShape& s, const float* x, const float* dy, float* dw,
                            float* db) {
  for (int o = 0; o < s.out; ++o) {
    for (int i = 0; i < s.in; ++i) {
      double sum = 0.0;
      for (int n = 0; n < s.N; ++n)
        sum += static_cast<double>(dy[int64_t(n) * s.out + o]) * x[int64_t(n) * s.in + i];
      dw[int64_t(o) * s.in + i] = static_cast<float>(sum);
    }
    if (db) {
      double sum = 0.0;
      for (int n = 0; n < s.N; ++n) sum += dy[int64_t(n) * s.out + o];
      db[o] = static_cast<float>(sum);
    }
  }
}

}  // namespace reference
}  // namespace cudagrad
