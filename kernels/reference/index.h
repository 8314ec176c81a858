// Index arithmetic shared by the reference loops (private to this folder).
#pragma once
#include <cstdint>

namespace cudagrad {
namespace reference {

// Flat offset of element (a, b, c, d) in a contiguous (A, B, C, D) array,
// e.g. (n, c, h, w) in an NCHW tensor; 64-bit so big batches cannot overflow.
inline int64_t at4(int64_t a, int64_t b, int64_t c, int64_t d, int64_t B, int64_t C, int64_t D) {
  return ((a * B + b) * C + c) * D + d;
}

// Whether index i lies inside [0, size): positions outside are padding.
inline bool inside(int i, int size) { return i >= 0 && i < size; }

// The output index o whose window puts kernel tap t on input index i, that is
// o * stride - padding + t == i, or -1 when no output window does.
inline int output_index(int i, int t, int stride, int padding, int out_size) {
  const int o_times_stride = i + padding - t;
  if (o_times_stride < 0 || o_times_stride % stride != 0) return -1;
  const int o = o_times_stride / stride;
  return o < out_size ? o : -1;
}

}  // namespace reference
}  // namespace cudagrad
