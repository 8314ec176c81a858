// Small helpers shared by the CPU kernels: Eigen maps over raw NCHW buffers,
// per-thread scratch memory, and the OpenMP thread count.
#pragma once
#include <Eigen/Core>
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

}  // namespace cpu
}  // namespace cudagrad
