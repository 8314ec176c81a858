// Max, average and global average pooling over each (n, c) plane of an NCHW
// tensor, with a square k x k window, stride s and padding p:
// window (oh, ow) covers input rows oh*s - p ... oh*s - p + k - 1 (and the
// same for columns). The planes are independent, so each function loops over
// the N*C planes and then over one plane.
#include <cmath>
#include <limits>

#include "kernels/reference/index.h"
#include "kernels/reference/reference.h"

namespace cudagrad {
namespace reference {

// y = the largest input in the window; padding never wins (it is -infinity,
// as in PyTorch). argmax records the winner's flat index h*W + w in its input
// plane. Comparing with a strict > keeps the first of equal values in
// row-major order; a NaN wins so that it propagates, as in PyTorch. A window
// holds at least one input pixel when p <= k/2 (PyTorch's rule); one that
// does not gives -infinity and argmax -1.
// x (N, C, H, W), y (N, C, H_out, W_out), argmax (N, C, H_out, W_out)
void max_pool2d_forward(const Pool2dShape& s, const float* x, float* y, int32_t* argmax) {
  const int H_out = s.H_out(), W_out = s.W_out();
  for (int64_t plane = 0; plane < int64_t(s.N) * s.C; ++plane) {
    const float* xp = x + plane * s.H * s.W;  // (H, W)
    for (int oh = 0; oh < H_out; ++oh)
      for (int ow = 0; ow < W_out; ++ow) {
        int32_t best = -1;
        float best_value = -std::numeric_limits<float>::infinity();
        for (int kh = 0; kh < s.kernel; ++kh)
          for (int kw = 0; kw < s.kernel; ++kw) {
            const int ih = oh * s.stride - s.padding + kh;
            const int iw = ow * s.stride - s.padding + kw;
            if (!inside(ih, s.H) || !inside(iw, s.W)) continue;
            const float v = xp[ih * s.W + iw];
            if (best < 0 || v > best_value || std::isnan(v)) {
              best = ih * s.W + iw;
              best_value = v;
            }
          }
        const int64_t o = plane * H_out * W_out + oh * W_out + ow;
        y[o] = best_value;
        argmax[o] = best;
      }
  }
}

// Only the winner of each window passed its value on, so it alone gets the
// gradient; overlapping windows (s < k) can pick the same pixel and add up:
//   dx[n, c, argmax[n, c, oh, ow]] += dy[n, c, oh, ow]
// dy, argmax (N, C, H_out, W_out), dx (N, C, H, W)
void max_pool2d_backward(const Pool2dShape& s, const float* dy, const int32_t* argmax,
                         float* dx) {
  const int64_t out_plane = int64_t(s.H_out()) * s.W_out(), in_plane = int64_t(s.H) * s.W;
  for (int64_t i = 0; i < int64_t(s.N) * s.C * in_plane; ++i) dx[i] = 0.f;
  for (int64_t plane = 0; plane < int64_t(s.N) * s.C; ++plane)
    for (int64_t o = 0; o < out_plane; ++o) {
      const int32_t a = argmax[plane * out_plane + o];
      if (a >= 0) dx[plane * in_plane + a] += dy[plane * out_plane + o];
    }
}

// y = (sum of the input pixels in the window) / k^2: padding counts as zeros
// in the k^2 (count_include_pad=True). With PyTorch's output size no window
// reaches past the padded border, so the divisor is always k^2.
// x (N, C, H, W), y (N, C, H_out, W_out)
void avg_pool2d_forward(const Pool2dShape& s, const float* x, float* y) {
  const int H_out = s.H_out(), W_out = s.W_out();
  const double window = double(s.kernel) * s.kernel;
  for (int64_t plane = 0; plane < int64_t(s.N) * s.C; ++plane) {
    const float* xp = x + plane * s.H * s.W;  // (H, W)
    for (int oh = 0; oh < H_out; ++oh)
      for (int ow = 0; ow < W_out; ++ow) {
        double sum = 0.0;
        for (int kh = 0; kh < s.kernel; ++kh)
          for (int kw = 0; kw < s.kernel; ++kw) {
            const int ih = oh * s.stride - s.padding + kh;
            const int iw = ow * s.stride - s.padding + kw;
            if (inside(ih, s.H) && inside(iw, s.W)) sum += xp[ih * s.W + iw];
          }
        y[plane * H_out * W_out + oh * W_out + ow] = static_cast<float>(sum / window);
      }
  }
}

// Each input pixel in window (oh, ow) contributed 1/k^2 of itself:
//   dx[n, c, ih, iw] = sum over the windows holding (ih, iw) of dy[n, c, oh, ow] / k^2
// dy (N, C, H_out, W_out), dx (N, C, H, W)
void avg_pool2d_backward(const Pool2dShape& s, const float* dy, float* dx) {
  const int H_out = s.H_out(), W_out = s.W_out();
  const float inv_window = 1.f / static_cast<float>(s.kernel * s.kernel);
  for (int64_t i = 0; i < int64_t(s.N) * s.C * s.H * s.W; ++i) dx[i] = 0.f;
  for (int64_t plane = 0; plane < int64_t(s.N) * s.C; ++plane) {
    float* dxp = dx + plane * s.H * s.W;  // (H, W)
    for (int oh = 0; oh < H_out; ++oh)
      for (int ow = 0; ow < W_out; ++ow) {
        const float g = dy[plane * H_out * W_out + oh * W_out + ow] * inv_window;
        for (int kh = 0; kh < s.kernel; ++kh)
          for (int kw = 0; kw < s.kernel; ++kw) {
            const int ih = oh * s.stride - s.padding + kh;
            const int iw = ow * s.stride - s.padding + kw;
            if (inside(ih, s.H) && inside(iw, s.W)) dxp[ih * s.W + iw] += g;
          }
      }
  }
}

//   y[n, c] = (1 / HW) sum_i x[n, c, i]
// x (N, C, HW), y (N, C)
void global_avg_pool_forward(int N, int C, int HW, const float* x, float* y) {
  for (int64_t plane = 0; plane < int64_t(N) * C; ++plane) {
    double sum = 0.0;
    for (int i = 0; i < HW; ++i) sum += x[plane * HW + i];
    y[plane] = static_cast<float>(sum / HW);
  }
}

// Every pixel of the plane counts 1/HW:  dx[n, c, i] = dy[n, c] / HW
// dy (N, C), dx (N, C, HW)
void global_avg_pool_backward(int N, int C, int HW, const float* dy, float* dx) {
  for (int64_t plane = 0; plane < int64_t(N) * C; ++plane)
    for (int i = 0; i < HW; ++i) dx[plane * HW + i] = dy[plane] / static_cast<float>(HW);
}

}  // namespace reference
}  // namespace cudagrad
