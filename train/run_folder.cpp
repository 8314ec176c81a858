#include "train/run_folder.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>
#include <vector>

#include "base/error.h"
#include "base/files.h"
#include "base/signals.h"

namespace cudagrad {
namespace train {

namespace {

namespace fs = std::filesystem;

// What a new run may find in its folder and start over: the files a run
// writes before its first checkpoint, and the data it made for itself.
const std::set<std::string> kRestartable{"splits.csv", "config.json", "sample-data", "cache",
                                         kLockFileName};
// What a run writes, deleted by --overwrite.
const std::vector<std::string> kRunFiles{"last.ckpt",  "best.safetensors", "metrics.csv",
                                         "config.json", "splits.csv",      "eval.json"};

// The pid written in an open lock file, or 0 if it holds none.
long pid_in(int fd) {
  char text[32] = {};
  const ssize_t n = ::pread(fd, text, sizeof text - 1, 0);
  return n > 0 ? std::strtol(text, nullptr, 10) : 0;
}

// Whether `fd` is still the file at `path`: a holder that finished may have
// removed the file between our open() and flock(), and a lock on a removed
// file locks nothing.
bool still_at_path(int fd, const std::string& path) {
  struct stat open_file {}, at_path {};
  return ::fstat(fd, &open_file) == 0 && ::stat(path.c_str(), &at_path) == 0 &&
         open_file.st_ino == at_path.st_ino && open_file.st_dev == at_path.st_dev;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < 6; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > 6) out += ", ... (" + std::to_string(names.size()) + " in all)";
  return out;
}

// Whether `dir` holds no checkpoint and at most the first epoch's results
// (best.safetensors, and a metrics.csv of one row): what a run killed while
// writing its first checkpoint leaves.
bool at_most_first_epoch(const std::string& dir) {
  if (fs::exists(fs::path(dir) / "last.ckpt")) return false;
  const std::string metrics = files::read_file_or_empty((fs::path(dir) / "metrics.csv").string());
  return std::count(metrics.begin(), metrics.end(), '\n') <= 2;  // the header and one row
}

}  // namespace

RunLock::RunLock(const std::string& dir) : path_((fs::path(dir) / kLockFileName).string()) {
  if (fs::exists(dir) && !fs::is_directory(dir))
    throw Error("--out " + dir + ": is a file, expected a folder for the run");
  fs::create_directories(dir);
  for (;;) {
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw Error(path_ + ": cannot create the lock file (" + std::strerror(errno) + ")");
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      const long owner = pid_in(fd_);
      ::close(fd_);
      fd_ = -1;
      throw Error("--out " + dir + ": in use by another cudagrad process (pid " +
                  std::to_string(owner) + ", lock file " + path_ +
                  "); wait for it to finish, or stop it");
    }
    if (still_at_path(fd_, path_)) break;
    ::close(fd_);  // locked a file its holder just removed: try again
  }
  // A pid in a file nobody held a lock on: its process died without
  // cleaning up (SIGKILL, a power cut).
  const long previous = pid_in(fd_);
  if (previous > 0 && previous != static_cast<long>(::getpid()))
    std::fprintf(stderr, "note: %s: taking over the stale lock of process %ld, which ended "
                         "without removing it\n",
                 path_.c_str(), previous);
  const std::string mine = std::to_string(static_cast<long>(::getpid())) + "\n";
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, mine.data(), mine.size(), 0) !=
                                      static_cast<ssize_t>(mine.size())) {
    const int err = errno;
    ::close(fd_);
    throw Error(path_ + ": cannot write the lock file (" + std::strerror(err) + ")");
  }
  // A signal that ends the program removes the lock file with the
  // temporaries; only SIGKILL (or a crash) leaves a stale one.
  slot_ = files::remember_live_temporary(path_);
}

RunLock::~RunLock() {
  // Removed while still locked, so no other process can lock this file and
  // then lose it; one waiting on it sees it gone and opens a new one.
  ::unlink(path_.c_str());
  files::forget_live_temporary(slot_);
  ::close(fd_);
}

void claim_run_folder(const std::string& dir, const std::string& config_json, bool overwrite) {
  files::remove_stale_temporaries(dir);
  const bool own_first_epoch =
      files::read_file_or_empty((fs::path(dir) / "config.json").string()) == config_json &&
      at_most_first_epoch(dir);
  std::vector<std::string> foreign;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    const bool first_epoch_file = name == "best.safetensors" || name == "metrics.csv";
    if (kRestartable.count(name) || (own_first_epoch && first_epoch_file)) continue;
    foreign.push_back(name);
  }
  std::sort(foreign.begin(), foreign.end());
  if (foreign.empty()) {
    if (fs::exists(fs::path(dir) / "splits.csv"))
      std::printf("note: %s holds a run that stopped before its first checkpoint; starting it "
                  "again\n", dir.c_str());
    return;
  }
  if (!overwrite) {
    const bool is_run = fs::exists(fs::path(dir) / "last.ckpt");
    throw Error("--out " + dir + ": holds " + (is_run ? "another run" : "files of another run") +
                " (" + joined(foreign) + "); continue it with --resume " + dir +
                ", choose another --out, or pass --overwrite to replace the run's files");
  }
  std::vector<std::string> removed;
  for (const std::string& name : kRunFiles)
    if (fs::remove(fs::path(dir) / name)) removed.push_back(name);
  std::printf("--overwrite: removed %s from %s\n",
              removed.empty() ? "nothing" : joined(removed).c_str(), dir.c_str());
}

}  // namespace train
}  // namespace cudagrad
