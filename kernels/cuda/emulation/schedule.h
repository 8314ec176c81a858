// The controls of the SIMT emulation (simt.h) that tests and benchmarks use,
// separate so that they can be included without the emulated CUDA names.
#pragma once
#include <string>
#include <vector>

namespace cudagrad {
namespace simt {

// The order in which a block's threads run between barriers, and the order
// of the blocks of a grid. Racy code gives different results under the two.
enum class Schedule { forward, reverse };
void set_schedule(Schedule schedule);
Schedule schedule();

// The checks of simt.h's list that can be switched off (all on by default).
// race and init need the access hooks, which only some builds have.
struct Checks {
  bool race = true;   // racecheck: shared-memory accesses of two threads between barriers
  bool init = true;   // initcheck: reads of device memory never written
  bool sites = true;  // synccheck: barriers and warp operations met at one call site
};
void set_checks(const Checks& checks);
Checks checks();
// Whether this build compiled the kernels with the access hooks (not in the
// AddressSanitizer build), i.e. whether race and init can report anything.
bool access_checks_available();

// The most blocks a grid-stride launch may use (common.cuh's blocks_for):
// 4096 by default. A test lowers it so that every grid-stride loop on a
// test-sized input runs more than one iteration.
void set_grid_stride_cap(unsigned max_blocks);
unsigned grid_stride_cap();

// ---- the launch record: every launch, with what the caller said it computes ----
struct LaunchRecord {
  std::string kernel;       // as written at CG_LAUNCH
  unsigned grid[3];         // x, y, z
  unsigned block[3];
  size_t shared_bytes;      // dynamic
  double flops;             // 2 per multiply-add; 0 where the caller did not say
};
// While recording, each launch is appended to launches(). With run_kernels
// false the launch is checked and recorded but its blocks do not run (for
// counting the launches of full-size models, which would take hours).
void start_recording(bool run_kernels = true);
std::vector<LaunchRecord> stop_recording();
// The FLOPs of the next launch (kernels/cuda/cuda_compat.h's
// note_next_launch_flops calls this).
void note_next_launch_flops(double flops);

}  // namespace simt
}  // namespace cudagrad
