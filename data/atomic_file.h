// Writing files so that readers see the old file or the whole new one, never
// a half-written one: write a temporary file beside the target, flush it,
// then rename it over the target (rename is atomic within a file system).
#pragma once
#include <string>

namespace cudagrad {
namespace data {

// A temporary name beside `path`, unique to this process.
std::string temporary_path_for(const std::string& path);

// Replaces `path` with `bytes` atomically; an Error naming the file on failure.
void write_file_atomically(const std::string& path, const std::string& bytes);

// Renames `temporary` over `path` (the last step of an atomic write).
void commit_temporary(const std::string& temporary, const std::string& path);

}  // namespace data
}  // namespace cudagrad
