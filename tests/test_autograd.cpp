#include <doctest/doctest.h>

#include "base/error.h"
#include "engine/autograd.h"
#include "engine/ops.h"
#include "engine/profiler.h"

#include <cmath>

using namespace cudagrad;

TEST_CASE("autograd: a tensor used twice receives the sum of both gradients") {
  Tensor x = Tensor::from_vector({1, -2, 3}, {1, 3}).set_requires_grad(true);
  Tensor w = Tensor::from_vector({1, 1, 1}, {1, 3}).set_requires_grad(true);
  // y = w . (x + x) => dy/dx = 2 w, dy/dw = 2 x
  Tensor y = linear(add(x, x), w, Tensor());
  y.backward();
  CHECK(x.grad().to_vector() == std::vector<float>{2, 2, 2});
  CHECK(w.grad().to_vector() == std::vector<float>{2, -4, 6});
}

TEST_CASE("autograd: gradients accumulate across backward calls until zero_grad") {
  Tensor x = Tensor::from_vector({1, 2}, {1, 2}).set_requires_grad(true);
  Tensor w = Tensor::from_vector({3, 4}, {1, 2}).set_requires_grad(true);
  linear(x, w, Tensor()).backward();
  linear(x, w, Tensor()).backward();
  CHECK(w.grad().to_vector() == std::vector<float>{2, 4});
  w.zero_grad();
  CHECK_FALSE(w.grad().defined());
}

TEST_CASE("autograd: a second backward through a released graph is a clear error") {
  Tensor x = Tensor::from_vector({1, 2}, {1, 2}).set_requires_grad(true);
  Tensor w = Tensor::from_vector({3, 4}, {1, 2}).set_requires_grad(true);
  Tensor y = linear(relu(x), w, Tensor());
  y.backward();
  CHECK_THROWS_WITH_AS(y.backward(), doctest::Contains("retain_graph"), Error);

  Tensor y2 = linear(relu(x), w, Tensor());
  y2.backward(/*retain_graph=*/true);
  CHECK_NOTHROW(y2.backward());
}

TEST_CASE("autograd: non-scalar backward needs a gradient of the same shape") {
  Tensor x = Tensor::from_vector({1, 2, 3, 4}, {2, 2}).set_requires_grad(true);
  Tensor y = relu(x);
  CHECK_THROWS_AS(y.backward(), Error);
  CHECK_THROWS_AS(y.backward(Tensor::ones({4})), Error);
  y.backward(Tensor::from_vector({1, 2, 3, 4}, {2, 2}));
  CHECK(x.grad().to_vector() == std::vector<float>{1, 2, 3, 4});
}

TEST_CASE("autograd: NoGradGuard records nothing, and requires_grad propagates") {
  Tensor x = Tensor::ones({1, 2}).set_requires_grad(true);
  Tensor c = Tensor::ones({1, 2});
  CHECK(relu(x).requires_grad());
  CHECK_FALSE(relu(c).requires_grad());
  {
    NoGradGuard guard;
    Tensor y = relu(x);
    CHECK_FALSE(y.requires_grad());
    CHECK(y.grad_fn() == nullptr);
  }
  CHECK(grad_enabled());
  CHECK_THROWS_AS(relu(c).backward(Tensor::ones({1, 2})), Error);
}

TEST_CASE("autograd: gradients flow through reshape views") {
  Tensor x = Tensor::from_vector({1, 2, 3, 4, 5, 6}, {1, 6}).set_requires_grad(true);
  Tensor w = Tensor::from_vector({1, 0, 0, 1}, {2, 2}).set_requires_grad(true);
  Tensor y = linear(x.reshape({3, 2}), w, Tensor());  // identity map
  y.backward(Tensor::from_vector({1, 2, 3, 4, 5, 6}, {3, 2}));
  CHECK(x.grad().shape() == Shape{1, 6});
  CHECK(x.grad().to_vector() == std::vector<float>{1, 2, 3, 4, 5, 6});
}

TEST_CASE("ops: wrong shapes are errors that name the op and the shapes") {
  Tensor x = Tensor::zeros({1, 3, 8, 8});
  CHECK_THROWS_WITH_AS(conv2d(x, Tensor::zeros({4, 2, 3, 3}), Tensor()),
                       doctest::Contains("conv2d"), Error);
  CHECK_THROWS_WITH_AS(conv2d(Tensor::zeros({3, 8, 8}), Tensor::zeros({4, 3, 3, 3}), Tensor()),
                       doctest::Contains("(3, 8, 8)"), Error);
  CHECK_THROWS_AS(conv2d(Tensor::zeros({1, 3, 2, 2}), Tensor::zeros({4, 3, 5, 5}), Tensor()), Error);
  CHECK_THROWS_WITH_AS(linear(Tensor::zeros({2, 5}), Tensor::zeros({3, 4}), Tensor()),
                       doctest::Contains("linear"), Error);
  CHECK_THROWS_AS(add(Tensor::zeros({2}), Tensor::zeros({3})), Error);
  CHECK_THROWS_AS(cross_entropy(Tensor::zeros({2, 3}), {0, 3}, Tensor()), Error);
  CHECK_THROWS_AS(cross_entropy(Tensor::zeros({2, 3}), {0}, Tensor()), Error);
  CHECK_THROWS_AS(max_pool2d(x, 2, 2, 2), Error);
  CHECK_THROWS_AS(dropout(x, 1.f, true, 0, 0), Error);
  CHECK_THROWS_AS(batch_norm2d(x, Tensor::ones({2}), Tensor::zeros({2}), Tensor::zeros({2}),
                               Tensor::ones({2}), true),
                  Error);
}

TEST_CASE("LayerScope names the nodes an op records, nested with dots") {
  Tensor x = Tensor::ones({1, 2}).set_requires_grad(true);
  CHECK(LayerScope::current().empty());
  Tensor y;
  {
    LayerScope outer("layer1");
    LayerScope inner("0");
    CHECK(LayerScope::current() == "layer1.0");
    y = relu(x);
  }
  CHECK(LayerScope::current().empty());
  REQUIRE(y.grad_fn() != nullptr);
  CHECK(y.grad_fn()->layer == "layer1.0");
}

TEST_CASE("AnomalyGuard names the op and layer that first produced a NaN") {
  Tensor x = Tensor::from_vector({1.f, std::nanf("")}, {1, 2});
  CHECK_NOTHROW(relu(x));  // off by default: no scan of every output
  AnomalyGuard guard;
  LayerScope scope("fc2");
  CHECK_THROWS_WITH_AS(linear(x, Tensor::ones({3, 2}), Tensor()),
                       doctest::Contains("'linear' in layer 'fc2'"), Error);
}

TEST_CASE("Profiler attributes forward and backward time to layers") {
  Profiler profiler;
  Tensor x = Tensor::ones({4, 8}).set_requires_grad(true);
  Tensor w = Tensor::ones({3, 8}).set_requires_grad(true);
  Tensor y;
  {
    LayerScope scope("fc");
    y = linear(x, w, Tensor());
  }
  y.backward(Tensor::ones({4, 3}));
  REQUIRE(profiler.timings().size() == 1);
  CHECK(profiler.timings()[0].layer == "fc");
  CHECK(profiler.timings()[0].forward_ms >= 0);
  CHECK(profiler.timings()[0].backward_ms >= 0);
  CHECK(Profiler::active() == &profiler);
}

TEST_CASE("retain_grad keeps an intermediate result's gradient") {
  Tensor x = Tensor::from_vector({1, -2, 3}, {1, 3}).set_requires_grad(true);
  Tensor h = relu(x);
  h.retain_grad();
  Tensor other = relu(x);
  Tensor y = linear(add(h, other), Tensor::from_vector({1, 2, 3}, {1, 3}), Tensor());
  y.backward();
  REQUIRE(h.grad().defined());
  CHECK(h.grad().to_vector() == std::vector<float>{1, 2, 3});
  CHECK_FALSE(other.grad().defined());  // not retained: freed during backward
}

TEST_CASE("retain_grad sums over backward calls that keep the graph, as a leaf's does") {
  Tensor x = Tensor::from_vector({1, -2, 3}, {1, 3}).set_requires_grad(true);
  Tensor h = relu(x);
  h.retain_grad();
  Tensor y = linear(h, Tensor::from_vector({1, 2, 3}, {1, 3}), Tensor());
  y.backward(/*retain_graph=*/true);
  y.backward();
  CHECK(h.grad().to_vector() == std::vector<float>{2, 4, 6});
  CHECK(x.grad().to_vector() == std::vector<float>{2, 0, 6});
}

TEST_CASE("autograd: the graph keeps no input the backward pass does not need") {
  // relu's backward uses its output, add's none of its inputs: once the
  // caller drops the sum t, nothing holds t's storage, yet backward works.
  Tensor x = Tensor::from_vector({1, -2, 3}, {1, 3}).set_requires_grad(true);
  Tensor t = add(x, x);
  std::weak_ptr<Storage> t_storage = t.impl()->storage;
  Tensor y = relu(t);
  t = Tensor();
  CHECK(t_storage.expired());
  y.backward(Tensor::from_vector({1, 1, 1}, {1, 3}));
  CHECK(x.grad().to_vector() == std::vector<float>{2, 0, 2});
}

TEST_CASE("autograd: a backward pass that fails leaves no half-summed gradient behind") {
  // y = q + p, both computed from x; p's backward fails the first time. It
  // runs before q's (the graph is walked from add's last input), so add has
  // already handed q its gradient; a second backward must not add it twice.
  Tensor x = Tensor::from_vector({1, 2}, {1, 2}).set_requires_grad(true);
  int calls = 0;
  Tensor p = record(Tensor::from_vector({1, 2}, {1, 2}), "flaky", {x}, [&calls](const Tensor& dy) {
    CG_CHECK(++calls > 1, "flaky backward fails once");
    return std::vector<Tensor>{dy.clone()};
  });
  Tensor q = relu(x);
  Tensor y = add(q, p);
  const Tensor seed = Tensor::from_vector({1, 1}, {1, 2});
  CHECK_THROWS_AS(y.backward(seed, /*retain_graph=*/true), Error);
  CHECK_FALSE(x.grad().defined());
  y.backward(seed);
  CHECK(x.grad().to_vector() == std::vector<float>{2, 2});
}
