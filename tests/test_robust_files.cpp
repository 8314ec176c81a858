// Files that are not what they should be: a folder where a file belongs, a
// file the user may not read, and a disk that fills up while we write. Each
// must end in an Error that names the path and says what happened, and a
// failed write must leave the previous file whole and no temporary behind.
#include <doctest/doctest.h>
#include <grp.h>
#include <sys/resource.h>

#include <csignal>

#include "base/files.h"
#include "child_process.h"
#include "data/cache.h"
#include "data/csv.h"
#include "data/image.h"
#include "data_test_util.h"
#include "engine/safetensors.h"

using namespace cudagrad;
using cudagrad_test::error_of;
using cudagrad_test::run_in_child;
using cudagrad_test::TempDir;
using cudagrad_test::write_file;
namespace fs = std::filesystem;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Files in `dir` whose name holds ".tmp": what an interrupted atomic write leaves.
int temporaries_in(const fs::path& dir) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir)) n += contains(e.path().filename(), ".tmp");
  return n;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_small_jpeg(const std::string& path, int seed) {
  data::Image im;
  im.width = 40;
  im.height = 30;
  for (int p = 0; p < 40 * 30 * 3; ++p) im.pixels.push_back(static_cast<uint8_t>(p * seed % 251));
  data::write_image(path, im);
}

}  // namespace

TEST_CASE("files: a folder where a file belongs is an error saying so") {
  TempDir t("folders");
  const std::string dir = t / "thing";
  fs::create_directory(dir);
  CHECK(error_of([&] { data::decode_image(dir); }) == dir + ": is a folder, expected an image file");
  CHECK(error_of([&] { data::read_csv(dir); }) == dir + ": is a folder, expected a CSV file");
  CHECK(error_of([&] { load_safetensors(dir); })
            .rfind(dir + ": not a regular file (a folder?); expected a safetensors file", 0) == 0);
  CHECK(contains(error_of([&] { data::ImageCache::open(dir); }), dir));
  // Writing over a folder is refused before anything is written.
  const std::string refused =
      dir + ": is a folder; expected a regular file to write (or \"-\" for standard output)";
  CHECK(error_of([&] { save_safetensors(dir, {{"w", Tensor::zeros({4})}}); }) == refused);
  CHECK(error_of([&] { files::write_file_atomically(dir, "x"); }) == refused);
  CHECK(fs::is_directory(dir));
  CHECK(temporaries_in(t.path()) == 0);
}

TEST_CASE("files: a file without read permission is an error naming it") {
  TempDir t("noperm");
  const std::string csv = t / "meta.csv", jpg = t / "a.jpg", st = t / "w.safetensors";
  write_file(csv, "a,b\n1,2\n");
  write_small_jpeg(jpg, 3);
  save_safetensors(st, {{"w", Tensor::zeros({2})}});
  for (const auto& p : {csv, jpg, st}) fs::permissions(p, fs::perms::none);
  fs::permissions(t.path(), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                fs::perms::others_read | fs::perms::others_exec);

  // Root reads anything whatever the permission bits say, so as root the
  // child first becomes the unprivileged user nobody (65534).
  auto result = run_in_child([&]() -> std::string {
    if (::geteuid() == 0 &&
        (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0))
      return "cannot drop root";
    return error_of([&] { data::read_csv(csv); }) + "\n" +
           error_of([&] { data::decode_image(jpg); }) + "\n" +
           error_of([&] { load_safetensors(st); });
  });
  REQUIRE(result.exit_code == 0);
  if (result.text == "cannot drop root") {
    MESSAGE("skipped: running as root and not allowed to switch to user nobody, so a missing "
            "read permission cannot be simulated here");
    return;
  }
  INFO(result.text);
  CHECK(contains(result.text, csv + ": cannot open (Permission denied)\n"));
  CHECK(contains(result.text, jpg + ": cannot open (Permission denied)\n"));
  CHECK(contains(result.text, "cannot open safetensors file " + st + ": Permission denied"));
}

TEST_CASE("files: a full disk while writing leaves the old file whole and no temporary") {
  // The child may write at most 64 KiB per file (RLIMIT_FSIZE), as if the
  // disk filled up; with SIGXFSZ ignored the write fails with EFBIG instead
  // of killing the process. Every writer must turn that into an Error.
  TempDir t("fulldisk");
  const std::string big(256 << 10, 'x');
  std::vector<data::Sample> images;
  for (int i = 0; i < 8; ++i) {
    const std::string path = t / ("img" + std::to_string(i) + ".jpg");
    write_small_jpeg(path, i + 1);
    images.push_back({"img" + std::to_string(i), path, i % 2, "g" + std::to_string(i)});
  }
  struct Writer {
    std::string name;
    std::function<void(const std::string&)> write;
  };
  const Writer writers[] = {
      {"data.csv", [&](const std::string& p) { files::write_file_atomically(p, big); }},
      {"report.html", [&](const std::string& p) { files::write_file_atomically(p, big); }},
      {"model.safetensors",
       [&](const std::string& p) { save_safetensors(p, {{"w", Tensor::zeros({65536})}}); }},
      {"images.cgcache",
       [&](const std::string& p) {
         data::CacheOptions o;
         o.width = o.height = 64;  // 8 x 64 x 64 x 3 bytes: past the limit
         o.threads = 2;
         o.progress = false;
         data::ImageCache::open_or_build(p, images, o);
       }},
  };
  for (const auto& w : writers) {
    CAPTURE(w.name);
    const std::string path = t / w.name;
    write_file(path, "the previous version");
    auto result = run_in_child([&]() -> std::string {
      std::signal(SIGXFSZ, SIG_IGN);
      const rlimit limit = {64 << 10, 64 << 10};
      if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) return "setrlimit failed";
      return error_of([&] { w.write(path); });
    });
    INFO(result.text);
    CHECK(result.exit_code == 0);
    CHECK(result.signal == 0);
    CHECK(contains(result.text, path));
    CHECK(contains(result.text, "File too large"));
    CHECK(read_text(path) == "the previous version");
    CHECK(temporaries_in(t.path()) == 0);
  }
}
