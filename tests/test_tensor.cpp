#include <doctest/doctest.h>

#include <cmath>

#include "base/error.h"
#include "engine/generator.h"
#include "engine/tensor.h"

using namespace cudagrad;

TEST_CASE("tensor creation helpers fill as documented") {
  Tensor z = Tensor::zeros({2, 3});
  CHECK(z.numel() == 6);
  CHECK(z.ndim() == 2);
  CHECK(z.dim(-1) == 3);
  for (float v : z.to_vector()) CHECK(v == 0.f);
  for (float v : Tensor::ones({4}).to_vector()) CHECK(v == 1.f);
  for (float v : Tensor::full({2, 2}, 2.5f).to_vector()) CHECK(v == 2.5f);
  Tensor t = Tensor::from_vector({1, 2, 3, 4, 5, 6}, {2, 3});
  CHECK(t.to_vector() == std::vector<float>{1, 2, 3, 4, 5, 6});
  CHECK(Tensor::full({}, 3.f).item() == 3.f);
  CHECK_THROWS_AS(Tensor::from_vector({1, 2, 3}, {2, 2}), Error);
  CHECK_THROWS_AS(t.item(), Error);
  CHECK_THROWS_AS(t.dim(2), Error);
}

TEST_CASE("reshape and flatten are views that share storage") {
  Tensor t = Tensor::from_vector({1, 2, 3, 4, 5, 6, 7, 8}, {2, 2, 2});
  Tensor r = t.reshape({4, -1});
  CHECK(r.shape() == Shape{4, 2});
  CHECK(r.same_storage(t));
  Tensor f = t.flatten();
  CHECK(f.shape() == Shape{2, 4});
  r.data()[0] = 42.f;  // writes through the view
  CHECK(t.to_vector()[0] == 42.f);
  CHECK_THROWS_AS(t.reshape({3, -1}), Error);
  CHECK_THROWS_AS(t.reshape({-1, -1}), Error);
  CHECK_FALSE(t.clone().same_storage(t));
}

TEST_CASE("generator: same seed gives the same numbers, and normal() has mean 0 and stddev 1") {
  Generator a(5), b(5), c(6);
  for (int i = 0; i < 10; ++i) {
    float x = a.uniform();
    CHECK(x == b.uniform());
    CHECK(x >= 0.f);
    CHECK(x < 1.f);
  }
  CHECK(a.uniform() != c.uniform());
  Generator g(1);
  double sum = 0, sum_sq = 0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    double v = g.normal();
    sum += v;
    sum_sq += v * v;
  }
  // Standard errors: 1/sqrt(n) = 0.007 for the mean, ~0.01 for the variance.
  CHECK(std::fabs(sum / n) < 0.03);
  CHECK(std::fabs(sum_sq / n - 1.0) < 0.05);
  Generator r(9);
  r.normal();
  uint64_t counter = r.counter();
  float next = r.normal();
  r.set_state(9, counter);
  CHECK(r.normal() == next);
}
