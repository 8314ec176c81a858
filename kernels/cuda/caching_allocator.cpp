#include "kernels/cuda/caching_allocator.h"

#include <cstdio>

#include "base/error.h"

namespace cudagrad {

std::string format_bytes(size_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.2f %s", value, units[unit]);
  return text;
}

DeviceCachingAllocator::DeviceCachingAllocator(RawMemory raw) : raw_(std::move(raw)) {
  CG_CHECK(raw_.allocate && raw_.free,
           "DeviceCachingAllocator needs raw allocate and free functions");
}

DeviceCachingAllocator::~DeviceCachingAllocator() {
  std::lock_guard<std::mutex> lock(mutex_);
  release_cached_locked();
}

size_t DeviceCachingAllocator::bucket_size(size_t bytes) {
  if (bytes == 0) return kSmallAlignment;
  const size_t alignment = bytes < kLargeThreshold ? kSmallAlignment : kLargeAlignment;
  return (bytes + alignment - 1) / alignment * alignment;
}

void* DeviceCachingAllocator::allocate(size_t bytes) {
  const size_t size = bucket_size(bytes);
  std::lock_guard<std::mutex> lock(mutex_);
  void* ptr = nullptr;
  auto it = free_blocks_.find(size);
  if (it != free_blocks_.end() && !it->second.empty()) {
    ptr = it->second.back();
    it->second.pop_back();
    ++stats_.cache_hits;
  } else {
    ptr = allocate_raw(size);
    if (!ptr) {
      std::string note = raw_.out_of_memory_note ? raw_.out_of_memory_note() : "";
      CG_FAIL("out of device memory: cannot allocate "
              << format_bytes(bytes) << " (" << bytes << " bytes, rounded to " << format_bytes(size)
              << "); cudagrad holds " << format_bytes(stats_.allocated) << " in live tensors (peak "
              << format_bytes(stats_.peak) << ") and had released its cache before retrying"
              << (note.empty() ? "" : "; " + note) << ". Try a smaller --batch.");
    }
  }
  live_[ptr] = Block{size, bytes};
  stats_.allocated += size;
  stats_.requested += bytes;
  if (stats_.allocated > stats_.peak) stats_.peak = stats_.allocated;
  return ptr;
}

void* DeviceCachingAllocator::allocate_raw(size_t size) {
  void* ptr = raw_.allocate(size);
  if (!ptr && stats_.reserved > stats_.allocated) {
    // Blocks cached for other sizes may be exactly what is missing.
    release_cached_locked();
    ptr = raw_.allocate(size);
  }
  if (ptr) {
    ++stats_.raw_allocations;
    stats_.reserved += size;
  }
  return ptr;
}

bool DeviceCachingAllocator::deallocate(void* ptr) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = live_.find(ptr);
  if (it == live_.end()) return false;
  stats_.allocated -= it->second.size;
  stats_.requested -= it->second.requested;
  free_blocks_[it->second.size].push_back(ptr);
  live_.erase(it);
  return true;
}

bool DeviceCachingAllocator::owns(void* ptr) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return live_.count(ptr) > 0;
}

void DeviceCachingAllocator::release_cached() {
  std::lock_guard<std::mutex> lock(mutex_);
  release_cached_locked();
}

void DeviceCachingAllocator::release_cached_locked() {
  for (auto& [size, blocks] : free_blocks_) {
    for (void* p : blocks) raw_.free(p);
    stats_.reserved -= size * blocks.size();
  }
  free_blocks_.clear();
}

DeviceAllocatorStats DeviceCachingAllocator::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

}  // namespace cudagrad
