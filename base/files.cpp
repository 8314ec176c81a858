#include "base/files.h"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>

#include "base/error.h"
#include "base/signals.h"

namespace cudagrad {
namespace files {

namespace {

namespace fs = std::filesystem;

// Errors about the user's paths carry no source location: the path is the
// thing to fix.
[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw Error(path + ": " + what);
}

// The folder that holds `path` ("." for a bare file name).
std::string folder_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// What a file that is not a regular file is, in words; "" for a regular file.
std::string kind_of(mode_t mode) {
  if (S_ISREG(mode)) return "";
  if (S_ISDIR(mode)) return "a folder";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

// The pid in a name ending ".tmp.<digits>", or 0 when it does not end so.
long temporary_owner(const std::string& name) {
  const size_t at = name.rfind(".tmp.");
  if (at == std::string::npos || at + 5 == name.size()) return 0;
  long pid = 0;
  for (size_t i = at + 5; i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9' || pid > 1'000'000'000) return 0;
    pid = pid * 10 + (name[i] - '0');
  }
  return pid;
}

// Whether process `pid` exists (EPERM: it exists but belongs to another user).
bool process_alive(long pid) {
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

void write_to_stdout(const std::string& path, const std::string& bytes) {
  std::fflush(stdout);
  const bool ok = std::fwrite(bytes.data(), 1, bytes.size(), stdout) == bytes.size() &&
                  std::fflush(stdout) == 0;
  if (!ok) fail(path, std::string("cannot write to standard output (") + std::strerror(errno) + ")");
}

}  // namespace

bool is_stream_path(const std::string& path) {
  return path == "-" || path == "/dev/stdout" || path == "/dev/null";
}

std::string resolve_write_target(const std::string& path) {
  if (path.empty()) throw Error("an empty file name was given for writing");
  if (is_stream_path(path)) return path;
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return path;  // nothing there yet: it will be created
  if (S_ISLNK(st.st_mode)) {
    char resolved[PATH_MAX];
    if (!::realpath(path.c_str(), resolved))
      fail(path, "is a symbolic link to a file that does not exist; remove the link or write "
                 "to another path");
    if (::stat(resolved, &st) == 0 && !S_ISREG(st.st_mode))
      fail(path, "is a symbolic link to " + kind_of(st.st_mode) + " (" + resolved +
                     "); expected a regular file to write");
    return resolved;
  }
  if (!S_ISREG(st.st_mode))
    fail(path, "is " + kind_of(st.st_mode) +
                   "; expected a regular file to write (or \"-\" for standard output)");
  return path;
}

int remove_stale_temporaries(const std::string& folder) {
  std::error_code ec;
  int removed = 0;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    const long pid = temporary_owner(it->path().filename().string());
    if (pid <= 0 || pid == static_cast<long>(::getpid()) || process_alive(pid)) continue;
    std::error_code ignored;
    if (it->is_regular_file(ignored) && fs::remove(it->path(), ignored)) ++removed;
  }
  return removed;
}

TemporaryFile::TemporaryFile(const std::string& target) : shown_(target) {
  if (is_stream_path(target))
    fail(target, "this file is written in place and cannot go to a stream; give a file name");
  target_ = resolve_write_target(target);
  remove_stale_temporaries(folder_of(target_));
  temporary_ = target_ + ".tmp." + std::to_string(static_cast<long>(::getpid()));
  slot_ = remember_live_temporary(temporary_);
}

TemporaryFile::~TemporaryFile() {
  if (!committed_) ::unlink(temporary_.c_str());
  forget_live_temporary(slot_);
}

void TemporaryFile::commit() {
  if (std::rename(temporary_.c_str(), target_.c_str()) != 0)
    fail(shown_, std::string("cannot replace (") + std::strerror(errno) + ")");
  committed_ = true;
  forget_live_temporary(slot_);
  slot_ = -1;
  // Make the rename itself durable. Some file systems refuse fsync on a
  // folder; the file is already complete, so that is not an error.
  const int dir = ::open(folder_of(target_).c_str(), O_RDONLY);
  if (dir >= 0) {
    (void)::fsync(dir);
    ::close(dir);
  }
}

void write_file_atomically(const std::string& path, const std::string& bytes) {
  if (path == "/dev/null") return;
  if (is_stream_path(path)) return write_to_stdout(path, bytes);
  TemporaryFile temporary(path);
  std::FILE* f = std::fopen(temporary.path().c_str(), "wb");
  if (!f) fail(path, std::string("cannot write (") + std::strerror(errno) + ")");
  // Every step runs even after one fails (the file must be closed); the
  // first failure's reason is the one reported.
  int first_errno = 0;
  auto step = [&](bool ok) {
    if (!ok && first_errno == 0) first_errno = errno ? errno : EIO;
  };
  step(std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size());
  step(std::fflush(f) == 0);
  // The data must be on disk before the rename makes it visible as `path`;
  // otherwise a crash could leave a complete-looking but empty file.
  step(::fsync(::fileno(f)) == 0);
  step(std::fclose(f) == 0);
  if (first_errno != 0) fail(path, std::string("cannot write (") + std::strerror(first_errno) + ")");
  temporary.commit();
}

std::string read_file(const std::string& path, const std::string& what, uint64_t max_bytes) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) fail(path, std::string("cannot open (") + std::strerror(errno) + ")");
  // The FILE is closed on every way out, an Error included.
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> closer(f, &std::fclose);
  struct stat st {};
  if (::fstat(::fileno(f), &st) == 0 && S_ISDIR(st.st_mode))
    fail(path, "is a folder, expected " + what);
  std::string bytes;
  char buffer[1 << 16];
  for (size_t got; (got = std::fread(buffer, 1, sizeof buffer, f)) > 0;) {
    bytes.append(buffer, got);
    if (bytes.size() > max_bytes)
      fail(path, "larger than " + std::to_string(max_bytes >> 20) + " MiB, too large for " + what);
  }
  if (std::ferror(f)) fail(path, std::string("cannot read (") + std::strerror(errno) + ")");
  return bytes;
}

std::string read_file_or_empty(const std::string& path) {
  try {
    return read_file(path);
  } catch (const Error&) {
    return "";
  }
}

}  // namespace files
}  // namespace cudagrad
