// The differentiable operations, in the style of torch.nn.functional. Each
// one checks its arguments (a wrong shape is an Error naming the op and the
// shapes), runs the forward kernel of the input's device, and records the
// backward closure for autograd. All tensors of one call share one device.
#pragma once
#include <cstdint>
#include <vector>

#include "engine/tensor.h"

namespace cudagrad {

// x (N, C_in, H, W), weight (C_out, C_in/groups, k, k), bias (C_out) or undefined.
// groups == C_in == C_out takes the dedicated depthwise kernels.
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, int stride = 1,
              int padding = 0, int groups = 1);

// x (N, C, H, W); gamma, beta, running_mean, running_var (C). In training the
// batch statistics normalize x and the running statistics are updated in place
// (momentum as PyTorch: running = (1-m) running + m batch, unbiased variance);
// in evaluation the running statistics normalize x.
Tensor batch_norm2d(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                    const Tensor& running_mean, const Tensor& running_var, bool training,
                    float momentum = 0.1f, float eps = 1e-5f);
// relu(batch_norm2d(...)) with one pass over the data each way instead of two
// (the ReLU after a batch norm in ResNet and MobileNet).
Tensor batch_norm2d_relu(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                         const Tensor& running_mean, const Tensor& running_var, bool training,
                         float momentum = 0.1f, float eps = 1e-5f);

// Inverted dropout: in training each element is zeroed with probability p and
// the rest scaled by 1/(1-p); the mask is a function of (seed, offset + index).
// In evaluation (or p == 0) returns x unchanged.
Tensor dropout(const Tensor& x, float p, bool training, uint64_t seed, uint64_t offset);

Tensor relu(const Tensor& x);
Tensor max_pool2d(const Tensor& x, int kernel, int stride, int padding = 0);
Tensor avg_pool2d(const Tensor& x, int kernel, int stride, int padding = 0);
Tensor global_avg_pool2d(const Tensor& x);  // (N, C, H, W) -> (N, C)

// x (N, in), weight (out, in), bias (out) or undefined -> (N, out)
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias);

Tensor add(const Tensor& a, const Tensor& b);  // same shapes (residual connections)
Tensor concat_channels(const std::vector<Tensor>& xs);  // along dimension 1
// conv2d(batch_norm2d_relu(concat_channels(xs)), weight) without a bias:
// DenseNet's bottleneck (norm1, relu1, conv1 over every earlier feature map)
// and, with one input, its transition. In training neither the
// concatenation nor the normalized tensor is kept for the backward pass,
// which recomputes them from xs: a dense block of L layers then holds O(L)
// activations instead of O(L^2) (Pleiss et al., 2017, "Memory-Efficient
// Implementation of DenseNets"). The running statistics are updated once.
// Its temporaries are allocated for workspace_channels channels (when more
// than xs have), so that the layers of one block, passing the block's
// largest width, share them. In evaluation (and under AnomalyGuard) it runs
// the three ops one by one.
Tensor concat_batch_norm_relu_conv2d(const std::vector<Tensor>& xs, const Tensor& gamma,
                                     const Tensor& beta, const Tensor& running_mean,
                                     const Tensor& running_var, const Tensor& weight,
                                     bool training, float momentum = 0.1f, float eps = 1e-5f,
                                     int stride = 1, int padding = 0, int workspace_channels = 0);
Tensor flatten(const Tensor& x);                        // (N, ...) -> (N, rest), a view

Tensor log_softmax(const Tensor& x);  // over the last dimension of (N, K)

// Weighted negative log-likelihood of log-probabilities (N, K), with exactly
// PyTorch's reduction: sum_i w[t_i] nll_i / sum_i w[t_i]; weights (K) or
// undefined for all ones; label smoothing e in [0, 1). Returns a scalar.
Tensor nll_loss(const Tensor& logp, const std::vector<int32_t>& targets, const Tensor& weights,
                float label_smoothing = 0.f);
// log_softmax followed by nll_loss: torch.nn.functional.cross_entropy.
Tensor cross_entropy(const Tensor& logits, const std::vector<int32_t>& targets,
                     const Tensor& weights, float label_smoothing = 0.f);

// ---- what a training step reads back (not differentiable) ------------------------
// On a GPU every copy to the host waits for all the work queued before it.
// A step needs three numbers on the host: its loss, how many predictions were
// right and whether any gradient is NaN or infinite. They are computed on the
// tensors' device into one small buffer and come back in a single copy, where
// reading the loss, the logits and every gradient one by one made ResNet-18
// wait 64 times and move 47 MB each step.
struct StepReadback {
  float loss = 0;          // the scalar `loss`
  int64_t correct = 0;     // rows of `logits` (N, K) whose first maximum is at the label
  int64_t non_finite = 0;  // NaN or infinite values over `gradients` (exact below 2^24)
};
StepReadback read_step(const Tensor& loss, const Tensor& logits,
                       const std::vector<int32_t>& labels, const std::vector<Tensor>& gradients);

}  // namespace cudagrad
