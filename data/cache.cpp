// Opening (and validating) a cache file; building one is in cache_build.cpp.
#include "data/cache.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "base/files.h"
#include "data/cache_format.h"
#include "data/data_error.h"

namespace cudagrad {
namespace data {

namespace detail {

namespace {

// FNV-1a, 64-bit: a plain, well-known hash; collisions only cost a rebuild.
struct Fnv1a {
  uint64_t h = 0xCBF29CE484222325ull;
  void add(const void* data, size_t n) {
    const auto* p = static_cast<const uint8_t*>(data);
    for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001B3ull;
  }
  template <class T>
  void add_value(const T& v) {
    add(&v, sizeof v);
  }
};

uint64_t round_up(uint64_t x, uint64_t to) { return (x + to - 1) / to * to; }

}  // namespace

std::string ids_section(const std::vector<Sample>& samples) {
  std::string ids;
  for (const auto& s : samples) ids += s.image_id + '\n';
  return ids;
}

CacheHeader expected_header(const std::vector<Sample>& samples, int width, int height) {
  CG_CHECK(width > 0 && height > 0 && width <= kMaxImageSide && height <= kMaxImageSide,
           "cache size " << width << "x" << height << " is outside 1.." << kMaxImageSide);
  CacheHeader h{};
  std::memcpy(h.magic, kCacheMagic, sizeof h.magic);
  h.version = kCacheFormatVersion;
  h.width = static_cast<uint32_t>(width);
  h.height = static_cast<uint32_t>(height);
  h.channels = 3;
  h.count = samples.size();
  Fnv1a key;
  key.add_value(h.version);
  key.add_value(h.width);
  key.add_value(h.height);
  for (const auto& s : samples) {
    key.add(s.image_id.data(), s.image_id.size() + 1);  // with the terminating 0 as separator
    key.add_value(s.label);
    std::error_code ec;
    const uint64_t bytes = std::filesystem::file_size(s.image_path, ec);
    key.add_value(ec ? UINT64_MAX : bytes);
  }
  h.key = key.h;
  h.labels_offset = sizeof(CacheHeader);
  h.status_offset = h.labels_offset + 4 * h.count;
  h.ids_offset = h.status_offset + h.count;
  h.ids_bytes = ids_section(samples).size();
  h.pixels_offset = round_up(h.ids_offset + h.ids_bytes, 4096);
  h.file_bytes = h.pixels_offset + h.count * width * height * 3;
  return h;
}

}  // namespace detail

namespace {

// The header of the file at `path`, or false when it cannot be read or the
// file is not as long as the header says (a copy cut short).
bool read_header(const std::string& path, detail::CacheHeader& header) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st {};
  const bool ok = ::pread(fd, &header, sizeof header, 0) == static_cast<ssize_t>(sizeof header) &&
                  ::fstat(fd, &st) == 0 && static_cast<uint64_t>(st.st_size) == header.file_bytes;
  ::close(fd);
  return ok;
}

bool same_layout(const detail::CacheHeader& a, const detail::CacheHeader& b) {
  return std::memcmp(a.magic, b.magic, sizeof a.magic) == 0 && a.version == b.version &&
         a.width == b.width && a.height == b.height && a.channels == b.channels &&
         a.count == b.count && a.key == b.key && a.labels_offset == b.labels_offset &&
         a.status_offset == b.status_offset && a.ids_offset == b.ids_offset &&
         a.ids_bytes == b.ids_bytes && a.pixels_offset == b.pixels_offset &&
         a.file_bytes == b.file_bytes;
}

}  // namespace

ImageCache ImageCache::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) data_error(path, ": cannot open cache (", std::strerror(errno), ")");
  struct stat st {};
  ::fstat(fd, &st);
  const size_t bytes = static_cast<size_t>(st.st_size);
  detail::CacheHeader h{};
  if (bytes < sizeof h || ::pread(fd, &h, sizeof h, 0) != static_cast<ssize_t>(sizeof h) ||
      std::memcmp(h.magic, detail::kCacheMagic, sizeof h.magic) != 0) {
    ::close(fd);
    data_error(path, ": not a cudagrad image cache");
  }
  // Bounds first, so that the size arithmetic below cannot overflow; then
  // every section exactly where the format puts it, since the offsets are
  // used as pointers into the mapping (a flipped bit in the header must be
  // "damaged", not a read outside the file).
  const bool bounded = h.width >= 1 && h.width <= kMaxImageSide && h.height >= 1 &&
                       h.height <= kMaxImageSide && h.count < (uint64_t(1) << 32) &&
                       h.ids_bytes <= bytes;
  const uint64_t labels_at = sizeof h, status_at = labels_at + 4 * h.count,
                 ids_at = status_at + h.count;
  const bool sane = bounded && h.labels_offset == labels_at && h.status_offset == status_at &&
                    h.ids_offset == ids_at &&
                    h.pixels_offset == (ids_at + h.ids_bytes + 4095) / 4096 * 4096 &&
                    h.pixels_offset <= bytes;
  if (h.version != kCacheFormatVersion) {
    ::close(fd);
    data_error(path, ": cache format ", h.version, ", this build reads format ",
               kCacheFormatVersion, "; delete it to rebuild");
  }
  if (!sane || h.file_bytes != bytes || h.channels != 3 ||
      h.pixels_offset + h.count * h.width * h.height * 3 != bytes) {
    ::close(fd);
    data_error(path, ": damaged cache (", bytes, " bytes, the header describes ", h.file_bytes,
               "); delete it to rebuild");
  }
  void* map = ::mmap(nullptr, bytes, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);  // the mapping keeps the file open
  if (map == MAP_FAILED) data_error(path, ": cannot map cache (", std::strerror(errno), ")");

  ImageCache cache;
  cache.path_ = path;
  cache.map_ = map;
  cache.map_bytes_ = bytes;
  cache.width_ = static_cast<int>(h.width);
  cache.height_ = static_cast<int>(h.height);
  cache.count_ = static_cast<int64_t>(h.count);
  const auto* base = static_cast<const uint8_t*>(map);
  cache.labels_ = reinterpret_cast<const int32_t*>(base + h.labels_offset);
  cache.status_ = base + h.status_offset;
  cache.pixels_ = base + h.pixels_offset;
  const char* ids = reinterpret_cast<const char*>(base + h.ids_offset);
  size_t start = 0;
  for (size_t i = 0; i < h.ids_bytes; ++i)
    if (ids[i] == '\n') {
      cache.ids_.emplace_back(ids + start, i - start);
      start = i + 1;
    }
  if (static_cast<int64_t>(cache.ids_.size()) != cache.count_)
    data_error(path, ": damaged cache (id list)");
  return cache;
}

ImageCache ImageCache::open_or_build(const std::string& path, const std::vector<Sample>& samples,
                                     const CacheOptions& options) {
  CG_CHECK(!samples.empty(), "cannot cache an empty list of images");
  const detail::CacheHeader expected =
      detail::expected_header(samples, options.width, options.height);
  detail::CacheHeader found{};
  // A build killed outright (SIGKILL, a power cut) left its temporary, as
  // large as the cache; it goes now even when this cache needs no build.
  const std::filesystem::path folder = std::filesystem::path(path).parent_path();
  files::remove_stale_temporaries(folder.empty() ? "." : folder.string());
  const bool reuse = read_header(path, found) && same_layout(found, expected);
  if (!reuse) {
    const std::filesystem::path parent = std::filesystem::path(path).parent_path();
    std::error_code ec;
    if (!parent.empty())
      std::filesystem::create_directories(parent, ec);  // a failure shows up on create
    detail::build_cache_file(path, samples, expected, options);
  }
  ImageCache cache = open(path);
  cache.built_now_ = !reuse;
  return cache;
}

ImageCache::ImageCache(ImageCache&& o) noexcept { *this = std::move(o); }

ImageCache& ImageCache::operator=(ImageCache&& o) noexcept {
  if (this != &o) {
    unmap();
    path_ = std::move(o.path_);
    map_ = o.map_;
    map_bytes_ = o.map_bytes_;
    width_ = o.width_;
    height_ = o.height_;
    count_ = o.count_;
    labels_ = o.labels_;
    status_ = o.status_;
    pixels_ = o.pixels_;
    ids_ = std::move(o.ids_);
    built_now_ = o.built_now_;
    o.map_ = nullptr;
    o.map_bytes_ = 0;
    o.count_ = 0;
  }
  return *this;
}

ImageCache::~ImageCache() { unmap(); }

void ImageCache::unmap() {
  if (map_) ::munmap(map_, map_bytes_);
  map_ = nullptr;
}

const uint8_t* ImageCache::image(int64_t i) const {
  CG_CHECK(i >= 0 && i < count_, "cache image " << i << " outside [0, " << count_ << ")");
  return pixels_ + static_cast<size_t>(i) * image_bytes();
}

int32_t ImageCache::label(int64_t i) const {
  CG_CHECK(i >= 0 && i < count_, "cache label " << i << " outside [0, " << count_ << ")");
  return labels_[i];
}

bool ImageCache::readable(int64_t i) const {
  CG_CHECK(i >= 0 && i < count_, "cache entry " << i << " outside [0, " << count_ << ")");
  return status_[i] != 0;
}

std::vector<int64_t> ImageCache::unreadable() const {
  std::vector<int64_t> out;
  for (int64_t i = 0; i < count_; ++i)
    if (!status_[i]) out.push_back(i);
  return out;
}

std::vector<int64_t> readable_indices(const ImageCache& cache,
                                      const std::vector<int64_t>& indices) {
  std::vector<int64_t> out;
  for (int64_t i : indices)
    if (cache.readable(i)) out.push_back(i);
  return out;
}

std::string cache_path_for(const std::string& cache_dir, const Dataset& dataset, int width,
                           int height) {
  std::error_code ec;
  std::string source = std::filesystem::weakly_canonical(dataset.source, ec).string();
  if (ec) source = dataset.source;
  uint64_t h = 0xCBF29CE484222325ull;
  for (unsigned char c : source) h = (h ^ c) * 0x100000001B3ull;
  char tag[17];
  std::snprintf(tag, sizeof tag, "%016llx", static_cast<unsigned long long>(h));
  return (std::filesystem::path(cache_dir) /
          (layout_name(dataset.layout) + "-" + std::string(tag, 8) + "-" + std::to_string(width) +
           "x" + std::to_string(height) + ".cgcache"))
      .string();
}

}  // namespace data
}  // namespace cudagrad
