// The CPU's Clock (bench/clock.h): wall-clock time, a cache flush by
// writing twice the last-level cache, and a peak measured on this machine:
//   FLOP/s: the CPU backend's SGEMM (Eigen) on 1024 x 1024 x 1024, best of 3;
//           what a well-blocked kernel reaches here, not the datasheet's FMA
//           count, which no memory-fed kernel approaches on a shared VM.
//   bytes/s: memcpy of 256 MiB (counted as read plus write), best of 3.
#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "bench/clock.h"
#include "kernels/cpu/cpu.h"

namespace cudagrad {
namespace bench {

namespace {

double now_ms() {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string cpu_model() {
  std::ifstream info("/proc/cpuinfo");
  for (std::string line; std::getline(info, line);) {
    if (line.rfind("model name", 0) == 0) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) return line.substr(colon + 2);
    }
  }
  return "unknown CPU";
}

class CpuClock : public Clock {
 public:
  CpuClock() : flush_(flush_floats(), 0.f) {}

  std::string device() const override {
    return "CPU: " + cpu_model() + ", " + std::to_string(omp_get_max_threads()) + " threads";
  }

  void flush_cache() override {
    // Writing every element evicts whatever the last call left in the caches.
    std::fill(flush_.begin(), flush_.end(), flush_value_);
    flush_value_ += 1.f;
  }

  double time_ms(const std::function<void()>& call) override {
    const double start = now_ms();
    call();
    return now_ms() - start;
  }

  Peak measure_peak() override {
    Peak p;
    const int n = 1024;
    std::vector<float> a(size_t(n) * n, 0.5f), b(size_t(n) * n, 0.25f), c(size_t(n) * n);
    LinearShape s;
    s.N = n, s.in = n, s.out = n;
    double best = 1e30;
    for (int i = 0; i < 4; ++i) {  // the first is a warm-up
      const double ms = time_ms(
          [&] { cpu::kernel_table().linear_forward(s, a.data(), b.data(), nullptr, c.data()); });
      if (i > 0) best = std::min(best, ms);
    }
    p.gflops = 2.0 * n * n * n / (best * 1e-3) / 1e9;

    std::vector<char> src(size_t(256) << 20, 1), dst(src.size());
    best = 1e30;
    for (int i = 0; i < 4; ++i) {
      const double ms = time_ms([&] { std::memcpy(dst.data(), src.data(), src.size()); });
      if (i > 0) best = std::min(best, ms);
    }
    p.gbytes_per_s = 2.0 * src.size() / (best * 1e-3) / 1e9;
    p.how = "SGEMM 1024^3 of the CPU backend; memcpy of 256 MiB (read + write)";
    return p;
  }

 private:
  // Twice the last-level cache as sysconf reports it (32 MiB if it does not).
  static size_t flush_floats() {
    long bytes = sysconf(_SC_LEVEL3_CACHE_SIZE);
    if (bytes <= 0) bytes = sysconf(_SC_LEVEL2_CACHE_SIZE);
    const size_t target =
        std::clamp<size_t>(bytes > 0 ? 2 * size_t(bytes) : 0, size_t(32) << 20, size_t(512) << 20);
    return target / sizeof(float);
  }

  std::vector<float> flush_;
  float flush_value_ = 0.f;
};

}  // namespace

std::unique_ptr<Clock> make_cpu_clock() { return std::make_unique<CpuClock>(); }

}  // namespace bench
}  // namespace cudagrad
