// The CUDA backend's KernelTable: every field points at the host function of
// the same name in this folder.
#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/host_functions.h"

namespace cudagrad {
namespace CUDAGRAD_CUDA_NAMESPACE {

namespace {

KernelTable make_table() {
  KernelTable t{};
#if defined(__CUDACC__)
  t.name = "cuda";
#else
  t.name = "cuda-emulated";
#endif

  t.allocate = allocate;
  t.deallocate = deallocate;
  t.copy_from_host = copy_from_host;
  t.copy_to_host = copy_to_host;
  t.copy = copy;

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

  t.log_softmax_forward = log_softmax_forward;
  t.log_softmax_backward = log_softmax_backward;
  t.nll_loss_forward = nll_loss_forward;
  t.nll_loss_backward = nll_loss_backward;

  t.count_non_finite = count_non_finite;
  t.count_correct = count_correct;

  t.sgd_step = sgd_step;
  t.adam_step = adam_step;
  return t;
}

}  // namespace

const KernelTable& kernel_table() {
  static const KernelTable table = make_table();
  return table;
}

}  // namespace CUDAGRAD_CUDA_NAMESPACE
}  // namespace cudagrad
