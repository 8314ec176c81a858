// Building a cache file: decode + resize every image on all cores straight
// into a memory-mapped temporary file, then rename it into place.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <thread>

#include "base/files.h"
#include "base/signals.h"
#include "data/cache_format.h"
#include "data/data_error.h"

namespace cudagrad {
namespace data {
namespace detail {

namespace {

using Clock = std::chrono::steady_clock;

// A read-write mapping of a new file of `bytes` bytes; unmapped, closed and
// (unless kept) deleted on destruction, so every early exit cleans up.
class NewMappedFile {
 public:
  NewMappedFile(const std::string& path, size_t bytes) : path_(path), bytes_(bytes) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) data_error(path, ": cannot create cache (", std::strerror(errno), ")");
    // Reserve the blocks now: writing through a mapping of a sparse file
    // on a full disk would kill the process with SIGBUS instead of failing.
    const int err = ::posix_fallocate(fd_, 0, static_cast<off_t>(bytes));
    if (err != 0) {
      errno = err;
      fail("cannot reserve space for the cache");
    }
    map_ = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
    if (map_ == MAP_FAILED) {
      map_ = nullptr;
      fail("cannot map cache");
    }
  }
  ~NewMappedFile() { release(); }
  uint8_t* data() { return static_cast<uint8_t*>(map_); }
  // Flushes everything to disk and keeps the file.
  void finish() {
    if (::msync(map_, bytes_, MS_SYNC) != 0) fail("cannot write cache");
    kept_ = true;
  }

 private:
  // Unmaps, closes and (unless kept) deletes; safe to call twice. fail()
  // calls it too, because a constructor that throws gets no destructor.
  void release() {
    if (map_) ::munmap(map_, bytes_);
    map_ = nullptr;
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    if (!kept_ && !released_) ::unlink(path_.c_str());
    released_ = true;
  }
  [[noreturn]] void fail(const char* what) {
    const int err = errno;
    release();
    data_error(path_, ": ", what, " (", std::strerror(err), "; ", (bytes_ + (1 << 20) - 1) >> 20, " MiB needed)");
  }
  std::string path_;
  size_t bytes_;
  int fd_ = -1;
  void* map_ = nullptr;
  bool kept_ = false, released_ = false;
};

// "1234/10015 images, 410 img/s, ETA 21 s". On a terminal one line redrawn
// in place; in a log file a line per tenth of the work.
class ProgressLine {
 public:
  ProgressLine(bool enabled, int64_t total, std::string what)
      : enabled_(enabled),
        total_(total),
        what_(std::move(what)),
        start_(Clock::now()),
        tty_(::isatty(2)) {}

  void update(int64_t done) {
    if (!enabled_) return;
    if (!tty_ && done * 10 / total_ == last_tenth_) return;
    last_tenth_ = done * 10 / total_;
    const double seconds = std::chrono::duration<double>(Clock::now() - start_).count();
    const double rate = seconds > 0 ? done / seconds : 0;
    const double eta = rate > 0 ? (total_ - done) / rate : 0;
    std::fprintf(stderr, "%s%s: %lld/%lld images, %.0f img/s, ETA %.0f s%s", tty_ ? "\r" : "",
                 what_.c_str(), static_cast<long long>(done), static_cast<long long>(total_), rate,
                 eta, tty_ ? "   " : "\n");
    std::fflush(stderr);
  }

  void finish(int64_t skipped) {
    if (!enabled_) return;
    const double seconds = std::chrono::duration<double>(Clock::now() - start_).count();
    std::fprintf(stderr, "%s%s: %lld images in %.1f s (%.0f img/s)", tty_ ? "\r" : "",
                 what_.c_str(), static_cast<long long>(total_), seconds,
                 seconds > 0 ? total_ / seconds : 0.0);
    if (skipped > 0)
      std::fprintf(stderr, ", %lld unreadable skipped", static_cast<long long>(skipped));
    std::fprintf(stderr, "%s\n", tty_ ? "   " : "");
  }

 private:
  bool enabled_;
  int64_t total_;
  std::string what_;
  Clock::time_point start_;
  bool tty_;
  int64_t last_tenth_ = -1;
};

}  // namespace

void build_cache_file(const std::string& path, const std::vector<Sample>& samples,
                      const CacheHeader& header, const CacheOptions& options) {
  // A signal stops the workers after their current image; the temporary
  // (hundreds of megabytes for HAM10000) is then removed, not left behind.
  files::SignalDeferral defer_signals;
  files::TemporaryFile temporary(path);
  NewMappedFile file(temporary.path(), header.file_bytes);
  uint8_t* base = file.data();
  std::memcpy(base, &header, sizeof header);
  auto* labels = reinterpret_cast<int32_t*>(base + header.labels_offset);
  uint8_t* status = base + header.status_offset;
  const std::string ids = ids_section(samples);
  std::memcpy(base + header.ids_offset, ids.data(), ids.size());
  for (size_t i = 0; i < samples.size(); ++i) labels[i] = samples[i].label;

  const int64_t total = static_cast<int64_t>(samples.size());
  const size_t image_bytes = static_cast<size_t>(header.width) * header.height * 3;
  std::atomic<int64_t> next{0}, done{0}, skipped{0};
  std::atomic<bool> stop{false};
  std::mutex error_mutex;
  std::string first_error;

  // Each worker takes the next image index; images are independent, so the
  // only shared state is the counters and the first error.
  auto work = [&] {
    for (int64_t i; !stop && !files::signal_received() && (i = next++) < total;) {
      uint8_t* out = base + header.pixels_offset + static_cast<size_t>(i) * image_bytes;
      try {
        Image image =
            load_resized(samples[i].image_path, options.width, options.height, options.decoder);
        std::memcpy(out, image.pixels.data(), image_bytes);
        status[i] = 1;
      } catch (const Error& e) {
        if (!options.skip_unreadable) {
          std::lock_guard<std::mutex> lock(error_mutex);
          if (first_error.empty()) first_error = e.what();
          stop = true;
        }
        skipped += 1;  // pixels stay zero, status 0
      }
      done += 1;
    }
  };
  int threads =
      options.threads > 0 ? options.threads : static_cast<int>(std::thread::hardware_concurrency());
  threads = std::max(1, std::min<int>(threads, static_cast<int>(total)));
  ProgressLine progress(
      options.progress, total,
      "caching " + std::to_string(options.width) + "x" + std::to_string(options.height) + " (" +
          jpeg_decoder_name(options.decoder) + ", " + std::to_string(threads) + " threads)");
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(work);
  // Short sleeps so a small cache does not wait on the progress line;
  // the line itself is redrawn twice a second.
  auto last_drawn = Clock::now() - std::chrono::seconds(1);
  while (done < total && !stop && !files::signal_received()) {
    if (Clock::now() - last_drawn > std::chrono::milliseconds(500)) {
      progress.update(done);
      last_drawn = Clock::now();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  for (auto& t : pool) t.join();
  if (!first_error.empty()) data_error(first_error, " (while building the cache ", path, ")");
  if (const int signal = files::signal_received())
    throw files::Interrupted(signal, "interrupted (" + files::signal_name(signal) +
                                         ") while building the cache " + path +
                                         "; nothing of it was kept");
  progress.finish(skipped);
  file.finish();
  temporary.commit();
}

}  // namespace detail
}  // namespace data
}  // namespace cudagrad
