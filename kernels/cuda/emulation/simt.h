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
// read-modify-write, and `__shared__` is `static`: one copy per kernel,
// shared by the block's fibers (blocks run one after another). Dynamic
// shared memory is one buffer per launch, refilled with NaN before each
// block; kernels declare it with CG_DYNAMIC_SHARED(type, name), since
// `extern __shared__ T name[]` has no host spelling.
//
// Limits of the model: one launch at a time per process; warps are always
// converged at a warp operation (independent thread scheduling is not
// modelled); static __shared__ keeps the previous block's contents (real
// hardware leaves it undefined); `#pragma unroll` is ignored.
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
#define __shared__ static
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
void run_grid(dim3 grid, dim3 block, size_t dynamic_shared_bytes, void (*body)(void*),
                     void* args);
void* dynamic_shared_memory();
void sync_block();

// The warp rendezvous: every lane in `mask` posts `value` and the lane it
// wants to read; each gets back that lane's value, and the ballot (bit i set
// when lane i posted a nonzero value).
struct WarpResult {
  uint64_t value;
  uint32_t ballot;
};
WarpResult warp_exchange(uint32_t mask, uint64_t value, int source_lane);
int lane_id();

template <class T>
T exchange_value(uint32_t mask, T value, int source_lane) {
  static_assert(std::is_trivially_copyable<T>::value && sizeof(T) <= 8,
                "shuffles move values of up to 8 bytes");
  uint64_t bits = 0;
  std::memcpy(&bits, &value, sizeof(T));
  bits = warp_exchange(mask, bits, source_lane).value;
  T result;
  std::memcpy(&result, &bits, sizeof(T));
  return result;
}

}  // namespace detail

// The launch: argument values are converted to the kernel's parameter types
// once, as a real launch copies them, then each thread calls the kernel.
template <class... Params, class... Args>
void launch(void (*kernel)(Params...), dim3 grid, dim3 block, size_t dynamic_shared_bytes,
                   Args&&... args) {
  static_assert(sizeof...(Params) == sizeof...(Args), "wrong number of kernel arguments");
  struct Call {
    void (*kernel)(Params...);
    std::tuple<std::decay_t<Params>...> params;
  } call{kernel, std::tuple<std::decay_t<Params>...>(std::forward<Args>(args)...)};
  auto body = [](void* c) {
    Call* call = static_cast<Call*>(c);
    std::apply(call->kernel, call->params);
  };
  detail::run_grid(grid, block, dynamic_shared_bytes, body, &call);
}

}  // namespace simt
}  // namespace cudagrad

#define CG_DYNAMIC_SHARED(type, name) \
  type* name = static_cast<type*>(::cudagrad::simt::detail::dynamic_shared_memory())

// ---- synchronization and warp operations ------------------------------------------
inline void __syncthreads() { ::cudagrad::simt::detail::sync_block(); }
inline void __syncwarp(unsigned mask = 0xffffffffu) {
  ::cudagrad::simt::detail::warp_exchange(mask, 0, ::cudagrad::simt::detail::lane_id());
}

// Lane arithmetic follows the CUDA programming guide: a warp splits into
// segments of `width` lanes, and a source outside the segment reads the
// caller's own value.
template <class T>
T __shfl_sync(unsigned mask, T var, int src_lane, int width = warpSize) {
  int lane = ::cudagrad::simt::detail::lane_id();
  int base = lane & ~(width - 1);
  return ::cudagrad::simt::detail::exchange_value(mask, var, base + (src_lane & (width - 1)));
}
template <class T>
T __shfl_down_sync(unsigned mask, T var, unsigned delta, int width = warpSize) {
  int lane = ::cudagrad::simt::detail::lane_id();
  int in_segment = (lane & (width - 1)) + static_cast<int>(delta);
  int source = in_segment < width ? lane + static_cast<int>(delta) : lane;
  return ::cudagrad::simt::detail::exchange_value(mask, var, source);
}
template <class T>
T __shfl_up_sync(unsigned mask, T var, unsigned delta, int width = warpSize) {
  int lane = ::cudagrad::simt::detail::lane_id();
  int in_segment = (lane & (width - 1)) - static_cast<int>(delta);
  int source = in_segment >= 0 ? lane - static_cast<int>(delta) : lane;
  return ::cudagrad::simt::detail::exchange_value(mask, var, source);
}
template <class T>
T __shfl_xor_sync(unsigned mask, T var, int lane_mask, int width = warpSize) {
  int lane = ::cudagrad::simt::detail::lane_id();
  int source = lane ^ lane_mask;
  if ((source & ~(width - 1)) != (lane & ~(width - 1))) source = lane;
  return ::cudagrad::simt::detail::exchange_value(mask, var, source);
}
inline unsigned __ballot_sync(unsigned mask, int predicate) {
  int lane = ::cudagrad::simt::detail::lane_id();
  return ::cudagrad::simt::detail::warp_exchange(mask, predicate != 0, lane).ballot;
}
inline int __any_sync(unsigned mask, int predicate) { return __ballot_sync(mask, predicate) != 0; }
inline int __all_sync(unsigned mask, int predicate) {
  return __ballot_sync(mask, predicate) == mask;
}

// ---- atomics: fibers never interleave inside one, so read-modify-write is enough --
template <class T>
T atomicAdd(T* address, T value) {
  T old = *address;
  *address = old + value;
  return old;
}
template <class T>
T atomicMax(T* address, T value) {
  T old = *address;
  *address = old < value ? value : old;
  return old;
}
template <class T>
T atomicMin(T* address, T value) {
  T old = *address;
  *address = value < old ? value : old;
  return old;
}
template <class T>
T atomicExch(T* address, T value) {
  T old = *address;
  *address = value;
  return old;
}
template <class T>
T atomicCAS(T* address, T compare, T value) {
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
