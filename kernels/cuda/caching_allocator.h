// The bookkeeping of the CUDA backend's caching allocator, in plain C++ so
// that it can be tested on a machine without a GPU (tests/test_caching_allocator.cpp).
//
// Why cache: cudaMalloc and cudaFree are slow (cudaFree also waits for the
// whole device to finish), and a training step allocates the same sizes in
// every step. So a freed block is not returned to the driver but kept in a
// free list for its size, and the next request of that size takes it back.
//
// Sizes are rounded up into buckets so that nearly equal requests share
// blocks:  below 1 MiB to a multiple of 512 bytes (the alignment cudaMalloc
// gives anyway), from 1 MiB to a multiple of 2 MiB (the driver's page size
// for large allocations). A request takes a cached block of exactly its
// bucket: no splitting, so a block is never shared and freeing is O(1).
//
// When the raw allocator fails, every cached block is released and the
// request retried once (memory cached for other sizes may be what is
// missing); if it fails again, an Error says what was asked for, what this
// allocator holds, and what the device reports free (out_of_memory_note).
//
// Reusing a freed block at once is safe only because every kernel and copy
// of the backend runs on one stream per device: work that still reads the
// old tensor is queued before any work that writes the new one.
#pragma once
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace cudagrad {

struct DeviceAllocatorStats {
  size_t allocated = 0;        // bytes in blocks held by live tensors (rounded sizes)
  size_t reserved = 0;         // allocated plus cached free blocks: what the driver gave us
  size_t peak = 0;             // the most ever allocated at once
  size_t requested = 0;        // bytes asked for by live blocks, before rounding
  size_t raw_allocations = 0;  // calls that reached the raw allocator
  size_t cache_hits = 0;       // requests served from a free list
};

class DeviceCachingAllocator {
 public:
  struct RawMemory {
    std::function<void*(size_t)> allocate;  // returns nullptr when out of memory
    std::function<void(void*)> free;
    // Appended to the out-of-memory message: e.g. "3.1 GiB of 80 GiB free on
    // the device". May be empty.
    std::function<std::string()> out_of_memory_note;
  };

  static constexpr size_t kSmallAlignment = 512;
  static constexpr size_t kLargeThreshold = size_t(1) << 20;  // 1 MiB
  static constexpr size_t kLargeAlignment = size_t(2) << 20;  // 2 MiB

  explicit DeviceCachingAllocator(RawMemory raw);
  ~DeviceCachingAllocator();  // frees the cached blocks (live blocks belong to their owners)
  DeviceCachingAllocator(const DeviceCachingAllocator&) = delete;
  DeviceCachingAllocator& operator=(const DeviceCachingAllocator&) = delete;

  // The bucket of a request: its size rounded as described above (0 -> 512).
  static size_t bucket_size(size_t bytes);

  void* allocate(size_t bytes);  // throws cudagrad::Error when out of memory
  // Returns false (and does nothing) for a pointer this allocator did not give out.
  bool deallocate(void* ptr);
  bool owns(void* ptr) const;
  void release_cached();  // returns every cached free block to the raw allocator
  DeviceAllocatorStats stats() const;

 private:
  void* allocate_raw(size_t size);  // with the release-and-retry step; mutex held
  void release_cached_locked();

  struct Block {
    size_t size;       // the bucket
    size_t requested;  // what the caller asked for
  };
  RawMemory raw_;
  mutable std::mutex mutex_;  // tensors may be freed on other threads (data loaders)
  std::unordered_map<size_t, std::vector<void*>> free_blocks_;  // bucket -> cached blocks
  std::unordered_map<void*, Block> live_;
  DeviceAllocatorStats stats_;
};

// "1.5 MiB", "512 B": sizes for messages.
std::string format_bytes(size_t bytes);

}  // namespace cudagrad
