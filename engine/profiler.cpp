#include "engine/profiler.h"

#include <time.h>

#include <chrono>

namespace cudagrad {

static thread_local Profiler* t_profiler = nullptr;

Profiler::Profiler(Clock clock) : previous_(t_profiler), clock_(clock) { t_profiler = this; }
Profiler::~Profiler() { t_profiler = previous_; }
Profiler* Profiler::active() { return t_profiler; }

double Profiler::now_ms() const {
  if (clock_ == Clock::cpu) {
    timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec * 1e3 + t.tv_nsec * 1e-6;
  }
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

LayerTiming& Profiler::entry(const std::string& layer) {
  auto it = index_.find(layer);
  if (it != index_.end()) return timings_[it->second];
  index_[layer] = timings_.size();
  timings_.push_back({layer, 0, 0});
  return timings_.back();
}

void Profiler::add_forward(const std::string& layer, double ms) { entry(layer).forward_ms += ms; }
void Profiler::add_backward(const std::string& layer, double ms) { entry(layer).backward_ms += ms; }

}  // namespace cudagrad
