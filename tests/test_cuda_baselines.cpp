// The hand-written CUDA kernels against cuDNN and cuBLAS on a real GPU:
// conv (with groups), depthwise conv, batch norm, pooling, log-softmax and
// GEMM, on small awkward shapes and on layer shapes of the models at a
// small batch. Only in builds with the baselines (CUDA with cuDNN and
// cuBLAS), and only when a GPU is present; tests/test_cuda_device.cpp says
// in one line when they were skipped.
//
// Tolerance: 1e-4 relative to the largest magnitude, as against the
// reference, except convolution: cuDNN's fastest algorithm may be Winograd
// or FFT based, exact in exact arithmetic but with more rounding in float,
// so 2e-3 there. (The hand-written kernels are held to 1e-4 against the
// reference by the device tests; this comparison shows agreement with the
// library people trust.)
#ifdef CUDAGRAD_HAVE_BASELINES
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "engine/device.h"
#include "engine/generator.h"
#include "kernels/cuda/baselines/baselines.h"
#include "kernels/cuda/cuda_backend.h"
#include "tests/kernel_checks.h"

using namespace cudagrad;
using kernel_checks::expect_close;

namespace {

const KernelTable& ours() { return cuda::kernel_table(); }
const KernelTable& lib() { return cuda_baseline::kernel_table(); }

constexpr double kConvTolerance = 2e-3;

// A float buffer in device memory, freed with it.
class DeviceArray {
 public:
  explicit DeviceArray(size_t n) : n_(n) { ptr_ = static_cast<float*>(ours().allocate(bytes())); }
  explicit DeviceArray(const std::vector<float>& host) : DeviceArray(host.size()) {
    ours().copy_from_host(ptr_, host.data(), bytes());
  }
  ~DeviceArray() { ours().deallocate(ptr_); }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
  float* get() const { return ptr_; }
  std::vector<float> host() const {
    std::vector<float> v(n_);
    ours().copy_to_host(v.data(), ptr_, bytes());
    return v;
  }

 private:
  size_t bytes() const { return std::max<size_t>(n_, 1) * sizeof(float); }
  size_t n_;
  float* ptr_ = nullptr;
};

std::vector<float> random_vector(size_t n, uint64_t seed, float scale = 1.f) {
  Generator g(seed);
  std::vector<float> v(n);
  for (float& x : v) x = scale * g.normal();
  return v;
}

std::string conv_label(const Conv2dShape& s) {
  return "N" + std::to_string(s.N) + " C" + std::to_string(s.C_in) + "->" +
         std::to_string(s.C_out) + " " + std::to_string(s.H) + "x" + std::to_string(s.W) + " k" +
         std::to_string(s.kernel) + " s" + std::to_string(s.stride) + " p" +
         std::to_string(s.padding) + " g" + std::to_string(s.groups);
}

// Forward (with bias), backward input, backward weight and bias.
void compare_conv(const Conv2dShape& s) {
  const bool depthwise = s.groups > 1 && s.groups == s.C_in && s.groups == s.C_out;
  const size_t nx = size_t(s.N) * s.C_in * s.H * s.W;
  const size_t nw = size_t(s.C_out) * (s.C_in / s.groups) * s.kernel * s.kernel;
  const size_t ny = size_t(s.N) * s.C_out * s.H_out() * s.W_out();
  DeviceArray x(random_vector(nx, 1)), w(random_vector(nw, 2, 0.3f)), b(random_vector(s.C_out, 3));
  DeviceArray dy(random_vector(ny, 4));
  DeviceArray y_ours(ny), y_lib(ny), dx_ours(nx), dx_lib(nx), dw_ours(nw), dw_lib(nw);
  DeviceArray db_ours(s.C_out), db_lib(s.C_out);
  auto forward = depthwise ? &KernelTable::depthwise_conv2d_forward : &KernelTable::conv2d_forward;
  auto backward_input = depthwise ? &KernelTable::depthwise_conv2d_backward_input
                                  : &KernelTable::conv2d_backward_input;
  auto backward_weight = depthwise ? &KernelTable::depthwise_conv2d_backward_weight
                                   : &KernelTable::conv2d_backward_weight;
  for (const KernelTable* t : {&ours(), &lib()}) {
    const bool mine = t == &ours();
    (t->*forward)(s, x.get(), w.get(), b.get(), (mine ? y_ours : y_lib).get());
    (t->*backward_input)(s, dy.get(), w.get(), (mine ? dx_ours : dx_lib).get());
    (t->*backward_weight)(s, x.get(), dy.get(), (mine ? dw_ours : dw_lib).get(),
                          (mine ? db_ours : db_lib).get());
  }
  const std::string label = (depthwise ? "depthwise " : "conv2d ") + conv_label(s);
  expect_close(label + " forward", y_lib.host(), y_ours.host(), kConvTolerance);
  expect_close(label + " backward input", dx_lib.host(), dx_ours.host(), kConvTolerance);
  expect_close(label + " backward weight", dw_lib.host(), dw_ours.host(), kConvTolerance);
  expect_close(label + " backward bias", db_lib.host(), db_ours.host(), kConvTolerance);
}

Conv2dShape conv(int N, int C_in, int H, int W, int C_out, int k, int stride, int pad, int groups) {
  Conv2dShape s;
  s.N = N, s.C_in = C_in, s.H = H, s.W = W, s.C_out = C_out;
  s.kernel = k, s.stride = stride, s.padding = pad, s.groups = groups;
  return s;
}

}  // namespace

TEST_CASE("cuda vs cuDNN: conv2d, grouped and not") {
  if (cuda_status().devices == 0) return;
  for (const Conv2dShape& s : {conv(2, 3, 7, 5, 4, 3, 1, 1, 1), conv(1, 3, 6, 7, 5, 3, 2, 0, 1),
                               conv(2, 4, 5, 5, 6, 3, 2, 1, 2),          // groups
                               conv(2, 3, 224, 224, 64, 7, 2, 3, 1),     // ResNet conv1
                               conv(2, 64, 56, 56, 64, 3, 1, 1, 1),      // ResNet layer1
                               conv(2, 64, 56, 56, 128, 1, 2, 0, 1),     // ResNet downsample
                               conv(2, 256, 14, 14, 512, 1, 1, 0, 1),    // MobileNet pointwise
                               conv(2, 6, 112, 112, 16, 5, 1, 0, 1)}) {  // LeNet conv2
    compare_conv(s);
  }
}

TEST_CASE("cuda vs cuDNN: depthwise conv2d (cuDNN's grouped convolution)") {
  if (cuda_status().devices == 0) return;
  for (const Conv2dShape& s :
       {conv(1, 5, 7, 6, 5, 3, 2, 1, 5), conv(2, 2, 19, 18, 2, 3, 1, 1, 2),
        conv(2, 32, 112, 112, 32, 3, 1, 1, 32), conv(2, 512, 14, 14, 512, 3, 1, 1, 512),
        conv(2, 1024, 7, 7, 1024, 3, 1, 1, 1024)}) {
    compare_conv(s);
  }
}

TEST_CASE("cuda vs cuDNN: batch norm, training, eval and backward") {
  if (cuda_status().devices == 0) return;
  for (const BatchNormShape& s :
       {BatchNormShape{3, 5, 7, 9}, BatchNormShape{4, 64, 28, 28}, BatchNormShape{8, 512, 7, 7}}) {
    const size_t n = size_t(s.N) * s.C * s.H * s.W;
    const std::string label = "N" + std::to_string(s.N) + " C" + std::to_string(s.C);
    std::vector<float> xs = random_vector(n, 5, 2.f);
    for (float& v : xs) v += 1.f;
    DeviceArray x(xs), dy(random_vector(n, 6)), gamma(random_vector(s.C, 7)),
        beta(random_vector(s.C, 8));
    std::vector<std::vector<float>> results[2];
    const KernelTable* tables[2] = {&ours(), &lib()};
    for (int i = 0; i < 2; ++i) {
      const KernelTable& t = *tables[i];
      DeviceArray rm(std::vector<float>(s.C, 0.5f)), rv(std::vector<float>(s.C, 2.f));
      DeviceArray y(n), mean(s.C), invstd(s.C), y_eval(n), dx(n), dgamma(s.C), dbeta(s.C);
      t.batch_norm_forward_train(s, x.get(), gamma.get(), beta.get(), 1e-5f, 0.1f, rm.get(),
                                 rv.get(), y.get(), mean.get(), invstd.get());
      t.batch_norm_forward_eval(s, x.get(), gamma.get(), beta.get(), rm.get(), rv.get(), 1e-5f,
                                y_eval.get());
      t.batch_norm_backward(s, dy.get(), x.get(), gamma.get(), mean.get(), invstd.get(), dx.get(),
                            dgamma.get(), dbeta.get());
      for (const DeviceArray* a : {&y, &mean, &invstd, &rm, &rv, &y_eval, &dx, &dgamma, &dbeta})
        results[i].push_back(a->host());
    }
    const char* names[] = {"y",    "mean", "invstd", "running mean", "running var",
                           "eval", "dx",   "dgamma", "dbeta"};
    for (size_t k = 0; k < results[0].size(); ++k)
      expect_close("batch_norm " + label + " " + names[k], results[1][k], results[0][k]);
  }
}

TEST_CASE("cuda vs cuDNN: max, average and global average pooling") {
  if (cuda_status().devices == 0) return;
  for (const Pool2dShape& s :
       {Pool2dShape{2, 3, 7, 5, 3, 2, 1}, Pool2dShape{2, 64, 112, 112, 3, 2, 1},
        Pool2dShape{2, 6, 224, 224, 2, 2, 0}}) {
    const size_t nx = size_t(s.N) * s.C * s.H * s.W, ny = size_t(s.N) * s.C * s.H_out() * s.W_out();
    const std::string label = "N" + std::to_string(s.N) + " C" + std::to_string(s.C) + " " +
                              std::to_string(s.H) + "x" + std::to_string(s.W) + " k" +
                              std::to_string(s.kernel) + " s" + std::to_string(s.stride) + " p" +
                              std::to_string(s.padding);
    DeviceArray x(random_vector(nx, 9)), dy(random_vector(ny, 10));
    DeviceArray y_ours(ny), y_lib(ny), dx_ours(nx), dx_lib(nx);
    DeviceArray argmax(ny);  // int32 indices fit a float buffer's bytes
    int32_t* idx = reinterpret_cast<int32_t*>(argmax.get());
    ours().max_pool2d_forward(s, x.get(), y_ours.get(), idx);
    ours().max_pool2d_backward(s, dy.get(), idx, dx_ours.get());
    lib().max_pool2d_forward(s, x.get(), y_lib.get(), nullptr);
    cuda_baseline::cudnn_max_pool2d_backward(s, x.get(), y_lib.get(), dy.get(), dx_lib.get());
    expect_close("max_pool forward " + label, y_lib.host(), y_ours.host(), 0);
    expect_close("max_pool backward " + label, dx_lib.host(), dx_ours.host());

    for (const KernelTable* t : {&ours(), &lib()}) {
      const bool mine = t == &ours();
      t->avg_pool2d_forward(s, x.get(), (mine ? y_ours : y_lib).get());
      t->avg_pool2d_backward(s, dy.get(), (mine ? dx_ours : dx_lib).get());
    }
    expect_close("avg_pool forward " + label, y_lib.host(), y_ours.host());
    expect_close("avg_pool backward " + label, dx_lib.host(), dx_ours.host());
  }
  const int N = 4, C = 512, HW = 49;
  DeviceArray x(random_vector(size_t(N) * C * HW, 11)), dy(random_vector(size_t(N) * C, 12));
  DeviceArray y_ours(size_t(N) * C), y_lib(size_t(N) * C), dx_ours(size_t(N) * C * HW),
      dx_lib(size_t(N) * C * HW);
  for (const KernelTable* t : {&ours(), &lib()}) {
    const bool mine = t == &ours();
    t->global_avg_pool_forward(N, C, HW, x.get(), (mine ? y_ours : y_lib).get());
    t->global_avg_pool_backward(N, C, HW, dy.get(), (mine ? dx_ours : dx_lib).get());
  }
  expect_close("global_avg_pool forward", y_lib.host(), y_ours.host());
  expect_close("global_avg_pool backward", dx_lib.host(), dx_ours.host());
}

TEST_CASE("cuda vs cuDNN: log-softmax") {
  if (cuda_status().devices == 0) return;
  for (auto [N, K] : {std::pair{5, 33}, std::pair{32, 7}, std::pair{32, 1000}}) {
    const size_t n = size_t(N) * K;
    DeviceArray x(random_vector(n, 13, 5.f)), dy(random_vector(n, 14));
    DeviceArray y_ours(n), y_lib(n), dx_ours(n), dx_lib(n);
    for (const KernelTable* t : {&ours(), &lib()}) {
      const bool mine = t == &ours();
      t->log_softmax_forward(N, K, x.get(), (mine ? y_ours : y_lib).get());
      // Both backward passes start from the same y: the library's.
      t->log_softmax_backward(N, K, y_lib.get(), dy.get(), (mine ? dx_ours : dx_lib).get());
    }
    const std::string label = "N" + std::to_string(N) + " K" + std::to_string(K);
    expect_close("log_softmax forward " + label, y_lib.host(), y_ours.host());
    expect_close("log_softmax backward " + label, dx_lib.host(), dx_ours.host());
  }
}

TEST_CASE("cuda vs cuBLAS: linear (SGEMM), with bias") {
  if (cuda_status().devices == 0) return;
  for (const LinearShape& s : {LinearShape{67, 17, 65}, LinearShape{32, 512, 7},
                               LinearShape{32, 1024, 1000}, LinearShape{32, 46656, 120}}) {
    const size_t nx = size_t(s.N) * s.in, nw = size_t(s.out) * s.in, ny = size_t(s.N) * s.out;
    DeviceArray x(random_vector(nx, 15)), w(random_vector(nw, 16, 0.1f)),
        b(random_vector(s.out, 17)), dy(random_vector(ny, 18));
    DeviceArray y_ours(ny), y_lib(ny), dx_ours(nx), dx_lib(nx), dw_ours(nw), dw_lib(nw),
        db_ours(s.out), db_lib(s.out);
    for (const KernelTable* t : {&ours(), &lib()}) {
      const bool mine = t == &ours();
      t->linear_forward(s, x.get(), w.get(), b.get(), (mine ? y_ours : y_lib).get());
      t->linear_backward_input(s, dy.get(), w.get(), (mine ? dx_ours : dx_lib).get());
      t->linear_backward_weight(s, x.get(), dy.get(), (mine ? dw_ours : dw_lib).get(),
                                (mine ? db_ours : db_lib).get());
    }
    const std::string label =
        "N" + std::to_string(s.N) + " in" + std::to_string(s.in) + " out" + std::to_string(s.out);
    expect_close("linear forward " + label, y_lib.host(), y_ours.host());
    expect_close("linear backward input " + label, dx_lib.host(), dx_ours.host());
    expect_close("linear backward weight " + label, dw_lib.host(), dw_ours.host());
    expect_close("linear backward bias " + label, db_lib.host(), db_ours.host());
  }
}

#endif  // CUDAGRAD_HAVE_BASELINES
