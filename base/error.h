// Errors: every failure a user can cause is a cudagrad::Error whose message
// says what was expected. The command line catches it once and prints it.
//
// The message is for the user and ends where the sentence ends. Where in
// cudagrad's source the check sits (CG_CHECK's file and line) is kept apart,
// in where(), for a developer: a debug flag or a log file can print it, and
// code that puts one error's message inside another sentence gets no
// "(engine/ops.cpp:120)" in the middle of it.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

namespace cudagrad {

class Error : public std::runtime_error {
 public:
  // An error about the user's input (a path, a flag): no source location.
  explicit Error(const std::string& what) : std::runtime_error(what) {}
  // An error from a check in cudagrad's code; `file` must be a string that
  // lives for the whole program (__FILE__ is), so copying the exception
  // cannot throw.
  Error(const std::string& what, const char* file, int line)
      : std::runtime_error(what), file_(file), line_(line) {}

  // "engine/ops.cpp:120", or "" when the error carries no source location.
  std::string where() const {
    return file_ ? std::string(file_) + ":" + std::to_string(line_) : std::string();
  }

 private:
  const char* file_ = nullptr;
  int line_ = 0;
};

namespace detail {
[[noreturn]] inline void fail(const char* file, int line, const std::string& msg) {
  throw Error(msg, file, line);
}
}  // namespace detail

}  // namespace cudagrad

// CG_CHECK(cond, "message " << value): throws cudagrad::Error when cond is
// false, remembering the source file and line (Error::where()). The message
// is built only then.
#define CG_CHECK(cond, msg)                                        \
  do {                                                             \
    if (!(cond)) {                                                 \
      std::ostringstream cg_check_os_;                             \
      cg_check_os_ << msg;                                         \
      ::cudagrad::detail::fail(__FILE__, __LINE__, cg_check_os_.str()); \
    }                                                              \
  } while (0)

// Always throws; the compiler knows it does not return.
#define CG_FAIL(msg)                                              \
  do {                                                            \
    std::ostringstream cg_fail_os_;                               \
    cg_fail_os_ << msg;                                           \
    ::cudagrad::detail::fail(__FILE__, __LINE__, cg_fail_os_.str()); \
  } while (0)
