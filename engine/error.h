// Errors: every failure a user can cause is a cudagrad::Error whose message
// says what was expected. The command line catches it once and prints it.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

namespace cudagrad {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

namespace detail {
[[noreturn]] inline void fail(const char* file, int line, const std::string& msg) {
  std::ostringstream os;
  os << msg << " (" << file << ":" << line << ")";
  throw Error(os.str());
}
}  // namespace detail

}  // namespace cudagrad

// CG_CHECK(cond, "message " << value): throws cudagrad::Error naming the
// source file and line when cond is false. The message is built only then.
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
