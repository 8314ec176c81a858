// Host memory for the reference backend: 64-byte aligned blocks (one cache
// line, and enough for any SIMD load a faster CPU backend might issue) and
// plain memcpy, since every pointer here is in host memory.
#include <cstdlib>
#include <cstring>

#include "base/error.h"
#include "kernels/reference/reference.h"

namespace cudagrad {
namespace reference {

namespace {
constexpr size_t kAlignment = 64;
}  // namespace

// std::aligned_alloc needs a size that is a multiple of the alignment; a
// zero-byte request still gets a real (one-line) block, so the result is
// never nullptr.
void* allocate(size_t bytes) {
  size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  if (rounded == 0) rounded = kAlignment;
  void* ptr = std::aligned_alloc(kAlignment, rounded);
  CG_CHECK(ptr != nullptr, "out of host memory allocating " << bytes << " bytes");
  return ptr;
}

void deallocate(void* ptr) { std::free(ptr); }

// memcpy with a null pointer is undefined even for zero bytes, hence the guard.
void copy_from_host(void* dst, const void* host_src, size_t bytes) {
  if (bytes > 0) std::memcpy(dst, host_src, bytes);
}

void copy_to_host(void* host_dst, const void* src, size_t bytes) {
  if (bytes > 0) std::memcpy(host_dst, src, bytes);
}

void copy(void* dst, const void* src, size_t bytes) {
  if (bytes > 0) std::memcpy(dst, src, bytes);
}

}  // namespace reference
}  // namespace cudagrad
