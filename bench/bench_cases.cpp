#include "bench/bench_cases.h"

#include <cstdio>
#include <map>
#include <memory>

#include "base/error.h"
#include "engine/generator.h"
#include "layers/summary.h"
#include "models/registry.h"
#ifdef CUDAGRAD_HAVE_BASELINES
#include "kernels/cuda/baselines/baselines.h"
#endif

namespace cudagrad {
namespace bench {

// ---- Workspace ----------------------------------------------------------------------------
Workspace::~Workspace() {
  for (const Buffer& b : buffers_) table_.deallocate(b.ptr);
}

void* Workspace::allocate(const std::string& name, size_t count) {
  for (const Buffer& b : buffers_) CG_CHECK(b.name != name, "workspace: '" << name << "' twice");
  void* ptr = table_.allocate(std::max<size_t>(count, 1) * 4);
  buffers_.push_back({name, ptr, count});
  return ptr;
}

void Workspace::add(const std::string& name, const std::vector<float>& host) {
  void* ptr = allocate(name, host.size());
  table_.copy_from_host(ptr, host.data(), host.size() * sizeof(float));
}

void Workspace::add_labels(const std::string& name, const std::vector<int32_t>& host) {
  void* ptr = allocate(name, host.size());
  table_.copy_from_host(ptr, host.data(), host.size() * sizeof(int32_t));
}

void Workspace::add_outputs(std::initializer_list<std::pair<const char*, size_t>> outputs) {
  for (const auto& [name, count] : outputs) allocate(name, count);
}

const Workspace::Buffer& Workspace::find(const std::string& name) const {
  for (const Buffer& b : buffers_)
    if (b.name == name) return b;
  CG_FAIL("workspace: no buffer '" << name << "'");
}

float* Workspace::f(const std::string& name) const { return static_cast<float*>(find(name).ptr); }
int32_t* Workspace::i(const std::string& name) const {
  return static_cast<int32_t*>(find(name).ptr);
}

std::vector<float> Workspace::read(const std::string& name) const {
  const Buffer& b = find(name);
  std::vector<float> host(b.count);
  table_.copy_to_host(host.data(), b.ptr, b.count * sizeof(float));
  return host;
}

namespace {

// ---- inputs ------------------------------------------------------------------------------
// Uniform in [low, high), the same for every backend: the seed is fixed per buffer.
std::vector<float> values(size_t n, uint64_t seed, float low = -1.f, float high = 1.f) {
  Generator g(seed);
  std::vector<float> v(n);
  for (float& x : v) x = g.uniform(low, high);
  return v;
}

std::string image(int N, int C, int H, int W) {
  return std::to_string(N) + "x" + std::to_string(C) + "x" + std::to_string(H) + "x" +
         std::to_string(W);
}

// The number after `key` in a layer's describe() text ("3->64 7x7 stride 2 pad 3"),
// or fallback when the key is absent (describe() omits stride 1 and pad 0).
int number_after(const std::string& text, const std::string& key, int fallback) {
  const size_t at = text.find(key);
  return at == std::string::npos ? fallback : std::stoi(text.substr(at + key.size()));
}

// ---- per-op case builders ---------------------------------------------------------------
using Cases = std::vector<BenchCase>;

BenchCase make_case(const std::string& model, const std::string& op, const std::string& shape,
                    Bound bound, double flops, double bytes, std::vector<std::string> outputs,
                    double tolerance = 1e-3) {
  BenchCase c;
  c.model = model, c.op = op, c.shape = shape;
  c.bound = bound, c.flops = flops, c.bytes = bytes;
  c.outputs = std::move(outputs), c.tolerance = tolerance;
  return c;
}

// Forward, backward-input and backward-weight of a convolution; depthwise
// ones go to the table's dedicated depthwise fields.
void conv_cases(const std::string& model, const Conv2dShape& s, bool depthwise, bool bias,
                Cases& out) {
  const size_t nx = size_t(s.N) * s.C_in * s.H * s.W;
  const size_t ny = size_t(s.N) * s.C_out * s.H_out() * s.W_out();
  const size_t nw = size_t(s.C_out) * (s.C_in / s.groups) * s.kernel * s.kernel;
  const size_t nb = bias ? s.C_out : 0;
  const double flops = 2.0 * ny * (s.C_in / s.groups) * s.kernel * s.kernel;
  std::string shape = image(s.N, s.C_in, s.H, s.W) + " >" + std::to_string(s.C_out) + " k" +
                      std::to_string(s.kernel) + " s" + std::to_string(s.stride) + " p" +
                      std::to_string(s.padding);
  if (s.groups > 1) shape += " g" + std::to_string(s.groups);
  // Regular convolutions do many FLOPs per byte; depthwise ones only k*k per
  // output, so they are measured against the memory bandwidth.
  const Bound bound = depthwise ? Bound::memory : Bound::compute;
  const double tolerance = 2e-3;  // cuDNN may pick Winograd or FFT (tests/test_cuda_baselines.cpp)
  const std::string prefix = depthwise ? "depthwise_conv2d" : "conv2d";
  auto prepare = [nx, nw, nb, ny](Workspace& w) {
    w.add("x", values(nx, 1));
    w.add("w", values(nw, 2, -0.3f, 0.3f));
    w.add("b", values(nb, 3));
    w.add("dy", values(ny, 4));
    w.add_outputs({{"y", ny}, {"dx", nx}, {"dw", nw}, {"db", nb}});
  };
  auto b = [bias](const Workspace& w, const char* name) { return bias ? w.f(name) : nullptr; };

  BenchCase forward = make_case(model, prefix + "_forward", shape, bound, flops,
                                4.0 * (nx + nw + nb + ny), {"y"}, tolerance);
  forward.run = [s, depthwise, b](Workspace& w) {
    const KernelTable& t = w.table();
    (depthwise ? t.depthwise_conv2d_forward : t.conv2d_forward)(s, w.f("x"), w.f("w"), b(w, "b"),
                                                                w.f("y"));
  };
  forward.available = [depthwise](const KernelTable& t) {
    return (depthwise ? t.depthwise_conv2d_forward : t.conv2d_forward) != nullptr;
  };

  BenchCase input = make_case(model, prefix + "_backward_input", shape, bound, flops,
                              4.0 * (ny + nw + nx), {"dx"}, tolerance);
  input.run = [s, depthwise](Workspace& w) {
    const KernelTable& t = w.table();
    (depthwise ? t.depthwise_conv2d_backward_input : t.conv2d_backward_input)(s, w.f("dy"),
                                                                              w.f("w"), w.f("dx"));
  };
  input.available = [depthwise](const KernelTable& t) {
    return (depthwise ? t.depthwise_conv2d_backward_input : t.conv2d_backward_input) != nullptr;
  };

  BenchCase weight = make_case(model, prefix + "_backward_weight", shape, bound, flops,
                               4.0 * (nx + ny + nw + nb), {"dw"}, tolerance);
  if (bias) weight.outputs.push_back("db");
  weight.run = [s, depthwise, b](Workspace& w) {
    const KernelTable& t = w.table();
    (depthwise ? t.depthwise_conv2d_backward_weight : t.conv2d_backward_weight)(
        s, w.f("x"), w.f("dy"), w.f("dw"), b(w, "db"));
  };
  weight.available = [depthwise](const KernelTable& t) {
    return (depthwise ? t.depthwise_conv2d_backward_weight : t.conv2d_backward_weight) != nullptr;
  };
  for (BenchCase* c : {&forward, &input, &weight}) {
    c->prepare = prepare;
    out.push_back(*c);
  }
}

void batch_norm_cases(const std::string& model, const BatchNormShape& s, Cases& out) {
  const size_t n = size_t(s.N) * s.C * s.H * s.W, c = s.C;
  const std::string shape = image(s.N, s.C, s.H, s.W);
  auto inputs = [n, c](Workspace& w) {
    w.add("x", values(n, 5, -1.f, 3.f));
    w.add("gamma", values(c, 6, 0.5f, 1.5f));
    w.add("beta", values(c, 7));
    w.add("running_mean", values(c, 8, -0.1f, 0.1f));
    w.add("running_var", values(c, 9, 0.5f, 2.f));
    w.add("dy", values(n, 10));
    w.add_outputs({{"y", n}, {"dx", n}, {"mean", c}, {"invstd", c}, {"dgamma", c}, {"dbeta", c}});
  };
  auto train = [s](Workspace& w) {
    w.table().batch_norm_forward_train(s, w.f("x"), w.f("gamma"), w.f("beta"), 1e-5f, 0.1f,
                                       w.f("running_mean"), w.f("running_var"), w.f("y"),
                                       w.f("mean"), w.f("invstd"));
  };

  BenchCase forward = make_case(model, "batch_norm_forward_train", shape, Bound::memory, 0,
                                4.0 * 2 * n, {"y", "mean", "invstd"});
  forward.prepare = inputs;
  forward.run = train;
  forward.available = [](const KernelTable& t) { return t.batch_norm_forward_train != nullptr; };

  BenchCase eval =
      make_case(model, "batch_norm_forward_eval", shape, Bound::memory, 0, 4.0 * 2 * n, {"y"});
  eval.prepare = inputs;
  eval.run = [s](Workspace& w) {
    w.table().batch_norm_forward_eval(s, w.f("x"), w.f("gamma"), w.f("beta"), w.f("running_mean"),
                                      w.f("running_var"), 1e-5f, w.f("y"));
  };
  eval.available = [](const KernelTable& t) { return t.batch_norm_forward_eval != nullptr; };

  // The backward pass reads the statistics its own backend's forward saved.
  BenchCase backward = make_case(model, "batch_norm_backward", shape, Bound::memory, 0, 4.0 * 3 * n,
                                 {"dx", "dgamma", "dbeta"});
  backward.prepare = [inputs, train](Workspace& w) {
    inputs(w);
    train(w);
  };
  backward.run = [s](Workspace& w) {
    w.table().batch_norm_backward(s, w.f("dy"), w.f("x"), w.f("gamma"), w.f("mean"), w.f("invstd"),
                                  w.f("dx"), w.f("dgamma"), w.f("dbeta"));
  };
  backward.available = [](const KernelTable& t) { return t.batch_norm_backward != nullptr; };
  out.insert(out.end(), {forward, eval, backward});
}

void relu_cases(const std::string& model, const Shape& in, Cases& out) {
  const size_t n = size_t(shape_numel(in));
  std::string shape;
  for (size_t d = 0; d < in.size(); ++d) shape += (d ? "x" : "") + std::to_string(in[d]);
  auto prepare = [n](Workspace& w) {
    w.add("x", values(n, 11));
    w.add("dy", values(n, 12));
    w.add_outputs({{"y", n}, {"dx", n}});
  };
  BenchCase forward = make_case(model, "relu_forward", shape, Bound::memory, 0, 4.0 * 2 * n, {"y"},
                                /*tolerance=*/0);
  forward.prepare = prepare;
  forward.run = [n](Workspace& w) { w.table().relu_forward(int64_t(n), w.f("x"), w.f("y")); };
  forward.available = [](const KernelTable& t) { return t.relu_forward != nullptr; };
  BenchCase backward = make_case(model, "relu_backward", shape, Bound::memory, 0, 4.0 * 3 * n,
                                 {"dx"}, /*tolerance=*/0);
  backward.prepare = prepare;
  backward.run = [n](Workspace& w) {
    w.table().relu_backward(int64_t(n), w.f("x"), w.f("dy"), w.f("dx"));
  };
  backward.available = [](const KernelTable& t) { return t.relu_backward != nullptr; };
  out.insert(out.end(), {forward, backward});
}

void max_pool_cases(const std::string& model, const Pool2dShape& s, Cases& out) {
  const size_t nx = size_t(s.N) * s.C * s.H * s.W, ny = size_t(s.N) * s.C * s.H_out() * s.W_out();
  const std::string shape = image(s.N, s.C, s.H, s.W) + " k" + std::to_string(s.kernel) + " s" +
                            std::to_string(s.stride) + " p" + std::to_string(s.padding);
  auto forward_call = [s](Workspace& w) {
    w.table().max_pool2d_forward(s, w.f("x"), w.f("y"), w.i("argmax"));
  };
  auto inputs = [nx, ny](Workspace& w) {
    w.add("x", values(nx, 13));
    w.add("dy", values(ny, 14));
    w.add_outputs({{"y", ny}, {"argmax", ny}, {"dx", nx}});
  };
  // argmax is not compared: cuDNN does not produce it.
  BenchCase forward = make_case(model, "max_pool2d_forward", shape, Bound::memory, 0,
                                4.0 * (nx + 2 * ny), {"y"}, /*tolerance=*/0);
  forward.prepare = inputs;
  forward.run = forward_call;
  forward.available = [](const KernelTable& t) { return t.max_pool2d_forward != nullptr; };
  BenchCase backward =
      make_case(model, "max_pool2d_backward", shape, Bound::memory, 0, 4.0 * (2 * ny + nx), {"dx"});
  backward.prepare = [inputs, forward_call](Workspace& w) {
    inputs(w);
    forward_call(w);
  };
  backward.run = [s](Workspace& w) {
    if (w.table().max_pool2d_backward) {
      w.table().max_pool2d_backward(s, w.f("dy"), w.i("argmax"), w.f("dx"));
      return;
    }
#ifdef CUDAGRAD_HAVE_BASELINES
    // cuDNN's backward takes the input and output instead of indices.
    cuda_baseline::cudnn_max_pool2d_backward(s, w.f("x"), w.f("y"), w.f("dy"), w.f("dx"));
#endif
  };
  backward.available = [](const KernelTable& t) {
#ifdef CUDAGRAD_HAVE_BASELINES
    if (&t == &cuda_baseline::kernel_table()) return true;
#endif
    return t.max_pool2d_backward != nullptr;
  };
  out.insert(out.end(), {forward, backward});
}

void global_avg_pool_cases(const std::string& model, const Shape& in, Cases& out) {
  const int N = int(in[0]), C = int(in[1]), HW = int(in[2] * in[3]);
  const size_t nx = size_t(N) * C * HW, ny = size_t(N) * C;
  const std::string shape = image(N, C, int(in[2]), int(in[3]));
  auto prepare = [nx, ny](Workspace& w) {
    w.add("x", values(nx, 15));
    w.add("dy", values(ny, 16));
    w.add_outputs({{"y", ny}, {"dx", nx}});
  };
  BenchCase forward =
      make_case(model, "global_avg_pool_forward", shape, Bound::memory, 0, 4.0 * (nx + ny), {"y"});
  forward.prepare = prepare;
  forward.run = [N, C, HW](Workspace& w) {
    w.table().global_avg_pool_forward(N, C, HW, w.f("x"), w.f("y"));
  };
  forward.available = [](const KernelTable& t) { return t.global_avg_pool_forward != nullptr; };
  BenchCase backward = make_case(model, "global_avg_pool_backward", shape, Bound::memory, 0,
                                 4.0 * (nx + ny), {"dx"});
  backward.prepare = prepare;
  backward.run = [N, C, HW](Workspace& w) {
    w.table().global_avg_pool_backward(N, C, HW, w.f("dy"), w.f("dx"));
  };
  backward.available = [](const KernelTable& t) { return t.global_avg_pool_backward != nullptr; };
  out.insert(out.end(), {forward, backward});
}

void linear_cases(const std::string& model, const LinearShape& s, bool bias, Cases& out) {
  const size_t nx = size_t(s.N) * s.in, nw = size_t(s.out) * s.in, ny = size_t(s.N) * s.out;
  const size_t nb = bias ? s.out : 0;
  const double flops = 2.0 * s.N * s.in * s.out;
  const std::string shape =
      std::to_string(s.N) + "x" + std::to_string(s.in) + " >" + std::to_string(s.out);
  auto prepare = [nx, nw, ny, nb](Workspace& w) {
    w.add("x", values(nx, 17));
    w.add("w", values(nw, 18, -0.1f, 0.1f));
    w.add("b", values(nb, 19));
    w.add("dy", values(ny, 20));
    w.add_outputs({{"y", ny}, {"dx", nx}, {"dw", nw}, {"db", nb}});
  };
  auto b = [bias](const Workspace& w, const char* name) { return bias ? w.f(name) : nullptr; };
  BenchCase forward = make_case(model, "linear_forward", shape, Bound::compute, flops,
                                4.0 * (nx + nw + nb + ny), {"y"});
  forward.run = [s, b](Workspace& w) {
    w.table().linear_forward(s, w.f("x"), w.f("w"), b(w, "b"), w.f("y"));
  };
  forward.available = [](const KernelTable& t) { return t.linear_forward != nullptr; };
  BenchCase input = make_case(model, "linear_backward_input", shape, Bound::compute, flops,
                              4.0 * (ny + nw + nx), {"dx"});
  input.run = [s](Workspace& w) {
    w.table().linear_backward_input(s, w.f("dy"), w.f("w"), w.f("dx"));
  };
  input.available = [](const KernelTable& t) { return t.linear_backward_input != nullptr; };
  BenchCase weight = make_case(model, "linear_backward_weight", shape, Bound::compute, flops,
                               4.0 * (nx + ny + nw + nb), {"dw"});
  if (bias) weight.outputs.push_back("db");
  weight.run = [s, b](Workspace& w) {
    w.table().linear_backward_weight(s, w.f("x"), w.f("dy"), w.f("dw"), b(w, "db"));
  };
  weight.available = [](const KernelTable& t) { return t.linear_backward_weight != nullptr; };
  for (BenchCase* c : {&forward, &input, &weight}) {
    c->prepare = prepare;
    out.push_back(*c);
  }
}

// log-softmax and the weighted, label-smoothed loss on the (N, classes) logits.
void head_cases(const std::string& model, int N, int K, Cases& out) {
  const size_t n = size_t(N) * K;
  const std::string shape = std::to_string(N) + "x" + std::to_string(K);
  auto prepare = [N, K, n](Workspace& w) {
    w.add("x", values(n, 21, -5.f, 5.f));
    w.add("dy", values(n, 22));
    std::vector<int32_t> labels(N);
    for (int i = 0; i < N; ++i) labels[i] = (i * 5 + 3) % K;
    w.add_labels("targets", labels);
    w.add("weights", values(size_t(K), 23, 0.2f, 2.f));
    w.add("dloss", {1.f});
    w.add_outputs({{"y", n}, {"dx", n}, {"loss", 1}, {"dlogp", n}});
    w.table().log_softmax_forward(N, K, w.f("x"), w.f("y"));  // the loss's log-probabilities
  };
  BenchCase forward =
      make_case(model, "log_softmax_forward", shape, Bound::memory, 0, 4.0 * 2 * n, {"y"});
  forward.run = [N, K](Workspace& w) { w.table().log_softmax_forward(N, K, w.f("x"), w.f("y")); };
  forward.available = [](const KernelTable& t) { return t.log_softmax_forward != nullptr; };
  BenchCase backward =
      make_case(model, "log_softmax_backward", shape, Bound::memory, 0, 4.0 * 3 * n, {"dx"});
  backward.run = [N, K](Workspace& w) {
    w.table().log_softmax_backward(N, K, w.f("y"), w.f("dy"), w.f("dx"));
  };
  backward.available = [](const KernelTable& t) { return t.log_softmax_backward != nullptr; };
  BenchCase loss =
      make_case(model, "nll_loss_forward", shape, Bound::memory, 0, 4.0 * (n + N), {"loss"});
  loss.run = [N, K](Workspace& w) {
    w.table().nll_loss_forward(N, K, w.f("y"), w.i("targets"), w.f("weights"), 0.1f, w.f("loss"));
  };
  loss.available = [](const KernelTable& t) { return t.nll_loss_forward != nullptr; };
  BenchCase loss_backward =
      make_case(model, "nll_loss_backward", shape, Bound::memory, 0, 4.0 * (n + N), {"dlogp"});
  loss_backward.run = [N, K](Workspace& w) {
    w.table().nll_loss_backward(N, K, w.i("targets"), w.f("weights"), 0.1f, w.f("dloss"),
                                w.f("dlogp"));
  };
  loss_backward.available = [](const KernelTable& t) { return t.nll_loss_backward != nullptr; };
  for (BenchCase* c : {&forward, &backward, &loss, &loss_backward}) {
    c->prepare = prepare;
    out.push_back(*c);
  }
}

// One optimizer step over all trainable parameters, as if they were one arena.
void optimizer_cases(const std::string& model, int64_t params, Cases& out) {
  const size_t n = size_t(params);
  const std::string shape = with_thousands(params) + " params";
  auto prepare = [n](Workspace& w) {
    w.add("param", values(n, 24));
    w.add("grad", values(n, 25, -0.01f, 0.01f));
    w.add("buf", values(n, 26, -0.01f, 0.01f));
    w.add("m", values(n, 27, -0.01f, 0.01f));
    w.add("v", values(n, 28, 0.f, 1e-4f));
  };
  BenchCase sgd =
      make_case(model, "sgd_step", shape, Bound::memory, 0, 4.0 * 5 * n, {"param", "buf"});
  sgd.run = [n](Workspace& w) {
    w.table().sgd_step(int64_t(n), w.f("param"), w.f("grad"), w.f("buf"), 0.01f, 0.9f, 1e-4f,
                       false);
  };
  sgd.available = [](const KernelTable& t) { return t.sgd_step != nullptr; };
  BenchCase adam =
      make_case(model, "adam_step", shape, Bound::memory, 0, 4.0 * 7 * n, {"param", "m", "v"});
  adam.run = [n](Workspace& w) {
    w.table().adam_step(int64_t(n), w.f("param"), w.f("grad"), w.f("m"), w.f("v"), 1e-3f, 0.9f,
                        0.999f, 1e-8f, 1e-2f, true, 10);
  };
  adam.available = [](const KernelTable& t) { return t.adam_step != nullptr; };
  for (BenchCase* c : {&sgd, &adam}) {
    c->prepare = prepare;
    out.push_back(*c);
  }
}

bool has_bias(const Module& layer) {
  for (const auto& [name, t] : layer.named_parameters())
    if (name == "bias") return true;
  return false;
}

}  // namespace

std::vector<BenchCase> model_cases(const std::string& model_name, int batch, int classes) {
  Generator gen(0);  // the weights are not used, only the layers' settings
  auto model = make_model(model_name, classes, gen);
  ShapeTrace trace;
  trace.through("", *model, {batch, 3, 224, 224});

  Cases cases;
  for (const TracedLayer& l : trace.layers()) {
    const std::string kind = l.layer->kind(), text = l.layer->describe();
    const Shape& in = l.input;
    if (kind == "Conv2d" || kind == "DepthwiseConv2d") {
      Conv2dShape s;
      s.N = int(in[0]), s.C_in = int(in[1]), s.H = int(in[2]), s.W = int(in[3]);
      s.C_out = int(l.output[1]);
      int k1 = 0, k2 = 0;
      CG_CHECK(std::sscanf(text.c_str(), "%*d->%*d %dx%d", &k1, &k2) == 2,
               "cannot read the kernel size of " << l.name << " from '" << text << "'");
      s.kernel = k1;
      s.stride = number_after(text, "stride ", 1), s.padding = number_after(text, "pad ", 0);
      s.groups = kind == "DepthwiseConv2d" ? s.C_in : number_after(text, "groups ", 1);
      CG_CHECK(s.H_out() == l.output[2] && s.W_out() == l.output[3],
               "the settings read from " << l.name << " ('" << text << "') do not give its output");
      conv_cases(model_name, s, kind == "DepthwiseConv2d", has_bias(*l.layer), cases);
    } else if (kind == "BatchNorm2d") {
      batch_norm_cases(model_name, {int(in[0]), int(in[1]), int(in[2]), int(in[3])}, cases);
    } else if (kind == "ReLU") {
      relu_cases(model_name, in, cases);
    } else if (kind == "MaxPool2d") {
      Pool2dShape s{int(in[0]), int(in[1]), int(in[2]), int(in[3]), 0, 1, 0};
      CG_CHECK(std::sscanf(text.c_str(), "%dx", &s.kernel) == 1, "cannot read " << l.name);
      s.stride = number_after(text, "stride ", 1), s.padding = number_after(text, "pad ", 0);
      CG_CHECK(s.H_out() == l.output[2], "the settings read from " << l.name << " do not fit");
      max_pool_cases(model_name, s, cases);
    } else if (kind == "GlobalAvgPool") {
      global_avg_pool_cases(model_name, in, cases);
    } else if (kind == "Linear") {
      linear_cases(model_name, {int(in[0]), int(in[1]), int(l.output[1])}, has_bias(*l.layer),
                   cases);
    }
    // Flatten is a view; Dropout appears only in MobileNet's dense head.
  }
  head_cases(model_name, batch, classes, cases);
  optimizer_cases(model_name, count_parameters(*model).trainable, cases);

  // One case per (op, shape), counting the layers that share it.
  Cases unique;
  std::map<std::string, size_t> seen;
  for (BenchCase& c : cases) {
    auto [it, fresh] = seen.emplace(c.op + "|" + c.shape, unique.size());
    if (fresh) {
      unique.push_back(std::move(c));
    } else {
      ++unique[it->second].layers;
    }
  }
  return unique;
}

}  // namespace bench
}  // namespace cudagrad
