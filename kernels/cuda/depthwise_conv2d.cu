// Depthwise 2-D convolution (groups == C_in == C_out = C): every channel is
// convolved with its own k x k filter, w (C, 1, k, k). As a grouped GEMM each
// group would be a 1-row matrix product, which wastes almost all of a GEMM
// tile; these direct kernels are the dedicated path.
//
// Forward launch: blocks of 16 x 16 threads, one output tile of 16 x 16
// pixels of one (n, c) plane per block; grid (N*C, ceil(H_out/16),
// ceil(W_out/16)). The block first copies the input patch its tile needs,
// span x span with span = 15*s + k, and the channel's k*k weights into
// dynamic shared memory, then each thread computes one output pixel from
// there. Neighbouring outputs share most of their inputs (a 3x3 filter at
// stride 1 reads each input 9 times), so the patch turns k*k global reads per
// output into about one.
//
// Backward input: one thread per input pixel, gathering from the output
// pixels whose window covers it: oh*s - p + kh == h (like conv2d's
// backward-input GEMM, with no GEMM around it). Each dx is written once.
//
// Backward weight: dw[c, kh, kw] is a sum over all N*H_out*W_out output
// pixels of the channel, so it is a reduction. Two versions:
// * 3x3 filters (every depthwise layer of MobileNet): two stages. Block
//   (c, b) takes chunk b of channel c's output pixels; each thread keeps the
//   9 taps' and the bias's sums in registers, reading each dy once (and x
//   through the cache, neighbouring threads reading neighbouring pixels),
//   then the block reduces the 10 sums into partial[c][b][tap]. Chunks are
//   chosen so that C * chunks >= kTargetBlocks: MobileNet's first depthwise
//   layer (32 channels of 401,408 pixels) gets 288 blocks. A second launch,
//   one thread per (channel, tap), adds the chunks in a fixed order.
// * any other k (the plain version): one block (up to 256 threads) per
//   (channel, tap), grid (C, k*k + 1); the extra tap row sums dy for the
//   bias. Each of the k*k + 1 blocks of a channel reads all of its dy.
#include <algorithm>

#include "kernels/cuda/common.cuh"
#include "kernels/cuda/host_functions.h"
#include "kernels/cuda/scratch.cuh"

namespace cudagrad {
namespace CUDAGRAD_CUDA_NAMESPACE {

namespace {

constexpr int kTile = 16;
constexpr int kThreads = 256;
constexpr int kTargetBlocks = 264;  // two per SM of an H100 (132 SMs)
constexpr int kMinChunk = 2048;     // output pixels per block, at least, when a channel is cut

struct DepthwiseGeometry {
  int N, C, H, W, k, stride, padding, H_out, W_out;
};

DepthwiseGeometry geometry(const Conv2dShape& s) {
  CG_CHECK(s.groups == s.C_in && s.C_out == s.C_in,
           "depthwise convolution needs groups == C_in == C_out, got groups "
               << s.groups << ", C_in " << s.C_in << ", C_out " << s.C_out);
  return DepthwiseGeometry{s.N, s.C_in, s.H, s.W, s.kernel, s.stride, s.padding, s.H_out(),
                           s.W_out()};
}

// The input rows (and columns) an output tile of kTile pixels reads.
__host__ __device__ inline int patch_span(const DepthwiseGeometry& d) {
  return (kTile - 1) * d.stride + d.k;
}

//   y[n, c, oh, ow] = b[c] + sum_{kh, kw} w[c, kh, kw] * x[n, c, oh*s - p + kh, ow*s - p + kw]
// x (N, C, H, W), w (C, 1, k, k), b (C) nullable, y (N, C, H_out, W_out)
__global__ void depthwise_forward_kernel(DepthwiseGeometry d, const float* x, const float* w,
                                         const float* b, float* y) {
  CG_DYNAMIC_SHARED(float, shared);
  const int span = patch_span(d);
  float* patch = shared;               // (span, span): the input under this tile
  float* taps = shared + span * span;  // (k, k): this channel's filter

  const int plane = blockIdx.x, c = plane % d.C;
  const int oh0 = blockIdx.y * kTile, ow0 = blockIdx.z * kTile;
  const int ih0 = oh0 * d.stride - d.padding, iw0 = ow0 * d.stride - d.padding;
  const float* xp = x + static_cast<int64_t>(plane) * d.H * d.W;
  const int t = threadIdx.y * kTile + threadIdx.x;
  for (int e = t; e < span * span; e += kTile * kTile) {
    const int ih = ih0 + e / span, iw = iw0 + e % span;
    const bool inside = ih >= 0 && ih < d.H && iw >= 0 && iw < d.W;
    patch[e] = inside ? xp[ih * d.W + iw] : 0.0f;
  }
  for (int e = t; e < d.k * d.k; e += kTile * kTile) taps[e] = w[c * d.k * d.k + e];
  __syncthreads();

  const int oh = oh0 + threadIdx.y, ow = ow0 + threadIdx.x;
  if (oh >= d.H_out || ow >= d.W_out) return;
  float sum = b ? b[c] : 0.0f;
  const float* window = patch + threadIdx.y * d.stride * span + threadIdx.x * d.stride;
  for (int kh = 0; kh < d.k; ++kh) {
    for (int kw = 0; kw < d.k; ++kw) sum += taps[kh * d.k + kw] * window[kh * span + kw];
  }
  y[(static_cast<int64_t>(plane) * d.H_out + oh) * d.W_out + ow] = sum;
}

//   dx[n, c, h, w] = sum over taps (kh, kw) with an output pixel (oh, ow),
//                    oh*s - p + kh == h and ow*s - p + kw == w, of w[c, kh, kw] * dy[n, c, oh, ow]
// dy (N, C, H_out, W_out), w (C, 1, k, k), dx (N, C, H, W)
__global__ void depthwise_backward_input_kernel(DepthwiseGeometry d, const float* dy,
                                                const float* w, float* dx) {
  const int64_t total = static_cast<int64_t>(d.N) * d.C * d.H * d.W;
  for (int64_t i = first_index(); i < total; i += grid_stride()) {
    const int iw = static_cast<int>(i % d.W), ih = static_cast<int>(i / d.W % d.H);
    const int64_t plane = i / (static_cast<int64_t>(d.H) * d.W);
    const int c = static_cast<int>(plane % d.C);
    const float* dyp = dy + plane * d.H_out * d.W_out;
    float sum = 0.0f;
    for (int kh = 0; kh < d.k; ++kh) {
      const int oh_s = ih + d.padding - kh;
      if (oh_s < 0 || oh_s % d.stride != 0 || oh_s / d.stride >= d.H_out) continue;
      for (int kw = 0; kw < d.k; ++kw) {
        const int ow_s = iw + d.padding - kw;
        if (ow_s < 0 || ow_s % d.stride != 0 || ow_s / d.stride >= d.W_out) continue;
        sum += w[(c * d.k + kh) * d.k + kw] * dyp[oh_s / d.stride * d.W_out + ow_s / d.stride];
      }
    }
    dx[i] = sum;
  }
}

//   dw[c, kh, kw] = sum_{n, oh, ow} dy[n, c, oh, ow] * x[n, c, oh*s - p + kh, ow*s - p + kw]
//   db[c]         = sum_{n, oh, ow} dy[n, c, oh, ow]            (block row tap == k*k)
// x (N, C, H, W), dy (N, C, H_out, W_out), dw (C, 1, k, k), db (C) nullable
__global__ void depthwise_backward_weight_kernel(DepthwiseGeometry d, const float* x,
                                                 const float* dy, float* dw, float* db) {
  __shared__ float scratch[kWarp];
  const int c = blockIdx.x, tap = blockIdx.y;
  const bool bias = tap == d.k * d.k;
  const int kh = tap / d.k, kw = tap % d.k;
  const int64_t P = static_cast<int64_t>(d.H_out) * d.W_out;
  float sum = 0.0f;
  for (int64_t j = threadIdx.x; j < d.N * P; j += blockDim.x) {
    const int64_t n = j / P;
    const int oh = static_cast<int>(j % P / d.W_out), ow = static_cast<int>(j % d.W_out);
    const float g = dy[(n * d.C + c) * P + j % P];
    if (bias) {
      sum += g;
      continue;
    }
    const int ih = oh * d.stride - d.padding + kh, iw = ow * d.stride - d.padding + kw;
    if (ih >= 0 && ih < d.H && iw >= 0 && iw < d.W) {
      sum += g * x[((n * d.C + c) * d.H + ih) * d.W + iw];
    }
  }
  sum = block_sum(sum, scratch);
  if (threadIdx.x == 0) {
    if (bias) {
      db[c] = sum;
    } else {
      dw[c * d.k * d.k + tap] = sum;
    }
  }
}

// Stage 1 of the 3x3 (K x K) version: block (c, b), chunk b of channel c's
// N*P output pixels (P = H_out*W_out), j = n*P + p walked with additions.
// x (N, C, H, W), dy (N, C, H_out, W_out), partial (C, chunks, K*K + 1)
template <int K>
__global__ void depthwise_backward_weight_chunks_kernel(DepthwiseGeometry d, int64_t chunk,
                                                        const float* x, const float* dy,
                                                        float* partial) {
  __shared__ float scratch[kWarp];
  constexpr int kTaps = K * K + 1;  // the filter's taps, then the bias
  const int c = blockIdx.x, P = d.H_out * d.W_out, stride = blockDim.x;
  const int64_t begin = blockIdx.y * chunk + threadIdx.x;
  const int64_t end = min(static_cast<int64_t>(d.N) * P, (blockIdx.y + 1) * chunk);
  float sums[kTaps] = {};
  int n = static_cast<int>(begin / P), p = static_cast<int>(begin % P);
  const int step_n = stride / P, step_p = stride % P;
  for (int64_t j = begin; j < end; j += stride) {
    const int oh = p / d.W_out, ow = p % d.W_out;
    const int64_t plane = static_cast<int64_t>(n) * d.C + c;
    const float g = dy[plane * P + p];
    const float* xp = x + plane * d.H * d.W;
    const int ih0 = oh * d.stride - d.padding, iw0 = ow * d.stride - d.padding;
#pragma unroll
    for (int kh = 0; kh < K; ++kh) {
      const int ih = ih0 + kh;
      if (ih < 0 || ih >= d.H) continue;
#pragma unroll
      for (int kw = 0; kw < K; ++kw) {
        const int iw = iw0 + kw;
        if (iw >= 0 && iw < d.W) sums[kh * K + kw] += g * xp[ih * d.W + iw];
      }
    }
    sums[K * K] += g;
    n += step_n, p += step_p;  // the next pixel, stride further
    if (p >= P) p -= P, ++n;
  }
  float* out = partial + (static_cast<int64_t>(c) * gridDim.y + blockIdx.y) * kTaps;
#pragma unroll
  for (int t = 0; t < kTaps; ++t) {
    const float total = block_sum(sums[t], scratch);
    if (threadIdx.x == 0) out[t] = total;
  }
}

// Stage 2: one thread per (channel, tap), the chunks added in order.
// partial (C, chunks, taps), dw (C, 1, k, k), db (C) nullable; taps = k*k + 1
__global__ void depthwise_backward_weight_sum_kernel(int C, int taps, int chunks,
                                                     const float* partial, float* dw, float* db) {
  for (int64_t i = first_index(); i < static_cast<int64_t>(C) * taps; i += grid_stride()) {
    const int c = static_cast<int>(i / taps), t = static_cast<int>(i % taps);
    float sum = 0.0f;
    for (int b = 0; b < chunks; ++b) {
      sum += partial[(static_cast<int64_t>(c) * chunks + b) * taps + t];
    }
    if (t < taps - 1) {
      dw[static_cast<int64_t>(c) * (taps - 1) + t] = sum;
    } else if (db) {
      db[c] = sum;
    }
  }
}

}  // namespace

void depthwise_conv2d_forward(const Conv2dShape& s, const float* x, const float* w,
                              const float* b, float* y) {
  const DepthwiseGeometry d = geometry(s);
  if (d.N * d.C == 0 || d.H_out <= 0 || d.W_out <= 0) return;
  const dim3 grid(d.N * d.C, (d.H_out + kTile - 1) / kTile, (d.W_out + kTile - 1) / kTile);
  const int span = patch_span(d);
  const size_t shared_bytes = sizeof(float) * (span * span + d.k * d.k);
  CG_LAUNCH(depthwise_forward_kernel, grid, dim3(kTile, kTile), shared_bytes, d, x, w, b, y);
}

void depthwise_conv2d_backward_input(const Conv2dShape& s, const float* dy, const float* w,
                                     float* dx) {
  const DepthwiseGeometry d = geometry(s);
  const int64_t n = static_cast<int64_t>(d.N) * d.C * d.H * d.W;
  if (n == 0) return;
  CG_LAUNCH(depthwise_backward_input_kernel, blocks_for(n, kThreads), kThreads, 0, d, dy, w, dx);
}

void depthwise_conv2d_backward_weight(const Conv2dShape& s, const float* x, const float* dy,
                                      float* dw, float* db) {
  const DepthwiseGeometry d = geometry(s);
  if (d.C == 0) return;
  if (d.k == 3) {
    const int64_t pixels = static_cast<int64_t>(d.N) * d.H_out * d.W_out;
    const int64_t wanted = (kTargetBlocks + d.C - 1) / d.C, most = pixels / kMinChunk;
    const int chunks = static_cast<int>(std::max<int64_t>(1, std::min(wanted, most)));
    const int64_t chunk = (pixels + chunks - 1) / chunks;
    const int taps = 3 * 3 + 1;
    Scratch partial(static_cast<size_t>(d.C) * chunks * taps);
    auto depthwise_backward_weight_3x3 = depthwise_backward_weight_chunks_kernel<3>;
    note_next_launch_flops(2.0 * pixels * d.C * 3 * 3);
    CG_LAUNCH(depthwise_backward_weight_3x3, dim3(d.C, chunks), kThreads, 0, d, chunk, x, dy,
              partial.data());
    CG_LAUNCH(depthwise_backward_weight_sum_kernel, blocks_for(int64_t{d.C} * taps, kThreads),
              kThreads, 0, d.C, taps, chunks, partial.data(), dw, db);
    return;
  }
  const dim3 grid(d.C, d.k * d.k + (db ? 1 : 0));
  const int threads = reduction_threads(static_cast<int64_t>(d.N) * d.H_out * d.W_out);
  CG_LAUNCH(depthwise_backward_weight_kernel, grid, threads, 0, d, x, dy, dw, db);
}

}  // namespace CUDAGRAD_CUDA_NAMESPACE
}  // namespace cudagrad
