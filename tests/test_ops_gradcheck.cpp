// Finite-difference checks of every op's backward pass, through autograd,
// with the one checker in tests/gradcheck.h. Shapes are small and odd on
// purpose: batch 1, sizes that are not powers of two, stride 2, padding.
//
// Tolerance: 1e-3 relative (absolute below 1), the checker's default. The
// forward runs in float32 with double accumulation, so L = sum(y * r) is
// accurate to ~1e-6; divided by 2h = 2e-2 that is ~1e-4, and the central
// difference's own truncation error (h^2/6 f''') is of the same order.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "engine/dispatch.h"
#include "engine/generator.h"
#include "engine/ops.h"
#include "kernels/cuda/cuda_backend.h"
#include "tests/gradcheck.h"

using namespace cudagrad;
using testing::expect_gradients_match;
using testing::GradCheckOptions;

namespace {

Tensor param(const Shape& shape, Generator& gen, float scale = 1.f) {
  return Tensor::randn(shape, gen, 0.f, scale).set_requires_grad(true);
}

// Values at least `gap` away from zero, so a ReLU never flips under +-h.
Tensor away_from_zero(const Shape& shape, Generator& gen, float gap = 0.05f) {
  std::vector<float> v(shape_numel(shape));
  for (float& x : v) {
    float z = gen.normal();
    x = z >= 0 ? z + gap : z - gap;
  }
  return Tensor::from_vector(v, shape).set_requires_grad(true);
}

struct ConvCase {
  int N, C_in, H, W, C_out, kernel, stride, padding, groups;
  bool bias;
};

}  // namespace

TEST_CASE("gradcheck: conv2d over strides, padding, groups, depthwise and batch 1") {
  const ConvCase cases[] = {
      {2, 3, 7, 5, 4, 3, 1, 1, 1, true},   // same padding, odd sizes
      {1, 3, 6, 7, 5, 3, 2, 0, 1, true},   // stride 2, batch 1, no padding
      {2, 4, 5, 5, 6, 3, 2, 1, 2, false},  // grouped, no bias
      {2, 3, 6, 5, 3, 3, 1, 1, 3, true},   // depthwise
      {1, 5, 7, 6, 5, 3, 2, 1, 5, false},  // depthwise, stride 2
      {2, 3, 5, 4, 2, 1, 1, 0, 1, true},   // 1x1 (pointwise)
      {1, 2, 9, 8, 3, 5, 2, 2, 1, true},   // 5x5, padding 2
  };
  for (const ConvCase& c : cases) {
    Generator gen(7);
    Tensor x = param({c.N, c.C_in, c.H, c.W}, gen);
    Tensor w = param({c.C_out, c.C_in / c.groups, c.kernel, c.kernel}, gen, 0.5f);
    Tensor b = c.bias ? param({c.C_out}, gen) : Tensor();
    std::vector<Tensor> inputs{x, w};
    if (c.bias) inputs.push_back(b);
    auto f = [&](const std::vector<Tensor>& in) {
      return conv2d(in[0], in[1], c.bias ? in[2] : Tensor(), c.stride, c.padding, c.groups);
    };
    expect_gradients_match("conv2d groups=" + std::to_string(c.groups) + " stride=" +
                               std::to_string(c.stride) + " k=" + std::to_string(c.kernel),
                           f, inputs);
  }
}

TEST_CASE("gradcheck: batch_norm2d in training, behind a convolution") {
  Generator gen(11);
  Tensor x = param({2, 3, 5, 4}, gen);
  Tensor w = param({5, 3, 3, 3}, gen, 0.5f);
  Tensor gamma = Tensor::uniform({5}, gen, 0.5f, 1.5f).set_requires_grad(true);
  Tensor beta = param({5}, gen);
  Tensor running_mean = Tensor::zeros({5}), running_var = Tensor::ones({5});
  auto f = [&](const std::vector<Tensor>& in) {
    return batch_norm2d(conv2d(in[0], in[1], Tensor(), 1, 1), in[2], in[3], running_mean,
                        running_var, /*training=*/true);
  };
  expect_gradients_match("conv -> batch_norm2d (train)", f, {x, w, gamma, beta});
}

TEST_CASE("gradcheck: batch_norm2d in training, batch 1 with odd spatial size") {
  Generator gen(12);
  Tensor x = param({1, 3, 3, 5}, gen);
  Tensor gamma = Tensor::uniform({3}, gen, 0.5f, 1.5f).set_requires_grad(true);
  Tensor beta = param({3}, gen);
  Tensor rm = Tensor::zeros({3}), rv = Tensor::ones({3});
  auto f = [&](const std::vector<Tensor>& in) {
    return batch_norm2d(in[0], in[1], in[2], rm, rv, true);
  };
  expect_gradients_match("batch_norm2d (train, N=1)", f, {x, gamma, beta});
}

TEST_CASE("gradcheck: batch_norm2d in evaluation") {
  Generator gen(13);
  Tensor x = param({2, 3, 4, 3}, gen);
  Tensor gamma = Tensor::uniform({3}, gen, 0.5f, 1.5f).set_requires_grad(true);
  Tensor beta = param({3}, gen);
  Tensor rm = Tensor::randn({3}, gen), rv = Tensor::uniform({3}, gen, 0.5f, 2.f);
  auto f = [&](const std::vector<Tensor>& in) {
    return batch_norm2d(in[0], in[1], in[2], rm, rv, false);
  };
  expect_gradients_match("batch_norm2d (eval)", f, {x, gamma, beta});
}

TEST_CASE("gradcheck: batch_norm2d_relu in training and evaluation (kinks skipped)") {
  Generator gen(17);
  Tensor x = param({2, 4, 3, 5}, gen);
  Tensor gamma = Tensor::uniform({4}, gen, 0.5f, 1.5f).set_requires_grad(true);
  Tensor beta = param({4}, gen, 0.5f);  // about half of each channel is clamped
  Tensor rm = Tensor::zeros({4}), rv = Tensor::ones({4});
  GradCheckOptions options;
  options.skip_kinks = true;
  for (bool training : {true, false}) {
    auto f = [&](const std::vector<Tensor>& in) {
      return batch_norm2d_relu(in[0], in[1], in[2], rm, rv, training);
    };
    expect_gradients_match(training ? "batch_norm2d_relu (train)" : "batch_norm2d_relu (eval)", f,
                           {x, gamma, beta}, options);
  }
}

TEST_CASE("batch_norm2d_relu is relu(batch_norm2d), forward and backward") {
  Generator gen(18);
  for (bool training : {true, false}) {
    Tensor x = Tensor::randn({3, 5, 4, 6}, gen).set_requires_grad(true);
    Tensor gamma = Tensor::uniform({5}, gen, 0.5f, 1.5f).set_requires_grad(true);
    Tensor beta = Tensor::randn({5}, gen).set_requires_grad(true);
    Tensor r = Tensor::randn({3, 5, 4, 6}, gen);  // dL/dy
    std::vector<std::vector<float>> results[2];
    for (int fused = 0; fused < 2; ++fused) {
      Tensor rm = Tensor::zeros({5}), rv = Tensor::ones({5});
      x.zero_grad();
      gamma.zero_grad();
      beta.zero_grad();
      Tensor y = fused ? batch_norm2d_relu(x, gamma, beta, rm, rv, training)
                       : relu(batch_norm2d(x, gamma, beta, rm, rv, training));
      y.backward(r);
      results[fused] = {y.to_vector(), x.grad().to_vector(), gamma.grad().to_vector(),
                        beta.grad().to_vector(), rm.to_vector(), rv.to_vector()};
    }
    const char* names[] = {"y", "dx", "dgamma", "dbeta", "running_mean", "running_var"};
    for (int i = 0; i < 6; ++i) {
      INFO((training ? "train " : "eval ") << names[i]);
      REQUIRE(results[0][i].size() == results[1][i].size());
      double worst = 0;
      for (size_t j = 0; j < results[0][i].size(); ++j)
        worst = std::max(worst, std::fabs(double(results[0][i][j]) - results[1][i][j]));
      CHECK(worst <= 1e-5);  // the same float formulas, summed in another order at most
    }
  }
}

TEST_CASE("batch_norm2d in evaluation does not depend on the rest of the batch") {
  Generator gen(14);
  Tensor x = Tensor::randn({3, 2, 4, 4}, gen);
  Tensor gamma = Tensor::uniform({2}, gen, 0.5f, 1.5f), beta = Tensor::randn({2}, gen);
  Tensor rm = Tensor::randn({2}, gen), rv = Tensor::uniform({2}, gen, 0.5f, 2.f);
  std::vector<float> all = batch_norm2d(x, gamma, beta, rm, rv, false).to_vector();
  std::vector<float> xv = x.to_vector();
  std::vector<float> first(xv.begin(), xv.begin() + 32);
  std::vector<float> alone =
      batch_norm2d(Tensor::from_vector(first, {1, 2, 4, 4}), gamma, beta, rm, rv, false).to_vector();
  for (int i = 0; i < 32; ++i) CHECK(alone[i] == all[i]);
}

TEST_CASE("gradcheck: dropout with a fixed seed is a fixed linear map") {
  Generator gen(15);
  Tensor x = param({2, 3, 5, 3}, gen);
  auto f = [](const std::vector<Tensor>& in) { return dropout(in[0], 0.3f, true, 99, 7); };
  expect_gradients_match("dropout", f, {x});
}

TEST_CASE("gradcheck: relu, also behind a convolution (kinks skipped)") {
  Generator gen(16);
  Tensor x = away_from_zero({2, 3, 4, 5}, gen);
  expect_gradients_match("relu", [](const std::vector<Tensor>& in) { return relu(in[0]); }, {x});

  Tensor x2 = param({1, 2, 6, 5}, gen);
  Tensor w = param({3, 2, 3, 3}, gen, 0.5f);
  GradCheckOptions options;
  options.skip_kinks = true;
  expect_gradients_match(
      "conv -> relu",
      [](const std::vector<Tensor>& in) { return relu(conv2d(in[0], in[1], Tensor(), 1, 1)); },
      {x2, w}, options);
}

TEST_CASE("gradcheck: max_pool2d (2/2 and ResNet's 3/2 padding 1)") {
  GradCheckOptions options;
  options.skip_kinks = true;  // ties within +-h would switch the winner
  Generator gen(17);
  Tensor a = param({2, 3, 7, 6}, gen);
  expect_gradients_match("max_pool2d k2 s2",
                         [](const std::vector<Tensor>& in) { return max_pool2d(in[0], 2, 2); }, {a},
                         options);
  Tensor b = param({1, 2, 7, 9}, gen);
  expect_gradients_match("max_pool2d k3 s2 p1",
                         [](const std::vector<Tensor>& in) { return max_pool2d(in[0], 3, 2, 1); },
                         {b}, options);
}

TEST_CASE("gradcheck: avg_pool2d and global average pooling") {
  Generator gen(18);
  Tensor a = param({2, 3, 7, 6}, gen);
  expect_gradients_match("avg_pool2d k2 s2",
                         [](const std::vector<Tensor>& in) { return avg_pool2d(in[0], 2, 2); }, {a});
  Tensor b = param({1, 2, 7, 5}, gen);
  expect_gradients_match("avg_pool2d k3 s2 p1",
                         [](const std::vector<Tensor>& in) { return avg_pool2d(in[0], 3, 2, 1); }, {b});
  Tensor c = param({2, 5, 3, 7}, gen);
  expect_gradients_match("global_avg_pool2d",
                         [](const std::vector<Tensor>& in) { return global_avg_pool2d(in[0]); }, {c});
}

TEST_CASE("gradcheck: linear with and without bias, batch 1") {
  Generator gen(19);
  for (int N : {1, 3}) {
    Tensor x = param({N, 5}, gen), w = param({4, 5}, gen), b = param({4}, gen);
    expect_gradients_match("linear N=" + std::to_string(N),
                           [](const std::vector<Tensor>& in) { return linear(in[0], in[1], in[2]); },
                           {x, w, b});
    expect_gradients_match("linear without bias",
                           [](const std::vector<Tensor>& in) { return linear(in[0], in[1], Tensor()); },
                           {x, w});
  }
}

TEST_CASE("gradcheck: add, also of a tensor with itself (gradients accumulate)") {
  Generator gen(20);
  Tensor a = param({2, 3, 2, 3}, gen), b = param({2, 3, 2, 3}, gen);
  expect_gradients_match("add", [](const std::vector<Tensor>& in) { return add(in[0], in[1]); },
                         {a, b});
  expect_gradients_match("add(x, x)",
                         [](const std::vector<Tensor>& in) { return add(in[0], in[0]); }, {a});
  // A residual block's shape: relu(x + conv(x)) uses x twice.
  Tensor x = away_from_zero({1, 2, 4, 4}, gen), w = param({2, 2, 3, 3}, gen, 0.3f);
  GradCheckOptions options;
  options.skip_kinks = true;
  expect_gradients_match(
      "residual",
      [](const std::vector<Tensor>& in) { return relu(add(in[0], conv2d(in[0], in[1], Tensor(), 1, 1))); },
      {x, w}, options);
}

TEST_CASE("gradcheck: concat_channels, flatten") {
  Generator gen(21);
  Tensor a = param({2, 1, 3, 2}, gen), b = param({2, 2, 3, 2}, gen), c = param({2, 3, 3, 2}, gen);
  expect_gradients_match("concat_channels",
                         [](const std::vector<Tensor>& in) { return concat_channels({in[0], in[1], in[2]}); },
                         {a, b, c});
  Tensor x = param({3, 2, 2, 3}, gen), w = param({4, 12}, gen);
  expect_gradients_match("flatten -> linear",
                         [](const std::vector<Tensor>& in) { return linear(flatten(in[0]), in[1], Tensor()); },
                         {x, w});
}

TEST_CASE("gradcheck: concat_batch_norm_relu_conv2d, 1x1 and 3x3 (kinks skipped)") {
  Generator gen(23);
  Tensor a = param({2, 3, 4, 5}, gen), b = param({2, 2, 4, 5}, gen);
  Tensor gamma = Tensor::uniform({5}, gen, 0.5f, 1.5f).set_requires_grad(true);
  Tensor beta = param({5}, gen, 0.5f);
  Tensor rm = Tensor::zeros({5}), rv = Tensor::ones({5});
  GradCheckOptions options;
  options.skip_kinks = true;
  for (int kernel : {1, 3}) {
    Tensor w = param({4, 5, kernel, kernel}, gen, 0.5f);
    for (bool training : {true, false}) {
      auto f = [&](const std::vector<Tensor>& in) {
        return concat_batch_norm_relu_conv2d({in[0], in[1]}, in[2], in[3], rm, rv, in[4], training,
                                             0.1f, 1e-5f, 1, kernel / 2);
      };
      expect_gradients_match("concat_batch_norm_relu_conv2d " + std::to_string(kernel) + "x" +
                                 std::to_string(kernel) + (training ? " (train)" : " (eval)"),
                             f, {a, b, gamma, beta, w}, options);
    }
  }
}

// The recomputing op against the three ops it replaces, on every host
// backend and on the CUDA kernels under the SIMT emulation: the same values,
// and the running statistics updated once. (The op adds no kernel: it calls
// the table's concatenation, batch norm + ReLU and convolution kernels,
// each compared with the reference on its own elsewhere.)
TEST_CASE("concat_batch_norm_relu_conv2d is conv2d(batch_norm2d_relu(concat_channels))") {
  std::vector<const KernelTable*> backends = host_backends();
  backends.push_back(&cuda_emulated::kernel_table());
  for (const KernelTable* backend : backends) {
    HostBackendScope scope(*backend);
    INFO(backend->name);
    Generator gen(24);
    std::vector<Tensor> xs{Tensor::randn({3, 4, 5, 6}, gen).set_requires_grad(true),
                           Tensor::randn({3, 2, 5, 6}, gen).set_requires_grad(true),
                           Tensor::randn({3, 3, 5, 6}, gen).set_requires_grad(true)};
    Tensor gamma = Tensor::uniform({9}, gen, 0.5f, 1.5f).set_requires_grad(true);
    Tensor beta = Tensor::randn({9}, gen).set_requires_grad(true);
    Tensor w = Tensor::randn({7, 9, 1, 1}, gen).set_requires_grad(true);
    Tensor r = Tensor::randn({3, 7, 5, 6}, gen);  // dL/dy
    std::vector<std::vector<float>> results[2];
    for (int fused = 0; fused < 2; ++fused) {
      Tensor rm = Tensor::zeros({9}), rv = Tensor::ones({9});
      for (Tensor t : {xs[0], xs[1], xs[2], gamma, beta, w}) t.zero_grad();
      Tensor y = fused ? concat_batch_norm_relu_conv2d(xs, gamma, beta, rm, rv, w, true)
                       : conv2d(batch_norm2d_relu(concat_channels(xs), gamma, beta, rm, rv, true),
                                w, Tensor());
      y.backward(r);
      results[fused] = {y.to_vector(),          xs[0].grad().to_vector(), xs[1].grad().to_vector(),
                        xs[2].grad().to_vector(), gamma.grad().to_vector(), beta.grad().to_vector(),
                        w.grad().to_vector(),     rm.to_vector(),           rv.to_vector()};
    }
    const char* names[] = {"y",      "dx0",   "dx1", "dx2",          "dgamma",
                           "dbeta", "dw", "running_mean", "running_var"};
    for (int i = 0; i < 9; ++i) {
      INFO(names[i]);
      REQUIRE(results[0][i].size() == results[1][i].size());
      double worst = 0, scale = 1;
      for (size_t j = 0; j < results[0][i].size(); ++j) {
        worst = std::max(worst, std::fabs(double(results[0][i][j]) - results[1][i][j]));
        scale = std::max(scale, std::fabs(double(results[0][i][j])));
      }
      // The same kernels on the same numbers: equal up to the order of a sum.
      CHECK(worst <= 1e-5 * scale);
    }
  }
}

TEST_CASE("gradcheck: log_softmax and weighted cross-entropy with label smoothing") {
  Generator gen(22);
  Tensor x = param({3, 7}, gen, 2.f);
  expect_gradients_match("log_softmax",
                         [](const std::vector<Tensor>& in) { return log_softmax(in[0]); }, {x});
  Tensor weights = Tensor::from_vector({1.5719f, 1.0f, 0.4677f, 4.4696f, 0.4618f, 0.0767f, 3.6197f}, {7});
  std::vector<int32_t> targets{3, 0, 5};
  for (float smoothing : {0.f, 0.1f}) {
    expect_gradients_match("cross_entropy smoothing=" + std::to_string(smoothing),
                           [&](const std::vector<Tensor>& in) {
                             return cross_entropy(in[0], targets, weights, smoothing);
                           },
                           {x});
  }
  Tensor one = param({1, 7}, gen);
  expect_gradients_match("cross_entropy batch 1",
                         [](const std::vector<Tensor>& in) { return cross_entropy(in[0], {2}, Tensor()); },
                         {one});
}
