// Every function of the fast CPU backend against the reference, on random
// inputs of awkward shapes (odd sizes, batch 1, stride 2, padding, groups).
// Outputs start as NaN so that an element a kernel forgets to write fails.
//
// Tolerance: 1e-4 relative to the output's largest magnitude (at least 1).
// The CPU kernels sum in float (blocked by Eigen, partial sums per row or
// plane), the reference in double; a float sum of K products has a relative
// error of about K * 6e-8 in the worst case and sqrt(K) * 6e-8 typically, and
// K stays below 1000 here. Winograd F(4x4, 3x3) (3x3 stride-1 layers with
// 32 channels or more) rounds more: its transforms multiply by up to 8 and
// 1/24, and its worst error here is about 1e-5 (C = 64), still a tenth of
// the tolerance.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "engine/generator.h"
#include "kernels/cpu/cpu.h"
#include "kernels/reference/reference.h"

using namespace cudagrad;

namespace {

const KernelTable& ref = reference::kernel_table();
// The vector target under test: each comparison runs once per target of this
// build that the CPU supports (for_each_target).
const KernelTable* fast = nullptr;

template <class Body>
void for_each_target(Body body) {
  for (const cpu::VectorTarget& t : cpu::vector_targets()) {
    if (!t.supported) continue;
    INFO("vector target " << t.name);
    fast = t.table;
    body();
  }
  fast = nullptr;
}

std::vector<float> random_vector(size_t n, uint64_t seed, float scale = 1.f) {
  Generator g(seed);
  std::vector<float> v(n);
  for (float& x : v) x = scale * g.normal();
  return v;
}

std::vector<float> nans(size_t n) { return std::vector<float>(n, std::nanf("")); }

void expect_close(const std::string& what, const std::vector<float>& want,
                  const std::vector<float>& got, double rtol = 1e-4) {
  REQUIRE(want.size() == got.size());
  double scale = 1.0, worst = 0.0;
  size_t worst_at = 0;
  for (float w : want) scale = std::max(scale, static_cast<double>(std::fabs(w)));
  for (size_t i = 0; i < want.size(); ++i) {
    double err = std::isnan(got[i]) ? std::numeric_limits<double>::infinity()
                                    : std::fabs(static_cast<double>(want[i]) - got[i]) / scale;
    if (err > worst) {
      worst = err;
      worst_at = i;
    }
  }
  INFO(what << ": worst error " << worst / rtol << " of tolerance at [" << worst_at << "] (want "
            << want[worst_at] << ", got " << got[worst_at] << ")");
  CHECK(worst <= rtol);
}

struct ConvCase {
  int N, C_in, H, W, C_out, kernel, stride, padding, groups;
};

Conv2dShape shape_of(const ConvCase& c) {
  Conv2dShape s;
  s.N = c.N; s.C_in = c.C_in; s.H = c.H; s.W = c.W; s.C_out = c.C_out;
  s.kernel = c.kernel; s.stride = c.stride; s.padding = c.padding; s.groups = c.groups;
  return s;
}

std::string label(const ConvCase& c) {
  return "N" + std::to_string(c.N) + " C" + std::to_string(c.C_in) + "->" + std::to_string(c.C_out) +
         " " + std::to_string(c.H) + "x" + std::to_string(c.W) + " k" + std::to_string(c.kernel) +
         " s" + std::to_string(c.stride) + " p" + std::to_string(c.padding) + " g" +
         std::to_string(c.groups);
}

// Runs forward and both backward functions of one convolution flavour on
// both backends and compares every output.
void compare_conv(const ConvCase& c, bool depthwise) {
  const Conv2dShape s = shape_of(c);
  const size_t nx = size_t(s.N) * s.C_in * s.H * s.W;
  const size_t nw = size_t(s.C_out) * (s.C_in / s.groups) * s.kernel * s.kernel;
  const size_t ny = size_t(s.N) * s.C_out * s.H_out() * s.W_out();
  auto x = random_vector(nx, 1), w = random_vector(nw, 2, 0.3f), b = random_vector(s.C_out, 3);
  auto dy = random_vector(ny, 4);
  auto run = [&](const KernelTable& k, std::vector<float>& y, std::vector<float>& dx,
                 std::vector<float>& dw, std::vector<float>& db) {
    y = nans(ny); dx = nans(nx); dw = nans(nw); db = nans(s.C_out);
    if (depthwise) {
      k.depthwise_conv2d_forward(s, x.data(), w.data(), b.data(), y.data());
      k.depthwise_conv2d_backward_input(s, dy.data(), w.data(), dx.data());
      k.depthwise_conv2d_backward_weight(s, x.data(), dy.data(), dw.data(), db.data());
    } else {
      k.conv2d_forward(s, x.data(), w.data(), b.data(), y.data());
      k.conv2d_backward_input(s, dy.data(), w.data(), dx.data());
      k.conv2d_backward_weight(s, x.data(), dy.data(), dw.data(), db.data());
    }
  };
  std::vector<float> y1, dx1, dw1, db1, y2, dx2, dw2, db2;
  run(ref, y1, dx1, dw1, db1);
  run(*fast, y2, dx2, dw2, db2);
  const std::string name = (depthwise ? "depthwise " : "conv2d ") + label(c);
  expect_close(name + " forward", y1, y2);
  expect_close(name + " backward input", dx1, dx2);
  expect_close(name + " backward weight", dw1, dw2);
  expect_close(name + " backward bias", db1, db2);
}

}  // namespace

TEST_CASE("cpu backend: every vector target of the build is listed, the CPU's run") {
  const auto& targets = cpu::vector_targets();
  REQUIRE(!targets.empty());
  std::string ran, skipped;
  for (const cpu::VectorTarget& t : targets) {
    INFO("vector target " << t.name);
    // A supported target has its table, named after it; an unsupported one
    // none (building it would run instructions this CPU lacks).
    CHECK((t.table != nullptr) == t.supported);
    if (t.supported) CHECK(std::string(t.table->name) == std::string("cpu:") + t.name);
    std::string& list = t.supported ? ran : skipped;
    list += (list.empty() ? "" : ", ") + std::string(t.name);
  }
  // The last target is the architecture's baseline, which every CPU of it runs.
  CHECK(targets.back().supported);
  MESSAGE("vector targets checked against the reference: " << ran << "; skipped, this CPU lacks them: "
                                                           << (skipped.empty() ? "none" : skipped));
  const cpu::VectorTarget& active = cpu::active_vector_target();
  CHECK(active.supported);
  CHECK(&cpu::kernel_table() == active.table);
  const char* forced = std::getenv("CUDAGRAD_CPU_TARGET");
  if (forced && *forced) {
    CHECK(std::string(active.name) == forced);
  } else {
    for (const cpu::VectorTarget& t : targets)
      if (t.supported) {
        CHECK(&t == &active);  // the best supported target is the default
        break;
      }
  }
}

TEST_CASE("cpu backend: the vector helpers move every lane where it belongs, on every target") {
  // Transposes, the stride-2 shuffles, strided loads and sums, run in each
  // target's own instructions and lane count (kernels/cpu/self_check.cpp).
  for (const cpu::VectorTarget& t : cpu::vector_targets()) {
    if (!t.supported) continue;
    INFO("vector target " << t.name);
    CHECK(t.self_check() == 0);
  }
}

TEST_CASE("cpu backend: conv2d matches the reference") {
  for_each_target([&] {
    const ConvCase cases[] = {
        {2, 3, 7, 5, 4, 3, 1, 1, 1},   {1, 3, 6, 7, 5, 3, 2, 0, 1},  {2, 4, 5, 5, 6, 3, 2, 1, 2},
        {3, 5, 4, 6, 7, 1, 1, 0, 1},   {2, 6, 5, 4, 4, 1, 2, 0, 2},  {1, 2, 9, 8, 3, 5, 2, 2, 1},
        {5, 3, 11, 9, 6, 7, 2, 3, 1},  {4, 8, 3, 3, 8, 3, 1, 1, 4},  {1, 1, 1, 1, 2, 1, 1, 0, 1},
        // stride 1 with few channels: the direct kernel (k = 3, 5, 7; rows
        // shorter and longer than one 16-lane vector; padding 0 to k-1)
        {2, 6, 12, 11, 16, 5, 1, 2, 1}, {3, 5, 9, 20, 9, 5, 1, 0, 1},  {1, 4, 8, 8, 3, 7, 1, 3, 1},
        {2, 20, 6, 7, 4, 3, 1, 1, 1},  {1, 3, 5, 37, 17, 3, 1, 2, 1},
        // im2col at stride 1 (the copying fast path): blocks spanning images,
        // and an image larger than one block
        {2, 18, 9, 13, 20, 3, 1, 1, 1}, {1, 40, 30, 30, 20, 3, 1, 1, 1},
        // 3x3 stride 1 with 32 channels or more: Winograd, padding 0 to 2,
        // outputs that do not fill the last 4x4 tile, images of one tile row,
        // and one large enough to need several blocks
        {2, 32, 9, 11, 33, 3, 1, 1, 1}, {3, 33, 6, 5, 32, 3, 1, 0, 1},  {1, 35, 13, 17, 40, 3, 1, 2, 1},
        {4, 48, 3, 3, 32, 3, 1, 1, 1},  {2, 64, 40, 36, 64, 3, 1, 1, 1},
        // ... and with at least as many tiles as input channels, so that the
        // weight gradient is Winograd's too
        {8, 32, 9, 11, 33, 3, 1, 1, 1}, {6, 33, 13, 17, 40, 3, 1, 2, 1}, {10, 32, 10, 7, 32, 3, 1, 0, 1},
        // 1x1 stride 1 on images of 196 positions or more: one product per image
        {2, 5, 14, 15, 7, 1, 1, 0, 1},  {3, 20, 16, 16, 33, 1, 1, 0, 1}, {1, 8, 20, 10, 4, 1, 1, 0, 1},
        // stride 2 with rows long enough for the 16-lane im2col and col2im
        // steps (ResNet's stem, its stride-2 3x3 and 1x1 layers), with vector
        // steps that end exactly at the tensor's last float (k1 W64, k3 p0
        // W65): the sanitizer build checks they read nothing past it
        {2, 3, 9, 75, 8, 7, 2, 3, 1},   {1, 20, 6, 67, 24, 3, 2, 1, 1}, {2, 16, 5, 66, 8, 1, 2, 0, 1},
        {1, 2, 2, 64, 3, 1, 2, 0, 1},   {1, 2, 3, 65, 3, 3, 2, 0, 1},
    };
    for (const ConvCase& c : cases) compare_conv(c, false);
  });
}

TEST_CASE("cpu backend: depthwise conv2d matches the reference") {
  for_each_target([&] {
    const ConvCase cases[] = {
        {2, 3, 6, 5, 3, 3, 1, 1, 3}, {1, 5, 7, 6, 5, 3, 2, 1, 5}, {3, 4, 8, 8, 4, 3, 2, 0, 4},
        {2, 2, 5, 9, 2, 5, 1, 2, 2}, {1, 7, 1, 1, 7, 3, 1, 1, 7},
        // rows longer than one vector, stride 2 and 3 (the strided loads), 5x5
        {2, 3, 9, 37, 3, 3, 2, 1, 3}, {1, 2, 11, 40, 2, 3, 3, 1, 2}, {2, 4, 20, 33, 4, 5, 1, 2, 4},
    };
    for (const ConvCase& c : cases) compare_conv(c, true);
  });
}

TEST_CASE("cpu backend: batch norm matches the reference") {
  for_each_target([&] {
    // Planes shorter than one 16-float vector, whole vectors, and vectors plus a tail.
    for (BatchNormShape s : {BatchNormShape{2, 3, 5, 4}, BatchNormShape{1, 5, 3, 7},
                             BatchNormShape{4, 2, 1, 1}, BatchNormShape{3, 2, 16, 16},
                             BatchNormShape{2, 3, 9, 7}}) {
      const size_t n = size_t(s.N) * s.C * s.H * s.W;
      auto x = random_vector(n, 5, 3.f), dy = random_vector(n, 6);
      for (float& v : x) v += 2.f;  // a mean far from zero
      auto gamma = random_vector(s.C, 7), beta = random_vector(s.C, 8);
      std::vector<float> outs[2][7];
      const KernelTable* tables[2] = {&ref, fast};
      for (int t = 0; t < 2; ++t) {
        auto& o = outs[t];
        std::vector<float> rm(s.C, 0.5f), rv(s.C, 2.f);
        o[0] = nans(n); o[1] = nans(s.C); o[2] = nans(s.C);
        tables[t]->batch_norm_forward_train(s, x.data(), gamma.data(), beta.data(), 1e-5f, 0.1f,
                                            rm.data(), rv.data(), o[0].data(), o[1].data(), o[2].data());
        o[3] = rm;
        o[4] = rv;
        std::vector<float> dx = nans(n), dg = nans(s.C), dbeta = nans(s.C);
        tables[t]->batch_norm_backward(s, dy.data(), x.data(), gamma.data(), o[1].data(), o[2].data(),
                                       dx.data(), dg.data(), dbeta.data());
        o[5] = dx;
        dx.insert(dx.end(), dg.begin(), dg.end());
        dx.insert(dx.end(), dbeta.begin(), dbeta.end());
        o[5] = dx;
        o[6] = nans(n);
        tables[t]->batch_norm_forward_eval(s, x.data(), gamma.data(), beta.data(), rm.data(), rv.data(),
                                           1e-5f, o[6].data());
      }
      const char* names[7] = {"y", "mean", "invstd", "running_mean", "running_var", "backward", "eval"};
      for (int i = 0; i < 7; ++i) expect_close(std::string("batch_norm ") + names[i], outs[0][i], outs[1][i]);

      // Fused with the ReLU after it; about half of y is clamped (beta ~ N(0, 1)).
      std::vector<float> fused[2][4];
      for (int t = 0; t < 2; ++t) {
        auto& o = fused[t];
        std::vector<float> rm(s.C, 0.5f), rv(s.C, 2.f), mean = nans(s.C), invstd = nans(s.C);
        o[0] = nans(n);
        tables[t]->batch_norm_relu_forward_train(s, x.data(), gamma.data(), beta.data(), 1e-5f, 0.1f,
                                                 rm.data(), rv.data(), o[0].data(), mean.data(),
                                                 invstd.data());
        o[1] = rv;
        o[2] = nans(n);
        std::vector<float> dg = nans(s.C), dbeta = nans(s.C);
        tables[t]->batch_norm_relu_backward(s, dy.data(), x.data(), o[0].data(), gamma.data(),
                                            mean.data(), invstd.data(), o[2].data(), dg.data(),
                                            dbeta.data());
        o[3] = dg;
        o[3].insert(o[3].end(), dbeta.begin(), dbeta.end());
      }
      const char* fused_names[4] = {"y", "running_var", "dx", "dgamma, dbeta"};
      for (int i = 0; i < 4; ++i)
        expect_close(std::string("batch_norm+relu ") + fused_names[i], fused[0][i], fused[1][i]);
    }
  });
}

TEST_CASE("cpu backend: pooling matches the reference, max-pool winners included") {
  for_each_target([&] {
    // Rows of 16 or more outputs take the vectorized path of the CPU max pool
    // (ResNet's 3x3 stride 2 padding 1, stride 1, and 2x2 stride 2, also with
    // a row of exactly 16 or 24 outputs: the sanitizer build checks that no
    // vector load reads past the tensor).
    for (Pool2dShape s : {Pool2dShape{2, 3, 7, 6, 2, 2, 0}, Pool2dShape{1, 2, 7, 9, 3, 2, 1},
                          Pool2dShape{3, 1, 5, 5, 3, 1, 1}, Pool2dShape{2, 3, 9, 45, 3, 2, 1},
                          Pool2dShape{1, 2, 6, 37, 3, 1, 1}, Pool2dShape{1, 2, 5, 70, 2, 2, 0},
                          Pool2dShape{1, 1, 2, 32, 2, 2, 0}, Pool2dShape{1, 2, 4, 48, 2, 2, 0}}) {
      const size_t nx = size_t(s.N) * s.C * s.H * s.W, ny = size_t(s.N) * s.C * s.H_out() * s.W_out();
      auto x = random_vector(nx, 9), dy = random_vector(ny, 10);
      x[3] = x[4];  // a tie
      for (size_t i = 20; i + 1 < nx; i += 7) x[i + 1] = x[i];  // ties inside the rows
      std::vector<float> y[2], dx[2], ay[2], adx[2];
      std::vector<int32_t> arg[2];
      const KernelTable* tables[2] = {&ref, fast};
      for (int t = 0; t < 2; ++t) {
        y[t] = nans(ny); dx[t] = nans(nx); ay[t] = nans(ny); adx[t] = nans(nx);
        arg[t].assign(ny, -7);
        tables[t]->max_pool2d_forward(s, x.data(), y[t].data(), arg[t].data());
        tables[t]->max_pool2d_backward(s, dy.data(), arg[t].data(), dx[t].data());
        tables[t]->avg_pool2d_forward(s, x.data(), ay[t].data());
        tables[t]->avg_pool2d_backward(s, dy.data(), adx[t].data());
      }
      CHECK(arg[0] == arg[1]);
      expect_close("max_pool forward", y[0], y[1]);
      expect_close("max_pool backward", dx[0], dx[1]);
      expect_close("avg_pool forward", ay[0], ay[1]);
      expect_close("avg_pool backward", adx[0], adx[1]);
    }
    const int N = 2, C = 3, HW = 35;
    auto x = random_vector(N * C * HW, 11), dy = random_vector(N * C, 12);
    std::vector<float> y[2] = {nans(N * C), nans(N * C)}, dx[2] = {nans(N * C * HW), nans(N * C * HW)};
    ref.global_avg_pool_forward(N, C, HW, x.data(), y[0].data());
    fast->global_avg_pool_forward(N, C, HW, x.data(), y[1].data());
    ref.global_avg_pool_backward(N, C, HW, dy.data(), dx[0].data());
    fast->global_avg_pool_backward(N, C, HW, dy.data(), dx[1].data());
    expect_close("global_avg_pool forward", y[0], y[1]);
    expect_close("global_avg_pool backward", dx[0], dx[1]);
  });
}

TEST_CASE("cpu backend: linear matches the reference") {
  for_each_target([&] {
    for (LinearShape s : {LinearShape{3, 5, 4}, LinearShape{1, 17, 9}, LinearShape{8, 130, 7}}) {
      auto x = random_vector(size_t(s.N) * s.in, 13), w = random_vector(size_t(s.out) * s.in, 14);
      auto b = random_vector(s.out, 15), dy = random_vector(size_t(s.N) * s.out, 16);
      std::vector<float> out[2][4];
      const KernelTable* tables[2] = {&ref, fast};
      for (int t = 0; t < 2; ++t) {
        auto& o = out[t];
        o[0] = nans(size_t(s.N) * s.out); o[1] = nans(size_t(s.N) * s.in);
        o[2] = nans(size_t(s.out) * s.in); o[3] = nans(s.out);
        tables[t]->linear_forward(s, x.data(), w.data(), b.data(), o[0].data());
        tables[t]->linear_backward_input(s, dy.data(), w.data(), o[1].data());
        tables[t]->linear_backward_weight(s, x.data(), dy.data(), o[2].data(), o[3].data());
      }
      const char* names[4] = {"forward", "backward input", "backward weight", "backward bias"};
      for (int i = 0; i < 4; ++i) expect_close(std::string("linear ") + names[i], out[0][i], out[1][i]);
    }
  });
}

TEST_CASE("cpu backend: elementwise, dropout, concat and optimizers match the reference") {
  for_each_target([&] {
    const int64_t n = 100003;  // above the parallel threshold, and odd
    auto a = random_vector(n, 17), b = random_vector(n, 18);
    const KernelTable* tables[2] = {&ref, fast};
    std::vector<float> r[2][7];
    for (int t = 0; t < 2; ++t) {
      const KernelTable& k = *tables[t];
      auto& o = r[t];
      for (auto& v : o) v = nans(n);
      k.add(n, a.data(), b.data(), o[0].data());
      o[1] = b;
      k.accumulate(n, a.data(), o[1].data());
      k.relu_forward(n, a.data(), o[2].data());
      k.relu_backward(n, a.data(), b.data(), o[3].data());
      std::vector<float> mask = nans(n);
      k.dropout_forward(n, 0.3f, 42, 1000, a.data(), o[4].data(), mask.data());
      k.dropout_backward(n, b.data(), mask.data(), o[5].data());
      k.fill(n, 0.25f, o[6].data());
    }
    const char* names[7] = {"add", "accumulate", "relu", "relu backward", "dropout", "dropout backward",
                            "fill"};
    for (int i = 0; i < 7; ++i) expect_close(names[i], r[0][i], r[1][i], 0.0);  // exact

    // concat of (2, 1, 6), (2, 3, 6) -> (2, 4, 6) and back
    auto c0 = random_vector(12, 19), c1 = random_vector(36, 20);
    const float* inputs[2] = {c0.data(), c1.data()};
    const int channels[2] = {1, 3};
    std::vector<float> cat[2] = {nans(48), nans(48)};
    std::vector<float> back0[2] = {nans(12), nans(12)}, back1[2] = {nans(36), nans(36)};
    for (int t = 0; t < 2; ++t) {
      tables[t]->concat_channels_forward(2, 6, 2, inputs, channels, cat[t].data());
      float* outs[2] = {back0[t].data(), back1[t].data()};
      tables[t]->concat_channels_backward(2, 6, 2, cat[t].data(), channels, outs);
    }
    // The step's count of non-finite values (the vectorized |x| <= FLT_MAX
    // test against the reference's std::isfinite): exact, and it adds.
    {
      std::vector<float> x = a;
      x[0] = std::numeric_limits<float>::quiet_NaN();
      x[n / 2] = std::numeric_limits<float>::infinity();
      x[n - 1] = -std::numeric_limits<float>::infinity();
      x[n / 3] = std::numeric_limits<float>::max();
      float counts[2] = {1.f, 1.f};
      for (int t = 0; t < 2; ++t) tables[t]->count_non_finite(n, x.data(), &counts[t]);
      CHECK(counts[0] == 4.f);
      CHECK(counts[1] == 4.f);
    }
    expect_close("concat", cat[0], cat[1], 0.0);
    expect_close("concat backward", back0[0], back0[1], 0.0);
    expect_close("concat backward", back1[0], back1[1], 0.0);
    CHECK(back0[1] == c0);
    CHECK(back1[1] == c1);

    // Three steps of each optimizer flavour; the reference computes in double,
    // the CPU backend in float like PyTorch: agree to float rounding.
    for (int flavour = 0; flavour < 5; ++flavour) {
      std::vector<float> p[2], s1[2], s2[2];
      for (int t = 0; t < 2; ++t) {
        p[t] = a; s1[t].assign(n, 0.f); s2[t].assign(n, 0.f);
        for (int step = 1; step <= 3; ++step) {
          const KernelTable& k = *tables[t];
          switch (flavour) {
            case 0: k.sgd_step(n, p[t].data(), b.data(), s1[t].data(), 0.1f, 0.9f, 0.f, false); break;
            case 1: k.sgd_step(n, p[t].data(), b.data(), s1[t].data(), 0.1f, 0.9f, 1e-2f, true); break;
            case 2: k.sgd_step(n, p[t].data(), b.data(), s1[t].data(), 0.1f, 0.f, 1e-2f, false); break;
            case 3: k.adam_step(n, p[t].data(), b.data(), s1[t].data(), s2[t].data(), 1e-3f, 0.9f, 0.999f, 1e-8f, 1e-2f, false, step); break;
            case 4: k.adam_step(n, p[t].data(), b.data(), s1[t].data(), s2[t].data(), 1e-3f, 0.9f, 0.999f, 1e-8f, 1e-2f, true, step); break;
          }
        }
      }
      expect_close("optimizer flavour " + std::to_string(flavour), p[0], p[1], 1e-5);
    }
  });
}

TEST_CASE("cpu backend: the caching allocator reuses freed blocks") {
  cpu::release_cached_memory();
  const size_t before = cpu::allocator_stats().reserved;
  void* a = cpu::allocate(1 << 20);
  cpu::deallocate(a);
  void* b = cpu::allocate(1 << 20);  // same size: the cached block comes back
  CHECK(a == b);
  CHECK(cpu::allocator_stats().reserved == before + (1 << 20));
  CHECK(cpu::allocator_stats().allocated >= (1 << 20));
  cpu::deallocate(b);
  cpu::release_cached_memory();
  CHECK(cpu::allocator_stats().reserved == before);
}
