// One gradient checker for every op test (after Caffe's GradientChecker).
//
// For f(inputs) -> y, it projects y onto a fixed random tensor r so that
// L = sum(y * r) is a scalar, gets dL/dx for every input from autograd, and
// compares each (sampled) element with the central difference
//   (L(x + h) - L(x - h)) / 2h,
// where L is summed in double. The error is |analytic - numeric| / max(1,
// |analytic|, |numeric|): relative for large gradients, absolute below 1.
//
// Points near a kink (ReLU at 0, a max-pool tie, a dropout mask) show up as
// one-sided differences (L(x+h)-L(x))/h and (L(x)-L(x-h))/h that disagree;
// with skip_kinks they are skipped and counted instead of failing. A point
// whose central difference misses is measured again at h/2, and the closest
// of that difference and the Richardson extrapolation (4 D(h/2) - D(h)) / 3,
// which removes the h^2 error term, counts: strong curvature and a kink
// between h/2 and h from x stop distorting it, while a wrong gradient misses
// every estimate.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/tensor.h"

namespace cudagrad {
namespace testing {

struct GradCheckOptions {
  double step = 1e-2;            // h, in the inputs' units
  double tolerance = 1e-3;       // allowed error (see above)
  int max_checks_per_input = 60;  // sampled elements per input, to bound the cost
  bool skip_kinks = false;
  // One-sided slopes further apart than this (relative, floored at 1) mark a
  // kink. Rounding alone moves them ~1e-4 (see the checker); a kink whose
  // jump is below this moves the central difference by less than tolerance.
  double kink_threshold = 2e-3;
  uint64_t seed = 1234;
};

struct GradCheckResult {
  double worst_error = 0;       // the largest error seen
  std::string worst_where;      // "input 1 [37]: analytic 0.12 numeric 0.1203"
  int checked = 0, skipped = 0;
  bool passed = true;
};

using TensorFunction = std::function<Tensor(const std::vector<Tensor>& inputs)>;

// inputs: CPU tensors; those with requires_grad are checked. f must be
// deterministic (same inputs, same output).
GradCheckResult check_gradients(const TensorFunction& f, const std::vector<Tensor>& inputs,
                                const GradCheckOptions& options = {});

// Runs check_gradients once per host backend (reference, then cpu) and
// reports through doctest: one CHECK on `passed` each, with the worst error
// printed as a fraction of the tolerance.
void expect_gradients_match(const std::string& name, const TensorFunction& f,
                            const std::vector<Tensor>& inputs,
                            const GradCheckOptions& options = {});

}  // namespace testing
}  // namespace cudagrad
