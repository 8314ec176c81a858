// The checks behind tests/test_cuda_emulated.cpp and tests/test_cuda_device.cpp
// (see kernel_checks.h): every function of the CUDA backend's table against
// the reference backend, on random inputs of awkward shapes: sizes that are
// no multiple of any tile, batch 1, stride and padding variants, groups.
//
// Every output is poisoned with NaN before the launch and must be fully
// written, and is followed by a guard region that must be left untouched.
// Inputs are copied into buffers of exactly their size, so the sanitizer
// build catches an emulated kernel reading past their end.
//
// Tolerance: 1e-4 relative to the output's largest magnitude (at least 1),
// as for the CPU backend: the kernels sum in float, the reference in double.
// Masks, indices and copies must match exactly.
#include "tests/kernel_checks.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "engine/generator.h"
#include "kernels/reference/reference.h"

namespace cudagrad {
namespace kernel_checks {

namespace {

const KernelTable& ref = reference::kernel_table();

// ---- the backend under test, and which of its functions the checks called ----------------
const KernelTable* g_target = nullptr;
const KernelTable& target() {
  REQUIRE(g_target != nullptr);
  return *g_target;
}
std::set<std::string>& called() {
  static std::set<std::string> names;
  return names;
}
// TESTED(add)(n, a, b, y) calls the target table's `add` and notes the call.
#define TESTED(field) (called().insert(#field), target().field)

// ---- buffers -----------------------------------------------------------------------------
std::vector<float> random_vector(size_t n, uint64_t seed, float scale = 1.f) {
  Generator g(seed);
  std::vector<float> v(n);
  for (float& x : v) x = scale * g.normal();
  return v;
}

// Inputs copied into target memory by in(), with the table that owns each;
// freed after each check.
std::vector<std::pair<const KernelTable*, void*>>& input_buffers() {
  static std::vector<std::pair<const KernelTable*, void*>> buffers;
  return buffers;
}
void free_inputs() {
  for (auto [table, ptr] : input_buffers()) table->deallocate(ptr);
  input_buffers().clear();
}

// A copy of `host` in the target's memory, of exactly its size, alive until
// the check returns.
template <class T>
const T* in(const std::vector<T>& host) {
  const size_t bytes = std::max<size_t>(host.size(), 1) * sizeof(T);
  void* ptr = target().allocate(bytes);
  input_buffers().emplace_back(&target(), ptr);
  if (!host.empty()) target().copy_from_host(ptr, host.data(), host.size() * sizeof(T));
  return static_cast<const T*>(ptr);
}

constexpr size_t kGuard = 64;  // elements after each output

template <class T>
T poison() {
  return std::numeric_limits<T>::has_quiet_NaN ? std::numeric_limits<T>::quiet_NaN()
                                               : std::numeric_limits<T>::min();
}
template <class T>
bool is_poison(T v) {
  if constexpr (std::numeric_limits<T>::has_quiet_NaN) {
    return std::isnan(v);
  } else {
    return v == std::numeric_limits<T>::min();
  }
}
template <class T>
T guard_value() {
  return static_cast<T>(-12345);
}

// An output in the target's memory: n elements (poisoned, or given initial
// values for in-place updates), then kGuard guard elements.
template <class T = float>
class Guarded {
 public:
  explicit Guarded(size_t n) : Guarded(std::vector<T>(n, poison<T>())) {}
  explicit Guarded(const std::vector<T>& initial) : table_(&target()), n_(initial.size()) {
    std::vector<T> host(n_ + kGuard, guard_value<T>());
    std::copy(initial.begin(), initial.end(), host.begin());
    data_ = static_cast<T*>(table_->allocate(host.size() * sizeof(T)));
    table_->copy_from_host(data_, host.data(), host.size() * sizeof(T));
  }
  Guarded(Guarded&& other) noexcept : table_(other.table_), n_(other.n_), data_(other.data_) {
    other.data_ = nullptr;
  }
  Guarded(const Guarded&) = delete;
  Guarded& operator=(const Guarded&) = delete;
  ~Guarded() {
    if (data_) table_->deallocate(data_);
  }
  T* data() { return data_; }
  size_t size() const { return n_; }
  // The n values followed by the guard, copied to the host.
  std::vector<T> read_back() const {
    std::vector<T> host(n_ + kGuard);
    table_->copy_to_host(host.data(), data_, host.size() * sizeof(T));
    return host;
  }

 private:
  const KernelTable* table_;
  size_t n_;
  T* data_ = nullptr;
};

// The worst error relative to max(1, max |want|), and where it is.
template <class T>
std::pair<double, size_t> worst_error(const std::vector<T>& want, const std::vector<T>& got) {
  double scale = 1.0, worst = 0.0;
  size_t worst_at = 0;
  for (T w : want) scale = std::max(scale, std::fabs(static_cast<double>(w)));
  for (size_t i = 0; i < want.size(); ++i) {
    const double error = std::fabs(static_cast<double>(want[i]) - static_cast<double>(got[i]));
    if (error > worst || std::isnan(error)) {
      worst = std::isnan(error) ? std::numeric_limits<double>::infinity() : error;
      worst_at = i;
    }
  }
  return {worst / scale, worst_at};
}

template <class T>
void expect_values(const std::vector<T>& want, const std::vector<T>& got, double rtol) {
  REQUIRE(want.size() == got.size());
  if (want.empty()) return;
  // Plain variables, not a structured binding: doctest's message is a
  // lambda, and clang before 16 cannot capture a binding.
  const std::pair<double, size_t> found = worst_error(want, got);
  const double worst = found.first;
  const size_t at = found.second;
  if (rtol == 0) {
    CHECK_MESSAGE(worst == 0,
                  "differs at [" << at << "]: want " << want[at] << ", got " << got[at]);
  } else {
    CHECK_MESSAGE(worst <= rtol, "worst error " << worst / rtol << " of tolerance at [" << at
                                                << "] (want " << want[at] << ", got " << got[at]
                                                << ")");
  }
}

// Checks one output against the reference's: fully written, guard
// untouched, values within rtol (0: exactly equal).
template <class T>
void expect_match(const std::string& what, const std::vector<T>& want, const Guarded<T>& got,
                  double rtol = 1e-4) {
  INFO(what);
  const std::vector<T> all = got.read_back();
  const std::vector<T> values(all.begin(), all.begin() + got.size());
  const bool guard_intact =
      std::all_of(all.begin() + got.size(), all.end(), [](T v) { return v == guard_value<T>(); });
  const size_t unwritten =
      static_cast<size_t>(std::count_if(values.begin(), values.end(), is_poison<T>));
  CHECK_MESSAGE(guard_intact, "wrote past the end of the output");
  CHECK_MESSAGE(unwritten == 0, unwritten << " elements never written");
  expect_values(want, values, rtol);
}

std::string shape_label(std::initializer_list<std::pair<const char*, int64_t>> fields) {
  std::ostringstream os;
  for (const auto& f : fields) os << f.first << f.second << " ";
  return os.str();
}

// ---- elementwise -----------------------------------------------------------------------------
void check_fill() {
  for (int64_t n : {1, 1000, 4097}) {
    std::vector<float> want(n);
    ref.fill(n, 0.25f, want.data());
    Guarded<float> got(n);
    TESTED(fill)(n, 0.25f, got.data());
    expect_match("fill n" + std::to_string(n), want, got, 0);
  }
}

void check_add() {
  for (int64_t n : {1, 333, 3001}) {
    auto a = random_vector(n, 1), b = random_vector(n, 2);
    std::vector<float> want(n);
    ref.add(n, a.data(), b.data(), want.data());
    Guarded<float> got(n);
    TESTED(add)(n, in(a), in(b), got.data());
    expect_match("add n" + std::to_string(n), want, got, 0);
  }
}

void check_accumulate() {
  for (int64_t n : {1, 333, 3001}) {
    auto x = random_vector(n, 3), y = random_vector(n, 4);
    std::vector<float> want = y;
    ref.accumulate(n, x.data(), want.data());
    Guarded<float> got(y);
    TESTED(accumulate)(n, in(x), got.data());
    expect_match("accumulate n" + std::to_string(n), want, got, 0);
  }
}

void check_relu() {
  for (int64_t n : {1, 777}) {
    auto x = random_vector(n, 5), dy = random_vector(n, 6);
    for (int64_t i = 0; i < n; i += 7) x[i] = 0.f;  // the kink
    std::vector<float> y(n), dx(n);
    ref.relu_forward(n, x.data(), y.data());
    ref.relu_backward(n, x.data(), dy.data(), dx.data());
    Guarded<float> got_y(n), got_dx(n);
    TESTED(relu_forward)(n, in(x), got_y.data());
    TESTED(relu_backward)(n, in(x), in(dy), got_dx.data());
    expect_match("relu forward n" + std::to_string(n), y, got_y, 0);
    expect_match("relu backward n" + std::to_string(n), dx, got_dx, 0);
  }
}

void check_dropout() {
  for (float p : {0.2f, 0.5f}) {
    const int64_t n = 1001;
    const uint64_t seed = 1234, offset = 17;
    auto x = random_vector(n, 7), dy = random_vector(n, 8);
    std::vector<float> y(n), mask(n), dx(n);
    ref.dropout_forward(n, p, seed, offset, x.data(), y.data(), mask.data());
    ref.dropout_backward(n, dy.data(), mask.data(), dx.data());
    Guarded<float> got_y(n), got_mask(n), got_dx(n);
    TESTED(dropout_forward)(n, p, seed, offset, in(x), got_y.data(), got_mask.data());
    TESTED(dropout_backward)(n, in(dy), in(mask), got_dx.data());
    const std::string label = "dropout p" + std::to_string(p);
    expect_match(label + " mask", mask, got_mask, 0);
    expect_match(label + " forward", y, got_y, 0);
    expect_match(label + " backward", dx, got_dx, 0);
  }
}

void check_concat() {
  struct Case {
    int N, HW;
    std::vector<int> channels;
  };
  for (const Case& c : {Case{1, 5, {3, 1, 4}}, Case{3, 1, {2}}, Case{2, 7, {1, 5}}}) {
    const int count = static_cast<int>(c.channels.size());
    int total = 0;
    for (int ch : c.channels) total += ch;
    const size_t ny = size_t(c.N) * total * c.HW;
    std::vector<std::vector<float>> inputs;
    std::vector<const float*> input_ptrs;
    for (int k = 0; k < count; ++k) {
      inputs.push_back(random_vector(size_t(c.N) * c.channels[k] * c.HW, 10 + k));
      input_ptrs.push_back(inputs.back().data());
    }
    auto dy = random_vector(ny, 9);
    const std::string label = shape_label({{"N", c.N}, {"HW", c.HW}, {"inputs", count}});

    std::vector<float> y(ny);
    ref.concat_channels_forward(c.N, c.HW, count, input_ptrs.data(), c.channels.data(), y.data());
    Guarded<float> got_y(ny);
    std::vector<const float*> tested_ptrs;  // a host array of pointers into target memory
    for (const auto& input : inputs) tested_ptrs.push_back(in(input));
    TESTED(concat_channels_forward)
    (c.N, c.HW, count, tested_ptrs.data(), c.channels.data(), got_y.data());
    expect_match("concat forward " + label, y, got_y, 0);

    std::vector<std::vector<float>> dxs;
    std::vector<Guarded<float>> got_dxs;
    std::vector<float*> dx_ptrs, got_ptrs;
    for (int k = 0; k < count; ++k) {
      dxs.emplace_back(size_t(c.N) * c.channels[k] * c.HW);
      got_dxs.emplace_back(size_t(c.N) * c.channels[k] * c.HW);
    }
    for (int k = 0; k < count; ++k) {
      dx_ptrs.push_back(dxs[k].data());
      got_ptrs.push_back(got_dxs[k].data());
    }
    ref.concat_channels_backward(c.N, c.HW, count, dy.data(), c.channels.data(), dx_ptrs.data());
    TESTED(concat_channels_backward)(c.N, c.HW, count, in(dy), c.channels.data(), got_ptrs.data());
    for (int k = 0; k < count; ++k) {
      expect_match("concat backward " + label + "input " + std::to_string(k), dxs[k], got_dxs[k],
                   0);
    }
  }
}

// ---- classification head ------------------------------------------------------------------
void check_log_softmax() {
  for (auto [N, K] : {std::pair{1, 7}, std::pair{5, 33}, std::pair{6, 100}}) {
    const size_t n = size_t(N) * K;
    auto x = random_vector(n, 20, 5.f), dy = random_vector(n, 21);
    std::vector<float> y(n), dx(n);
    ref.log_softmax_forward(N, K, x.data(), y.data());
    ref.log_softmax_backward(N, K, y.data(), dy.data(), dx.data());
    Guarded<float> got_y(n), got_dx(n);
    TESTED(log_softmax_forward)(N, K, in(x), got_y.data());
    TESTED(log_softmax_backward)(N, K, in(y), in(dy), got_dx.data());
    const std::string label = shape_label({{"N", N}, {"K", K}});
    expect_match("log_softmax forward " + label, y, got_y);
    expect_match("log_softmax backward " + label, dx, got_dx);
  }
}

void check_nll_loss() {
  for (auto [N, K] : {std::pair{1, 7}, std::pair{37, 7}, std::pair{300, 5}}) {
    for (bool weighted : {false, true}) {
      for (float smoothing : {0.f, 0.1f}) {
        const size_t n = size_t(N) * K;
        auto x = random_vector(n, 22, 3.f);
        std::vector<float> logp(n);
        ref.log_softmax_forward(N, K, x.data(), logp.data());
        std::vector<int32_t> targets(N);
        for (int i = 0; i < N; ++i) targets[i] = (i * 5 + 3) % K;
        std::vector<float> weights(K);
        for (int c = 0; c < K; ++c) weights[c] = 0.25f + 0.5f * c;
        const float* w = weighted ? weights.data() : nullptr;
        const float* tested_w = weighted ? in(weights) : nullptr;
        const std::vector<float> dloss{1.7f};
        std::vector<float> loss(1), dlogp(n);
        ref.nll_loss_forward(N, K, logp.data(), targets.data(), w, smoothing, loss.data());
        ref.nll_loss_backward(N, K, targets.data(), w, smoothing, dloss.data(), dlogp.data());
        Guarded<float> got_loss(1), got_dlogp(n);
        TESTED(nll_loss_forward)(N, K, in(logp), in(targets), tested_w, smoothing, got_loss.data());
        TESTED(nll_loss_backward)
        (N, K, in(targets), tested_w, smoothing, in(dloss), got_dlogp.data());
        const std::string label = shape_label({{"N", N}, {"K", K}, {"weighted", weighted}}) +
                                  "smoothing " + std::to_string(smoothing);
        expect_match("nll_loss forward " + label, loss, got_loss);
        expect_match("nll_loss backward " + label, dlogp, got_dlogp);
      }
    }
  }
}

// ---- pooling ---------------------------------------------------------------------------------
const Pool2dShape kPoolCases[] = {
    {1, 1, 4, 4, 2, 2, 0}, {2, 3, 7, 5, 3, 2, 1}, {1, 2, 6, 7, 3, 1, 1},
    {3, 2, 5, 5, 2, 1, 0}, {2, 1, 9, 8, 3, 3, 1},
};

std::string pool_label(const Pool2dShape& s) {
  return shape_label({{"N", s.N},
                      {"C", s.C},
                      {"H", s.H},
                      {"W", s.W},
                      {"k", s.kernel},
                      {"s", s.stride},
                      {"p", s.padding}});
}

void check_max_pool() {
  for (const Pool2dShape& s : kPoolCases) {
    for (bool ties : {false, true}) {
      const size_t nx = size_t(s.N) * s.C * s.H * s.W,
                   ny = size_t(s.N) * s.C * s.H_out() * s.W_out();
      auto x = random_vector(nx, 30), dy = random_vector(ny, 31);
      if (ties) {
        for (float& v : x) v = std::round(v);  // many equal values: the first must win
      }
      std::vector<float> y(ny), dx(nx);
      std::vector<int32_t> argmax(ny);
      ref.max_pool2d_forward(s, x.data(), y.data(), argmax.data());
      ref.max_pool2d_backward(s, dy.data(), argmax.data(), dx.data());
      Guarded<float> got_y(ny), got_dx(nx);
      Guarded<int32_t> got_argmax(ny);
      TESTED(max_pool2d_forward)(s, in(x), got_y.data(), got_argmax.data());
      TESTED(max_pool2d_backward)(s, in(dy), in(argmax), got_dx.data());
      const std::string label = pool_label(s) + (ties ? "with ties" : "");
      expect_match("max_pool forward " + label, y, got_y, 0);
      expect_match("max_pool argmax " + label, argmax, got_argmax, 0);
      expect_match("max_pool backward " + label, dx, got_dx);
    }
  }
}

void check_avg_pool() {
  for (const Pool2dShape& s : kPoolCases) {
    const size_t nx = size_t(s.N) * s.C * s.H * s.W, ny = size_t(s.N) * s.C * s.H_out() * s.W_out();
    auto x = random_vector(nx, 32), dy = random_vector(ny, 33);
    std::vector<float> y(ny), dx(nx);
    ref.avg_pool2d_forward(s, x.data(), y.data());
    ref.avg_pool2d_backward(s, dy.data(), dx.data());
    Guarded<float> got_y(ny), got_dx(nx);
    TESTED(avg_pool2d_forward)(s, in(x), got_y.data());
    TESTED(avg_pool2d_backward)(s, in(dy), got_dx.data());
    expect_match("avg_pool forward " + pool_label(s), y, got_y);
    expect_match("avg_pool backward " + pool_label(s), dx, got_dx);
  }
}

void check_global_avg_pool() {
  struct Case {
    int N, C, HW;
  };
  for (const Case& c : {Case{1, 1, 1}, Case{2, 3, 49}, Case{3, 17, 100}}) {
    const size_t nx = size_t(c.N) * c.C * c.HW, ny = size_t(c.N) * c.C;
    auto x = random_vector(nx, 34), dy = random_vector(ny, 35);
    std::vector<float> y(ny), dx(nx);
    ref.global_avg_pool_forward(c.N, c.C, c.HW, x.data(), y.data());
    ref.global_avg_pool_backward(c.N, c.C, c.HW, dy.data(), dx.data());
    Guarded<float> got_y(ny), got_dx(nx);
    TESTED(global_avg_pool_forward)(c.N, c.C, c.HW, in(x), got_y.data());
    TESTED(global_avg_pool_backward)(c.N, c.C, c.HW, in(dy), got_dx.data());
    const std::string label = shape_label({{"N", c.N}, {"C", c.C}, {"HW", c.HW}});
    expect_match("global_avg_pool forward " + label, y, got_y);
    expect_match("global_avg_pool backward " + label, dx, got_dx);
  }
}

// ---- batch normalization ----------------------------------------------------------------------
void check_batch_norm() {
  // The last two have channels long enough to be cut over several blocks
  // (batch_norm.cu): 2 and 3 chunks per channel, each starting mid-plane.
  for (const BatchNormShape& s : {BatchNormShape{2, 3, 5, 4}, BatchNormShape{1, 5, 3, 7},
                                  BatchNormShape{4, 2, 1, 1}, BatchNormShape{3, 2, 17, 11},
                                  BatchNormShape{5, 3, 23, 37}, BatchNormShape{3, 2, 47, 50}}) {
    const size_t n = size_t(s.N) * s.C * s.H * s.W;
    auto x = random_vector(n, 40, 3.f), dy = random_vector(n, 41);
    for (float& v : x) v += 2.f;  // a mean far from zero
    auto gamma = random_vector(s.C, 42), beta = random_vector(s.C, 43);
    const std::vector<float> running_mean0(s.C, 0.5f), running_var0(s.C, 2.f);
    const std::string label = shape_label({{"N", s.N}, {"C", s.C}, {"H", s.H}, {"W", s.W}});

    std::vector<float> y(n), mean(s.C), invstd(s.C), rm = running_mean0, rv = running_var0;
    ref.batch_norm_forward_train(s, x.data(), gamma.data(), beta.data(), 1e-5f, 0.1f, rm.data(),
                                 rv.data(), y.data(), mean.data(), invstd.data());
    Guarded<float> got_y(n), got_mean(s.C), got_invstd(s.C), got_rm(running_mean0),
        got_rv(running_var0);
    TESTED(batch_norm_forward_train)
    (s, in(x), in(gamma), in(beta), 1e-5f, 0.1f, got_rm.data(), got_rv.data(), got_y.data(),
     got_mean.data(), got_invstd.data());
    expect_match("batch_norm train y " + label, y, got_y);
    expect_match("batch_norm train mean " + label, mean, got_mean);
    expect_match("batch_norm train invstd " + label, invstd, got_invstd);
    expect_match("batch_norm running mean " + label, rm, got_rm);
    expect_match("batch_norm running var " + label, rv, got_rv);

    std::vector<float> y_eval(n);
    ref.batch_norm_forward_eval(s, x.data(), gamma.data(), beta.data(), rm.data(), rv.data(), 1e-5f,
                                y_eval.data());
    Guarded<float> got_y_eval(n);
    TESTED(batch_norm_forward_eval)
    (s, in(x), in(gamma), in(beta), in(rm), in(rv), 1e-5f, got_y_eval.data());
    expect_match("batch_norm eval " + label, y_eval, got_y_eval);

    std::vector<float> dx(n), dgamma(s.C), dbeta(s.C);
    ref.batch_norm_backward(s, dy.data(), x.data(), gamma.data(), mean.data(), invstd.data(),
                            dx.data(), dgamma.data(), dbeta.data());
    Guarded<float> got_dx(n), got_dgamma(s.C), got_dbeta(s.C);
    TESTED(batch_norm_backward)
    (s, in(dy), in(x), in(gamma), in(mean), in(invstd), got_dx.data(), got_dgamma.data(),
     got_dbeta.data());
    expect_match("batch_norm backward dx " + label, dx, got_dx);
    expect_match("batch_norm backward dgamma " + label, dgamma, got_dgamma);
    expect_match("batch_norm backward dbeta " + label, dbeta, got_dbeta);

    // Fused with the ReLU after it: about half of y is clamped to zero here
    // (beta and gamma are standard normal), so both sides of the mask count.
    std::vector<float> ry(n), rmean(s.C), rinvstd(s.C), rrm = running_mean0, rrv = running_var0;
    ref.batch_norm_relu_forward_train(s, x.data(), gamma.data(), beta.data(), 1e-5f, 0.1f,
                                      rrm.data(), rrv.data(), ry.data(), rmean.data(),
                                      rinvstd.data());
    Guarded<float> got_ry(n), got_rmean(s.C), got_rinvstd(s.C), got_rrm(running_mean0),
        got_rrv(running_var0);
    TESTED(batch_norm_relu_forward_train)
    (s, in(x), in(gamma), in(beta), 1e-5f, 0.1f, got_rrm.data(), got_rrv.data(), got_ry.data(),
     got_rmean.data(), got_rinvstd.data());
    expect_match("batch_norm+relu train y " + label, ry, got_ry);
    expect_match("batch_norm+relu running var " + label, rrv, got_rrv);
    expect_match("batch_norm+relu invstd " + label, rinvstd, got_rinvstd);

    std::vector<float> rdx(n), rdgamma(s.C), rdbeta(s.C);
    ref.batch_norm_relu_backward(s, dy.data(), x.data(), ry.data(), gamma.data(), rmean.data(),
                                 rinvstd.data(), rdx.data(), rdgamma.data(), rdbeta.data());
    Guarded<float> got_rdx(n), got_rdgamma(s.C), got_rdbeta(s.C);
    TESTED(batch_norm_relu_backward)
    (s, in(dy), in(x), in(ry), in(gamma), in(rmean), in(rinvstd), got_rdx.data(),
     got_rdgamma.data(), got_rdbeta.data());
    expect_match("batch_norm+relu backward dx " + label, rdx, got_rdx);
    expect_match("batch_norm+relu backward dgamma " + label, rdgamma, got_rdgamma);
    expect_match("batch_norm+relu backward dbeta " + label, rdbeta, got_rdbeta);
  }
}

// ---- optimizers -----------------------------------------------------------------------------
void check_sgd() {
  struct Case {
    float momentum, weight_decay;
    bool nesterov;
  };
  const int64_t n = 1001;
  for (const Case& c : {Case{0.f, 0.f, false}, Case{0.9f, 1e-2f, false}, Case{0.9f, 0.f, true}}) {
    auto param = random_vector(n, 50), buf = random_vector(n, 51, 0.1f);
    Guarded<float> got_param(param), got_buf(buf);
    for (int step = 0; step < 3; ++step) {
      auto grad = random_vector(n, 52 + step);
      float* ref_buf = c.momentum == 0.f ? nullptr : buf.data();
      float* tested_buf = c.momentum == 0.f ? nullptr : got_buf.data();
      ref.sgd_step(n, param.data(), grad.data(), ref_buf, 0.1f, c.momentum, c.weight_decay,
                   c.nesterov);
      TESTED(sgd_step)
      (n, got_param.data(), in(grad), tested_buf, 0.1f, c.momentum, c.weight_decay, c.nesterov);
    }
    const std::string label =
        "sgd momentum " + std::to_string(c.momentum) + (c.nesterov ? " nesterov" : "");
    expect_match(label + " param", param, got_param);
    expect_match(label + " momentum buffer", buf, got_buf);
  }
}

void check_adam() {
  const int64_t n = 1001;
  for (bool decoupled : {false, true}) {
    auto param = random_vector(n, 60);
    std::vector<float> m(n, 0.f), v(n, 0.f);
    Guarded<float> got_param(param), got_m(m), got_v(v);
    for (int64_t step = 1; step <= 4; ++step) {
      auto grad = random_vector(n, 60 + step);
      ref.adam_step(n, param.data(), grad.data(), m.data(), v.data(), 1e-2f, 0.9f, 0.999f, 1e-8f,
                    1e-2f, decoupled, step);
      TESTED(adam_step)
      (n, got_param.data(), in(grad), got_m.data(), got_v.data(), 1e-2f, 0.9f, 0.999f, 1e-8f, 1e-2f,
       decoupled, step);
    }
    const std::string label = decoupled ? "adamw" : "adam";
    expect_match(label + " param", param, got_param);
    expect_match(label + " m", m, got_m);
    expect_match(label + " v", v, got_v);
  }
}

// ---- linear ---------------------------------------------------------------------------------
// An input copied to the target one float past an aligned address: a GEMM
// must not use 16-byte loads on it.
const float* in_misaligned(const std::vector<float>& host) {
  std::vector<float> padded(host.size() + 1, 0.0f);
  std::copy(host.begin(), host.end(), padded.begin() + 1);
  return in(padded) + 1;
}

void check_linear() {
  // Sizes that are multiples of 4 take the GEMM's float4 loads (64 x 64 x 64,
  // 6 x 68 x 12); the others, and the misaligned inputs, load one float at a time.
  for (const LinearShape& s :
       {LinearShape{1, 3, 2}, LinearShape{5, 70, 33}, LinearShape{64, 64, 64},
        LinearShape{2, 130, 7}, LinearShape{67, 17, 65}, LinearShape{6, 68, 12},
        // A long K and few output tiles: the GEMM splits K (gemm.cuh), for
        // the weight gradient (K = N = 600: 2 slices) and the forward pass
        // (K = in = 1100: 4 slices, the last one shorter).
        LinearShape{600, 20, 9}, LinearShape{3, 1100, 10}}) {
    for (bool with_bias : {true, false}) {
      const size_t nx = size_t(s.N) * s.in, nw = size_t(s.out) * s.in, ny = size_t(s.N) * s.out;
      auto x = random_vector(nx, 70), w = random_vector(nw, 71, 0.3f), b = random_vector(s.out, 72);
      auto dy = random_vector(ny, 73);
      const float* bias = with_bias ? b.data() : nullptr;
      const float* tested_bias = with_bias ? in(b) : nullptr;
      const std::string label =
          shape_label({{"N", s.N}, {"in", s.in}, {"out", s.out}, {"bias", with_bias}});
      // Misaligned copies of the same inputs (without bias: the case runs once).
      if (!with_bias) {
        std::vector<float> y(ny), dx(nx), dw(nw);
        ref.linear_forward(s, x.data(), w.data(), nullptr, y.data());
        ref.linear_backward_input(s, dy.data(), w.data(), dx.data());
        ref.linear_backward_weight(s, x.data(), dy.data(), dw.data(), nullptr);
        Guarded<float> got_y(ny), got_dx(nx), got_dw(nw);
        TESTED(linear_forward)(s, in_misaligned(x), in_misaligned(w), nullptr, got_y.data());
        TESTED(linear_backward_input)(s, in_misaligned(dy), in_misaligned(w), got_dx.data());
        TESTED(linear_backward_weight)
        (s, in_misaligned(x), in_misaligned(dy), got_dw.data(), nullptr);
        expect_match("linear forward, misaligned inputs " + label, y, got_y);
        expect_match("linear backward input, misaligned inputs " + label, dx, got_dx);
        expect_match("linear backward weight, misaligned inputs " + label, dw, got_dw);
      }

      std::vector<float> y(ny), dx(nx), dw(nw), db(s.out);
      ref.linear_forward(s, x.data(), w.data(), bias, y.data());
      ref.linear_backward_input(s, dy.data(), w.data(), dx.data());
      ref.linear_backward_weight(s, x.data(), dy.data(), dw.data(),
                                 with_bias ? db.data() : nullptr);
      Guarded<float> got_y(ny), got_dx(nx), got_dw(nw), got_db(s.out);
      TESTED(linear_forward)(s, in(x), in(w), tested_bias, got_y.data());
      TESTED(linear_backward_input)(s, in(dy), in(w), got_dx.data());
      TESTED(linear_backward_weight)
      (s, in(x), in(dy), got_dw.data(), with_bias ? got_db.data() : nullptr);
      expect_match("linear forward " + label, y, got_y);
      expect_match("linear backward input " + label, dx, got_dx);
      expect_match("linear backward weight " + label, dw, got_dw);
      if (with_bias) expect_match("linear backward bias " + label, db, got_db);
    }
  }
}

// ---- convolution ------------------------------------------------------------------------------
struct ConvCase {
  int N, C_in, H, W, C_out, kernel, stride, padding, groups;
};

Conv2dShape shape_of(const ConvCase& c) {
  Conv2dShape s;
  s.N = c.N, s.C_in = c.C_in, s.H = c.H, s.W = c.W, s.C_out = c.C_out;
  s.kernel = c.kernel, s.stride = c.stride, s.padding = c.padding, s.groups = c.groups;
  return s;
}

// Forward and both backward passes of one convolution on both backends.
void compare_conv(const ConvCase& c, bool depthwise, bool with_bias) {
  const Conv2dShape s = shape_of(c);
  const size_t nx = size_t(s.N) * s.C_in * s.H * s.W;
  const size_t nw = size_t(s.C_out) * (s.C_in / s.groups) * s.kernel * s.kernel;
  const size_t ny = size_t(s.N) * s.C_out * s.H_out() * s.W_out();
  auto x = random_vector(nx, 80), w = random_vector(nw, 81, 0.3f), b = random_vector(s.C_out, 82);
  auto dy = random_vector(ny, 83);
  const float* bias = with_bias ? b.data() : nullptr;
  const float* tested_bias = with_bias ? in(b) : nullptr;
  const std::string label =
      std::string(depthwise ? "depthwise " : "conv2d ") + shape_label({{"N", c.N},
                                                                       {"C", c.C_in},
                                                                       {"->", c.C_out},
                                                                       {"H", c.H},
                                                                       {"W", c.W},
                                                                       {"k", c.kernel},
                                                                       {"s", c.stride},
                                                                       {"p", c.padding},
                                                                       {"g", c.groups},
                                                                       {"bias", with_bias}});

  std::vector<float> y(ny), dx(nx), dw(nw), db(s.C_out);
  Guarded<float> got_y(ny), got_dx(nx), got_dw(nw), got_db(s.C_out);
  float* ref_db = with_bias ? db.data() : nullptr;
  float* tested_db = with_bias ? got_db.data() : nullptr;
  if (depthwise) {
    ref.depthwise_conv2d_forward(s, x.data(), w.data(), bias, y.data());
    ref.depthwise_conv2d_backward_input(s, dy.data(), w.data(), dx.data());
    ref.depthwise_conv2d_backward_weight(s, x.data(), dy.data(), dw.data(), ref_db);
    TESTED(depthwise_conv2d_forward)(s, in(x), in(w), tested_bias, got_y.data());
    TESTED(depthwise_conv2d_backward_input)(s, in(dy), in(w), got_dx.data());
    TESTED(depthwise_conv2d_backward_weight)(s, in(x), in(dy), got_dw.data(), tested_db);
  } else {
    ref.conv2d_forward(s, x.data(), w.data(), bias, y.data());
    ref.conv2d_backward_input(s, dy.data(), w.data(), dx.data());
    ref.conv2d_backward_weight(s, x.data(), dy.data(), dw.data(), ref_db);
    TESTED(conv2d_forward)(s, in(x), in(w), tested_bias, got_y.data());
    TESTED(conv2d_backward_input)(s, in(dy), in(w), got_dx.data());
    TESTED(conv2d_backward_weight)(s, in(x), in(dy), got_dw.data(), tested_db);
  }
  expect_match(label + " forward", y, got_y);
  expect_match(label + " backward input", dx, got_dx);
  expect_match(label + " backward weight", dw, got_dw);
  if (with_bias) expect_match(label + " backward bias", db, got_db);
}

void check_conv2d() {
  const ConvCase cases[] = {
      {2, 3, 7, 5, 4, 3, 1, 1, 1},  {1, 3, 6, 7, 5, 3, 2, 0, 1}, {2, 4, 5, 5, 6, 3, 2, 1, 2},
      {3, 5, 4, 6, 7, 1, 1, 0, 1},  {1, 2, 9, 8, 3, 5, 2, 2, 1}, {1, 1, 1, 1, 2, 1, 1, 0, 1},
      {2, 6, 9, 9, 70, 3, 1, 1, 1},  // more output channels than one 64-row tile
      // Rows of w (C_in/groups * k * k) and planes of dy a multiple of 4 long:
      // the GEMM's float4 loads where they apply, with ragged tile edges.
      {2, 4, 8, 6, 5, 3, 1, 1, 1},  {2, 8, 6, 7, 12, 3, 1, 1, 1}, {3, 4, 8, 8, 66, 1, 1, 0, 1},
      {2, 8, 10, 6, 8, 3, 2, 1, 2},
      // Weight gradients with K = N * H_out * W_out long enough to be split
      // (gemm.cuh): 720 (2 slices, the last shorter), 1024 with 2 groups (4 slices).
      {2, 3, 20, 18, 5, 3, 1, 1, 1}, {4, 4, 16, 16, 6, 3, 1, 1, 2},
  };
  for (const ConvCase& c : cases) compare_conv(c, false, true);
  compare_conv(cases[1], false, false);
}

void check_depthwise_conv2d() {
  const ConvCase cases[] = {
      {2, 3, 6, 5, 3, 3, 1, 1, 3},
      {1, 5, 7, 6, 5, 3, 2, 1, 5},
      {3, 4, 8, 8, 4, 3, 2, 0, 4},
      {2, 2, 5, 9, 2, 5, 1, 2, 2},
      {1, 7, 1, 1, 7, 3, 1, 1, 7},
      {1, 2, 19, 18, 2, 3, 1, 1, 2},  // more than one 16 x 16 output tile
      // 3x3 with 4800 output pixels per channel: the weight gradient's
      // chunks (depthwise_conv2d.cu) cut each channel in two, mid-plane.
      {2, 3, 48, 50, 3, 3, 1, 1, 3},
  };
  for (const ConvCase& c : cases) compare_conv(c, true, true);
  compare_conv(cases[1], true, false);
}

// ---- what a training step reads back ---------------------------------------------------------
// Both add to a count that starts at 2 (not 0: they must add, not overwrite).
// Sizes cross one block, the grid-stride cap and nothing; NaN, +inf and -inf
// are planted at the ends and in the middle. Counts are exact.
void check_count_non_finite() {
  for (int64_t n : {0, 1, 257, 5000, 100003}) {
    auto x = random_vector(n, 91);
    std::vector<int64_t> planted = {0, n / 3, n / 2, n - 1};
    const float bad[4] = {std::numeric_limits<float>::quiet_NaN(),
                          std::numeric_limits<float>::infinity(),
                          -std::numeric_limits<float>::infinity(),
                          std::numeric_limits<float>::quiet_NaN()};
    for (int i = 0; i < 4 && n > 3; ++i) x[planted[i]] = bad[i];
    if (n > 100) x[n / 4] = std::numeric_limits<float>::max();  // finite, however large
    std::vector<float> want{2.f};
    ref.count_non_finite(n, x.data(), want.data());
    Guarded<float> got(std::vector<float>{2.f});
    TESTED(count_non_finite)(n, n ? in(x) : nullptr, got.data());
    expect_match("count_non_finite n" + std::to_string(n), want, got, 0);
    CHECK(want[0] == 2.f + (n > 3 ? 4.f : 0.f));  // the reference counts what was planted
  }
}

void check_count_correct() {
  for (auto [N, K] : {std::pair{1, 7}, std::pair{37, 7}, std::pair{300, 5}, std::pair{513, 2}}) {
    auto logits = random_vector(size_t(N) * K, 92);
    for (int i = 0; i < N; i += 5)  // ties: the first maximum wins
      logits[size_t(i) * K + K - 1] = logits[size_t(i) * K];
    std::vector<int32_t> targets(N);
    for (int i = 0; i < N; ++i) targets[i] = (i * 3 + 1) % K;
    for (int i = 0; i < N; i += 2) {  // make half the rows right on purpose
      int best = 0;
      for (int k = 1; k < K; ++k)
        if (logits[size_t(i) * K + k] > logits[size_t(i) * K + best]) best = k;
      targets[i] = best;
    }
    std::vector<float> want{2.f};
    ref.count_correct(N, K, logits.data(), targets.data(), want.data());
    Guarded<float> got(std::vector<float>{2.f});
    TESTED(count_correct)(N, K, in(logits), in(targets), got.data());
    expect_match(shape_label({{"count_correct N", N}, {"K", K}}), want, got, 0);
    CHECK(want[0] >= 2.f + (N + 1) / 2);
  }
}

// ---- memory -------------------------------------------------------------------------------
void check_memory() {
  const size_t n = 100;
  auto host = random_vector(n, 90);
  float* a = static_cast<float*>(TESTED(allocate)(n * sizeof(float)));
  float* b = static_cast<float*>(TESTED(allocate)(n * sizeof(float)));
  TESTED(copy_from_host)(a, host.data(), n * sizeof(float));
  TESTED(copy)(b, a, n * sizeof(float));
  std::vector<float> back(n);
  TESTED(copy_to_host)(back.data(), b, n * sizeof(float));
  CHECK(back == host);
  TESTED(deallocate)(a);
  TESTED(deallocate)(b);
}

}  // namespace

// ---- the registry ------------------------------------------------------------------------------
const std::vector<KernelCheck>& all_checks() {
  static const std::vector<KernelCheck> checks = {
      {"memory",
       {"allocate", "deallocate", "copy_from_host", "copy_to_host", "copy"},
       check_memory},
      {"elementwise", {"fill"}, check_fill},
      {"elementwise", {"add"}, check_add},
      {"elementwise", {"accumulate"}, check_accumulate},
      {"elementwise", {"relu_forward", "relu_backward"}, check_relu},
      {"elementwise", {"dropout_forward", "dropout_backward"}, check_dropout},
      {"elementwise", {"concat_channels_forward", "concat_channels_backward"}, check_concat},
      {"head", {"log_softmax_forward", "log_softmax_backward"}, check_log_softmax},
      {"head", {"nll_loss_forward", "nll_loss_backward"}, check_nll_loss},
      {"head", {"count_non_finite"}, check_count_non_finite},
      {"head", {"count_correct"}, check_count_correct},
      {"pooling", {"max_pool2d_forward", "max_pool2d_backward"}, check_max_pool},
      {"pooling", {"avg_pool2d_forward", "avg_pool2d_backward"}, check_avg_pool},
      {"pooling", {"global_avg_pool_forward", "global_avg_pool_backward"}, check_global_avg_pool},
      {"batch_norm",
       {"batch_norm_forward_train", "batch_norm_forward_eval", "batch_norm_backward",
        "batch_norm_relu_forward_train", "batch_norm_relu_backward"},
       check_batch_norm},
      {"optimizers", {"sgd_step"}, check_sgd},
      {"optimizers", {"adam_step"}, check_adam},
      {"linear",
       {"linear_forward", "linear_backward_input", "linear_backward_weight"},
       check_linear},
      {"conv2d",
       {"conv2d_forward", "conv2d_backward_input", "conv2d_backward_weight"},
       check_conv2d},
      {"depthwise_conv2d",
       {"depthwise_conv2d_forward", "depthwise_conv2d_backward_input",
        "depthwise_conv2d_backward_weight"},
       check_depthwise_conv2d},
  };
  return checks;
}

const std::vector<std::string>& groups() {
  static const std::vector<std::string> names = {"memory",  "elementwise", "head",
                                                 "pooling", "batch_norm",  "optimizers",
                                                 "linear",  "conv2d",      "depthwise_conv2d"};
  return names;
}

void run_group(const std::string& group, const KernelTable& target_table) {
  INFO("backend: " << target_table.name);
  g_target = &target_table;
  for (const KernelCheck& check : all_checks()) {
    if (check.group != group) continue;
    called().clear();
    free_inputs();  // left over if a previous check stopped at a REQUIRE
    check.run();
    free_inputs();
    for (const char* f : check.functions)
      CHECK_MESSAGE(called().count(f) == 1, f << " was not called");
  }
  g_target = nullptr;
}

void expect_close(const std::string& what, const std::vector<float>& want,
                  const std::vector<float>& got, double rtol) {
  INFO(what);
  expect_values(want, got, rtol);
}

}  // namespace kernel_checks
}  // namespace cudagrad
