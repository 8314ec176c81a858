// cudagrad-bench: every kernel of the table on every layer shape of LeNet,
// ResNet-18 and MobileNet v1 (batch 32, 224x224), in the manner of llm.c's
// dev/cuda: for each case, first validate (run both implementations on the
// same inputs and compare), then time: warm-up, a cache flush before each
// timed call, the median of the repeats.
//
//   On a GPU:     the hand-written CUDA kernels against cuDNN/cuBLAS
//                 (kernels/cuda/baselines/); ops the libraries do not have
//                 are validated against the reference backend and timed alone.
//   Without one:  the CPU backend against the reference backend, wall-clock;
//                 by default one shape per op and model (the one most layers
//                 share) so that it finishes in minutes; --all for every shape.
//
// Columns: ms (median), the rate (GFLOP/s for convolutions and GEMMs, GB/s of
// the least traffic for everything else), that rate as a percentage of the
// peak measured on this machine at start, the baseline's ms and the speedup
// (baseline ms / ours: above 1 is faster than the baseline), and the
// validation's worst error as a fraction of its tolerance.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/error.h"
#include "bench/bench_cases.h"
#include "bench/clock.h"
#include "engine/device.h"
#include "kernels/cpu/cpu.h"
#include "kernels/reference/reference.h"
#ifdef CUDAGRAD_HAVE_CUDA
#include "kernels/cuda/cuda_backend.h"
#endif
#ifdef CUDAGRAD_HAVE_BASELINES
#include "kernels/cuda/baselines/baselines.h"
#endif

using namespace cudagrad;
using namespace cudagrad::bench;

namespace {

struct Options {
  std::vector<std::string> models{"lenet", "resnet18", "mobilenet"};
  std::string op;  // only ops whose name contains this
  int batch = 32, classes = 7, repeats = 0, warmup = 0;
  bool all = false, csv = false, devices = false;
};

void print_usage() {
  std::printf(
      "usage: cudagrad-bench [options]\n"
      "  --model a,b,...   models (lenet,resnet18,mobilenet)\n"
      "  --op TEXT         only ops whose name contains TEXT (e.g. conv2d_forward)\n"
      "  --batch N         batch size (32)\n"
      "  --classes N       classifier outputs (7)\n"
      "  --repeats N       timed calls per measurement (GPU 20, CPU 5)\n"
      "  --warmup N        untimed calls first (GPU 3, CPU 1)\n"
      "  --all             every layer shape also on the CPU (default there: one per op)\n"
      "  --csv             comma-separated output\n"
      "  --devices         say whether a GPU is usable (and so whether the GPU tests run)\n");
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    auto value = [&]() -> std::string {
      CG_CHECK(i + 1 < argc, flag << " needs a value");
      return argv[++i];
    };
    auto number = [&](int low) {
      const std::string v = value();
      const int n = std::atoi(v.c_str());
      CG_CHECK(n >= low, flag << " must be at least " << low << ", got '" << v << "'");
      return n;
    };
    if (flag == "--model") {
      o.models.clear();
      std::string list = value();
      for (size_t start = 0; start <= list.size();) {
        const size_t comma = std::min(list.find(',', start), list.size());
        o.models.push_back(list.substr(start, comma - start));
        start = comma + 1;
      }
    } else if (flag == "--op")
      o.op = value();
    else if (flag == "--batch")
      o.batch = number(1);
    else if (flag == "--classes")
      o.classes = number(1);
    else if (flag == "--repeats")
      o.repeats = number(1);
    else if (flag == "--warmup")
      o.warmup = number(0);
    else if (flag == "--all")
      o.all = true;
    else if (flag == "--csv")
      o.csv = true;
    else if (flag == "--devices")
      o.devices = true;
    else if (flag == "--help" || flag == "-h") {
      print_usage();
      std::exit(0);
    } else
      CG_FAIL("unknown option " << flag << " (see --help)");
  }
  return o;
}

// ---- measuring ---------------------------------------------------------------------------
struct Timing {
  double median_ms = 0;
  int repeats = 0;
};

// `warmup` untimed calls, then up to `repeats` timed ones, each after a cache
// flush; stops early once the timed calls have taken `budget_ms` (at least
// one is always timed: the reference's convolutions take seconds each).
Timing measure(Clock& clock, const std::function<void()>& call, int warmup, int repeats,
               double budget_ms) {
  for (int i = 0; i < warmup; ++i) call();
  std::vector<double> times;
  double total = 0;
  while (static_cast<int>(times.size()) < repeats && (times.empty() || total < budget_ms)) {
    clock.flush_cache();
    times.push_back(clock.time_ms(call));
    total += times.back();
  }
  std::sort(times.begin(), times.end());
  return {times[times.size() / 2], static_cast<int>(times.size())};
}

// Worst error relative to max(1, max |want|) over the case's outputs, as a
// fraction of the tolerance (exact comparisons: 0 when equal, else infinity).
double validate(const BenchCase& c, const Workspace& ours, const Workspace& theirs) {
  double worst_fraction = 0;
  for (const std::string& name : c.outputs) {
    const std::vector<float> got = ours.read(name), want = theirs.read(name);
    double scale = 1, worst = 0;
    for (float w : want) scale = std::max(scale, double(std::fabs(w)));
    for (size_t i = 0; i < want.size(); ++i) {
      const double e = std::fabs(double(got[i]) - double(want[i]));
      worst = std::isnan(e) ? INFINITY : std::max(worst, e);
    }
    worst /= scale;
    const double fraction = c.tolerance > 0 ? worst / c.tolerance : (worst == 0 ? 0 : INFINITY);
    worst_fraction = std::max(worst_fraction, fraction);
  }
  return worst_fraction;
}

// ---- output ------------------------------------------------------------------------------
struct Row {
  const BenchCase* c;
  Timing ours, baseline;  // baseline.repeats == 0: not timed
  double rate = 0, percent = 0, check = 0;
};

void print_header(bool csv, const char* ours_name, const char* baseline_name) {
  if (csv) {
    std::printf(
        "model,op,shape,layers,ms,rate,unit,percent_of_peak,baseline_ms,speedup,"
        "check_fraction,ok\n");
    return;
  }
  std::printf("\n%-9s %-32s %-34s %6s %9s %9s %-7s %6s %11s %7s %s\n", "model", "op", "shape",
              "layers", "ms", "rate", "", "%peak", "baseline ms", "speedup", "check");
  std::printf("%-9s %-32s %-34s %6s %9s %9s %-7s %6s %11s %7s %s\n", "", "", "", "", ours_name, "",
              "", "", baseline_name, "", "err/tol");
}

void print_row(const Row& r, bool csv) {
  const BenchCase& c = *r.c;
  const char* unit = c.bound == Bound::compute ? "GFLOP/s" : "GB/s";
  const bool timed = r.baseline.repeats > 0;
  const double speedup = timed ? r.baseline.median_ms / r.ours.median_ms : 0;
  const bool ok = r.check <= 1;
  if (csv) {
    std::printf("%s,%s,%s,%d,%.4f,%.2f,%s,%.2f,%s,%s,%.3g,%s\n", c.model.c_str(), c.op.c_str(),
                c.shape.c_str(), c.layers, r.ours.median_ms, r.rate, unit, r.percent,
                timed ? std::to_string(r.baseline.median_ms).c_str() : "",
                timed ? std::to_string(speedup).c_str() : "", r.check, ok ? "yes" : "no");
  } else {
    char base[32] = "-", ratio[32] = "-";
    if (timed) {
      std::snprintf(base, sizeof base, "%.3f", r.baseline.median_ms);
      std::snprintf(ratio, sizeof ratio, "%.2f", speedup);
    }
    std::printf("%-9s %-32s %-34s %6d %9.3f %9.1f %-7s %6.1f %11s %7s %s %.2f\n", c.model.c_str(),
                c.op.c_str(), c.shape.c_str(), c.layers, r.ours.median_ms, r.rate, unit, r.percent,
                base, ratio, ok ? "ok" : "FAIL", r.check);
  }
  std::fflush(stdout);
}

// Without --all on the CPU: per model and op, the shape the most layers share.
std::vector<BenchCase> subset(std::vector<BenchCase> cases) {
  std::map<std::string, size_t> best;  // op -> index
  for (size_t i = 0; i < cases.size(); ++i) {
    auto [it, fresh] = best.emplace(cases[i].op, i);
    if (!fresh && cases[i].layers > cases[it->second].layers) it->second = i;
  }
  std::vector<BenchCase> out;
  for (size_t i = 0; i < cases.size(); ++i)
    if (best[cases[i].op] == i) out.push_back(cases[i]);
  return out;
}

// Validates one case, then times it on both backends.
Row bench_case(const BenchCase& c, Clock& clock, const Peak& peak, const KernelTable& ours,
               const KernelTable* baseline, int warmup, int repeats) {
  const double budget_ms = 2000;
  Row row;
  row.c = &c;
  // Validate: ours against the baseline, or against the reference where the
  // baseline has no such op (cheap ops: the reference runs them on the host).
  const bool with_baseline = baseline && c.available(*baseline);
  const KernelTable& judge = with_baseline ? *baseline : reference::kernel_table();
  Workspace mine(ours), theirs(judge);
  c.prepare(mine);
  c.prepare(theirs);
  c.run(mine);
  c.run(theirs);
  row.check = validate(c, mine, theirs);

  // Time; the validation calls were the first warm-up.
  row.ours = measure(
      clock, [&] { c.run(mine); }, warmup - 1, repeats, budget_ms);
  if (with_baseline)
    row.baseline = measure(
        clock, [&] { c.run(theirs); }, warmup - 1, repeats, budget_ms);
  const double seconds = row.ours.median_ms * 1e-3;
  if (c.bound == Bound::compute) {
    row.rate = c.flops / seconds / 1e9;
    row.percent = 100 * row.rate / peak.gflops;
  } else {
    row.rate = c.bytes / seconds / 1e9;
    row.percent = 100 * row.rate / peak.gbytes_per_s;
  }
  return row;
}

// ---- the run -----------------------------------------------------------------------------
int run(const Options& o) {
  const CudaStatus& cuda = cuda_status();
  if (o.devices) {
    if (cuda.devices > 0)
      std::printf("cuda: GPU 0 is %s: the GPU tests and the GPU benchmark run on it\n",
                  cuda.name.c_str());
    else
      std::printf("cuda: no usable GPU, so the GPU tests and the GPU benchmark were skipped: %s\n",
                  cuda.reason.c_str());
    return 0;
  }

  const bool gpu = cuda.devices > 0;
  std::unique_ptr<Clock> clock;
  const KernelTable* ours = &cpu::kernel_table();
  const KernelTable* baseline = &reference::kernel_table();
#ifdef CUDAGRAD_HAVE_CUDA
  if (gpu) {
    clock = make_gpu_clock();
    ours = &cuda::kernel_table();
    baseline = nullptr;
#ifdef CUDAGRAD_HAVE_BASELINES
    baseline = &cuda_baseline::kernel_table();
#endif
  }
#endif
  if (!clock) clock = make_cpu_clock();
  const int warmup = o.warmup > 0 ? o.warmup : (gpu ? 3 : 1);
  const int repeats = o.repeats > 0 ? o.repeats : (gpu ? 20 : 5);

  FILE* info = o.csv ? stderr : stdout;  // keep the CSV on stdout clean
  if (gpu) {
    std::fprintf(
        info, "cudagrad-bench: %s\nhand-written CUDA kernels against %s\n", clock->device().c_str(),
        baseline ? "cuDNN/cuBLAS (FP32, no TF32)" : "nothing: this build has no cuDNN/cuBLAS");
  } else {
    std::fprintf(info,
                 "cudagrad-bench: no usable GPU: %s\n"
                 "so this benchmarks the CPU backend against the reference backend instead, "
                 "wall-clock; %s\n%s\n",
                 cuda.reason.c_str(),
                 o.all ? "every layer shape" : "one shape per op and model (--all for every shape)",
                 clock->device().c_str());
  }
  const Peak peak = clock->measure_peak();
  std::fprintf(info, "measured peak: %.1f GFLOP/s, %.1f GB/s (%s)\n", peak.gflops,
               peak.gbytes_per_s, peak.how.c_str());
  std::fprintf(info,
               "batch %d, 224x224, %d classes; median of up to %d calls after %d warm-up, "
               "cache flushed before each\n",
               o.batch, o.classes, repeats, warmup);
  print_header(o.csv, ours->name, baseline ? baseline->name : "(none)");

  int failures = 0;
  for (const std::string& model : o.models) {
    std::vector<BenchCase> cases = model_cases(model, o.batch, o.classes);
    if (!gpu && !o.all) cases = subset(std::move(cases));
    for (const BenchCase& c : cases) {
      if (!o.op.empty() && c.op.find(o.op) == std::string::npos) continue;
      try {
        const Row row = bench_case(c, *clock, peak, *ours, baseline, warmup, repeats);
        failures += row.check > 1;
        print_row(row, o.csv);
      } catch (const Error& e) {  // one case's failure should not hide the others
        std::fprintf(stderr, "%s %s %s: error: %s\n", c.model.c_str(), c.op.c_str(),
                     c.shape.c_str(), e.what());
        ++failures;
      }
      // Return this case's buffers to the driver: the shapes differ from case
      // to case, so cached blocks would only pile up.
      if (gpu) release_cached_memory(Device::cuda());
    }
  }
  if (failures) std::fprintf(stderr, "cudagrad-bench: %d case(s) failed\n", failures);
  return failures ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse(argc, argv));
  } catch (const Error& e) {
    std::fprintf(stderr, "cudagrad-bench: error: %s\n", e.what());
    return 1;
  }
}
