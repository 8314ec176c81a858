// Each op: check arguments, run the forward kernel, record the backward.
// Backward closures save detached tensors (shared storage, no graph) so the
// graph holds no reference cycle.
#include "engine/ops.h"

#include <algorithm>
#include <cmath>

#include "base/error.h"
#include "engine/autograd.h"
#include "engine/dispatch.h"

namespace cudagrad {

namespace {

const KernelTable& kernels(const Tensor& t) { return kernels_for(t.device()); }

float* data_or_null(const Tensor& t) { return t.defined() ? t.data() : nullptr; }

void check_defined(const char* op, const Tensor& t, const char* what) {
  CG_CHECK(t.defined(), op << ": " << what << " is undefined");
}

void check_same_device(const char* op, const Tensor& a, const Tensor& b) {
  if (a.defined() && b.defined())
    CG_CHECK(a.device() == b.device(), op << ": tensors on " << a.device().str() << " and "
                                          << b.device().str() << "; move them to one device");
}

void check_nchw(const char* op, const Tensor& x) {
  check_defined(op, x, "input");
  CG_CHECK(x.ndim() == 4, op << ": input must be (N, C, H, W), got " << shape_str(x.shape()));
}

// Raw memory for integer side data (max-pool winners, class targets).
std::shared_ptr<Storage> int_buffer(int64_t count, Device device) {
  return std::make_shared<Storage>(count * sizeof(int32_t), device);
}

}  // namespace

// ---- convolution --------------------------------------------------------------------

namespace {

// Checks conv2d's arguments for an input of shape x_shape and returns the
// kernels' shape; bias may be undefined.
Conv2dShape conv2d_shape(const char* op, const Shape& x_shape, const Tensor& weight,
                         const Tensor& bias, int stride, int padding, int groups) {
  check_defined(op, weight, "weight");
  CG_CHECK(weight.ndim() == 4 && weight.dim(2) == weight.dim(3),
           op << ": weight must be (C_out, C_in/groups, k, k), got " << shape_str(weight.shape()));
  Conv2dShape s;
  s.N = x_shape[0]; s.C_in = x_shape[1]; s.H = x_shape[2]; s.W = x_shape[3];
  s.C_out = weight.dim(0); s.kernel = weight.dim(2);
  s.stride = stride; s.padding = padding; s.groups = groups;
  CG_CHECK(groups >= 1 && s.C_in % groups == 0 && s.C_out % groups == 0,
           op << ": groups " << groups << " must divide C_in " << s.C_in << " and C_out " << s.C_out);
  CG_CHECK(weight.dim(1) == s.C_in / groups,
           op << ": weight " << shape_str(weight.shape()) << " expects " << weight.dim(1) * groups
              << " input channels, input " << shape_str(x_shape) << " has " << s.C_in);
  CG_CHECK(stride >= 1 && padding >= 0, op << ": stride must be >= 1 and padding >= 0");
  CG_CHECK(s.H + 2 * padding >= s.kernel && s.W + 2 * padding >= s.kernel,
           op << ": input " << shape_str(x_shape) << " with padding " << padding
              << " is smaller than the kernel " << s.kernel << "x" << s.kernel);
  if (bias.defined())
    CG_CHECK(bias.shape() == Shape{s.C_out},
             op << ": bias must be (" << s.C_out << "), got " << shape_str(bias.shape()));
  return s;
}

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, int stride, int padding,
              int groups) {
  const char* op = "conv2d";
  check_nchw(op, x);
  check_defined(op, weight, "weight");
  check_same_device(op, x, weight);
  check_same_device(op, x, bias);
  const Conv2dShape s = conv2d_shape(op, x.shape(), weight, bias, stride, padding, groups);

  const bool depthwise = groups > 1 && groups == s.C_in && groups == s.C_out;
  CG_CHECK(!depthwise || s.kernel <= 64,
           "depthwise_conv2d: kernels up to 64x64 are supported, got " << s.kernel);
  const KernelTable& k = kernels(x);
  Tensor y = Tensor::empty({s.N, s.C_out, s.H_out(), s.W_out()}, x.device());
  (depthwise ? k.depthwise_conv2d_forward : k.conv2d_forward)(s, x.data(), weight.data(),
                                                              data_or_null(bias), y.data());

  const bool need_dx = x.requires_grad();
  const bool need_dw = weight.requires_grad() || (bias.defined() && bias.requires_grad());
  const bool has_bias = bias.defined();
  Tensor xs = x.detach(), ws = weight.detach();
  return record(y, depthwise ? "depthwise_conv2d" : "conv2d", {x, weight, bias},
                [=](const Tensor& dy) {
    // dx = sum over output positions of dy * w (a transposed convolution);
    // dw = sum over the batch and positions of dy * x (a correlation of x with dy).
    const KernelTable& k = kernels(dy);
    Tensor dx, dw, db;
    if (need_dx) {
      dx = Tensor::empty(xs.shape(), xs.device());
      (depthwise ? k.depthwise_conv2d_backward_input
                 : k.conv2d_backward_input)(s, dy.data(), ws.data(), dx.data());
    }
    if (need_dw) {
      dw = Tensor::empty(ws.shape(), ws.device());
      if (has_bias) db = Tensor::empty({s.C_out}, ws.device());
      (depthwise ? k.depthwise_conv2d_backward_weight
                 : k.conv2d_backward_weight)(s, xs.data(), dy.data(), dw.data(), data_or_null(db));
    }
    return std::vector<Tensor>{dx, dw, db};
  });
}

// ---- batch normalization --------------------------------------------------------------

namespace {

// Checks batch norm's parameters for an input of shape x_shape (on x's device).
BatchNormShape batch_norm_shape(const char* op, const Tensor& x, const Shape& x_shape,
                                const Tensor& gamma, const Tensor& beta,
                                const Tensor& running_mean, const Tensor& running_var,
                                float momentum, float eps) {
  BatchNormShape s{static_cast<int>(x_shape[0]), static_cast<int>(x_shape[1]),
                   static_cast<int>(x_shape[2]), static_cast<int>(x_shape[3])};
  const Shape channels{s.C};
  for (const Tensor* t : {&gamma, &beta, &running_mean, &running_var}) {
    check_defined(op, *t, "a parameter or running statistic");
    check_same_device(op, x, *t);
    CG_CHECK(t->shape() == channels, op << ": input " << shape_str(x_shape)
                                        << " has " << s.C << " channels, a parameter has shape "
                                        << shape_str(t->shape()));
  }
  CG_CHECK(eps > 0 && momentum >= 0 && momentum <= 1,
           op << ": needs eps > 0 and momentum in [0, 1]");
  return s;
}

// Batch norm, followed by ReLU when `relu`: y = max(0, bn(x)). The ReLU's
// backward only needs y (dy passes where y > 0), which the op keeps.
Tensor batch_norm2d_op(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                       const Tensor& running_mean, const Tensor& running_var, bool training,
                       float momentum, float eps, bool relu) {
  const char* op = relu ? "batch_norm2d_relu" : "batch_norm2d";
  check_nchw(op, x);
  const BatchNormShape s =
      batch_norm_shape(op, x, x.shape(), gamma, beta, running_mean, running_var, momentum, eps);
  const Shape channels{s.C};
  const KernelTable& k = kernels(x);
  Tensor y = Tensor::empty(x.shape(), x.device());
  Tensor xs = x.detach(), gs = gamma.detach();

  if (training) {
    CG_CHECK(static_cast<int64_t>(s.N) * s.H * s.W > 1,
             op << ": training needs more than one value per channel, input is "
                << shape_str(x.shape()));
    Tensor mean = Tensor::empty(channels, x.device()), invstd = Tensor::empty(channels, x.device());
    (relu ? k.batch_norm_relu_forward_train : k.batch_norm_forward_train)(
        s, x.data(), gamma.data(), beta.data(), eps, momentum, running_mean.data(),
        running_var.data(), y.data(), mean.data(), invstd.data());
    const Tensor ys = relu ? y.detach() : Tensor();
    return record(y, op, {x, gamma, beta}, [=](const Tensor& dy) {
      Tensor dx = Tensor::empty(xs.shape(), xs.device());
      Tensor dgamma = Tensor::empty(channels, xs.device()), dbeta = Tensor::empty(channels, xs.device());
      if (relu)
        kernels(dy).batch_norm_relu_backward(s, dy.data(), xs.data(), ys.data(), gs.data(),
                                             mean.data(), invstd.data(), dx.data(), dgamma.data(),
                                             dbeta.data());
      else
        kernels(dy).batch_norm_backward(s, dy.data(), xs.data(), gs.data(), mean.data(),
                                        invstd.data(), dx.data(), dgamma.data(), dbeta.data());
      return std::vector<Tensor>{dx, dgamma, dbeta};
    });
  }

  k.batch_norm_forward_eval(s, x.data(), gamma.data(), beta.data(), running_mean.data(),
                            running_var.data(), eps, y.data());
  if (relu) k.relu_forward(y.numel(), y.data(), y.data());  // evaluation is not the hot path
  // In evaluation the statistics are constants, so y = x * scale + shift per
  // channel with scale = gamma / sqrt(running_var + eps).
  Tensor rm = running_mean.detach().clone(), rv = running_var.detach().clone();
  const Tensor ys = relu ? y.detach() : Tensor();
  return record(y, op, {x, gamma, beta}, [=](const Tensor& dy_out) {
    const KernelTable& k = kernels(dy_out);
    Device dev = dy_out.device();
    Tensor dy = dy_out;  // the gradient at the batch norm's output: through the ReLU first
    if (relu) {
      dy = Tensor::empty(dy_out.shape(), dev);
      k.relu_backward(dy.numel(), ys.data(), dy_out.data(), dy.data());
    }
    // dx = dy * scale: the eval forward applied to dy with zero mean and shift.
    Tensor zeros = Tensor::zeros(channels, dev);
    Tensor dx = Tensor::empty(xs.shape(), dev);
    k.batch_norm_forward_eval(s, dy.data(), gs.data(), zeros.data(), zeros.data(), rv.data(), eps,
                              dx.data());
    // dgamma = sum dy * x_hat and dbeta = sum dy: the training backward gives
    // these when handed the running statistics; its dx is discarded.
    std::vector<float> invstd = rv.to_vector();
    for (float& v : invstd) v = 1.f / std::sqrt(v + eps);
    Tensor invstd_t = Tensor::from_vector(invstd, channels, dev);
    Tensor scratch = Tensor::empty(xs.shape(), dev);
    Tensor dgamma = Tensor::empty(channels, dev), dbeta = Tensor::empty(channels, dev);
    k.batch_norm_backward(s, dy.data(), xs.data(), gs.data(), rm.data(), invstd_t.data(),
                          scratch.data(), dgamma.data(), dbeta.data());
    return std::vector<Tensor>{dx, dgamma, dbeta};
  });
}

}  // namespace

Tensor batch_norm2d(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                    const Tensor& running_mean, const Tensor& running_var, bool training,
                    float momentum, float eps) {
  return batch_norm2d_op(x, gamma, beta, running_mean, running_var, training, momentum, eps, false);
}

Tensor batch_norm2d_relu(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                         const Tensor& running_mean, const Tensor& running_var, bool training,
                         float momentum, float eps) {
  return batch_norm2d_op(x, gamma, beta, running_mean, running_var, training, momentum, eps, true);
}

// ---- dropout, relu ------------------------------------------------------------------------

Tensor dropout(const Tensor& x, float p, bool training, uint64_t seed, uint64_t offset) {
  check_defined("dropout", x, "input");
  CG_CHECK(p >= 0.f && p < 1.f, "dropout: probability must be in [0, 1), got " << p);
  if (!training || p == 0.f) return x;
  const KernelTable& k = kernels(x);
  Tensor y = Tensor::empty(x.shape(), x.device()), mask = Tensor::empty(x.shape(), x.device());
  k.dropout_forward(x.numel(), p, seed, offset, x.data(), y.data(), mask.data());
  return record(y, "dropout", {x}, [mask](const Tensor& dy) {
    Tensor dx = Tensor::empty(dy.shape(), dy.device());
    kernels(dy).dropout_backward(dy.numel(), dy.data(), mask.data(), dx.data());
    return std::vector<Tensor>{dx};
  });
}

Tensor relu(const Tensor& x) {
  check_defined("relu", x, "input");
  Tensor y = Tensor::empty(x.shape(), x.device());
  kernels(x).relu_forward(x.numel(), x.data(), y.data());
  // y > 0 exactly where x > 0, so the backward pass can use the output: the
  // next layer keeps y anyway, and x (a batch norm's output) can be freed.
  Tensor ys = y.detach();
  return record(y, "relu", {x}, [ys](const Tensor& dy) {
    Tensor dx = Tensor::empty(dy.shape(), dy.device());
    kernels(dy).relu_backward(dy.numel(), ys.data(), dy.data(), dx.data());
    return std::vector<Tensor>{dx};
  });
}

// ---- pooling -----------------------------------------------------------------------------

static Pool2dShape pool_shape(const char* op, const Tensor& x, int kernel, int stride, int padding) {
  check_nchw(op, x);
  Pool2dShape s;
  s.N = x.dim(0); s.C = x.dim(1); s.H = x.dim(2); s.W = x.dim(3);
  s.kernel = kernel; s.stride = stride; s.padding = padding;
  CG_CHECK(kernel >= 1 && stride >= 1, op << ": kernel and stride must be >= 1");
  CG_CHECK(padding >= 0 && 2 * padding <= kernel,
           op << ": padding must be in [0, kernel/2], got " << padding << " for kernel " << kernel);
  CG_CHECK(s.H + 2 * padding >= kernel && s.W + 2 * padding >= kernel,
           op << ": input " << shape_str(x.shape()) << " is smaller than the window " << kernel);
  return s;
}

Tensor max_pool2d(const Tensor& x, int kernel, int stride, int padding) {
  Pool2dShape s = pool_shape("max_pool2d", x, kernel, stride, padding);
  Tensor y = Tensor::empty({s.N, s.C, s.H_out(), s.W_out()}, x.device());
  auto argmax = int_buffer(y.numel(), x.device());
  kernels(x).max_pool2d_forward(s, x.data(), y.data(), static_cast<int32_t*>(argmax->data()));
  Shape in_shape = x.shape();
  return record(y, "max_pool2d", {x}, [=](const Tensor& dy) {
    Tensor dx = Tensor::empty(in_shape, dy.device());
    kernels(dy).max_pool2d_backward(s, dy.data(), static_cast<const int32_t*>(argmax->data()),
                                    dx.data());
    return std::vector<Tensor>{dx};
  });
}

Tensor avg_pool2d(const Tensor& x, int kernel, int stride, int padding) {
  Pool2dShape s = pool_shape("avg_pool2d", x, kernel, stride, padding);
  Tensor y = Tensor::empty({s.N, s.C, s.H_out(), s.W_out()}, x.device());
  kernels(x).avg_pool2d_forward(s, x.data(), y.data());
  Shape in_shape = x.shape();
  return record(y, "avg_pool2d", {x}, [=](const Tensor& dy) {
    Tensor dx = Tensor::empty(in_shape, dy.device());
    kernels(dy).avg_pool2d_backward(s, dy.data(), dx.data());
    return std::vector<Tensor>{dx};
  });
}

Tensor global_avg_pool2d(const Tensor& x) {
  check_nchw("global_avg_pool2d", x);
  int N = x.dim(0), C = x.dim(1), HW = x.dim(2) * x.dim(3);
  CG_CHECK(HW > 0, "global_avg_pool2d: empty spatial size in " << shape_str(x.shape()));
  Tensor y = Tensor::empty({N, C}, x.device());
  kernels(x).global_avg_pool_forward(N, C, HW, x.data(), y.data());
  Shape in_shape = x.shape();
  return record(y, "global_avg_pool2d", {x}, [=](const Tensor& dy) {
    Tensor dx = Tensor::empty(in_shape, dy.device());
    kernels(dy).global_avg_pool_backward(N, C, HW, dy.data(), dx.data());
    return std::vector<Tensor>{dx};
  });
}

// ---- linear ---------------------------------------------------------------------------------

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  const char* op = "linear";
  check_defined(op, x, "input");
  check_defined(op, weight, "weight");
  check_same_device(op, x, weight);
  check_same_device(op, x, bias);
  CG_CHECK(weight.ndim() == 2, op << ": weight must be (out, in), got " << shape_str(weight.shape()));
  CG_CHECK(x.ndim() == 2 && x.dim(1) == weight.dim(1),
           op << ": input must be (N, " << weight.dim(1) << ") for weight "
              << shape_str(weight.shape()) << ", got " << shape_str(x.shape()));
  LinearShape s{static_cast<int>(x.dim(0)), static_cast<int>(weight.dim(1)),
                static_cast<int>(weight.dim(0))};
  if (bias.defined())
    CG_CHECK(bias.shape() == Shape{s.out},
             op << ": bias must be (" << s.out << "), got " << shape_str(bias.shape()));
  Tensor y = Tensor::empty({s.N, s.out}, x.device());
  kernels(x).linear_forward(s, x.data(), weight.data(), data_or_null(bias), y.data());

  const bool need_dx = x.requires_grad();
  const bool need_dw = weight.requires_grad() || (bias.defined() && bias.requires_grad());
  const bool has_bias = bias.defined();
  Tensor xs = x.detach(), ws = weight.detach();
  return record(y, op, {x, weight, bias}, [=](const Tensor& dy) {
    // dx = dy w (N, in); dw = dy^T x (out, in); db = column sums of dy.
    const KernelTable& k = kernels(dy);
    Tensor dx, dw, db;
    if (need_dx) {
      dx = Tensor::empty(xs.shape(), dy.device());
      k.linear_backward_input(s, dy.data(), ws.data(), dx.data());
    }
    if (need_dw) {
      dw = Tensor::empty(ws.shape(), dy.device());
      if (has_bias) db = Tensor::empty({s.out}, dy.device());
      k.linear_backward_weight(s, xs.data(), dy.data(), dw.data(), data_or_null(db));
    }
    return std::vector<Tensor>{dx, dw, db};
  });
}

// ---- shape plumbing ----------------------------------------------------------------------------

Tensor add(const Tensor& a, const Tensor& b) {
  check_defined("add", a, "first operand");
  check_defined("add", b, "second operand");
  check_same_device("add", a, b);
  CG_CHECK(a.shape() == b.shape(), "add: shapes " << shape_str(a.shape()) << " and "
                                                  << shape_str(b.shape()) << " differ");
  Tensor y = Tensor::empty(a.shape(), a.device());
  kernels(a).add(a.numel(), a.data(), b.data(), y.data());
  // Both inputs receive the output's gradient unchanged.
  return record(y, "add", {a, b}, [](const Tensor& dy) { return std::vector<Tensor>{dy, dy}; });
}

namespace {

// What concat_channels needs to know of its inputs, checked.
struct ConcatLayout {
  int N = 0, HW = 0;
  Shape output;                  // (N, sum of channels, H, W)
  std::vector<int> channels;     // of each input
  std::vector<Shape> shapes;     // of each input
};

ConcatLayout concat_layout(const char* op, const std::vector<Tensor>& xs) {
  CG_CHECK(!xs.empty(), op << ": needs at least one tensor");
  ConcatLayout c;
  int64_t total = 0;
  for (const Tensor& x : xs) {
    check_nchw(op, x);
    check_same_device(op, xs[0], x);
    CG_CHECK(x.dim(0) == xs[0].dim(0) && x.dim(2) == xs[0].dim(2) && x.dim(3) == xs[0].dim(3),
             op << ": shapes " << shape_str(xs[0].shape()) << " and " << shape_str(x.shape())
                << " differ outside dimension 1");
    c.channels.push_back(static_cast<int>(x.dim(1)));
    c.shapes.push_back(x.shape());
    total += x.dim(1);
  }
  c.N = static_cast<int>(xs[0].dim(0));
  c.HW = static_cast<int>(xs[0].dim(2) * xs[0].dim(3));
  c.output = {xs[0].dim(0), total, xs[0].dim(2), xs[0].dim(3)};
  return c;
}

// An uninitialized tensor of `shape` at the start of a block of at least
// `capacity` floats. The caching allocators keep freed blocks by size, so
// temporaries of many sizes that each live briefly would each keep a block
// of their own; asked for one capacity, they share the same few blocks.
Tensor empty_in_block(const Shape& shape, int64_t capacity, Device device) {
  if (capacity <= shape_numel(shape)) return Tensor::empty(shape, device);
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = shape;
  impl->storage = Tensor::empty({capacity}, device).impl()->storage;
  return Tensor(impl);
}

// The concatenation's values, without recording anything, in a block of at
// least `capacity` floats.
Tensor concat_values(const ConcatLayout& c, const std::vector<Tensor>& xs, int64_t capacity = 0) {
  std::vector<const float*> inputs;
  for (const Tensor& x : xs) inputs.push_back(x.data());
  Tensor y = empty_in_block(c.output, capacity, xs[0].device());
  kernels(y).concat_channels_forward(c.N, c.HW, static_cast<int>(xs.size()), inputs.data(),
                                     c.channels.data(), y.data());
  return y;
}

// dy (N, sum of channels, H, W) split back into one gradient per input.
std::vector<Tensor> concat_split(const ConcatLayout& c, const Tensor& dy) {
  std::vector<Tensor> dxs;
  std::vector<float*> ptrs;
  for (const Shape& shape : c.shapes) {
    dxs.push_back(Tensor::empty(shape, dy.device()));
    ptrs.push_back(dxs.back().data());
  }
  kernels(dy).concat_channels_backward(c.N, c.HW, static_cast<int>(c.shapes.size()), dy.data(),
                                       c.channels.data(), ptrs.data());
  return dxs;
}

}  // namespace

Tensor concat_channels(const std::vector<Tensor>& xs) {
  const char* op = "concat_channels";
  const ConcatLayout c = concat_layout(op, xs);
  Tensor y = concat_values(c, xs);
  return record(y, op, xs, [c](const Tensor& dy) { return concat_split(c, dy); });
}

// ---- concatenation, batch norm, ReLU and convolution as one op (DenseNet) -------------------

// Forward in training: cat = concat(xs); z = relu(bn(cat)) on the batch
// statistics; y = conv(z, w). Only xs (which the dense block keeps anyway:
// they are its layers' outputs) and the parameters are saved; cat and z are
// freed when the call returns. Backward rebuilds them the same way (the
// batch statistics come out the same, and the running statistics are left
// alone: the recomputation writes into copies of them), then
//   dz = conv_backward_input(dy, w)      dw = conv_backward_weight(z, dy)
//   dcat, dgamma, dbeta = bn_relu_backward(dz, cat, z)
//   dxs = dcat split by channels.
// The convolution, the expensive part, runs once each way as usual: only the
// two memory-bound passes are repeated.
Tensor concat_batch_norm_relu_conv2d(const std::vector<Tensor>& xs, const Tensor& gamma,
                                     const Tensor& beta, const Tensor& running_mean,
                                     const Tensor& running_var, const Tensor& weight,
                                     bool training, float momentum, float eps, int stride,
                                     int padding, int workspace_channels) {
  // Evaluation is not memory-bound, and AnomalyGuard should name the op that
  // produced a non-finite value: both take the three ops one by one.
  if (!training || anomaly_detection_enabled()) {
    const Tensor cat = xs.size() == 1 ? xs[0] : concat_channels(xs);
    return conv2d(batch_norm2d_relu(cat, gamma, beta, running_mean, running_var, training,
                                    momentum, eps),
                  weight, Tensor(), stride, padding);
  }
  const char* op = "concat_batch_norm_relu_conv2d";
  const ConcatLayout c = concat_layout(op, xs);
  const Tensor& x0 = xs[0];
  const BatchNormShape bs =
      batch_norm_shape(op, x0, c.output, gamma, beta, running_mean, running_var, momentum, eps);
  check_same_device(op, x0, weight);
  const Conv2dShape cs = conv2d_shape(op, c.output, weight, Tensor(), stride, padding, 1);
  CG_CHECK(static_cast<int64_t>(bs.N) * bs.H * bs.W > 1,
           op << ": training needs more than one value per channel, input is "
              << shape_str(c.output));
  const Shape channels{bs.C};
  const Tensor gs = gamma.detach(), bes = beta.detach(), ws = weight.detach();
  // The temporaries cat, z, dz and dcat, (N, C, H, W) each, are allocated
  // for workspace_channels: every layer of a dense block passes the block's
  // largest C, so all of them reuse the same few blocks of the allocator (the
  // paper's "shared memory storage") instead of caching one per layer.
  const int64_t capacity =
      static_cast<int64_t>(bs.N) * std::max(bs.C, workspace_channels) * bs.H * bs.W;
  const Device device = x0.device();
  auto scratch = [capacity, device](const Shape& shape) {
    return empty_in_block(shape, capacity, device);
  };

  // cat and z (N, C, H, W), y (N, C_out, H_out, W_out); mean, invstd (C)
  auto bn_relu = [=](const Tensor& cat, const Tensor& rm, const Tensor& rv, Tensor& z,
                     Tensor& mean, Tensor& invstd, float m) {
    z = scratch(cat.shape());
    mean = Tensor::empty(channels, cat.device());
    invstd = Tensor::empty(channels, cat.device());
    kernels(cat).batch_norm_relu_forward_train(bs, cat.data(), gs.data(), bes.data(), eps, m,
                                               rm.data(), rv.data(), z.data(), mean.data(),
                                               invstd.data());
  };
  Tensor y = Tensor::empty({cs.N, cs.C_out, cs.H_out(), cs.W_out()}, x0.device());
  {
    const Tensor cat = xs.size() == 1 ? x0 : concat_values(c, xs, capacity);
    Tensor z, mean, invstd;
    bn_relu(cat, running_mean, running_var, z, mean, invstd, momentum);
    kernels(x0).conv2d_forward(cs, z.data(), weight.data(), nullptr, y.data());
  }  // cat and z go back to the allocator here

  std::vector<Tensor> saved;
  for (const Tensor& x : xs) saved.push_back(x.detach());
  const Tensor rms = running_mean.detach(), rvs = running_var.detach();
  const bool need_dw = weight.requires_grad();
  std::vector<Tensor> inputs = xs;
  inputs.insert(inputs.end(), {gamma, beta, weight});
  return record(y, op, inputs, [=](const Tensor& dy) {
    const KernelTable& k = kernels(dy);
    const Tensor cat = saved.size() == 1 ? saved[0] : concat_values(c, saved, capacity);
    // The batch statistics again; the running ones are updated on copies, which are dropped.
    Tensor z, mean, invstd;
    bn_relu(cat, rms.clone(), rvs.clone(), z, mean, invstd, momentum);
    Tensor dw;
    if (need_dw) {
      dw = Tensor::empty(ws.shape(), dy.device());
      k.conv2d_backward_weight(cs, z.data(), dy.data(), dw.data(), nullptr);
    }
    Tensor dz = scratch(z.shape());
    k.conv2d_backward_input(cs, dy.data(), ws.data(), dz.data());
    Tensor dcat = scratch(cat.shape());
    Tensor dgamma = Tensor::empty(channels, dy.device());
    Tensor dbeta = Tensor::empty(channels, dy.device());
    k.batch_norm_relu_backward(bs, dz.data(), cat.data(), z.data(), gs.data(), mean.data(),
                               invstd.data(), dcat.data(), dgamma.data(), dbeta.data());
    std::vector<Tensor> grads =
        saved.size() == 1 ? std::vector<Tensor>{dcat} : concat_split(c, dcat);
    grads.insert(grads.end(), {dgamma, dbeta, dw});
    return grads;
  });
}

Tensor flatten(const Tensor& x) {
  check_defined("flatten", x, "input");
  return x.flatten();
}

// ---- classification head ---------------------------------------------------------------------

Tensor log_softmax(const Tensor& x) {
  check_defined("log_softmax", x, "input");
  CG_CHECK(x.ndim() == 2, "log_softmax: input must be (N, K), got " << shape_str(x.shape()));
  int N = x.dim(0), K = x.dim(1);
  Tensor y = Tensor::empty(x.shape(), x.device());
  kernels(x).log_softmax_forward(N, K, x.data(), y.data());
  Tensor ys = y.detach();
  return record(y, "log_softmax", {x}, [=](const Tensor& dy) {
    // dx = dy - softmax(x) * sum(dy) per row, with softmax = exp(y).
    Tensor dx = Tensor::empty(dy.shape(), dy.device());
    kernels(dy).log_softmax_backward(N, K, ys.data(), dy.data(), dx.data());
    return std::vector<Tensor>{dx};
  });
}

Tensor nll_loss(const Tensor& logp, const std::vector<int32_t>& targets, const Tensor& weights,
                float label_smoothing) {
  const char* op = "nll_loss";
  check_defined(op, logp, "input");
  CG_CHECK(logp.ndim() == 2, op << ": input must be (N, K), got " << shape_str(logp.shape()));
  int N = logp.dim(0), K = logp.dim(1);
  CG_CHECK(static_cast<int>(targets.size()) == N,
           op << ": " << targets.size() << " targets for a batch of " << N);
  CG_CHECK(label_smoothing >= 0.f && label_smoothing < 1.f,
           op << ": label smoothing must be in [0, 1), got " << label_smoothing);
  // The zero-total-weight check reads the weights on the host: free on the
  // CPU; on a GPU it would be a synchronizing copy every step, so there it is
  // left out and a batch whose targets all weigh zero gives a non-finite loss,
  // which the training step reports.
  std::vector<float> w(K, 1.f);
  if (weights.defined()) {
    CG_CHECK(weights.shape() == Shape{K},
             op << ": class weights must be (" << K << "), got " << shape_str(weights.shape()));
    check_same_device(op, logp, weights);
    if (weights.device().is_cpu()) w.assign(weights.data(), weights.data() + K);
  }
  double weight_sum = 0;
  for (int i = 0; i < N; ++i) {
    CG_CHECK(targets[i] >= 0 && targets[i] < K,
             op << ": target " << targets[i] << " of sample " << i << " is not a class in [0, " << K << ")");
    weight_sum += w[targets[i]];
  }
  CG_CHECK(weight_sum > 0, op << ": the class weights of every target in the batch are zero");

  auto t = int_buffer(N, logp.device());
  const KernelTable& k = kernels(logp);
  k.copy_from_host(t->data(), targets.data(), N * sizeof(int32_t));
  Tensor loss = Tensor::empty({}, logp.device());
  const int32_t* tp = static_cast<const int32_t*>(t->data());
  Tensor ws = weights.defined() ? weights.detach() : Tensor();
  k.nll_loss_forward(N, K, logp.data(), tp, data_or_null(ws), label_smoothing, loss.data());
  return record(loss, op, {logp}, [=](const Tensor& dloss) {
    Tensor dlogp = Tensor::empty({N, K}, dloss.device());
    kernels(dloss).nll_loss_backward(N, K, static_cast<const int32_t*>(t->data()), data_or_null(ws),
                                     label_smoothing, dloss.data(), dlogp.data());
    return std::vector<Tensor>{dlogp};
  });
}

Tensor cross_entropy(const Tensor& logits, const std::vector<int32_t>& targets,
                     const Tensor& weights, float label_smoothing) {
  return nll_loss(log_softmax(logits), targets, weights, label_smoothing);
}

// ---- what a training step reads back -------------------------------------------------

StepReadback read_step(const Tensor& loss, const Tensor& logits,
                       const std::vector<int32_t>& labels, const std::vector<Tensor>& gradients) {
  const char* op = "read_step";
  check_defined(op, loss, "loss");
  check_defined(op, logits, "logits");
  CG_CHECK(loss.numel() == 1, op << ": the loss must be one value, got " << shape_str(loss.shape()));
  CG_CHECK(logits.ndim() == 2, op << ": logits must be (N, K), got " << shape_str(logits.shape()));
  const int N = static_cast<int>(logits.dim(0)), K = static_cast<int>(logits.dim(1));
  CG_CHECK(static_cast<int>(labels.size()) == N,
           op << ": " << labels.size() << " labels for " << N << " rows of logits");
  check_same_device(op, loss, logits);
  const KernelTable& k = kernels(loss);

  // [loss, correct, non-finite], filled on the device, read back once.
  Tensor numbers = Tensor::zeros({3}, loss.device());
  k.copy(numbers.data(), loss.data(), sizeof(float));
  auto targets = int_buffer(N, loss.device());
  k.copy_from_host(targets->data(), labels.data(), N * sizeof(int32_t));
  k.count_correct(N, K, logits.data(), static_cast<const int32_t*>(targets->data()),
                  numbers.data() + 1);
  for (const Tensor& g : gradients) {
    if (!g.defined()) continue;  // a parameter the loss does not reach
    check_same_device(op, loss, g);
    k.count_non_finite(g.numel(), g.data(), numbers.data() + 2);
  }
  const std::vector<float> host = numbers.to_vector();
  return {host[0], static_cast<int64_t>(host[1]), static_cast<int64_t>(host[2])};
}

}  // namespace cudagrad
