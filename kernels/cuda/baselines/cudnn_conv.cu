// cuDNN convolution behind the KernelTable's conv2d_* fields (and the
// depthwise ones: a depthwise convolution is cuDNN's grouped convolution
// with groups == channels).
//
// Per shape, a Plan holds the descriptors and, per pass, the algorithm that
// cudnnFind* measured fastest on this GPU the first time that pass ran,
// restricted to FP32 FMA math (CUDNN_FMA_MATH: no TF32 tensor cores, which
// cuDNN would otherwise allow on Ampere and later). So the benchmark's ratio
// compares the hand-written kernel with cuDNN's best plain-FP32 answer, and
// the tests hold cuDNN to the same tolerance as the hand-written kernels.
// Plans live until the process ends; the first call of each pass is slow
// (it times every algorithm), which is why the benchmark warms up.
#include <map>
#include <mutex>
#include <tuple>

#include "kernels/cuda/baselines/functions.h"
#include "kernels/cuda/baselines/handles.cuh"
#include "kernels/cuda/host_functions.h"

namespace cudagrad {
namespace cuda_baseline {

namespace {

struct Plan {
  explicit Plan(const Conv2dShape& s)
      : x(s.N, s.C_in, s.H, s.W), y(s.N, s.C_out, s.H_out(), s.W_out()), bias(1, s.C_out, 1, 1) {
    CUDNN_CHECK(cudnnCreateFilterDescriptor(&w));
    CUDNN_CHECK(cudnnSetFilter4dDescriptor(w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, s.C_out,
                                           s.C_in / s.groups, s.kernel, s.kernel));
    CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&conv));
    // Cross-correlation, as every deep-learning framework calls convolution.
    CUDNN_CHECK(cudnnSetConvolution2dDescriptor(conv, s.padding, s.padding, s.stride, s.stride, 1,
                                                1, CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    CUDNN_CHECK(cudnnSetConvolutionGroupCount(conv, s.groups));
    CUDNN_CHECK(cudnnSetConvolutionMathType(conv, CUDNN_FMA_MATH));
  }
  TensorDesc x, y, bias;  // x (N, C_in, H, W), y (N, C_out, H_out, W_out), bias (1, C_out, 1, 1)
  cudnnFilterDescriptor_t w = nullptr;  // (C_out, C_in / groups, k, k)
  cudnnConvolutionDescriptor_t conv = nullptr;
  bool have_forward = false, have_backward_data = false, have_backward_filter = false;
  cudnnConvolutionFwdAlgo_t forward{};
  cudnnConvolutionBwdDataAlgo_t backward_data{};
  cudnnConvolutionBwdFilterAlgo_t backward_filter{};
  void* workspace = nullptr;  // the largest any chosen algorithm needs
  size_t workspace_bytes = 0;

  void* workspace_of(size_t bytes) {
    if (bytes > workspace_bytes) {
      if (workspace) cuda::deallocate(workspace);  // stream-ordered: safe to reuse
      workspace = cuda::allocate(bytes);
      workspace_bytes = bytes;
    }
    return workspace;
  }
};

// The first result that succeeded in FP32 math: cudnnFind* sorts them by
// measured time. (With CUDNN_FMA_MATH on the descriptor none should use
// tensor cores; the check keeps it so whatever the library version does.)
template <class Perf>
const Perf& fastest(const Perf* results, int count, const char* pass) {
  for (int i = 0; i < count; ++i)
    if (results[i].status == CUDNN_STATUS_SUCCESS && results[i].mathType != CUDNN_TENSOR_OP_MATH &&
        results[i].mathType != CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION)
      return results[i];
  CG_FAIL("cuDNN has no working " << pass << " algorithm for this convolution");
}

Plan& plan_for(const Conv2dShape& s) {
  static std::mutex mutex;
  static auto* plans = new std::map<std::tuple<int, int, int, int, int, int, int, int, int>, Plan*>;
  const auto key =
      std::make_tuple(s.N, s.C_in, s.H, s.W, s.C_out, s.kernel, s.stride, s.padding, s.groups);
  std::lock_guard<std::mutex> lock(mutex);
  Plan*& plan = (*plans)[key];
  if (!plan) plan = new Plan(s);
  return *plan;
}

constexpr int kMaxAlgorithms = 16;

}  // namespace

void conv2d_forward(const Conv2dShape& s, const float* x, const float* w, const float* b,
                    float* y) {
  Plan& p = plan_for(s);
  if (!p.have_forward) {
    cudnnConvolutionFwdAlgoPerf_t results[kMaxAlgorithms];
    int count = 0;
    CUDNN_CHECK(cudnnFindConvolutionForwardAlgorithm(cudnn(), p.x, p.w, p.conv, p.y, kMaxAlgorithms,
                                                     &count, results));
    p.forward = fastest(results, count, "forward").algo;
    p.have_forward = true;
  }
  size_t bytes = 0;
  CUDNN_CHECK(
      cudnnGetConvolutionForwardWorkspaceSize(cudnn(), p.x, p.w, p.conv, p.y, p.forward, &bytes));
  void* workspace = p.workspace_of(bytes);
  CUDNN_CHECK(cudnnConvolutionForward(cudnn(), &kOne, p.x, x, p.w, w, p.conv, p.forward, workspace,
                                      bytes, &kZero, p.y, y));
  if (b) CUDNN_CHECK(cudnnAddTensor(cudnn(), &kOne, p.bias, b, &kOne, p.y, y));
}

void conv2d_backward_input(const Conv2dShape& s, const float* dy, const float* w, float* dx) {
  Plan& p = plan_for(s);
  if (!p.have_backward_data) {
    cudnnConvolutionBwdDataAlgoPerf_t results[kMaxAlgorithms];
    int count = 0;
    CUDNN_CHECK(cudnnFindConvolutionBackwardDataAlgorithm(cudnn(), p.w, p.y, p.conv, p.x,
                                                          kMaxAlgorithms, &count, results));
    p.backward_data = fastest(results, count, "backward-data").algo;
    p.have_backward_data = true;
  }
  size_t bytes = 0;
  CUDNN_CHECK(cudnnGetConvolutionBackwardDataWorkspaceSize(cudnn(), p.w, p.y, p.conv, p.x,
                                                           p.backward_data, &bytes));
  void* workspace = p.workspace_of(bytes);
  CUDNN_CHECK(cudnnConvolutionBackwardData(cudnn(), &kOne, p.w, w, p.y, dy, p.conv, p.backward_data,
                                           workspace, bytes, &kZero, p.x, dx));
}

void conv2d_backward_weight(const Conv2dShape& s, const float* x, const float* dy, float* dw,
                            float* db) {
  Plan& p = plan_for(s);
  if (!p.have_backward_filter) {
    cudnnConvolutionBwdFilterAlgoPerf_t results[kMaxAlgorithms];
    int count = 0;
    CUDNN_CHECK(cudnnFindConvolutionBackwardFilterAlgorithm(cudnn(), p.x, p.y, p.conv, p.w,
                                                            kMaxAlgorithms, &count, results));
    p.backward_filter = fastest(results, count, "backward-filter").algo;
    p.have_backward_filter = true;
  }
  size_t bytes = 0;
  CUDNN_CHECK(cudnnGetConvolutionBackwardFilterWorkspaceSize(cudnn(), p.x, p.y, p.conv, p.w,
                                                             p.backward_filter, &bytes));
  void* workspace = p.workspace_of(bytes);
  CUDNN_CHECK(cudnnConvolutionBackwardFilter(cudnn(), &kOne, p.x, x, p.y, dy, p.conv,
                                             p.backward_filter, workspace, bytes, &kZero, p.w, dw));
  if (db) CUDNN_CHECK(cudnnConvolutionBackwardBias(cudnn(), &kOne, p.y, dy, &kZero, p.bias, db));
}

}  // namespace cuda_baseline
}  // namespace cudagrad
