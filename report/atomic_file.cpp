#include "report/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "engine/error.h"

namespace cudagrad {
namespace report {

namespace {

// The folder that holds `path` ("." for a bare file name).
std::string folder_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Deletes the temporary unless the rename went through.
struct Temporary {
  std::string path;
  bool committed = false;
  ~Temporary() {
    if (!committed) std::remove(path.c_str());
  }
};

}  // namespace

void write_file_atomically(const std::string& path, const std::string& bytes) {
  CG_CHECK(!path.empty(), "write_file_atomically: empty file name");
  Temporary tmp;
  tmp.path = path + ".tmp." + std::to_string(static_cast<long>(::getpid()));

  std::FILE* f = std::fopen(tmp.path.c_str(), "wb");
  CG_CHECK(f, "cannot write " << path << ": " << std::strerror(errno));
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
  CG_CHECK(first_errno == 0, "writing " << path << " failed: " << std::strerror(first_errno));

  CG_CHECK(std::rename(tmp.path.c_str(), path.c_str()) == 0,
           "cannot replace " << path << ": " << std::strerror(errno));
  tmp.committed = true;

  // Make the rename itself durable. Some file systems refuse fsync on a
  // folder; the file is already complete, so that is not an error.
  const int dir = ::open(folder_of(path).c_str(), O_RDONLY);
  if (dir >= 0) {
    (void)::fsync(dir);
    ::close(dir);
  }
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  CG_CHECK(in, "cannot read " << path << ": " << std::strerror(errno));
  std::ostringstream bytes;
  bytes << in.rdbuf();
  CG_CHECK(!in.bad(), "reading " << path << " failed");
  return bytes.str();
}

}  // namespace report
}  // namespace cudagrad
