// How cudagrad-bench measures: one Clock per kind of machine.
//   CPU: wall-clock time of each call (steady_clock); the cache is flushed
//        by writing a buffer larger than the last-level cache.
//   GPU: CUDA events recorded on the backend's stream around each call, so
//        the time is the GPU's, not the host's; L2 is flushed by a memset
//        of twice its size (bench/gpu_clock.cu).
// Both measure the machine's peak once, so each result can be given as a
// fraction of what this machine actually reaches (not a datasheet number).
#pragma once
#include <functional>
#include <memory>
#include <string>

namespace cudagrad {
namespace bench {

struct Peak {
  double gflops = 0;        // FP32 floating-point operations per second, in 1e9
  double gbytes_per_s = 0;  // memory bandwidth, in 1e9 bytes per second
  std::string how;          // what was measured, for the table's header
};

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::string device() const = 0;  // "NVIDIA H100 ...", "CPU: 2 threads ..."
  virtual void flush_cache() = 0;          // between timed calls
  virtual double time_ms(const std::function<void()>& call) = 0;  // one call, finished
  virtual Peak measure_peak() = 0;
};

std::unique_ptr<Clock> make_cpu_clock();
#ifdef CUDAGRAD_HAVE_CUDA
std::unique_ptr<Clock> make_gpu_clock();  // bench/gpu_clock.cu
#endif

}  // namespace bench
}  // namespace cudagrad
