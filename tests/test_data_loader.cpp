// The loader: every image once per epoch, in batches, identical for any
// thread count, shuffled per epoch, normalized NCHW, TTA views, restarts.
#include <doctest/doctest.h>

#include <algorithm>
#include <set>

#include "data/loader.h"
#include "data_test_util.h"

using namespace cudagrad::data;
using cudagrad_test::error_of;
using cudagrad_test::TempDir;

namespace {

// A cache of n generated 12x12 images (built once per test).
ImageCache small_cache(const TempDir& t, int n) {
  std::vector<Sample> samples;
  for (int i = 0; i < n; ++i) {
    Image im;
    im.width = 20;
    im.height = 20;
    for (int p = 0; p < 400; ++p)
      for (int c = 0; c < 3; ++c)
        im.pixels.push_back(static_cast<uint8_t>((p * 3 + i * 40 + c * 90) % 256));
    std::string path = t / ("i" + std::to_string(i) + ".png");
    write_image(path, im);
    samples.push_back({"i" + std::to_string(i), path, i % 4, "g"});
  }
  CacheOptions o;
  o.width = o.height = 12;
  o.threads = 2;
  o.progress = false;
  return ImageCache::open_or_build(t / "c.cgcache", samples, o);
}

std::vector<Batch> one_epoch(Loader& loader, int64_t epoch) {
  loader.start_epoch(epoch);
  std::vector<Batch> batches;
  Batch b;
  while (loader.next(b)) batches.push_back(b);
  return batches;
}

std::vector<int64_t> served(const std::vector<Batch>& batches) {
  std::vector<int64_t> all;
  for (const auto& b : batches) all.insert(all.end(), b.indices.begin(), b.indices.end());
  return all;
}

}  // namespace

TEST_CASE("loader: every image once per epoch, in batches, shuffled per epoch") {
  TempDir t("loader");
  ImageCache cache = small_cache(t, 23);
  std::vector<int64_t> indices;
  for (int64_t i = 0; i < 23; ++i)
    if (i != 5) indices.push_back(i);  // a split without image 5
  LoaderOptions o;
  o.batch_size = 5;
  o.seed = 3;
  Loader loader(cache, indices, o);
  CHECK(loader.batches_per_epoch() == 5);
  auto e0 = one_epoch(loader, 0);
  REQUIRE(e0.size() == 5);
  CHECK(e0[4].size == 2);
  CHECK(e0[0].images.size() == 5u * 3 * 12 * 12);
  auto order0 = served(e0);
  auto sorted = order0;
  std::sort(sorted.begin(), sorted.end());
  CHECK(sorted == indices);
  for (const auto& b : e0)
    for (int j = 0; j < b.size; ++j) CHECK(b.labels[j] == cache.label(b.indices[j]));
  auto order1 = served(one_epoch(loader, 1));
  CHECK(order1 != order0);
  CHECK(served(one_epoch(loader, 0)) == order0);  // an epoch's order is a function of (seed, epoch)

  LoaderOptions drop = o;
  drop.drop_last = true;
  Loader dropping(cache, indices, drop);
  CHECK(dropping.batches_per_epoch() == 4);
  CHECK(served(one_epoch(dropping, 0)).size() == 20);
  CHECK(loader.epoch_wait_seconds() >= 0);
}

TEST_CASE("loader: the same batches with 0, 1 or 3 threads, augmentation included") {
  TempDir t("loaderthreads");
  ImageCache cache = small_cache(t, 17);
  std::vector<int64_t> all(17);
  for (int i = 0; i < 17; ++i) all[i] = i;
  LoaderOptions o;
  o.batch_size = 4;
  o.augment = true;
  o.augmentation = augment_preset("flip-zoom-shift-rotate");
  o.augmentation.brightness = 0.1;
  o.seed = 11;
  o.threads = 0;
  Loader inline_loader(cache, all, o);
  auto reference = one_epoch(inline_loader, 2);
  for (int threads : {1, 3}) {
    o.threads = threads;
    o.prefetch = 2;
    Loader loader(cache, all, o);
    auto batches = one_epoch(loader, 2);
    REQUIRE(batches.size() == reference.size());
    for (size_t b = 0; b < batches.size(); ++b) {
      CHECK(batches[b].indices == reference[b].indices);
      CHECK(batches[b].images == reference[b].images);
    }
  }
}

TEST_CASE("loader: plain batches are the normalized cache pixels, NCHW") {
  TempDir t("loaderplain");
  ImageCache cache = small_cache(t, 3);
  LoaderOptions o;
  o.batch_size = 3;
  o.shuffle = false;
  Loader loader(cache, {2, 0, 1}, o);
  auto batches = one_epoch(loader, 0);
  REQUIRE(batches.size() == 1);
  const Batch& b = batches[0];
  CHECK(b.indices == std::vector<int64_t>{2, 0, 1});
  std::vector<float> expected(3 * 12 * 12);
  normalize_to_chw(cache.image(0), 12, 12, o.normalization, expected.data());
  CHECK(std::equal(expected.begin(), expected.end(), b.images.begin() + 3 * 12 * 12));
  // Channel 1 of image 0's pixel (y=2, x=5) sits at [c][y][x].
  const uint8_t g = cache.image(0)[(2 * 12 + 5) * 3 + 1];
  CHECK(b.images[3 * 144 + 1 * 144 + 2 * 12 + 5] ==
        doctest::Approx((g / 255.0 - o.normalization.mean[1]) / o.normalization.std[1]));
}

TEST_CASE("loader: TTA views sit next to each other") {
  TempDir t("loadertta");
  ImageCache cache = small_cache(t, 2);
  LoaderOptions o;
  o.batch_size = 2;
  o.shuffle = false;
  o.tta = tta_views(2);  // identity, horizontal flip
  Loader loader(cache, {0, 1}, o);
  auto b = one_epoch(loader, 0).at(0);
  CHECK(b.views == 2);
  CHECK(b.images.size() == 4u * 3 * 144);
  std::vector<uint8_t> flipped(3 * 144);
  apply_tta_view(cache.image(1), 12, 12, TtaView::horizontal_flip, flipped.data());
  std::vector<float> expected(3 * 144);
  normalize_to_chw(flipped.data(), 12, 12, o.normalization, expected.data());
  CHECK(std::equal(expected.begin(), expected.end(),
                   b.images.begin() + 3 * 3 * 144));  // image 1, view 1
}

TEST_CASE("loader: restarting mid-epoch, stopping early, bad options") {
  TempDir t("loaderrestart");
  ImageCache cache = small_cache(t, 30);
  std::vector<int64_t> all(30);
  for (int i = 0; i < 30; ++i) all[i] = i;
  LoaderOptions o;
  o.batch_size = 4;
  o.threads = 2;
  {
    Loader loader(cache, all, o);
    Batch b;
    CHECK(error_of([&] { loader.next(b); }).find("call start_epoch before next") !=
          std::string::npos);
    loader.start_epoch(0);
    REQUIRE(loader.next(b));
    loader.start_epoch(1);  // the rest of epoch 0 is dropped
    auto rest = served(one_epoch(loader, 1));
    CHECK(rest.size() == 30);
    loader.start_epoch(2);
    REQUIRE(loader.next(b));
  }  // destroyed with work in flight: must not hang
  o.batch_size = 0;
  CHECK(error_of([&] { Loader bad(cache, all, o); }).find("batch size must be at least 1") !=
        std::string::npos);
  o.batch_size = 2;
  CHECK(error_of([&] {
          Loader bad(cache, {0, 30}, o);
        }).find("index 30 is not in the cache") != std::string::npos);
}

TEST_CASE("loader: class-balanced sampling evens out the classes") {
  TempDir t("loaderbalanced");
  ImageCache cache = small_cache(t, 24);                    // labels i % 4: six of each
  std::vector<int64_t> skewed = {1, 2, 3};                  // one each of labels 1..3
  for (int64_t i = 0; i < 24; i += 4) skewed.push_back(i);  // six of label 0
  LoaderOptions o;
  o.batch_size = 6;
  o.class_balanced = true;
  o.seed = 4;
  Loader loader(cache, skewed, o);
  std::vector<int> seen(4, 0);
  for (int epoch = 0; epoch < 40; ++epoch)
    for (int64_t i : served(one_epoch(loader, epoch))) seen[cache.label(i)] += 1;
  // 40 epochs x 9 draws = 360, about 90 per class; plain sampling would
  // give label 0 two thirds of them.
  MESSAGE("draws per class: " << seen[0] << " " << seen[1] << " " << seen[2] << " " << seen[3]);
  for (int c = 0; c < 4; ++c) CHECK((seen[c] > 60 && seen[c] < 120));
  auto a = served(one_epoch(loader, 3));
  CHECK(served(one_epoch(loader, 3)) == a);
}
