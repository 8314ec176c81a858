// Convolution as matrix products (im2col + GEMM), the approach of Caffe and
// of most CPU frameworks. im2col copies every receptive field into a column:
//   col[(ci, kh, kw), (n, oh, ow)] = x[n, ci, oh*s - p + kh, ow*s - p + kw]  (0 outside)
// so that, with K = C_in/G * k * k rows and one column per output position,
//   forward          y_g  (C_out/G, cols) = w_g (C_out/G, K) * col (K, cols)
//   backward input   dcol (K, cols)       = w_g^T * dy_g, then col2im sums dcol into dx
//   backward weight  dw_g (C_out/G, K)   += dy_g * col^T
// Eigen does the products with the machine's vector units.
//
// The columns are not built for a whole image at once: for a 56x56 ResNet
// layer that is a 7 MB matrix, which leaves the cache before the product
// reads it. They are built a block at a time, so each block is written and
// read while it sits in L2; where an image has fewer positions than a block
// (7x7 at the end of a ResNet), one block spans several images, so the
// product is not too thin to run fast. A thread owns whole images, so no
// two threads ever write the same part of dx.
//
// Which algorithm runs (each chosen by measuring ResNet-18 and MobileNet v1
// layers with `cudagrad bench-layers`):
//   few channels in or out, stride 1        direct loops    (conv2d_direct.cpp)
//   3x3 stride 1, 32+ channels              Winograd F(4x4, 3x3) (conv2d_winograd.cpp)
//   1x1 stride 1, 14x14 images or larger    one product per image, no im2col
//   everything else                         im2col + GEMM, below
#include <algorithm>
#include <vector>

#include "kernels/cpu/conv2d_direct.h"
#include "kernels/cpu/conv2d_winograd.h"
#include "kernels/cpu/kernels.h"
#include "kernels/cpu/parallel.h"
#include "kernels/cpu/simd.h"

namespace cudagrad {
namespace cpu {
namespace CUDAGRAD_CPU_TARGET {

namespace {

// Columns per block: about 1 MB of columns (K rows each), so a block stays in
// L2 between im2col writing it and the product reading it; at least 128
// columns, or the products get too thin.
int64_t block_columns(int64_t K) {
  return std::max<int64_t>(128, std::min<int64_t>(1024, (1 << 18) / K));
}

// Output columns ow in [*lo, *hi) read input columns iw = ow*s - p + kw inside [0, W).
void valid_range(int kw, int stride, int padding, int W, int W_out, int* lo, int* hi) {
  // iw >= 0  <=>  ow >= ceil((p - kw) / s);   iw < W  <=>  ow <= floor((W - 1 + p - kw) / s)
  int first = padding - kw > 0 ? (padding - kw + stride - 1) / stride : 0;
  int last = W - 1 + padding - kw >= 0 ? (W - 1 + padding - kw) / stride : -1;
  *lo = std::min(first, W_out);
  *hi = std::max(*lo, std::min(last + 1, W_out));
}

// Whether a one-vector stride-2 step from output column ow (input columns
// ow*2 - p + kw onwards, 32 floats) ends inside the input row.
bool stride2_step_fits(const Conv2dShape& s, int kw, int ow) {
  return ow * 2 - s.padding + kw + 2 * kLanes <= s.W;
}

// A run of output positions [p0, p1) of image n that sits in a block at
// column `column`.
struct Piece {
  int n;
  int64_t p0, p1, column;
};

// Cuts images [n0, n1) into blocks of at most kBlock columns and calls
// block(pieces, width) for each, in order.
template <typename F>
void for_each_block(int n0, int n1, int64_t P, int64_t kBlock, F block) {
  std::vector<Piece> pieces;
  int64_t width = 0;
  for (int n = n0; n < n1; ++n)
    for (int64_t p = 0; p < P;) {
      const int64_t take = std::min(P - p, kBlock - width);
      pieces.push_back({n, p, p + take, width});
      width += take;
      p += take;
      if (width == kBlock) {
        block(pieces, width);
        pieces.clear();
        width = 0;
      }
    }
  if (width > 0) block(pieces, width);
}

// Calls f(oh, ow0, ow1, offset) for the output rows a piece covers: positions
// oh*W_out + [ow0, ow1) sit at block column piece.column + offset.
template <typename F>
void for_each_row(const Piece& piece, int W_out, F f) {
  for (int64_t p = piece.p0; p < piece.p1;) {
    const int oh = static_cast<int>(p / W_out), ow0 = static_cast<int>(p % W_out);
    const int ow1 = static_cast<int>(std::min<int64_t>(W_out, ow0 + (piece.p1 - p)));
    f(oh, ow0, ow1, piece.column + (p - piece.p0));
    p += ow1 - ow0;
  }
}

// col (K, width) for the pieces, from x_g = group g's channels of each image.
void im2col(const Conv2dShape& s, const float* x, int g, const std::vector<Piece>& pieces,
            int64_t width, float* col) {
  const int k = s.kernel, W_out = s.W_out(), cin_g = s.C_in / s.groups;
  for (int ci = 0; ci < cin_g; ++ci)
    for (int kh = 0; kh < k; ++kh)
      for (int kw = 0; kw < k; ++kw) {
        float* row = col + ((ci * k + kh) * k + kw) * width;
        int lo, hi;
        valid_range(kw, s.stride, s.padding, s.W, W_out, &lo, &hi);
        for (const Piece& piece : pieces) {
          const float* plane =
              x + (static_cast<int64_t>(piece.n) * s.C_in + g * cin_g + ci) * s.H * s.W;
          for_each_row(piece, W_out, [&](int oh, int ow0, int ow1, int64_t at) {
            float* out = row + at - ow0;  // out[ow] for ow in [ow0, ow1)
            const int ih = oh * s.stride - s.padding + kh;
            if (ih < 0 || ih >= s.H) {
              std::fill(out + ow0, out + ow1, 0.f);
              return;
            }
            const float* in = plane + static_cast<int64_t>(ih) * s.W - s.padding + kw;
            const int a = std::max(ow0, lo), b = std::min(ow1, hi);
            std::fill(out + ow0, out + std::max(ow0, std::min(a, ow1)), 0.f);
            if (s.stride == 1) {  // a plain copy, which the compiler turns into vector moves
              if (a < b) std::copy(in + a, in + b, out + a);
            } else {
              int ow = a;
              if (s.stride == 2)  // 2 kLanes floats in, the even kLanes kept
                for (; ow + kLanes <= b && stride2_step_fits(s, kw, ow); ow += kLanes)
                  store_vec(out + ow, load_strided(in + ow * 2, 2));
              for (; ow < b; ++ow) out[ow] = in[ow * s.stride];
            }
            std::fill(out + std::min(ow1, std::max(b, ow0)), out + ow1, 0.f);
          });
        }
      }
}

// dcol (K, width) summed into dx (zeroed by the caller) for the pieces.
void col2im(const Conv2dShape& s, const float* col, int g, const std::vector<Piece>& pieces,
            int64_t width, float* dx) {
  const int k = s.kernel, W_out = s.W_out(), cin_g = s.C_in / s.groups;
  for (int ci = 0; ci < cin_g; ++ci)
    for (int kh = 0; kh < k; ++kh)
      for (int kw = 0; kw < k; ++kw) {
        const float* row = col + ((ci * k + kh) * k + kw) * width;
        int lo, hi;
        valid_range(kw, s.stride, s.padding, s.W, W_out, &lo, &hi);
        for (const Piece& piece : pieces) {
          float* plane = dx + (static_cast<int64_t>(piece.n) * s.C_in + g * cin_g + ci) * s.H * s.W;
          for_each_row(piece, W_out, [&](int oh, int ow0, int ow1, int64_t at) {
            const int ih = oh * s.stride - s.padding + kh;
            if (ih < 0 || ih >= s.H) return;
            const float* in = row + at - ow0;
            float* out = plane + static_cast<int64_t>(ih) * s.W - s.padding + kw;
            const int a = std::max(ow0, lo), b = std::min(ow1, hi);
            if (s.stride == 1) {  // contiguous: vectorizes
              for (int ow = a; ow < b; ++ow) out[ow] += in[ow];
            } else {
              int ow = a;
              if (s.stride == 2)  // kLanes gradients spread over the even lanes of 2 kLanes floats
                for (; ow + kLanes <= b && stride2_step_fits(s, kw, ow); ow += kLanes)
                  add_to_even_lanes(out + ow * 2, load_vec(in + ow));
              for (; ow < b; ++ow) out[ow * s.stride] += in[ow];
            }
          });
        }
      }
}

// Moves a (rows, width) block between its packed form and the NCHW tensor t:
// row r of the block is channel c0 + r of each piece's image.
void unpack_rows(const float* block, int rows, int64_t width, const std::vector<Piece>& pieces,
                 int C, int c0, int64_t P, float* t) {
  for (int r = 0; r < rows; ++r)
    for (const Piece& piece : pieces)
      std::copy(block + r * width + piece.column,
                block + r * width + piece.column + (piece.p1 - piece.p0),
                t + (static_cast<int64_t>(piece.n) * C + c0 + r) * P + piece.p0);
}
void pack_rows(const float* t, int rows, int64_t width, const std::vector<Piece>& pieces, int C,
               int c0, int64_t P, float* block) {
  for (int r = 0; r < rows; ++r)
    for (const Piece& piece : pieces) {
      const float* src = t + (static_cast<int64_t>(piece.n) * C + c0 + r) * P;
      std::copy(src + piece.p0, src + piece.p1, block + r * width + piece.column);
    }
}

// Images per thread task: enough that a block is full where images are
// small, few enough that every thread gets work.
int images_per_task(const Conv2dShape& s, int64_t kBlock) {
  const int64_t P = static_cast<int64_t>(s.H_out()) * s.W_out();
  const int fill = static_cast<int>(std::max<int64_t>(1, kBlock / P));
  const int share = (s.N + max_threads() - 1) / max_threads();
  return std::max(1, std::min(fill, share));
}

// The direct kernel wins where im2col's copy dominates: few input channels
// (LeNet, and the first layer of most networks) or few output channels (a
// thin GEMM).
bool use_direct(const Conv2dShape& s) {
  return direct_conv_supported(s) && s.kernel > 1 && (s.C_in <= 16 || s.C_out <= 16);
}

// Winograd pays where the products are wide enough to run at full speed:
// the 3x3 layers of ResNet and VGG (64 channels and more).
bool use_winograd(const Conv2dShape& s) {
  return winograd_supported(s) && s.C_in >= 32 && s.C_out >= 32;
}

// The Winograd weight gradient keeps a transformed gradient of every filter
// (36 per input-output channel pair) in each thread and adds one product of
// rank `tiles` into it per block: with fewer 4x4 tiles in the batch than
// input channels (ResNet's last stage at 7x7), moving that buffer costs more
// than the multiplications saved (measured on ResNet-18, batch 16).
bool use_winograd_weight_gradient(const Conv2dShape& s) {
  const int64_t tiles = int64_t{s.N} * ((s.H_out() + 3) / 4) * ((s.W_out() + 3) / 4);
  return use_winograd(s) && tiles >= s.C_in;
}

// A 1x1 stride-1 convolution without padding (MobileNet's pointwise layers)
// needs no im2col: an NCHW image already is the (C_in, H*W) matrix, so each
// image is one product straight from and into the tensors. Images of fewer
// than 196 positions (14x14) keep the blocked path, whose blocks span several
// images: a product of 49 columns is too thin to run fast.
bool use_pointwise(const Conv2dShape& s) {
  return s.kernel == 1 && s.stride == 1 && s.padding == 0 && s.groups == 1 &&
         int64_t{s.H} * s.W >= 196;
}

}  // namespace

// x (N, C_in, H, W), w (C_out, C_in/G, k, k), b (C_out) nullable, y (N, C_out, H_out, W_out)
void conv2d_forward(const Conv2dShape& s, const float* x, const float* w, const float* b,
                    float* y) {
  if (use_direct(s)) return direct_conv2d_forward(s, x, w, b, y);
  if (use_winograd(s)) return winograd_conv2d_forward(s, x, w, b, y);
  if (use_pointwise(s)) {
    const int64_t P = int64_t{s.H} * s.W;
#pragma omp parallel for schedule(static)
    for (int n = 0; n < s.N; ++n) {
      MatrixMap y_n(y + n * s.C_out * P, s.C_out, P);
      y_n.noalias() = ConstMatrixMap(w, s.C_out, s.C_in) * ConstMatrixMap(x + n * s.C_in * P, s.C_in, P);
      if (b)
        for (int o = 0; o < s.C_out; ++o) y_n.row(o).array() += b[o];
    }
    return;
  }
  const int cin_g = s.C_in / s.groups, cout_g = s.C_out / s.groups;
  const int64_t K = static_cast<int64_t>(cin_g) * s.kernel * s.kernel;
  const int64_t P = static_cast<int64_t>(s.H_out()) * s.W_out();
  const int64_t kBlock = block_columns(K);
  const int per_task = images_per_task(s, kBlock);
#pragma omp parallel for schedule(dynamic)
  for (int n0 = 0; n0 < s.N; n0 += per_task) {
    float* col = thread_scratch(K * kBlock, 0);
    float* out = thread_scratch(cout_g * kBlock, 2);
    for (int g = 0; g < s.groups; ++g)
      for_each_block(n0, std::min(s.N, n0 + per_task), P, kBlock,
                     [&](const std::vector<Piece>& pieces, int64_t width) {
                       im2col(s, x, g, pieces, width, col);
                       MatrixMap y_block(out, cout_g, width);
                       y_block.noalias() = ConstMatrixMap(w + g * cout_g * K, cout_g, K) *
                                           ConstMatrixMap(col, K, width);
                       if (b)
                         for (int o = 0; o < cout_g; ++o)
                           y_block.row(o).array() += b[g * cout_g + o];
                       unpack_rows(out, cout_g, width, pieces, s.C_out, g * cout_g, P, y);
                     });
  }
}

// dy (N, C_out, H_out, W_out), w (C_out, C_in/G, k, k), dx (N, C_in, H, W)
void conv2d_backward_input(const Conv2dShape& s, const float* dy, const float* w, float* dx) {
  if (use_direct(s)) return direct_conv2d_backward_input(s, dy, w, dx);
  if (use_winograd(s)) return winograd_conv2d_backward_input(s, dy, w, dx);
  if (use_pointwise(s)) {
    const int64_t P = int64_t{s.H} * s.W;
#pragma omp parallel for schedule(static)
    for (int n = 0; n < s.N; ++n)
      MatrixMap(dx + n * s.C_in * P, s.C_in, P).noalias() =
          ConstMatrixMap(w, s.C_out, s.C_in).transpose() *
          ConstMatrixMap(dy + n * s.C_out * P, s.C_out, P);
    return;
  }
  const int cin_g = s.C_in / s.groups, cout_g = s.C_out / s.groups;
  const int64_t K = static_cast<int64_t>(cin_g) * s.kernel * s.kernel;
  const int64_t P = static_cast<int64_t>(s.H_out()) * s.W_out();
  const int64_t image = static_cast<int64_t>(s.C_in) * s.H * s.W;
  const int64_t kBlock = block_columns(K);
  const int per_task = images_per_task(s, kBlock);
#pragma omp parallel for schedule(dynamic)
  for (int n0 = 0; n0 < s.N; n0 += per_task) {
    const int n1 = std::min(s.N, n0 + per_task);
    std::fill(dx + n0 * image, dx + n1 * image, 0.f);
    float* dcol = thread_scratch(K * kBlock, 0);
    float* grad = thread_scratch(cout_g * kBlock, 2);
    for (int g = 0; g < s.groups; ++g)
      for_each_block(n0, n1, P, kBlock, [&](const std::vector<Piece>& pieces, int64_t width) {
        pack_rows(dy, cout_g, width, pieces, s.C_out, g * cout_g, P, grad);
        MatrixMap(dcol, K, width).noalias() =
            ConstMatrixMap(w + g * cout_g * K, cout_g, K).transpose() *
            ConstMatrixMap(grad, cout_g, width);
        col2im(s, dcol, g, pieces, width, dx);
      });
  }
}

// x (N, C_in, H, W), dy (N, C_out, H_out, W_out), dw (C_out, C_in/G, k, k), db (C_out) nullable.
// Each thread sums its images into private buffers; the buffers are then added
// in thread order, so the result is the same for the same thread count.
void conv2d_backward_weight(const Conv2dShape& s, const float* x, const float* dy, float* dw,
                            float* db) {
  if (use_direct(s)) return direct_conv2d_backward_weight(s, x, dy, dw, db);
  if (use_winograd_weight_gradient(s)) return winograd_conv2d_backward_weight(s, x, dy, dw, db);
  if (use_pointwise(s)) {
    const int64_t P = int64_t{s.H} * s.W, weights = int64_t{s.C_out} * s.C_in;
    const int threads = std::min(max_threads(), s.N);
    sum_over_threads(threads, dw, weights, db, s.C_out, [&](float* mine) {  // mine: dw then db
#pragma omp for schedule(static)
      for (int n = 0; n < s.N; ++n) {
        ConstMatrixMap dy_n(dy + n * s.C_out * P, s.C_out, P);
        MatrixMap(mine, s.C_out, s.C_in).noalias() +=
            dy_n * ConstMatrixMap(x + n * s.C_in * P, s.C_in, P).transpose();
        if (db)
          for (int o = 0; o < s.C_out; ++o) mine[weights + o] += dy_n.row(o).sum();
      }
    });
    return;
  }
  const int cin_g = s.C_in / s.groups, cout_g = s.C_out / s.groups;
  const int64_t K = static_cast<int64_t>(cin_g) * s.kernel * s.kernel;
  const int64_t P = static_cast<int64_t>(s.H_out()) * s.W_out();
  const int64_t weights = s.C_out * K;
  const int64_t kBlock = block_columns(K);
  const int per_task = images_per_task(s, kBlock);
  const int threads = std::min(max_threads(), (s.N + per_task - 1) / per_task);

  sum_over_threads(threads, dw, weights, db, s.C_out, [&](float* mine) {  // mine: dw then db
    float* col = thread_scratch(K * kBlock, 0);
    float* grad = thread_scratch(cout_g * kBlock, 2);
#pragma omp for schedule(static)
    for (int n0 = 0; n0 < s.N; n0 += per_task)
      for (int g = 0; g < s.groups; ++g)
        for_each_block(n0, std::min(s.N, n0 + per_task), P, kBlock,
                       [&](const std::vector<Piece>& pieces, int64_t width) {
                         im2col(s, x, g, pieces, width, col);
                         pack_rows(dy, cout_g, width, pieces, s.C_out, g * cout_g, P, grad);
                         ConstMatrixMap g_block(grad, cout_g, width);
                         MatrixMap(mine + g * cout_g * K, cout_g, K).noalias() +=
                             g_block * ConstMatrixMap(col, K, width).transpose();
                         if (db)
                           for (int o = 0; o < cout_g; ++o)
                             mine[weights + g * cout_g + o] += g_block.row(o).sum();
                       });
  });
}

}  // namespace CUDAGRAD_CPU_TARGET
}  // namespace cpu
}  // namespace cudagrad
