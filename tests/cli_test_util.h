// Helpers for the command-line tests: running the built `cudagrad` binary,
// a small sample dataset shared by every test, and comparing the weights of
// two runs bit for bit.
//
// The tests train at 32x32 on a MobileNet of width 0.25 (220k parameters,
// BN running statistics included) because it runs a step in milliseconds on
// the CPU; LeNet would need 224x224.
#pragma once
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "data/sample_data.h"
#include "engine/safetensors.h"
#include "tests/data_test_util.h"

namespace cudagrad_test {

// The flags every small training run of the tests shares.
inline std::string tiny_model_flags(int batch = 8) {
  return "--model mobilenet --width 0.25 --input 32 --threads 1 --batch " + std::to_string(batch);
}

// Runs `cudagrad <args>`; returns the exit status and fills `output` with
// stdout and stderr together. `env` ("NAME=value ...") is set for that
// command alone.
inline int run_cli(const std::string& args, std::string& output, const std::string& env = "") {
  const std::string command =
      (env.empty() ? "" : "env " + env + " ") + std::string(CUDAGRAD_CLI) + " " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  output.clear();
  char buffer[4096];
  for (size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) output.append(buffer, n);
  const int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

inline int count_lines(const std::string& text) {
  int n = 0;
  for (char c : text) n += c == '\n';
  return n;
}

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

// 60 sample images (seed 1), written once into the build folder and reused
// by every test process; a file lock keeps parallel ctest runs from
// writing it twice.
inline std::string shared_sample_data() {
  const fs::path dir = fs::path(CUDAGRAD_BUILD_DIR) / "test-data" / "sample-60";
  const fs::path done = dir / "complete";
  fs::create_directories(dir);
  const int lock = ::open((dir.string() + ".lock").c_str(), O_CREAT | O_RDWR, 0644);
  REQUIRE(lock >= 0);
  ::flock(lock, LOCK_EX);
  if (!fs::exists(done)) {
    cudagrad::data::write_sample_dataset(dir.string(), 60, 1);
    std::ofstream(done) << "60 images, seed 1\n";
  }
  ::flock(lock, LOCK_UN);
  ::close(lock);
  return dir.string();
}

// Starts `cudagrad <args>` with stdout and stderr going to `log`; returns its pid.
inline pid_t spawn_cli(const std::string& args, const std::string& log) {
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    const std::string command = "exec " + std::string(CUDAGRAD_CLI) + " " + args + " > " + log + " 2>&1";
    execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

// Waits (up to about a minute) until `log` contains `text`.
inline bool wait_for_text(const std::string& log, const std::string& text) {
  for (int i = 0; i < 6000; ++i) {
    if (read_text(log).find(text) != std::string::npos) return true;
    usleep(10000);
  }
  return false;
}

// The exit status of a child, or 128 + the signal that ended it.
inline int wait_status(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Whether every tensor of two files (a last.ckpt: the model and the
// optimizer state) is bitwise equal, under the same names.
inline bool same_model_weights(const std::string& a, const std::string& b) {
  const cudagrad::NamedTensors ta = cudagrad::load_safetensors(a);
  const cudagrad::NamedTensors tb = cudagrad::load_safetensors(b);
  if (ta.size() != tb.size()) return false;
  int compared = 0;
  for (size_t i = 0; i < ta.size(); ++i) {
    if (ta[i].first != tb[i].first) return false;
    const std::vector<float> va = ta[i].second.to_vector(), vb = tb[i].second.to_vector();
    if (va.size() != vb.size() || std::memcmp(va.data(), vb.data(), va.size() * 4) != 0) {
      MESSAGE("tensor " << ta[i].first << " differs");
      return false;
    }
    ++compared;
  }
  return compared > 0;
}

}  // namespace cudagrad_test
