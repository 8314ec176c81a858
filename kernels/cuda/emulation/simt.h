// SIMT emulation: CUDA kernel source compiled by the host compiler and run on
// the CPU, so the kernels can be tested on a machine without a GPU.
//
// A kernel is a function that every thread of a grid runs, each seeing its
// own threadIdx/blockIdx. The emulator runs the blocks of a grid one after
// the other. Inside a block every CUDA thread is a *fiber*: a function with
// its own stack that can stop in the middle and be resumed later, all on one
// operating-system thread (ucontext: makecontext, getcontext, setcontext).
//
// The block's scheduler resumes its fibers one at a time. A fiber runs until
// it finishes or reaches a barrier, then switches back to the scheduler:
//   * __syncthreads(): the fiber waits until every thread of the block that
//     has not exited is waiting too; then all of them become runnable again.
//   * warp operations (__shfl_*_sync, __ballot_sync, __any_sync, __all_sync,
//     __syncwarp): a rendezvous of the lanes named in the mask. Each lane
//     posts a value and its source lane; when the last one arrives, the
//     scheduler computes every lane's result at once, then resumes them.
// The order (the Schedule) is forward or reverse: warps in that order, each
// warp running as far as it can (its lanes in that order, through all its
// warp operations) until it reaches __syncthreads or finishes, before the
// next warp starts. So between two barriers each thread runs alone, and each
// warp runs ahead of the others. Code whose result depends on the order of
// threads or warps between barriers (a data race) gives different answers
// under the two schedules: the tests run both.
// A block that can make no progress (some threads wait at __syncthreads,
// others at a shuffle that can never complete) is reported as a deadlock.
//
// Because fibers never run at the same time, atomics are plain
// read-modify-write, and `__shared__` is `static` (one copy per kernel,
// shared by the block's fibers; blocks run one after another), placed in the
// linker section `cg_simt_shared` so that the scheduler can poison it (GCC
// ignores the section of a static local in a function template; the access
// hooks below cover those).
// Dynamic shared memory is one buffer per launch; kernels declare it with
// CG_DYNAMIC_SHARED(type, name), since `extern __shared__ T name[]` has no
// host spelling.
//
// What the emulator checks (simt.cpp; compute-sanitizer's tools in brackets):
//   * shared memory, static and dynamic, is poisoned (every byte 0xFF: NaN
//     as a float, -1 as an integer) at the start of every block, so a value
//     left by the previous block is never read as if it were valid (with
//     the access hooks, a static byte is poisoned when the block first
//     touches it, which also reaches the variables outside the section);
//   * memory from cudaMalloc is poisoned the same way;
//   * [synccheck] the threads of a block that meet at a barrier must all
//     wait at the same __syncthreads call site, and the lanes that meet in a
//     shuffle or vote at the same call site;
//   * [racecheck] two different threads touching the same 4-byte word of
//     shared memory between two barriers, at least one writing, is an error
//     naming the kernel, the address and both threads (lanes of one warp
//     are ordered by their shuffles and __syncwarp too);
//   * [initcheck] a kernel reading bytes of a cudaMalloc allocation that no
//     copy, memset or kernel has written is an error.
// The access hooks take static shared memory to be any of the program's
// writable static storage that a kernel touches, except the built-in index
// variables (the kernels have no __device__ globals, which would be taken
// for shared memory).
// The last two need to see every load and store: the kernel sources are
// compiled with the compiler's ThreadSanitizer instrumentation, whose hooks
// (__tsan_read4, __tsan_write4, ...) this emulator defines itself
// (access_hooks.cpp); the ThreadSanitizer runtime is never linked. Builds
// that cannot have it (AddressSanitizer cannot be combined with it) have no
// race or initcheck, and simt::access_checks_available() says so.
//
// Limits of the model: one launch at a time per process; warps are always
// converged at a warp operation (independent thread scheduling is not
// modelled); `#pragma unroll` is ignored; the race detector sees only what
// happens under the emulator's two schedules (a race on a path that no test
// takes goes unseen), and only accesses the compiler instruments: an
// explicit memcpy or memset in a kernel is not seen (CMakeLists.txt keeps
// the compilers from making such calls out of plain stores).
#pragma once

#if defined(__CUDACC__)
#error "simt.h is the host emulation of CUDA; nvcc uses the real runtime"
#endif

#include <cfloat>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <tuple>
#include <type_traits>
#include <utility>

#include "kernels/cuda/emulation/schedule.h"

// ---- keywords: compiled as plain host C++ -------------------------------------
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __constant__
#define __shared__ static __attribute__((section("cg_simt_shared")))
#define __launch_bounds__(...)

// ---- built-in types and variables ----------------------------------------------
struct uint3 {
  unsigned x, y, z;
};
struct dim3 {
  unsigned x, y, z;
  constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};
struct alignas(8) float2 {
  float x, y;
};
struct alignas(16) float4 {
  float x, y, z, w;
};
inline float2 make_float2(float x, float y) { return {x, y}; }
inline float4 make_float4(float x, float y, float z, float w) { return {x, y, z, w}; }

// Set by the scheduler before it resumes each fiber.
inline uint3 threadIdx, blockIdx;
inline dim3 blockDim, gridDim;
constexpr int warpSize = 32;

namespace cudagrad {
namespace simt {

namespace detail {

// Runs body(args) once per thread of the grid. A bad launch configuration,
// a misused warp operation or a deadlock is recorded for cudaGetLastError.
void run_grid(const char* kernel, dim3 grid, dim3 block, size_t dynamic_shared_bytes,
              void (*body)(void*), void* args);
void* dynamic_shared_memory();
// Where a barrier or warp operation is called from (file, line): threads
// that meet there must have come from the same one.
struct CallSite {
  const char* file;
  int line;
};
void sync_block(CallSite site);

// The warp rendezvous: every lane in `mask` posts `value` and the lane it
// wants to read; each gets back that lane's value, and the ballot (bit i set
// when lane i posted a nonzero value).
struct WarpResult {
  uint64_t value;
  uint32_t ballot;
};
WarpResult warp_exchange(uint32_t mask, uint64_t value, int source_lane, CallSite site);
// Atomics: the race detector does not count their accesses as races.
struct AtomicScope {
  AtomicScope();
  ~AtomicScope();
};
int lane_id();

template <class T>
T exchange_value(uint32_t mask, T value, int source_lane, CallSite site) {
  static_assert(std::is_trivially_copyable<T>::value && sizeof(T) <= 8,
                "shuffles move values of up to 8 bytes");
  uint64_t bits = 0;
  std::memcpy(&bits, &value, sizeof(T));
  bits = warp_exchange(mask, bits, source_lane, site).value;
  T result;
  std::memcpy(&result, &bits, sizeof(T));
  return result;
}

}  // namespace detail

// The launch: argument values are converted to the kernel's parameter types
// once, as a real launch copies them, then each thread calls the kernel.
// `name` is the kernel's name for error messages and the launch record.
template <class... Params, class... Args>
void launch(const char* name, void (*kernel)(Params...), dim3 grid, dim3 block,
            size_t dynamic_shared_bytes, Args&&... args) {
  static_assert(sizeof...(Params) == sizeof...(Args), "wrong number of kernel arguments");
  struct Call {
    void (*kernel)(Params...);
    std::tuple<std::decay_t<Params>...> params;
  } call{kernel, std::tuple<std::decay_t<Params>...>(std::forward<Args>(args)...)};
  auto body = [](void* c) {
    Call* call = static_cast<Call*>(c);
    std::apply(call->kernel, call->params);
  };
  detail::run_grid(name, grid, block, dynamic_shared_bytes, body, &call);
}

}  // namespace simt
}  // namespace cudagrad

#define CG_DYNAMIC_SHARED(type, name) \
  type* name = static_cast<type*>(::cudagrad::simt::detail::dynamic_shared_memory())

// ---- synchronization and warp operations ------------------------------------------
// Each takes its call site as default arguments (__builtin_FILE and
// __builtin_LINE are evaluated where the call is written), so kernels call
// them exactly as under nvcc.
#define CG_SIMT_SITE_PARAMS \
  const char *site_file = __builtin_FILE(), int site_line = __builtin_LINE()
#define CG_SIMT_SITE ::cudagrad::simt::detail::CallSite{site_file, site_line}
inline void __syncthreads(CG_SIMT_SITE_PARAMS) {
  ::cudagrad::simt::detail::sync_block(CG_SIMT_SITE);
}
inline void __syncwarp(unsigned mask = 0xffffffffu, CG_SIMT_SITE_PARAMS) {
  ::cudagrad::simt::detail::warp_exchange(mask, 0, ::cudagrad::simt::detail::lane_id(),
                                          CG_SIMT_SITE);
}

// Lane arithmetic follows the CUDA programming guide: a warp splits into
// segments of `width` lanes, and a source outside the segment reads the
// caller's own value.
template <class T>
T __shfl_sync(unsigned mask, T var, int src_lane, int width = warpSize, CG_SIMT_SITE_PARAMS) {
  int lane = ::cudagrad::simt::detail::lane_id();
  int base = lane & ~(width - 1);
  return ::cudagrad::simt::detail::exchange_value(mask, var, base + (src_lane & (width - 1)),
                                                  CG_SIMT_SITE);
}
template <class T>
T __shfl_down_sync(unsigned mask, T var, unsigned delta, int width = warpSize,
                   CG_SIMT_SITE_PARAMS) {
  int lane = ::cudagrad::simt::detail::lane_id();
  int in_segment = (lane & (width - 1)) + static_cast<int>(delta);
  int source = in_segment < width ? lane + static_cast<int>(delta) : lane;
  return ::cudagrad::simt::detail::exchange_value(mask, var, source, CG_SIMT_SITE);
}
template <class T>
T __shfl_up_sync(unsigned mask, T var, unsigned delta, int width = warpSize, CG_SIMT_SITE_PARAMS) {
  int lane = ::cudagrad::simt::detail::lane_id();
  int in_segment = (lane & (width - 1)) - static_cast<int>(delta);
  int source = in_segment >= 0 ? lane - static_cast<int>(delta) : lane;
  return ::cudagrad::simt::detail::exchange_value(mask, var, source, CG_SIMT_SITE);
}
template <class T>
T __shfl_xor_sync(unsigned mask, T var, int lane_mask, int width = warpSize, CG_SIMT_SITE_PARAMS) {
  int lane = ::cudagrad::simt::detail::lane_id();
  int source = lane ^ lane_mask;
  if ((source & ~(width - 1)) != (lane & ~(width - 1))) source = lane;
  return ::cudagrad::simt::detail::exchange_value(mask, var, source, CG_SIMT_SITE);
}
inline unsigned __ballot_sync(unsigned mask, int predicate, CG_SIMT_SITE_PARAMS) {
  int lane = ::cudagrad::simt::detail::lane_id();
  return ::cudagrad::simt::detail::warp_exchange(mask, predicate != 0, lane, CG_SIMT_SITE).ballot;
}
inline int __any_sync(unsigned mask, int predicate, CG_SIMT_SITE_PARAMS) {
  return __ballot_sync(mask, predicate, site_file, site_line) != 0;
}
inline int __all_sync(unsigned mask, int predicate, CG_SIMT_SITE_PARAMS) {
  return __ballot_sync(mask, predicate, site_file, site_line) == mask;
}

// ---- atomics: fibers never interleave inside one, so read-modify-write is enough; ----
// the AtomicScope keeps the race detector from counting them as races.
template <class T>
T atomicAdd(T* address, T value) {
  ::cudagrad::simt::detail::AtomicScope atomic;
  T old = *address;
  *address = old + value;
  return old;
}
template <class T>
T atomicMax(T* address, T value) {
  ::cudagrad::simt::detail::AtomicScope atomic;
  T old = *address;
  *address = old < value ? value : old;
  return old;
}
template <class T>
T atomicMin(T* address, T value) {
  ::cudagrad::simt::detail::AtomicScope atomic;
  T old = *address;
  *address = value < old ? value : old;
  return old;
}
template <class T>
T atomicExch(T* address, T value) {
  ::cudagrad::simt::detail::AtomicScope atomic;
  T old = *address;
  *address = value;
  return old;
}
template <class T>
T atomicCAS(T* address, T compare, T value) {
  ::cudagrad::simt::detail::AtomicScope atomic;
  T old = *address;
  if (old == compare) *address = value;
  return old;
}

// ---- device math: the CUDA names over the host library ----------------------------
// (expf, logf, sqrtf, fmaxf, fminf, fabsf, fmaf, tanhf, powf come from <cmath>.)
using std::isfinite;
using std::isinf;
using std::isnan;
inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
inline float __expf(float x) { return std::exp(x); }
inline float __logf(float x) { return std::log(x); }
inline float __fdividef(float a, float b) { return a / b; }
inline float __saturatef(float x) { return x < 0.0f ? 0.0f : (x > 1.0f ? 1.0f : x); }
inline int __float_as_int(float x) {
  int i;
  std::memcpy(&i, &x, sizeof(i));
  return i;
}
inline float __int_as_float(int i) {
  float x;
  std::memcpy(&x, &i, sizeof(x));
  return x;
}
inline int __popc(unsigned x) { return __builtin_popcount(x); }
template <class T>
T __ldg(const T* address) {
  return *address;
}
template <class T>
T min(T a, T b) {
  return b < a ? b : a;
}
template <class T>
T max(T a, T b) {
  return a < b ? b : a;
}

// ---- the host runtime API, over host memory ------------------------------------------
enum cudaError_t {
  cudaSuccess = 0,
  cudaErrorInvalidValue = 1,
  cudaErrorMemoryAllocation = 2,
  cudaErrorInvalidConfiguration = 9,
  cudaErrorLaunchFailure = 719,
};
enum cudaMemcpyKind {
  cudaMemcpyHostToHost = 0,
  cudaMemcpyHostToDevice = 1,
  cudaMemcpyDeviceToHost = 2,
  cudaMemcpyDeviceToDevice = 3,
  cudaMemcpyDefault = 4,
};
using cudaStream_t = struct CUstream_st*;

cudaError_t cudaMalloc(void** ptr, size_t bytes);
template <class T>
cudaError_t cudaMalloc(T** ptr, size_t bytes) {
  return cudaMalloc(reinterpret_cast<void**>(ptr), bytes);
}
cudaError_t cudaFree(void* ptr);
cudaError_t cudaMemcpy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind);
cudaError_t cudaMemset(void* ptr, int value, size_t bytes);
cudaError_t cudaDeviceSynchronize();
cudaError_t cudaStreamSynchronize(cudaStream_t stream);
cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind,
                            cudaStream_t stream);
cudaError_t cudaGetLastError();   // returns the last error and clears it
cudaError_t cudaPeekAtLastError();  // returns it and keeps it
const char* cudaGetErrorString(cudaError_t error);
