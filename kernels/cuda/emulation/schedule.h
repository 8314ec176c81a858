// The thread schedule of the SIMT emulation (simt.h), separate so that tests
// can choose it without pulling in the emulated CUDA names.
#pragma once

namespace cudagrad {
namespace simt {

// The order in which a block's threads run between barriers, and the order
// of the blocks of a grid. Racy code gives different results under the two.
enum class Schedule { forward, reverse };
void set_schedule(Schedule schedule);
Schedule schedule();

}  // namespace simt
}  // namespace cudagrad
