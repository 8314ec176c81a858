// The GPU's Clock (bench/clock.h).
//
// Timing: a CUDA event is recorded on the backend's stream before and after
// the call, and the host waits for the second; the elapsed time between the
// events is the GPU's time for the work the call queued (launch overheads
// between its kernels included, host work not).
//
// Flush: a memset of twice the L2 size between repeats, so that a kernel is
// not timed reading inputs that its previous repeat left in L2 (which would
// flatter small layers).
//
// Peak, measured here rather than taken from a datasheet:
//   FLOP/s: peak_fma_kernel, every thread running long chains of independent
//           FMAs on registers (2 FLOPs each); enough blocks for every SM.
//   bytes/s: a device-to-device cudaMemcpyAsync of 512 MiB (read + write).
#include <cuda_runtime.h>

#include <algorithm>
#include <string>

#include "bench/clock.h"
#include "kernels/cuda/cuda_compat.h"

namespace cudagrad {
namespace bench {

namespace {

constexpr int kChains = 8;         // independent FMA chains per thread: hide FMA latency
constexpr int kIterations = 4096;  // per chain

// a = a * b + c, kChains times per iteration. The result is stored only when
// it equals an impossible value, so the compiler cannot drop the work and
// the memory system is not measured.
__global__ void peak_fma_kernel(float b, float c, float* sink) {
  float a[kChains];
#pragma unroll
  for (int j = 0; j < kChains; ++j) a[j] = threadIdx.x + j;
  for (int i = 0; i < kIterations; ++i) {
#pragma unroll
    for (int j = 0; j < kChains; ++j) a[j] = fmaf(a[j], b, c);
  }
  float sum = 0.f;
#pragma unroll
  for (int j = 0; j < kChains; ++j) sum += a[j];
  if (sum == -1.2345f) *sink = sum;
}

class GpuClock : public Clock {
 public:
  GpuClock() {
    CUDA_CHECK(cudaGetDevice(&device_));
    CUDA_CHECK(cudaGetDeviceProperties(&prop_, device_));
    flush_bytes_ = std::max<size_t>(2 * size_t(prop_.l2CacheSize), size_t(8) << 20);
    CUDA_CHECK(cudaMalloc(&flush_, flush_bytes_));
    CUDA_CHECK(cudaEventCreate(&start_));
    CUDA_CHECK(cudaEventCreate(&stop_));
  }
  ~GpuClock() override {
    cudaEventDestroy(start_);
    cudaEventDestroy(stop_);
    cudaFree(flush_);
  }

  std::string device() const override {
    return std::string("GPU ") + std::to_string(device_) + ": " + prop_.name + ", sm_" +
           std::to_string(prop_.major) + std::to_string(prop_.minor) + ", " +
           std::to_string(prop_.multiProcessorCount) + " SMs, L2 " +
           std::to_string(prop_.l2CacheSize >> 20) + " MiB";
  }

  void flush_cache() override {
    CUDA_CHECK(cudaMemsetAsync(flush_, 0, flush_bytes_, cuda::stream()));
  }

  double time_ms(const std::function<void()>& call) override {
    CUDA_CHECK(cudaEventRecord(start_, cuda::stream()));
    call();
    CUDA_CHECK(cudaEventRecord(stop_, cuda::stream()));
    CUDA_CHECK(cudaEventSynchronize(stop_));
    float ms = 0.f;
    CUDA_CHECK(cudaEventElapsedTime(&ms, start_, stop_));
    return ms;
  }

  Peak measure_peak() override {
    Peak p;
    float* sink = nullptr;
    CUDA_CHECK(cudaMalloc(&sink, sizeof(float)));
    const int threads = 256, blocks = prop_.multiProcessorCount * 32;  // about 1 ms
    double best = 1e30;
    for (int i = 0; i < 4; ++i) {  // the first is a warm-up
      const double ms =
          time_ms([&] { CG_LAUNCH(peak_fma_kernel, blocks, threads, 0, 1.0001f, 0.5f, sink); });
      if (i > 0) best = std::min(best, ms);
    }
    p.gflops = 2.0 * kChains * kIterations * double(threads) * blocks / (best * 1e-3) / 1e9;
    CUDA_CHECK(cudaFree(sink));

    const size_t bytes = size_t(512) << 20;
    void *src = nullptr, *dst = nullptr;
    CUDA_CHECK(cudaMalloc(&src, bytes));
    CUDA_CHECK(cudaMalloc(&dst, bytes));
    CUDA_CHECK(cudaMemsetAsync(src, 1, bytes, cuda::stream()));
    best = 1e30;
    for (int i = 0; i < 4; ++i) {
      const double ms = time_ms([&] {
        CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, cuda::stream()));
      });
      if (i > 0) best = std::min(best, ms);
    }
    p.gbytes_per_s = 2.0 * bytes / (best * 1e-3) / 1e9;
    CUDA_CHECK(cudaFree(src));
    CUDA_CHECK(cudaFree(dst));
    p.how = "FMA chains on every SM; device-to-device copy of 512 MiB (read + write)";
    return p;
  }

 private:
  int device_ = 0;
  cudaDeviceProp prop_{};
  void* flush_ = nullptr;
  size_t flush_bytes_ = 0;
  cudaEvent_t start_ = nullptr, stop_ = nullptr;
};

}  // namespace

std::unique_ptr<Clock> make_gpu_clock() { return std::make_unique<GpuClock>(); }

}  // namespace bench
}  // namespace cudagrad
