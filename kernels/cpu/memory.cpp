// A caching allocator for host memory. A training step allocates the same
// sizes every step (activations, gradients, workspaces); returning freed
// blocks to the system and asking again costs page faults on every large
// block (glibc serves them with mmap). Instead freed blocks wait in a free
// list per exact (rounded) size and the next request of that size reuses one.
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "base/error.h"
#include "kernels/cpu/cpu.h"

namespace cudagrad {
namespace cpu {

namespace {

constexpr size_t kAlignment = 64;  // a cache line; enough for AVX-512 loads

// The allocator is process-wide, like malloc: tensors move between threads
// (a loader thread fills a batch, the training thread frees it).
struct CachingAllocator {
  std::mutex mutex;
  std::unordered_map<size_t, std::vector<void*>> free_blocks;  // rounded size -> blocks
  std::unordered_map<void*, size_t> block_size;                // live blocks
  AllocatorStats stats;
};

// Created once and never destroyed: a tensor in a static object may be freed
// after main() returns, and must still find its allocator. The cached blocks
// stay reachable through it, so leak checkers do not report them.
CachingAllocator& allocator() {
  static CachingAllocator* instance = new CachingAllocator;
  return *instance;
}

size_t rounded(size_t bytes) {
  size_t r = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  return r == 0 ? kAlignment : r;
}

}  // namespace

void* allocate(size_t bytes) {
  CachingAllocator& a = allocator();
  const size_t size = rounded(bytes);
  std::lock_guard<std::mutex> lock(a.mutex);
  void* ptr = nullptr;
  auto it = a.free_blocks.find(size);
  if (it != a.free_blocks.end() && !it->second.empty()) {
    ptr = it->second.back();
    it->second.pop_back();
  } else {
    ptr = std::aligned_alloc(kAlignment, size);
    CG_CHECK(ptr != nullptr, "out of host memory allocating " << bytes << " bytes ("
                                                              << a.stats.reserved
                                                              << " bytes already reserved)");
    a.stats.reserved += size;
  }
  a.block_size[ptr] = size;
  a.stats.allocated += size;
  if (a.stats.allocated > a.stats.peak) a.stats.peak = a.stats.allocated;
  return ptr;
}

void deallocate(void* ptr) {
  CachingAllocator& a = allocator();
  std::lock_guard<std::mutex> lock(a.mutex);
  auto it = a.block_size.find(ptr);
  if (it == a.block_size.end()) return;  // not ours: never happens for Storage
  a.stats.allocated -= it->second;
  a.free_blocks[it->second].push_back(ptr);
  a.block_size.erase(it);
}

void release_cached_memory() {
  CachingAllocator& a = allocator();
  std::lock_guard<std::mutex> lock(a.mutex);
  for (auto& [size, blocks] : a.free_blocks) {
    for (void* p : blocks) std::free(p);
    a.stats.reserved -= size * blocks.size();
  }
  a.free_blocks.clear();
}

AllocatorStats allocator_stats() {
  CachingAllocator& a = allocator();
  std::lock_guard<std::mutex> lock(a.mutex);
  return a.stats;
}

}  // namespace cpu
}  // namespace cudagrad
