// Which vector target runs. The vector backend (kernels.h) is compiled once
// per target that the build's architecture has (kernels/cpu/CMakeLists.txt):
//
//   x86-64:  avx512 (-march=x86-64-v4: AVX-512 F/BW/DQ/VL/CD, 16 floats)
//            avx2   (-march=x86-64-v3: AVX2, FMA, BMI2, 8 floats)
//            sse2   (the x86-64 baseline every such CPU has, 4 floats)
//   aarch64: neon   (the ARMv8-A baseline, 4 floats)
//   others:  generic (the compiler's default for the architecture)
//
// Each is a complete KernelTable; the first time a kernel is needed, the best
// one the running CPU supports is chosen, or the one named by the environment
// variable CUDAGRAD_CPU_TARGET (tests and benchmarks use it to time or check
// a smaller target on a larger CPU). This file itself is compiled for the
// baseline only, so it runs on every CPU of the architecture; so does the
// detection, which asks the CPU (cpuid) and the operating system (whether it
// saves the AVX and AVX-512 registers) through the compiler's
// __builtin_cpu_supports.
#include <cstdlib>
#include <cstring>
#include <string>

#include "base/error.h"
#include "kernels/cpu/cpu.h"

namespace cudagrad {
namespace cpu {

// The tables of the compiled targets (each defined in its own objects).
#ifdef CUDAGRAD_CPU_HAS_avx512
namespace avx512 { const KernelTable& table(); int self_check(); }
#endif
#ifdef CUDAGRAD_CPU_HAS_avx2
namespace avx2 { const KernelTable& table(); int self_check(); }
#endif
#ifdef CUDAGRAD_CPU_HAS_sse2
namespace sse2 { const KernelTable& table(); int self_check(); }
#endif
#ifdef CUDAGRAD_CPU_HAS_neon
namespace neon { const KernelTable& table(); int self_check(); }
#endif
#ifdef CUDAGRAD_CPU_HAS_generic
namespace generic { const KernelTable& table(); int self_check(); }
#endif

namespace {

#if defined(__x86_64__)
// What -march=x86-64-v3 lets the compiler use, as far as our code can touch
// it (LZCNT, MOVBE and F16C come with every CPU that has these).
bool cpu_has_avx2() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
         __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2");
}

// -march=x86-64-v4: x86-64-v3 plus the five AVX-512 extensions.
bool cpu_has_avx512() {
  return cpu_has_avx2() && __builtin_cpu_supports("avx512f") &&
         __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512cd");
}
#endif

// A target is listed with its table only when the CPU supports it: building
// the table runs the target's own instructions.
VectorTarget target(const char* name, const char* instructions, int floats, bool fma,
                    bool supported, const KernelTable& (*table)(), int (*self_check)()) {
  return {name, instructions, floats, fma, supported, supported ? &table() : nullptr, self_check};
}

std::vector<VectorTarget> compiled_targets() {
  std::vector<VectorTarget> all;
#ifdef CUDAGRAD_CPU_HAS_avx512
  all.push_back(target("avx512", "avx512", 16, true, cpu_has_avx512(), avx512::table, avx512::self_check));
#endif
#ifdef CUDAGRAD_CPU_HAS_avx2
  all.push_back(target("avx2", "avx2+fma", 8, true, cpu_has_avx2(), avx2::table, avx2::self_check));
#endif
#ifdef CUDAGRAD_CPU_HAS_sse2
  all.push_back(target("sse2", "sse2", 4, false, true, sse2::table, sse2::self_check));
#endif
#ifdef CUDAGRAD_CPU_HAS_neon
  all.push_back(target("neon", "neon", 4, true, true, neon::table, neon::self_check));
#endif
#ifdef CUDAGRAD_CPU_HAS_generic
  all.push_back(target("generic", "no vector unit assumed", 1, false, true, generic::table, generic::self_check));
#endif
  return all;
}

std::string names(const std::vector<VectorTarget>& targets, bool supported_only) {
  std::string out;
  for (const VectorTarget& t : targets)
    if (t.supported || !supported_only) out += (out.empty() ? "" : ", ") + std::string(t.name);
  return out;
}

const VectorTarget& choose(const std::vector<VectorTarget>& targets) {
  const char* wanted = std::getenv("CUDAGRAD_CPU_TARGET");
  if (wanted == nullptr || *wanted == '\0') {
    for (const VectorTarget& t : targets)
      if (t.supported) return t;
    CG_FAIL("no vector target of this build runs on this CPU");  // the baseline always does
  }
  for (const VectorTarget& t : targets) {
    if (std::strcmp(t.name, wanted) != 0) continue;
    CG_CHECK(t.supported, "CUDAGRAD_CPU_TARGET=" << wanted << ": this CPU cannot run it (it runs "
                                                 << names(targets, true) << ")");
    return t;
  }
  CG_FAIL("CUDAGRAD_CPU_TARGET=" << wanted << ": not a target of this build (it has "
                                 << names(targets, false) << ")");
}

}  // namespace

const std::vector<VectorTarget>& vector_targets() {
  static const std::vector<VectorTarget> all = compiled_targets();
  return all;
}

const VectorTarget& active_vector_target() {
  static const VectorTarget& chosen = choose(vector_targets());
  return chosen;
}

const KernelTable& kernel_table() { return *active_vector_target().table; }

std::string describe(const VectorTarget& t) {
  return std::string(t.instructions) + " (" + std::to_string(t.floats) +
         (t.floats == 1 ? " float)" : " floats)");
}

}  // namespace cpu
}  // namespace cudagrad
