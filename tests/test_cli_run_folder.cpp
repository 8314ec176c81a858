// A run folder belongs to one run and one process: what `train` and
// `sample-data` do with a folder that holds something already, a second
// process in the same folder, a lock left by a killed process, and SIGTERM.
#include <doctest/doctest.h>
#include <sys/wait.h>

#include "base/signals.h"
#include "child_process.h"
#include "cli_test_util.h"
#include "base/signals.h"
#include "train/run_folder.h"

using namespace cudagrad_test;

namespace {

std::string train_args(const std::string& out, int epochs, int batch = 8) {
  return "train --data " + shared_sample_data() + " " + tiny_model_flags(batch) +
         " --epochs " + std::to_string(epochs) + " --out " + out + " --cache-dir " +
         (fs::path(out).parent_path() / "cache").string();
}

// A pid that belonged to a process that has ended (a child, reaped).
pid_t pid_of_a_dead_process() {
  const pid_t pid = fork();
  if (pid == 0) _exit(0);
  int status = 0;
  waitpid(pid, &status, 0);
  return pid;
}

}  // namespace

TEST_CASE("run folder: train refuses an --out holding an earlier run's results unless --overwrite") {
  TempDir dir("run_foreign");
  std::string out;
  const std::string run = dir / "run";
  REQUIRE(run_cli(train_args(run, 1), out) == 0);
  // The user deleted last.ckpt; the results are still worth keeping.
  fs::remove(run + "/last.ckpt");
  const std::string best = read_text(run + "/best.safetensors");
  const std::string metrics = read_text(run + "/metrics.csv");
  const std::string config = read_text(run + "/config.json");
  CHECK(run_cli(train_args(run, 1) + " --lr 0.5", out) == 1);
  CHECK(out == "cudagrad: error: --out " + run + ": holds files of another run (best.safetensors, "
                   "metrics.csv); continue it with --resume " + run +
                   ", choose another --out, or pass --overwrite to replace the run's files\n");
  CHECK(read_text(run + "/best.safetensors") == best);
  CHECK(read_text(run + "/metrics.csv") == metrics);
  CHECK(read_text(run + "/config.json") == config);

  // A user's own file in the folder is refused the same way.
  const std::string other = dir / "other";
  write_file(other + "/notes.txt", "mine");
  CHECK(run_cli(train_args(other, 1), out) == 1);
  CHECK(out.find("--out " + other + ": holds files of another run (notes.txt)") != std::string::npos);

  // A file where the run folder should be is left alone.
  write_file(dir / "a-file", "mine");
  CHECK(run_cli(train_args(dir / "a-file", 1), out) == 1);
  CHECK(out == "cudagrad: error: --out " + dir / "a-file" +
                   ": is a file, expected a folder for the run\n");
  CHECK(read_text(dir / "a-file") == "mine");

  // --overwrite says what it removes, and the new run's files replace them.
  REQUIRE(run_cli(train_args(run, 1) + " --lr 0.5 --overwrite", out) == 0);
  CHECK(out.find("--overwrite: removed best.safetensors, metrics.csv, config.json, splits.csv from " +
                 run) != std::string::npos);
  CHECK(read_text(run + "/config.json").find("\"lr\": 0.5") != std::string::npos);
  CHECK(run_cli("train --resume " + run + " --overwrite", out) == 1);
  CHECK(out == "cudagrad: error: --overwrite: cannot be given with --resume (which keeps the run)\n");
}

TEST_CASE("run folder: a run stopped before its first checkpoint may be started again") {
  TempDir dir("run_restart");
  std::string out;
  const std::string run = dir / "run";
  write_file(run + "/splits.csv", "image_id,part\n");  // all a run killed in its setup leaves
  write_file(run + "/config.json", "{}\n");
  REQUIRE(run_cli(train_args(run, 1), out) == 0);
  CHECK(out.find("note: " + run + " holds a run that stopped before its first checkpoint") !=
        std::string::npos);
  CHECK(count_lines(read_text(run + "/splits.csv")) == 61);

  // Killed while writing the first epoch's files: best.safetensors and
  // metrics.csv written, last.ckpt not yet. The same command starts again
  // (and makes the same model); after two epochs, or with other settings,
  // the results are another run's and are kept.
  const std::string best = read_text(run + "/best.safetensors");
  fs::remove(run + "/last.ckpt");
  REQUIRE(run_cli(train_args(run, 1), out) == 0);
  CHECK(out.find("stopped before its first checkpoint; starting it again") != std::string::npos);
  CHECK(read_text(run + "/best.safetensors") == best);
  fs::remove(run + "/last.ckpt");
  CHECK(run_cli(train_args(run, 1) + " --seed 9", out) == 1);
  CHECK(out.find("holds files of another run (best.safetensors, metrics.csv)") != std::string::npos);

  const std::string two = dir / "two";
  REQUIRE(run_cli(train_args(two, 2), out) == 0);
  fs::remove(two + "/last.ckpt");
  CHECK(run_cli(train_args(two, 2), out) == 1);
  CHECK(out.find("holds files of another run (best.safetensors, metrics.csv)") != std::string::npos);
}

TEST_CASE("run folder: a second train in the same --out is refused while the first runs") {
  TempDir dir("run_concurrent");
  std::string out;
  const std::string run = dir / "run";
  const std::string log = dir / "first.log";
  const pid_t first = spawn_cli(train_args(run, 50, 4), log);
  REQUIRE(wait_for_text(log, "epoch   1/50"));
  const std::string config = read_text(run + "/config.json");
  CHECK(run_cli(train_args(run, 1) + " --lr 0.5", out) == 1);
  CHECK(out == "cudagrad: error: --out " + run + ": in use by another cudagrad process (pid " +
                   std::to_string(first) + ", lock file " + run +
                   "/cudagrad.lock); wait for it to finish, or stop it\n");
  // Resuming is refused too, and so is --overwrite: one process per folder.
  CHECK(run_cli("train --resume " + run, out) == 1);
  CHECK(out.find("in use by another cudagrad process (pid " + std::to_string(first)) !=
        std::string::npos);
  CHECK(run_cli(train_args(run, 1) + " --overwrite", out) == 1);
  CHECK(out.find("in use by another cudagrad process") != std::string::npos);
  kill(first, SIGINT);
  CHECK(wait_status(first) == 130);
  CHECK(read_text(run + "/config.json") == config);  // nothing of the second command's
  CHECK_FALSE(fs::exists(run + "/cudagrad.lock"));
}

TEST_CASE("run folder: a lock left by a killed process is reported and taken over") {
  TempDir dir("run_stale_lock");
  std::string out;
  const std::string run = dir / "run";
  const pid_t dead = pid_of_a_dead_process();
  write_file(run + "/cudagrad.lock", std::to_string(dead) + "\n");
  REQUIRE(run_cli(train_args(run, 1), out) == 0);
  CHECK(out.find("note: " + run + "/cudagrad.lock: taking over the stale lock of process " +
                 std::to_string(dead) + ", which ended without removing it") != std::string::npos);
  CHECK_FALSE(fs::exists(run + "/cudagrad.lock"));

  // The same after a SIGKILL in the middle of training, then --resume.
  const std::string log = dir / "killed.log";
  const pid_t killed = spawn_cli(train_args(dir / "killed", 30, 4), log);
  REQUIRE(wait_for_text(log, "epoch   2/30"));
  kill(killed, SIGKILL);
  CHECK(wait_status(killed) == 128 + SIGKILL);
  CHECK(read_text(dir / "killed/cudagrad.lock") == std::to_string(killed) + "\n");
  REQUIRE(run_cli("train --resume " + dir / "killed" + " --epochs 3", out) == 0);
  CHECK(out.find("taking over the stale lock of process " + std::to_string(killed)) !=
        std::string::npos);
}

// (No ';' in a test name: ctest's filter for this case would match nothing.)
TEST_CASE("run folder: SIGTERM saves last.ckpt and exits with 143, and --resume continues") {
  TempDir dir("run_sigterm");
  std::string out;
  const std::string run = dir / "run";
  const std::string log = dir / "log.txt";
  const pid_t pid = spawn_cli(train_args(run, 50, 4), log);
  REQUIRE(wait_for_text(log, "epoch   1/50"));
  kill(pid, SIGTERM);
  CHECK(wait_status(pid) == 143);
  const std::string text = read_text(log);
  INFO(text);
  CHECK(text.find("cudagrad: interrupted (SIGTERM)") != std::string::npos);
  CHECK(fs::exists(run + "/last.ckpt"));
  CHECK_FALSE(fs::exists(run + "/cudagrad.lock"));
  // The signal lands in an epoch ("at epoch N, batch B") or between two
  // ("after epoch N"): resuming to the end of the next unfinished epoch has
  // work left to do either way.
  const std::string mark = "interrupted (SIGTERM) ";
  const size_t at = text.find(mark);
  REQUIRE(at != std::string::npos);
  const std::string where = text.substr(at + mark.size());
  const bool between = where.rfind("after epoch ", 0) == 0;
  const int epoch = std::stoi(where.substr(where.find("epoch ") + 6)) + (between ? 1 : 0);
  CHECK(epoch >= 1);
  REQUIRE(run_cli("train --resume " + run + " --epochs " + std::to_string(epoch), out) == 0);
  INFO(out);
  CHECK(out.find("resuming " + run + " at epoch " + std::to_string(epoch)) != std::string::npos);
}

TEST_CASE("sample-data: refuses a folder that is not empty, leaving it as it was") {
  TempDir dir("sample_refuse");
  std::string out;
  const std::string real = dir / "HAM10000";
  const std::string metadata = "lesion_id,image_id,dx\nHAM_1,ISIC_1,nv\n";
  write_file(real + "/HAM10000_metadata.csv", metadata);
  write_file(real + "/HAM10000_images_part_1/ISIC_1.jpg", "not really a jpeg");
  CHECK(run_cli("sample-data --out " + real + " --images 8", out) == 1);
  CHECK(out == "cudagrad: error: --out " + real + ": is not empty (2 entries: "
                   "HAM10000_images_part_1, HAM10000_metadata.csv); sample-data writes only into "
                   "a new or empty folder\n");
  CHECK(read_text(real + "/HAM10000_metadata.csv") == metadata);
  CHECK(std::distance(fs::directory_iterator(real + "/HAM10000_images_part_1"),
                      fs::directory_iterator()) == 1);
  CHECK(run_cli("sample-data --out " + real + "/HAM10000_metadata.csv --images 8", out) == 1);
  CHECK(out == "cudagrad: error: --out " + real +
                   "/HAM10000_metadata.csv: is a file, expected a folder\n");
  CHECK(read_text(real + "/HAM10000_metadata.csv") == metadata);
  // An empty folder is fine.
  fs::create_directories(dir / "empty");
  CHECK(run_cli("sample-data --out " + dir / "empty" + " --images 8", out) == 0);
}

TEST_CASE("run folder: a signal that ends the program removes the lock file with the temporaries") {
  TempDir dir("run_lock_signal");
  const std::string run = dir / "run";
  auto result = run_in_child([&]() -> std::string {
    cudagrad::files::install_signal_handlers();
    const cudagrad::train::RunLock lock(run);
    if (!fs::exists(run + "/cudagrad.lock")) return "no lock file";
    ::raise(SIGTERM);  // outside any deferral: fatal
    return "the signal did not end the process";
  });
  INFO(result.text);
  CHECK(result.signal == SIGTERM);
  CHECK(fs::is_directory(run));
  CHECK_FALSE(fs::exists(run + "/cudagrad.lock"));
}
