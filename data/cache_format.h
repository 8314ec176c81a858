// The cache file's header and section layout, shared by cache.cpp (reading)
// and cache_build.cpp (writing). See cache.h for the format.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "data/cache.h"

namespace cudagrad {
namespace data {
namespace detail {

constexpr char kCacheMagic[8] = {'C', 'G', 'I', 'M', 'G', 'C', 'A', 'C'};

struct CacheHeader {
  char magic[8];
  uint32_t version;
  uint32_t width, height, channels;
  uint64_t count;
  uint64_t key;
  uint64_t labels_offset, status_offset, ids_offset, ids_bytes, pixels_offset;
  uint64_t file_bytes;  // the whole file, to catch a truncated one
};
static_assert(sizeof(CacheHeader) == 88, "CacheHeader must have no padding surprises");

// The header a cache of these samples at this size would have: offsets,
// sizes and key filled in. Reads each image file's size for the key.
CacheHeader expected_header(const std::vector<Sample>& samples, int width, int height);

// The ids section: every id followed by '\n'.
std::string ids_section(const std::vector<Sample>& samples);

// Decodes every sample into a new cache file at `path` with `header`
// (cache_build.cpp).
void build_cache_file(const std::string& path, const std::vector<Sample>& samples,
                      const CacheHeader& header, const CacheOptions& options);

}  // namespace detail
}  // namespace data
}  // namespace cudagrad
