// The block scheduler of the SIMT emulation (the scheme is described in simt.h).
#include "kernels/cuda/emulation/simt.h"

#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <sstream>
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

// The bounds of the `cg_simt_shared` section, where simt.h puts static
// __shared__ variables (the linker defines them; weak: null when no kernel
// declares any). GCC ignores the section of a static local in a function
// template (the GEMM's tiles), so the access hooks below take static
// shared memory to be all of the program's writable static storage,
// [__data_start, _end), which the linker and the C runtime define.
extern "C" __attribute__((weak)) char __start_cg_simt_shared[];
extern "C" __attribute__((weak)) char __stop_cg_simt_shared[];
extern "C" __attribute__((weak)) char __data_start[];
extern "C" __attribute__((weak)) char _end[];

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
  detail::CallSite site{"", 0};  // of the barrier or warp operation it waits at
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
  size_t shared_bytes = 0;     // of it, as the launch asked
  std::string error;           // set when the block cannot go on
  const char* kernel = "";     // the kernel's name
  std::vector<uint32_t> warp_syncs;  // per warp: warp operations completed (race detector)

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
Checks g_checks;
unsigned g_grid_stride_cap = 4096;
bool g_recording = false, g_run_kernels = true;
std::vector<LaunchRecord> g_launches;
double g_next_flops = 0;
int g_atomic_depth = 0;  // > 0 inside an emulated atomic
uint32_t g_epoch = 0;    // advances at each block start and each barrier
uint32_t g_block_serial = 0;  // advances at each block start
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

// ---- call sites and names for messages ------------------------------------------------
bool same_site(const detail::CallSite& a, const detail::CallSite& b) {
  return a.line == b.line && (a.file == b.file || std::strcmp(a.file, b.file) == 0);
}
std::string describe(const detail::CallSite& site) {
  const char* slash = std::strrchr(site.file, '/');
  return std::string(slash ? slash + 1 : site.file) + ":" + std::to_string(site.line);
}
std::string describe_thread(const Block& b, int t) {
  const uint3 i = b.fibers[t].index;
  return "(" + std::to_string(i.x) + ", " + std::to_string(i.y) + ", " + std::to_string(i.z) + ")";
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
      if (ready && g_checks.sites && !same_site(o.site, f.site)) {
        b.error = "divergent warp operations: lane " + std::to_string(t - warp_base) + " of warp " +
                  std::to_string(w) + " waits at " + describe(f.site) + ", lane " +
                  std::to_string(lane) + " at " + describe(o.site) +
                  " (lanes must meet at the same shuffle, vote or __syncwarp)";
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
    ++b.warp_syncs[w];  // the race detector orders the warp's lanes by this
    released = true;
  }
  return released;
}

// Every byte of static and dynamic shared memory set to 0xFF: NaN as a float,
// -1 as an integer. Not instrumented by AddressSanitizer, and byte by byte
// through a volatile pointer so that no memset call (which it intercepts)
// replaces the loop: the section may hold its redzones between variables.
__attribute__((no_sanitize_address)) void poison_bytes(char* begin, char* end) {
  for (volatile char* p = begin; p < end; ++p) *p = static_cast<char>(0xFF);
}
void poison_shared_memory(Block& b) {
  if (__start_cg_simt_shared != nullptr) {
    poison_bytes(__start_cg_simt_shared, __stop_cg_simt_shared);
  }
  if (!b.shared.empty()) std::memset(b.shared.data(), 0xFF, b.shared.size() * sizeof(float4));
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
  poison_shared_memory(b);
  ++g_epoch;
  ++g_block_serial;
  b.warp_syncs.assign((b.count + kWarpSize - 1) / kWarpSize, 0);
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
    if (g_checks.sites) {
      int first = -1;
      for (int t = 0; t < b.count; ++t) {
        if (b.fibers[t].state != State::at_block_barrier) continue;
        if (first < 0) {
          first = t;
        } else if (!same_site(b.fibers[t].site, b.fibers[first].site)) {
          b.error = "barrier divergence: thread " + describe_thread(b, first) + " waits at " +
                    describe(b.fibers[first].site) + ", thread " + describe_thread(b, t) + " at " +
                    describe(b.fibers[t].site) +
                    " (every thread of a block must reach the same __syncthreads)";
          return;
        }
      }
    }
    ++g_epoch;  // accesses after the barrier are ordered after those before it
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

// ---- racecheck: a shadow record per 4-byte word of shared memory ---------------------
// For the current epoch (the stretch between two barriers of the block), who
// last wrote the word and who read it, with each one's warp-sync count, so
// that lanes of one warp ordered by a shuffle or __syncwarp do not count.
// For static shared memory also which of its bytes this block has touched:
// a byte is poisoned when the block first touches it (the hook runs before
// the access), which is what poisoning all of it at the block's start
// would give, for variables the section above misses.
struct ShadowWord {
  uint32_t epoch = 0;  // g_epoch when the race fields below were recorded
  int writer = -1;
  uint32_t writer_syncs = 0;
  int readers[2] = {-1, -1};  // two distinct readers are enough to name a conflict
  uint32_t reader_syncs[2] = {0, 0};
  uint32_t block = 0;    // g_block_serial when `touched` was recorded
  uint8_t touched = 0;   // bit i: byte i of the word touched in this block
};

struct SharedShadow {
  std::vector<ShadowWord> static_words, dynamic_words;
};
SharedShadow& shared_shadow() {
  static SharedShadow shadow;
  return shadow;
}

// Whether an access by `t` is unordered with an earlier one by `other`
// (recorded when other's warp had completed `other_syncs` warp operations).
bool unordered(const Block& b, int other, uint32_t other_syncs, int t) {
  if (other < 0 || other == t) return false;
  const int warp = t / kWarpSize;
  return other / kWarpSize != warp || b.warp_syncs[warp] == other_syncs;
}

// Builds the race report into b.error (the caller then stops the fiber).
// Static shared memory is named by its address; dynamic by its byte offset too.
void report_race(Block& b, bool dynamic, size_t offset, uintptr_t address, int first,
                 bool first_wrote, int second, bool second_writes) {
  std::ostringstream os;
  os << "shared-memory race in kernel " << b.kernel << ": thread " << describe_thread(b, first)
     << (first_wrote ? " wrote " : " read ")
     << (dynamic ? "dynamic shared memory at byte " + std::to_string(offset) + " ("
                 : std::string("static shared memory ("))
     << "address 0x" << std::hex << address << std::dec << "), then thread "
     << describe_thread(b, second) << (second_writes ? " wrote" : " read")
     << " it with no __syncthreads between";
  b.error = os.str();
}

// Poisons the bytes of [address, address + size) in `word` that this block
// has not touched yet (static shared memory; see ShadowWord).
void poison_untouched(ShadowWord& w, uintptr_t word_address, uintptr_t address, size_t size) {
  if (w.block != g_block_serial) w.block = g_block_serial, w.touched = 0;
  for (int i = 0; i < 4; ++i) {
    const uintptr_t byte = word_address + i;
    if (byte < address || byte >= address + size || (w.touched >> i & 1)) continue;
    *reinterpret_cast<unsigned char*>(byte) = 0xFF;
    w.touched |= static_cast<uint8_t>(1u << i);
  }
}

// Records a shared-memory access; returns false (with b.error set) on a race.
bool record_shared_access(Block& b, std::vector<ShadowWord>& words, bool dynamic, uintptr_t base,
                          uintptr_t address, size_t size, bool write, bool atomic) {
  const int t = b.current;
  const uint32_t syncs = b.warp_syncs[t / kWarpSize];
  for (uintptr_t word = (address - base) / 4; word <= (address + size - 1 - base) / 4; ++word) {
    if (word >= words.size()) break;
    ShadowWord& w = words[word];
    if (!dynamic) poison_untouched(w, base + word * 4, address, size);
    if (!g_checks.race || atomic) continue;
    if (w.epoch != g_epoch) {
      w.epoch = g_epoch, w.writer = -1, w.readers[0] = w.readers[1] = -1;
    }
    if (unordered(b, w.writer, w.writer_syncs, t)) {
      report_race(b, dynamic, address - base, address, w.writer, true, t, write);
      return false;
    }
    if (write) {
      for (int r = 0; r < 2; ++r) {
        if (unordered(b, w.readers[r], w.reader_syncs[r], t)) {
          report_race(b, dynamic, address - base, address, w.readers[r], false, t, true);
          return false;
        }
      }
      w.writer = t;
      w.writer_syncs = syncs;
    } else if (w.readers[0] != t && w.readers[1] != t) {
      const int slot = w.readers[0] < 0 ? 0 : 1;  // the second slot keeps the latest other reader
      w.readers[slot] = t;
      w.reader_syncs[slot] = syncs;
    } else {
      w.reader_syncs[w.readers[0] == t ? 0 : 1] = syncs;
    }
  }
  return true;
}

// ---- initcheck: which bytes of each cudaMalloc allocation have been written ----------
struct Allocation {
  size_t bytes;
  std::vector<bool> written;  // per byte
};
std::map<uintptr_t, Allocation>& allocations() {
  static std::map<uintptr_t, Allocation> tracked;
  return tracked;
}
// The tracked allocation holding address, or null.
std::pair<const uintptr_t, Allocation>* find_allocation(uintptr_t address) {
  auto& tracked = allocations();
  auto it = tracked.upper_bound(address);
  if (it == tracked.begin()) return nullptr;
  --it;
  return address < it->first + it->second.bytes ? &*it : nullptr;
}
void mark_written(uintptr_t address, size_t bytes) {
  if (allocations().empty()) return;
  for (size_t i = 0; i < bytes;) {  // the range may span allocations (or none)
    auto* a = find_allocation(address + i);
    if (a == nullptr) {
      ++i;
      continue;
    }
    const size_t end = std::min(a->first + a->second.bytes, address + bytes);
    for (uintptr_t p = address + i; p < end; ++p) a->second.written[p - a->first] = true;
    i = end - address;
  }
}

// Builds the initcheck report into b.error (the caller then stops the fiber).
void report_uninitialized_read(Block& b, size_t byte, size_t bytes) {
  b.error = std::string("kernel ") + b.kernel + ": thread " + describe_thread(b, b.current) +
            " reads byte " + std::to_string(byte) + " of a " + std::to_string(bytes) +
            "-byte cudaMalloc allocation that no copy, memset or kernel has written";
}

}  // namespace

void set_schedule(Schedule schedule) { g_schedule = schedule; }
Schedule schedule() { return g_schedule; }
void set_checks(const Checks& checks) { g_checks = checks; }
Checks checks() { return g_checks; }
bool access_checks_available() { return CG_SIMT_ACCESS_HOOKS != 0; }
void set_grid_stride_cap(unsigned max_blocks) { g_grid_stride_cap = max_blocks; }
unsigned grid_stride_cap() { return g_grid_stride_cap; }
void start_recording(bool run_kernels) {
  g_recording = true;
  g_run_kernels = run_kernels;
  g_launches.clear();
}
std::vector<LaunchRecord> stop_recording() {
  g_recording = false;
  g_run_kernels = true;
  return std::move(g_launches);
}
void note_next_launch_flops(double flops) { g_next_flops = flops; }

namespace detail {

void run_grid(const char* kernel, dim3 grid, dim3 block, size_t dynamic_shared_bytes,
              void (*body)(void*), void* args) {
  const double flops = g_next_flops;
  g_next_flops = 0;
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
  if (g_recording) {
    g_launches.push_back(LaunchRecord{kernel, {grid.x, grid.y, grid.z}, {block.x, block.y, block.z},
                                      dynamic_shared_bytes, flops});
    if (!g_run_kernels) return;
  }
  Block& b = the_block();
  b.kernel = kernel;
  b.shared_bytes = dynamic_shared_bytes;
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
    run_block(b);
    if (!b.error.empty()) {
      set_error(cudaErrorLaunchFailure,
                std::string("kernel ") + kernel + " failed in block (" +
                    std::to_string(blockIdx.x) + ", " +
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

void sync_block(CallSite site) {
  Block& b = block_in_kernel("__syncthreads");
  b.fibers[b.current].state = State::at_block_barrier;
  b.fibers[b.current].site = site;
  switch_to_scheduler(b, /*exiting=*/false);
}

int lane_id() { return block_in_kernel("a warp operation").current % kWarpSize; }

WarpResult warp_exchange(uint32_t mask, uint64_t value, int source_lane, CallSite site) {
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
  f.site = site;
  f.state = State::at_warp_exchange;
  switch_to_scheduler(b, /*exiting=*/false);
  return WarpResult{f.result, f.ballot};
}

AtomicScope::AtomicScope() { ++g_atomic_depth; }
AtomicScope::~AtomicScope() { --g_atomic_depth; }

// Called by the access hooks (access_hooks.cpp) for every load and store of
// the instrumented kernel sources: inside a kernel, a shared-memory access
// goes to the race detector, a global one to the initcheck.
// The built-in variables live in static storage too; kernels only read them.
bool is_builtin_variable(uintptr_t address) {
  for (const void* v : {static_cast<const void*>(&threadIdx), static_cast<const void*>(&blockIdx),
                        static_cast<const void*>(&blockDim), static_cast<const void*>(&gridDim)}) {
    const uintptr_t begin = reinterpret_cast<uintptr_t>(v);
    if (address >= begin && address < begin + sizeof(dim3)) return true;
  }
  return false;
}

void on_access(const void* pointer, size_t size, bool write) {
  Block& b = the_block();
  if (b.current < 0) return;
  const uintptr_t address = reinterpret_cast<uintptr_t>(pointer);
  // Static shared memory: the writable static storage a kernel touches (the
  // kernels have no __device__ globals), 4-byte aligned for the shadow words.
  const uintptr_t static_begin = reinterpret_cast<uintptr_t>(__data_start) / 4 * 4;
  const uintptr_t static_end = reinterpret_cast<uintptr_t>(_end);
  const uintptr_t dynamic_begin = reinterpret_cast<uintptr_t>(b.shared.data());
  const bool in_dynamic = address >= dynamic_begin && address < dynamic_begin + b.shared_bytes;
  const bool in_static = !in_dynamic && __data_start != nullptr && address >= static_begin &&
                         address < static_end && !is_builtin_variable(address);
  if (in_static || in_dynamic) {
    SharedShadow& shadow = shared_shadow();
    std::vector<ShadowWord>& words = in_static ? shadow.static_words : shadow.dynamic_words;
    const uintptr_t base = in_static ? static_begin : dynamic_begin;
    const size_t needed = ((in_static ? static_end - static_begin : b.shared_bytes) + 3) / 4;
    if (words.size() < needed) words.resize(needed);
    if (!record_shared_access(b, words, in_dynamic, base, address, size, write,
                              g_atomic_depth > 0)) {
      stop_fiber_on_error(b);
    }
    return;
  }
  if (g_atomic_depth > 0) return;
  if (!g_checks.init) return;
  auto* a = find_allocation(address);
  if (a == nullptr) return;
  const size_t offset = address - a->first, end = std::min(offset + size, a->second.bytes);
  if (write) {
    for (size_t i = offset; i < end; ++i) a->second.written[i] = true;
    return;
  }
  for (size_t i = offset; i < end; ++i) {
    if (a->second.written[i]) continue;
    report_uninitialized_read(b, i, a->second.bytes);
    stop_fiber_on_error(b);
  }
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
  // Poisoned like shared memory (NaN, -1), and tracked for the initcheck.
  if (bytes != 0) std::memset(*ptr, 0xFF, bytes);
  if (bytes != 0 && cudagrad::simt::g_checks.init && cudagrad::simt::access_checks_available()) {
    cudagrad::simt::allocations()[reinterpret_cast<uintptr_t>(*ptr)] =
        cudagrad::simt::Allocation{bytes, std::vector<bool>(bytes, false)};
  }
  return cudaSuccess;
}

cudaError_t cudaFree(void* ptr) {
  cudagrad::simt::allocations().erase(reinterpret_cast<uintptr_t>(ptr));
  std::free(ptr);
  return cudaSuccess;
}

cudaError_t cudaMemcpy(void* dst, const void* src, size_t bytes, cudaMemcpyKind) {
  if (bytes != 0 && (dst == nullptr || src == nullptr)) {
    return fail(cudaErrorInvalidValue, "cudaMemcpy: null pointer");
  }
  if (bytes != 0) std::memmove(dst, src, bytes);
  cudagrad::simt::mark_written(reinterpret_cast<uintptr_t>(dst), bytes);
  return cudaSuccess;
}

cudaError_t cudaMemset(void* ptr, int value, size_t bytes) {
  if (bytes != 0 && ptr == nullptr) return fail(cudaErrorInvalidValue, "cudaMemset: null pointer");
  if (bytes != 0) std::memset(ptr, value, bytes);
  cudagrad::simt::mark_written(reinterpret_cast<uintptr_t>(ptr), bytes);
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
