// Known-answer tests for the reference kernels (kernels/reference), the
// backend every other one is compared with. The expected numbers are worked
// out by hand in the comments beside them; a few tests check identities that
// must hold on random data instead (a backward pass is the adjoint of its
// forward pass, depthwise equals grouped convolution, batch norm output has
// mean 0 and variance 1). Output buffers start as NaN, so an element a
// kernel forgets to write fails the comparison.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "kernels/philox.h"
#include "kernels/reference/reference.h"

using namespace cudagrad;
namespace ref = cudagrad::reference;

namespace {

using Floats = std::vector<float>;

// A buffer of n NaNs for a kernel to overwrite.
Floats poisoned(size_t n) { return Floats(n, std::numeric_limits<float>::quiet_NaN()); }

Floats random_floats(size_t n, uint32_t seed, float lo = -1.f, float hi = 1.f) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  Floats v(n);
  for (float& x : v) x = dist(gen);
  return v;
}

double dot(const Floats& a, const Floats& b) {
  double sum = 0.0;
  for (size_t i = 0; i < a.size(); ++i) sum += double(a[i]) * b[i];
  return sum;
}

// Elementwise |got - want| / max(1, |want|) <= tol; reports the worst element
// and its error as a fraction of tol, so a near miss is visible. NaN fails.
void expect_close(const Floats& got, const Floats& want, double tol = 1e-5) {
  REQUIRE(got.size() == want.size());
  double worst = 0.0;
  size_t where = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    double err = std::abs(double(got[i]) - want[i]) / std::max(1.0, std::abs(double(want[i])));
    if (std::isnan(err)) err = std::numeric_limits<double>::infinity();
    if (err > worst) worst = err, where = i;
  }
  CHECK_MESSAGE(worst <= tol, "worst error " << worst / tol << " x tolerance at [" << where
                                             << "]: got " << got[where] << ", want "
                                             << want[where]);
}

void expect_close(double got, double want, double tol) {
  CHECK_MESSAGE(std::abs(got - want) <= tol * std::max(1.0, std::abs(want)),
                "got " << got << ", want " << want);
}

// Conv2dShape fields in order: N, C_in, H, W, C_out, kernel, stride, padding, groups.
size_t x_size(const Conv2dShape& s) { return size_t(s.N) * s.C_in * s.H * s.W; }
size_t w_size(const Conv2dShape& s) {
  return size_t(s.C_out) * (s.C_in / s.groups) * s.kernel * s.kernel;
}
size_t y_size(const Conv2dShape& s) { return size_t(s.N) * s.C_out * s.H_out() * s.W_out(); }

}  // namespace

TEST_CASE("reference: the kernel table fills every field") {
  const KernelTable& t = ref::kernel_table();
  CHECK(std::strcmp(t.name, "reference") == 0);
  // Every member is a pointer of one size, so the table reads as an array of
  // words; a field added to KernelTable and forgotten in table.cpp is 0.
  static_assert(sizeof(KernelTable) % sizeof(void*) == 0, "KernelTable holds only pointers");
  std::vector<uintptr_t> words(sizeof(KernelTable) / sizeof(void*));
  std::memcpy(words.data(), &t, sizeof(KernelTable));
  for (size_t i = 0; i < words.size(); ++i) {
    CAPTURE(i);
    CHECK(words[i] != 0);
  }
}

TEST_CASE("reference: host memory is 64-byte aligned and copies round-trip") {
  for (size_t bytes : {size_t(0), size_t(1), size_t(63), size_t(64), size_t(1000)}) {
    void* p = ref::allocate(bytes);
    REQUIRE(p != nullptr);
    CHECK(reinterpret_cast<uintptr_t>(p) % 64 == 0);
    ref::deallocate(p);
  }
  Floats src = {1.f, -2.f, 3.5f}, back = poisoned(3);
  float* a = static_cast<float*>(ref::allocate(3 * sizeof(float)));
  float* b = static_cast<float*>(ref::allocate(3 * sizeof(float)));
  ref::copy_from_host(a, src.data(), 3 * sizeof(float));
  ref::copy(b, a, 3 * sizeof(float));
  ref::copy_to_host(back.data(), b, 3 * sizeof(float));
  expect_close(back, src, 0.0);
  ref::deallocate(a);
  ref::deallocate(b);
}

TEST_CASE("reference: Philox-4x32-10 matches the Random123 known-answer vector") {
  // Random123 kat_vectors: "philox4x32 10", counter 0, key 0.
  const Philox4 r = philox4x32_10(0, 0);
  CHECK(r.v[0] == 0x6627e8d5u);
  CHECK(r.v[1] == 0xe169c58du);
  CHECK(r.v[2] == 0xbc57ac4cu);
  CHECK(r.v[3] == 0x9b00dbd8u);
  // Its uniform float is the first word's top 24 bits over 2^24.
  CHECK(philox_uniform(0, 0) == float(0x6627e8d5u >> 8) / 16777216.f);
}

TEST_CASE("reference: elementwise, ReLU and concatenation") {
  Floats y = poisoned(3);
  ref::fill(3, 2.5f, y.data());
  expect_close(y, {2.5f, 2.5f, 2.5f}, 0.0);
  ref::add(3, Floats{1, 2, 3}.data(), Floats{10, -2, 0.5f}.data(), y.data());
  expect_close(y, {11, 0, 3.5f}, 0.0);
  ref::accumulate(3, Floats{1, 1, -1}.data(), y.data());
  expect_close(y, {12, 1, 2.5f}, 0.0);

  const Floats x = {-1.f, 0.f, 2.f}, dy = {5.f, 6.f, 7.f};
  ref::relu_forward(3, x.data(), y.data());
  expect_close(y, {0, 0, 2}, 0.0);
  ref::relu_backward(3, x.data(), dy.data(), y.data());
  expect_close(y, {0, 0, 7}, 0.0);  // no gradient at the kink x == 0

  // N = 2, HW = 2: a has 1 channel, b has 2; y (2, 3, 2) interleaves per sample.
  const Floats a = {1, 2, /*n=1*/ 3, 4}, b = {10, 11, 12, 13, /*n=1*/ 14, 15, 16, 17};
  const float* inputs[] = {a.data(), b.data()};
  const int channels[] = {1, 2};
  Floats cat = poisoned(12);
  ref::concat_channels_forward(2, 2, 2, inputs, channels, cat.data());
  expect_close(cat, {1, 2, 10, 11, 12, 13, 3, 4, 14, 15, 16, 17}, 0.0);
  Floats da = poisoned(4), db = poisoned(8);
  float* dxs[] = {da.data(), db.data()};
  ref::concat_channels_backward(2, 2, 2, cat.data(), channels, dxs);
  expect_close(da, a, 0.0);
  expect_close(db, b, 0.0);
}

TEST_CASE("reference: dropout keeps element i iff philox_uniform(seed, offset + i) >= p") {
  const int64_t n = 20000;
  const float p = 0.3f;
  const uint64_t seed = 42, offset = 1000;
  const Floats x = random_floats(n, 1, 0.5f, 1.5f);
  Floats y = poisoned(n), mask = poisoned(n);
  ref::dropout_forward(n, p, seed, offset, x.data(), y.data(), mask.data());
  int64_t kept = 0;
  for (int64_t i = 0; i < n; ++i) {
    const bool keep = philox_uniform(seed, offset + i) >= p;
    REQUIRE(mask[i] == (keep ? 1.f / (1.f - p) : 0.f));
    REQUIRE(y[i] == x[i] * mask[i]);
    kept += keep;
  }
  // The kept fraction is 1 - p = 0.7 give or take 4 standard deviations (0.013).
  CHECK(std::abs(double(kept) / n - 0.7) < 0.013);

  // The same generator position gives the same mask: element i at offset
  // 1000 is element i + 1000 at offset 0.
  Floats y0 = poisoned(n + 1000), mask0 = poisoned(n + 1000);
  const Floats x0(n + 1000, 1.f);
  ref::dropout_forward(n + 1000, p, seed, 0, x0.data(), y0.data(), mask0.data());
  CHECK(std::equal(mask.begin(), mask.end(), mask0.begin() + 1000));

  const Floats dy(n, 2.f);
  Floats dx = poisoned(n);
  ref::dropout_backward(n, dy.data(), mask.data(), dx.data());
  for (int64_t i = 0; i < n; ++i) REQUIRE(dx[i] == 2.f * mask[i]);
}

// A 3x3 image, 2x2 kernel, padding 1, stride 2 and 2 groups: C_in = 2,
// C_out = 4, outputs 0 and 1 see input channel 0, outputs 2 and 3 channel 1.
// With stride == kernel the 2x2 windows tile the zero-padded 4x4 image
// (rows/cols -1..2) without overlap: window (oh, ow) covers rows 2oh-1, 2oh
// and columns 2ow-1, 2ow. Its four windows over channel 0 and channel 1:
//   ch0 = 1 2 3    windows  [0 0]  [0 0]  [0 4]  [5 6]
//         4 5 6             [0 1]  [2 3]  [0 7]  [8 9]
//         7 8 9
//   ch1 = 1 -1 2   windows  [0 0]  [0  0]  [0  0]  [3 1]
//         0  3 1            [0 1]  [-1 2]  [0 -2]  [1 4]
//        -2  1 4
// and y[oc, oh, ow] = b[oc] + sum of w[oc] times window (oh, ow) elementwise.
TEST_CASE("reference: grouped conv2d on a hand-computed case") {
  const Conv2dShape s{1, 2, 3, 3, 4, 2, 2, 1, 2};
  REQUIRE(s.H_out() == 2);
  const Floats x = {1, 2, 3, 4, 5, 6, 7, 8, 9, /*ch1*/ 1, -1, 2, 0, 3, 1, -2, 1, 4};
  const Floats w = {1, 0, 0, 0,    // oc0: top-left tap
                    1, 2, 3, 4,    // oc1
                    0, 0, 0, 1,    // oc2: bottom-right tap
                    1, -1, 2, 1};  // oc3
  const Floats b = {0, -1, 0.5f, 0};
  Floats y = poisoned(y_size(s));
  ref::conv2d_forward(s, x.data(), w.data(), b.data(), y.data());
  expect_close(y, {0, 0, 0, 5,             // oc0: top-left of each window
                   3, 17, 35, 76,          // oc1: 4, 3*2+4*3, 2*4+4*7, 5+12+24+36; minus 1
                   1.5f, 2.5f, -1.5f, 4.5f,  // oc2: bottom-right of each window, plus 0.5
                   1, 0, -2, 8});          // oc3: 1, -1*2+2*1, -2*1, 3-1+2+4

  // Backward. Input row ih lies in window row oh = (ih+1)/2 under tap kh = (ih+1)%2
  // (same for columns), so dx[c, ih, iw] = sum_{oc in c's group} dy[oc, oh, ow] * w[oc, kh, kw].
  const Floats dy = {1, 2, 3, 4, /*oc1*/ 1, 0, 0, -1, /*oc2*/ 2, 0, 0, 1, /*oc3*/ 0, 1, 1, 0};
  Floats dx = poisoned(x_size(s));
  ref::conv2d_backward_input(s, dy.data(), w.data(), dx.data());
  // ch0: oc0 adds dy0[1,1]*1 = 4 at (1,1); oc1 adds dy1[0,0]*w1[1,1] = 4 at (0,0) and
  // dy1[1,1] = -1 times w1 = [1 2; 3 4] over (1..2, 1..2).
  // ch1: oc2 adds dy2 at the corners (2 at (0,0), 1 at (2,2)); oc3 adds
  // dy3[0,1] = 1 times w3's bottom row [2 1] at (0, 1..2) and dy3[1,0] = 1
  // times w3's right column [-1; 1] at (1..2, 0).
  expect_close(dx, {4, 0, 0, 0, 3, -2, 0, -3, -4, /*ch1*/ 2, 2, 1, -1, 0, 0, 1, 0, 1});

  // dw[oc] = sum_{oh, ow} dy[oc, oh, ow] * window(oh, ow); db[oc] = sum dy[oc].
  Floats dw = poisoned(w_size(s)), db = poisoned(4);
  ref::conv2d_backward_weight(s, x.data(), dy.data(), dw.data(), db.data());
  expect_close(dw, {20, 36, 36, 64,   // 1*W00 + 2*W01 + 3*W10 + 4*W11 of channel 0
                    -5, -6, -8, -8,   // W00 - W11
                    3, 1, 1, 6,       // 2*V00 + V11 of channel 1
                    0, 0, -1, 0});    // V01 + V10
  expect_close(db, {10, 0, 3, 2});
}

// For a linear map y = A x, the backward pass computes A^T dy, so
// <A x, dy> == <x, A^T dy> for any x and dy. Conv is linear in x and in w
// separately, which checks both backward passes on shapes too big to do by hand.
TEST_CASE("reference: conv2d backward passes are the adjoints of the forward pass") {
  const Conv2dShape shapes[] = {
      {2, 4, 5, 6, 6, 3, 1, 1, 2},  // N, C_in, H, W, C_out, k, stride, padding, groups
      {1, 3, 7, 5, 6, 3, 2, 1, 3},  {2, 2, 4, 4, 4, 2, 2, 0, 1},
      {1, 4, 6, 6, 8, 5, 2, 2, 4},  {1, 4, 5, 5, 4, 3, 1, 1, 4},
  };
  uint32_t seed = 10;
  for (const Conv2dShape& s : shapes) {
    INFO("C_in " << s.C_in << " C_out " << s.C_out << " k " << s.kernel << " stride " << s.stride
                 << " padding " << s.padding << " groups " << s.groups);
    const Floats x = random_floats(x_size(s), ++seed), w = random_floats(w_size(s), ++seed);
    const Floats dy = random_floats(y_size(s), ++seed);
    Floats y = poisoned(y_size(s)), dx = poisoned(x_size(s)), dw = poisoned(w_size(s));
    ref::conv2d_forward(s, x.data(), w.data(), nullptr, y.data());
    ref::conv2d_backward_input(s, dy.data(), w.data(), dx.data());
    ref::conv2d_backward_weight(s, x.data(), dy.data(), dw.data(), nullptr);
    expect_close(dot(y, dy), dot(x, dx), 1e-5);
    expect_close(dot(y, dy), dot(w, dw), 1e-5);
  }
}

TEST_CASE("reference: depthwise conv2d equals grouped conv2d with groups == C") {
  for (int stride : {1, 2}) {
    CAPTURE(stride);
    const Conv2dShape s{2, 3, 6, 5, 3, 3, stride, 1, 3};
    const Floats x = random_floats(x_size(s), 1), w = random_floats(w_size(s), 2);
    const Floats b = random_floats(3, 3), dy = random_floats(y_size(s), 4);
    Floats y1 = poisoned(y_size(s)), y2 = poisoned(y_size(s));
    ref::conv2d_forward(s, x.data(), w.data(), b.data(), y1.data());
    ref::depthwise_conv2d_forward(s, x.data(), w.data(), b.data(), y2.data());
    expect_close(y2, y1);
    Floats dx1 = poisoned(x_size(s)), dx2 = poisoned(x_size(s));
    ref::conv2d_backward_input(s, dy.data(), w.data(), dx1.data());
    ref::depthwise_conv2d_backward_input(s, dy.data(), w.data(), dx2.data());
    expect_close(dx2, dx1);
    Floats dw1 = poisoned(w_size(s)), dw2 = poisoned(w_size(s)), db1 = poisoned(3),
           db2 = poisoned(3);
    ref::conv2d_backward_weight(s, x.data(), dy.data(), dw1.data(), db1.data());
    ref::depthwise_conv2d_backward_weight(s, x.data(), dy.data(), dw2.data(), db2.data());
    expect_close(dw2, dw1);
    expect_close(db2, db1);
  }
}

TEST_CASE("reference: batch norm training normalizes each channel and updates running stats") {
  const BatchNormShape s{4, 3, 5, 6};  // N, C, H, W
  const int M = 4 * 5 * 6;              // values per channel
  auto at = [](int n, int c, int i) { return (n * 3 + c) * 30 + i; };  // i < H*W
  // Channel c is scaled by 3(c+1) and shifted by c, so a mix-up between channels shows.
  Floats x = random_floats(size_t(M) * 3, 7);
  for (int n = 0; n < 4; ++n)
    for (int c = 0; c < 3; ++c)
      for (int i = 0; i < 30; ++i) x[at(n, c, i)] = 3.f * (c + 1) * x[at(n, c, i)] + c;
  const Floats gamma = {1.f, 2.f, 0.5f}, beta = {0.f, -1.f, 3.f};
  Floats running_mean = {0.5f, 0.f, -1.f}, running_var = {1.f, 2.f, 0.5f};
  const Floats old_mean = running_mean, old_var = running_var;
  const float eps = 1e-5f, momentum = 0.1f;
  Floats y = poisoned(x.size()), save_mean = poisoned(3), save_invstd = poisoned(3);
  ref::batch_norm_forward_train(s, x.data(), gamma.data(), beta.data(), eps, momentum,
                                running_mean.data(), running_var.data(), y.data(),
                                save_mean.data(), save_invstd.data());
  for (int c = 0; c < 3; ++c) {
    CAPTURE(c);
    // The channel's statistics of x and of y, recomputed here in double.
    double sum = 0, sum_y = 0;
    for (int n = 0; n < 4; ++n)
      for (int i = 0; i < 30; ++i) sum += x[at(n, c, i)], sum_y += y[at(n, c, i)];
    const double mean = sum / M, mean_y = sum_y / M;
    double sq = 0, sq_y = 0;
    for (int n = 0; n < 4; ++n)
      for (int i = 0; i < 30; ++i) {
        sq += std::pow(x[at(n, c, i)] - mean, 2);
        sq_y += std::pow(y[at(n, c, i)] - mean_y, 2);
      }
    const double var = sq / M;
    // (y - beta) / gamma has mean 0 and variance var / (var + eps) ~ 1.
    expect_close((mean_y - beta[c]) / gamma[c], 0.0, 1e-5);
    expect_close(sq_y / M / (gamma[c] * gamma[c]), var / (var + eps), 1e-5);
    expect_close(save_mean[c], mean, 1e-6);
    expect_close(save_invstd[c], 1.0 / std::sqrt(var + eps), 1e-6);
    // PyTorch's rule, with the unbiased variance var * M / (M - 1).
    expect_close(running_mean[c], 0.9 * old_mean[c] + 0.1 * mean, 1e-6);
    expect_close(running_var[c], 0.9 * old_var[c] + 0.1 * var * M / (M - 1), 1e-6);
  }
}

TEST_CASE("reference: batch norm evaluation uses the running statistics only") {
  // y = gamma (x - running_mean) / sqrt(running_var + eps) + beta; with
  // running_var 4 and eps 0: y = 2 (x - 1) / 2 + 0.5 = x - 0.5 on channel 0.
  const BatchNormShape s{2, 2, 1, 2};
  const Floats x = {1, 3, /*c1*/ 0, 2, /*n=1*/ -1, 5, /*c1*/ 4, 4};
  const Floats gamma = {2, 1}, beta = {0.5f, 0}, mean = {1, 4}, var = {4, 1};
  Floats y = poisoned(8);
  ref::batch_norm_forward_eval(s, x.data(), gamma.data(), beta.data(), mean.data(), var.data(),
                               0.f, y.data());
  expect_close(y, {0.5f, 2.5f, -4, -2, -1.5f, 4.5f, 0, 0});
  // Sample 1 alone gives the same output as inside the batch.
  const BatchNormShape one{1, 2, 1, 2};
  Floats y1 = poisoned(4);
  ref::batch_norm_forward_eval(one, x.data() + 4, gamma.data(), beta.data(), mean.data(),
                               var.data(), 0.f, y1.data());
  expect_close(y1, Floats(y.begin() + 4, y.end()), 0.0);
}

TEST_CASE("reference: batch norm backward on a hand-computed case") {
  // One channel, x = [0, 1, 2], eps 0: mean 1, var 2/3, invstd = sqrt(3/2),
  // xhat = [-r, 0, r] with r = sqrt(3/2). With dy = [1, 0, 0] and gamma = 1:
  //   dbeta = 1, dgamma = sum dy xhat = -r,
  //   dx = invstd / 3 (3 dy - dbeta - xhat dgamma) = r/3 [3 - 1 - 3/2, -1, -1 + 3/2]
  //      = r/3 [0.5, -1, 0.5]
  const BatchNormShape s{1, 1, 1, 3};
  const Floats x = {0, 1, 2}, gamma = {1}, beta = {0};
  Floats rm = {0}, rv = {1}, y = poisoned(3), mean = poisoned(1), invstd = poisoned(1);
  ref::batch_norm_forward_train(s, x.data(), gamma.data(), beta.data(), 0.f, 0.1f, rm.data(),
                                rv.data(), y.data(), mean.data(), invstd.data());
  const float r = std::sqrt(1.5f);
  expect_close(y, {-r, 0, r});
  const Floats dy = {1, 0, 0};
  Floats dx = poisoned(3), dgamma = poisoned(1), dbeta = poisoned(1);
  ref::batch_norm_backward(s, dy.data(), x.data(), gamma.data(), mean.data(), invstd.data(),
                           dx.data(), dgamma.data(), dbeta.data());
  expect_close(dx, {r / 6, -r / 3, r / 6});
  expect_close(dgamma, {-r});
  expect_close(dbeta, {1});
}

TEST_CASE("reference: max pool ties go to the first element in row-major order") {
  // 2x4 input, 2x2 windows, stride 2. Window 0 = [1 3; 3 2] has 3 twice: the
  // first, (0,1), index 1, wins. Window 1 = [3 0; 0 0] wins at (0,2), index 2.
  const Pool2dShape s{1, 1, 2, 4, 2, 2, 0};  // N, C, H, W, kernel, stride, padding
  const Floats x = {1, 3, 3, 0, 3, 2, 0, 0};
  Floats y = poisoned(2);
  std::vector<int32_t> argmax(2, -7);
  ref::max_pool2d_forward(s, x.data(), y.data(), argmax.data());
  expect_close(y, {3, 3}, 0.0);
  CHECK(argmax == std::vector<int32_t>{1, 2});
  Floats dx = poisoned(8);
  ref::max_pool2d_backward(s, Floats{10, 20}.data(), argmax.data(), dx.data());
  expect_close(dx, {0, 10, 20, 0, 0, 0, 0, 0}, 0.0);
}

TEST_CASE("reference: max pool with padding and overlapping windows") {
  // A constant 2x2 image, 2x2 windows, stride 1, padding 1: a 3x3 output
  // whose windows all tie; each takes its first pixel inside the image.
  const Pool2dShape s{1, 1, 2, 2, 2, 1, 1};
  const Floats x = {5, 5, 5, 5};
  Floats y = poisoned(9);
  std::vector<int32_t> argmax(9, -7);
  ref::max_pool2d_forward(s, x.data(), y.data(), argmax.data());
  expect_close(y, Floats(9, 5.f), 0.0);
  CHECK(argmax == std::vector<int32_t>{0, 0, 1, 0, 0, 1, 2, 2, 3});
  // Gradients of windows sharing a winner add up: pixel 0 wins 4 windows.
  Floats dx = poisoned(4);
  ref::max_pool2d_backward(s, Floats(9, 1.f).data(), argmax.data(), dx.data());
  expect_close(dx, {4, 2, 2, 1}, 0.0);

  // Padding never wins, even over negative pixels: with stride 2 each window
  // holds one pixel of [-3 -1; -2 -4] and three padding positions.
  const Pool2dShape s2{1, 1, 2, 2, 2, 2, 1};
  Floats y2 = poisoned(4);
  std::vector<int32_t> argmax2(4, -7);
  ref::max_pool2d_forward(s2, Floats{-3, -1, -2, -4}.data(), y2.data(), argmax2.data());
  expect_close(y2, {-3, -1, -2, -4}, 0.0);
  CHECK(argmax2 == std::vector<int32_t>{0, 1, 2, 3});
}

TEST_CASE("reference: average pool counts the zero padding (count_include_pad)") {
  // [1 2; 3 4], 2x2 windows, stride 2, padding 1: each window holds one pixel
  // and three zeros, so y = x / 4 and dx = dy / 4.
  const Pool2dShape s{1, 1, 2, 2, 2, 2, 1};
  Floats y = poisoned(4), dx = poisoned(4);
  ref::avg_pool2d_forward(s, Floats{1, 2, 3, 4}.data(), y.data());
  expect_close(y, {0.25f, 0.5f, 0.75f, 1});
  ref::avg_pool2d_backward(s, Floats{4, 8, -4, 1}.data(), dx.data());
  expect_close(dx, {1, 2, -1, 0.25f});

  // 3x3 windows, stride 1, padding 1 over a 3x3 image of ones: the centre
  // window sees 9 pixels (9/9), an edge window 6 (6/9), a corner 4 (4/9).
  const Pool2dShape s3{1, 1, 3, 3, 3, 1, 1};
  Floats y3 = poisoned(9), dx3 = poisoned(9);
  ref::avg_pool2d_forward(s3, Floats(9, 1.f).data(), y3.data());
  const float c = 4.f / 9, e = 6.f / 9;
  expect_close(y3, {c, e, c, e, 1, e, c, e, c});
  // Backward of dy = ones: each pixel gets 1/9 per window holding it, and
  // the windows holding a corner pixel are the 4 around it, the same counts.
  ref::avg_pool2d_backward(s3, Floats(9, 1.f).data(), dx3.data());
  expect_close(dx3, {c, e, c, e, 1, e, c, e, c});
}

TEST_CASE("reference: global average pool") {
  // x (N=1, C=2, HW=4)
  Floats y = poisoned(2), dx = poisoned(8);
  ref::global_avg_pool_forward(1, 2, 4, Floats{1, 2, 3, 6, -1, -1, 1, 5}.data(), y.data());
  expect_close(y, {3, 1});
  ref::global_avg_pool_backward(1, 2, 4, Floats{4, -8}.data(), dx.data());
  expect_close(dx, {1, 1, 1, 1, -2, -2, -2, -2});
}

TEST_CASE("reference: linear forward and backward on a hand-computed case") {
  // x = [1 2 3; -1 0 1], w = [1 0 -1; 2 1 0], b = [0.5, -1]
  const LinearShape s{2, 3, 2};  // N, in, out
  const Floats x = {1, 2, 3, -1, 0, 1}, w = {1, 0, -1, 2, 1, 0}, b = {0.5f, -1};
  Floats y = poisoned(4);
  ref::linear_forward(s, x.data(), w.data(), b.data(), y.data());
  // y = x w^T + b = [1-3, 2+2; -1-1, -2] + b
  expect_close(y, {-1.5f, 3, -1.5f, -3});
  const Floats dy = {1, 2, 0, -3};
  Floats dx = poisoned(6), dw = poisoned(6), db = poisoned(2);
  ref::linear_backward_input(s, dy.data(), w.data(), dx.data());
  // dx = dy w = [1*[1 0 -1] + 2*[2 1 0]; -3*[2 1 0]]
  expect_close(dx, {5, 2, -1, -6, -3, 0});
  ref::linear_backward_weight(s, x.data(), dy.data(), dw.data(), db.data());
  // dw = dy^T x = [1*[1 2 3]; 2*[1 2 3] - 3*[-1 0 1]], db = column sums of dy
  expect_close(dw, {1, 2, 3, 5, 4, 3});
  expect_close(db, {1, -1});
}

TEST_CASE("reference: log_softmax rows exponentiate and sum to 1") {
  // Row 0: [1 2 3], logsumexp = 3 + log(1 + e^-1 + e^-2) = 3.40760596.
  // Row 1 is huge logits, which would overflow exp without the max shift.
  const Floats x = {1, 2, 3, 1000, 1001, 999};
  Floats y = poisoned(6);
  ref::log_softmax_forward(2, 3, x.data(), y.data());
  expect_close(Floats(y.begin(), y.begin() + 3), {-2.40760596f, -1.40760596f, -0.40760596f});
  for (int n = 0; n < 2; ++n) {
    double sum = 0;
    for (int k = 0; k < 3; ++k) sum += std::exp(double(y[n * 3 + k]));
    expect_close(sum, 1.0, 1e-6);
  }
  // dx = dy - softmax * sum(dy). Row 0: dy = [1 0 0], softmax([1 2 3]) =
  // [0.09003057, 0.24472847, 0.66524096]. Row 1: dy = ones, so dx = 1 - 3 softmax,
  // and softmax([1000 1001 999]) = softmax([1 2 0]) = [0.24472847, 0.66524096, 0.09003057].
  Floats dx = poisoned(6);
  ref::log_softmax_backward(2, 3, y.data(), Floats{1, 0, 0, 1, 1, 1}.data(), dx.data());
  expect_close(dx, {1 - 0.09003057f, -0.24472847f, -0.66524096f,  //
                    1 - 3 * 0.24472847f, 1 - 3 * 0.66524096f, 1 - 3 * 0.09003057f});
}

TEST_CASE("reference: nll loss with class weights and label smoothing") {
  // logp = [-1 -2 -3; -0.5 -1 -2], targets [0, 2], w = [1 2 3], e = 0.1, K = 3.
  //   row 0: 0.9 * 1 * 1 + 0.1/3 * (1*1 + 2*2 + 3*3)   = 0.9 + 1.4/3
  //   row 1: 0.9 * 3 * 2 + 0.1/3 * (1*0.5 + 2*1 + 3*2) = 5.4 + 0.85/3
  //   loss = (6.3 + 2.25/3) / (w[0] + w[2]) = 7.05 / 4 = 1.7625
  const Floats logp = {-1, -2, -3, -0.5f, -1, -2}, w = {1, 2, 3};
  const std::vector<int32_t> t = {0, 2};
  Floats loss = poisoned(1);
  ref::nll_loss_forward(2, 3, logp.data(), t.data(), w.data(), 0.1f, loss.data());
  expect_close(loss, {1.7625f});
  // dlogp[i, c] = -dloss ((1-e) w[t_i] [c == t_i] + e/K w[c]) / 4, with dloss = 2:
  //   row 0: -(0.9 + 0.1/3, 0.2/3, 0.1) / 2;  row 1: -(0.1/3, 0.2/3, 2.7 + 0.1) / 2
  const Floats dloss = {2};
  Floats dlogp = poisoned(6);
  ref::nll_loss_backward(2, 3, t.data(), w.data(), 0.1f, dloss.data(), dlogp.data());
  expect_close(dlogp, {-0.46666667f, -0.03333333f, -0.05f, -0.01666667f, -0.03333333f, -1.4f});

  // No weights, no smoothing: the mean of -logp at the targets, (1 + 2) / 2.
  ref::nll_loss_forward(2, 3, logp.data(), t.data(), nullptr, 0.f, loss.data());
  expect_close(loss, {1.5f});
  ref::nll_loss_backward(2, 3, t.data(), nullptr, 0.f, dloss.data(), dlogp.data());
  expect_close(dlogp, {-1, 0, 0, 0, 0, -1});
}

TEST_CASE("reference: SGD step against hand-computed numbers") {
  // p = 1, grad = 0.5, wd = 0.1, lr = 0.1, momentum 0.9, buf = 0.2:
  //   g = 0.5 + 0.1 * 1 = 0.6;  buf = 0.9 * 0.2 + 0.6 = 0.78
  //   plain:    p = 1 - 0.1 * 0.78 = 0.922
  //   nesterov: p = 1 - 0.1 * (0.6 + 0.9 * 0.78) = 0.8698
  //   momentum 0: p = 1 - 0.1 * 0.6 = 0.94 (no buffer needed)
  const Floats grad = {0.5f};
  Floats p = {1}, buf = {0.2f};
  ref::sgd_step(1, p.data(), grad.data(), buf.data(), 0.1f, 0.9f, 0.1f, false);
  expect_close(p, {0.922f}, 1e-6);
  expect_close(buf, {0.78f}, 1e-6);
  p = {1}, buf = {0.2f};
  ref::sgd_step(1, p.data(), grad.data(), buf.data(), 0.1f, 0.9f, 0.1f, true);
  expect_close(p, {0.8698f}, 1e-6);
  expect_close(buf, {0.78f}, 1e-6);
  p = {1};
  ref::sgd_step(1, p.data(), grad.data(), nullptr, 0.1f, 0.f, 0.1f, false);
  expect_close(p, {0.94f}, 1e-6);
}

TEST_CASE("reference: Adam and AdamW steps against hand-computed numbers") {
  const float lr = 0.1f, b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
  // Step 1, p = 1, grad = 0.5, m = v = 0: m = 0.05, v = 0.00025, and the bias
  // corrections give m_hat = 0.5, v_hat = 0.25, so p = 1 - 0.1 * 0.5 / 0.5 = 0.9
  // (the first Adam step always moves by lr).
  Floats p = {1}, m = {0}, v = {0};
  ref::adam_step(1, p.data(), Floats{0.5f}.data(), m.data(), v.data(), lr, b1, b2, eps, 0.f,
                 false, 1);
  expect_close(p, {0.9f}, 1e-6);
  expect_close(m, {0.05f}, 1e-6);
  expect_close(v, {0.00025f}, 1e-6);

  // Step 2, p = 0.9, grad = -0.25: m = 0.045 - 0.025 = 0.02,
  // v = 0.00024975 + 0.0000625 = 0.00031225, m_hat = 0.02 / 0.19,
  // v_hat = 0.00031225 / 0.001999, p = 0.9 - 0.1 m_hat / sqrt(v_hat) = 0.87336630.
  ref::adam_step(1, p.data(), Floats{-0.25f}.data(), m.data(), v.data(), lr, b1, b2, eps, 0.f,
                 false, 2);
  expect_close(p, {0.87336630f}, 1e-6);
  expect_close(m, {0.02f}, 1e-6);
  expect_close(v, {0.00031225f}, 1e-6);

  // Adam with L2 (wd = 0.1): g = 0.5 + 0.1 = 0.6, so m = 0.06, v = 0.00036,
  // and the first step still moves by lr: p = 0.9.
  p = {1}, m = {0}, v = {0};
  ref::adam_step(1, p.data(), Floats{0.5f}.data(), m.data(), v.data(), lr, b1, b2, eps, 0.1f,
                 false, 1);
  expect_close(p, {0.9f}, 1e-6);
  expect_close(m, {0.06f}, 1e-6);
  expect_close(v, {0.00036f}, 1e-6);

  // AdamW (decoupled, wd = 0.1): p = 1 * (1 - 0.1 * 0.1) = 0.99, then the
  // step of lr on the raw gradient: p = 0.89, m = 0.05, v = 0.00025.
  p = {1}, m = {0}, v = {0};
  ref::adam_step(1, p.data(), Floats{0.5f}.data(), m.data(), v.data(), lr, b1, b2, eps, 0.1f,
                 true, 1);
  expect_close(p, {0.89f}, 1e-6);
  expect_close(m, {0.05f}, 1e-6);
  expect_close(v, {0.00025f}, 1e-6);
}
