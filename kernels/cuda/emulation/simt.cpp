// The block scheduler of the SIMT emulation (the scheme is described in simt.h).
#include "kernels/cuda/emulation/simt.h"

#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define CG_SIMT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CG_SIMT_ASAN 1
#endif
#endif
#if defined(CG_SIMT_ASAN)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

namespace cudagrad {
namespace simt {
namespace {

constexpr size_t kStackBytes = 256 * 1024;  // per fiber; room for a sanitizer's report
constexpr unsigned kMaxThreadsPerBlock = 1024;
constexpr size_t kMaxDynamicSharedBytes = 48 * 1024;  // without opting in to more
constexpr int kWarpSize = 32;

enum class State { runnable, at_block_barrier, at_warp_exchange, done };

struct Fiber {
  ucontext_t context;
  char* stack = nullptr;  // kStackBytes, above a guard page
  uint3 index{0, 0, 0};
  State state = State::done;
  // The warp exchange this fiber posted (see warp_exchange).
  uint32_t mask = 0;
  uint64_t value = 0, result = 0;
  int source_lane = 0;
  uint32_t ballot = 0;
  void* asan_fake_stack = nullptr;
};

// One block in flight. Fibers and their stacks are kept between launches.
struct Block {
  std::vector<Fiber> fibers;
  int count = 0;         // threads in this block
  int current = -1;      // the running fiber, -1 in the scheduler
  ucontext_t scheduler;  // where fibers switch back to
  const void* scheduler_stack = nullptr;
  size_t scheduler_stack_bytes = 0;
  void (*body)(void*) = nullptr;
  void* args = nullptr;
  std::vector<float4> shared;  // dynamic shared memory, 16-byte aligned
  std::string error;           // set when the block cannot go on

  ~Block() {
    for (Fiber& f : fibers) munmap(f.stack - page_bytes(), kStackBytes + page_bytes());
  }
  static size_t page_bytes() { return static_cast<size_t>(sysconf(_SC_PAGESIZE)); }
};

Block& the_block() {
  static Block block;
  return block;
}
Schedule g_schedule = Schedule::forward;
cudaError_t g_last_error = cudaSuccess;
cudaError_t g_described_error = cudaSuccess;  // the error g_error_message describes
std::string g_error_message;

void set_error(cudaError_t error, const std::string& message) {
  g_last_error = error;
  g_described_error = error;
  g_error_message = message;
}

// ---- switching stacks, with AddressSanitizer told about each switch ----------------
void asan_start_switch(void** fake_stack, const void* stack, size_t bytes) {
#if defined(CG_SIMT_ASAN)
  __sanitizer_start_switch_fiber(fake_stack, stack, bytes);
#else
  (void)fake_stack, (void)stack, (void)bytes;
#endif
}
void asan_finish_switch(void* fake_stack, const void** old_stack, size_t* old_bytes) {
#if defined(CG_SIMT_ASAN)
  __sanitizer_finish_switch_fiber(fake_stack, old_stack, old_bytes);
#else
  (void)fake_stack, (void)old_stack, (void)old_bytes;
#endif
}

// Saves where we are in `from` and continues at `to`: swapcontext, spelled as
// getcontext + setcontext because AddressSanitizer intercepts swapcontext
// (and warns that it cannot follow it), while the explicit fiber calls below
// tell it everything it needs. When someone later continues at `from`,
// getcontext returns a second time, now with `resumed` set.
[[gnu::noinline]] void switch_context(ucontext_t* from, const ucontext_t* to) {
  volatile bool resumed = false;
  getcontext(from);
  if (!resumed) {
    resumed = true;
    setcontext(to);
  }
}

// Fiber -> scheduler. An exiting fiber is never resumed, so ASan may drop its
// fake stack (a null save slot says so).
void switch_to_scheduler(Block& b, bool exiting) {
  Fiber& f = b.fibers[b.current];
  asan_start_switch(exiting ? nullptr : &f.asan_fake_stack, b.scheduler_stack,
                    b.scheduler_stack_bytes);
  switch_context(&f.context, &b.scheduler);
  asan_finish_switch(f.asan_fake_stack, nullptr, nullptr);
}

// Scheduler -> fiber t, until it waits or finishes.
void resume(Block& b, int t) {
  Fiber& f = b.fibers[t];
  b.current = t;
  threadIdx = f.index;
  void* fake_stack = nullptr;
  asan_start_switch(&fake_stack, f.stack, kStackBytes);
  switch_context(&b.scheduler, &f.context);
  asan_finish_switch(fake_stack, nullptr, nullptr);
  b.current = -1;
}

// A fiber stops here after writing the error it found into b.error. (The
// message is built before the call: a string still alive in this frame would
// never be freed, since the fiber is never resumed.)
[[noreturn]] void stop_fiber_on_error(Block& b) {
  b.fibers[b.current].state = State::done;
  switch_to_scheduler(b, /*exiting=*/true);
  std::abort();  // never resumed
}

void fiber_main() {
  Block& b = the_block();
  asan_finish_switch(nullptr, &b.scheduler_stack, &b.scheduler_stack_bytes);
  b.body(b.args);
  b.fibers[b.current].state = State::done;
  switch_to_scheduler(b, /*exiting=*/true);
}

// ---- one block -----------------------------------------------------------------------
// Completes every warp exchange of warp w whose lanes have all arrived;
// returns whether any did. Sets b.error when lanes misuse one.
bool release_warp_exchanges(Block& b, int w) {
  bool released = false;
  const int warp_base = w * kWarpSize;
  const int warp_end = std::min(warp_base + kWarpSize, b.count);
  for (int t = warp_base; t < warp_end; ++t) {
    Fiber& f = b.fibers[t];
    if (f.state != State::at_warp_exchange) continue;
    bool ready = true;
    uint32_t ballot = 0;
    for (int lane = 0; lane < kWarpSize && ready; ++lane) {
      if (!(f.mask >> lane & 1u)) continue;
      const int other = warp_base + lane;
      if (other >= b.count || b.fibers[other].state == State::done) {
        b.error = "thread " + std::to_string(t) + " waits in a warp operation whose mask names lane " +
                  std::to_string(lane) + ", which " +
                  (other >= b.count ? "does not exist" : "has exited");
        return false;
      }
      const Fiber& o = b.fibers[other];
      ready = o.state == State::at_warp_exchange;
      if (ready && o.mask != f.mask) {
        b.error = "lanes of warp " + std::to_string(w) + " meet in a warp operation with different masks";
        return false;
      }
      if (ready && o.value != 0) ballot |= 1u << lane;
    }
    if (!ready) continue;
    for (int lane = 0; lane < kWarpSize; ++lane) {
      if (!(f.mask >> lane & 1u)) continue;
      Fiber& o = b.fibers[warp_base + lane];
      if (!(f.mask >> o.source_lane & 1u)) {
        b.error = "a shuffle reads lane " + std::to_string(o.source_lane) + ", which is not in its mask";
        return false;
      }
      o.result = b.fibers[warp_base + o.source_lane].value;
      o.ballot = ballot;
      o.state = State::runnable;
    }
    released = true;
  }
  return released;
}

// Points the fiber's context at fiber_main on its own stack. Kept out of line:
// the compiler treats getcontext like setjmp, which would make every local of
// the caller suspect.
[[gnu::noinline]] void start_fiber(Fiber& f) {
  getcontext(&f.context);
  f.context.uc_stack.ss_sp = f.stack;
  f.context.uc_stack.ss_size = kStackBytes;
  f.context.uc_link = nullptr;
  makecontext(&f.context, fiber_main, 0);
}

void run_block(Block& b) {
  for (int t = 0; t < b.count; ++t) {
    Fiber& f = b.fibers[t];
    f.index = uint3{t % blockDim.x, t / blockDim.x % blockDim.y, t / (blockDim.x * blockDim.y)};
    f.state = State::runnable;
    start_fiber(f);
  }
  const bool forward = g_schedule == Schedule::forward;
  const int warps = (b.count + kWarpSize - 1) / kWarpSize;
  for (;;) {
    // Each warp in turn runs as far as it can before the next one starts:
    // its lanes in order until each waits or finishes, then again for the
    // lanes released by completed warp exchanges. So a warp runs ahead of the
    // others through its shuffles, and a race between warps shows up.
    for (int i = 0; i < warps; ++i) {
      const int w = forward ? i : warps - 1 - i;
      const int first = w * kWarpSize, lanes = std::min(kWarpSize, b.count - first);
      do {
        for (int j = 0; j < lanes; ++j) {
          const int t = first + (forward ? j : lanes - 1 - j);
          if (b.fibers[t].state != State::runnable) continue;
          resume(b, t);
          if (!b.error.empty()) return;
        }
      } while (release_warp_exchanges(b, w));
      if (!b.error.empty()) return;
    }
    // Every warp is stuck: done, or at __syncthreads, or at an exchange that
    // waits for a lane which is at __syncthreads.
    int live = 0, at_barrier = 0;
    for (int t = 0; t < b.count; ++t) {
      live += b.fibers[t].state != State::done;
      at_barrier += b.fibers[t].state == State::at_block_barrier;
    }
    if (live == 0) return;
    if (at_barrier != live) {
      b.error = "deadlock: " + std::to_string(at_barrier) + " threads wait at __syncthreads and " +
                std::to_string(live - at_barrier) + " at warp operations that cannot complete";
      return;
    }
    for (int t = 0; t < b.count; ++t) {
      if (b.fibers[t].state == State::at_block_barrier) b.fibers[t].state = State::runnable;
    }
  }
}

// Grows the fiber pool to `count` fibers, each with a stack under a guard page
// so that an overflow faults instead of corrupting a neighbour.
void reserve_fibers(Block& b, int count) {
  while (static_cast<int>(b.fibers.size()) < count) {
    size_t page = Block::page_bytes();
    void* memory = mmap(nullptr, kStackBytes + page, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) {
      std::perror("simt: mmap of a fiber stack");
      std::abort();
    }
    mprotect(memory, page, PROT_NONE);
    b.fibers.emplace_back();
    b.fibers.back().stack = static_cast<char*>(memory) + page;
  }
}

Block& block_in_kernel(const char* what) {
  Block& b = the_block();
  if (b.current < 0) {
    std::fprintf(stderr, "simt: %s called outside a kernel\n", what);
    std::abort();
  }
  return b;
}

}  // namespace

void set_schedule(Schedule schedule) { g_schedule = schedule; }
Schedule schedule() { return g_schedule; }

namespace detail {

void run_grid(dim3 grid, dim3 block, size_t dynamic_shared_bytes, void (*body)(void*),
              void* args) {
  const unsigned threads = block.x * block.y * block.z;
  if (threads == 0 || threads > kMaxThreadsPerBlock || block.z > 64 || grid.x == 0 ||
      grid.y == 0 || grid.z == 0 || grid.y > 65535 || grid.z > 65535) {
    set_error(cudaErrorInvalidConfiguration,
              "invalid launch configuration: grid (" + std::to_string(grid.x) + ", " +
                  std::to_string(grid.y) + ", " + std::to_string(grid.z) + "), block (" +
                  std::to_string(block.x) + ", " + std::to_string(block.y) + ", " +
                  std::to_string(block.z) + ")");
    return;
  }
  if (dynamic_shared_bytes > kMaxDynamicSharedBytes) {
    set_error(cudaErrorInvalidValue, "launch asks for " + std::to_string(dynamic_shared_bytes) +
                                         " bytes of dynamic shared memory (at most 49152)");
    return;
  }
  Block& b = the_block();
  reserve_fibers(b, static_cast<int>(threads));
  b.count = static_cast<int>(threads);
  b.body = body;
  b.args = args;
  b.error.clear();
  b.shared.resize((dynamic_shared_bytes + sizeof(float4) - 1) / sizeof(float4));
  gridDim = grid;
  blockDim = block;

  const uint64_t blocks = uint64_t{grid.x} * grid.y * grid.z;
  for (uint64_t i = 0; i < blocks; ++i) {
    uint64_t k = g_schedule == Schedule::forward ? i : blocks - 1 - i;
    blockIdx = uint3{static_cast<unsigned>(k % grid.x), static_cast<unsigned>(k / grid.x % grid.y),
                     static_cast<unsigned>(k / (uint64_t{grid.x} * grid.y))};
    const float nan = std::nanf("");
    for (float4& s : b.shared) s = float4{nan, nan, nan, nan};
    run_block(b);
    if (!b.error.empty()) {
      set_error(cudaErrorLaunchFailure,
                "kernel failed in block (" + std::to_string(blockIdx.x) + ", " +
                    std::to_string(blockIdx.y) + ", " + std::to_string(blockIdx.z) +
                    "): " + b.error);
#if defined(CG_SIMT_ASAN)
      // The stopped fibers never unwind; forget what their frames poisoned.
      for (Fiber& f : b.fibers) ASAN_UNPOISON_MEMORY_REGION(f.stack, kStackBytes);
#endif
      return;
    }
  }
}

void* dynamic_shared_memory() {
  return block_in_kernel("dynamic shared memory").shared.data();
}

void sync_block() {
  Block& b = block_in_kernel("__syncthreads");
  b.fibers[b.current].state = State::at_block_barrier;
  switch_to_scheduler(b, /*exiting=*/false);
}

int lane_id() { return block_in_kernel("a warp operation").current % kWarpSize; }

WarpResult warp_exchange(uint32_t mask, uint64_t value, int source_lane) {
  Block& b = block_in_kernel("a warp operation");
  Fiber& f = b.fibers[b.current];
  if (!(mask >> (b.current % kWarpSize) & 1u)) {
    b.error = "thread " + std::to_string(b.current) +
              " calls a warp operation whose mask leaves out its own lane";
    stop_fiber_on_error(b);
  }
  if (source_lane < 0 || source_lane >= kWarpSize) {
    b.error = "a shuffle reads lane " + std::to_string(source_lane) +
              " (the width must be a power of two up to 32)";
    stop_fiber_on_error(b);
  }
  f.mask = mask;
  f.value = value;
  f.source_lane = source_lane;
  f.state = State::at_warp_exchange;
  switch_to_scheduler(b, /*exiting=*/false);
  return WarpResult{f.result, f.ballot};
}

}  // namespace detail
}  // namespace simt
}  // namespace cudagrad

// ---- the host runtime API ------------------------------------------------------------
namespace {
cudaError_t fail(cudaError_t error, const char* message) {
  cudagrad::simt::set_error(error, message);
  return error;
}
}  // namespace

cudaError_t cudaMalloc(void** ptr, size_t bytes) {
  if (ptr == nullptr) return fail(cudaErrorInvalidValue, "cudaMalloc: null result pointer");
  *ptr = bytes == 0 ? nullptr : std::malloc(bytes);
  if (bytes != 0 && *ptr == nullptr) return fail(cudaErrorMemoryAllocation, "out of memory");
  return cudaSuccess;
}

cudaError_t cudaFree(void* ptr) {
  std::free(ptr);
  return cudaSuccess;
}

cudaError_t cudaMemcpy(void* dst, const void* src, size_t bytes, cudaMemcpyKind) {
  if (bytes != 0 && (dst == nullptr || src == nullptr)) {
    return fail(cudaErrorInvalidValue, "cudaMemcpy: null pointer");
  }
  if (bytes != 0) std::memmove(dst, src, bytes);
  return cudaSuccess;
}

cudaError_t cudaMemset(void* ptr, int value, size_t bytes) {
  if (bytes != 0 && ptr == nullptr) return fail(cudaErrorInvalidValue, "cudaMemset: null pointer");
  if (bytes != 0) std::memset(ptr, value, bytes);
  return cudaSuccess;
}

cudaError_t cudaDeviceSynchronize() { return cudaSuccess; }  // launches are synchronous
cudaError_t cudaStreamSynchronize(cudaStream_t) { return cudaSuccess; }

// Streams do not exist here: every launch and copy completes before it returns.
cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind,
                            cudaStream_t) {
  return cudaMemcpy(dst, src, bytes, kind);
}

cudaError_t cudaGetLastError() {
  cudaError_t error = cudagrad::simt::g_last_error;
  cudagrad::simt::g_last_error = cudaSuccess;
  return error;
}

cudaError_t cudaPeekAtLastError() { return cudagrad::simt::g_last_error; }

const char* cudaGetErrorString(cudaError_t error) {
  if (error != cudaSuccess && error == cudagrad::simt::g_described_error) return cudagrad::simt::g_error_message.c_str();
  switch (error) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument";
    case cudaErrorLaunchFailure: return "unspecified launch failure";
  }
  return "unknown error";
}
