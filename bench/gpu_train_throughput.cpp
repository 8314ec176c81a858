// Training throughput of cudagrad on the GPU, for bench/gpu_check.sh: one
// model at one batch size, 224x224, 7 classes; a step is forward, weighted
// cross-entropy, backward and an Adam step, the same as
// bench/train_throughput.cpp does on the CPU and bench/gpu_compare_pytorch.py
// does in PyTorch. Each step ends by reading the loss, which waits for the
// GPU, so the wall clock covers the step's kernels. Prints one line:
//   model=resnet18 batch=32 train_img_s=... device=...
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "base/error.h"
#include "engine/autograd.h"
#include "engine/device.h"
#include "engine/optim.h"
#include "models/registry.h"

using namespace cudagrad;

namespace {

int run(int argc, char** argv) {
  std::string model_name;
  int batch = 0, warmup = 3, steps = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--model")
      model_name = value;
    else if (flag == "--batch")
      batch = std::atoi(value.c_str());
    else if (flag == "--warmup")
      warmup = std::atoi(value.c_str());
    else if (flag == "--steps")
      steps = std::atoi(value.c_str());
    else
      CG_FAIL("unknown option " << flag);
  }
  CG_CHECK(!model_name.empty() && batch > 0 && steps > 0,
           "usage: gpu_train_throughput --model NAME --batch N [--steps N] [--warmup N]");
  const CudaStatus& cuda = cuda_status();
  CG_CHECK(cuda.devices > 0, "no usable GPU: " << cuda.reason);

  const Device gpu = Device::cuda();
  const int classes = 7;
  Generator gen(0);
  auto model = make_model(model_name, classes, gen);
  model->to_device(gpu);
  Tensor weights =
      Tensor::from_vector({1.5719f, 1.0f, 0.4677f, 4.4696f, 0.4618f, 0.0767f, 3.6197f}, {classes})
          .to(gpu);
  Adam optimizer(model->parameters(), 1e-4f);
  Tensor x = Tensor::randn({batch, 3, 224, 224}, gen).to(gpu);
  std::vector<int32_t> y(batch);
  for (int i = 0; i < batch; ++i) y[i] = static_cast<int32_t>(gen.next_u64() % classes);

  model->train();
  auto step = [&] {
    optimizer.zero_grad();
    Tensor loss = cross_entropy(model->forward(x), y, weights);
    loss.backward();
    optimizer.step();
    return loss.item();  // waits for the GPU
  };
  for (int i = 0; i < warmup; ++i) step();
  std::vector<double> times;
  for (int i = 0; i < steps; ++i) {
    const auto start = std::chrono::steady_clock::now();
    step();
    times.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  std::printf("model=%s batch=%d train_img_s=%.1f device=\"%s\"\n", model_name.c_str(), batch,
              batch / times[times.size() / 2], cuda.name.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const Error& e) {
    std::fprintf(stderr, "gpu_train_throughput: error: %s\n", e.what());
    return 1;
  }
}
