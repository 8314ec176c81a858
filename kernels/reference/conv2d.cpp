// Grouped 2-D convolution, NCHW, square kernel k, one stride s and padding p
// for both axes. With G groups, C_in/G input channels and C_out/G output
// channels form each group; output channel oc belongs to group g = oc / (C_out/G)
// and sees only input channels g*(C_in/G) ... (g+1)*(C_in/G) - 1:
//   y[n, oc, oh, ow] = b[oc] + sum_{ci, kh, kw} w[oc, ci, kh, kw]
//                      * x[n, g*(C_in/G) + ci, oh*s - p + kh, ow*s - p + kw]
// Input positions outside the image are zero padding and contribute nothing.
// Every output element is one sum, accumulated in double.
#include "kernels/reference/index.h"
#include "kernels/reference/reference.h"

namespace cudagrad {
namespace reference {

// x (N, C_in, H, W), w (C_out, C_in/G, k, k), b (C_out) nullable,
// y (N, C_out, H_out, W_out)
void conv2d_forward(const Conv2dShape& s, const float* x, const float* w, const float* b,
                    float* y) {
  const int H_out = s.H_out(), W_out = s.W_out(), k = s.kernel;
  const int cin_g = s.C_in / s.groups, cout_g = s.C_out / s.groups;  // channels per group
  for (int n = 0; n < s.N; ++n)
    for (int oc = 0; oc < s.C_out; ++oc) {
      const int g = oc / cout_g;
      for (int oh = 0; oh < H_out; ++oh)
        for (int ow = 0; ow < W_out; ++ow) {
          double sum = b ? b[oc] : 0.0;
          for (int ci = 0; ci < cin_g; ++ci)
            for (int kh = 0; kh < k; ++kh)
              for (int kw = 0; kw < k; ++kw) {
                const int ih = oh * s.stride - s.padding + kh;
                const int iw = ow * s.stride - s.padding + kw;
                if (!inside(ih, s.H) || !inside(iw, s.W)) continue;  // zero padding
                sum += static_cast<double>(w[at4(oc, ci, kh, kw, cin_g, k, k)]) *
                       x[at4(n, g * cin_g + ci, ih, iw, s.C_in, s.H, s.W)];
              }
          y[at4(n, oc, oh, ow, s.C_out, H_out, W_out)] = static_cast<float>(sum);
        }
    }
}

// Input pixel (ih, iw) of channel c = g*(C_in/G) + ci reaches output (oc, oh, ow)
// through tap (kh, kw) exactly when oh*s - p + kh == ih and ow*s - p + kw == iw:
//   dx[n, c, ih, iw] = sum_{oc in group g, kh, kw} dy[n, oc, oh, ow] * w[oc, ci, kh, kw]
// dy (N, C_out, H_out, W_out), w (C_out, C_in/G, k, k), dx (N, C_in, H, W)
void conv2d_backward_input(const Conv2dShape& s, const float* dy, const float* w, float* dx) {
  const int H_out = s.H_out(), W_out = s.W_out(), k = s.kernel;
  const int cin_g = s.C_in / s.groups, cout_g = s.C_out / s.groups;
  for (int n = 0; n < s.N; ++n)
    for (int c = 0; c < s.C_in; ++c) {
      const int g = c / cin_g, ci = c % cin_g;
      for (int ih = 0; ih < s.H; ++ih)
        for (int iw = 0; iw < s.W; ++iw) {
          double sum = 0.0;
          for (int oc = g * cout_g; oc < (g + 1) * cout_g; ++oc)
            for (int kh = 0; kh < k; ++kh) {
              const int oh = output_index(ih, kh, s.stride, s.padding, H_out);
              if (oh < 0) continue;  // no output row puts tap kh on row ih
              for (int kw = 0; kw < k; ++kw) {
                const int ow = output_index(iw, kw, s.stride, s.padding, W_out);
                if (ow < 0) continue;
                sum += static_cast<double>(dy[at4(n, oc, oh, ow, s.C_out, H_out, W_out)]) *
                       w[at4(oc, ci, kh, kw, cin_g, k, k)];
              }
            }
          dx[at4(n, c, ih, iw, s.C_in, s.H, s.W)] = static_cast<float>(sum);
        }
    }
}

// Each weight multiplies one input pixel per output position:
//   dw[oc, ci, kh, kw] = sum_{n, oh, ow} dy[n, oc, oh, ow]
//                        * x[n, g*(C_in/G) + ci, oh*s - p + kh, ow*s - p + kw]
//   db[oc]             = sum_{n, oh, ow} dy[n, oc, oh, ow]
// x (N, C_in, H, W), dy (N, C_out, H_out, W_out), dw (C_out, C_in/G, k, k),
// db (C_out) nullable
void conv2d_backward_weight(const Conv2dShape& s, const float* x, const float* dy, float* dw,
                            float* db) {
  const int H_out = s.H_out(), W_out = s.W_out(), k = s.kernel;
  const int cin_g = s.C_in / s.groups, cout_g = s.C_out / s.groups;
  for (int oc = 0; oc < s.C_out; ++oc) {
    const int g = oc / cout_g;
    for (int ci = 0; ci < cin_g; ++ci)
      for (int kh = 0; kh < k; ++kh)
        for (int kw = 0; kw < k; ++kw) {
          double sum = 0.0;
          for (int n = 0; n < s.N; ++n)
            for (int oh = 0; oh < H_out; ++oh)
              for (int ow = 0; ow < W_out; ++ow) {
                const int ih = oh * s.stride - s.padding + kh;
                const int iw = ow * s.stride - s.padding + kw;
                if (!inside(ih, s.H) || !inside(iw, s.W)) continue;
                sum += static_cast<double>(dy[at4(n, oc, oh, ow, s.C_out, H_out, W_out)]) *
                       x[at4(n, g * cin_g + ci, ih, iw, s.C_in, s.H, s.W)];
              }
          dw[at4(oc, ci, kh, kw, cin_g, k, k)] = static_cast<float>(sum);
        }
    if (db) {
      double sum = 0.0;
      for (int n = 0; n < s.N; ++n) {
        const float* plane = dy + at4(n, oc, 0, 0, s.C_out, H_out, W_out);  // (H_out, W_out)
        for (int i = 0; i < H_out * W_out; ++i) sum += plane[i];
      }
      db[oc] = static_cast<float>(sum);
    }
  }
}

}  // namespace reference
}  // namespace cudagrad
