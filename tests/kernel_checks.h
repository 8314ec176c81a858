// The CUDA backend's kernel checks: every table function compared with the
// reference backend on random inputs of awkward shapes. One body, two
// targets:
//   * cuda_emulated::kernel_table(): the .cu sources compiled against the
//     SIMT emulation, on host memory (tests/test_cuda_emulated.cpp, always);
//   * cuda::kernel_table(): the nvcc build on a real GPU
//     (tests/test_cuda_device.cpp, when one is present).
// Inputs are copied into the target's memory with its copy_from_host and
// outputs read back with copy_to_host, so the same check runs on both.
#pragma once
#include <string>
#include <vector>

#include "kernels/kernel_table.h"

namespace cudagrad {
namespace kernel_checks {

// Checks that call the functions listed, grouped as the test cases are.
struct KernelCheck {
  const char* group;
  std::vector<const char*> functions;  // the table functions it compares
  void (*run)();
};
const std::vector<KernelCheck>& all_checks();
const std::vector<std::string>& groups();

// Runs every check of `group` on `target` and verifies that each check
// called every function it claims to test.
void run_group(const std::string& group, const KernelTable& target);

// Compares got with want: the worst error relative to the largest |want|
// (at least 1) must be at most rtol; rtol 0 asks for exact equality. The
// message gives the worst error as a fraction of the tolerance.
void expect_close(const std::string& what, const std::vector<float>& want,
                  const std::vector<float>& got, double rtol = 1e-4);

}  // namespace kernel_checks
}  // namespace cudagrad
