// cudagrad bench-layers: forward and backward milliseconds per layer of one
// model on the CPU, like Caffe's `time` command, so the slow layer shows.
// Each timed pass is a whole training step (forward, loss, backward); the
// table shows the leaf layers (the ones that run ops themselves), averaged
// over the timed steps, with the fast CPU backend and, with --reference,
// the reference loops beside it. Convolution and linear layers also show
// their achieved GFLOP/s and the share of the machine's FP32 peak.
#include <omp.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/options.h"
#include "engine/autograd.h"
#include "engine/dispatch.h"
#include "engine/ops.h"
#include "engine/profiler.h"
#include "kernels/cpu/cpu.h"
#include "kernels/reference/reference.h"
#include "layers/module.h"
#include "models/registry.h"

namespace cudagrad {
namespace cli {

namespace {

// Leaves: layers no other timed layer is nested in ("layer1.0.conv1" but
// not "layer1.0" or "layer1").
std::vector<LayerTiming> leaves(const std::vector<LayerTiming>& all) {
  std::vector<LayerTiming> out;
  for (const LayerTiming& t : all) {
    bool parent = false;
    for (const LayerTiming& u : all)
      parent = parent || (u.layer.size() > t.layer.size() &&
                          u.layer.compare(0, t.layer.size() + 1, t.layer + ".") == 0);
    if (!parent) out.push_back(t);
  }
  return out;
}

std::vector<LayerTiming> profile_steps(Module& model, const Tensor& x,
                                       const std::vector<int32_t>& y, int steps,
                                       Profiler::Clock clock) {
  Profiler profiler(clock);
  for (int i = 0; i < steps; ++i) {
    Tensor loss = cross_entropy(model.forward(x), y, Tensor());
    loss.backward();
  }
  std::vector<LayerTiming> out = leaves(profiler.timings());
  for (LayerTiming& t : out) {
    t.forward_ms /= steps;
    t.backward_ms /= steps;
  }
  return out;
}

// The clock of the first core in /proc/cpuinfo, in GHz; 0 where it says none
// (ARM). Under a hypervisor this is the nominal clock, not the turbo clock.
double cpu_ghz() {
  std::ifstream info("/proc/cpuinfo");
  std::string line;
  while (std::getline(info, line))
    if (line.rfind("cpu MHz", 0) == 0) return std::stod(line.substr(line.find(':') + 1)) / 1000;
  return 0;
}

// FP32 peak of `cores` cores in GFLOP/s: cores x GHz x FLOP per cycle, with
// FLOP per cycle = 2 vector units x floats per vector x 2 for a fused
// multiply-add. Two units is what current server and desktop cores have
// (some AVX-512 parts have one 512-bit unit: half this peak).
double peak_gflops(int cores) {
  const cpu::VectorTarget& t = cpu::active_vector_target();
  return cores * cpu_ghz() * 2 * t.floats * (t.fma ? 2 : 1);
}

// FLOPs of each leaf layer for the whole batch (conv and linear only, as
// `summary` counts them), by layer name.
std::map<std::string, int64_t> layer_flops(const Module& model, const Shape& input) {
  ShapeTrace trace;
  trace.through("", model, input);
  std::map<std::string, int64_t> flops;
  for (const TracedLayer& l : trace.layers()) flops[l.name] = l.layer->flops(l.input, l.output);
  return flops;
}

struct BenchOptions {
  std::string model, clock = "wall";
  int batch = 16, input = 224, steps = 3, reference = 0;
};

int bench_layers(const BenchOptions& o) {
  const std::string& name = o.model;
  const int batch = o.batch, input = o.input, steps = o.steps;
  const bool with_reference = o.reference == 1;
  const Profiler::Clock clock = o.clock == "cpu" ? Profiler::Clock::cpu : Profiler::Clock::wall;

  Generator gen(0);
  auto model = make_model(name, 7, gen);
  model->output_shape({batch, 3, input, input});  // a wrong size fails here, naming the layer
  Tensor x = Tensor::randn({batch, 3, input, input}, gen);
  std::vector<int32_t> y(batch);
  for (int i = 0; i < batch; ++i) y[i] = static_cast<int32_t>(gen.next_u64() % 7);

  std::printf("%s\n%s, batch %d, %dx%d, %d timed steps after 1 warm-up, backend '%s', %s time\n",
              describe_cpu().c_str(), name.c_str(), batch, input, input, steps,
              kernels_for(Device::cpu()).name, o.clock.c_str());
  profile_steps(*model, x, y, 1, clock);  // warm-up: first-touch allocations, caches
  std::vector<LayerTiming> fast = profile_steps(*model, x, y, steps, clock);
  std::vector<LayerTiming> slow;
  if (with_reference) {
    HostBackendScope scope(reference::kernel_table());
    slow = profile_steps(*model, x, y, 1, clock);
  }

  // GFLOP/s against the peak of the cores that did the work: all threads for
  // wall time, one core for CPU time (which adds up every thread's time).
  const std::map<std::string, int64_t> flops = layer_flops(*model, {batch, 3, input, input});
  const int cores = clock == Profiler::Clock::cpu ? 1 : omp_get_max_threads();
  const double peak = peak_gflops(cores);
  if (peak > 0)
    std::printf("peak: %d core%s x %.2f GHz x %d FLOP/cycle = %.0f GFLOP/s FP32. GF/s counts a direct "
                "convolution's FLOPs (Winograd layers do fewer), the backward pass 2x the forward "
                "(1x for the first layer: no input gradient)\n",
                cores, cores == 1 ? "" : "s", cpu_ghz(), static_cast<int>(peak / cores / cpu_ghz() + 0.5),
                peak);
  std::printf("%-28s %12s %12s %9s %9s %6s", "layer", "forward ms", "backward ms", "fwd GF/s",
              "bwd GF/s", "% peak");
  if (with_reference) std::printf(" %14s %14s", "ref forward ms", "ref backward ms");
  std::printf("\n");
  double total_f = 0, total_b = 0;
  for (size_t i = 0; i < fast.size(); ++i) {
    const LayerTiming& t = fast[i];
    std::printf("%-28s %12.2f %12.2f", t.layer.c_str(), t.forward_ms, t.backward_ms);
    const auto found = flops.find(t.layer);
    const int64_t f = found == flops.end() ? 0 : found->second;
    if (f > 0 && t.forward_ms > 0 && t.backward_ms > 0) {
      const double backward_flops = f * (i == 0 ? 1.0 : 2.0);
      const double fwd = f / (t.forward_ms * 1e6), bwd = backward_flops / (t.backward_ms * 1e6);
      const double all = (f + backward_flops) / ((t.forward_ms + t.backward_ms) * 1e6);
      std::printf(" %9.1f %9.1f", fwd, bwd);
      if (peak > 0) std::printf(" %5.0f%%", 100 * all / peak); else std::printf(" %6s", "-");
    } else {
      std::printf(" %9s %9s %6s", "-", "-", "-");
    }
    if (with_reference && i < slow.size())
      std::printf(" %14.2f %14.2f", slow[i].forward_ms, slow[i].backward_ms);
    std::printf("\n");
    total_f += t.forward_ms;
    total_b += t.backward_ms;
  }
  std::printf("%-28s %12.2f %12.2f   (%.1f images/s for forward + backward)\n", "total", total_f,
              total_b, batch * 1000.0 / (total_f + total_b));
  return 0;
}

}  // namespace

Runner bench_layers_command(CLI::App& app) {
  auto o = std::make_shared<BenchOptions>();
  app.add_option("--model", o->model, "the architecture")
      ->type_name(choices_text<train::ModelKind>())
      ->required();
  app.add_option("--batch", o->batch, "images per step")
      ->type_name("N")
      ->check(integer_in(1, 4096))
      ->capture_default_str();
  app.add_option("--input", o->input, "the input side")
      ->type_name("N")
      ->check(integer_in(8, 4096))
      ->capture_default_str();
  app.add_option("--steps", o->steps, "timed steps, averaged")
      ->type_name("N")
      ->check(integer_in(1, 1000))
      ->capture_default_str();
  app.add_option("--reference", o->reference, "1: time the reference loops too")
      ->type_name("0|1")
      ->check(zero_or_one())
      ->capture_default_str();
  app.add_option("--clock", o->clock, "wall time, or the CPU time of all threads")
      ->type_name("wall|cpu")
      ->check(one_of({"wall", "cpu"}))
      ->capture_default_str();
  return [o] { return bench_layers(*o); };
}

}  // namespace cli
}  // namespace cudagrad
