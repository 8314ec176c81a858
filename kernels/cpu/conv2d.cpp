// Convolution as matrix products (im2col + GEMM), the approach of Caffe and
// of most CPU frameworks. For one image and one group, im2col copies every
// receptive field into a column:
//   col[(ci, kh, kw), (oh, ow)] = x[ci, oh*s - p + kh, ow*s - p + kw]  (0 outside)
// so that, with K = C_in/G * k * k rows and P = H_out * W_out columns,
//   forward          y_g (C_out/G, P) = w_g (C_out/G, K) * col (K, P)
//   backward input   dcol (K, P)      = w_g^T * dy_g, then col2im sums dcol into dx
//   backward weight  dw_g (C_out/G, K) += dy_g * col^T, summed over the batch
// Eigen does the products with the machine's vector units. Images are spread
// over OpenMP threads; a 1x1 convolution with stride 1 needs no im2col at all.
#include <algorithm>
#include <cstring>

#include "kernels/cpu/conv2d_direct.h"
#include "kernels/cpu/cpu.h"
#include "kernels/cpu/parallel.h"

namespace cudagrad {
namespace cpu {

namespace {

bool is_pointwise(const Conv2dShape& s) { return s.kernel == 1 && s.stride == 1 && s.padding == 0; }

// Output columns ow in [*lo, *hi) read input columns iw = ow*s - p + kw inside [0, W).
void valid_range(int kw, int stride, int padding, int W, int W_out, int* lo, int* hi) {
  // iw >= 0  <=>  ow >= ceil((p - kw) / s);   iw < W  <=>  ow <= floor((W - 1 + p - kw) / s)
  int first = padding - kw > 0 ? (padding - kw + stride - 1) / stride : 0;
  int last = W - 1 + padding - kw >= 0 ? (W - 1 + padding - kw) / stride : -1;
  *lo = std::min(first, W_out);
  *hi = std::max(*lo, std::min(last + 1, W_out));
}

// x_g (C_in/G, H, W) -> col (K, P)
void im2col(const Conv2dShape& s, const float* x_g, float* col) {
  const int k = s.kernel, H_out = s.H_out(), W_out = s.W_out(), cin_g = s.C_in / s.groups;
  for (int ci = 0; ci < cin_g; ++ci)
    for (int kh = 0; kh < k; ++kh)
      for (int kw = 0; kw < k; ++kw) {
        float* row = col + ((ci * k + kh) * k + kw) * static_cast<int64_t>(H_out) * W_out;
        int lo, hi;
        valid_range(kw, s.stride, s.padding, s.W, W_out, &lo, &hi);
        for (int oh = 0; oh < H_out; ++oh) {
          float* out = row + oh * W_out;
          const int ih = oh * s.stride - s.padding + kh;
          if (ih < 0 || ih >= s.H) {
            std::fill(out, out + W_out, 0.f);
            continue;
          }
          const float* in = x_g + (static_cast<int64_t>(ci) * s.H + ih) * s.W - s.padding + kw;
          std::fill(out, out + lo, 0.f);
          for (int ow = lo; ow < hi; ++ow) out[ow] = in[ow * s.stride];
          std::fill(out + hi, out + W_out, 0.f);
        }
      }
}

// dcol (K, P) summed into dx_g (C_in/G, H, W), which the caller zeroed.
void col2im(const Conv2dShape& s, const float* col, float* dx_g) {
  const int k = s.kernel, H_out = s.H_out(), W_out = s.W_out(), cin_g = s.C_in / s.groups;
  for (int ci = 0; ci < cin_g; ++ci)
    for (int kh = 0; kh < k; ++kh)
      for (int kw = 0; kw < k; ++kw) {
        const float* row = col + ((ci * k + kh) * k + kw) * static_cast<int64_t>(H_out) * W_out;
        int lo, hi;
        valid_range(kw, s.stride, s.padding, s.W, W_out, &lo, &hi);
        for (int oh = 0; oh < H_out; ++oh) {
          const int ih = oh * s.stride - s.padding + kh;
          if (ih < 0 || ih >= s.H) continue;
          float* out = dx_g + (static_cast<int64_t>(ci) * s.H + ih) * s.W - s.padding + kw;
          const float* in = row + oh * W_out;
          for (int ow = lo; ow < hi; ++ow) out[ow * s.stride] += in[ow];
        }
      }
}

// With fewer images than threads, the GEMMs themselves use the threads.
bool parallel_over_images(const Conv2dShape& s) { return s.N >= max_threads(); }

// The direct kernel wins where im2col's copy dominates: few input channels
// (LeNet, and the first layer of most networks) or few output channels (a
// thin GEMM). Measured by bench/conv_paths; see bench/RESULTS.md.
bool use_direct(const Conv2dShape& s) {
  return direct_conv_supported(s) && s.kernel > 1 && (s.C_in <= 16 || s.C_out <= 16);
}

}  // namespace

// x (N, C_in, H, W), w (C_out, C_in/G, k, k), b (C_out) nullable, y (N, C_out, H_out, W_out)
void conv2d_forward(const Conv2dShape& s, const float* x, const float* w, const float* b,
                    float* y) {
  if (use_direct(s)) return direct_conv2d_forward(s, x, w, b, y);
  const int cin_g = s.C_in / s.groups, cout_g = s.C_out / s.groups;
  const int64_t K = static_cast<int64_t>(cin_g) * s.kernel * s.kernel;
  const int64_t P = static_cast<int64_t>(s.H_out()) * s.W_out(),
                HW = static_cast<int64_t>(s.H) * s.W;
#pragma omp parallel for schedule(static) if (parallel_over_images(s))
  for (int n = 0; n < s.N; ++n) {
    for (int g = 0; g < s.groups; ++g) {
      const float* x_g = x + (static_cast<int64_t>(n) * s.C_in + g * cin_g) * HW;
      const float* col = x_g;  // a pointwise convolution reads x as it is
      if (!is_pointwise(s)) {
        float* scratch = thread_scratch(K * P);
        im2col(s, x_g, scratch);
        col = scratch;
      }
      float* y_g = y + (static_cast<int64_t>(n) * s.C_out + g * cout_g) * P;
      MatrixMap out(y_g, cout_g, P);
      out.noalias() = ConstMatrixMap(w + g * cout_g * K, cout_g, K) * ConstMatrixMap(col, K, P);
      if (b)
        for (int o = 0; o < cout_g; ++o) out.row(o).array() += b[g * cout_g + o];
    }
  }
}

// dy (N, C_out, H_out, W_out), w (C_out, C_in/G, k, k), dx (N, C_in, H, W)
void conv2d_backward_input(const Conv2dShape& s, const float* dy, const float* w, float* dx) {
  if (use_direct(s)) return direct_conv2d_backward_input(s, dy, w, dx);
  const int cin_g = s.C_in / s.groups, cout_g = s.C_out / s.groups;
  const int64_t K = static_cast<int64_t>(cin_g) * s.kernel * s.kernel;
  const int64_t P = static_cast<int64_t>(s.H_out()) * s.W_out(),
                HW = static_cast<int64_t>(s.H) * s.W;
#pragma omp parallel for schedule(static) if (parallel_over_images(s))
  for (int n = 0; n < s.N; ++n) {
    for (int g = 0; g < s.groups; ++g) {
      const float* dy_g = dy + (static_cast<int64_t>(n) * s.C_out + g * cout_g) * P;
      float* dx_g = dx + (static_cast<int64_t>(n) * s.C_in + g * cin_g) * HW;
      ConstMatrixMap w_g(w + g * cout_g * K, cout_g, K);
      if (is_pointwise(s)) {
        MatrixMap(dx_g, K, P).noalias() = w_g.transpose() * ConstMatrixMap(dy_g, cout_g, P);
        continue;
      }
      float* dcol = thread_scratch(K * P);
      MatrixMap(dcol, K, P).noalias() = w_g.transpose() * ConstMatrixMap(dy_g, cout_g, P);
      std::fill(dx_g, dx_g + cin_g * HW, 0.f);
      col2im(s, dcol, dx_g);
    }
  }
}

// x (N, C_in, H, W), dy (N, C_out, H_out, W_out), dw (C_out, C_in/G, k, k), db (C_out) nullable.
// Each thread sums its images into private buffers; the buffers are then added
// in thread order, so the result is the same for the same thread count.
void conv2d_backward_weight(const Conv2dShape& s, const float* x, const float* dy, float* dw,
                            float* db) {
  if (use_direct(s)) return direct_conv2d_backward_weight(s, x, dy, dw, db);
  const int cin_g = s.C_in / s.groups, cout_g = s.C_out / s.groups;
  const int64_t K = static_cast<int64_t>(cin_g) * s.kernel * s.kernel;
  const int64_t P = static_cast<int64_t>(s.H_out()) * s.W_out(),
                HW = static_cast<int64_t>(s.H) * s.W;
  const int64_t weights = s.C_out * K;
  const int threads = parallel_over_images(s) ? max_threads() : 1;
  std::vector<float*> partial(threads);  // each thread's scratch: dw then db

#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    float* mine = thread_scratch(weights + s.C_out, /*slot=*/1);
    std::fill(mine, mine + weights + s.C_out, 0.f);
    partial[thread_id()] = mine;
#pragma omp for schedule(static)
    for (int n = 0; n < s.N; ++n) {
      for (int g = 0; g < s.groups; ++g) {
        const float* x_g = x + (static_cast<int64_t>(n) * s.C_in + g * cin_g) * HW;
        const float* dy_g = dy + (static_cast<int64_t>(n) * s.C_out + g * cout_g) * P;
        const float* col = x_g;
        if (!is_pointwise(s)) {
          float* scratch = thread_scratch(K * P);
          im2col(s, x_g, scratch);
          col = scratch;
        }
        ConstMatrixMap dy_mat(dy_g, cout_g, P);
        MatrixMap(mine + g * cout_g * K, cout_g, K).noalias() +=
            dy_mat * ConstMatrixMap(col, K, P).transpose();
        if (db)
          for (int o = 0; o < cout_g; ++o) mine[weights + g * cout_g + o] += dy_mat.row(o).sum();
      }
    }
  }
  std::copy(partial[0], partial[0] + weights, dw);
  if (db) std::copy(partial[0] + weights, partial[0] + weights + s.C_out, db);
  for (int t = 1; t < threads; ++t) {
    for (int64_t i = 0; i < weights; ++i) dw[i] += partial[t][i];
    if (db)
      for (int o = 0; o < s.C_out; ++o) db[o] += partial[t][weights + o];
  }
}

}  // namespace cpu
}  // namespace cudagrad
