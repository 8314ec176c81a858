// Helpers shared by the report library's tests: a scratch folder, a
// base64 decoder (to get embedded images back out of the HTML page) and
// pixel searches over rendered charts.
#pragma once
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "report/canvas.h"

namespace report_test {

namespace fs = std::filesystem;

// One folder per process (ctest runs test cases as separate processes,
// possibly in parallel), removed when the process exits.
inline const fs::path& scratch_dir() {
  struct Dir {
    fs::path path = fs::temp_directory_path() / ("cudagrad_report_" + std::to_string(::getpid()));
    Dir() { fs::create_directories(path); }
    ~Dir() {
      std::error_code ignored;
      fs::remove_all(path, ignored);
    }
  };
  static Dir dir;
  return dir.path;
}

// A fresh empty sub-folder of the scratch folder.
inline std::string fresh_dir(const std::string& name) {
  const fs::path p = scratch_dir() / name;
  fs::remove_all(p);
  fs::create_directories(p);
  return p.string();
}

inline std::vector<std::string> file_names_in(const std::string& folder) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(folder))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

inline std::string base64_decode(const std::string& text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
  };
  std::string out;
  unsigned bits = 0;
  int count = 0;
  for (char c : text) {
    const int v = value(c);
    if (v < 0) break;  // '=' padding ends the data
    bits = (bits << 6) | static_cast<unsigned>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out += static_cast<char>((bits >> count) & 0xFF);
    }
  }
  return out;
}

struct Box {
  int count = 0, min_x = 1 << 30, max_x = -1, min_y = 1 << 30, max_y = -1;
};

// Where pixels of exactly this color are, in rows from `first_row` down:
// how many, and their bounding box. (Charts draw their legend above row 64.)
inline Box find_color(const cudagrad::report::Image& image, cudagrad::report::Rgb color,
                      int first_row = 0) {
  Box box;
  for (int y = first_row; y < image.height; ++y)
    for (int x = 0; x < image.width; ++x)
      if (cudagrad::report::pixel_at(image, x, y) == color) {
        ++box.count;
        box.min_x = std::min(box.min_x, x);
        box.max_x = std::max(box.max_x, x);
        box.min_y = std::min(box.min_y, y);
        box.max_y = std::max(box.max_y, y);
      }
  return box;
}

// Which columns hold at least one pixel of this color.
inline std::vector<bool> columns_with(const cudagrad::report::Image& image,
                                      cudagrad::report::Rgb color) {
  std::vector<bool> columns(image.width, false);
  for (int y = 0; y < image.height; ++y)
    for (int x = 0; x < image.width; ++x)
      if (cudagrad::report::pixel_at(image, x, y) == color) columns[x] = true;
  return columns;
}

}  // namespace report_test
