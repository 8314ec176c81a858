// Running part of a test in a forked child, for what must not touch the
// test process itself: a file-size limit (a "full disk"), or giving up
// root to see a permission error. The child sends back one string through
// a pipe; the parent makes the checks, since doctest's records stay in the
// process that made them.
#pragma once
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace cudagrad_test {

struct ChildResult {
  int exit_code = -1;  // -1: killed by a signal (then `signal` says which)
  int signal = 0;
  std::string text;    // what the child's function returned
};

// Runs f() (returning std::string) in a child process. An exception that
// escapes f becomes exit code 3, so the parent sees it as a failure.
template <class F>
ChildResult run_in_child(F&& f) {
  int fds[2];
  if (::pipe(fds) != 0) std::abort();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    int code = 0;
    std::string text;
    try {
      text = f();
    } catch (...) {
      code = 3;
    }
    for (size_t done = 0; done < text.size();) {
      const ssize_t n = ::write(fds[1], text.data() + done, text.size() - done);
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    ::_exit(code);  // no atexit handlers, no doctest report from the child
  }
  ::close(fds[1]);
  ChildResult r;
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buffer, sizeof buffer)) > 0) r.text.append(buffer, static_cast<size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  return r;
}

}  // namespace cudagrad_test
