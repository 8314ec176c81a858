// cudagrad side of bench/compare.sh: training-step and inference throughput
// of one model at one batch size on the CPU, in the same form as
// bench/compare_pytorch.py prints:
//   model=lenet batch=32 train_img_s=... infer_img_s=... train_peak_rss_mb=... peak_rss_mb=...
// A training step is forward, weighted cross-entropy, backward, Adam step.
// The thread count is OpenMP's (OMP_NUM_THREADS); compare.sh sets it.
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "base/error.h"
#include "engine/autograd.h"
#include "engine/device.h"
#include "engine/optim.h"
#include "kernels/cpu/cpu.h"
#include "models/registry.h"

using namespace cudagrad;

namespace {

// Seconds by the wall clock, or the CPU time of the whole process (every
// thread's), which is the fairer measure on a machine shared with other work.
bool g_cpu_clock = false;

double now_seconds() {
  if (!g_cpu_clock)
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

double median_seconds(const std::function<void()>& fn, int warmup, int steps) {
  for (int i = 0; i < warmup; ++i) fn();
  std::vector<double> times;
  for (int i = 0; i < steps; ++i) {
    const double start = now_seconds();
    fn();
    times.push_back(now_seconds() - start);
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

int run(int argc, char** argv) {
  std::string model_name;
  int batch = 0, infer_batch = 32, input = 224, warmup = 2, steps = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--model") model_name = value;
    else if (flag == "--batch") batch = std::atoi(value.c_str());
    else if (flag == "--infer-batch") infer_batch = std::atoi(value.c_str());
    else if (flag == "--input") input = std::atoi(value.c_str());
    else if (flag == "--warmup") warmup = std::atoi(value.c_str());
    else if (flag == "--steps") steps = std::atoi(value.c_str());
    else if (flag == "--clock" && (value == "wall" || value == "cpu")) g_cpu_clock = value == "cpu";
    else CG_FAIL("unknown option " << flag);
  }
  CG_CHECK(!model_name.empty() && batch > 0 && steps > 0,
           "usage: train_throughput --model NAME --batch N [--steps N] [--warmup N] [--input N] "
           "[--clock wall|cpu]");

  std::printf("%s\n", describe_cpu().c_str());
  const int classes = 7;
  Generator gen(0);
  auto model = make_model(model_name, classes, gen);
  Tensor weights = Tensor::from_vector({1.5719f, 1.0f, 0.4677f, 4.4696f, 0.4618f, 0.0767f, 3.6197f},
                                       {classes});
  Adam optimizer(model->parameters(), 1e-4f);
  Tensor x = Tensor::randn({batch, 3, input, input}, gen);
  std::vector<int32_t> y(batch);
  for (int i = 0; i < batch; ++i) y[i] = static_cast<int32_t>(gen.next_u64() % classes);

  model->train();
  const double train_s = median_seconds(
      [&] {
        optimizer.zero_grad();
        Tensor loss = cross_entropy(model->forward(x), y, weights);
        loss.backward();
        optimizer.step();
      },
      warmup, steps);
  // The peak of the training phase alone: inference at another batch size
  // asks for other block sizes, so the whole process's peak mixes the two.
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  const double train_peak_mb = usage.ru_maxrss / 1024.0;

  // As `cudagrad train` does before validation: the cached training blocks
  // go back to the system, so the inference phase does not stack on them.
  release_cached_memory(Device::cpu());
  model->eval();
  Tensor xi = Tensor::randn({infer_batch, 3, input, input}, gen);
  const double infer_s = median_seconds(
      [&] {
        NoGradGuard no_grad;
        model->forward(xi);
      },
      1, std::max(3, steps / 2));

  getrusage(RUSAGE_SELF, &usage);
  std::printf(
      "model=%s batch=%d train_img_s=%.2f infer_img_s=%.2f train_peak_rss_mb=%.0f "
      "peak_rss_mb=%.0f cpu_target=%s\n",
      model_name.c_str(), batch, batch / train_s, infer_batch / infer_s, train_peak_mb,
      usage.ru_maxrss / 1024.0, cpu::active_vector_target().name);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const Error& e) {
    std::fprintf(stderr, "train_throughput: error: %s\n", e.what());
    return 1;
  }
}
