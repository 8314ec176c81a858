// A generated, separable image problem for smoke tests and the first demo:
// class k of 4 is a bright 5x5 square in quadrant k of a 3x16x16 image
// (one colour channel per class parity), placed with a random jitter on
// Gaussian noise. A working CNN reaches ~100% training accuracy on it; a
// broken gradient does not.
#pragma once
#include <cstdint>
#include <vector>

#include "engine/generator.h"
#include "engine/tensor.h"

namespace cudagrad {

struct ToyBatch {
  Tensor images;                // (N, 3, 16, 16)
  std::vector<int32_t> labels;  // (N) in [0, 4)
};

inline ToyBatch make_toy_batch(int n, Generator& gen) {
  const int C = 3, S = 16, classes = 4;
  std::vector<float> pixels(static_cast<size_t>(n) * C * S * S);
  std::vector<int32_t> labels(n);
  for (int i = 0; i < n; ++i) {
    const int k = static_cast<int>(gen.next_u64() % classes);
    labels[i] = k;
    float* img = &pixels[static_cast<size_t>(i) * C * S * S];
    for (int j = 0; j < C * S * S; ++j) img[j] = 0.3f * gen.normal();
    const int top = (k / 2) * 8 + static_cast<int>(gen.next_u64() % 4);
    const int left = (k % 2) * 8 + static_cast<int>(gen.next_u64() % 4);
    const int channel = k % 2;  // colour as a second, redundant cue
    for (int y = top; y < top + 5 && y < S; ++y)
      for (int x = left; x < left + 5 && x < S; ++x) img[(channel * S + y) * S + x] += 1.5f;
  }
  return {Tensor::from_vector(pixels, {n, C, S, S}), labels};
}

}  // namespace cudagrad
