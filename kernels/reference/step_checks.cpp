// What a training step reads back: how many values are not finite, and how
// many predictions are right. Both add to a count the caller zeroed, so
// several calls (one per gradient tensor) fill one number and a single copy
// brings every count to the host.
//
//   count_non_finite:  count   += #{ i : x[i] is NaN or +-inf }
//   count_correct:     correct += #{ i : argmax_k logits[i, k] == targets[i] }
//
// The argmax takes the first of equal maxima (as torch.argmax and the
// evaluation code do); a NaN is never greater than anything, so a row whose
// first entry is NaN and whose other entries are smaller keeps index 0: a
// row with a NaN predicts whatever the comparison leaves, and the step that
// produced it is rejected by count_non_finite on its gradients anyway.
#include <cmath>

#include "kernels/reference/reference.h"

namespace cudagrad {
namespace reference {

void count_non_finite(int64_t n, const float* x, float* count) {
  int64_t bad = 0;
  for (int64_t i = 0; i < n; ++i) bad += !std::isfinite(x[i]);
  *count += static_cast<float>(bad);
}

void count_correct(int N, int K, const float* logits, const int32_t* targets, float* correct) {
  int64_t right = 0;
  for (int i = 0; i < N; ++i) {
    const float* row = logits + static_cast<int64_t>(i) * K;
    int best = 0;
    for (int k = 1; k < K; ++k)
      if (row[k] > row[best]) best = k;
    right += best == targets[i];
  }
  *correct += static_cast<float>(right);
}

}  // namespace reference
}  // namespace cudagrad
