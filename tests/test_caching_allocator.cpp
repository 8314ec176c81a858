// The CUDA backend's caching allocator (kernels/cuda/caching_allocator.h),
// tested on the host: the bookkeeping takes its raw allocate/free as
// functions, here malloc/free under a byte budget that plays the GPU's
// memory, so buckets, reuse, statistics, the release-and-retry step and the
// out-of-memory message are all checked without a GPU.
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "base/error.h"
#include "engine/device.h"
#include "engine/tensor.h"
#include "kernels/cuda/caching_allocator.h"

using namespace cudagrad;

namespace {

constexpr size_t KiB = 1024, MiB = 1024 * 1024;

// malloc with a budget, counting what reaches it.
struct FakeDevice {
  size_t budget, in_use = 0;
  int allocations = 0, frees = 0;
  std::vector<std::pair<void*, size_t>> blocks;

  explicit FakeDevice(size_t b) : budget(b) {}
  DeviceCachingAllocator::RawMemory raw() {
    DeviceCachingAllocator::RawMemory r;
    r.allocate = [this](size_t bytes) -> void* {
      if (in_use + bytes > budget) return nullptr;
      in_use += bytes;
      ++allocations;
      void* p = std::malloc(bytes);
      blocks.emplace_back(p, bytes);
      return p;
    };
    r.free = [this](void* p) {
      for (auto it = blocks.begin(); it != blocks.end(); ++it) {
        if (it->first == p) {
          in_use -= it->second;
          blocks.erase(it);
          break;
        }
      }
      ++frees;
      std::free(p);
    };
    r.out_of_memory_note = [this] {
      return "the fake device has " + std::to_string(budget - in_use) + " bytes free";
    };
    return r;
  }
};

}  // namespace

TEST_CASE("caching allocator: buckets of 512 B below 1 MiB, of 2 MiB above") {
  CHECK(DeviceCachingAllocator::bucket_size(0) == 512);
  CHECK(DeviceCachingAllocator::bucket_size(1) == 512);
  CHECK(DeviceCachingAllocator::bucket_size(512) == 512);
  CHECK(DeviceCachingAllocator::bucket_size(513) == 1024);
  CHECK(DeviceCachingAllocator::bucket_size(MiB - 1) == MiB);
  CHECK(DeviceCachingAllocator::bucket_size(MiB) == 2 * MiB);
  CHECK(DeviceCachingAllocator::bucket_size(2 * MiB) == 2 * MiB);
  CHECK(DeviceCachingAllocator::bucket_size(2 * MiB + 1) == 4 * MiB);
  CHECK(DeviceCachingAllocator::bucket_size(100 * MiB + 3) == 102 * MiB);
}

TEST_CASE("caching allocator: a freed block serves the next request of its bucket") {
  FakeDevice device(64 * MiB);
  DeviceCachingAllocator a(device.raw());
  void* p = a.allocate(1000);
  CHECK(a.owns(p));
  CHECK(a.deallocate(p));
  CHECK_FALSE(a.owns(p));
  void* q = a.allocate(900);  // bucket 1024, like 1000
  CHECK(q == p);
  void* r = a.allocate(1500);  // bucket 1536: a new block
  CHECK(r != p);
  CHECK(device.allocations == 2);
  const DeviceAllocatorStats s = a.stats();
  CHECK(s.allocated == 1024 + 1536);
  CHECK(s.requested == 900 + 1500);
  CHECK(s.reserved == 1024 + 1536);
  CHECK(s.raw_allocations == 2);
  CHECK(s.cache_hits == 1);
  a.deallocate(q);
  a.deallocate(r);
}

TEST_CASE("caching allocator: allocated, reserved and peak, and release on demand") {
  FakeDevice device(64 * MiB);
  DeviceCachingAllocator a(device.raw());
  void* big = a.allocate(3 * MiB);  // 4 MiB bucket
  void* small = a.allocate(100);    // 512 B bucket
  CHECK(a.stats().allocated == 4 * MiB + 512);
  CHECK(a.stats().peak == 4 * MiB + 512);
  a.deallocate(big);
  CHECK(a.stats().allocated == 512);
  CHECK(a.stats().reserved == 4 * MiB + 512);  // the big block is cached, not returned
  CHECK(a.stats().peak == 4 * MiB + 512);
  CHECK(device.frees == 0);
  a.release_cached();
  CHECK(device.frees == 1);
  CHECK(a.stats().reserved == 512);
  CHECK(device.in_use == 512);
  CHECK_FALSE(a.deallocate(reinterpret_cast<void*>(&device)));  // not ours: refused
  a.deallocate(small);
}

TEST_CASE("caching allocator: when the device is full, cached blocks are released and retried") {
  FakeDevice device(4 * KiB);
  DeviceCachingAllocator a(device.raw());
  a.deallocate(a.allocate(2 * KiB));  // 2 KiB cached
  void* p = a.allocate(3 * KiB);      // does not fit beside the cached block
  CHECK(p != nullptr);
  CHECK(device.frees == 1);
  CHECK(a.stats().reserved == 3 * KiB);
  a.deallocate(p);
}

TEST_CASE(
    "caching allocator: out of memory names the request, what is held and free, and --batch") {
  FakeDevice device(4 * KiB);
  DeviceCachingAllocator a(device.raw());
  void* held = a.allocate(KiB);
  std::string message;
  try {
    a.allocate(8 * KiB);
  } catch (const Error& e) {
    message = e.what();
  }
  INFO(message);
  CHECK(message.find("out of device memory") != std::string::npos);
  CHECK(message.find("8192 bytes") != std::string::npos);
  CHECK(message.find("holds 1.00 KiB in live tensors") != std::string::npos);
  CHECK(message.find("the fake device has 3072 bytes free") != std::string::npos);
  CHECK(message.find("smaller --batch") != std::string::npos);
  CHECK(a.stats().allocated == KiB);  // the failed request changed nothing
  a.deallocate(held);
}

TEST_CASE("caching allocator: destruction returns cached blocks only") {
  FakeDevice device(64 * MiB);
  void* live = nullptr;
  {
    DeviceCachingAllocator a(device.raw());
    a.deallocate(a.allocate(5000));
    live = a.allocate(7000);
  }
  CHECK(device.frees == 1);  // the cached block; the live one still belongs to its owner
  REQUIRE(device.blocks.size() == 1);
  CHECK(device.blocks[0].first == live);
  std::free(live);
}

TEST_CASE("caching allocator: threads may allocate and free at once") {
  FakeDevice device(256 * MiB);
  DeviceCachingAllocator a(device.raw());
  auto work = [&a](size_t size) {
    for (int i = 0; i < 2000; ++i)
      a.deallocate(a.allocate(size + static_cast<size_t>(i % 7) * 512));
  };
  std::thread t1(work, 1000), t2(work, 3000);
  t1.join();
  t2.join();
  CHECK(a.stats().allocated == 0);
  CHECK(a.stats().requested == 0);
}

TEST_CASE("caching allocator: sizes in messages") {
  CHECK(format_bytes(0) == "0 B");
  CHECK(format_bytes(512) == "512 B");
  CHECK(format_bytes(1536) == "1.50 KiB");
  CHECK(format_bytes(3 * MiB) == "3.00 MiB");
}

TEST_CASE("memory_stats: the CPU allocator's counters follow tensors") {
  const MemoryStats before = memory_stats(Device::cpu());
  {
    Tensor t = Tensor::zeros({1000});
    CHECK(memory_stats(Device::cpu()).allocated >= before.allocated + 4000);
    CHECK(memory_stats(Device::cpu()).peak >= before.allocated + 4000);
  }
  CHECK(memory_stats(Device::cpu()).allocated == before.allocated);
  if (cuda_status().devices == 0) CHECK_THROWS_AS(memory_stats(Device::cuda()), Error);
}
