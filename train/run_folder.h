// A run folder (train --out) belongs to one run and one process at a time.
//
// One process: RunLock holds an flock on "<out>/cudagrad.lock", a file that
// also names the owner's pid so that a second `train` can say who is using
// the folder. The kernel drops the flock when its process dies (even by
// SIGKILL), so a lock file left behind is recognised as stale: the next run
// says so and takes it over.
//
// One run: a new run refuses a folder that holds another run's results
// (last.ckpt, best.safetensors, metrics.csv, ...) or files it did not make,
// unless --overwrite is given; --resume continues the run that is there.
#pragma once
#include <string>

namespace cudagrad {
namespace train {

constexpr const char* kLockFileName = "cudagrad.lock";

class RunLock {
 public:
  // Creates `dir` if needed and locks it; an Error naming the folder and the
  // owner's pid when another process holds it.
  explicit RunLock(const std::string& dir);
  ~RunLock();  // removes the lock file, then lets go of the lock
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

 private:
  std::string path_;
  int fd_ = -1;
  int slot_ = -1;  // among the files a fatal signal removes (base/signals.h)
};

// For a new run in `dir` (locked by the caller): an Error when the folder
// holds results of another run or other files, naming them and the ways
// out (--resume, another --out, --overwrite). With `overwrite`, the earlier
// run's files are deleted instead, and the deletion is printed.
//
// A run that stopped before its first checkpoint was complete may start
// again without --overwrite: what it left (splits.csv, config.json, and
// when killed while writing the first epoch's files, best.safetensors and a
// metrics.csv of one row) is at most one epoch's work. Its results are
// only taken for this run's own when config.json is this run's
// (`config_json`, the exact text), so another run's first epoch is kept.
void claim_run_folder(const std::string& dir, const std::string& config_json, bool overwrite);

}  // namespace train
}  // namespace cudagrad
