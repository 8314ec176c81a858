// Resuming: a run continued from last.ckpt must compute exactly what an
// uninterrupted run computes (the weights and optimizer state bit for bit),
// whether it stopped at an epoch's end, was interrupted with Ctrl-C in the
// middle of an epoch, or was killed outright; and a damaged or half-written
// checkpoint must never be loaded silently.
//
// All runs use one CPU thread: the multi-threaded CPU convolution's
// weight gradient is not bitwise reproducible between runs (see the README).
#include <doctest/doctest.h>

#include <signal.h>

#include <string>

#include "train/checkpoint.h"
#include "tests/cli_test_util.h"

using namespace cudagrad_test;

namespace {

std::string train_args(const TempDir& dir, const std::string& run, int epochs, int batch = 8) {
  return "train --data " + shared_sample_data() + " " + tiny_model_flags(batch) +
         " --augment flip-rotate --optimizer adam --epochs " + std::to_string(epochs) + " --out " +
         dir / run + " --cache-dir " + dir / "cache";
}

}  // namespace

TEST_CASE("cli: train 2 epochs == train 1 epoch + resume 1 epoch, bitwise") {
  TempDir dir("cli_resume");
  std::string out;
  REQUIRE(run_cli(train_args(dir, "whole", 2), out) == 0);
  REQUIRE(run_cli(train_args(dir, "halves", 1), out) == 0);
  REQUIRE(run_cli("train --resume " + dir / "halves" + " --epochs 2", out) == 0);
  INFO(out);
  CHECK(out.find("resuming") != std::string::npos);
  CHECK(same_model_weights(dir / "whole/last.ckpt", dir / "halves/last.ckpt"));
  CHECK(same_model_weights(dir / "whole/best.safetensors", dir / "halves/best.safetensors"));
  // metrics.csv continues where it stopped (one row per epoch, no duplicate).
  CHECK(count_lines(read_text(dir / "halves/metrics.csv")) == 3);

  // A finished run has nothing to continue; settings other than the length
  // of training cannot change.
  CHECK(run_cli("train --resume " + dir / "whole", out) == 1);
  CHECK(out.find("nothing to continue") != std::string::npos);
  CHECK(run_cli("train --resume " + dir / "whole" + " --epochs 3 --lr 0.5", out) == 1);
  CHECK(out.find("--lr cannot change when resuming") != std::string::npos);
  CHECK(run_cli("train --resume " + dir / "missing", out) == 1);
  CHECK(out == "cudagrad: error: --resume " + dir / "missing" + ": no such folder\n");
  fs::create_directories(dir / "empty");
  CHECK(run_cli("train --resume " + dir / "empty", out) == 1);
  CHECK(out == "cudagrad: error: --resume " + dir / "empty" + ": no last.ckpt there\n");
}

TEST_CASE("cli: Ctrl-C saves last.ckpt after the current step, and resuming matches an uninterrupted run") {
  TempDir dir("cli_sigint");
  std::string out;
  // Batches of 4 make an epoch long enough (10 steps) for the signal to
  // arrive in the middle of one, which the checkpoint must then capture.
  const std::string log = dir / "log.txt";
  const pid_t pid = spawn_cli(train_args(dir, "stopped", 6, 4), log);
  REQUIRE(wait_for_text(log, "epoch   1/6"));
  kill(pid, SIGINT);
  const int status = wait_status(pid);
  const std::string text = read_text(log);
  INFO(text);
  if (text.find("done:") != std::string::npos) {
    MESSAGE("skipped: the run finished before the signal arrived");
    return;
  }
  CHECK(status == 130);
  CHECK(text.find("cudagrad: interrupted") != std::string::npos);
  CHECK(text.find("continue with 'cudagrad train --resume") != std::string::npos);

  REQUIRE(run_cli("train --resume " + dir / "stopped", out) == 0);
  REQUIRE(run_cli(train_args(dir, "reference", 6, 4), out) == 0);
  CHECK(same_model_weights(dir / "stopped/last.ckpt", dir / "reference/last.ckpt"));
  CHECK(count_lines(read_text(dir / "stopped/metrics.csv")) == 7);
}

TEST_CASE("cli: a run killed with SIGKILL resumes from its last checkpoint to the same result") {
  TempDir dir("cli_sigkill");
  std::string out;
  REQUIRE(run_cli(train_args(dir, "whole", 5), out) == 0);
  const std::string log = dir / "log.txt";
  const pid_t pid = spawn_cli(train_args(dir, "killed", 5), log);
  REQUIRE(wait_for_text(log, "epoch   2/5"));
  kill(pid, SIGKILL);
  wait_status(pid);
  // Whatever the moment, last.ckpt is a whole checkpoint of some epoch.
  CHECK_NOTHROW(cudagrad::train::load_training_checkpoint(dir / "killed/last.ckpt"));
  std::string resumed;
  const int status = run_cli("train --resume " + dir / "killed", resumed);
  if (resumed.find("nothing to continue") != std::string::npos) {
    MESSAGE("skipped: the run finished before the signal arrived");
    return;
  }
  REQUIRE(status == 0);
  CHECK(same_model_weights(dir / "whole/last.ckpt", dir / "killed/last.ckpt"));
}

TEST_CASE("cli: a half-written or damaged checkpoint is never loaded silently") {
  TempDir dir("cli_damage");
  std::string out;
  REQUIRE(run_cli(train_args(dir, "run", 1), out) == 0);
  const std::string ckpt = dir / "run/last.ckpt";
  const std::string bytes = read_text(ckpt);

  // A write killed halfway leaves only its temporary file: the previous
  // checkpoint is still whole, and the next run clears the leftover.
  write_file(ckpt + ".tmp.99999", bytes.substr(0, bytes.size() / 2));
  CHECK_NOTHROW(cudagrad::train::load_training_checkpoint(ckpt));
  REQUIRE(run_cli("train --resume " + dir / "run" + " --epochs 2", out) == 0);
  CHECK_FALSE(fs::exists(ckpt + ".tmp.99999"));

  // One flipped bit in the data area: the checksum catches it.
  std::string damaged = read_text(ckpt);
  damaged[damaged.size() - 100] ^= 0x10;
  write_file(ckpt, damaged);
  CHECK(run_cli("train --resume " + dir / "run" + " --epochs 3", out) == 1);
  CHECK(out.find("checksum mismatch") != std::string::npos);
  CHECK(count_lines(out) == 1);
  CHECK(run_cli("predict --checkpoint " + ckpt + " " + shared_sample_data(), out) == 1);
  CHECK(out.find("checksum mismatch") != std::string::npos);

  // A truncated file is an error naming it.
  write_file(ckpt, bytes.substr(0, bytes.size() - 10));
  CHECK(run_cli("train --resume " + dir / "run" + " --epochs 3", out) == 1);
  CHECK(out.find("last.ckpt") != std::string::npos);
  CHECK(count_lines(out) == 1);
}
