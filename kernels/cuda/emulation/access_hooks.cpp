// The entry points of ThreadSanitizer's compiler instrumentation, defined by
// the emulator instead of the ThreadSanitizer runtime (which is never linked).
//
// The kernel sources are compiled with -fsanitize=thread (see CMakeLists.txt),
// so the compiler puts a call before every load and store: __tsan_read4(p)
// before reading 4 bytes at p, __tsan_write16(p) before a float4 store, and
// so on. Each hook hands the address, the size and whether it writes to
// simt.cpp's on_access, which keeps the shadow state of the race detector
// (shared memory) and of the initcheck (cudaMalloc memory). Outside a kernel
// on_access returns at once.
#include <cstddef>

namespace cudagrad {
namespace simt {
namespace detail {
void on_access(const void* pointer, size_t size, bool write);
}  // namespace detail
}  // namespace simt
}  // namespace cudagrad

using cudagrad::simt::detail::on_access;

extern "C" {
void __tsan_init() {}
void __tsan_func_entry(void*) {}
void __tsan_func_exit() {}

#define CG_TSAN_HOOKS(size)                                                            \
  void __tsan_read##size(void* p) { on_access(p, size, false); }                       \
  void __tsan_write##size(void* p) { on_access(p, size, true); }                       \
  void __tsan_unaligned_read##size(void* p) { on_access(p, size, false); }             \
  void __tsan_unaligned_write##size(void* p) { on_access(p, size, true); }             \
  void __tsan_volatile_read##size(void* p) { on_access(p, size, false); }              \
  void __tsan_volatile_write##size(void* p) { on_access(p, size, true); }              \
  void __tsan_unaligned_volatile_read##size(void* p) { on_access(p, size, false); }    \
  void __tsan_unaligned_volatile_write##size(void* p) { on_access(p, size, true); }
CG_TSAN_HOOKS(1)
CG_TSAN_HOOKS(2)
CG_TSAN_HOOKS(4)
CG_TSAN_HOOKS(8)
CG_TSAN_HOOKS(16)
#undef CG_TSAN_HOOKS

void __tsan_read_range(void* p, size_t size) { on_access(p, size, false); }
void __tsan_write_range(void* p, size_t size) { on_access(p, size, true); }

// Virtual-table pointer updates (host code in the same sources) touch no
// device memory.
void __tsan_vptr_update(void**, void*) {}
void __tsan_vptr_read(void**) {}

// Atomics of host code (a function-local static's guard): performed as the
// instrumentation asks, sequentially consistent. `bits` is the width.
#define CG_TSAN_ATOMICS(bits, type)                                                       \
  type __tsan_atomic##bits##_load(const volatile type* a, int) {                          \
    return __atomic_load_n(a, __ATOMIC_SEQ_CST);                                          \
  }                                                                                       \
  void __tsan_atomic##bits##_store(volatile type* a, type v, int) {                       \
    __atomic_store_n(a, v, __ATOMIC_SEQ_CST);                                             \
  }                                                                                       \
  type __tsan_atomic##bits##_exchange(volatile type* a, type v, int) {                    \
    return __atomic_exchange_n(a, v, __ATOMIC_SEQ_CST);                                   \
  }                                                                                       \
  type __tsan_atomic##bits##_fetch_add(volatile type* a, type v, int) {                   \
    return __atomic_fetch_add(a, v, __ATOMIC_SEQ_CST);                                    \
  }                                                                                       \
  type __tsan_atomic##bits##_fetch_sub(volatile type* a, type v, int) {                   \
    return __atomic_fetch_sub(a, v, __ATOMIC_SEQ_CST);                                    \
  }                                                                                       \
  int __tsan_atomic##bits##_compare_exchange_strong(volatile type* a, type* c, type v, int, \
                                                    int) {                                \
    return __atomic_compare_exchange_n(a, c, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); \
  }                                                                                       \
  int __tsan_atomic##bits##_compare_exchange_weak(volatile type* a, type* c, type v, int,   \
                                                  int) {                                  \
    return __atomic_compare_exchange_n(a, c, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); \
  }                                                                                       \
  type __tsan_atomic##bits##_compare_exchange_val(volatile type* a, type c, type v, int,    \
                                                  int) {                                  \
    __atomic_compare_exchange_n(a, &c, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);     \
    return c;                                                                             \
  }
CG_TSAN_ATOMICS(8, unsigned char)
CG_TSAN_ATOMICS(16, unsigned short)
CG_TSAN_ATOMICS(32, unsigned int)
CG_TSAN_ATOMICS(64, unsigned long long)
#undef CG_TSAN_ATOMICS
void __tsan_atomic_thread_fence(int) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
void __tsan_atomic_signal_fence(int) { __atomic_signal_fence(__ATOMIC_SEQ_CST); }
}
