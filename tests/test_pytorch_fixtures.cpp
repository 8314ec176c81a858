// cudagrad against PyTorch: each op, a tiny network's forward and backward,
// and its first 10 training losses, compared with the reference values that
// tests/fixtures/make_fixtures.py wrote (read its docstring for the files).
//
// Tolerances. An element passes when |got - want| <= atol + rtol * |want|,
// with atol = rtol * max|want| over the tensor: the rounding error of a sum
// grows with the size of its terms, which the tensor's largest element
// stands for, so an element that cancels to nearly zero is not held to an
// impossible relative accuracy.
//   * single ops, rtol 1e-5: our kernels run in float32 with double
//     accumulation against a float64 PyTorch on float32-exact inputs, so
//     the only error is a few float32 roundings (~6e-8 each) per element;
//     1e-5 leaves a margin of ~100 while still catching any wrong term.
//   * the tiny network, rtol 2e-5: the same errors pass through five ops.
//   * the 10 training steps, rtol 1e-4: each step's rounding moves the
//     next step's weights and the errors compound (PyTorch itself, run in
//     float32, is 1e-6 away from float64 on these losses and weights).
// A failure prints the worst element's error as a fraction of its tolerance,
// and a pass above half of it is reported too, so a near miss shows up
// before it turns into a failure.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <iomanip>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "engine/dispatch.h"
#include "engine/ops.h"
#include "engine/optim.h"
#include "engine/safetensors.h"

using namespace cudagrad;

namespace {

constexpr double kOpRtol = 1e-5;
constexpr double kNetRtol = 2e-5;
constexpr double kTrainRtol = 1e-4;

// Where a fixture runs: the CPU with each host backend (the reference and the
// fast kernels), and the GPU when this build has one.
struct Target {
  Device device;
  const KernelTable* host_backend;  // for the CPU; nullptr on a GPU
  std::string name() const { return host_backend ? host_backend->name : device.str(); }
};

std::vector<Target> targets() {
  std::vector<Target> out;
  for (const KernelTable* backend : host_backends()) out.push_back({Device::cpu(), backend});
  if (cuda_status().devices > 0) {
    out.push_back({Device::cuda(), nullptr});
  } else {
    static bool said = false;  // once per run, not once per test
    if (!said) MESSAGE("pytorch fixtures on the GPU skipped: " << cuda_status().reason);
    said = true;
  }
  return out;
}

// Compares element by element with tolerance atol + rtol * |want|.
void expect_close(const std::string& name, const Tensor& got, const Tensor& want, double rtol,
                  double atol) {
  INFO(name);
  REQUIRE(got.defined());
  CHECK_MESSAGE(got.shape() == want.shape(),
                "shape " << shape_str(got.shape()) << ", expected " << shape_str(want.shape()));
  if (got.shape() != want.shape()) return;
  const std::vector<float> g = got.to_vector(), w = want.to_vector();
  double worst = 0;
  size_t worst_at = 0;
  for (size_t i = 0; i < g.size(); ++i) {
    const double tol = atol + rtol * std::fabs(w[i]);
    const double err = std::fabs(static_cast<double>(g[i]) - w[i]);
    const double ratio = std::isfinite(g[i]) ? err / tol : INFINITY;
    if (ratio > worst) {
      worst = ratio;
      worst_at = i;
    }
  }
  std::ostringstream report;
  report << std::setprecision(3) << "worst |err|/tol = " << worst;
  if (!g.empty())
    report << std::setprecision(9) << " at [" << worst_at << "]: got " << g[worst_at] << ", want "
           << w[worst_at];
  CHECK_MESSAGE(worst <= 1.0, report.str());
  if (worst > 0.5 && worst <= 1.0) MESSAGE("near miss, " << name << ": " << report.str());
}

// The same, with atol = rtol * max|want| (see the top of the file).
void expect_close(const std::string& name, const Tensor& got, const Tensor& want, double rtol) {
  double scale = 0;
  for (float v : want.to_vector()) scale = std::max(scale, static_cast<double>(std::fabs(v)));
  expect_close(name, got, want, rtol, rtol * std::max(scale, 1e-30));
}

std::string fixture_path(const std::string& name) {
  return std::string(CUDAGRAD_SOURCE_DIR) + "/tests/fixtures/" + name + ".safetensors";
}

// One fixture file: named tensors plus the op's settings as metadata.
class Fixture {
 public:
  Fixture(const std::string& name, const Target& target)
      : name_(name),
        device_(target.device),
        target_name_(target.name()),
        scope_(target.host_backend ? std::make_unique<HostBackendScope>(*target.host_backend)
                                   : nullptr),
        tensors_(load_safetensors(fixture_path(name), &meta_)) {}

  bool has(const std::string& key) const {
    for (const auto& nt : tensors_)
      if (nt.first == key) return true;
    return false;
  }
  // A fresh copy on the test's device, so the fixture itself is never changed.
  Tensor get(const std::string& key) const {
    return find_tensor(tensors_, key, fixture_path(name_)).to(device_);
  }
  // The stored CPU tensor, to compare against.
  Tensor reference(const std::string& key) const {
    return find_tensor(tensors_, key, fixture_path(name_));
  }
  std::vector<int32_t> targets(const std::string& key) const {
    std::vector<int32_t> out;
    for (float v : reference(key).to_vector()) out.push_back(static_cast<int32_t>(v));
    return out;
  }
  const std::string& meta(const std::string& key) const {
    auto it = meta_.find(key);
    REQUIRE_MESSAGE(it != meta_.end(), name_ << " has no metadata '" << key << "'");
    return it->second;
  }
  int meta_int(const std::string& key) const { return std::stoi(meta(key)); }
  float meta_float(const std::string& key) const { return std::stof(meta(key)); }
  std::string label(const std::string& what) const {
    return name_ + " [" + target_name_ + "] " + what;
  }

 private:
  std::string name_;
  Device device_;
  std::string target_name_;
  std::unique_ptr<HostBackendScope> scope_;  // the host backend, while the fixture lives
  SafetensorsMetadata meta_;
  NamedTensors tensors_;
};

using OpFn = std::function<Tensor(const std::vector<Tensor>& inputs)>;

// Runs op on the fixture's inputs (an absent one, such as a bias, is passed
// undefined), compares "out", back-propagates "dy" and compares
// "grad_<input>" for every input that has one. Returns the inputs.
std::vector<Tensor> check_op(const Fixture& f, const std::vector<std::string>& names,
                             const OpFn& op, double rtol = kOpRtol) {
  std::vector<Tensor> inputs;
  for (const std::string& n : names) {
    Tensor t = f.has(n) ? f.get(n) : Tensor();
    if (f.has("grad_" + n)) t.set_requires_grad(true);
    inputs.push_back(t);
  }
  Tensor out = op(inputs);
  expect_close(f.label("out"), out, f.reference("out"), rtol);
  out.backward(f.get("dy"));
  for (size_t i = 0; i < names.size(); ++i) {
    if (!f.has("grad_" + names[i])) continue;
    INFO(f.label("grad_" + names[i]));
    CHECK(inputs[i].grad().defined());
    if (inputs[i].grad().defined())
      expect_close(f.label("grad_" + names[i]), inputs[i].grad(), f.reference("grad_" + names[i]),
                   rtol);
  }
  return inputs;
}

}  // namespace

TEST_CASE("pytorch fixtures: conv2d (strides, padding, no bias, 1x1, groups, depthwise)") {
  const char* names[] = {
      "conv2d_stride1_pad1", "conv2d_stride2_pad1",      "conv2d_stride2_pad0_nobias", "conv2d_1x1",
      "conv2d_groups2",      "conv2d_depthwise_stride1", "conv2d_depthwise_stride2"};
  for (const Target& d : targets())
    for (const char* name : names) {
      Fixture f(name, d);
      const int stride = f.meta_int("stride"), pad = f.meta_int("padding");
      const int groups = f.meta_int("groups");
      check_op(f, {"x", "weight", "bias"}, [&](const std::vector<Tensor>& in) {
        return conv2d(in[0], in[1], in[2], stride, pad, groups);
      });
    }
}

TEST_CASE("pytorch fixtures: batch_norm2d in training updates the running statistics") {
  for (const Target& d : targets()) {
    Fixture f("batch_norm2d_train", d);
    const float momentum = f.meta_float("momentum"), eps = f.meta_float("eps");
    auto in =
        check_op(f, {"x", "gamma", "beta", "running_mean", "running_var"},
                 [&](const std::vector<Tensor>& in) {
                   return batch_norm2d(in[0], in[1], in[2], in[3], in[4], true, momentum, eps);
                 });
    expect_close(f.label("running_mean_out"), in[3], f.reference("running_mean_out"), kOpRtol);
    expect_close(f.label("running_var_out"), in[4], f.reference("running_var_out"), kOpRtol);
  }
}

TEST_CASE("pytorch fixtures: batch_norm2d in evaluation") {
  for (const Target& d : targets()) {
    Fixture f("batch_norm2d_eval", d);
    const float eps = f.meta_float("eps");
    auto in = check_op(f, {"x", "gamma", "beta", "running_mean", "running_var"},
                       [&](const std::vector<Tensor>& in) {
                         return batch_norm2d(in[0], in[1], in[2], in[3], in[4], false, 0.1f, eps);
                       });
    // Evaluation must leave the running statistics exactly as they were.
    CHECK(in[3].to_vector() == f.reference("running_mean").to_vector());
    CHECK(in[4].to_vector() == f.reference("running_var").to_vector());
  }
}

TEST_CASE("pytorch fixtures: max_pool2d, avg_pool2d (count_include_pad), global_avg_pool2d") {
  for (const Target& d : targets()) {
    for (const char* name : {"max_pool2d_k2_s2_p0", "max_pool2d_k3_s2_p1"}) {
      Fixture f(name, d);
      const int k = f.meta_int("kernel"), s = f.meta_int("stride"), p = f.meta_int("padding");
      check_op(f, {"x"}, [&](const std::vector<Tensor>& in) { return max_pool2d(in[0], k, s, p); });
    }
    for (const char* name : {"avg_pool2d_k2_s2_p0", "avg_pool2d_k3_s2_p1"}) {
      Fixture f(name, d);
      const int k = f.meta_int("kernel"), s = f.meta_int("stride"), p = f.meta_int("padding");
      check_op(f, {"x"}, [&](const std::vector<Tensor>& in) { return avg_pool2d(in[0], k, s, p); });
    }
    check_op(Fixture("global_avg_pool2d", d), {"x"},
             [](const std::vector<Tensor>& in) { return global_avg_pool2d(in[0]); });
  }
}

TEST_CASE("pytorch fixtures: relu, add, concat_channels, linear, log_softmax") {
  for (const Target& d : targets()) {
    check_op(Fixture("relu", d), {"x"}, [](const std::vector<Tensor>& in) { return relu(in[0]); });
    check_op(Fixture("add", d), {"a", "b"},
             [](const std::vector<Tensor>& in) { return add(in[0], in[1]); });
    check_op(Fixture("concat_channels", d), {"a", "b", "c"},
             [](const std::vector<Tensor>& in) { return concat_channels(in); });
    for (const char* name : {"linear", "linear_nobias"})
      check_op(Fixture(name, d), {"x", "weight", "bias"},
               [](const std::vector<Tensor>& in) { return linear(in[0], in[1], in[2]); });
    check_op(Fixture("log_softmax", d), {"x"},
             [](const std::vector<Tensor>& in) { return log_softmax(in[0]); });
  }
}

TEST_CASE("pytorch fixtures: cross_entropy with class weights and label smoothing") {
  const char* names[] = {"cross_entropy", "cross_entropy_weighted", "cross_entropy_smoothing",
                         "cross_entropy_weighted_smoothing"};
  for (const Target& d : targets())
    for (const char* name : names) {
      Fixture f(name, d);
      const std::vector<int32_t> targets = f.targets("target");
      const float smoothing = f.meta_float("label_smoothing");
      check_op(f, {"logits", "weight"}, [&](const std::vector<Tensor>& in) {
        return cross_entropy(in[0], targets, in[1], smoothing);
      });
      // nll_loss after log_softmax is the same function, spelled in two ops.
      check_op(f, {"logits", "weight"}, [&](const std::vector<Tensor>& in) {
        return nll_loss(log_softmax(in[0]), targets, in[1], smoothing);
      });
    }
}

namespace {

// conv(3->4, 3x3, pad 1, no bias) - BN - ReLU - max pool 2 - flatten - linear(24->5)
struct TinyNet {
  Tensor conv_weight, bn_gamma, bn_beta, bn_running_mean, bn_running_var, fc_weight, fc_bias;

  explicit TinyNet(const Fixture& f)
      : conv_weight(f.get("conv_weight").set_requires_grad(true)),
        bn_gamma(f.get("bn_gamma").set_requires_grad(true)),
        bn_beta(f.get("bn_beta").set_requires_grad(true)),
        bn_running_mean(f.get("bn_running_mean")),
        bn_running_var(f.get("bn_running_var")),
        fc_weight(f.get("fc_weight").set_requires_grad(true)),
        fc_bias(f.get("fc_bias").set_requires_grad(true)) {}

  // The order the script handed them to the PyTorch optimizer.
  std::vector<std::pair<std::string, Tensor>> params() const {
    return {{"conv_weight", conv_weight},
            {"bn_gamma", bn_gamma},
            {"bn_beta", bn_beta},
            {"fc_weight", fc_weight},
            {"fc_bias", fc_bias}};
  }

  Tensor logits(const Tensor& x) const {
    Tensor h = conv2d(x, conv_weight, Tensor(), 1, 1);
    h = batch_norm2d(h, bn_gamma, bn_beta, bn_running_mean, bn_running_var, true, 0.1f, 1e-5f);
    h = max_pool2d(relu(h), 2, 2);
    return linear(flatten(h), fc_weight, fc_bias);
  }
};

std::unique_ptr<Optimizer> make_optimizer(const Fixture& f, const TinyNet& net) {
  std::vector<Tensor> params;
  for (const auto& p : net.params()) params.push_back(p.second);
  const float lr = f.meta_float("lr"), wd = f.meta_float("weight_decay");
  if (f.meta("optimizer") == "adam")
    return std::make_unique<Adam>(params, lr, f.meta_float("beta1"), f.meta_float("beta2"),
                                  f.meta_float("eps"), wd, f.meta_int("decoupled") != 0);
  REQUIRE(f.meta("optimizer") == "sgd");
  return std::make_unique<SGD>(params, lr, f.meta_float("momentum"), wd,
                               f.meta_int("nesterov") != 0);
}

}  // namespace

TEST_CASE("pytorch fixtures: tiny network forward and backward, every gradient") {
  for (const Target& d : targets()) {
    Fixture f("tiny_net_forward_backward", d);
    TinyNet net(f);
    Tensor x = f.get("x").set_requires_grad(true);
    Tensor logits = net.logits(x);
    Tensor loss = cross_entropy(logits, f.targets("target"), Tensor());
    loss.backward();
    expect_close(f.label("logits"), logits, f.reference("logits"), kNetRtol);
    expect_close(f.label("loss"), loss, f.reference("loss"), kNetRtol);
    expect_close(f.label("grad_x"), x.grad(), f.reference("grad_x"), kNetRtol);
    for (const auto& p : net.params())
      expect_close(f.label("grad_" + p.first), p.second.grad(), f.reference("grad_" + p.first),
                   kNetRtol);
    expect_close(f.label("bn_running_mean_out"), net.bn_running_mean,
                 f.reference("bn_running_mean_out"), kNetRtol);
    expect_close(f.label("bn_running_var_out"), net.bn_running_var,
                 f.reference("bn_running_var_out"), kNetRtol);
  }
}

TEST_CASE("pytorch fixtures: first 10 training losses with Adam, AdamW and SGD variants") {
  const char* names[] = {"tiny_net_train_adam", "tiny_net_train_adamw",
                         "tiny_net_train_sgd_momentum", "tiny_net_train_sgd_nesterov_wd"};
  for (const Target& d : targets())
    for (const char* name : names) {
      Fixture f(name, d);
      TinyNet net(f);
      std::unique_ptr<Optimizer> opt = make_optimizer(f, net);
      const Tensor x = f.get("x");
      const std::vector<int32_t> targets = f.targets("target");
      const int steps = f.meta_int("steps");
      std::vector<float> losses;
      for (int step = 0; step < steps; ++step) {
        opt->zero_grad();
        Tensor loss = cross_entropy(net.logits(x), targets, Tensor());
        losses.push_back(loss.item());
        loss.backward();
        opt->step();
      }
      // Per step, not scaled by the largest loss: late losses are small and
      // must still match to 1e-4 of themselves.
      const Tensor want = f.reference("losses");
      const Tensor got = Tensor::from_vector(losses, want.shape());
      expect_close(f.label("losses"), got, want, kTrainRtol, 0.0);
      for (const auto& p : net.params())
        expect_close(f.label("final_" + p.first), p.second, f.reference("final_" + p.first),
                     kTrainRtol);
    }
}
