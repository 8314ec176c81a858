// The checker must be able to fail: an op with a deliberately wrong backward
// pass is caught, and a kink is skipped rather than reported.
#include <doctest/doctest.h>

#include "engine/autograd.h"
#include "engine/dispatch.h"
#include "engine/ops.h"
#include "tests/gradcheck.h"

using namespace cudagrad;

namespace {

// y = 3x, with a backward that claims dy/dx = scale.
Tensor triple_with_backward(const Tensor& x, float scale) {
  std::vector<float> v = x.to_vector();
  for (float& e : v) e *= 3.f;
  Tensor y = Tensor::from_vector(v, x.shape());
  return record(y, "triple", {x}, [scale](const Tensor& dy) {
    std::vector<float> g = dy.to_vector();
    for (float& e : g) e *= scale;
    return std::vector<Tensor>{Tensor::from_vector(g, dy.shape())};
  });
}

}  // namespace

TEST_CASE("gradient checker: passes a right backward, fails a wrong one") {
  Tensor x = Tensor::from_vector({0.5f, -1.f, 2.f, 0.25f}, {2, 2}).set_requires_grad(true);
  auto right = testing::check_gradients(
      [](const std::vector<Tensor>& in) { return triple_with_backward(in[0], 3.f); }, {x});
  CHECK(right.passed);
  CHECK(right.checked == 4);
  auto wrong = testing::check_gradients(
      [](const std::vector<Tensor>& in) { return triple_with_backward(in[0], 3.01f); }, {x});
  CHECK_FALSE(wrong.passed);
  CHECK(wrong.worst_error > 1e-3);
}

TEST_CASE("gradient checker: a ReLU kink is skipped only when asked") {
  Tensor x = Tensor::from_vector({0.004f, 1.f}, {1, 2}).set_requires_grad(true);  // 0.004 < h/2
  auto f = [](const std::vector<Tensor>& in) { return relu(in[0]); };
  auto strict = testing::check_gradients(f, {x});
  CHECK_FALSE(strict.passed);  // the central difference straddles the kink
  testing::GradCheckOptions options;
  options.skip_kinks = true;
  auto lenient = testing::check_gradients(f, {x}, options);
  CHECK(lenient.passed);
  CHECK(lenient.skipped == 1);
  CHECK(lenient.checked == 1);
}
