// Files: the one way cudagrad reads a whole file, and the one way it writes
// one.
//
// Writing: readers (a browser, a script, a later run) see the old file or
// the whole new one, never half of one.
//
// The bytes go to a temporary "<target>.tmp.<pid>" beside the target (same
// folder, so same file system), are flushed to disk, and the temporary is
// renamed over the target. What is at the target decides what happens:
//
//   nothing, or a regular file   replaced as above
//   a symbolic link               followed: the file it points to is replaced
//                                 (the link stays a link); a dangling link is
//                                 an error. Following is what a shell's '>'
//                                 does, and it keeps a linked file current
//   "-" or "/dev/stdout"          written to standard output, not replaced
//   "/dev/null"                   the bytes are discarded
//   a folder, device, FIFO, socket
//                                 an Error "<path>: is a FIFO; expected a
//                                 regular file to write"; nothing touched
//
// The temporary is removed on failure, on SIGINT/SIGTERM (base/signals.h)
// and, when a process was killed outright, by the next write into the same
// folder (remove_stale_temporaries).
#pragma once
#include <cstdint>
#include <limits>
#include <string>

namespace cudagrad {
namespace files {

// Replaces `path` with `bytes` (see above); an Error naming `path` and the
// system's reason on failure, with the previous file left whole.
void write_file_atomically(const std::string& path, const std::string& bytes);

// The whole file as bytes. An Error naming the file when it cannot be read:
//   "<path>: cannot open (No such file or directory)"
//   "<path>: is a folder, expected <what>"      (a folder opens like a file
//                                                and would read as empty)
//   "<path>: larger than N MiB, too large for <what>"   (above max_bytes)
// `what` names the file's kind in those messages: "a CSV file", "an image".
std::string read_file(const std::string& path, const std::string& what = "a file",
                      uint64_t max_bytes = std::numeric_limits<uint64_t>::max());

// The whole file, or "" when it is missing or unreadable: for files whose
// absence is an answer (a run folder's metrics.csv before the first epoch).
std::string read_file_or_empty(const std::string& path);

// Where a write to `path` goes: `path` itself, or the file a symbolic link
// points to. An Error for a dangling link or a target that is not a regular
// file. "-", "/dev/stdout" and "/dev/null" are returned unchanged (callers
// check is_stream_path first).
std::string resolve_write_target(const std::string& path);

// "-", "/dev/stdout" or "/dev/null": written through, never replaced.
bool is_stream_path(const std::string& path);

// Removes "<name>.tmp.<pid>" files in `folder` whose process is no longer
// running: what a process killed with SIGKILL (or a power cut) left. A
// temporary of a live process (another cudagrad writing there) is kept.
// Returns how many were removed.
int remove_stale_temporaries(const std::string& folder);

// A temporary file for a writer that fills it itself (a stream of tensors,
// a memory-mapped cache). The constructor checks the target and names the
// temporary; commit() renames it over the target. If commit() is never
// reached (an Error, a signal), the temporary is removed.
class TemporaryFile {
 public:
  explicit TemporaryFile(const std::string& target);
  ~TemporaryFile();
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;

  const std::string& path() const { return temporary_; }  // where to write
  // Renames the temporary over the target and makes the rename durable.
  void commit();

 private:
  std::string target_;     // the resolved target (a link's destination)
  std::string shown_;      // the path the caller gave, for messages
  std::string temporary_;  // "<target>.tmp.<pid>"
  int slot_ = -1;          // its entry among the live temporaries
  bool committed_ = false;
};

}  // namespace files
}  // namespace cudagrad
