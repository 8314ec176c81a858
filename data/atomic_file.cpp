#include "data/atomic_file.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "data/data_error.h"

namespace cudagrad {
namespace data {

std::string temporary_path_for(const std::string& path) {
  return path + ".tmp." + std::to_string(::getpid());
}

void write_file_atomically(const std::string& path, const std::string& bytes) {
  const std::string temporary = temporary_path_for(path);
  std::FILE* f = std::fopen(temporary.c_str(), "wb");
  if (!f) data_error(path, ": cannot write (", std::strerror(errno), ")");
  bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  ok = (std::fflush(f) == 0) && ok;
  ok = (::fsync(::fileno(f)) == 0) && ok;  // on disk before the rename makes it visible
  ok = (std::fclose(f) == 0) && ok;
  if (!ok) {
    std::remove(temporary.c_str());
    data_error(path, ": write failed (", std::strerror(errno), ")");
  }
  commit_temporary(temporary, path);
}

void commit_temporary(const std::string& temporary, const std::string& path) {
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    int err = errno;
    std::remove(temporary.c_str());
    data_error(path, ": cannot replace (", std::strerror(err), ")");
  }
}

}  // namespace data
}  // namespace cudagrad
