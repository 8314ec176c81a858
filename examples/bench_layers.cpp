// cudagrad bench-layers: forward and backward milliseconds per layer of one
// model on the CPU, like Caffe's `time` command, so the slow layer shows.
// Each timed pass is a whole training step (forward, loss, backward); the
// table shows the leaf layers (the ones that run ops themselves), averaged
// over the timed steps, with the fast CPU backend and, with --reference,
// the reference loops beside it.
#include <cstdio>
#include <string>
#include <vector>

#include "engine/autograd.h"
#include "engine/dispatch.h"
#include "engine/ops.h"
#include "engine/profiler.h"
#include "examples/commands.h"
#include "examples/flags.h"
#include "kernels/reference/reference.h"
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

}  // namespace

int bench_layers_command(const Args& args) {
  const Flags flags =
      parse_flags(args, {"--model", "--batch", "--input", "--steps", "--reference", "--clock"});
  CG_CHECK(flags.count("--model"), "bench-layers needs --model NAME (see 'cudagrad help')");
  const std::string name = flags.at("--model");
  const int batch = int_flag(flags, "--batch", 16, 1, 4096);
  const int input = int_flag(flags, "--input", 224, 8, 4096);
  const int steps = int_flag(flags, "--steps", 3, 1, 1000);
  const bool with_reference = int_flag(flags, "--reference", 0, 0, 1) == 1;
  const std::string clock_name = string_flag(flags, "--clock", "wall");
  CG_CHECK(clock_name == "wall" || clock_name == "cpu",
           "--clock must be wall or cpu, got '" << clock_name << "'");
  const Profiler::Clock clock = clock_name == "cpu" ? Profiler::Clock::cpu : Profiler::Clock::wall;

  Generator gen(0);
  auto model = make_model(name, 7, gen);
  model->output_shape({batch, 3, input, input});  // a wrong size fails here, naming the layer
  Tensor x = Tensor::randn({batch, 3, input, input}, gen);
  std::vector<int32_t> y(batch);
  for (int i = 0; i < batch; ++i) y[i] = static_cast<int32_t>(gen.next_u64() % 7);

  std::printf("%s\n%s, batch %d, %dx%d, %d timed steps after 1 warm-up, backend '%s', %s time\n",
              describe_cpu().c_str(), name.c_str(), batch, input, input, steps,
              kernels_for(Device::cpu()).name, clock_name.c_str());
  profile_steps(*model, x, y, 1, clock);  // warm-up: first-touch allocations, caches
  std::vector<LayerTiming> fast = profile_steps(*model, x, y, steps, clock);
  std::vector<LayerTiming> slow;
  if (with_reference) {
    HostBackendScope scope(reference::kernel_table());
    slow = profile_steps(*model, x, y, 1, clock);
  }

  std::printf("%-28s %12s %12s", "layer", "forward ms", "backward ms");
  if (with_reference) std::printf(" %14s %14s", "ref forward ms", "ref backward ms");
  std::printf("\n");
  double total_f = 0, total_b = 0;
  for (size_t i = 0; i < fast.size(); ++i) {
    const LayerTiming& t = fast[i];
    std::printf("%-28s %12.2f %12.2f", t.layer.c_str(), t.forward_ms, t.backward_ms);
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

}  // namespace cli
}  // namespace cudagrad
