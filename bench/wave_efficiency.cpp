// cudagrad-waves: how well each CUDA kernel launch of one training step would
// fill an H100, measured without a GPU.
//
// A launch of B blocks on a GPU of S multiprocessors runs in ceil(B / S)
// "waves"; with B < S some multiprocessors get no work at all, however fast
// the kernel is. So a launch that does a lot of work (here: more than
// 100 MFLOP) should have at least S = 132 blocks (an H100 SXM has 132 SMs).
//
// How: every layer shape of LeNet, ResNet-18 and MobileNet at batch 32 and
// 224x224 (the cases of bench/bench_cases.h: each layer's forward and
// backward passes, the loss head, the optimizer step) is called on the
// emulated CUDA backend with the emulator's launch record on and its kernels
// off (simt::start_recording(false)): each host function computes its grids
// from the real shapes and launches, and the record keeps kernel, grid,
// block and the FLOPs the host function noted (the GEMMs note 2*M*N*K).
// Nothing runs, so 224x224 takes seconds; the block counts are exactly what
// the nvcc build would launch, since both builds share the host code.
//
//   cudagrad-waves                  the table and the summary, all three models
//   cudagrad-waves --model resnet18 one model
//   cudagrad-waves --small          only the launches over 100 MFLOP below 132 blocks
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "base/error.h"
#include "bench/bench_cases.h"
#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/emulation/schedule.h"

namespace {

using namespace cudagrad;

constexpr int kSMs = 132;             // H100 SXM
constexpr double kBigLaunch = 100e6;  // FLOPs

struct Row {
  std::string model, op, shape, kernel;
  int layers;
  unsigned long long blocks;
  unsigned threads;
  double flops;
};

std::vector<Row> launches_of(const std::string& model) {
  std::vector<Row> rows;
  const KernelTable& table = cuda_emulated::kernel_table();
  for (const bench::BenchCase& c : bench::model_cases(model, 32, 7)) {
    bench::Workspace w(table);
    simt::start_recording(/*run_kernels=*/false);
    c.prepare(w);  // inputs, and any forward pass a backward case needs (not counted)
    simt::stop_recording();
    simt::start_recording(/*run_kernels=*/false);
    c.run(w);
    const std::vector<simt::LaunchRecord> launches = simt::stop_recording();
    // A host function of one launch that noted no FLOPs gets the case's.
    for (const simt::LaunchRecord& l : launches) {
      const double flops = l.flops == 0 && launches.size() == 1 ? c.flops : l.flops;
      rows.push_back(Row{model, c.op, c.shape, l.kernel, c.layers,
                         1ull * l.grid[0] * l.grid[1] * l.grid[2],
                         l.block[0] * l.block[1] * l.block[2], flops});
    }
  }
  return rows;
}

int run(int argc, char** argv) {
  std::vector<std::string> models = {"lenet", "resnet18", "mobilenet"};
  bool small_only = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--model") == 0 && i + 1 < argc) {
      models = {argv[++i]};
    } else if (std::strcmp(argv[i], "--small") == 0) {
      small_only = true;
    } else {
      std::fprintf(stderr, "usage: cudagrad-waves [--model NAME] [--small]\n");
      return 2;
    }
  }
  simt::set_checks(simt::Checks{false, false, false});  // nothing runs; no shadow memory
  std::printf(
      "launches of one training step, batch 32, 224x224, 7 classes, against %d SMs "
      "(H100 SXM); '<' marks a launch over 100 MFLOP with fewer blocks than SMs\n\n",
      kSMs);
  std::printf("%-9s %-32s %-30s %6s %-34s %8s %7s %9s %6s\n", "model", "op", "shape", "layers",
              "kernel", "blocks", "threads", "MFLOP", "waves");
  int big = 0, big_small = 0, layers_big = 0, layers_big_small = 0;
  for (const std::string& model : models) {
    for (const Row& r : launches_of(model)) {
      const bool is_big = r.flops > kBigLaunch, is_small = r.blocks < kSMs;
      big += is_big;
      layers_big += is_big ? r.layers : 0;
      big_small += is_big && is_small;
      layers_big_small += is_big && is_small ? r.layers : 0;
      if (small_only && !(is_big && is_small)) continue;
      std::printf("%-9s %-32s %-30s %6d %-34s %8llu %7u %9.1f %6.2f %s\n", r.model.c_str(),
                  r.op.c_str(), r.shape.c_str(), r.layers, r.kernel.substr(0, 34).c_str(), r.blocks,
                  r.threads, r.flops / 1e6, double(r.blocks) / kSMs, is_big && is_small ? "<" : "");
    }
  }
  std::printf(
      "\nlaunches over 100 MFLOP: %d distinct (%d counting repeated layers); "
      "with fewer than %d blocks: %d distinct (%d counting repeated layers)\n",
      big, layers_big, kSMs, big_small, layers_big_small);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const cudagrad::Error& e) {
    std::fprintf(stderr, "cudagrad-waves: %s\n", e.what());
    return 1;
  }
}
