// Depthwise 2-D convolution: groups == C_in == C_out, so channel c of the
// output is channel c of the input convolved with its own k x k filter.
// The grouped loops in conv2d.cpp compute the same thing; this is the
// special case written out on its own, with no group bookkeeping:
//   y[n, c, oh, ow] = b[c] + sum_{kh, kw} w[c, 0, kh, kw] * x[n, c, oh*s - p + kh, ow*s - p + kw]
// Positions outside the image are zero padding.
#include "kernels/reference/index.h"
#include "kernels/reference/reference.h"

namespace cudagrad {
namespace reference {

// x (N, C, H, W), w (C, 1, k, k), b (C) nullable, y (N, C, H_out, W_out); C = s.C_in
void depthwise_conv2d_forward(const Conv2dShape& s, const float* x, const float* w,
                              const float* b, float* y) {
  const int C = s.C_in, H_out = s.H_out(), W_out = s.W_out(), k = s.kernel;
  for (int n = 0; n < s.N; ++n)
    for (int c = 0; c < C; ++c)
      for (int oh = 0; oh < H_out; ++oh)
        for (int ow = 0; ow < W_out; ++ow) {
          double sum = b ? b[c] : 0.0;
          for (int kh = 0; kh < k; ++kh)
            for (int kw = 0; kw < k; ++kw) {
              const int ih = oh * s.stride - s.padding + kh;
              const int iw = ow * s.stride - s.padding + kw;
              if (!inside(ih, s.H) || !inside(iw, s.W)) continue;  // zero padding
              sum += static_cast<double>(w[at4(c, 0, kh, kw, 1, k, k)]) *
                     x[at4(n, c, ih, iw, C, s.H, s.W)];
            }
          y[at4(n, c, oh, ow, C, H_out, W_out)] = static_cast<float>(sum);
        }
}

// Input pixel (ih, iw) feeds output (oh, ow) of its own channel through tap
// (kh, kw) when oh*s - p + kh == ih and ow*s - p + kw == iw:
//   dx[n, c, ih, iw] = sum_{kh, kw} dy[n, c, oh, ow] * w[c, 0, kh, kw]
// dy (N, C, H_out, W_out), w (C, 1, k, k), dx (N, C, H, W)
void depthwise_conv2d_backward_input(const Conv2dShape& s, const float* dy, const float* w,
                                     float* dx) {
  const int C = s.C_in, H_out = s.H_out(), W_out = s.W_out(), k = s.kernel;
  for (int n = 0; n < s.N; ++n)
    for (int c = 0; c < C; ++c)
      for (int ih = 0; ih < s.H; ++ih)
        for (int iw = 0; iw < s.W; ++iw) {
          double sum = 0.0;
          for (int kh = 0; kh < k; ++kh) {
            const int oh = output_index(ih, kh, s.stride, s.padding, H_out);
            if (oh < 0) continue;  // no output row puts tap kh on row ih
            for (int kw = 0; kw < k; ++kw) {
              const int ow = output_index(iw, kw, s.stride, s.padding, W_out);
              if (ow < 0) continue;
              sum += static_cast<double>(dy[at4(n, c, oh, ow, C, H_out, W_out)]) *
                     w[at4(c, 0, kh, kw, 1, k, k)];
            }
          }
          dx[at4(n, c, ih, iw, C, s.H, s.W)] = static_cast<float>(sum);
        }
}

//   dw[c, 0, kh, kw] = sum_{n, oh, ow} dy[n, c, oh, ow] * x[n, c, oh*s - p + kh, ow*s - p + kw]
//   db[c]            = sum_{n, oh, ow} dy[n, c, oh, ow]
// x (N, C, H, W), dy (N, C, H_out, W_out), dw (C, 1, k, k), db (C) nullable
void depthwise_conv2d_backward_weight(const Conv2dShape& s, const float* x, const float* dy,
                                      float* dw, float* db) {
  const int C = s.C_in, H_out = s.H_out(), W_out = s.W_out(), k = s.kernel;
  for (int c = 0; c < C; ++c) {
    for (int kh = 0; kh < k; ++kh)
      for (int kw = 0; kw < k; ++kw) {
        double sum = 0.0;
        for (int n = 0; n < s.N; ++n)
          for (int oh = 0; oh < H_out; ++oh)
            for (int ow = 0; ow < W_out; ++ow) {
              const int ih = oh * s.stride - s.padding + kh;
              const int iw = ow * s.stride - s.padding + kw;
              if (!inside(ih, s.H) || !inside(iw, s.W)) continue;
              sum += static_cast<double>(dy[at4(n, c, oh, ow, C, H_out, W_out)]) *
                     x[at4(n, c, ih, iw, C, s.H, s.W)];
            }
        dw[at4(c, 0, kh, kw, 1, k, k)] = static_cast<float>(sum);
      }
    if (db) {
      double sum = 0.0;
      for (int n = 0; n < s.N; ++n) {
        const float* plane = dy + at4(n, c, 0, 0, C, H_out, W_out);  // (H_out, W_out)
        for (int i = 0; i < H_out * W_out; ++i) sum += plane[i];
      }
      db[c] = static_cast<float>(sum);
    }
  }
}

}  // namespace reference
}  // namespace cudagrad
