// The decoded-image cache: every image of a dataset decoded and resized once
// into one binary file, then memory-mapped on every later run. Decoding a
// 600x450 JPEG costs milliseconds; reading 224x224x3 bytes from the page
// cache costs microseconds, so training stops waiting for the decoder.
//
// File layout (host byte order; a cache belongs to the machine that built it):
//
//   CacheHeader      magic "CGIMGCAC", format version, width, height,
//                    channels (3), count, key, and the offsets below
//   labels           int32[count]
//   status           uint8[count]: 1 decoded, 0 unreadable (skipped)
//   ids              the image ids, each followed by '\n'
//   pixels           uint8[count][height][width][3], at a 4096-byte boundary
//
// `key` hashes the format version, the size, and every image's id, label
// and file size, in order. Opening with a different image list, labels,
// size, format version, or a replaced image file rebuilds the cache. It is
// built with one decoding thread per core into a temporary file that is
// renamed into place when complete, so an interrupted build leaves nothing.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "data/image.h"

namespace cudagrad {
namespace data {

constexpr uint32_t kCacheFormatVersion = 1;

struct CacheOptions {
  int width = 224, height = 224;
  int threads = 0;  // decoding threads; 0: one per core
  JpegDecoder decoder = JpegDecoder::automatic;
  // A corrupt image: an Error naming it (false), or stored as zeros, marked
  // unreadable and counted (true).
  bool skip_unreadable = false;
  bool progress = true;  // progress line on stderr while building
};

class ImageCache {
 public:
  // Maps the cache at `path` when it matches `samples` and `options`,
  // otherwise builds it first.
  static ImageCache open_or_build(const std::string& path, const std::vector<Sample>& samples,
                                  const CacheOptions& options = {});
  // Maps an existing cache without comparing it to a dataset.
  static ImageCache open(const std::string& path);

  ImageCache(ImageCache&& other) noexcept;
  ImageCache& operator=(ImageCache&& other) noexcept;
  ImageCache(const ImageCache&) = delete;
  ImageCache& operator=(const ImageCache&) = delete;
  ~ImageCache();

  int width() const { return width_; }
  int height() const { return height_; }
  int64_t size() const { return count_; }
  size_t image_bytes() const { return static_cast<size_t>(width_) * height_ * 3; }
  const uint8_t* image(int64_t i) const;  // (height, width, 3)
  int32_t label(int64_t i) const;
  bool readable(int64_t i) const;
  const std::string& image_id(int64_t i) const { return ids_.at(i); }
  std::vector<int64_t> unreadable() const;       // indices marked unreadable
  bool built_now() const { return built_now_; }  // open_or_build had to build
  const std::string& path() const { return path_; }

 private:
  ImageCache() = default;
  void unmap();

  std::string path_;
  void* map_ = nullptr;
  size_t map_bytes_ = 0;
  int width_ = 0, height_ = 0;
  int64_t count_ = 0;
  const int32_t* labels_ = nullptr;
  const uint8_t* status_ = nullptr;
  const uint8_t* pixels_ = nullptr;
  std::vector<std::string> ids_;
  bool built_now_ = false;
};

// `indices` without the images the cache marks unreadable.
std::vector<int64_t> readable_indices(const ImageCache& cache, const std::vector<int64_t>& indices);

// Where the cache for `dataset` at width x height lives in `cache_dir`:
// <layout>-<hash of the source path>-<W>x<H>.cgcache.
std::string cache_path_for(const std::string& cache_dir, const Dataset& dataset, int width,
                           int height);

}  // namespace data
}  // namespace cudagrad
