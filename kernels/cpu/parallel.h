// Small helpers shared by the CPU kernels: Eigen maps over raw NCHW buffers,
// per-thread scratch memory, and the OpenMP thread count.
#pragma once
#include <Eigen/Core>
#include <algorithm>
#include <cstdint>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace cudagrad {
namespace cpu {

using RowMajorMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MatrixMap = Eigen::Map<RowMajorMatrix>;
using ConstMatrixMap = Eigen::Map<const RowMajorMatrix>;

// Loops over fewer elements than this run on one thread: waking the others
// costs more than the work.
constexpr int64_t kMinParallelWork = 1 << 15;

inline int max_threads() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

// Threads in the running parallel region (1 outside one); OpenMP may give
// a region fewer threads than it asked for.
inline int team_size() {
#ifdef _OPENMP
  return omp_get_num_threads();
#else
  return 1;
#endif
}

inline int thread_id() {
#ifdef _OPENMP
  return omp_get_thread_num();
#else
  return 0;
#endif
}

// Scratch memory that lives as long as its thread and only grows, so that a
// training step, after the first, allocates nothing. Each slot is a separate
// buffer (a kernel may need two at once).
inline float* thread_scratch(size_t floats, int slot = 0) {
  static thread_local std::vector<float> buffers[3];
  std::vector<float>& b = buffers[slot];
  if (b.size() < floats) b.resize(floats);
  return b.data();
}

// A sum computed on `threads` threads without atomics. One parallel region
// runs body(mine) on every thread; body shares its loop out with
// `#pragma omp for` and adds into `mine`, the thread's own zeroed buffer of
// a_size + b_size floats (scratch slot 1, so body may use slots 0 and 2).
// The buffers are then added in thread order, the first a_size floats into
// a and the rest into b (skipped when b is null), so the result is the same
// for the same thread count. The threads share that final sum out by index
// too: for a large layer (ResNet's 2.4M weights of a 3x3 512-channel
// convolution) one thread adding it alone was a tenth of the backward pass.
template <class Body>
void sum_over_threads(int threads, float* a, int64_t a_size, float* b, int64_t b_size,
                      Body&& body) {
  std::vector<float*> partial(threads);
  const int64_t total = a_size + (b ? b_size : 0);
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    float* mine = thread_scratch(a_size + b_size, 1);
    std::fill(mine, mine + a_size + b_size, 0.f);
    partial[thread_id()] = mine;
    body(mine);
    const int team = team_size();
#pragma omp barrier
#pragma omp for schedule(static)
    for (int64_t i = 0; i < total; ++i) {
      float sum = partial[0][i];
      for (int t = 1; t < team; ++t) sum += partial[t][i];
      (i < a_size ? a[i] : b[i - a_size]) = sum;
    }
  }
}

}  // namespace cpu
}  // namespace cudagrad
