// Errors about the user's files. They read "path:line: what is wrong" and,
// unlike CG_CHECK, carry no cudagrad source location: the file to fix is the
// user's, not ours.
#pragma once
#include <sstream>
#include <string>

#include "base/error.h"

namespace cudagrad {
namespace data {

// data_error("a.csv:", 7, ": unknown class 'x'") throws cudagrad::Error with
// the parts streamed together.
template <class... Parts>
[[noreturn]] void data_error(const Parts&... parts) {
  std::ostringstream os;
  (os << ... << parts);
  throw Error(os.str());
}

}  // namespace data
}  // namespace cudagrad
