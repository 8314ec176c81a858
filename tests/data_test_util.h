// Helpers for the data tests: scratch folders, small files, and the path of
// the real images (../shared/data), which a test skips without, saying why.
#pragma once
#include <doctest/doctest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>

#include "base/error.h"

namespace cudagrad_test {

namespace fs = std::filesystem;

// A fresh folder under the system temp dir, removed with everything in it.
class TempDir {
 public:
  explicit TempDir(const std::string& name) {
    static std::atomic<int> counter{0};
    path_ = fs::temp_directory_path() / ("cudagrad_" + name + "_" + std::to_string(::getpid()) +
                                         "_" + std::to_string(counter++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }
  std::string operator/(const std::string& rel) const { return (path_ / rel).string(); }

 private:
  fs::path path_;
};

// Writes `text` to `path`, creating folders on the way.
inline void write_file(const fs::path& path, const std::string& text) {
  if (path.has_parent_path()) fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << text;
}

// The real data folder (../shared/data from the repository), or "" when it
// is not there.
inline std::string shared_data_dir() {
  std::string dir = CUDAGRAD_SHARED_DATA_DIR;
  return fs::is_directory(dir) ? dir : "";
}

// The message of the cudagrad::Error that `f` throws, or "" when it throws none.
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const cudagrad::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace cudagrad_test

// Use at the top of a test that needs the real images: skips it, saying why,
// when ../shared/data is absent.
#define REQUIRE_SHARED_DATA(dir_var, sub)                                                         \
  const std::string dir_var = ::cudagrad_test::shared_data_dir().empty()                          \
                                  ? std::string()                                                 \
                                  : ::cudagrad_test::shared_data_dir() + "/" + (sub);             \
  if (dir_var.empty() || !std::filesystem::exists(dir_var)) {                                     \
    MESSAGE("skipped: real data not found at " CUDAGRAD_SHARED_DATA_DIR "/" << std::string(sub)); \
    return;                                                                                       \
  }
