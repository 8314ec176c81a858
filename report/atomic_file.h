// Writing a file so that a reader (a browser, a script, a later run) sees
// either the old file or the whole new one, never half of it: the bytes go
// to a temporary file beside the target, are flushed to disk, and the
// temporary is renamed over the target (rename is atomic within one file
// system, which is why the temporary lives in the same folder).
#pragma once
#include <string>

namespace cudagrad {
namespace report {

// Replaces `path` with `bytes`. On failure throws cudagrad::Error naming the
// file and the system's reason, and leaves no temporary file behind.
void write_file_atomically(const std::string& path, const std::string& bytes);

// The whole file as bytes; cudagrad::Error naming the file if unreadable.
std::string read_file(const std::string& path);

}  // namespace report
}  // namespace cudagrad
