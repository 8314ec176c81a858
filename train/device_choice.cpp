#include "train/device_choice.h"

#include <omp.h>

#include <cstdio>

namespace cudagrad {
namespace train {

Device select_device(DeviceChoice wanted, bool quiet) {
  std::string note;
  const Device device = cudagrad::choose_device(name_of(wanted), &note);
  if (quiet) return device;
  if (device.is_cpu())
    std::printf("device: %s, %d thread%s, %s\n", note.c_str(), omp_get_max_threads(),
                omp_get_max_threads() == 1 ? "" : "s", describe_cpu().c_str());
  else
    std::printf("device: %s\n", note.c_str());
  return device;
}

namespace {
int g_threads_flag = 0;
}  // namespace

int set_cpu_threads(int threads) {
  g_threads_flag = threads;
  if (threads > 0) omp_set_num_threads(threads);
  return omp_get_max_threads();
}

int threads_flag() { return g_threads_flag; }

}  // namespace train
}  // namespace cudagrad
