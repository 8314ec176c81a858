// The fast CPU backend: the same functions as kernels/reference, written for
// speed (im2col + Eigen GEMM for convolution, vectorizable loops, OpenMP
// across the batch and channels, a caching allocator so a training step
// allocates no new memory after the first). Tests compare every function with
// the reference on random shapes. Ops whose cost is negligible in a CNN
// (log-softmax and the loss on (N, classes)) use the reference functions.
//
// The kernels are compiled once per vector target (AVX-512, AVX2, SSE2 on
// x86-64; NEON on ARM64; kernels.h, targets.cpp) and the best target the
// running CPU supports is chosen at run time, so one binary runs everywhere
// its architecture does.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "kernels/kernel_table.h"

namespace cudagrad {
namespace cpu {

// The table of the best vector target this CPU can run (or the one named by
// the environment variable CUDAGRAD_CPU_TARGET), chosen on first use.
const KernelTable& kernel_table();

// One vector target compiled into this binary (targets.cpp).
struct VectorTarget {
  const char* name;         // "avx512", "avx2", "sse2", "neon": what CUDAGRAD_CPU_TARGET takes
  const char* instructions; // "avx512", "avx2+fma", "sse2", "neon"
  int floats;               // floats in one hardware vector register
  bool fma;                 // has fused multiply-add: 2 FLOPs per lane per instruction
  bool supported;           // the running CPU (and its OS) can execute it
  const KernelTable* table;
  int (*self_check)();      // its vector helpers checked lane by lane: wrong lanes (tests)
};

// Every target this binary carries, best first, whether this CPU runs it or
// not.
const std::vector<VectorTarget>& vector_targets();

// The target kernel_table() uses.
const VectorTarget& active_vector_target();

// "avx512 (16 floats)": what --version and the benchmarks print.
std::string describe(const VectorTarget& target);


// The caching allocator's counters, in bytes.
struct AllocatorStats {
  size_t allocated = 0;  // held by live tensors now
  size_t reserved = 0;   // allocated plus cached free blocks
  size_t peak = 0;       // the most ever allocated at once
};
AllocatorStats allocator_stats();
void release_cached_memory();  // returns cached free blocks to the system

void* allocate(size_t bytes);
void deallocate(void* ptr);

}  // namespace cpu
}  // namespace cudagrad
