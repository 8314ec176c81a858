// The one file writer (base/files.h): what it does with each kind
// of thing at the target (a file, a link, a device, a FIFO, a folder,
// standard output), and the temporaries it leaves behind: none after an
// error or a signal, and stale ones of killed processes removed later.
#include <doctest/doctest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

#include "base/files.h"
#include "base/signals.h"
#include "child_process.h"
#include "data/cache.h"
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

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Names in `dir` holding ".tmp.": temporaries of atomic writes.
int temporaries_in(const fs::path& dir) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir))
    n += e.path().filename().string().find(".tmp.") != std::string::npos;
  return n;
}

// A pid that belonged to a process that has ended (a child, reaped).
pid_t pid_of_a_dead_process() {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return pid;
}

bool is_symlink(const std::string& path) {
  return fs::is_symlink(fs::symlink_status(path));
}

}  // namespace

TEST_CASE("file writer: FIFOs, devices, sockets and folders are refused and left as they were") {
  TempDir t("writer_kinds");
  const std::string fifo = t / "out.fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0644) == 0);
  CHECK(error_of([&] { files::write_file_atomically(fifo, "x"); }) ==
        fifo + ": is a FIFO (named pipe); expected a regular file to write (or \"-\" for standard "
               "output)");
  CHECK(error_of([&] { save_safetensors(fifo, {{"w", Tensor::zeros({4})}}); })
            .rfind(fifo + ": is a FIFO", 0) == 0);
  struct stat st {};
  REQUIRE(::lstat(fifo.c_str(), &st) == 0);
  CHECK(S_ISFIFO(st.st_mode));

  // A character device, reached through a link in the test's own folder, so
  // that a broken writer would replace the link and never /dev/zero itself.
  const std::string device = t / "device";
  fs::create_symlink("/dev/zero", device);
  CHECK(error_of([&] { files::write_file_atomically(device, "x"); }) ==
        device + ": is a symbolic link to a character device (/dev/zero); expected a regular file "
                 "to write");
  CHECK(is_symlink(device));

  // A Unix socket (what a service listening on a path leaves there).
  const std::string socket_path = t / "out.sock";
  const int sock = ::socket(AF_UNIX, SOCK_STREAM, 0);
  REQUIRE(sock >= 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  REQUIRE(socket_path.size() < sizeof address.sun_path);
  std::memcpy(address.sun_path, socket_path.c_str(), socket_path.size() + 1);
  REQUIRE(::bind(sock, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  CHECK(error_of([&] { files::write_file_atomically(socket_path, "x"); })
            .rfind(socket_path + ": is a socket;", 0) == 0);
  CHECK(fs::is_socket(socket_path));
  ::close(sock);

  const std::string folder = t / "folder";
  fs::create_directory(folder);
  CHECK(error_of([&] { files::write_file_atomically(folder, "x"); })
            .rfind(folder + ": is a folder;", 0) == 0);
  CHECK(fs::is_directory(folder));
  CHECK(temporaries_in(t.path()) == 0);
}

TEST_CASE("file writer: a symbolic link is followed, its target replaced and the link kept") {
  TempDir t("writer_links");
  const std::string target = t / "elsewhere/metrics.csv";
  write_file(target, "old\n");
  const std::string link = t / "run/metrics.csv";
  fs::create_directories(t / "run");
  fs::create_symlink(target, link);
  files::write_file_atomically(link, "new\n");
  CHECK(is_symlink(link));
  CHECK(read_text(target) == "new\n");
  CHECK(read_text(link) == "new\n");
  CHECK(temporaries_in(t / "elsewhere") == 0);
  CHECK(temporaries_in(t / "run") == 0);

  // A link to nothing is not silently turned into a file.
  const std::string dangling = t / "run/best.safetensors";
  fs::create_symlink(t / "missing/best.safetensors", dangling);
  CHECK(error_of([&] { save_safetensors(dangling, {{"w", Tensor::zeros({4})}}); }) ==
        dangling + ": is a symbolic link to a file that does not exist; remove the link or write "
                   "to another path");
  CHECK(is_symlink(dangling));
}

TEST_CASE("file writer: \"-\" and /dev/stdout write to standard output, /dev/null discards") {
  TempDir t("writer_stdout");
  const std::string captured = t / "stdout.txt";
  // In a child, whose standard output goes to a file; the parent checks it.
  auto result = run_in_child([&]() -> std::string {
    if (!std::freopen(captured.c_str(), "w", stdout)) return "freopen failed";
    files::write_file_atomically("-", "first,line\n");
    files::write_file_atomically("/dev/stdout", "second,line\n");
    files::write_file_atomically("/dev/null", "nothing\n");
    std::fflush(stdout);
    return "ok";
  });
  CHECK(result.text == "ok");
  CHECK(read_text(captured) == "first,line\nsecond,line\n");
  // A file written in place (a memory-mapped cache, a checkpoint) cannot go
  // to a stream.
  CHECK(error_of([&] { files::TemporaryFile temporary("-"); }).rfind("-: ", 0) == 0);
}

TEST_CASE("file writer: stale temporaries of dead processes are removed, live ones kept") {
  TempDir t("writer_stale");
  const std::string dead = t / ("splits.csv.tmp." + std::to_string(pid_of_a_dead_process()));
  const std::string live = t / ("splits.csv.tmp." + std::to_string(::getppid()));
  const std::string not_ours = t / "notes.tmp.txt";
  write_file(dead, "half a file");
  write_file(live, "another process is writing this");
  write_file(not_ours, "a user's file");
  files::write_file_atomically(t / "splits.csv", "a,b\n");
  CHECK_FALSE(fs::exists(dead));
  CHECK(fs::exists(live));
  CHECK(fs::exists(not_ours));
  CHECK(read_text(t / "splits.csv") == "a,b\n");
  CHECK(files::remove_stale_temporaries(t.path().string()) == 0);
}

TEST_CASE("file writer: SIGTERM or SIGINT while a temporary is open removes it, and the exit is the signal's") {
  for (int signal : {SIGTERM, SIGINT}) {
    CAPTURE(signal);
    TempDir t("writer_signal");
    const std::string target = t / "model.safetensors";
    write_file(target, "the previous version");
    auto result = run_in_child([&]() -> std::string {
      files::install_signal_handlers();
      files::TemporaryFile temporary(target);
      std::ofstream(temporary.path()) << "half written";
      ::raise(signal);  // ends the child here
      return "the signal did not end the process";
    });
    INFO(result.text);
    CHECK(result.signal == signal);  // a shell shows 128 + signal: 143, 130
    CHECK(read_text(target) == "the previous version");
    CHECK(temporaries_in(t.path()) == 0);
  }
}

TEST_CASE("file writer: a cache build stops at a recorded signal and keeps no temporary") {
  TempDir t("writer_cache_signal");
  std::vector<data::Sample> images;
  for (int i = 0; i < 6; ++i) {
    data::Image im;
    im.width = im.height = 16;
    im.pixels.assign(16 * 16 * 3, static_cast<uint8_t>(40 * i));
    const std::string path = t / ("img" + std::to_string(i) + ".png");
    data::write_image(path, im);
    images.push_back({"img" + std::to_string(i), path, i % 2, "g" + std::to_string(i)});
  }
  const std::string cache = t / "images.cgcache";
  auto result = run_in_child([&]() -> std::string {
    files::install_signal_handlers();
    files::SignalDeferral training;  // as the training command holds one
    ::raise(SIGTERM);                // recorded, not fatal
    data::CacheOptions o;
    o.width = o.height = 8;
    o.threads = 2;
    o.progress = false;
    try {
      data::ImageCache::open_or_build(cache, images, o);
    } catch (const files::Interrupted& e) {
      return std::to_string(e.signal()) + " " + e.what();
    }
    return "built";
  });
  CHECK(result.exit_code == 0);
  CHECK(result.text == std::to_string(SIGTERM) + " interrupted (SIGTERM) while building the cache " + cache +
                           "; nothing of it was kept");
  CHECK_FALSE(fs::exists(cache));
  CHECK(temporaries_in(t.path()) == 0);
}
