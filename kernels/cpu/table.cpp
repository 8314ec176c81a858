// One vector target's KernelTable (compiled once per target, kernels.h).
// Memory copies, log-softmax and the loss come from the reference backend:
// host memory is the same, and the loss on (N, classes) costs nothing next to
// a convolution. Allocation goes to the one caching allocator (memory.cpp)
// that every target shares.
#include "kernels/cpu/kernels.h"
#include "kernels/reference/reference.h"

namespace cudagrad {
namespace cpu {
namespace CUDAGRAD_CPU_TARGET {

namespace {

KernelTable make_table() {
  KernelTable t{};
  t.name = "cpu:" CUDAGRAD_CPU_TARGET_NAME;

  t.allocate = allocate;
  t.deallocate = deallocate;
  t.copy_from_host = reference::copy_from_host;
  t.copy_to_host = reference::copy_to_host;
  t.copy = reference::copy;

  t.fill = fill;
  t.add = add;
  t.accumulate = accumulate;
  t.relu_forward = relu_forward;
  t.relu_backward = relu_backward;
  t.dropout_forward = dropout_forward;
  t.dropout_backward = dropout_backward;

  t.conv2d_forward = conv2d_forward;
  t.conv2d_backward_input = conv2d_backward_input;
  t.conv2d_backward_weight = conv2d_backward_weight;
  t.depthwise_conv2d_forward = depthwise_conv2d_forward;
  t.depthwise_conv2d_backward_input = depthwise_conv2d_backward_input;
  t.depthwise_conv2d_backward_weight = depthwise_conv2d_backward_weight;

  t.batch_norm_forward_train = batch_norm_forward_train;
  t.batch_norm_forward_eval = batch_norm_forward_eval;
  t.batch_norm_backward = batch_norm_backward;
  t.batch_norm_relu_forward_train = batch_norm_relu_forward_train;
  t.batch_norm_relu_backward = batch_norm_relu_backward;

  t.max_pool2d_forward = max_pool2d_forward;
  t.max_pool2d_backward = max_pool2d_backward;
  t.avg_pool2d_forward = avg_pool2d_forward;
  t.avg_pool2d_backward = avg_pool2d_backward;
  t.global_avg_pool_forward = global_avg_pool_forward;
  t.global_avg_pool_backward = global_avg_pool_backward;

  t.linear_forward = linear_forward;
  t.linear_backward_input = linear_backward_input;
  t.linear_backward_weight = linear_backward_weight;

  t.concat_channels_forward = concat_channels_forward;
  t.concat_channels_backward = concat_channels_backward;

  t.log_softmax_forward = reference::log_softmax_forward;
  t.log_softmax_backward = reference::log_softmax_backward;
  t.nll_loss_forward = reference::nll_loss_forward;
  t.nll_loss_backward = reference::nll_loss_backward;

  t.count_non_finite = count_non_finite;
  t.count_correct = reference::count_correct;  // N rows of K logits: too little work to tune

  t.sgd_step = sgd_step;
  t.adam_step = adam_step;
  return t;
}

}  // namespace

const KernelTable& table() {
  static const KernelTable the_table = make_table();
  return the_table;
}

}  // namespace CUDAGRAD_CPU_TARGET
}  // namespace cpu
}  // namespace cudagrad
