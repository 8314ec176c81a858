// Data pipeline throughput on the real images: decode + resize with each
// JPEG decoder, cache build, cache reads, and the loader with augmentation.
//
//   data_throughput [DATA_DIR] [SIZE]     (DATA_DIR defaults to ../shared/data)
//
// Uses DATA_DIR/ham10000 (600x450 originals, those present) and prints one
// line per measurement; bench/RESULTS.md keeps the numbers with the machine.
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>

#include "data/cache.h"
#include "data/dataset.h"
#include "data/image.h"
#include "data/loader.h"

using namespace cudagrad::data;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// CPU seconds used by the whole process so far (all threads).
double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

// Runs `body` (which processes `images` images) `repeats` times and prints
// the fastest run (the least disturbed by other work on the machine) as
// images per wall-clock second, and images per CPU-second of this process,
// which a busy machine disturbs much less: it compares decoders fairly even
// when the wall clock does not.
void report(const char* what, int64_t images, int repeats, const std::function<void()>& body) {
  double best = 1e30, best_cpu = 1e30;
  for (int r = 0; r < repeats; ++r) {
    auto t = Clock::now();
    const double cpu = process_cpu_seconds();
    body();
    best = std::min(best, seconds_since(t));
    best_cpu = std::min(best_cpu, process_cpu_seconds() - cpu);
  }
  std::printf("%-52s %8.0f img/s %8.0f img/CPU-s  (%lld images, best of %d)\n", what, images / best,
              images / best_cpu, static_cast<long long>(images), repeats);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string root = argc > 1 ? argv[1] : "../shared/data";
  const int size = argc > 2 ? std::atoi(argv[2]) : 224;
  try {
    DatasetOptions options;
    options.skip_missing = true;
    Dataset d = load_dataset(root + "/ham10000", options);
    const auto& samples = d.samples;
    const int64_t n = static_cast<int64_t>(samples.size());
    std::printf("%s\ntarget %dx%d, %u hardware threads, TurboJPEG %s\n\n", describe(d).c_str(),
                size, size, std::thread::hardware_concurrency(),
                turbojpeg_available() ? "built in" : "not built in");

    // 1. One thread, decode + resize, per decoder.
    report("decode+resize, stb_image, full decode", n, 3, [&] {
      for (const auto& s : samples) load_resized(s.image_path, size, size, JpegDecoder::stb);
    });
    if (turbojpeg_available()) {
      report("decode+resize, TurboJPEG, full decode", n, 3, [&] {
        for (const auto& s : samples) {
          Image full = decode_image(s.image_path, JpegDecoder::turbojpeg);
          resize(full, size, size);
        }
      });
      report("decode+resize, TurboJPEG, DCT-scaled decode (default)", n, 3, [&] {
        for (const auto& s : samples)
          load_resized(s.image_path, size, size, JpegDecoder::turbojpeg);
      });
    }

    // 2. Cache build on 1 and 2 threads.
    const std::string dir =
        (std::filesystem::temp_directory_path() / "cudagrad_bench_cache").string();
    std::filesystem::create_directories(dir);
    const std::string path = dir + "/bench.cgcache";
    for (int threads : {1, 2}) {
      char what[64];
      std::snprintf(what, sizeof what, "cache build, %d thread%s", threads, threads > 1 ? "s" : "");
      report(what, n, 2, [&] {
        std::filesystem::remove(path);
        CacheOptions c;
        c.width = c.height = size;
        c.threads = threads;
        c.progress = false;
        ImageCache::open_or_build(path, samples, c);
      });
    }
    CacheOptions c;
    c.width = c.height = size;
    c.progress = false;
    ImageCache cache = ImageCache::open_or_build(path, samples, c);

    // 3. Reading the mapped cache (warm page cache): copy every image out.
    std::vector<uint8_t> sink(cache.image_bytes());
    const int passes = 20;
    report("cache read (memory-mapped, warm)", n * passes, 3, [&] {
      for (int p = 0; p < passes; ++p)
        for (int64_t i = 0; i < n; ++i) std::memcpy(sink.data(), cache.image(i), sink.size());
    });

    // 4. The loader, augmentation on, consumer doing nothing: how fast it
    // can feed a training loop.
    std::vector<int64_t> all(n);
    for (int64_t i = 0; i < n; ++i) all[i] = i;
    for (int threads : {0, 1, 2}) {
      for (bool augment : {false, true}) {
        LoaderOptions o;
        o.batch_size = 32;
        o.threads = threads;
        o.augment = augment;
        o.augmentation = augment_preset("flip-rotate");
        Loader loader(cache, all, o);
        const int epochs = 5;
        char what[96];
        std::snprintf(what, sizeof what, "loader, batch 32, %s, %d worker%s%s",
                      augment ? "flip+rotate" : "no augment", threads, threads == 1 ? "" : "s",
                      threads == 0 ? " (inline)" : "");
        report(what, n * epochs, 2, [&] {
          Batch b;
          for (int e = 0; e < epochs; ++e) {
            loader.start_epoch(e);
            while (loader.next(b)) {
            }
          }
        });
      }
    }
    std::filesystem::remove(path);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
