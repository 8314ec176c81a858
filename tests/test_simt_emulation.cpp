// Tests of the SIMT emulation itself (kernels/cuda/emulation/simt.h): if the
// emulator were wrong, the emulated kernel tests would prove nothing.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "kernels/cuda/cuda_compat.h"

namespace {

using cudagrad::simt::Schedule;

const Schedule kSchedules[] = {Schedule::forward, Schedule::reverse};

const char* name(Schedule s) { return s == Schedule::forward ? "forward" : "reverse"; }

// Restores the forward schedule when a test ends, pass or fail.
struct ScheduleScope {
  explicit ScheduleScope(Schedule s) { cudagrad::simt::set_schedule(s); }
  ~ScheduleScope() { cudagrad::simt::set_schedule(Schedule::forward); }
};

// Switches the race detector off for kernels whose race a test wants to see
// change the answer; restores every check when the test ends.
struct WithoutRaceCheck {
  WithoutRaceCheck() {
    cudagrad::simt::Checks checks;
    checks.race = false;
    cudagrad::simt::set_checks(checks);
  }
  ~WithoutRaceCheck() { cudagrad::simt::set_checks(cudagrad::simt::Checks{}); }
};

// ---- kernels under test ----------------------------------------------------------

constexpr int kBlock = 128;

// sums[b] = sum of x over block b, by a tree in shared memory.
__global__ void block_sum(const int* x, int* sums, bool with_barriers) {
  __shared__ int partial[kBlock];
  int t = threadIdx.x;
  partial[t] = x[blockIdx.x * blockDim.x + t];
  if (with_barriers) __syncthreads();
  for (int stride = blockDim.x / 2; stride > 0; stride /= 2) {
    if (t < stride) partial[t] += partial[t + stride];
    if (with_barriers) __syncthreads();
  }
  if (t == 0) sums[blockIdx.x] = partial[0];
}

// The sum over the block, then the sum of squares, through the same per-warp
// slots. Without the barrier before the second write, a warp that runs ahead
// overwrites slots that other warps have not read yet.
__global__ void sum_then_squares(const int* x, int* out, bool with_barrier) {
  __shared__ int slot[32];
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
  int results[2];
  for (int pass = 0; pass < 2; ++pass) {
    int v = pass == 0 ? x[threadIdx.x] : x[threadIdx.x] * x[threadIdx.x];
    for (int offset = 16; offset > 0; offset /= 2) v += __shfl_xor_sync(0xffffffffu, v, offset);
    if (with_barrier) __syncthreads();
    if (lane == 0) slot[warp] = v;
    __syncthreads();
    int total = lane < warps ? slot[lane] : 0;
    for (int offset = 16; offset > 0; offset /= 2) total += __shfl_xor_sync(0xffffffffu, total, offset);
    results[pass] = total;
  }
  out[2 * threadIdx.x] = results[0];
  out[2 * threadIdx.x + 1] = results[1];
}

// Each warp sums its lanes' values with shuffles, three ways.
__global__ void warp_sums(const int* x, int* down, int* butterfly, int* broadcast, int* scan) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  int lane = threadIdx.x % warpSize;
  int v = x[i];
  int sum = v;  // lane 0 ends with the total
  for (int offset = 16; offset > 0; offset /= 2) sum += __shfl_down_sync(0xffffffffu, sum, offset);
  int all = v;  // every lane ends with the total
  for (int mask = 16; mask > 0; mask /= 2) all += __shfl_xor_sync(0xffffffffu, all, mask);
  int prefix = v;  // inclusive scan
  for (int offset = 1; offset < 32; offset *= 2) {
    int before = __shfl_up_sync(0xffffffffu, prefix, offset);
    if (lane >= offset) prefix += before;
  }
  down[i] = lane == 0 ? sum : -1;
  butterfly[i] = all;
  broadcast[i] = __shfl_sync(0xffffffffu, sum, 0);
  scan[i] = prefix;
}

// Shuffles of a float within segments of 8 lanes: each lane reads lane 2 of its segment.
__global__ void segment_broadcast(const float* x, float* y) {
  int i = threadIdx.x;
  y[i] = __shfl_sync(0xffffffffu, x[i], 2, 8);
}

__global__ void votes(const int* x, unsigned* ballot, int* any, int* all) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  unsigned b = __ballot_sync(0xffffffffu, x[i] > 0);
  int a = __any_sync(0xffffffffu, x[i] > 0);
  int l = __all_sync(0xffffffffu, x[i] > 0);
  if (threadIdx.x % warpSize == 0) {
    ballot[i / warpSize] = b;
    any[i / warpSize] = a;
    all[i / warpSize] = l;
  }
}

__global__ void histogram(int n, const int* x, int* bins, int* largest) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
    atomicAdd(&bins[x[i]], 1);
    atomicMax(largest, x[i]);
  }
}

__global__ void atomic_float_sum(int n, const float* x, float* total) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) atomicAdd(total, x[i]);
}

// Reverses each block's slice through dynamic shared memory. Also reports
// whether the memory was NaN before the block wrote it.
__global__ void reverse_in_blocks(const float* x, float* y, int* saw_poison) {
  CG_DYNAMIC_SHARED(float, buffer);
  int t = threadIdx.x, base = blockIdx.x * blockDim.x;
  if (std::isnan(buffer[t])) atomicAdd(saw_poison, 1);
  __syncthreads();
  buffer[t] = x[base + t];
  __syncthreads();
  y[base + t] = buffer[blockDim.x - 1 - t];
}

// Writes each thread's global linear id where a 3-D grid of 3-D blocks puts it.
__global__ void coordinates(int* out) {
  unsigned block = blockIdx.x + gridDim.x * (blockIdx.y + gridDim.y * blockIdx.z);
  unsigned thread = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
  unsigned per_block = blockDim.x * blockDim.y * blockDim.z;
  out[block * per_block + thread] = static_cast<int>(block * per_block + thread);
}

// Half the block waits at a barrier, the other half at a shuffle with the first half.
__global__ void deadlock(int* out) {
  if (threadIdx.x < 16) {
    __syncthreads();
  } else {
    out[threadIdx.x] = __shfl_sync(0xffffffffu, 1, 0);
  }
}

__global__ void shuffle_past_the_block(int* out) {
  out[threadIdx.x] = __shfl_down_sync(0xffffffffu, 1, 1);
}

// Lanes 0-15 shuffle with a mask naming only lanes 16-31.
__global__ void mask_without_own_lane(int* out) {
  out[threadIdx.x] = __shfl_sync(0xffff0000u, 1, 16);
}

// ---- planted bugs for the emulator's checks ---------------------------------------

// Only block 0 sets the shared cell; the others read what it left behind.
__global__ void reads_another_blocks_shared(int* poisoned) {
  __shared__ float cell;
  if (blockIdx.x == 0 && threadIdx.x == 0) cell = 1.0f;
  __syncthreads();
  if (threadIdx.x == 0) poisoned[blockIdx.x] = std::isnan(cell) ? 1 : 0;
}

// The same in a function template, whose static locals GCC places outside the
// emulator's section (so only the access hooks' first-touch poison covers them).
template <int kCells>
__global__ void reads_another_blocks_shared_template(int* poisoned) {
  __shared__ float cells[kCells];
  if (blockIdx.x == 0 && threadIdx.x == 0) cells[kCells - 1] = 1.0f;
  __syncthreads();
  if (threadIdx.x == 0) poisoned[blockIdx.x] = std::isnan(cells[kCells - 1]) ? 1 : 0;
}

// Every thread writes its own slot, then (without a barrier) reads its neighbour's.
__global__ void neighbour_without_barrier(float* out) {
  CG_DYNAMIC_SHARED(float, slots);
  slots[threadIdx.x] = static_cast<float>(threadIdx.x);
  out[threadIdx.x] = slots[(threadIdx.x + 1) % blockDim.x];
}

// Two threads of different warps write the same word.
__global__ void two_writers(int* out) {
  __shared__ int word;
  if (threadIdx.x == 3 || threadIdx.x == 40) word = static_cast<int>(threadIdx.x);
  __syncthreads();
  out[threadIdx.x] = word;
}

// Lane 0 of each warp writes, the other lanes of the warp read: ordered by a
// __syncwarp when `sync` is set, a race otherwise.
__global__ void warp_broadcast_through_shared(int* out, bool sync) {
  __shared__ int per_warp[4];
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  if (lane == 0) per_warp[warp] = warp + 10;
  if (sync) __syncwarp();
  out[threadIdx.x] = per_warp[warp];
}

// The two halves of the block wait at different barriers.
__global__ void divergent_barriers(int* out) {
  if (threadIdx.x < 32) {
    __syncthreads();
    out[threadIdx.x] = 1;
  } else {
    __syncthreads();
    out[threadIdx.x] = 2;
  }
}

// The two halves of a warp meet in different shuffle instructions (same mask).
__global__ void divergent_shuffles(int* out) {
  const int lane = threadIdx.x % 32;
  int v = lane;
  if (lane < 16) {
    v += __shfl_xor_sync(0xffffffffu, v, 1);
  } else {
    v -= __shfl_xor_sync(0xffffffffu, v, 1);
  }
  out[threadIdx.x] = v;
}

// y[i] = x[i] + 1: over cudaMalloc memory in the initcheck test.
__global__ void add_one(int n, const float* x, float* y) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
    y[i] = x[i] + 1.0f;
  }
}

}  // namespace

TEST_CASE("simt: a block reduction with barriers is right under both schedules") {
  const int blocks = 3;
  std::vector<int> x(blocks * kBlock), sums(blocks, 0);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<int>(i % 7) - 2;
  std::vector<int> expected(blocks, 0);
  for (size_t i = 0; i < x.size(); ++i) expected[i / kBlock] += x[i];
  for (Schedule s : kSchedules) {
    ScheduleScope scope(s);
    CAPTURE(name(s));
    std::fill(sums.begin(), sums.end(), 0);
    CG_LAUNCH(block_sum, blocks, kBlock, 0, x.data(), sums.data(), true);
    CHECK(sums == expected);
  }
}

TEST_CASE("simt: a missing barrier changes the answer between schedules") {
  WithoutRaceCheck no_race_check;  // the detector's own test is below
  std::vector<int> x(kBlock), forward(1), reverse(1);
  for (int i = 0; i < kBlock; ++i) x[i] = i + 1;
  {
    ScheduleScope scope(Schedule::forward);
    CG_LAUNCH(block_sum, 1, kBlock, 0, x.data(), forward.data(), false);
  }
  {
    ScheduleScope scope(Schedule::reverse);
    CG_LAUNCH(block_sum, 1, kBlock, 0, x.data(), reverse.data(), false);
  }
  const int right = kBlock * (kBlock + 1) / 2;
  CHECK(forward[0] != reverse[0]);
  CHECK((forward[0] != right || reverse[0] != right));
}

TEST_CASE("simt: a race between warps is caught: a warp runs ahead through its shuffles") {
  const int threads = 128;
  std::vector<int> x(threads), out(2 * threads);
  int sum = 0, squares = 0;
  for (int i = 0; i < threads; ++i) {
    x[i] = i % 5 - 2;
    sum += x[i];
    squares += x[i] * x[i];
  }
  for (Schedule s : kSchedules) {
    ScheduleScope scope(s);
    CAPTURE(name(s));
    CG_LAUNCH(sum_then_squares, 1, threads, 0, x.data(), out.data(), true);
    for (int t = 0; t < threads; ++t) {
      CHECK(out[2 * t] == sum);
      CHECK(out[2 * t + 1] == squares);
    }
    WithoutRaceCheck no_race_check;
    CG_LAUNCH(sum_then_squares, 1, threads, 0, x.data(), out.data(), false);
    int wrong = 0;
    for (int t = 0; t < threads; ++t) wrong += out[2 * t] != sum || out[2 * t + 1] != squares;
    CHECK(wrong > 0);
  }
}

TEST_CASE("simt: warp shuffles") {
  const int n = 64;  // two warps
  std::vector<int> x(n), down(n), butterfly(n), broadcast(n), scan(n);
  for (int i = 0; i < n; ++i) x[i] = (i * 37) % 11 - 5;
  for (Schedule s : kSchedules) {
    ScheduleScope scope(s);
    CAPTURE(name(s));
    CG_LAUNCH(warp_sums, 1, n, 0, x.data(), down.data(), butterfly.data(), broadcast.data(),
              scan.data());
    for (int w = 0; w < n / 32; ++w) {
      int total = 0;
      for (int lane = 0; lane < 32; ++lane) {
        int i = w * 32 + lane;
        total += x[i];
        CHECK(scan[i] == total);
      }
      CHECK(down[w * 32] == total);
      for (int lane = 0; lane < 32; ++lane) {
        CHECK(butterfly[w * 32 + lane] == total);
        CHECK(broadcast[w * 32 + lane] == total);
      }
    }
  }
  std::vector<float> fx(32), fy(32);
  for (int i = 0; i < 32; ++i) fx[i] = 0.5f * static_cast<float>(i);
  CG_LAUNCH(segment_broadcast, 1, 32, 0, fx.data(), fy.data());
  for (int i = 0; i < 32; ++i) CHECK(fy[i] == fx[i / 8 * 8 + 2]);
}

TEST_CASE("simt: warp votes") {
  std::vector<int> x(96, 1);
  x[3] = 0;            // warp 0: one lane false
  for (int i = 32; i < 64; ++i) x[i] = 0;  // warp 1: all false
  std::vector<unsigned> ballot(3);
  std::vector<int> any(3), all(3);
  CG_LAUNCH(votes, 1, 96, 0, x.data(), ballot.data(), any.data(), all.data());
  CHECK(ballot[0] == ~(1u << 3));
  CHECK(ballot[1] == 0u);
  CHECK(ballot[2] == 0xffffffffu);
  CHECK(any == std::vector<int>{1, 0, 1});
  CHECK(all == std::vector<int>{0, 0, 1});
}

TEST_CASE("simt: atomics across threads and blocks") {
  const int n = 1000, bins = 10;
  std::vector<int> x(n), counts(bins, 0), largest(1, -1), expected(bins, 0);
  for (int i = 0; i < n; ++i) x[i] = (i * i) % bins;
  for (int v : x) ++expected[v];
  for (Schedule s : kSchedules) {
    ScheduleScope scope(s);
    std::fill(counts.begin(), counts.end(), 0);
    largest[0] = -1;
    CG_LAUNCH(histogram, 3, 64, 0, n, x.data(), counts.data(), largest.data());
    CHECK(counts == expected);
    CHECK(largest[0] == bins - 1);
  }
  std::vector<float> values(100, 0.25f), total(1, 0.0f);
  CG_LAUNCH(atomic_float_sum, 2, 64, 0, 100, values.data(), total.data());
  CHECK(total[0] == 25.0f);
}

TEST_CASE("simt: dynamic shared memory is per block and poisoned with NaN") {
  const int threads = 48, blocks = 3;
  std::vector<float> x(threads * blocks), y(threads * blocks);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i);
  std::vector<int> saw_poison(1, 0);
  CG_LAUNCH(reverse_in_blocks, blocks, threads, threads * sizeof(float), x.data(), y.data(),
            saw_poison.data());
  for (int b = 0; b < blocks; ++b) {
    for (int t = 0; t < threads; ++t) CHECK(y[b * threads + t] == x[b * threads + threads - 1 - t]);
  }
  CHECK(saw_poison[0] == threads * blocks);
}

TEST_CASE("simt: 3-D grids and blocks number every thread once") {
  const dim3 grid(2, 3, 2), block(4, 3, 5);
  const int total = 2 * 3 * 2 * 4 * 3 * 5;
  for (Schedule s : kSchedules) {
    ScheduleScope scope(s);
    std::vector<int> out(total, -1);
    CG_LAUNCH(coordinates, grid, block, 0, out.data());
    for (int i = 0; i < total; ++i) CHECK(out[i] == i);
  }
}

TEST_CASE("simt: launch errors are reported through CUDA_CHECK's exception") {
  std::vector<int> out(64, 0);
  CHECK_THROWS_WITH_AS(CG_LAUNCH(coordinates, 1, 2048, 0, out.data()),
                       doctest::Contains("invalid launch configuration"), cudagrad::Error);
  CHECK_THROWS_WITH_AS(CG_LAUNCH(coordinates, 1, 32, 64 * 1024, out.data()),
                       doctest::Contains("dynamic shared memory"), cudagrad::Error);
  CHECK_THROWS_WITH_AS(CG_LAUNCH(deadlock, 1, 32, 0, out.data()), doctest::Contains("deadlock"),
                       cudagrad::Error);
  CHECK_THROWS_WITH_AS(CG_LAUNCH(shuffle_past_the_block, 1, 20, 0, out.data()),
                       doctest::Contains("does not exist"), cudagrad::Error);
  CHECK_THROWS_WITH_AS(CG_LAUNCH(mask_without_own_lane, 1, 32, 0, out.data()),
                       doctest::Contains("leaves out its own lane"), cudagrad::Error);
  // After a failure the emulator runs the next launch normally.
  std::vector<int> x(kBlock, 1), sums(1, 0);
  CG_LAUNCH(block_sum, 1, kBlock, 0, x.data(), sums.data(), true);
  CHECK(sums[0] == kBlock);
  CHECK(cudaGetLastError() == cudaSuccess);
}

// ---- the stricter checks: each with a planted bug it must catch ------------------------

TEST_CASE("simt: static shared memory is poisoned at every block start") {
  // Without poisoning, blocks 1 and 2 would read the 1.0 that block 0 left.
  for (Schedule s : kSchedules) {
    ScheduleScope scope(s);
    CAPTURE(name(s));
    std::vector<int> poisoned(3, -1);
    CG_LAUNCH(reads_another_blocks_shared, 3, 32, 0, poisoned.data());
    CHECK(poisoned == std::vector<int>{0, 1, 1});  // block 0 set it; the others see NaN
  }
}

// The checks that need the access hooks say so, rather than pass, in builds
// without them (the AddressSanitizer build).
#define REQUIRE_ACCESS_HOOKS()                                                              \
  if (!cudagrad::simt::access_checks_available()) {                                         \
    MESSAGE("this build has no access hooks (AddressSanitizer cannot be combined with "     \
            "ThreadSanitizer's instrumentation): race and initcheck not tested here");      \
    return;                                                                                 \
  }

TEST_CASE("simt: static shared memory of a kernel template is poisoned too") {
  REQUIRE_ACCESS_HOOKS();
  auto kernel = reads_another_blocks_shared_template<3>;
  for (Schedule s : kSchedules) {
    ScheduleScope scope(s);
    CAPTURE(name(s));
    std::vector<int> poisoned(3, -1);
    CG_LAUNCH(kernel, 3, 32, 0, poisoned.data());
    CHECK(poisoned == std::vector<int>{0, 1, 1});
  }
}

TEST_CASE("simt racecheck: shared-memory races name the kernel, the address and both threads") {
  REQUIRE_ACCESS_HOOKS();
  std::vector<int> x(kBlock, 1), sums(1, 0), out(128, 0);
  // A tree reduction without barriers: thread 0 reads partial[64], written by thread 64.
  for (Schedule s : kSchedules) {
    ScheduleScope scope(s);
    CAPTURE(name(s));
    CHECK_THROWS_WITH_AS(CG_LAUNCH(block_sum, 1, kBlock, 0, x.data(), sums.data(), false),
                         doctest::Contains("shared-memory race in kernel block_sum: thread ("),
                         cudagrad::Error);
    CHECK_THROWS_WITH_AS(CG_LAUNCH(block_sum, 1, kBlock, 0, x.data(), sums.data(), false),
                         doctest::Contains("with no __syncthreads between"), cudagrad::Error);
    // Write-write, in static shared memory: threads 3 and 40, whichever runs second.
    CHECK_THROWS_WITH_AS(CG_LAUNCH(two_writers, 1, 64, 0, out.data()),
                         doctest::Contains("wrote static shared memory (address 0x"),
                         cudagrad::Error);
    // In dynamic shared memory, read after another thread's write.
    std::vector<float> y(64);
    CHECK_THROWS_WITH_AS(
        CG_LAUNCH(neighbour_without_barrier, 1, 64, 64 * sizeof(float), y.data()),
        doctest::Contains("dynamic shared memory at byte"), cudagrad::Error);
    // Inside one warp: without the __syncwarp a race, with it none.
    CHECK_THROWS_WITH_AS(CG_LAUNCH(warp_broadcast_through_shared, 1, 128, 0, out.data(), false),
                         doctest::Contains("race in kernel warp_broadcast_through_shared"),
                         cudagrad::Error);
    std::vector<int> broadcast(128, 0);
    CG_LAUNCH(warp_broadcast_through_shared, 1, 128, 0, broadcast.data(), true);
    for (int t = 0; t < 128; ++t) CHECK(broadcast[t] == t / 32 + 10);
  }
  // The same kernels, correctly synchronized, pass.
  CG_LAUNCH(block_sum, 1, kBlock, 0, x.data(), sums.data(), true);
  CHECK(sums[0] == kBlock);
  std::vector<int> squares(2 * 128);
  CG_LAUNCH(sum_then_squares, 1, 128, 0, x.data(), squares.data(), true);
  CHECK(squares[1] == 128);
  // The exact message, once: both threads and the bytes they met at.
  std::string message;
  try {
    CG_LAUNCH(two_writers, 1, 64, 0, out.data());
  } catch (const cudagrad::Error& e) {
    message = e.what();
  }
  CHECK(message.find("kernel two_writers failed in block (0, 0, 0): shared-memory race in kernel "
                     "two_writers: thread (3, 0, 0) wrote static shared memory (address 0x") !=
        std::string::npos);
  CHECK(message.find("then thread (40, 0, 0) wrote it") != std::string::npos);
}

TEST_CASE("simt synccheck: threads at different barriers, lanes at different shuffles") {
  std::vector<int> out(64, 0);
  CHECK_THROWS_WITH_AS(CG_LAUNCH(divergent_barriers, 1, 64, 0, out.data()),
                       doctest::Contains("barrier divergence: thread (0, 0, 0) waits at "
                                         "test_simt_emulation.cpp:"),
                       cudagrad::Error);
  // The shuffles' masks agree (all 32 lanes), so only the call site tells them apart.
  CHECK_THROWS_WITH_AS(CG_LAUNCH(divergent_shuffles, 1, 32, 0, out.data()),
                       doctest::Contains("divergent warp operations: lane "), cudagrad::Error);
  // Switched off, the old behaviour: the lanes pair up by mask alone.
  cudagrad::simt::Checks checks;
  checks.sites = false;
  cudagrad::simt::set_checks(checks);
  CG_LAUNCH(divergent_shuffles, 1, 32, 0, out.data());
  cudagrad::simt::set_checks(cudagrad::simt::Checks{});
  CHECK(out[0] == 0 + 1);   // lane 0 added lane 1's value
  CHECK(out[16] == 16 - 17);  // lane 16 subtracted lane 17's
}

TEST_CASE("simt initcheck: cudaMalloc memory is poisoned, and reading unwritten bytes fails") {
  const int n = 100;
  float *x = nullptr, *y = nullptr;
  REQUIRE(cudaMalloc(&x, n * sizeof(float)) == cudaSuccess);
  REQUIRE(cudaMalloc(&y, n * sizeof(float)) == cudaSuccess);
  std::vector<float> host(n, 2.0f), back(n);
  // Fresh memory reads as NaN.
  REQUIRE(cudaMemcpy(back.data(), x, n * sizeof(float), cudaMemcpyDeviceToHost) == cudaSuccess);
  CHECK(std::all_of(back.begin(), back.end(), [](float v) { return std::isnan(v); }));
  if (cudagrad::simt::access_checks_available()) {
    // Half of x written (bytes 0-199): thread 0 runs first and, at its second
    // iteration, reads x[64], byte 256.
    REQUIRE(cudaMemcpy(x, host.data(), n / 2 * sizeof(float), cudaMemcpyHostToDevice) ==
            cudaSuccess);
    CHECK_THROWS_WITH_AS(CG_LAUNCH(add_one, 1, 64, 0, n, x, y),
                         doctest::Contains("thread (0, 0, 0) reads byte 256 of a 400-byte cudaMalloc allocation "
                                           "that no copy, memset or kernel has written"),
                         cudagrad::Error);
    // All of x written: y is written by the kernel, then read by the next launch.
    REQUIRE(cudaMemcpy(x, host.data(), n * sizeof(float), cudaMemcpyHostToDevice) == cudaSuccess);
    CG_LAUNCH(add_one, 2, 32, 0, n, x, y);
    CG_LAUNCH(add_one, 2, 32, 0, n, y, x);
    REQUIRE(cudaMemcpy(back.data(), x, n * sizeof(float), cudaMemcpyDeviceToHost) == cudaSuccess);
    CHECK(back == std::vector<float>(n, 4.0f));
  } else {
    MESSAGE("no access hooks in this build: the initcheck itself is not tested here");
  }
  cudaFree(x);
  cudaFree(y);
}

TEST_CASE("simt: the launch record, a run without kernels, and the grid-stride cap") {
  const int n = 1000;
  std::vector<float> x(n, 1.0f), y(n, 0.0f);
  cudagrad::simt::start_recording(/*run_kernels=*/false);
  cudagrad::simt::note_next_launch_flops(123.0);
  CG_LAUNCH(add_one, dim3(3, 2), 64, 16, n, x.data(), y.data());
  CG_LAUNCH(add_one, 5, 32, 0, n, x.data(), y.data());
  std::vector<cudagrad::simt::LaunchRecord> launches = cudagrad::simt::stop_recording();
  CHECK(y == std::vector<float>(n, 0.0f));  // recorded, not run
  REQUIRE(launches.size() == 2);
  CHECK(launches[0].kernel == "add_one");
  CHECK(launches[0].grid[0] == 3);
  CHECK(launches[0].grid[1] == 2);
  CHECK(launches[0].block[0] == 64);
  CHECK(launches[0].shared_bytes == 16);
  CHECK(launches[0].flops == 123.0);
  CHECK(launches[1].grid[0] == 5);
  CHECK(launches[1].flops == 0.0);  // each note is for one launch only

  // The cap that blocks_for applies (kernels/cuda/common.cuh).
  CHECK(cudagrad::simt::grid_stride_cap() == 4096);
  cudagrad::simt::set_grid_stride_cap(2);
  CHECK(cudagrad::cuda_emulated::grid_stride_block_cap() == 2);
  cudagrad::simt::set_grid_stride_cap(4096);
}
