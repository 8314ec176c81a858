// The image cache: contents equal to decoding directly, reuse, rebuilds on
// every change that matters, unreadable images, and atomic writes.
#include <doctest/doctest.h>

#include <cstring>
#include <fstream>

#include "data/cache.h"
#include "data_test_util.h"

using namespace cudagrad::data;
using cudagrad_test::error_of;
using cudagrad_test::TempDir;
using cudagrad_test::write_file;
namespace fs = std::filesystem;

namespace {

// n small JPEGs with distinct content, as samples.
std::vector<Sample> write_small_images(const TempDir& t, int n) {
  std::vector<Sample> samples;
  for (int i = 0; i < n; ++i) {
    Image im;
    im.width = 40;
    im.height = 30;
    for (int p = 0; p < 40 * 30; ++p)
      for (int c = 0; c < 3; ++c)
        im.pixels.push_back(static_cast<uint8_t>((p * (i + 1) + 60 * c) % 256));
    std::string path = t / ("img" + std::to_string(i) + ".jpg");
    write_image(path, im);
    samples.push_back({"img" + std::to_string(i), path, i % 3, "g" + std::to_string(i)});
  }
  return samples;
}

CacheOptions small(int size = 16) {
  CacheOptions o;
  o.width = o.height = size;
  o.threads = 2;
  o.progress = false;
  return o;
}

bool cache_matches_direct_decode(const ImageCache& cache, const std::vector<Sample>& samples) {
  for (size_t i = 0; i < samples.size(); ++i) {
    Image direct = load_resized(samples[i].image_path, cache.width(), cache.height());
    if (std::memcmp(cache.image(i), direct.pixels.data(), cache.image_bytes()) != 0) return false;
    if (cache.label(i) != samples[i].label || cache.image_id(i) != samples[i].image_id)
      return false;
  }
  return true;
}

}  // namespace

TEST_CASE("cache: real HAM10000 images round trip through the cache") {
  REQUIRE_SHARED_DATA(dir, "ham10000");
  DatasetOptions o;
  o.skip_missing = true;
  Dataset d = load_dataset(dir, o);
  TempDir t("realcache");
  const std::string path = cache_path_for(t.path().string(), d, 32, 32);
  CHECK(path.find("ham10000-") != std::string::npos);
  CHECK(path.size() > 12);
  CHECK(path.compare(path.size() - 14, 14, "-32x32.cgcache") == 0);
  ImageCache built = ImageCache::open_or_build(path, d.samples, small(32));
  CHECK(built.built_now());
  CHECK(built.size() == 206);
  CHECK(built.unreadable().empty());
  CHECK(cache_matches_direct_decode(built, d.samples));
  ImageCache reused = ImageCache::open_or_build(path, d.samples, small(32));
  CHECK_FALSE(reused.built_now());
  CHECK(std::memcmp(reused.image(205), built.image(205), reused.image_bytes()) == 0);
}

TEST_CASE("cache: reused when nothing changed, rebuilt when anything did") {
  TempDir t("cache");
  auto samples = write_small_images(t, 7);
  const std::string path = t / "c.cgcache";
  ImageCache first = ImageCache::open_or_build(path, samples, small());
  CHECK(first.built_now());
  CHECK(first.size() == 7);
  CHECK(first.width() == 16);
  CHECK(cache_matches_direct_decode(first, samples));
  CHECK_FALSE(fs::exists(path + ".tmp." + std::to_string(::getpid())));
  CHECK_FALSE(ImageCache::open_or_build(path, samples, small()).built_now());

  auto relabelled = samples;
  relabelled[3].label = 2;
  ImageCache r = ImageCache::open_or_build(path, relabelled, small());
  CHECK(r.built_now());
  CHECK(r.label(3) == 2);

  auto fewer = samples;
  fewer.pop_back();
  CHECK(ImageCache::open_or_build(path, fewer, small()).built_now());
  CHECK(ImageCache::open_or_build(path, samples, small(20)).built_now());
  CHECK(ImageCache::open_or_build(path, samples, small(20)).image_bytes() == 20 * 20 * 3);
  // The cache folder is created when missing.
  CHECK(ImageCache::open_or_build(t / "made/for/it/c.cgcache", samples, small()).size() == 7);

  // A replaced image file (different size on disk) is noticed.
  ImageCache before = ImageCache::open_or_build(path, samples, small());
  Image flat;
  flat.width = 40;
  flat.height = 30;
  flat.pixels.assign(40 * 30 * 3, 200);
  write_image(samples[0].image_path, flat);
  ImageCache after = ImageCache::open_or_build(path, samples, small());
  CHECK(after.built_now());
  CHECK(after.image(0)[0] == 200);
  // The old mapping still shows the old file: the rename left it intact.
  CHECK(before.image(0)[0] != 200);
}

TEST_CASE("cache: damaged or foreign files") {
  TempDir t("cachebad");
  auto samples = write_small_images(t, 3);
  const std::string path = t / "c.cgcache";
  write_file(path, "not a cache at all");
  CHECK(error_of([&] { ImageCache::open(path); }) == path + ": not a cudagrad image cache");
  CHECK(ImageCache::open_or_build(path, samples, small()).built_now());
  // Cut short: open() refuses it, open_or_build() rebuilds it.
  fs::resize_file(path, fs::file_size(path) - 100);
  CHECK(error_of([&] { ImageCache::open(path); }).find("delete it to rebuild") !=
        std::string::npos);
  ImageCache rebuilt = ImageCache::open_or_build(path, samples, small());
  CHECK(rebuilt.built_now());
  CHECK(cache_matches_direct_decode(rebuilt, samples));

  // A section offset or length damaged in the header (labels, status, ids,
  // ids length: the 64-bit fields at bytes 40..71). Used as a pointer it
  // would read outside the file; it must be "damaged", and open_or_build
  // must rebuild rather than trust it.
  for (size_t field = 40; field < 72; field += 8) {
    CAPTURE(field);
    const uint64_t huge = uint64_t(1) << 62;
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(field));
    f.write(reinterpret_cast<const char*>(&huge), sizeof huge);
    f.close();
    CHECK(error_of([&] { ImageCache::open(path); }).find(": damaged cache") != std::string::npos);
    ImageCache again = ImageCache::open_or_build(path, samples, small());
    CHECK(again.built_now());
    CHECK(cache_matches_direct_decode(again, samples));
  }
}

TEST_CASE("cache: an unreadable image is an error, or skipped and marked") {
  TempDir t("cacheunreadable");
  auto samples = write_small_images(t, 5);
  write_file(samples[2].image_path, "garbage, not a JPEG");
  const std::string path = t / "c.cgcache";
  CHECK(error_of([&] { ImageCache::open_or_build(path, samples, small()); }) ==
        samples[2].image_path + ": not a JPEG or PNG file (while building the cache " + path + ")");
  CHECK_FALSE(fs::exists(path));  // nothing half-built left behind
  CHECK(std::distance(fs::directory_iterator(t.path()), fs::directory_iterator()) == 5);
  CacheOptions skip = small();
  skip.skip_unreadable = true;
  ImageCache c = ImageCache::open_or_build(path, samples, skip);
  CHECK(c.unreadable() == std::vector<int64_t>{2});
  CHECK_FALSE(c.readable(2));
  CHECK(readable_indices(c, {0, 1, 2, 3, 4}) == std::vector<int64_t>{0, 1, 3, 4});
  CHECK(error_of([&] { c.image(5); }).find("outside [0, 5)") != std::string::npos);
}
