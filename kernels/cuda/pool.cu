// Max, average and global average pooling over each (n, c) plane of an NCHW
// tensor, with a square k x k window, stride s and padding p: window
// (oh, ow) covers input rows oh*s - p ... oh*s - p + k - 1 (columns alike).
//
// Launch (max/avg): one thread per output element for the forward pass and
// one per input element for the backward pass, 256 threads per block,
// grid-stride loops. Windows are a few pixels, read straight from global
// memory: neighbouring threads read neighbouring pixels, so the loads are
// coalesced and overlapping windows hit the cache; a shared-memory tile would
// only pay off for large windows.
//
// The backward passes *gather*: each input pixel sums the outputs whose
// window holds it, instead of each output scattering into its window with
// atomicAdd. The result is deterministic (no order-dependent float sums) and
// needs no zeroing pass.
//
// Global average pooling reduces whole planes: one warp per (n, c) plane,
// 8 planes (256 threads) per block, the lanes striding over the plane and
// summing with shuffles.
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/host_functions.h"

namespace cudagrad {
namespace CUDAGRAD_CUDA_NAMESPACE {

namespace {

constexpr int kThreads = 256;
constexpr int kPlanesPerBlock = kThreads / kWarp;

// The range of outputs [first, last] whose window puts some tap on input
// index i: o*s - p <= i <= o*s - p + k - 1, clipped to [0, out_size).
struct OutputRange {
  int first, last;
};
__device__ __forceinline__ OutputRange windows_holding(int i, int kernel, int stride, int padding,
                                                       int out_size) {
  const int hi = i + padding;       // o*s <= hi
  const int lo = hi - kernel + 1;   // o*s >= lo
  int first = lo <= 0 ? 0 : (lo + stride - 1) / stride;
  int last = hi / stride;
  if (last > out_size - 1) last = out_size - 1;
  return OutputRange{first, last};
}

// y = the largest input in the window (padding never wins); argmax = its
// index h*W + w in the plane. A strict > keeps the first of equal values in
// row-major order, and a NaN wins so that it propagates (as PyTorch does).
// x (N, C, H, W), y and argmax (N, C, H_out, W_out)
__global__ void max_pool2d_forward_kernel(Pool2dShape s, int H_out, int W_out, const float* x,
                                          float* y, int32_t* argmax) {
  const int64_t total = static_cast<int64_t>(s.N) * s.C * H_out * W_out;
  for (int64_t o = first_index(); o < total; o += grid_stride()) {
    const int ow = static_cast<int>(o % W_out), oh = static_cast<int>(o / W_out % H_out);
    const float* plane = x + o / (static_cast<int64_t>(H_out) * W_out) * s.H * s.W;
    int32_t best = -1;
    float best_value = -INFINITY;
    for (int kh = 0; kh < s.kernel; ++kh) {
      const int ih = oh * s.stride - s.padding + kh;
      if (ih < 0 || ih >= s.H) continue;
      for (int kw = 0; kw < s.kernel; ++kw) {
        const int iw = ow * s.stride - s.padding + kw;
        if (iw < 0 || iw >= s.W) continue;
        const float v = plane[ih * s.W + iw];
        if (best < 0 || v > best_value || isnan(v)) {
          best = ih * s.W + iw;
          best_value = v;
        }
      }
    }
    y[o] = best_value;
    argmax[o] = best;
  }
}

//   dx[n, c, i] = sum of dy[n, c, o] over the windows o whose argmax is i
// dy, argmax (N, C, H_out, W_out), dx (N, C, H, W)
__global__ void max_pool2d_backward_kernel(Pool2dShape s, int H_out, int W_out, const float* dy,
                                           const int32_t* argmax, float* dx) {
  const int64_t total = static_cast<int64_t>(s.N) * s.C * s.H * s.W;
  for (int64_t i = first_index(); i < total; i += grid_stride()) {
    const int iw = static_cast<int>(i % s.W), ih = static_cast<int>(i / s.W % s.H);
    const int64_t out_plane = i / (static_cast<int64_t>(s.H) * s.W) * H_out * W_out;
    const int32_t here = ih * s.W + iw;
    const OutputRange rows = windows_holding(ih, s.kernel, s.stride, s.padding, H_out);
    const OutputRange cols = windows_holding(iw, s.kernel, s.stride, s.padding, W_out);
    float sum = 0.0f;
    for (int oh = rows.first; oh <= rows.last; ++oh) {
      for (int ow = cols.first; ow <= cols.last; ++ow) {
        const int64_t o = out_plane + oh * W_out + ow;
        if (argmax[o] == here) sum += dy[o];
      }
    }
    dx[i] = sum;
  }
}

// y = (sum of the window's input pixels) / k^2: padding counts as zeros.
// x (N, C, H, W), y (N, C, H_out, W_out)
__global__ void avg_pool2d_forward_kernel(Pool2dShape s, int H_out, int W_out, const float* x,
                                          float* y) {
  const int64_t total = static_cast<int64_t>(s.N) * s.C * H_out * W_out;
  const float inv_window = 1.0f / static_cast<float>(s.kernel * s.kernel);
  for (int64_t o = first_index(); o < total; o += grid_stride()) {
    const int ow = static_cast<int>(o % W_out), oh = static_cast<int>(o / W_out % H_out);
    const float* plane = x + o / (static_cast<int64_t>(H_out) * W_out) * s.H * s.W;
    float sum = 0.0f;
    for (int kh = 0; kh < s.kernel; ++kh) {
      const int ih = oh * s.stride - s.padding + kh;
      if (ih < 0 || ih >= s.H) continue;
      for (int kw = 0; kw < s.kernel; ++kw) {
        const int iw = ow * s.stride - s.padding + kw;
        if (iw >= 0 && iw < s.W) sum += plane[ih * s.W + iw];
      }
    }
    y[o] = sum * inv_window;
  }
}

//   dx[n, c, i] = sum over the windows o holding i of dy[n, c, o] / k^2
// dy (N, C, H_out, W_out), dx (N, C, H, W)
__global__ void avg_pool2d_backward_kernel(Pool2dShape s, int H_out, int W_out, const float* dy,
                                           float* dx) {
  const int64_t total = static_cast<int64_t>(s.N) * s.C * s.H * s.W;
  const float inv_window = 1.0f / static_cast<float>(s.kernel * s.kernel);
  for (int64_t i = first_index(); i < total; i += grid_stride()) {
    const int iw = static_cast<int>(i % s.W), ih = static_cast<int>(i / s.W % s.H);
    const int64_t out_plane = i / (static_cast<int64_t>(s.H) * s.W) * H_out * W_out;
    const OutputRange rows = windows_holding(ih, s.kernel, s.stride, s.padding, H_out);
    const OutputRange cols = windows_holding(iw, s.kernel, s.stride, s.padding, W_out);
    float sum = 0.0f;
    for (int oh = rows.first; oh <= rows.last; ++oh) {
      for (int ow = cols.first; ow <= cols.last; ++ow) sum += dy[out_plane + oh * W_out + ow];
    }
    dx[i] = sum * inv_window;
  }
}

// y[plane] = (1 / HW) sum_i x[plane, i], one warp per plane.
// x (N*C, HW), y (N*C)
__global__ void global_avg_pool_forward_kernel(int64_t planes, int HW, const float* x, float* y) {
  const int64_t plane = static_cast<int64_t>(blockIdx.x) * kPlanesPerBlock + threadIdx.x / kWarp;
  const int lane = threadIdx.x % kWarp;
  if (plane >= planes) return;  // the whole warp leaves together
  const float* in = x + plane * HW;
  float sum = 0.0f;
  for (int i = lane; i < HW; i += kWarp) sum += in[i];
  sum = warp_sum(sum);
  if (lane == 0) y[plane] = sum / static_cast<float>(HW);
}

//   dx[plane, i] = dy[plane] / HW
// dy (N*C), dx (N*C, HW)
__global__ void global_avg_pool_backward_kernel(int64_t planes, int HW, const float* dy,
                                                float* dx) {
  const int64_t total = planes * HW;
  for (int64_t i = first_index(); i < total; i += grid_stride()) {
    dx[i] = dy[i / HW] / static_cast<float>(HW);
  }
}

}  // namespace

void max_pool2d_forward(const Pool2dShape& s, const float* x, float* y, int32_t* argmax) {
  const int64_t n = static_cast<int64_t>(s.N) * s.C * s.H_out() * s.W_out();
  if (n <= 0) return;
  CG_LAUNCH(max_pool2d_forward_kernel, blocks_for(n, kThreads), kThreads, 0, s, s.H_out(),
            s.W_out(), x, y, argmax);
}

void max_pool2d_backward(const Pool2dShape& s, const float* dy, const int32_t* argmax,
                         float* dx) {
  const int64_t n = static_cast<int64_t>(s.N) * s.C * s.H * s.W;
  if (n <= 0) return;
  CG_LAUNCH(max_pool2d_backward_kernel, blocks_for(n, kThreads), kThreads, 0, s, s.H_out(),
            s.W_out(), dy, argmax, dx);
}

void avg_pool2d_forward(const Pool2dShape& s, const float* x, float* y) {
  const int64_t n = static_cast<int64_t>(s.N) * s.C * s.H_out() * s.W_out();
  if (n <= 0) return;
  CG_LAUNCH(avg_pool2d_forward_kernel, blocks_for(n, kThreads), kThreads, 0, s, s.H_out(),
            s.W_out(), x, y);
}

void avg_pool2d_backward(const Pool2dShape& s, const float* dy, float* dx) {
  const int64_t n = static_cast<int64_t>(s.N) * s.C * s.H * s.W;
  if (n <= 0) return;
  CG_LAUNCH(avg_pool2d_backward_kernel, blocks_for(n, kThreads), kThreads, 0, s, s.H_out(),
            s.W_out(), dy, dx);
}

void global_avg_pool_forward(int N, int C, int HW, const float* x, float* y) {
  const int64_t planes = static_cast<int64_t>(N) * C;
  if (planes == 0) return;
  const int64_t blocks = (planes + kPlanesPerBlock - 1) / kPlanesPerBlock;
  CG_LAUNCH(global_avg_pool_forward_kernel, static_cast<unsigned>(blocks), kThreads, 0, planes,
            HW, x, y);
}

void global_avg_pool_backward(int N, int C, int HW, const float* dy, float* dx) {
  const int64_t planes = static_cast<int64_t>(N) * C;
  if (planes * HW == 0) return;
  CG_LAUNCH(global_avg_pool_backward_kernel, blocks_for(planes * HW, kThreads), kThreads, 0,
            planes, HW, dy, dx);
}

}  // namespace CUDAGRAD_CUDA_NAMESPACE
}  // namespace cudagrad
