// The flat function table that every kernel backend exports.
//
// Each backend (kernels/reference, kernels/cpu, kernels/cuda) implements the
// same plain functions over raw float pointers, in its own namespace, and
// fills one KernelTable with them. The engine never calls a kernel directly:
// it asks engine/dispatch.h for the table of a tensor's device. Pointers are
// in the backend's memory (host memory for reference/cpu, device memory for
// cuda). Layout is NCHW everywhere; shapes are written beside each pointer.
//
// Conventions:
//   * "forward"/"backward" outputs are overwritten, never accumulated into,
//     except where a name says "accumulate".
//   * nullable pointers are marked; nullptr means "no bias" / "all ones".
#pragma once
#include <cstddef>
#include <cstdint>

namespace cudagrad {

// Output length of a sliding window (convolution, pooling) along one axis,
// floor-rounded as in PyTorch: (in + 2 padding - kernel) / stride + 1. The one
// place this arithmetic is written: the shapes below, the layers' shape
// inference (layers/layers.h) and the ops use it.
inline int64_t window_output_size(int64_t in, int kernel, int stride, int padding) {
  return (in + 2 * padding - kernel) / stride + 1;
}

// Convolution with square kernels, one stride and one padding for both axes.
// groups == C_in == C_out is a depthwise convolution.
struct Conv2dShape {
  int N = 1, C_in = 1, H = 1, W = 1;  // input  (N, C_in, H, W)
  int C_out = 1, kernel = 1;          // weight (C_out, C_in / groups, kernel, kernel)
  int stride = 1, padding = 0, groups = 1;
  int H_out() const { return static_cast<int>(window_output_size(H, kernel, stride, padding)); }
  int W_out() const { return static_cast<int>(window_output_size(W, kernel, stride, padding)); }
};

struct Pool2dShape {
  int N = 1, C = 1, H = 1, W = 1;  // input (N, C, H, W)
  int kernel = 2, stride = 2, padding = 0;
  int H_out() const { return static_cast<int>(window_output_size(H, kernel, stride, padding)); }
  int W_out() const { return static_cast<int>(window_output_size(W, kernel, stride, padding)); }
};

struct BatchNormShape {
  int N = 1, C = 1, H = 1, W = 1;  // input (N, C, H, W); statistics per channel
};

struct LinearShape {
  int N = 1, in = 1, out = 1;  // x (N, in), weight (out, in), bias (out), y (N, out)
};

struct KernelTable {
  const char* name;  // "reference", "cpu", "cuda"

  // ---- memory -------------------------------------------------------------
  void* (*allocate)(size_t bytes);
  void (*deallocate)(void* ptr);
  void (*copy_from_host)(void* dst, const void* host_src, size_t bytes);
  void (*copy_to_host)(void* host_dst, const void* src, size_t bytes);
  void (*copy)(void* dst, const void* src, size_t bytes);  // same device

  // ---- elementwise --------------------------------------------------------
  void (*fill)(int64_t n, float value, float* y);
  void (*add)(int64_t n, const float* a, const float* b, float* y);  // y = a + b
  void (*accumulate)(int64_t n, const float* x, float* y);           // y += x
  void (*relu_forward)(int64_t n, const float* x, float* y);
  // dx = dy * (x > 0); x is ReLU's input or its output: both are > 0 at the same places
  void (*relu_backward)(int64_t n, const float* x, const float* dy, float* dx);

  // Inverted dropout. mask[i] = keep ? 1/(1-p) : 0 from a counter-based
  // generator: element i is kept iff philox_uniform(seed, offset + i) >= p,
  // so every backend draws the same mask for the same (seed, offset).
  void (*dropout_forward)(int64_t n, float p, uint64_t seed, uint64_t offset, const float* x,
                          float* y, float* mask);
  void (*dropout_backward)(int64_t n, const float* dy, const float* mask, float* dx);

  // ---- convolution --------------------------------------------------------
  // x (N, C_in, H, W), w (C_out, C_in/groups, k, k), b (C_out) nullable, y (N, C_out, H_out, W_out)
  void (*conv2d_forward)(const Conv2dShape& s, const float* x, const float* w, const float* b,
                         float* y);
  void (*conv2d_backward_input)(const Conv2dShape& s, const float* dy, const float* w, float* dx);
  // dw (C_out, C_in/groups, k, k); db (C_out) nullable
  void (*conv2d_backward_weight)(const Conv2dShape& s, const float* x, const float* dy, float* dw,
                                 float* db);
  // Depthwise (groups == C_in == C_out): same signatures, a dedicated path.
  void (*depthwise_conv2d_forward)(const Conv2dShape& s, const float* x, const float* w,
                                   const float* b, float* y);
  void (*depthwise_conv2d_backward_input)(const Conv2dShape& s, const float* dy, const float* w,
                                          float* dx);
  void (*depthwise_conv2d_backward_weight)(const Conv2dShape& s, const float* x, const float* dy,
                                           float* dw, float* db);

  // ---- batch normalization (per channel over N, H, W) -----------------------
  // Training: normalizes with the batch mean and biased variance; updates
  // running_mean/running_var (unbiased variance) with
  // running = (1 - momentum) * running + momentum * batch (PyTorch's rule);
  // saves mean and 1/sqrt(var + eps) for the backward pass.
  void (*batch_norm_forward_train)(const BatchNormShape& s, const float* x, const float* gamma,
                                   const float* beta, float eps, float momentum,
                                   float* running_mean, float* running_var, float* y,
                                   float* save_mean, float* save_invstd);
  void (*batch_norm_forward_eval)(const BatchNormShape& s, const float* x, const float* gamma,
                                  const float* beta, const float* running_mean,
                                  const float* running_var, float eps, float* y);
  // Backward of the training-mode forward.
  void (*batch_norm_backward)(const BatchNormShape& s, const float* dy, const float* x,
                              const float* gamma, const float* save_mean,
                              const float* save_invstd, float* dx, float* dgamma, float* dbeta);
  // Batch norm followed by ReLU, y = max(0, batch_norm(x)), in one pass; the
  // backward takes that y and passes dy on only where y > 0.
  void (*batch_norm_relu_forward_train)(const BatchNormShape& s, const float* x,
                                        const float* gamma, const float* beta, float eps,
                                        float momentum, float* running_mean, float* running_var,
                                        float* y, float* save_mean, float* save_invstd);
  void (*batch_norm_relu_backward)(const BatchNormShape& s, const float* dy, const float* x,
                                   const float* y, const float* gamma, const float* save_mean,
                                   const float* save_invstd, float* dx, float* dgamma,
                                   float* dbeta);

  // ---- pooling ----------------------------------------------------------------
  // argmax (N, C, H_out, W_out) holds the flat index h*W + w of the winner
  // in its input plane; ties go to the first in row-major order.
  void (*max_pool2d_forward)(const Pool2dShape& s, const float* x, float* y, int32_t* argmax);
  void (*max_pool2d_backward)(const Pool2dShape& s, const float* dy, const int32_t* argmax,
                              float* dx);
  // Average over the window including zero padding (PyTorch's count_include_pad=True).
  void (*avg_pool2d_forward)(const Pool2dShape& s, const float* x, float* y);
  void (*avg_pool2d_backward)(const Pool2dShape& s, const float* dy, float* dx);
  // x (N, C, HW) -> y (N, C)
  void (*global_avg_pool_forward)(int N, int C, int HW, const float* x, float* y);
  void (*global_avg_pool_backward)(int N, int C, int HW, const float* dy, float* dx);

  // ---- linear: y = x w^T + b ------------------------------------------------
  void (*linear_forward)(const LinearShape& s, const float* x, const float* w, const float* b,
                         float* y);
  void (*linear_backward_input)(const LinearShape& s, const float* dy, const float* w, float* dx);
  void (*linear_backward_weight)(const LinearShape& s, const float* x, const float* dy, float* dw,
                                 float* db);  // db nullable

  // ---- concatenation along channels -------------------------------------------
  // inputs[i] (N, channels[i], HW) -> y (N, sum channels, HW)
  void (*concat_channels_forward)(int N, int HW, int count, const float* const* inputs,
                                  const int* channels, float* y);
  void (*concat_channels_backward)(int N, int HW, int count, const float* dy, const int* channels,
                                   float* const* dxs);

  // ---- classification head -----------------------------------------------------
  // Row-wise over K classes: x (N, K) -> y (N, K)
  void (*log_softmax_forward)(int N, int K, const float* x, float* y);
  void (*log_softmax_backward)(int N, int K, const float* y, const float* dy, float* dx);
  // Weighted negative log-likelihood with label smoothing, PyTorch semantics:
  //   loss = sum_i [ (1-e) w[t_i] (-logp[i,t_i]) + e/K sum_c w[c] (-logp[i,c]) ] / sum_i w[t_i]
  // logp (N, K), targets (N) in [0, K), weights (K) nullable. loss is one float.
  void (*nll_loss_forward)(int N, int K, const float* logp, const int32_t* targets,
                           const float* weights, float smoothing, float* loss);
  // dlogp = dloss * d loss / d logp; dloss is one float in backend memory.
  void (*nll_loss_backward)(int N, int K, const int32_t* targets, const float* weights,
                            float smoothing, const float* dloss, float* dlogp);

  // ---- what a training step reads back (one float each, in backend memory) -------
  // A step needs three numbers on the host: the loss, how many predictions
  // were right and whether any gradient is NaN or infinite. Each of these
  // accumulates into a float the caller has zeroed, so one copy brings all
  // three back (engine/step_readback.h) instead of one per gradient tensor.
  // *count += the number of elements of x (n) that are NaN or +-infinity.
  void (*count_non_finite)(int64_t n, const float* x, float* count);
  // *correct += the number of rows i of logits (N, K) whose first largest
  // entry is at targets[i]; a row holding NaN counts as wrong.
  void (*count_correct)(int N, int K, const float* logits, const int32_t* targets,
                        float* correct);

  // ---- optimizers (in place on one parameter tensor) ----------------------------
  // SGD (PyTorch, dampening 0): g = grad + wd * p; buf = momentum * buf + g;
  // p -= lr * (nesterov ? g + momentum * buf : buf). With momentum 0, p -= lr * g.
  void (*sgd_step)(int64_t n, float* param, const float* grad, float* momentum_buf, float lr,
                   float momentum, float weight_decay, bool nesterov);
  // Adam (decoupled == false: L2 added to the gradient) or AdamW (decoupled
  // == true: p *= 1 - lr * wd). step is 1 for the first update.
  void (*adam_step)(int64_t n, float* param, const float* grad, float* m, float* v, float lr,
                    float beta1, float beta2, float eps, float weight_decay, bool decoupled,
                    int64_t step);
};

}  // namespace cudagrad
