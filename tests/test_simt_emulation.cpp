// Tests of the SIMT emulation itself (kernels/cuda/emulation/simt.h): if the
// emulator were wrong, the emulated kernel tests would prove nothing.
#include <doctest/doctest.h>

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
