// The reference backend: plain loops that are obviously correct, with double
// accumulation wherever a sum is long. Every other backend is tested against
// it. It runs on host memory.
#pragma once
#include "kernels/kernel_table.h"

namespace cudagrad {
namespace reference {
const KernelTable& kernel_table();
}  // namespace reference
}  // namespace cudagrad
